"""Meeting summaries (Markdown and PDF) and the decision CSV: plain words for parents, the
team's reasoning on the page, nothing identifying in de-identified mode, typed text literal."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pushin_rules.data.store import DecisionInput, DecisionRecord
from pushin_rules.present import report
from pushin_rules.present.report import (
    decisions_csv,
    md_text,
    meeting_summary_markdown,
    meeting_summary_pdf,
    service_summary,
)

GENERATED = dt.date(2025, 3, 15)
STUDENT = {
    "student_id": "S0042",
    "name": "Zoë Ramírez",
    "grade": "3",
    "school": "Lincoln Elementary",
    "classroom": "3-101",
    "lre_percent": 89.7,
    "lre_category": "80% or more",
}
SERVICES = [
    {
        "service_id": "SV1",
        "label": "Speech-language therapy, 60 minutes a week",
        "recommendation": "pull_out",
        "push_in_minutes": 0,
        "pull_out_minutes": 60,
        "confidence": "Clear: one side clearly outweighs the other.",
        "reasons": ["Articulation drill needs privacy that the classroom cannot offer."],
        "feasibility": ["The therapy room is booked on Tuesdays; schedule around it."],
        "progress": "Zoë met the last four targets in the therapy room.",
    },
    {
        "service_id": "SV2",
        "label": "Occupational therapy, 90 minutes a week",
        "recommendation": "hybrid",
        "push_in_minutes": 60,
        "pull_out_minutes": 30,
        "confidence": "Leaning: one side outweighs the other, but not by much.",
        "reasons": ["Handwriting practice fits the writing lesson."],
        "feasibility": [],
        "progress": "",
    },
]


def record(**changes: object) -> DecisionRecord:
    fields: dict[str, object] = {
        "id": 1,
        "student_id": "S0042",
        "service_id": "SV1",
        "recommendation": "pull_out",
        "rec_push_in_minutes": 0,
        "rec_pull_out_minutes": 60,
        "explanation": {"confidence": "clear"},
        "decision": "overridden",
        "decided_model": "hybrid",
        "decided_push_in_minutes": 30,
        "decided_pull_out_minutes": 30,
        "rationale": "Ramírez family asked that Zoë keep 30 minutes with her class.",
        "attendees": ["Ms. Lee (teacher)", "Ana Ramírez (parent)"],
        "meeting_date": dt.date(2025, 3, 14),
        "recorded_at": dt.datetime(2025, 3, 14, 15, 30, tzinfo=dt.UTC),
        "recorded_by": "lee@district.example",
        "rules_name": "default",
        "rules_version": "2025.1",
        "rules_hash": "sha256:0123abcd",
        "supersedes": None,
        "superseded_by": None,
    }
    fields.update(changes)
    return DecisionRecord(**fields)


DECISIONS = [
    record(),
    record(
        id=2,
        service_id="SV2",
        recommendation="hybrid",
        rec_push_in_minutes=60,
        rec_pull_out_minutes=30,
        decision="adopted",
        decided_push_in_minutes=60,
        decided_pull_out_minutes=30,
        rationale="",
    ),
]


def summary(**changes: object) -> str:
    kwargs: dict = {"deidentified": False, "generated": GENERATED} | changes
    return meeting_summary_markdown(
        kwargs.pop("student", STUDENT), SERVICES, kwargs.pop("decisions", DECISIONS), **kwargs
    )


# --------------------------------------------------------------------------- PDF text


def tiny_png() -> bytes:
    """A valid 2x2 grey PNG, built here so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = zlib.compress(b"\x00\x80\x80" * 2)
    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _pdf_objects(data: bytes) -> dict[int, tuple[bytes, bytes]]:
    """{number: (dictionary, decompressed stream)} for the PDFs fpdf2 writes."""
    objects = {}
    position = 0
    header = re.compile(rb"(\d+) 0 obj\s*")
    while match := header.search(data, position):
        start = match.end()
        stream_at = data.find(b"stream", start)
        end_at = data.find(b"endobj", start)
        if stream_at != -1 and stream_at < end_at:
            head = data[start:stream_at]
            length = int(re.search(rb"/Length (\d+)", head).group(1))
            body_start = (
                stream_at
                + len(b"stream")
                + (2 if data[stream_at + 6 : stream_at + 8] == b"\r\n" else 1)
            )
            body = data[body_start : body_start + length]
            if b"/FlateDecode" in head:
                body = zlib.decompress(body)
            position = body_start + length
        else:
            head, body = data[start:end_at], b""
            position = end_at
        objects[int(match.group(1))] = (head, body)
    return objects


def _unescape(literal: bytes) -> bytes:
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def one(m: re.Match[bytes]) -> bytes:
        token = m.group(1)
        if token[:1].isdigit():
            return bytes([int(token, 8)])
        return escapes.get(token, token)

    return re.sub(rb"\\([0-7]{1,3}|.)", one, literal, flags=re.S)


def pdf_text(data: bytes) -> str:
    """The text a reader would extract: pdftotext when installed, else our own decoding of
    fpdf2's output (Type0 fonts through their ToUnicode maps, core fonts as Latin-1)."""
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
        return " ".join(done.stdout.decode().split())
    objects = _pdf_objects(data)
    fonts: dict[bytes, dict[int, str] | None] = {}
    for head, _ in objects.values():
        for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", head):
            font_head = objects[int(number)][0]
            unicode_map = re.search(rb"/ToUnicode (\d+) 0 R", font_head)
            if unicode_map is None:
                fonts[name] = None  # core font: Latin-1 bytes
                continue
            cmap = objects[int(unicode_map.group(1))][1]
            fonts[name] = {
                int(cid, 16): chr(int(uni, 16))
                for cid, uni in re.findall(rb"<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]{4,8})>", cmap)
            }
    words = []
    for head, body in objects.values():
        if not body or b"/Subtype /Image" in head or b"BT" not in body:
            continue
        font = None
        # Font changes, and literal strings shown by Tj or inside a TJ array.
        pattern = rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\)(?=\s*Tj|[^\]]*\]\s*TJ)"
        for token in re.finditer(pattern, body, re.S):
            if token.group(1):
                font = fonts.get(token.group(1))
                continue
            raw = _unescape(token.group(2))
            if font is None:
                words.append(raw.decode("latin-1"))
            else:
                codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
                words.append("".join(font.get(code, "?") for code in codes))
    return " ".join(" ".join(words).split())


# --------------------------------------------------------------------------- Markdown


def test_summary_has_each_service_its_suggestion_and_the_teams_reasons() -> None:
    text = summary()
    assert "## Speech-language therapy, 60 minutes a week" in text
    assert (
        "**What the tool suggested:** In a small room (pull-out): all 60 minutes a week in a "
        "small room." in text
    )
    assert "Articulation drill needs privacy" in text
    assert "The therapy room is booked on Tuesdays" in text
    assert "Zoë met the last four targets" in text
    assert (
        "**What the team decided:** The team chose: Split between class and a small room "
        "(hybrid), 30 minutes a week in class and 30 in a small room." in text
    )
    assert "Ramírez family asked that Zoë keep 30 minutes with her class." in text
    assert "**What the team decided:** The team agreed with the suggestion: Split" in text
    assert "**What happens next:** The school will set up this plan." in text
    assert "Your child spends about 90% of the school week in the regular class." in text
    assert "version 2025.1" in text
    assert "**Meeting:** March 14, 2025" in text
    assert "Ana Ramírez (parent)" in text


def test_summary_speaks_to_parents_not_in_codes() -> None:
    text = summary()
    for term in ("push-in", "pull-out", "Time with classmates"):
        assert term in text
    for code in ("push_in", "pull_out", "overridden", "adopted", "{", "DeliveryModel"):
        assert code not in text


def test_deidentified_summary_names_nobody() -> None:
    text = summary(deidentified=True, student={**STUDENT, "pseudonym": "Student 7QKD"})
    for secret in ("Zoë", "Ramírez", "Ramirez", "S0042", "Lincoln", "3-101", "lee@", "Ms. Lee"):
        assert secret not in text
    assert "Student 7QKD" in text
    assert "Student 7QKD family asked that Student 7QKD keep 30 minutes" in text
    assert "2 people attended (names hidden)." in text
    # Initials when no pseudonym is given.
    assert "**Student:** Z.R. (name hidden)" in summary(deidentified=True)


def test_typed_text_is_shown_literally() -> None:
    hostile = {**STUDENT, "name": "<script>alert(1)</script> **Bold** [x](javascript:y)"}
    decisions = [record(rationale="- not a list\n# not a heading <img src=x>")]
    text = summary(student=hostile, decisions=decisions)
    assert not re.search(r"(?<!\\)<", text)  # every < is escaped
    assert r"\<script\>alert(1)\</script\> \*\*Bold\*\* \[x\](javascript:y)" in text
    assert r"\- not a list # not a heading \<img src=x\>" in text  # one line, literal
    assert md_text("1. one") == r"1\. one"
    assert md_text("x & y &amp; $z$") == r"x & y \&amp; \$z\$"


def test_superseded_decisions_give_way_to_their_correction() -> None:
    corrected = [
        record(id=1, superseded_by=3, rationale="first version"),
        record(id=3, supersedes=1, rationale="corrected version"),
    ]
    text = summary(decisions=corrected)
    assert "corrected version" in text and "first version" not in text
    assert "The team has not decided yet." in text  # SV2


def test_changed_recommendation_since_the_meeting_is_pointed_out() -> None:
    old = record(recommendation="push_in", rec_push_in_minutes=60, rec_pull_out_minutes=0)
    text = summary(decisions=[old])
    assert "At the meeting the tool suggested: In class (push-in)" in text


def test_charts_are_embedded_when_given() -> None:
    png = tiny_png()
    assert "data:image/png;base64," in summary(charts={"SV1": png})
    pdf = meeting_summary_pdf(
        STUDENT,
        SERVICES,
        DECISIONS,
        deidentified=False,
        generated=GENERATED,
        charts={"SV1": png},
    )
    assert b"/Subtype /Image" in pdf


def test_service_summary_from_an_engine_recommendation() -> None:
    dumped = {
        "service_id": "SV9",
        "service": "speech_language",
        "minutes_per_week": 60,
        "recommendation": "hybrid",
        "split": {"push_in_minutes": 30, "pull_out_minutes": 30},
        "rule_sentence": "The reasons nearly balance.",
        "confidence": "close_call",
        "confidence_sentence": "Close call: the team's judgement matters most here.",
        "contributions": [
            {"sentence": "Needs a quiet room.", "counts": True},
            {"sentence": "Not a reason.", "counts": False},
        ],
        "feasibility_notes": ["Co-planning time is short."],
        "progress_evidence": ["Four points above the aimline."],
    }
    shaped = service_summary(dumped)
    assert shaped["label"] == "Speech-language therapy, 60 minutes a week"
    assert shaped["reasons"] == ["The reasons nearly balance.", "Needs a quiet room."]
    assert (shaped["push_in_minutes"], shaped["pull_out_minutes"]) == (30, 30)
    assert shaped["confidence"].startswith("Close call")
    assert shaped["progress"] == "Four points above the aimline."


# --------------------------------------------------------------------------- PDF


def test_pdf_contains_the_summary() -> None:
    data = meeting_summary_pdf(
        STUDENT, SERVICES, DECISIONS, deidentified=False, generated=GENERATED
    )
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for words in (
        "Meeting summary: where your child gets help",
        "Zoë Ramírez",
        "Speech-language therapy, 60 minutes a week",
        "In a small room (pull-out): all 60 minutes a week in a small room.",
        "Articulation drill needs privacy",
        "The team chose: Split between class and a small room (hybrid)",
        "Ramírez family asked that Zoë keep 30 minutes with her class.",
        "Time with classmates",
        "version 2025.1",
    ):
        assert words in text, words
    assert b"Zo" not in data.split(b"/Title", 1)[1][:40]  # metadata names no student


def test_pdf_deidentified_and_literal() -> None:
    student = {**STUDENT, "name": "<script> Zoë **Ramírez**"}
    text = pdf_text(
        meeting_summary_pdf(student, SERVICES, DECISIONS, deidentified=True, generated=GENERATED)
    )
    assert "Zoë" not in text and "Ramírez" not in text and "S0042" not in text
    assert "(name hidden)" in text
    shown = pdf_text(
        meeting_summary_pdf(student, SERVICES, DECISIONS, deidentified=False, generated=GENERATED)
    )
    assert "<script> Zoë **Ramírez**" in shown


def test_pdf_without_the_unicode_font_falls_back_to_latin1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(report.pdf, "unicode_font_available", lambda: False)
    hard = {**STUDENT, "name": "Zoë “Ramírez” – 李"}
    data = meeting_summary_pdf(hard, SERVICES, DECISIONS, deidentified=False, generated=GENERATED)
    assert data.startswith(b"%PDF") and b"DejaVu" not in data
    text = pdf_text(data)
    assert 'Zoë "Ramírez" - ?' in text
    assert "The team chose" in text


def test_pdf_is_reproducible() -> None:
    def make() -> bytes:
        return meeting_summary_pdf(
            STUDENT, SERVICES, DECISIONS, deidentified=False, generated=GENERATED
        )

    assert make() == make()


# --------------------------------------------------------------------------- CSV


def test_decisions_csv_escapes_formula_cells() -> None:
    hostile = [
        record(
            id=n,
            rationale=cell,
            attendees=[cell],
            recorded_by=cell,
        )
        for n, cell in enumerate(
            ['=HYPERLINK("http://x","click")', "+1", "-2", "@SUM(A1:A2)", "\tTab", "\rCR"],
            start=1,
        )
    ]
    rows = list(csv.DictReader(io.StringIO(decisions_csv(hostile))))
    assert len(rows) == 6
    for row in rows:
        for column in ("rationale", "attendees", "recorded_by"):
            assert row[column].startswith("'"), (column, row[column])
    assert rows[0]["rationale"] == '\'=HYPERLINK("http://x","click")'
    assert rows[2]["rationale"] == "'-2"
    # Numbers stay numbers, codes stay plain.
    assert rows[0]["decided_push_in_minutes"] == "30"
    assert rows[0]["decided_model"] == "hybrid"
    assert rows[0]["meeting_date"] == "2025-03-14"


def test_decisions_csv_accepts_dicts_and_keeps_every_record() -> None:
    dumped = [r.model_dump() for r in DECISIONS]
    text = decisions_csv(dumped)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["attendees"] == "Ms. Lee (teacher); Ana Ramírez (parent)"
    assert rows[0]["superseded_by"] == ""
    assert decisions_csv([]).startswith("id,meeting_date,")


def test_decision_input_fields_all_reach_the_csv() -> None:
    # A new field on decisions must be a conscious choice for the CSV, not forgotten.
    left_out = {"explanation"}
    assert set(DecisionInput.model_fields) - left_out <= set(report.DECISION_CSV_COLUMNS)


# --------------------------------------------------------------------------- family reading


def sample_summaries(deidentified: bool = False) -> Iterator[tuple[str, dict, list[dict]]]:
    """(student id, report student, report services) for students of the bundled sample
    district, shaped as the Meeting page shapes them (goals by description, progress in a
    plain sentence)."""
    from pushin_rules.data.loader import load_district
    from pushin_rules.decide.progress import goal_summary
    from pushin_rules.decide.recommend import recommend_district
    from pushin_rules.decide.rules import load_rules
    from pushin_rules.present import meeting_form, student_view, words

    district = load_district(Path(__file__).resolve().parent.parent / "sample_data")
    rules = load_rules()
    goals = goal_summary(district, rules.progress)
    recs = recommend_district(district, rules)
    for student_id in ("S0001", "S0002", "S0003", "S0004", "S0005", "S0008"):
        services = []
        for rec in student_view.student_recommendations(district, rules, goals, student_id):
            views = student_view.goal_views(district, rec.service_id, rules.progress_settings())
            services.append(
                service_summary(
                    rec.model_dump(mode="json"),
                    goals=[
                        {"description": v.description, "progress": words.plain_progress(v.analysis)}
                        for v in views
                    ],
                )
            )
        person = meeting_form.meeting_student(district, recs, student_id, "Student 7QKD")
        yield student_id, person, services


def decided(services: list[dict]) -> list[DecisionRecord]:
    """The team overrode the first service and followed the others."""
    out = []
    for number, service in enumerate(services, start=1):
        out.append(
            record(
                id=number,
                student_id="S",
                service_id=service["service_id"],
                recommendation=service["recommendation"],
                rec_push_in_minutes=service["push_in_minutes"],
                rec_pull_out_minutes=service["pull_out_minutes"],
                decision="overridden" if number == 1 else "adopted",
                decided_model="hybrid" if number == 1 else service["recommendation"],
                decided_push_in_minutes=30 if number == 1 else service["push_in_minutes"],
                decided_pull_out_minutes=30 if number == 1 else service["pull_out_minutes"],
                rationale="The family asked for time with the class." if number == 1 else "",
            )
        )
    return out


JARGON = ("aimline", "four-point", "four point", "ROI", "rate of improvement", "trend", "LRE")


@pytest.mark.parametrize("deidentified", [False, True])
def test_family_summary_of_sample_students_reads_at_grade_8_or_below(deidentified: bool) -> None:
    from pushin_rules.present.family_words import flesch_kincaid_grade, plain_text

    for student_id, person, services in sample_summaries():
        for decisions in ([], decided(services)):
            text = meeting_summary_markdown(
                person, services, decisions, deidentified=deidentified, generated=GENERATED
            )
            for word in JARGON:
                assert not re.search(rf"\b{re.escape(word)}\b", text), (student_id, word)
            assert not re.search(r"\bG\d{5}\b", text), "goal ids mean nothing to a family"
            grade = flesch_kincaid_grade(plain_text(text))
            assert grade <= 8, (student_id, deidentified, round(grade, 1))
            assert "What happens next" in text and "case manager" in text
            for service in services:
                for goal in service["goals"]:
                    assert md_text(goal["description"]) in text  # goals by what they say


def test_family_summary_names_the_case_manager_unless_deidentified() -> None:
    _, person, services = next(sample_summaries())
    named = meeting_summary_markdown(person, services, [], deidentified=False, generated=GENERATED)
    assert f"Ask {person['case_manager']}, your child's case manager." in named
    hidden = meeting_summary_markdown(person, services, [], deidentified=True, generated=GENERATED)
    assert person["case_manager"] not in hidden and person["name"] not in hidden
    assert "Ask your child's case manager." in hidden


def test_goal_text_naming_the_student_is_redacted_when_deidentified() -> None:
    service = {
        **SERVICES[0],
        "goals": [{"description": "Zoë will name 20 letters", "progress": "On track."}],
    }
    text = summary(deidentified=True, student={**STUDENT, "pseudonym": "Student 7QKD"})
    shown = meeting_summary_markdown(
        {**STUDENT, "pseudonym": "Student 7QKD"},
        [service],
        [],
        deidentified=True,
        generated=GENERATED,
    )
    assert "Zoë" not in text + shown
    assert "Student 7QKD will name 20 letters" in shown


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("The cat sat on the mat. The dog ran to the cat.", -3.0, 1.0),
        (
            "Individualized educational programming necessitates comprehensive "
            "interdisciplinary collaboration among professionals.",
            16.0,
            40.0,
        ),
    ],
)
def test_flesch_kincaid_grade_of_known_texts(text: str, low: float, high: float) -> None:
    from pushin_rules.present.family_words import flesch_kincaid_grade, syllables

    assert low <= flesch_kincaid_grade(text) <= high
    counts = {"cat": 1, "table": 2, "reading": 2, "family": 3, "education": 4, "the": 1}
    assert {word: syllables(word) for word in counts} == counts


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_has_no_nearly_blank_last_page(tmp_path) -> None:
    """Rendered page by page (pdftoppm), the last page of every sample summary carries a
    real share of the text, not a line or two."""
    for student_id, person, services in sample_summaries():
        for decisions in ([], decided(services)):
            data = meeting_summary_pdf(
                person, services, decisions, deidentified=False, generated=GENERATED
            )
            pages = render_pages(data, tmp_path / student_id)
            if len(pages) > 1:
                filled = inked_share(pages[-1])
                assert filled >= 0.15, (student_id, len(pages), round(filled, 2))


def render_pages(data: bytes, folder: Path) -> list[Path]:
    """Each page of a PDF as a grey-scale PGM image (pdftoppm, 40 dpi)."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "summary.pdf"
    source.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "40", str(source), str(folder / "page")],
        check=True,
        capture_output=True,
    )
    return sorted(folder.glob("page-*.pgm"))


def inked_share(page: Path) -> float:
    """The share of a page's height between its first and last line of ink, the footer
    (bottom 8%) left out."""
    raw = page.read_bytes()
    fields = raw.split(maxsplit=4)  # P5, width, height, maxval, pixels
    width, height = int(fields[1]), int(fields[2])
    pixels = fields[4][: width * height]
    body = int(height * 0.92)
    inked = [y for y in range(body) if min(pixels[y * width : (y + 1) * width]) < 128]
    if not inked:
        return 0.0
    return (inked[-1] - inked[0]) / body


def test_the_take_home_summary_says_an_alternating_session_as_it_happens() -> None:
    """A once-a-week session split across settings reads as 30 in class one week and 30 in a
    small room the next, never as '15 minutes a week' the family would not recognise."""
    from pushin_rules.decide.engine import recommend
    from pushin_rules.decide.rules import load_rules
    from pushin_rules.models import Service

    service = Service(
        service_id="SV1",
        student_id="S1",
        service="speech_language",
        minutes_per_week=30,
        session_minutes=30,
        group_size=1,
        intensity=0,
        distraction_sensitivity=0,
        specialized_setting=3,
        generalization=0,
        social_goals=0,
        curriculum_link=3,
        missed_core_instruction=3,
        removal_distress=0,
    )
    rec = recommend(service, load_rules())
    assert rec.split_pattern == "alternating_weeks"
    summary = report.service_summary(rec.model_dump(mode="json"))
    text = report.meeting_summary_markdown(
        {"name": "Sam", "grade": "3", "school": "Oak", "case_manager": "Ana Ruiz"},
        [summary],
        [],
        deidentified=False,
        generated=dt.date(2027, 1, 4),
    )
    assert "30 minutes in class one week and 30 minutes in a small room the next week" in text
    assert "15 minutes" not in text
