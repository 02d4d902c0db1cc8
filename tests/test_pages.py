"""Every page under Streamlit's AppTest, with the sample district and with an empty one: no
exception, the key content is there and matches the engine, the decision form saves, and the
de-identified switch hides every student name (in text, tables, charts and widget options)."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pushin_rules.data.loader import load_district
from pushin_rules.data.synth import VIGNETTES
from pushin_rules.decide.recommend import recommend_district
from pushin_rules.decide.rules import load_rules
from pushin_rules.present import caseload, exchange, meeting_form, words

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_data"
PAGES = (
    "pages/caseload.py",
    "pages/student.py",
    "pages/what_if.py",
    "pages/meeting.py",
    "pages/trainer.py",
    "pages/data.py",
)
TIMEOUT = 60


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run(at: AppTest) -> AppTest:
    """Run (the environment must stay set while the script runs: common.py reads it)."""
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("sample_db"))


@pytest.fixture(scope="module")
def empty_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("empty_db"))


@contextmanager
def sample(data_dir: str) -> Iterator[None]:
    with environment(PUSHIN_DATA_DIR=data_dir, PUSHIN_SEED=None, PUSHIN_DATABASE_URL=None):
        yield


@contextmanager
def empty(data_dir: str) -> Iterator[None]:
    with environment(PUSHIN_DATA_DIR=data_dir, PUSHIN_SEED="none", PUSHIN_DATABASE_URL=None):
        yield


def open_page(page: str, **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    run(at)
    if page != "pages/caseload.py":
        at.switch_page(page)
        run(at)
    return at


def page_text(at: AppTest) -> str:
    """Everything the page sends to the browser, as text (tables and chart data included)."""
    parts: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def district():
    return load_district(SAMPLE)


@pytest.fixture(scope="module")
def recs(district) -> pd.DataFrame:
    return recommend_district(district, load_rules())


# --------------------------------------------------------------------------- every page


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_the_sample_district(page: str, sample_dir: str) -> None:
    with sample(sample_dir):
        at = open_page(page)
    assert at.title and at.title[0].value
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_an_empty_district(page: str, empty_dir: str) -> None:
    with empty(empty_dir):
        at = open_page(page)
    assert at.title
    assert not at.error, [e.value for e in at.error]


# --------------------------------------------------------------------------- content


def test_caseload_counts_and_table_match_the_engine(
    sample_dir: str, district, recs: pd.DataFrame
) -> None:
    with sample(sample_dir):
        at = open_page("pages/caseload.py")
    counts = caseload.caseload_counts(recs)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Services"] == f"{counts.services:,}"
    assert shown["Differs from today"] == f"{counts.differs:,}"
    assert shown["Close calls"] == f"{counts.close_calls:,}"
    table = at.dataframe[0].value
    assert len(table) == len(recs)
    by_service = recs.set_index("service_id")["recommendation"].map(words.model_label)
    shown_recs = table.set_index("service_id")["recommendation"]
    assert (shown_recs.reindex(by_service.index) == by_service).all()
    # Who needs attention first: the rows come in order of urgency.
    assert list(table["urgency"]) == sorted(table["urgency"], reverse=True)
    assert table["urgency"].iloc[0] > table["urgency"].iloc[-1]
    assert at.get("vega_lite_chart"), "the provider load chart is missing"


def test_caseload_filter_narrows_the_table(sample_dir: str, recs: pd.DataFrame) -> None:
    with sample(sample_dir):
        at = open_page("pages/caseload.py")
        at.toggle[0].set_value(True)
        run(at)
    table = at.dataframe[0].value
    assert 0 < len(table) <= len(recs) and table["differs"].all()


def test_student_page_shows_the_engines_recommendation(
    sample_dir: str, district, recs: pd.DataFrame
) -> None:
    student_id = district.students.loc[
        district.students["name"] == VIGNETTES[0].name, "student_id"
    ].iloc[0]
    with sample(sample_dir):
        at = open_page("pages/student.py", student_id=student_id)
    rows = recs[recs["student_id"] == student_id]
    texts = [m.value for m in at.markdown]
    shown = [
        (text, texts[i + 1]) for i, text in enumerate(texts) if text.startswith("#### Recommended:")
    ]
    expected = [
        (
            f"#### Recommended: {words.model_label(r.recommendation)}",
            f"**{words.split_text(r.push_in_minutes, r.pull_out_minutes)}**",
        )
        for r in rows.itertuples()
    ]
    assert shown == expected
    speech = rows[rows["service"] == "speech_language"]
    assert not speech.empty
    assert at.get("vega_lite_chart"), "progress graphs are missing"
    assert any("In the regular class" in m.label for m in at.metric)


def test_what_if_rating_change_moves_the_recommendation(sample_dir: str) -> None:
    with sample(sample_dir):
        at = open_page("pages/what_if.py", whatif_source="case", whatif_case="a")
        service = at.selectbox[1]
        service.set_value(1)  # the speech service: pull-out, quiet room
        run(at)
        before = next(m.value for m in at.markdown if m.value.startswith("#### "))
        for factor in ("specialized_setting", "distraction_sensitivity", "intensity"):
            at.select_slider(key=f"wi:case:a:1:{factor}").set_value(0)
        at.select_slider(key="wi:case:a:1:curriculum_link").set_value(3)
        run(at)
        after = next(m.value for m in at.markdown if m.value.startswith("#### "))
    assert before.startswith("#### Pull-out")
    assert after.startswith("#### Push-in")
    changed = " ".join(m.value for m in at.markdown)
    assert "rated 3 → 0" in changed.replace("\\", "")


def test_what_if_saves_and_compares_scenarios(sample_dir: str) -> None:
    with sample(sample_dir):
        at = open_page("pages/what_if.py", whatif_source="blank")
        at.select_slider(key="wi:blank:intensity").set_value(3)
        run(at)
        next(b for b in at.button if b.label == "Save scenario").click()
        run(at)
    texts = [m.value for m in at.markdown]
    assert "**Starting point**" in texts and "**Scenario 1**" in texts
    scenario = texts[texts.index("**Scenario 1**") :]
    assert scenario[1] == "Pull\\-out"  # the recommendation comes first, escaped


def test_meeting_decision_is_saved_and_shown(sample_dir: str, district) -> None:
    from pushin_rules.data.store import Store

    student_id = district.students.loc[
        district.students["name"] == VIGNETTES[2].name, "student_id"
    ].iloc[0]
    with sample(sample_dir):
        at = open_page("pages/meeting.py", student_id=student_id)
        at.text_area(key="meeting_attendees").set_value("Parent\nCounselor")
        run(at)
        next(b for b in at.button if b.label == "Record decision").click()
        run(at)
        assert next(s.value for s in at.success).startswith("Recorded the decision")
        headings = [m.value for m in at.markdown if "· Adopted" in m.value]
        assert len(headings) == 1
        # An override without a rationale is refused with a message, and nothing is saved.
        sid = str(district.services.loc[district.services["student_id"] == student_id].iloc[0, 0])
        at.radio(key=f"mt:{sid}:decision").set_value("overridden")
        run(at)
        next(b for b in at.button if b.label == "Record decision").click()
        run(at)
        assert any("rationale" in e.value.lower() for e in at.error)
        store = Store.open(f"sqlite:///{sample_dir}/pushin.db", seed_dir=None)
        assert len(store.decisions_for_student(student_id)) == 1
        # With a rationale the override is saved, with the team's model.
        at.text_area(key=f"mt:{sid}:rationale").set_value("The family asked for the quiet room")
        run(at)
        next(b for b in at.button if b.label == "Record decision").click()
        run(at)
        latest = store.decisions_for_student(student_id)[0]
        assert latest.decision == "overridden" and latest.rationale.startswith("The family")
        assert latest.decided_model.value != latest.recommendation.value
        # After recording, the form starts empty again (no typed text left in the box).
        assert at.radio(key=f"mt:{sid}:decision").value == "adopted"
        assert not [t for t in at.text_area if t.key == f"mt:{sid}:rationale"]
        at.switch_page("pages/student.py")
        run(at)
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Attended: Parent, Counselor." in text


def test_trainer_quiz_scores_an_answer(sample_dir: str) -> None:
    with sample(sample_dir):
        at = open_page("pages/trainer.py")
        quiz = next(r for r in at.radio if r.label.startswith("Where would you deliver"))
        quiz.set_value("push_in")
        run(at)
        next(b for b in at.button if b.label == "Check my answer").click()
        run(at)
    messages = [m.value for m in (*at.success, *at.warning)]
    assert any("rules" in m for m in messages)
    assert any(m.value.startswith("**The rules' answer:**") for m in at.markdown)


def test_data_page_refuses_a_bad_folder_and_switches_on_a_good_one(
    tmp_path: Path, district
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "students.csv").write_text("student_id,name,grade,school_id\nS1,Ana,14,A\n")
    good = tmp_path / "good"
    with zipfile.ZipFile(io.BytesIO(exchange.templates_zip())) as archive:
        archive.extractall(good)
    with sample(str(tmp_path / "db")):
        at = open_page("pages/data.py")
        at.text_input[0].set_value(str(bad))
        next(b for b in at.button if b.label == "Check and load the folder").click()
        run(at)
        assert at.error and "Nothing was loaded" in at.error[0].value
        # One list per file, each under the file's name.
        assert len(at.dataframe) >= 2
        headings = [m.value for m in at.markdown if m.value.startswith("**")]
        assert any(h.startswith("**students\\.csv**") for h in headings), headings
        assert any(h.startswith("**services\\.csv**") for h in headings), headings
        assert all("file" not in frame.value.columns for frame in at.dataframe)
        assert f"{len(district.students)} students" in at.markdown[0].value.replace(",", "")
        at.text_input[0].set_value(str(good))
        next(b for b in at.button if b.label == "Check and load the folder").click()
        run(at)
        assert at.success and "Loaded" in at.success[0].value
        assert "1 students" in at.markdown[0].value
        audit = at.table[0].value
        assert "Replaced the district" in set(audit["What"])
        assert audit["Details"].str.len().max() > 0


# --------------------------------------------------------------------------- privacy


def test_deidentified_history_hides_names_typed_in_a_rationale(tmp_path: Path, district) -> None:
    from pushin_rules.data.store import DecisionInput, Store
    from pushin_rules.decide.engine import recommend

    student = district.students[district.students["name"] == VIGNETTES[1].name].iloc[0]
    sid = str(
        district.services.loc[district.services["student_id"] == student["student_id"]].iloc[0, 0]
    )
    with sample(str(tmp_path)):
        open_page("pages/caseload.py")  # seeds the database
        store = Store.open(f"sqlite:///{tmp_path}/pushin.db", seed_dir=None)
        rec = recommend(district.service(sid), load_rules())
        first = student["name"].split()[0]
        store.record_decision(
            DecisionInput.build(
                **meeting_form.decision_fields(
                    rec,
                    decision="adopted",
                    attendees=[f"{student['name'].split()[-1]} family", "OT"],
                    meeting_date="2026-01-10",
                    recorded_by="local user",
                    rationale=f"{first} asked to stay with classmates",
                )
            )
        )
        for page in ("pages/student.py", "pages/meeting.py"):
            at = open_page(page, deidentified=True, student_id=student["student_id"])
            text = page_text(at)
            assert "asked to stay with classmates" in text.replace("\\", "")
            assert first not in text and student["name"].split()[-1] not in text


@pytest.mark.parametrize("page", PAGES)
def test_deidentified_mode_hides_every_name(page: str, sample_dir: str, district) -> None:
    student_id = district.students.loc[
        district.students["name"] == VIGNETTES[0].name, "student_id"
    ].iloc[0]
    with sample(sample_dir):
        at = open_page(page, deidentified=True, student_id=student_id)
    text = page_text(at)
    leaked = [name for name in district.students["name"] if name in text]
    assert leaked == []
    surnames = {v.name.split()[-1] for v in VIGNETTES}
    assert not [s for s in surnames if s in text]


# --------------------------------------------------------------------------- roles


def test_viewers_see_no_decision_form_and_no_import(
    sample_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pushin_rules.present import access

    monkeypatch.setattr(access, "local_access", lambda: access.Access("viewer", access.VIEWER))
    with sample(sample_dir):
        meeting = open_page("pages/meeting.py")
        data = open_page("pages/data.py")
    assert not [b for b in meeting.button if b.label == "Record decision"]
    assert any("can view decisions but not record" in c.value for c in meeting.caption)
    assert not data.get("file_uploader") and not data.text_input
    assert any("can view the district but not replace" in i.value for i in data.info)


def test_deidentified_meeting_redacts_typed_text_and_keeps_the_student(
    tmp_path: Path, district
) -> None:
    student = district.students.iloc[3]
    first = str(student["name"]).split()[0]
    with sample(str(tmp_path / "db")):
        at = open_page("pages/meeting.py", student_id=str(student["student_id"]))
        sid = str(
            district.services.loc[district.services["student_id"] == student["student_id"]].iloc[
                0, 0
            ]
        )
        at.radio(key=f"mt:{sid}:decision").set_value("overridden")
        run(at)
        at.text_area(key=f"mt:{sid}:rationale").set_value(f"{first} wants to stay in class")
        at.text_area(key="meeting_attendees").set_value(f"{student['name']} (student)\nTeacher")
        run(at)
        at.session_state["deidentified"] = True
        run(at)
        label = at.header[0].value.replace("\\", "")
        assert label.startswith("Student ")
        assert at.text_area(key=f"mt:{sid}:rationale").value == f"{label} wants to stay in class"
        assert first not in at.text_area(key="meeting_attendees").value
        picker = next(s for s in at.selectbox if s.label == "Student")
        assert picker.value == student["student_id"] and picker.key.endswith("@pseudonym")
        # Pseudonyms -> initials: a new picker on the same student.
        at.session_state["deidentified_mode"] = "initials"
        run(at)
        picker = next(s for s in at.selectbox if s.label == "Student")
        assert picker.value == student["student_id"] and picker.key.endswith("@initials")
        assert str(student["name"]) not in page_text(at)


def test_private_finder_matches_the_real_name_and_shows_only_the_label(
    tmp_path: Path, district
) -> None:
    student = district.students.iloc[5]
    with sample(str(tmp_path / "db")):
        at = open_page("pages/student.py", deidentified=True)
        box = next(t for t in at.text_input if t.label == "Find a student by name or id")
        box.set_value(str(student["name"]).lower())
        run(at)
        picker = next(s for s in at.selectbox if s.label == "Student")
        assert picker.value == student["student_id"]
        box = next(t for t in at.text_input if t.label == "Find a student by name or id")
        assert box.value == ""
        assert str(student["name"]) not in page_text(at)


def test_what_if_compares_rule_set_1_with_2_for_the_chosen_service(sample_dir: str) -> None:
    """A district sees what version 2.0.0 changes: the chosen service scored by 1.0.0 and
    2.0.0 side by side, each column naming its version, with the differences listed."""
    with sample(sample_dir):
        at = run(AppTest.from_file(APP, default_timeout=TIMEOUT))
        at.switch_page("pages/what_if.py")
        run(at)
    assert "Rule sets side by side" in [h.value for h in at.subheader]
    table = at.table[0].value
    assert [c for c in table.columns if "1.0.0" in c] and [c for c in table.columns if "2.0.0" in c]
    old, new = (next(c for c in table.columns if v in c) for v in ("1.0.0", "2.0.0"))
    assert "2.0.0" in table.loc["Rules", new] and "1.0.0" in table.loc["Rules", old]
    differs = table.loc["Recommendation", old] != table.loc["Recommendation", new]
    assert (table.loc["Recommendation", "Changed"] == "changed") == differs
