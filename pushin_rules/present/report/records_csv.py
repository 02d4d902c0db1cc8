"""The decision records as a frame and as a CSV a spreadsheet opens safely."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import pandas as pd

from pushin_rules.data.csvsafe import to_csv_text
from pushin_rules.present.report.summary import _as_dict, _code

if TYPE_CHECKING:
    from pushin_rules.data.store import DecisionRecord

DECISION_CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "meeting_date",
    "student_id",
    "service_id",
    "recommendation",
    "rec_push_in_minutes",
    "rec_pull_out_minutes",
    "decision",
    "decided_model",
    "decided_push_in_minutes",
    "decided_pull_out_minutes",
    "rationale",
    "attendees",
    "recorded_at",
    "recorded_by",
    "rules_name",
    "rules_version",
    "rules_hash",
    "supersedes",
    "superseded_by",
)


def decisions_frame(decisions: Iterable[DecisionRecord | Mapping[str, object]]) -> pd.DataFrame:
    """Decision records as one row each (`DECISION_CSV_COLUMNS`); the explanation is left out
    (it is in the meeting summary), attendees are joined with "; "."""
    rows = []
    for record in map(_as_dict, decisions):
        row = {column: record.get(column) for column in DECISION_CSV_COLUMNS}
        row["recommendation"] = _code(row["recommendation"])
        row["decided_model"] = _code(row["decided_model"])
        row["attendees"] = "; ".join(str(a) for a in record.get("attendees") or [])
        for key in ("meeting_date", "recorded_at"):
            if hasattr(row[key], "isoformat"):
                row[key] = row[key].isoformat()
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(DECISION_CSV_COLUMNS))
    for column in ("supersedes", "superseded_by"):
        frame[column] = frame[column].astype("Int64")  # ids, not 3.0; empty when none
    return frame


def decisions_csv(decisions: Iterable[DecisionRecord | Mapping[str, object]]) -> str:
    """The decision records as CSV; a text cell a spreadsheet would run as a formula
    (=, +, -, @, tab, carriage return first) is prefixed with a quote."""
    return to_csv_text(decisions_frame(decisions))
