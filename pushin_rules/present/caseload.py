"""The caseload: one row per service with its recommendation, the counts that say who needs
attention, filters, and provider minutes under each scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pushin_rules.data.district import District
from pushin_rules.present.words import (
    PROGRESS_LABELS,
    ROLE_LABELS,
    confidence_text,
    label,
    lre_label,
    model_label,
    progress_label,
    service_label,
    split_text,
)

if TYPE_CHECKING:
    from pushin_rules.data.store import DecisionRecord


CASELOAD_COLUMNS: tuple[str, ...] = (
    "service_id",
    "student_id",
    "student",
    "school",
    "provider",
    "service",
    "recommendation",
    "split",
    "confidence",
    "current_model",
    "differs",
    "close_call",
    "progress",
    "lre_category",
    "imported_model",
    "decided_on",
    "urgency",
    "attention",
)

# Who needs attention first: a goal whose data say the plan is not working, then a
# recommendation that differs from what the student gets today, then a close call.
URGENCY_POINTS: dict[str, int] = {"change": 4, "differs": 2, "close_call": 1}
ATTENTION_WORDS: dict[str, str] = {
    "change": "not on track",
    "differs": "differs from today",
    "close_call": "close call",
}

CLOSE_CALL_CONFIDENCE = ("close_call", "low")


def close_calls(recs: pd.DataFrame) -> pd.Series:
    """True where the recommendation is a close call: the engine's flag when it gives one,
    otherwise low confidence."""
    if recs.empty:
        return pd.Series([], dtype=bool, index=recs.index)
    if "close_call" in recs:
        return recs["close_call"].fillna(False).astype(bool)
    confidence = recs.get("confidence")
    if confidence is None:
        return pd.Series(False, index=recs.index)
    if pd.api.types.is_numeric_dtype(confidence):
        return confidence.fillna(1.0) < 0.5
    words = confidence.astype(str).str.lower().to_numpy(dtype=object)
    return pd.Series(
        np.fromiter((w in CLOSE_CALL_CONFIDENCE for w in words), dtype=bool, count=len(words)),
        index=recs.index,
    )


def differs_from_current(recs: pd.DataFrame) -> pd.Series:
    """True where the recommended model is not the service's current one (new services with no
    current model count as different: the team has a choice to make)."""
    if recs.empty:
        return pd.Series([], dtype=bool, index=recs.index)
    current = recs.get("current_model", pd.Series("", index=recs.index)).fillna("").astype(str)
    return recs["recommendation"].astype(str) != current


def caseload_table(
    recs: pd.DataFrame,
    district: District,
    labels: pd.Series,
    decided: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per service, in the caseload page's words (columns `CASELOAD_COLUMNS`), the
    services that need attention first (`urgency`, then the student's label).

    `labels` maps student_id to the name shown (a pseudonym in de-identified mode).
    `decided` (`decided_models`) holds the team's recorded decisions: where one stands,
    "Today" is the model the team decided, the imported one is kept beside it, and "differs"
    compares the recommendation with the decision.
    """
    if recs.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=_CASELOAD_DTYPES.get(c, object)) for c in CASELOAD_COLUMNS}
        )
    students = district.students.set_index("student_id")
    schools = district.schools.set_index("school_id")["name"]
    providers = district.providers.set_index("provider_id")["name"]
    services = district.services.set_index("service_id")
    student_ids = recs["student_id"].astype(str)
    school_ids = student_ids.map(students["school_id"]).fillna("")
    provider_ids = recs["service_id"].map(services["provider_id"]).fillna("")
    imported = recs.get("current_model", pd.Series("", index=recs.index)).fillna("").astype(str)
    current = imported
    decided_on = pd.Series("", index=recs.index, dtype=object)
    if decided is not None and not decided.empty:
        by_service = decided.set_index("service_id")
        mapped = recs["service_id"].map(by_service["decided_model"])
        current = mapped.where(mapped.notna(), imported).astype(str)
        decided_on = recs["service_id"].map(by_service["meeting_date"]).fillna("").astype(str)
    differs = recs["recommendation"].astype(str) != current
    close = close_calls(recs)
    change = (
        recs.get("progress_decision", pd.Series("", index=recs.index)).fillna("").astype(str)
        == "change"
    )
    flags = {"change": change.to_numpy(), "differs": differs.to_numpy(), "close_call": close}
    urgency = sum(np.asarray(flags[k], dtype=int) * points for k, points in URGENCY_POINTS.items())
    attention = [
        " · ".join(ATTENTION_WORDS[k] for k in URGENCY_POINTS if bool(flags[k][i])).capitalize()
        for i in range(len(recs))
    ]
    table = pd.DataFrame(
        {
            "service_id": recs["service_id"].astype(str).to_numpy(),
            "student_id": student_ids.to_numpy(),
            "student": student_ids.map(labels).fillna(student_ids).to_numpy(),
            "school": school_ids.map(schools).fillna(school_ids).to_numpy(),
            "provider": provider_ids.map(providers)
            .where(provider_ids != "", "(none)")
            .fillna(provider_ids)
            .to_numpy(),
            "service": recs["service"].map(service_label).to_numpy(),
            "recommendation": recs["recommendation"].map(model_label).to_numpy(),
            "split": [
                split_text(a, b)
                for a, b in zip(recs["push_in_minutes"], recs["pull_out_minutes"], strict=True)
            ],
            "confidence": recs["confidence"].map(confidence_text).to_numpy()
            if "confidence" in recs
            else "",
            "current_model": [
                model_label(model) + (" (decided)" if when else "")
                for model, when in zip(current, decided_on, strict=True)
            ],
            "differs": differs.to_numpy(),
            "close_call": np.asarray(close, dtype=bool),
            "progress": recs.get("progress_decision", pd.Series("", index=recs.index))
            .fillna("")
            .map(progress_label)
            .to_numpy(),
            "lre_category": recs.get("lre_category", pd.Series("", index=recs.index))
            .map(lre_label)
            .to_numpy(),
            "imported_model": imported.map(model_label).to_numpy(),
            "decided_on": decided_on.to_numpy(),
            "urgency": np.asarray(urgency, dtype=int),
            "attention": attention,
        }
    )
    order = np.lexsort((table["student"].astype(str).str.lower().to_numpy(), -table["urgency"]))
    return table.iloc[order].reset_index(drop=True)


def decided_models(decisions: list[DecisionRecord]) -> pd.DataFrame:
    """The decision that stands for each service (not corrected later; the newest): columns
    service_id, decided_model (code), meeting_date (ISO text). `decisions` are the store's
    records, newest first (`Store.all_decisions`)."""
    rows: dict[str, dict[str, str]] = {}
    for record in decisions:
        if getattr(record, "superseded_by", None) is not None or record.service_id in rows:
            continue
        model = getattr(record.decided_model, "value", record.decided_model)
        rows[record.service_id] = {
            "service_id": str(record.service_id),
            "decided_model": str(model or getattr(record.recommendation, "value", "")),
            "meeting_date": str(record.meeting_date),
        }
    return pd.DataFrame(
        list(rows.values()), columns=["service_id", "decided_model", "meeting_date"]
    )


_CASELOAD_DTYPES = {"differs": bool, "close_call": bool, "urgency": int}


@dataclass(frozen=True)
class CaseloadCounts:
    services: int
    students: int
    differs: int
    change_goals: int
    close_calls: int


def caseload_counts(recs: pd.DataFrame, goals: pd.DataFrame | None = None) -> CaseloadCounts:
    """The numbers at the top of the caseload page."""
    if recs.empty:
        change = 0
    elif goals is not None and not goals.empty and "decision" in goals:
        known = set(recs["service_id"].tolist())
        kept = np.fromiter(
            (sid in known for sid in goals["service_id"].tolist()), dtype=bool, count=len(goals)
        )
        change = int((goals["decision"].to_numpy(dtype=object)[kept] == "change").sum())
    else:
        change = 0
    return CaseloadCounts(
        services=len(recs),
        students=int(recs["student_id"].nunique()) if not recs.empty else 0,
        differs=int(differs_from_current(recs).sum()),
        change_goals=change,
        close_calls=int(close_calls(recs).sum()),
    )


@dataclass(frozen=True)
class CaseloadFilter:
    schools: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    recommendations: tuple[str, ...] = ()
    only_differs: bool = False
    only_close_calls: bool = False
    only_change: bool = False
    text: str = ""
    # Students found by the private finder (real name or id matched on the server): kept
    # besides those whose shown label holds `text`.
    student_ids: tuple[str, ...] = ()


def filter_caseload(table: pd.DataFrame, how: CaseloadFilter) -> pd.DataFrame:
    """The rows the filters keep (an empty choice keeps everything)."""
    keep = pd.Series(True, index=table.index)
    for column, chosen in (
        ("school", how.schools),
        ("provider", how.providers),
        ("service", how.services),
        ("recommendation", how.recommendations),
    ):
        if chosen:
            keep &= table[column].isin(chosen)
    if how.only_differs:
        keep &= table["differs"]
    if how.only_close_calls:
        keep &= table["close_call"]
    if how.only_change:
        keep &= table["progress"] == PROGRESS_LABELS["change"]
    text = how.text.strip().lower()
    if text:
        shown = table["student"].astype(str).str.lower().str.contains(text, regex=False)
        if how.student_ids:
            shown |= table["student_id"].isin(how.student_ids)
        keep &= shown
    return table[keep]


def options(table: pd.DataFrame, column: str) -> list[str]:
    """The distinct values of a table column, sorted, for a filter widget."""
    if table.empty or column not in table:
        return []
    return sorted(str(v) for v in table[column].dropna().unique())


def student_choices(
    district: District, labels: pd.Series, with_services: bool = False
) -> list[str]:
    """Student ids ordered by the label shown, for a select box (`with_services`: only the
    students who have at least one service)."""
    ids = district.students["student_id"].to_numpy(dtype=object).astype(str)
    if with_services:
        # A set, not Series.isin / np.isin: both take slow paths on these string arrays.
        known = set(district.services["student_id"].tolist())
        ids = ids[np.fromiter((i in known for i in ids), dtype=bool, count=len(ids))]
    if not len(ids):
        return []
    shown = labels.reindex(ids).to_numpy(dtype=object)
    shown = np.where(pd.isna(shown), ids, shown).astype(str)
    order = np.lexsort((ids, np.char.lower(shown)))
    return ids[order].tolist()


def student_of_service(district: District, service_id: str) -> str | None:
    rows = district.services.loc[district.services["service_id"] == service_id, "student_id"]
    return None if rows.empty else str(rows.iloc[0])


LOAD_SCENARIOS: dict[str, str] = {
    "current": "Current models",
    "recommended": "Recommended models",
}
LOAD_COLUMNS: tuple[str, ...] = (
    "provider_id",
    "provider",
    "role",
    "services",
    "current",
    "recommended",
    "capacity",
    "status",
)
STATUS_LABELS: dict[str, str] = {
    "ok": "Within capacity",
    "near_capacity": "Near capacity",
    "over_capacity": "Over capacity",
    "no_capacity": "No capacity recorded",
}


def school_district(district: District, school_id: str) -> District:
    """The part of a district at one school (its students and their services and goals)."""
    students = district.students[district.students["school_id"] == school_id]
    services = district.services[district.services["student_id"].isin(students["student_id"])]
    goals = district.goals[district.goals["service_id"].isin(services["service_id"])]
    return District(
        schools=district.schools[district.schools["school_id"] == school_id],
        students=students,
        providers=district.providers,
        services=services,
        goals=goals,
        progress=district.progress[district.progress["goal_id"].isin(goals["goal_id"])],
        source=district.source,
    )


def provider_load(
    recs: pd.DataFrame, district: District, rules: Any = None, school_id: str | None = None
) -> pd.DataFrame:
    """Per provider with services: provider minutes a week under today's models and under the
    recommended ones (`staffing.provider_load`), capacity and status, in the page's words.

    Columns `LOAD_COLUMNS`. `school_id` keeps the services of one school's students.
    """
    from pushin_rules.decide.staffing import provider_load as staffing_load

    if school_id:
        district = school_district(district, school_id)
    if recs.empty or district.services.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LOAD_COLUMNS})
    push_in = pd.Series(
        recs["push_in_minutes"].to_numpy(dtype=float),
        index=recs["service_id"].to_numpy(dtype=object),
    )
    load = staffing_load(district, push_in, rules)
    load = load[load["services"] > 0]
    out = pd.DataFrame(
        {
            "provider_id": load["provider_id"].to_numpy(dtype=object),
            "provider": load["name"].astype(str).to_numpy(dtype=object),
            "role": load["role"].map(lambda r: label(ROLE_LABELS, r) if r else "").to_numpy(),
            "services": load["services"].to_numpy(),
            "current": load["provider_minutes_now"].round(0).to_numpy(dtype=float),
            "recommended": load["provider_minutes_recommended"].round(0).to_numpy(dtype=float),
            "capacity": load["weekly_capacity_minutes"].to_numpy(dtype=float),
            "status": load["status_recommended"].map(lambda v: label(STATUS_LABELS, v)).to_numpy(),
        }
    )
    return out.sort_values("provider", kind="stable").reset_index(drop=True)


def provider_load_long(load: pd.DataFrame) -> pd.DataFrame:
    """The load table in long form for a grouped bar chart: provider, scenario, minutes,
    capacity (one row per provider and scenario)."""
    if load.empty:
        return pd.DataFrame(
            {
                "provider": pd.Series(dtype=object),
                "scenario": pd.Series(dtype=object),
                "minutes": pd.Series(dtype=float),
                "capacity": pd.Series(dtype=float),
            }
        )
    long = load.melt(
        id_vars=["provider", "capacity"],
        value_vars=list(LOAD_SCENARIOS),
        var_name="scenario",
        value_name="minutes",
    )
    long["scenario"] = long["scenario"].map(LOAD_SCENARIOS)
    return long[["provider", "scenario", "minutes", "capacity"]]


def _school_of(district: District) -> pd.Series:
    return district.students.set_index("student_id")["school_id"]
