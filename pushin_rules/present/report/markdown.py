"""The meeting summary as Markdown (`meeting_summary_markdown`); every inserted text goes
through `md_text` and is shown literally."""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pushin_rules.present.report.content import _content, _reason_groups
from pushin_rules.present.report.summary import (
    CLOSING,
    DEFINITIONS,
    INTRO,
    SCHOOL_TASKS_NOTE,
    TITLE,
)

if TYPE_CHECKING:
    from pushin_rules.data.store import DecisionRecord

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


def meeting_summary_markdown(
    student: Mapping[str, Any],
    services: Sequence[Mapping[str, Any]],
    decisions: Iterable[DecisionRecord | Mapping[str, object]],
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
