"""Reading the CSV bytes an IEP system exports, quirks and all, into rows with their row numbers.

Real exports arrive with a byte-order mark, Windows-1252 accents, CRLF line ends, quoted
"Last, First" names, the odd stray quote inside a field and sometimes a title row above the
header. None of that stops a read; a row that still cannot be split into the header's cells is
handed back as unreadable, with its row number, so the import report can list it.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pushin_rules.errors import InputError

# How far down a title block may push the header row.
MAX_TITLE_ROWS = 10


@dataclass(frozen=True)
class Row:
    """One data row: its number as a spreadsheet shows it (first line of the file = 1)."""

    number: int
    cells: dict[str, str]  # keyed by the column name folded (case and spacing ignored)

    def get(self, column: str) -> str:
        return self.cells.get(_key(column), "")


@dataclass(frozen=True)
class Table:
    """A file's header (as written, stripped) and its readable data rows."""

    file: str
    header: tuple[str, ...]
    header_row: int
    encoding: str
    rows: tuple[Row, ...]
    # (row number, why) for lines that could not be split into the header's cells
    unreadable: tuple[tuple[int, str], ...] = field(default=())

    @functools.cached_property
    def _keys(self) -> frozenset[str]:
        return frozenset(_key(h) for h in self.header)

    def has(self, column: str) -> bool:
        return _key(column) in self._keys


def decode(data: bytes) -> tuple[str, str]:
    """Bytes -> (text, encoding name): UTF-8 (with or without a byte-order mark), else
    Windows-1252 (what Excel on Windows writes); Latin-1 as the last resort, which decodes
    any byte, so reading never fails here."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text.lstrip("\ufeff"), encoding
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def split_lines(text: str) -> list[str]:
    """Physical lines, whatever the line ends (CRLF, LF, a lone CR)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse_line(line: str) -> list[str]:
    """One line's cells, forgiving stray quotes (well-formed lines take the csv module's
    fast path; only a line it refuses is walked character by character)."""
    if '"' not in line:
        return line.split(",")
    try:
        return next(csv.reader([line], strict=True))
    except (csv.Error, StopIteration):
        return _parse_forgiving(line)


def _parse_forgiving(line: str) -> list[str]:
    """One line's cells, forgiving stray quotes.

    A quote opens a quoted cell only at the start of a cell and closes it only before a
    comma or the end of the line; any other quote is kept as a character of the cell
    (`Ana "AJ" Alvarez`, `12" ruler`). A quote left open at the end of the line means the
    opening quote was itself stray, so the line is split again with quotes as plain text.
    """
    cells: list[str] = []
    cell: list[str] = []
    quoted = False
    at_start = True
    i, n = 0, len(line)
    while i < n:
        char = line[i]
        if quoted:
            if char == '"':
                if i + 1 < n and line[i + 1] == '"':
                    cell.append('"')
                    i += 2
                    continue
                rest = line[i + 1 :].lstrip(" ")
                if rest == "" or rest.startswith(","):
                    quoted = False
                    i = n - len(rest)
                    continue
            cell.append(char)
        elif char == ",":
            cells.append("".join(cell))
            cell, at_start = [], True
        elif char == '"' and at_start and not "".join(cell).strip():
            quoted, at_start, cell = True, False, []
        else:
            cell.append(char)
            if char != " ":
                at_start = False
        i += 1
    if quoted:
        return [c.strip().strip('"') for c in line.split(",")]
    cells.append("".join(cell))
    return cells


def read_table(
    data: bytes | str,
    file: str,
    required: Sequence[str],
) -> Table:
    """Read an export whose header holds every column in `required` (names compared
    ignoring case and runs of spaces). The header may sit below a few title rows.

    Raises InputError naming the file and the missing columns when no such header is found.
    """
    text, encoding = decode(data) if isinstance(data, bytes | bytearray) else (data, "utf-8")
    lines = split_lines(text)
    header_at = find_header(lines, required)
    if header_at is None:
        first = parse_line(lines[0]) if lines else []
        missing = [c for c in required if _key(c) not in {_key(x) for x in first}]
        raise InputError(
            f"{file}: row 1: no header row with the columns "
            f"{', '.join(required)} in the first {MAX_TITLE_ROWS} rows "
            f"(missing {', '.join(missing) if missing else 'some'}); is this the right export?"
        )
    header = tuple(_clean_header(c) for c in parse_line(lines[header_at]))
    rows: list[Row] = []
    unreadable: list[tuple[int, str]] = []
    index = header_at + 1
    while index < len(lines):
        line = lines[index]
        number = index + 1
        index += 1
        if not line.strip() or not line.replace(",", "").replace('"', "").strip():
            continue  # blank lines and rows of empty cells
        cells = parse_line(line)
        # A quoted cell holding a line break continues on the next line.
        while len(cells) < len(header) and line.count('"') % 2 == 1 and index < len(lines):
            joined = line + "\n" + lines[index]
            joined_cells = parse_line(joined)
            if len(joined_cells) <= len(cells):
                break
            line, cells = joined, joined_cells
            index += 1
        extra = cells[len(header) :]
        if any(c.strip() for c in extra):
            unreadable.append(
                (
                    number,
                    f"{len(cells)} cells where the header has {len(header)} "
                    "(a comma inside a value that is not in quotes?)",
                )
            )
            continue
        cells = cells[: len(header)] + [""] * (len(header) - len(cells))
        values = {
            _key(name): value.strip() for name, value in zip(header, cells, strict=True) if name
        }
        rows.append(Row(number, values))
    return Table(file, header, header_at + 1, encoding, tuple(rows), tuple(unreadable))


def find_header(lines: Sequence[str], required: Iterable[str]) -> int | None:
    """Index of the first line (within the title allowance) holding every required column."""
    wanted = {_key(c) for c in required}
    for index, line in enumerate(lines[: MAX_TITLE_ROWS + 1]):
        if not line.strip():
            continue
        names = {_key(c) for c in parse_line(line)}
        if wanted <= names:
            return index
    return None


def header_of(data: bytes | str, required: Iterable[str]) -> tuple[str, ...] | None:
    """The header row of an export if it holds every required column, else None (used to
    recognise an uploaded file by its header, without reading the rest)."""
    text = decode(data)[0] if isinstance(data, bytes | bytearray) else data
    lines = split_lines(text[:20_000])
    at = find_header(lines, required)
    return None if at is None else tuple(_clean_header(c) for c in parse_line(lines[at]))


def _clean_header(name: str) -> str:
    return " ".join(name.strip().strip('"').split())


@functools.lru_cache(maxsize=4096)  # called with column names, a handful per file
def _key(name: str) -> str:
    return " ".join(name.strip().strip('"').split()).casefold()


def column_lookup(header: Sequence[str], name: str) -> str | None:
    """The header's spelling of `name` (ignoring case and spacing), or None."""
    key = _key(name)
    return next((h for h in header if _key(h) == key), None)


def csv_text(rows: Sequence[Sequence[str]]) -> str:
    """Rows as CSV text (for fixtures and writers that need the plain csv dialect)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()
