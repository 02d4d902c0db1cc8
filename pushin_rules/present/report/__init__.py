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

Where each part lives:
- `summary.py`  `service_summary` (a service as the summary shows it) and the words and
                helpers both formats share;
- `content.py`  what both formats show, as plain text (who is named, current decisions);
- `markdown.py` `meeting_summary_markdown` and `md_text`;
- `pdf.py`      `meeting_summary_pdf`;
- `records_csv.py` `decisions_frame` and `decisions_csv`.
"""

from __future__ import annotations

from pushin_rules.present.report.markdown import TITLE, md_text, meeting_summary_markdown
from pushin_rules.present.report.pdf import (
    DEJAVU_DIR,
    LAST_PAGE_MIN_FILL,
    meeting_summary_pdf,
    unicode_font_available,
)
from pushin_rules.present.report.records_csv import (
    DECISION_CSV_COLUMNS,
    decisions_csv,
    decisions_frame,
)
from pushin_rules.present.report.summary import (
    CLOSING,
    DEFINITIONS,
    INTRO,
    MODEL_WORDS,
    SCHOOL_TASKS_NOTE,
    model_words,
    service_summary,
    split_words,
)

__all__ = [
    "CLOSING",
    "DECISION_CSV_COLUMNS",
    "DEFINITIONS",
    "DEJAVU_DIR",
    "INTRO",
    "LAST_PAGE_MIN_FILL",
    "MODEL_WORDS",
    "SCHOOL_TASKS_NOTE",
    "TITLE",
    "decisions_csv",
    "decisions_frame",
    "md_text",
    "meeting_summary_markdown",
    "meeting_summary_pdf",
    "model_words",
    "service_summary",
    "split_words",
    "unicode_font_available",
]
