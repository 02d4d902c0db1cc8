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
from pushin_rules.present.words import SERVICE_LABELS

# Debian's fonts-dejavu-core; without it the PDF falls back to Helvetica (Latin-1 only).
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")

MODEL_WORDS: dict[str, str] = {
    "push_in": "In the classroom (push-in)",
    "pull_out": "In a separate room (pull-out)",
    "hybrid": "Split between the classroom and a separate room (hybrid)",
}
DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        "In the classroom (push-in)",
        "the specialist works with your child inside the regular classroom, during the lesson.",
    ),
    (
        "In a separate room (pull-out)",
        "your child leaves the classroom for this time and works with the specialist in a "
        "therapy room or resource room.",
    ),
    (
        "Split (hybrid)",
        "the weekly minutes are divided: some in the classroom, the rest in a separate room.",
    ),
    (
        "Least restrictive environment (LRE)",
        "the law (IDEA) says children with disabilities learn alongside classmates without "
        "disabilities as much as is right for them; time away from the classroom needs a "
        "reason.",
    ),
)
INTRO = (
    "This summary lists each service in the IEP: where the decision-support tool suggested it "
    "take place and why, and what the IEP team decided. The tool only suggests; the team, "
    "including you, decides."
)
FEASIBILITY_INTRO = (
    "What the school needs to arrange (this never changes the suggestion: services are "
    "decided by your child's needs, not by staffing)"
)
CLOSING = (
    "Questions about this summary? Ask your child's case manager. You can ask the team to "
    "look at these decisions again at any time."
)
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


def service_summary(recommendation: Mapping[str, Any], label: str | None = None) -> dict:
    """The report's service dict from `engine.Recommendation.model_dump(mode="json")`."""
    split = recommendation.get("split") or {}
    minutes = int(recommendation.get("minutes_per_week", 0))
    kind = str(recommendation.get("service", ""))
    reasons = [
        c["sentence"]
        for c in recommendation.get("contributions", [])
        if c.get("counts") and c.get("sentence")
    ]
    return {
        "service_id": recommendation.get("service_id", ""),
        "label": label or f"{SERVICE_LABELS.get(kind, kind)}, {minutes} minutes a week",
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
    """Everything both formats show, as plain (unescaped) text."""
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
    facts.append(("Summary made", _long_date(generated)))

    lre = None
    percent = student.get("lre_percent")
    if percent is not None and math.isfinite(float(percent)):
        lre = f"About {float(percent):.1f}% of the school week in the regular "
        lre += "classroom"
        if student.get("lre_category"):
            lre += f" (federal reporting group: {who.text(student['lre_category'])})"
        lre += "."

    blocks = []
    attendees: list[str] = []
    rules: list[str] = []
    for service in services:
        sid = str(service.get("service_id", ""))
        rec = _code(service.get("recommendation"))
        lines: list[tuple[str, str]] = [
            (
                "Suggested",
                f"{model_words(rec)}: "
                + split_words(rec, service.get("push_in_minutes"), service.get("pull_out_minutes"))
                + ".",
            )
        ]
        if service.get("confidence"):
            lines.append(("How sure the tool is", who.text(service["confidence"])))
        block: dict[str, Any] = {
            "service_id": sid,
            "title": who.text(service.get("label") or sid),
            "lines": lines,
            "reasons": [who.text(r) for r in service.get("reasons", []) if str(r).strip()],
            "feasibility": [who.text(r) for r in service.get("feasibility", []) if str(r).strip()],
            "after": [],
        }
        if str(service.get("progress", "")).strip():
            block["after"].append(("Progress so far", who.text(service["progress"])))
        record = current.get(sid)
        if record is None:
            block["after"].append(
                ("The team decided", "No decision has been recorded for this service yet.")
            )
        else:
            decided = split_words(
                record.get("decided_model"),
                record.get("decided_push_in_minutes"),
                record.get("decided_pull_out_minutes"),
            )
            if record.get("decision") == "adopted":
                verdict = f"Followed the suggestion: {model_words(record.get('decided_model'))}"
            else:
                verdict = f"Chose differently: {model_words(record.get('decided_model'))}"
            block["after"].append(("The team decided", f"{verdict}, {decided}."))
            if str(record.get("rationale", "")).strip():
                block["after"].append(("Why the team decided this", who.text(record["rationale"])))
            then = _code(record.get("recommendation"))
            then_split = (record.get("rec_push_in_minutes"), record.get("rec_pull_out_minutes"))
            now_split = (service.get("push_in_minutes"), service.get("pull_out_minutes"))
            if then and (then != rec or then_split != now_split):
                block["after"].append(
                    (
                        "Note",
                        f"At the meeting the tool suggested {model_words(then)}, "
                        f"{split_words(then, *then_split)}; the data has changed since.",
                    )
                )
            for person in record.get("attendees") or []:
                if person not in attendees:
                    attendees.append(person)
            ruleset = (
                f"rule set \u201c{record.get('rules_name', '')}\u201d, version "
                f"{record.get('rules_version', '')} (file fingerprint "
                f"{str(record.get('rules_hash', ''))[:16]})"
            )
            if ruleset not in rules:
                rules.append(ruleset)
        blocks.append(block)

    if deidentified:
        people = [f"{len(attendees)} people attended (names hidden)."] if attendees else []
    else:
        people = [who.text(p) for p in attendees]
    record_lines = [f"Recommendations and decisions recorded under {r}." for r in rules]
    return {
        "facts": facts,
        "lre": lre,
        "services": blocks,
        "attendees": people,
        "record": record_lines,
    }


# --------------------------------------------------------------------------- Markdown


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
    out = ["# Meeting summary: where services take place", ""]
    out += [f"**{title}:** {esc(value)}  " for title, value in c["facts"]]
    out += ["", INTRO, "", "## What the words mean", ""]
    out += [f"- **{term}:** {meaning}" for term, meaning in DEFINITIONS]
    if c["lre"]:
        out += ["", "## Time in the regular classroom", "", esc(c["lre"])]
    for block in c["services"]:
        out += ["", f"## {esc(block['title'])}", ""]
        out += [f"**{title}:** {esc(text)}" + "\n" for title, text in block["lines"]]
        if block["reasons"]:
            out += ["**Why:**", "", *[f"- {esc(r)}" for r in block["reasons"]], ""]
        if block["feasibility"]:
            out += [f"**{FEASIBILITY_INTRO}:**", ""]
            out += [*[f"- {esc(r)}" for r in block["feasibility"]], ""]
        out += [f"**{title}:** {esc(text)}" + "\n" for title, text in block["after"]]
        png = (charts or {}).get(block["service_id"])
        if png:
            data = base64.b64encode(png).decode("ascii")
            out += [f"![Progress chart](data:image/png;base64,{data})", ""]
    if c["attendees"]:
        out += ["", "## Who attended", ""]
        out += [f"- {esc(p)}" for p in c["attendees"]]
    out += ["", "---", ""]
    out += [esc(line) + "  " for line in c["record"]]
    out += ["", CLOSING, ""]
    return "\n".join(out).replace("\n\n\n", "\n\n")


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

    def footer(self) -> None:
        self.set_y(-12)
        self.font(8)
        self.cell(0, 6, self.safe(f"Page {self.page_no()}"), align="C")

    def font(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def safe(self, text: str) -> str:
        if self.unicode_font:
            return text
        # Core fonts only know Latin-1: typographic punctuation becomes ASCII, the rest "?".
        for before, after in _LATIN1.items():
            text = text.replace(before, after)
        return text.encode("latin-1", "replace").decode("latin-1")

    def para(self, text: str, size: float = 10.5, bold: bool = False, gap: float = 1.5) -> None:
        self.font(size, bold)
        self.multi_cell(
            0, size * 0.5, self.safe(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.ln(gap)

    def labelled(self, title: str, text: str) -> None:
        self.font(10.5, bold=True)
        self.write(5.5, self.safe(f"{title}: "))
        self.font(10.5)
        self.write(5.5, self.safe(text))
        self.ln(7)

    def bullets(self, items: Sequence[str]) -> None:
        mark = "\u2022" if self.unicode_font else "-"
        self.font(10.5)
        for item in items:
            self.set_x(self.l_margin + 4)
            self.multi_cell(
                0,
                5.5,
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
    """The meeting summary as a PDF (US Letter), same content as the Markdown."""
    c = _content(student, services, decisions, deidentified, generated)
    pdf = _Pdf(unicode_font=unicode_font_available())
    # Fixed metadata: no student name in the file's properties, same input -> same bytes.
    pdf.set_title("Meeting summary")
    pdf.set_creator("pushin-rules")
    pdf.set_creation_date(dt.datetime.combine(generated, dt.time(), dt.UTC))
    pdf.add_page()
    pdf.para("Meeting summary: where services take place", size=16, bold=True, gap=3)
    for title, value in c["facts"]:
        pdf.labelled(title, value)
    pdf.ln(1)
    pdf.para(INTRO)
    pdf.para("What the words mean", size=13, bold=True)
    for term, meaning in DEFINITIONS:
        pdf.labelled(term, meaning)
    if c["lre"]:
        pdf.para("Time in the regular classroom", size=13, bold=True)
        pdf.para(c["lre"])
    for block in c["services"]:
        pdf.ln(2)
        pdf.para(block["title"], size=13, bold=True)
        for title, text in block["lines"]:
            pdf.labelled(title, text)
        if block["reasons"]:
            pdf.para("Why:", bold=True, gap=0.5)
            pdf.bullets(block["reasons"])
        if block["feasibility"]:
            pdf.para(FEASIBILITY_INTRO + ":", bold=True, gap=0.5)
            pdf.bullets(block["feasibility"])
        for title, text in block["after"]:
            pdf.labelled(title, text)
        png = (charts or {}).get(block["service_id"])
        if png:
            pdf.image(io.BytesIO(png), w=pdf.epw * 0.8)
            pdf.ln(2)
    if c["attendees"]:
        pdf.ln(2)
        pdf.para("Who attended", size=13, bold=True)
        pdf.bullets(c["attendees"])
    pdf.ln(2)
    for line in c["record"]:
        pdf.para(line, size=8.5)
    pdf.para(CLOSING, size=9.5)
    return bytes(pdf.output())


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
