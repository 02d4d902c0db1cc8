"""Errors a user can fix: bad data, a broken rules file. Shown as a message, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class InputError(Exception):
    """Base for every problem caused by input a user supplied."""


@dataclass(frozen=True)
class Problem:
    """One problem in one cell (or one file, when row and column do not apply)."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        place = ", ".join(where)
        if self.value is None:
            return f"{place}: {self.expected}"
        shown = self.value if len(self.value) <= 40 else self.value[:37] + "..."
        return f"{place}: {shown!r} is not valid; expected {self.expected}"


MAX_SHOWN = 500


class DistrictError(InputError):
    """A district folder with problems: every problem found, not just the first."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.message())

    def message(self) -> str:
        count = len(self.problems)
        head = f"The district data{' in ' + self.source if self.source else ''} has "
        head += f"{count} problem{'s' if count != 1 else ''}; nothing was loaded:"
        lines = [head] + [f"  - {p}" for p in self.problems[:MAX_SHOWN]]
        if count > MAX_SHOWN:
            lines.append(f"  ... and {count - MAX_SHOWN} more")
        return "\n".join(lines)


class RulesError(InputError):
    """A rules file that cannot be used; the message names the key and what is wrong."""
