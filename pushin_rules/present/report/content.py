"""What both formats of the meeting summary show, as plain (unescaped) text: who is named
(`_Privacy`), the decision that stands per service, and the blocks of each service."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pushin_rules.present import family_words
from pushin_rules.present.report.summary import _as_dict, _code

if TYPE_CHECKING:
    from pushin_rules.data.store import DecisionRecord


def _current_decisions(
    decisions: Iterable[DecisionRecord | Mapping[str, object]],
) -> dict[str, dict]:
    """Per service the record that stands: not superseded, newest (highest id)."""
    best: dict[str, dict] = {}
    for record in map(_as_dict, decisions):
        if record.get("superseded_by") is not None:
            continue
        sid = str(record.get("service_id", ""))
        if sid not in best or int(record.get("id") or 0) > int(best[sid].get("id") or 0):
            best[sid] = record
    return best


def _long_date(value: object) -> str:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value:%B} {value.day}, {value.year}"
    return str(value or "")


def _initials(name: str) -> str:
    parts = re.findall(r"[^\W\d_]+", name)
    return ".".join(p[0].upper() for p in parts[:3]) + "." if parts else "the student"


class _Privacy:
    """Who the summary names, and scrubbing of the student's name from free text."""

    def __init__(self, student: Mapping[str, Any], deidentified: bool) -> None:
        self.deidentified = deidentified
        name = str(student.get("name", "")).strip()
        self.name = name
        self.label = (
            str(student.get("pseudonym") or "").strip() or _initials(name)
            if deidentified
            else name or "the student"
        )
        # Each part of the name (and the id) is replaced wherever typed text mentions it.
        tokens = [t for t in re.findall(r"[^\W_]+", name) if len(t) >= 2]
        sid = str(student.get("student_id", "")).strip()
        if sid:
            tokens.append(sid)
        tokens.sort(key=len, reverse=True)
        self._pattern = (
            re.compile(r"\b(" + "|".join(map(re.escape, tokens)) + r")\b", re.IGNORECASE)
            if deidentified and tokens
            else None
        )

    def text(self, value: object) -> str:
        text = " ".join(str(value or "").split())  # one line: no Markdown structure from input
        if self._pattern is not None:
            text = self._pattern.sub(self.label, text)
        return text


def _content(
    student: Mapping[str, Any],
    services: Sequence[Mapping[str, Any]],
    decisions: Iterable[DecisionRecord | Mapping[str, object]],
    deidentified: bool,
    generated: dt.date,
) -> dict:
    """Everything both formats show, as plain (unescaped) text, in the family's words: for
    each service what the team decided, what the tool suggested and why, the goals by their
    description with a progress sentence, what the school will set up, and what happens
    next; who to contact."""
    who = _Privacy(student, deidentified)
    current = _current_decisions(decisions)
    facts = [("Student", who.label + (" (name hidden)" if deidentified else ""))]
    grade = str(student.get("grade", "")).strip()
    if grade:
        facts.append(("Grade", "Kindergarten" if grade.upper() == "K" else grade))
    if not deidentified:
        for key, title in (("school", "School"), ("classroom", "Class")):
            if str(student.get(key, "")).strip():
                facts.append((title, who.text(student[key])))
    meetings = [r["meeting_date"] for r in current.values() if r.get("meeting_date")]
    if meetings:
        facts.append(("Meeting", _long_date(max(meetings, key=str))))
    facts.append(("Made on", _long_date(generated)))

    lre = None
    percent = student.get("lre_percent")
    if percent is not None and math.isfinite(float(percent)):
        lre = family_words.lre(percent)

    blocks = []
    attendees: list[str] = []
    rules: list[str] = []
    for service in services:
        sid = str(service.get("service_id", ""))
        rec = _code(service.get("recommendation"))
        suggested = (
            f"{family_words.place(rec)}: "
            + family_words.minutes_words(
                service.get("push_in_minutes"),
                service.get("pull_out_minutes"),
                service.get("split_pattern", "weekly"),
            )
            + "."
        )
        family = service.get("family_reasons")
        if family:
            reasons = [(side, who.text(text)) for side, text in family]
        else:
            reasons = [("", who.text(r)) for r in service.get("reasons", []) if str(r).strip()]
        tasks = service.get("school_tasks")
        if tasks is None:
            tasks = service.get("feasibility", [])
        goals = [
            (who.text(g.get("description", "")), who.text(g.get("progress", "")))
            for g in service.get("goals") or []
        ]
        block: dict[str, Any] = {
            "service_id": sid,
            "title": who.text(service.get("family_title") or service.get("label") or sid),
            "suggested": suggested,
            "confidence": who.text(
                service.get("family_confidence") or service.get("confidence") or ""
            ),
            "reasons": reasons,
            "goals": goals,
            "progress": "" if goals else who.text(service.get("progress", "")),
            "tasks": [who.text(t) for t in tasks if str(t).strip()],
            "decided": family_words.NOT_DECIDED,
            "why_team": "",
            "next": family_words.NEXT_NOT_DECIDED,
            "note": "",
        }
        record = current.get(sid)
        if record is not None:
            block["decided"] = family_words.decided(
                str(record.get("decision", "")),
                record.get("decided_model"),
                record.get("decided_push_in_minutes"),
                record.get("decided_pull_out_minutes"),
            )
            block["next"] = family_words.NEXT_DECIDED
            if str(record.get("rationale", "")).strip():
                block["why_team"] = who.text(record["rationale"])
            then = _code(record.get("recommendation"))
            then_split = (record.get("rec_push_in_minutes"), record.get("rec_pull_out_minutes"))
            now_split = (service.get("push_in_minutes"), service.get("pull_out_minutes"))
            if then and (then != rec or then_split != now_split):
                block["note"] = (
                    "New scores came in after the meeting. At the meeting the tool suggested: "
                    f"{family_words.place(then)}, "
                    f"{family_words.minutes_words(*then_split)}."
                )
            for person in record.get("attendees") or []:
                if person not in attendees:
                    attendees.append(person)
            ruleset = (
                f"rules \u201c{record.get('rules_name', '')}\u201d, version "
                f"{record.get('rules_version', '')} (file "
                f"{str(record.get('rules_hash', ''))[:16]})"
            )
            if ruleset not in rules:
                rules.append(ruleset)
        blocks.append(block)

    if deidentified:
        people = [f"{len(attendees)} people attended (names hidden)."] if attendees else []
    else:
        people = [who.text(p) for p in attendees]
    record_lines = [f"For the school's records: the tool used the {r}." for r in rules]
    return {
        "facts": facts,
        "contact": family_words.contact(str(student.get("case_manager", "")), deidentified),
        "lre": lre,
        "services": blocks,
        "attendees": people,
        "record": record_lines,
    }


def _reason_groups(reasons: Sequence[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """Reasons grouped under their side's heading, in order of first appearance."""
    groups: dict[str, list[str]] = {}
    for side, text in reasons:
        groups.setdefault(side, []).append(text)
    return list(groups.items())
