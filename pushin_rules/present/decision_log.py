"""Recorded decisions and the audit log as the pages and summaries show them, de-identified when
asked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from pushin_rules.present.meeting_form import parse_attendees
from pushin_rules.present.words import _value, label, model_label, service_label, split_text

if TYPE_CHECKING:
    from pushin_rules.data.store import DecisionRecord


DECISION_COLUMNS: tuple[str, ...] = (
    "meeting_date",
    "service",
    "proposed",
    "decision",
    "decided",
    "rationale",
    "attendees",
    "recorded_by",
    "rules",
    "status",
)


def decisions_table(
    decisions: pd.DataFrame | Sequence[Any], services: pd.DataFrame
) -> pd.DataFrame:
    """Recorded decisions in plain words, newest first (columns `DECISION_COLUMNS`): meeting
    date, service, what the rules proposed, what the team decided, why, who attended, who
    recorded it, with which rules, and whether a later correction replaced it."""
    frame = _as_frame(decisions)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in DECISION_COLUMNS})

    def col(name: str, default: object = "") -> pd.Series:
        values = frame.get(name)
        return values if values is not None else pd.Series(default, index=frame.index)

    kinds = services.set_index("service_id")["service"]
    proposed = [
        f"{model_label(_value(m))}: {split_text(a, b)}"
        for m, a, b in zip(
            col("recommendation"),
            col("rec_push_in_minutes", 0),
            col("rec_pull_out_minutes", 0),
            strict=True,
        )
    ]
    decided = [
        f"{model_label(_value(m))}: {split_text(a, b)}"
        for m, a, b in zip(
            col("decided_model"),
            col("decided_push_in_minutes", 0),
            col("decided_pull_out_minutes", 0),
            strict=True,
        )
    ]
    attendees = col("attendees").map(
        lambda v: ", ".join(str(x) for x in v) if isinstance(v, list | tuple) else str(v or "")
    )
    rules = [
        f"{n} {v}".strip() for n, v in zip(col("rules_name"), col("rules_version"), strict=True)
    ]
    superseded = col("superseded_by", None)
    status = [
        "Current" if s is None or (isinstance(s, float) and math.isnan(s)) else "Corrected later"
        for s in superseded
    ]
    service_ids = col("service_id").astype(str)
    out = pd.DataFrame(
        {
            "meeting_date": col("meeting_date").astype(str).to_numpy(),
            "service": service_ids.map(kinds).fillna(service_ids).map(service_label).to_numpy(),
            "proposed": proposed,
            "decision": col("decision").map(lambda d: str(d).capitalize()).to_numpy(),
            "decided": decided,
            "rationale": col("rationale").fillna("").astype(str).to_numpy(),
            "attendees": attendees.to_numpy(),
            "recorded_by": col("recorded_by").fillna("").astype(str).to_numpy(),
            "rules": rules,
            "status": status,
            "_order": pd.to_numeric(col("id", 0), errors="coerce").fillna(0).to_numpy(),
        }
    )
    out = out.sort_values(["meeting_date", "_order"], ascending=False, kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def history_heading(row: Mapping[str, Any]) -> str:
    """'2026-01-10 · Speech-language therapy · Adopted' for one row of `decisions_table`."""
    return " · ".join(str(row[k]) for k in ("meeting_date", "service", "decision") if row.get(k))


def history_body(row: Mapping[str, Any]) -> str:
    """What was proposed and decided, why, and who attended, for one recorded decision."""
    lines = [f"Rules proposed {row['proposed']}. Team decided {row['decided']}."]
    why = str(row.get("rationale", "")).strip()
    if why:
        lines.append(f"Why: {why}" + ("" if why.endswith((".", "!", "?")) else "."))
    if str(row.get("attendees", "")).strip():
        lines.append(f"Attended: {row['attendees']}.")
    return " ".join(lines)


def history_footer(row: Mapping[str, Any]) -> str:
    parts = [f"Recorded by {row['recorded_by']}", f"rules: {row['rules']}"]
    if row.get("status") and row["status"] != "Current":
        parts.append(str(row["status"]).lower())
    return " · ".join(parts)


def _as_frame(rows: pd.DataFrame | Sequence[Any]) -> pd.DataFrame:
    if isinstance(rows, pd.DataFrame):
        return rows
    records = []
    for row in rows:
        if isinstance(row, Mapping):
            records.append(dict(row))
        elif hasattr(row, "model_dump"):
            record = row.model_dump()
            if hasattr(row, "superseded_by"):
                record["superseded_by"] = row.superseded_by
            records.append(record)
        else:
            records.append({k: getattr(row, k) for k in row.__dataclass_fields__})
    return pd.DataFrame(records)


AUDIT_ACTIONS: dict[str, str] = {
    "import_replace": "Replaced the district",
    "import_merge": "Added to the district",
    "record_decision": "Recorded a decision",
}


def audit_table(log: pd.DataFrame) -> pd.DataFrame:
    """The store's audit log in plain words: when (UTC, to the minute), who, what, details."""
    if log.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("when", "who", "what", "details")}
        )
    when = pd.to_datetime(log["when"], utc=True).dt.strftime("%Y-%m-%d %H:%M UTC")
    return pd.DataFrame(
        {
            "when": when.to_numpy(),
            "who": log["who"].astype(str).to_numpy(),
            "what": log["action"].map(lambda a: label(AUDIT_ACTIONS, a)).to_numpy(),
            "details": log["details"].astype(str).to_numpy(),
        }
    )


def redact(text: str, name: str, replacement: str) -> str:
    """Free text with a student's name (whole, and each part of two letters or more) replaced,
    for de-identified displays of rationales and descriptions."""
    import re

    parts = [name.strip()] + [p for p in re.split(r"\W+", name) if len(p) >= 2]
    for part in sorted(set(parts), key=len, reverse=True):
        if part:
            text = re.sub(rf"(?i)\b{re.escape(part)}\b", replacement, text)
    return text


def latest_decisions(decisions: Sequence[DecisionRecord]) -> dict[str, DecisionRecord]:
    """The current (not corrected) decision per service_id, newest first wins."""
    out: dict[str, Any] = {}
    for record in decisions:
        if getattr(record, "superseded_by", None) is None and record.service_id not in out:
            out[record.service_id] = record
    return out


def deidentify_history(table: pd.DataFrame, name: str, shown_as: str) -> pd.DataFrame:
    """A decisions table for a de-identified display: the student's name scrubbed from the
    rationales, and attendee names (family members share the student's name) hidden."""
    if table.empty:
        return table
    out = table.copy()
    out["rationale"] = out["rationale"].map(lambda text: redact(str(text), name, shown_as))
    out["attendees"] = out["attendees"].map(
        lambda text: f"{len(parse_attendees(text))} people (names hidden)" if text else ""
    )
    return out


def deidentify_audit(table: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """An audit table for a de-identified display: "student S0001" in the details becomes
    the student's label ("student Student 7QKD"); an id number identifies a student too."""
    import re

    if table.empty:
        return table

    def scrub(text: str) -> str:
        return re.sub(
            r"\bstudent (\S+?)(?=[,;\s]|$)",
            lambda m: "student " + str(labels.get(m.group(1), "(hidden)")),
            text,
        )

    out = table.copy()
    out["details"] = out["details"].astype(str).map(scrub)
    return out
