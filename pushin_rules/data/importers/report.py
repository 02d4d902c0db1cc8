"""The import report: every source row that was not used (or was used with a doubt), and why.

Written beside the imported district as `import_report.csv` with the columns
`file, row, what, why, outcome`: `row` as a spreadsheet numbers the source file (its first
line is row 1, title rows included), `what` a short category (see WHAT), `why` the sentence a
person acts on, `outcome` `skipped` or `imported` (imported, but someone should look).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

REPORT_FILE = "import_report.csv"
REPORT_COLUMNS: tuple[str, ...] = ("file", "row", "what", "why", "outcome")

# The categories `what` takes, one name per reason.
WHAT: dict[str, str] = {
    "unreadable_row": "unreadable row",
    "unknown_service": "unknown service code",
    "not_decided_here": "service not decided here",
    "unreadable_frequency": "unreadable frequency",
    "missing_student": "student missing from roster",
    "duplicate": "duplicate",
    "ended": "ended service",
    "superseded": "older row of the service",
    "unreadable_value": "unreadable value",
    "yearly_total": "yearly total disagrees",
    "no_id": "no student id",
    "hybrid": "read as a hybrid",
    "consultation": "consultation",
}

SKIPPED = "skipped"
IMPORTED = "imported"


@dataclass
class Report:
    """Report rows in the order found."""

    rows: list[tuple[str, int | None, str, str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # the order files are listed in

    def skip(self, file: str, row: int | None, what: str, why: str) -> None:
        self.rows.append((file, row, WHAT[what], why, SKIPPED))

    def flag(self, file: str, row: int | None, what: str, why: str) -> None:
        """A row that was imported but deserves a look."""
        self.rows.append((file, row, WHAT[what], why, IMPORTED))

    def count(self, what: str | None = None, outcome: str | None = None) -> int:
        return sum(
            1
            for r in self.rows
            if (what is None or r[2] == WHAT[what]) and (outcome is None or r[4] == outcome)
        )

    def frame(self) -> pd.DataFrame:
        """The rows file by file (in the order files were first mentioned), then by row."""
        named = [*self.files, *(r[0] for r in self.rows)]
        order = {file: i for i, file in reversed(list(enumerate(named)))}
        rows = sorted(self.rows, key=lambda r: (order[r[0]], r[1] if r[1] is not None else -1))
        frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
        frame["row"] = frame["row"].astype("Int64")
        for column in ("file", "what", "why", "outcome"):
            frame[column] = frame[column].astype(object)
        return frame
