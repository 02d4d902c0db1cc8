"""Meeting summaries for families and files (Markdown and PDF), and the decision records as a
CSV a spreadsheet opens safely.

Plain words for parents: every code (push_in, pull_out, hybrid) is shown as words, the terms
are defined on the page, and text typed by people (names, rationales) is shown literally.

Shapes the functions take (extra keys are ignored):

student: {"student_id": str, "name": str, "grade": str, optional "school": str (its name),
    "classroom": str, "pseudonym": str (the label to show when de-identified; initials
    otherwise), "lre_percent": float (percent of the week inside the regular class),
    "lre_category": str (e.g. "80% or more")}

service (one per IEP service; `service_summary` builds it from an engine Recommendation):
    {"service_id": str, "label": str ("Speech-language therapy, 60 minutes a week"),
    "recommendation": "push_in" | "pull_out" | "hybrid", "push_in_minutes": int,
    "pull_out_minutes": int, "confidence": str (a sentence or a word), "reasons": [sentence],
    "feasibility": [sentence] (what the school must arrange; never changes the suggestion),
    "progress": str (what the progress data says; "" when there is none)}

decision: a `store.DecisionRecord` or its `model_dump()`; per service the current record
    (not superseded, highest id) is shown.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from pushin_rules.data.csvsafe import to_csv_text
from pushin_rules.present import family_words
from pushin_rules.present.words import SERVICE_LABELS

# Debian's fonts-dejavu-core; without it the PDF falls back to Helvetica (Latin-1 only).
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")

MODEL_WORDS: dict[str, str] = family_words.PLACES
DEFINITIONS: tuple[tuple[str, str], ...] = family_words.DEFINITIONS
INTRO = family_words.INTRO
SCHOOL_TASKS_NOTE = family_words.SCHOOL_TASKS_NOTE
CLOSING = "You can ask the team to look at these choices again at any time."
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


# --------------------------------------------------------------------------- shaping


def service_summary(
    recommendation: Mapping[str, Any],
    label: str | None = None,
    goals: Sequence[Mapping[str, str]] | None = None,
) -> dict:
    """The report's service dict from `engine.Recommendation.model_dump(mode="json")`.

    `goals`: [{"description": the goal's own text, "progress": a plain sentence}] for the
    family summary, which names goals by what they say (never by their ids)."""
    split = recommendation.get("split") or {}
    minutes = int(recommendation.get("minutes_per_week", 0))
    kind = str(recommendation.get("service", ""))
    reasons = [
        c["sentence"]
        for c in recommendation.get("contributions", [])
        if c.get("counts") and c.get("sentence")
    ]
    contributions = list(recommendation.get("contributions", []))
    notes = list(recommendation.get("feasibility_notes", []))
    return {
        "service_id": recommendation.get("service_id", ""),
        "label": label or f"{SERVICE_LABELS.get(kind, kind)}, {minutes} minutes a week",
        # The family wording (family_words): the service by its plain name, the reasons by
        # the side they pull, how sure the tool is, and what the school will set up.
        "family_title": f"{family_words.service_name(kind)}: {minutes} minutes a week",
        "family_reasons": family_words.reasons(contributions),
        "family_confidence": family_words.confidence(recommendation.get("confidence")),
        "school_tasks": family_words.school_tasks(contributions, notes),
        "goals": list(goals or []),
        "recommendation": _code(recommendation.get("recommendation")),
        "push_in_minutes": int(split.get("push_in_minutes", 0)),
        "pull_out_minutes": int(split.get("pull_out_minutes", 0)),
        "confidence": recommendation.get("confidence_sentence")
        or recommendation.get("confidence", ""),
        "reasons": [recommendation.get("rule_sentence", ""), *reasons],
        "feasibility": list(recommendation.get("feasibility_notes", [])),
        "progress": " ".join(recommendation.get("progress_evidence", [])),
    }


# Characters that make Markdown (or Streamlit's: $ is maths) do something mid-line; an
# entity (&lt;) only when it looks like one. Fewer escapes than privacy.escape_markdown, on
# purpose: parents may open the .md file as plain text, and "3\\.5" there reads badly.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~$]|&(?=#?\w+;))")
# At the start of a list item or heading these would start a nested block.
_MD_LEADING = re.compile(r"^(\s*)(?:([#>+=-])|(\d+)([.)])(?=\s|$))")


def md_text(value: object) -> str:
    """Text that Markdown shows literally: no emphasis, link, HTML, maths or nested block."""
    text = _MD_INLINE.sub(r"\\\1", str(value))
    # A backslash escapes punctuation only, so "1. x" becomes "1\\. x", not "\\1. x".
    return _MD_LEADING.sub(
        lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\{m.group(4)}"),
        text,
    )


def _code(value: object) -> str:
    # Enum members and their values alike ("DeliveryModel.push_in" must never reach a page).
    return str(getattr(value, "value", value) or "")


def _as_dict(record: Any) -> dict:
    if hasattr(record, "model_dump"):
        return record.model_dump()
    return dict(record)


def model_words(model: object) -> str:
    code = _code(model)
    return MODEL_WORDS.get(code, code.replace("_", " ").capitalize() or "Not decided")


def split_words(model: object, push_in: int, pull_out: int) -> str:
    """'30 minutes a week in the classroom and 30 in a separate room'."""
    push_in, pull_out = int(push_in or 0), int(pull_out or 0)
    if push_in and pull_out:
        return f"{push_in} minutes a week in the classroom and {pull_out} in a separate room"
    if pull_out:
        return f"all {pull_out} minutes a week in a separate room"
    return f"all {push_in} minutes a week in the classroom"


def _current_decisions(decisions: Iterable[Any]) -> dict[str, dict]:
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


# --------------------------------------------------------------------------- content


def _content(
    student: Mapping[str, Any],
    services: Sequence[Mapping[str, Any]],
    decisions: Iterable[Any],
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
                service.get("push_in_minutes"), service.get("pull_out_minutes")
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


# --------------------------------------------------------------------------- Markdown

TITLE = "Meeting summary: where your child gets help"


def meeting_summary_markdown(
    student: Mapping[str, Any],
    services: Sequence[Mapping[str, Any]],
    decisions: Iterable[Any],
    *,
    deidentified: bool,
    generated: dt.date,
    charts: Mapping[str, bytes] | None = None,
) -> str:
    """The meeting summary as Markdown; every inserted text is escaped and shown literally."""
    c = _content(student, services, decisions, deidentified, generated)
    esc = md_text
    out = [f"# {TITLE}", ""]
    out += [f"**{title}:** {esc(value)}  " for title, value in c["facts"]]
    if c["attendees"]:
        out += [f"**Who came to the meeting:** {esc('; '.join(c['attendees']))}  "]
    out += [f"**Questions?** {esc(c['contact'])}  "]
    out += ["", INTRO, "", "## Words we use", ""]
    out += [f"- **{term}:** {meaning}" for term, meaning in DEFINITIONS]
    if c["lre"]:
        out += ["", "## Time with classmates", "", esc(c["lre"])]
    for block in c["services"]:
        out += ["", f"## {esc(block['title'])}", ""]
        out += [f"**What the team decided:** {esc(block['decided'])}", ""]
        if block["why_team"]:
            out += [f"**Why the team chose this:** {esc(block['why_team'])}", ""]
        out += [f"**What the tool suggested:** {esc(block['suggested'])}", ""]
        for side, texts in _reason_groups(block["reasons"]):
            out += [f"**{esc(side) or 'Why'}:**", "", *[f"- {esc(t)}" for t in texts], ""]
        if block["confidence"]:
            out += [f"**How sure the tool is:** {esc(block['confidence'])}", ""]
        if block["goals"]:
            out += ["**Goals and progress:**", ""]
            out += [f"- **{esc(goal)}:** {esc(progress)}" for goal, progress in block["goals"]]
            out += [""]
        elif block["progress"]:
            out += [f"**Progress so far:** {esc(block['progress'])}", ""]
        if block["tasks"]:
            out += ["**What the school will set up:**", ""]
            out += [*[f"- {esc(t)}" for t in block["tasks"]], ""]
            out += [SCHOOL_TASKS_NOTE, ""]
        if block["note"]:
            out += [f"**Note:** {esc(block['note'])}", ""]
        out += [f"**What happens next:** {esc(block['next'])}", ""]
        png = (charts or {}).get(block["service_id"])
        if png:
            data = base64.b64encode(png).decode("ascii")
            out += [f"![Progress chart](data:image/png;base64,{data})", ""]
    out += ["", "## Questions", "", esc(c["contact"]) + " " + CLOSING, ""]
    if c["record"]:
        out += ["---", ""]
        out += [esc(line) + "  " for line in c["record"]]
    return "\n".join(out).replace("\n\n\n", "\n\n").rstrip("\n") + "\n"


# --------------------------------------------------------------------------- PDF


class _Pdf(FPDF):
    def __init__(self, unicode_font: bool) -> None:
        super().__init__(format="letter")
        self.unicode_font = unicode_font
        if unicode_font:
            self.add_font("DejaVu", "", str(DEJAVU_DIR / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(DEJAVU_DIR / "DejaVuSans-Bold.ttf"))
            self.family = "DejaVu"
        else:
            self.family = "Helvetica"
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=18)

    record = ""  # small print for the school's records, in every page's footer

    def footer(self) -> None:
        self.set_y(-12)
        self.font(7.5)
        text = " · ".join(t for t in (self.record, f"Page {self.page_no()}") if t)
        self.cell(0, 6, self.safe(text), align="C")

    def font(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def safe(self, text: str) -> str:
        if self.unicode_font:
            return text
        # Core fonts only know Latin-1: typographic punctuation becomes ASCII, the rest "?".
        for before, after in _LATIN1.items():
            text = text.replace(before, after)
        return text.encode("latin-1", "replace").decode("latin-1")

    body = 10.5  # body text size; a tighter layout lowers it a little

    def para(
        self, text: str, size: float | None = None, bold: bool = False, gap: float = 1.5
    ) -> None:
        size = size or self.body
        self.font(size, bold)
        self.multi_cell(
            0, size * 0.5, self.safe(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.ln(gap)

    def heading(self, text: str, keep: float = 30) -> None:
        """A section heading, moved to the next page when less than `keep` mm would follow
        it on this one (no heading alone at the foot of a page)."""
        if self.get_y() + keep > self.page_break_trigger:
            self.add_page()
        self.para(text, size=13, bold=True)

    @property
    def last_page_fill(self) -> float:
        """How much of the current (last) page's writable height is used, 0 to 1."""
        usable = self.page_break_trigger - self.t_margin
        return max(0.0, min(1.0, (self.get_y() - self.t_margin) / usable))

    def labelled(self, title: str, text: str) -> None:
        line = self.body * 0.52
        self.font(self.body, bold=True)
        self.write(line, self.safe(title + (" " if title.endswith("?") else ": ")))
        self.font(self.body)
        self.write(line, self.safe(text))
        self.ln(self.body * 0.67)

    def bullets(self, items: Sequence[str]) -> None:
        mark = "\u2022" if self.unicode_font else "-"
        self.font(self.body)
        for item in items:
            self.set_x(self.l_margin + 4)
            self.multi_cell(
                0,
                self.body * 0.52,
                self.safe(f"{mark} {item}"),
                align="L",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        self.ln(1.5)


_LATIN1 = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2022": "-",
    "\u2026": "...",
    "\u00a0": " ",
}


def unicode_font_available() -> bool:
    return all((DEJAVU_DIR / f).is_file() for f in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))


def meeting_summary_pdf(
    student: Mapping[str, Any],
    services: Sequence[Mapping[str, Any]],
    decisions: Iterable[Any],
    *,
    deidentified: bool,
    generated: dt.date,
    charts: Mapping[str, bytes] | None = None,
) -> bytes:
    """The meeting summary as a PDF (US Letter), same content as the Markdown.

    No nearly blank last page: when the last page would hold only a few lines, the summary
    is laid out again with smaller charts (then without the gaps before sections)."""
    c = _content(student, services, decisions, deidentified, generated)
    # (chart width, gap before sections, body size, start the last service on a new page)
    layouts = (
        (0.8, 2.0, 10.5, False),
        (0.6, 2.0, 10.5, False),
        (0.55, 1.0, 10.0, False),
        (0.5, 0.5, 9.5, False),
        (0.5, 0.0, 9.0, False),
        (0.8, 2.0, 10.5, True),
    )
    best = None
    for chart_width, gap, body, break_last in layouts:
        pdf = _layout_pdf(c, generated, charts, chart_width, gap, body, break_last)
        if pdf.pages_count == 1 or pdf.last_page_fill >= LAST_PAGE_MIN_FILL:
            best = pdf
            break
        if best is None or pdf.last_page_fill > best.last_page_fill:
            best = pdf
    assert best is not None
    return bytes(best.output())


# A last page filled less than this (share of its writable height) counts as nearly blank.
LAST_PAGE_MIN_FILL = 0.25


def _layout_pdf(
    c: Mapping[str, Any],
    generated: dt.date,
    charts: Mapping[str, bytes] | None,
    chart_width: float,
    gap: float,
    body: float = 10.5,
    break_last: bool = False,
) -> _Pdf:
    pdf = _Pdf(unicode_font=unicode_font_available())
    pdf.body = body
    pdf.record = " ".join(c["record"])
    # Fixed metadata: no student name in the file's properties, same input -> same bytes.
    pdf.set_title("Meeting summary")
    pdf.set_creator("pushin-rules")
    pdf.set_creation_date(dt.datetime.combine(generated, dt.time(), dt.UTC))
    pdf.add_page()
    pdf.para(TITLE, size=16, bold=True, gap=3)
    for title, value in c["facts"]:
        pdf.labelled(title, value)
    if c["attendees"]:
        pdf.labelled("Who came to the meeting", "; ".join(c["attendees"]))
    pdf.labelled("Questions?", c["contact"])
    pdf.ln(1)
    pdf.para(INTRO)
    pdf.heading("Words we use")
    for term, meaning in DEFINITIONS:
        pdf.labelled(term, meaning)
    if c["lre"]:
        pdf.heading("Time with classmates")
        pdf.para(c["lre"])
    for number, block in enumerate(c["services"], start=1):
        pdf.ln(gap)
        if break_last and number == len(c["services"]) and number > 1:
            pdf.add_page()
        pdf.heading(block["title"], keep=60)
        pdf.labelled("What the team decided", block["decided"])
        if block["why_team"]:
            pdf.labelled("Why the team chose this", block["why_team"])
        pdf.labelled("What the tool suggested", block["suggested"])
        for side, texts in _reason_groups(block["reasons"]):
            pdf.para((side or "Why") + ":", bold=True, gap=0.5)
            pdf.bullets(texts)
        if block["confidence"]:
            pdf.labelled("How sure the tool is", block["confidence"])
        if block["goals"]:
            pdf.para("Goals and progress:", bold=True, gap=0.5)
            pdf.bullets([f"{goal}: {progress}" for goal, progress in block["goals"]])
        elif block["progress"]:
            pdf.labelled("Progress so far", block["progress"])
        png = (charts or {}).get(block["service_id"])
        if png:  # beside the goals it shows, not after the next steps
            pdf.image(io.BytesIO(png), w=pdf.epw * chart_width)
            pdf.ln(2)
        if block["tasks"]:
            pdf.para("What the school will set up:", bold=True, gap=0.5)
            pdf.bullets([*block["tasks"], SCHOOL_TASKS_NOTE])
        if block["note"]:
            pdf.labelled("Note", block["note"])
        pdf.labelled("What happens next", block["next"])
    pdf.ln(gap)
    pdf.para("Questions? " + c["contact"] + " " + CLOSING, bold=True)
    return pdf


# --------------------------------------------------------------------------- CSV


def decisions_frame(decisions: Iterable[Any]) -> pd.DataFrame:
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


def decisions_csv(decisions: Iterable[Any]) -> str:
    """The decision records as CSV; a text cell a spreadsheet would run as a formula
    (=, +, -, @, tab, carriage return first) is prefixed with a quote."""
    return to_csv_text(decisions_frame(decisions))
