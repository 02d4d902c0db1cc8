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
        "**Suggested:** In a separate room (pull-out): all 60 minutes a week in a separate room."
        in text
    )
    assert "Articulation drill needs privacy" in text
    assert "The therapy room is booked on Tuesdays" in text
    assert "Zoë met the last four targets" in text
    assert (
        "**The team decided:** Chose differently: Split between the classroom and a separate "
        "room (hybrid), 30 minutes a week in the classroom and 30 in a separate room." in text
    )
    assert "Ramírez family asked that Zoë keep 30 minutes with her class." in text
    assert "**The team decided:** Followed the suggestion: Split between" in text
    assert "About 89.7% of the school week in the regular classroom" in text
    assert "version 2025.1" in text
    assert "**Meeting:** March 14, 2025" in text
    assert "Ana Ramírez (parent)" in text


def test_summary_speaks_to_parents_not_in_codes() -> None:
    text = summary()
    for term in ("push-in", "pull-out", "Least restrictive environment (LRE)"):
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
    assert "No decision has been recorded for this service yet." in text  # SV2


def test_changed_recommendation_since_the_meeting_is_pointed_out() -> None:
    old = record(recommendation="push_in", rec_push_in_minutes=60, rec_pull_out_minutes=0)
    text = summary(decisions=[old])
    assert "At the meeting the tool suggested In the classroom (push-in)" in text


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
        "Meeting summary: where services take place",
        "Zoë Ramírez",
        "Speech-language therapy, 60 minutes a week",
        "In a separate room (pull-out): all 60 minutes a week in a separate room.",
        "Articulation drill needs privacy",
        "Chose differently: Split between the classroom and a separate room (hybrid)",
        "Ramírez family asked that Zoë keep 30 minutes with her class.",
        "Least restrictive environment (LRE)",
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
    monkeypatch.setattr(report, "unicode_font_available", lambda: False)
    hard = {**STUDENT, "name": "Zoë “Ramírez” – 李"}
    data = meeting_summary_pdf(hard, SERVICES, DECISIONS, deidentified=False, generated=GENERATED)
    assert data.startswith(b"%PDF") and b"DejaVu" not in data
    text = pdf_text(data)
    assert 'Zoë "Ramírez" - ?' in text
    assert "Chose differently" in text


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
