"""The Meeting page's decision form: attendees, override choices, whole-session splits and the
fields a recorded decision carries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from pushin_rules.data.district import District
from pushin_rules.present.student_view import lre_summary
from pushin_rules.present.words import MODELS, _value

if TYPE_CHECKING:
    from pushin_rules.decide.engine import Recommendation


def parse_attendees(text: str) -> list[str]:
    """Names typed one per line (or separated by commas or semicolons), blanks dropped."""
    import re

    return [part.strip() for part in re.split(r"[\n;,]+", text or "") if part.strip()]


def override_models(
    recommended: object, minutes: int | None = None, session_minutes: int | None = None
) -> list[str]:
    """The models a team can choose when it overrides: every model but the recommended one,
    except a hybrid, which the team may keep with a different split. A hybrid is offered
    only when the week holds at least two whole sessions (one in class, one out)."""
    code = str(_value(recommended))
    models = [m for m in MODELS if m != code or m == "hybrid"]
    if minutes is not None and not hybrid_sessions(minutes, session_minutes):
        models = [m for m in models if m != "hybrid"]
    return models


def hybrid_sessions(minutes: int, session_minutes: int | None) -> list[int]:
    """The minutes in class a hybrid can have when it splits whole sessions: every multiple
    of the session length from one session to all but one (empty when the week has fewer
    than two sessions). Without a usable session length, any whole minute split."""
    minutes = int(minutes)
    session = int(session_minutes or 0)
    if session <= 0 or minutes % session:
        # No session length, or a week that is not whole sessions: whole minutes only.
        return list(range(1, minutes))
    return list(range(session, minutes, session))  # empty below two sessions


def decided_split(
    model: str, minutes: int, push_in: int | None = None, session_minutes: int | None = None
) -> tuple[int, int]:
    """(minutes in class, minutes out of class) for a model the team chose. A hybrid splits
    whole sessions: its minutes in class are moved to the nearest whole number of sessions,
    at least one session on each side (`hybrid_sessions`)."""
    if model == "push_in":
        return minutes, 0
    if model == "pull_out":
        return 0, minutes
    allowed = hybrid_sessions(minutes, session_minutes) or list(range(1, max(minutes, 2)))
    wanted = int(push_in if push_in is not None else minutes // 2)
    inside = min(allowed, key=lambda m: (abs(m - wanted), m))
    return inside, minutes - inside


def decision_fields(
    rec: Recommendation,
    *,
    decision: str,
    attendees: list[str],
    meeting_date: Any,
    recorded_by: str,
    model: str | None = None,
    push_in: int | None = None,
    rationale: str = "",
    supersedes: int | None = None,
    session_minutes: int | None = None,
) -> dict[str, Any]:
    """The fields of `store.DecisionInput` for one service's decision at a meeting. An adopted
    decision takes the recommendation's model and split; an override the team's."""
    fields: dict[str, Any] = {
        "student_id": rec.student_id,
        "service_id": rec.service_id,
        "recommendation": _value(rec.recommendation),
        "rec_push_in_minutes": rec.split.push_in_minutes,
        "rec_pull_out_minutes": rec.split.pull_out_minutes,
        "explanation": rec.model_dump(mode="json"),
        "decision": decision,
        "rationale": rationale.strip(),
        "attendees": attendees,
        "meeting_date": meeting_date,
        "recorded_by": recorded_by,
        "rules_name": rec.rules_name,
        "rules_version": rec.rules_version,
        "rules_hash": rec.rules_hash,
        "supersedes": supersedes,
    }
    if decision == "overridden":
        chosen = model or _value(rec.recommendation)
        inside, outside = decided_split(str(chosen), rec.minutes_per_week, push_in, session_minutes)
        fields.update(
            decided_model=chosen,
            decided_push_in_minutes=inside,
            decided_pull_out_minutes=outside,
        )
    return fields


def meeting_student(
    district: District, recs: pd.DataFrame, student_id: str, shown_as: str
) -> dict[str, Any]:
    """The `report` module's student mapping for the meeting summary."""
    student = district.student(student_id)
    schools = district.schools.set_index("school_id")["name"]
    lre = lre_summary(recs, student_id) or {}
    return {
        "student_id": student.student_id,
        "name": student.name,
        "grade": student.grade,
        "school": str(schools.get(student.school_id, student.school_id)),
        "classroom": student.classroom,
        "case_manager": str(getattr(student, "case_manager", "") or ""),
        "pseudonym": shown_as,
        "lre_percent": lre.get("adopted"),
        "lre_category": lre.get("adopted_category", ""),
    }
