"""The meeting summary as a PDF, US Letter (`meeting_summary_pdf`): same content as the
Markdown, laid out again with smaller charts when the last page would be nearly blank."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

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

# Debian's fonts-dejavu-core; without it the PDF falls back to Helvetica (Latin-1 only).
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")


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
    decisions: Iterable[DecisionRecord | Mapping[str, object]],
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
