"""What the pages show, computed: caseload table and counts, provider load, uploads and exports,
decision history, audit log, trainer scoring and chart builders."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from pushin_rules.data import synth
from pushin_rules.data.district import District
from pushin_rules.data.loader import load_district, parse_district
from pushin_rules.errors import DistrictError
from pushin_rules.present import (
    caseload,
    charts,
    decision_log,
    exchange,
    meeting_form,
    scenarios,
    student_view,
    trainer,
    words,
)
from pushin_rules.present.privacy import PSEUDONYM, display_labels


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> District:
    folder = tmp_path_factory.mktemp("district")
    synth.write(synth.generate(20, seed=3), folder)
    return load_district(folder)


@pytest.fixture(scope="module")
def recs(district: District) -> pd.DataFrame:
    recommend = pytest.importorskip("pushin_rules.decide.recommend")
    recommend_district = recommend.recommend_district
    from pushin_rules.decide.rules import load_rules

    return recommend_district(district, load_rules())


@pytest.fixture(scope="module")
def names(district: District) -> pd.Series:
    return display_labels(district.students, None)


@pytest.fixture(scope="module")
def pseudonyms(district: District) -> pd.Series:
    return display_labels(district.students, PSEUDONYM)


# ----------------------------------------------------------------------------- words


def test_labels_are_plain_words() -> None:
    assert words.model_label("push_in") == "Push-in"
    assert words.model_label(None) == "Not set"
    assert words.service_label("speech_language") == "Speech-language therapy"
    assert words.progress_label("insufficient_data") == "Too few scores yet"
    assert words.label({}, "something_new") == "Something new"


def test_split_text() -> None:
    assert words.split_text(30, 30) == "30 min in class + 30 min out of class"
    assert words.split_text(60, 0) == "60 min a week in class"
    assert words.split_text(0, 45.0) == "45 min a week out of class"
    assert words.split_text(float("nan"), 0) == "no minutes"


def test_confidence_text() -> None:
    assert words.confidence_text("close_call") == "close call"
    assert words.confidence_text(0.8) == "80%"
    assert words.confidence_text(None) == ""


# ----------------------------------------------------------------------------- caseload


def test_caseload_table_has_one_row_per_service_and_no_names_when_deidentified(
    district: District, recs: pd.DataFrame, names: pd.Series, pseudonyms: pd.Series
) -> None:
    table = caseload.caseload_table(recs, district, pseudonyms)
    assert list(table.columns) == list(caseload.CASELOAD_COLUMNS)
    assert len(table) == len(district.services)
    text = table.to_csv()
    for name in names:
        assert name not in text
    named = caseload.caseload_table(recs, district, names)
    assert set(named["student"]) <= set(names)


def test_caseload_table_matches_the_engine(
    district: District, recs: pd.DataFrame, names: pd.Series
) -> None:
    table = caseload.caseload_table(recs, district, names).set_index("service_id")
    for row in recs.head(10).to_dict("records"):
        assert table.loc[row["service_id"], "recommendation"] == words.model_label(
            row["recommendation"]
        )


def test_caseload_counts(district: District, recs: pd.DataFrame) -> None:
    from pushin_rules.decide.progress import goal_summary

    goals = goal_summary(district)
    counts = caseload.caseload_counts(recs, goals)
    assert counts.services == len(recs)
    assert counts.differs == int((recs["recommendation"] != recs["current_model"].fillna("")).sum())
    assert counts.change_goals == int((goals["decision"] == "change").sum())
    assert counts.close_calls == int((recs["confidence"] == "close_call").sum())
    numeric = recs.assign(confidence=[0.2] + [0.9] * (len(recs) - 1))
    assert caseload.caseload_counts(numeric).close_calls == 1


def test_caseload_counts_of_an_empty_district() -> None:
    empty = caseload.caseload_counts(pd.DataFrame(columns=["service_id", "student_id"]), None)
    assert empty == caseload.CaseloadCounts(0, 0, 0, 0, 0)


def test_filters_keep_what_is_asked(
    district: District, recs: pd.DataFrame, names: pd.Series
) -> None:
    table = caseload.caseload_table(recs, district, names)
    everything = caseload.filter_caseload(table, caseload.CaseloadFilter())
    assert len(everything) == len(table)
    speech = caseload.filter_caseload(
        table, caseload.CaseloadFilter(services=("Speech-language therapy",))
    )
    assert len(speech) and (speech["service"] == "Speech-language therapy").all()
    differs = caseload.filter_caseload(table, caseload.CaseloadFilter(only_differs=True))
    assert differs["differs"].all()
    first = str(table["student"].iloc[0])
    found = caseload.filter_caseload(table, caseload.CaseloadFilter(text=first[:4].lower()))
    assert first in set(found["student"])


def test_caseload_puts_who_needs_attention_first_and_today_follows_the_decision(
    district: District, recs: pd.DataFrame, names: pd.Series
) -> None:
    import datetime as dt
    from types import SimpleNamespace

    table = caseload.caseload_table(recs, district, names)
    urgency = table["urgency"].tolist()
    assert urgency == sorted(urgency, reverse=True)
    top = table.iloc[0]
    assert top["attention"] and top["urgency"] >= caseload.URGENCY_POINTS["differs"]
    assert (table.loc[table["urgency"] == 0, "attention"] == "").all()
    changes = table[table["progress"] == words.PROGRESS_LABELS["change"]]
    assert (changes["attention"].str.startswith("Not on track")).all()

    # A recorded decision: "Today" shows the decided model, the import stays beside it, and
    # "differs" compares the recommendation with what the team decided.
    row = recs.iloc[0]
    other = next(m for m in words.MODELS if m != row["recommendation"])
    newer = SimpleNamespace(
        service_id=row["service_id"],
        decided_model=row["recommendation"],
        recommendation=row["recommendation"],
        meeting_date=dt.date(2026, 1, 10),
        superseded_by=None,
    )
    older = SimpleNamespace(**{**vars(newer), "decided_model": other})
    corrected = SimpleNamespace(**{**vars(newer), "decided_model": other, "superseded_by": 9})
    decided = caseload.decided_models([corrected, newer, older])
    assert decided.to_dict("records") == [
        {
            "service_id": row["service_id"],
            "decided_model": row["recommendation"],
            "meeting_date": "2026-01-10",
        }
    ]
    after = caseload.caseload_table(recs, district, names, decided).set_index("service_id")
    line = after.loc[row["service_id"]]
    assert line["current_model"] == words.model_label(row["recommendation"]) + " (decided)"
    assert line["imported_model"] == words.model_label(row["current_model"])
    assert line["decided_on"] == "2026-01-10"
    assert not line["differs"]


def test_empty_caseload_table() -> None:
    empty = District.empty()
    table = caseload.caseload_table(
        pd.DataFrame(columns=["service_id", "student_id"]), empty, pd.Series(dtype=object)
    )
    assert table.empty and list(table.columns) == list(caseload.CASELOAD_COLUMNS)
    assert caseload.filter_caseload(table, caseload.CaseloadFilter(only_differs=True)).empty
    assert caseload.options(table, "school") == []


def test_student_choices_follow_the_labels(district: District, pseudonyms: pd.Series) -> None:
    ids = caseload.student_choices(district, pseudonyms)
    assert sorted(ids) == sorted(district.students["student_id"])
    shown = [pseudonyms[i].lower() for i in ids]
    assert shown == sorted(shown)


# ----------------------------------------------------------------------------- data page


def test_templates_make_a_valid_district() -> None:
    with zipfile.ZipFile(io.BytesIO(exchange.templates_zip())) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    district = parse_district(files, source="templates")
    assert len(district.students) == 1 and len(district.services) == 1


def test_district_zip_round_trips_and_hides_names(
    district: District, names: pd.Series, pseudonyms: pd.Series
) -> None:
    plain = exchange.district_zip(district)
    files, notes = exchange.uploaded_files([("district.zip", plain)])
    assert notes == []
    again = parse_district(files)
    assert list(again.students["name"]) == list(district.students["name"])
    hidden = exchange.district_zip(district, pseudonyms)
    with zipfile.ZipFile(io.BytesIO(hidden)) as archive:
        text = b"".join(archive.read(n) for n in archive.namelist()).decode()
    for name in names:
        assert name not in text
    # student ids identify too: replaced, yet the files still link up as a valid district
    for student_id in district.students["student_id"]:
        assert f"{student_id}," not in text
    files, _ = exchange.uploaded_files([("district.zip", hidden)])
    stand_in = parse_district(files)
    assert len(stand_in.services) == len(district.services)
    assert stand_in.services["student_id"].isin(stand_in.students["student_id"]).all()


def test_uploaded_files_sorts_out_names() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export/Students.csv", "a")
        archive.writestr("export/readme.txt", "x")
        archive.writestr("__MACOSX/export/._students.csv", "junk")
    files, notes = exchange.uploaded_files(
        [
            ("bundle.zip", buffer.getvalue()),
            ("services.csv", b"b"),
            ("other.csv", b"c"),
            ("broken.zip", b"not a zip"),
        ]
    )
    assert files == {"students.csv": b"a", "services.csv": b"b"}
    assert any("other.csv" in n for n in notes)
    assert any("broken.zip" in n for n in notes)


def test_problems_frame_lists_every_problem() -> None:
    with pytest.raises(DistrictError) as caught:
        parse_district(
            {
                "students.csv": "student_id,name,grade,school_id\nS1,Ana,14,A\nS1,Bo,3,A\n",
                "services.csv": "service_id\n",
            }
        )
    frame = exchange.problems_frame(caught.value)
    assert len(frame) == len(caught.value.problems)
    assert {"file", "row", "column", "value", "expected"} <= set(frame.columns)
    assert (frame["file"] == "students.csv").any()


def test_district_counts(district: District) -> None:
    counts = exchange.district_counts(district).set_index("file")["rows"]
    assert counts["students.csv"] == len(district.students)


# ----------------------------------------------------------------------------- history


def test_decisions_table_newest_first_in_plain_words(district: District) -> None:
    services = district.services
    sid = str(services["service_id"].iloc[0])
    rows = [
        {
            "id": 1,
            "service_id": sid,
            "recommendation": "hybrid",
            "rec_push_in_minutes": 30,
            "rec_pull_out_minutes": 30,
            "decision": "adopted",
            "decided_model": "hybrid",
            "decided_push_in_minutes": 30,
            "decided_pull_out_minutes": 30,
            "rationale": "",
            "attendees": ["Parent", "SLP"],
            "meeting_date": "2026-01-10",
            "recorded_by": "local user",
            "rules_name": "Rules",
            "rules_version": "1.0.0",
            "superseded_by": 2,
        },
        {
            "id": 2,
            "service_id": sid,
            "recommendation": "hybrid",
            "rec_push_in_minutes": 30,
            "rec_pull_out_minutes": 30,
            "decision": "overridden",
            "decided_model": "pull_out",
            "decided_push_in_minutes": 0,
            "decided_pull_out_minutes": 60,
            "rationale": "=cmd() needs the quiet room",
            "attendees": ["Parent"],
            "meeting_date": "2026-01-10",
            "recorded_by": "local user",
            "rules_name": "Rules",
            "rules_version": "1.0.0",
            "superseded_by": None,
        },
    ]
    table = decision_log.decisions_table(rows, services)
    assert list(table.columns) == list(decision_log.DECISION_COLUMNS)
    assert list(table["decision"]) == ["Overridden", "Adopted"]
    assert table["decided"].iloc[0] == "Pull-out: 60 min a week out of class"
    assert list(table["status"]) == ["Current", "Corrected later"]
    assert table["attendees"].iloc[1] == "Parent, SLP"
    assert decision_log.decisions_table([], services).empty


def test_audit_table() -> None:
    log = pd.DataFrame(
        {
            "when": pd.to_datetime(["2026-01-10 09:30"], utc=True),
            "who": ["a@b.org"],
            "action": ["record_decision"],
            "details": ["decision 1"],
        }
    )
    table = decision_log.audit_table(log)
    assert table.iloc[0].to_dict() == {
        "when": "2026-01-10 09:30 UTC",
        "who": "a@b.org",
        "what": "Recorded a decision",
        "details": "decision 1",
    }
    assert decision_log.audit_table(log.iloc[0:0]).empty


# ----------------------------------------------------------------------------- trainer


@pytest.mark.parametrize(
    ("pick", "answer", "correct", "close"),
    [
        ("push_in", "push_in", True, False),
        ("hybrid", "pull_out", False, True),
        ("push_in", "pull_out", False, False),
    ],
)
def test_quiz_scoring(pick: str, answer: str, correct: bool, close: bool) -> None:
    result = trainer.score_pick(pick, answer)
    assert (result.correct, result.close) == (correct, close)
    tally = trainer.QuizTally().add(result)
    assert tally.asked == 1 and tally.correct == int(correct)


def test_quiz_rejects_unknown_models() -> None:
    with pytest.raises(ValueError):
        trainer.score_pick("inclusion", "push_in")


def test_comparison_cites_the_source_titles() -> None:
    titles = {
        trainer.SOURCE_000,
        trainer.SOURCE_001,
        trainer.SOURCE_002,
        trainer.SOURCE_003,
    }
    cited = {s for a in trainer.ARRANGEMENTS for s in a.sources}
    assert titles <= cited
    assert [a.key for a in trainer.ARRANGEMENTS] == ["inclusion", "push_in", "pull_out"]
    assert all(a.offers and a.costs for a in trainer.ARRANGEMENTS)


# ----------------------------------------------------------------------------- charts


def test_provider_load_chart_is_aggregated(district: District, recs: pd.DataFrame) -> None:
    from pushin_rules.decide.rules import load_rules

    load = caseload.provider_load(recs, district, load_rules())
    assert list(load.columns) == list(caseload.LOAD_COLUMNS)
    assert len(load) == load["provider_id"].nunique()
    assert (load["services"] > 0).all()
    long = caseload.provider_load_long(load)
    assert len(long) == 2 * len(load)
    chart = charts.provider_load_chart(long)
    spec = chart.to_dict()
    rows = sum(len(v) for v in spec.get("datasets", {}).values())
    assert rows <= 2 * charts.MAX_PROVIDERS
    assert isinstance(chart, alt.TopLevelMixin)


def test_charts_of_nothing_still_build() -> None:
    long = caseload.provider_load_long(caseload.provider_load(pd.DataFrame(), District.empty()))
    assert long.empty
    charts.provider_load_chart(long).to_dict()


def test_no_module_of_the_package_imports_streamlit() -> None:
    package = Path(caseload.__file__).resolve().parents[1]
    files = sorted(package.rglob("*.py"))
    assert len(files) > 20
    for file in files:
        assert "import streamlit" not in file.read_text(), file


# ----------------------------------------------------------------------------- what-if


def test_decision_map_scores_every_pair_and_marks_the_case() -> None:
    from pushin_rules.decide.engine import recommend
    from pushin_rules.decide.rules import load_rules

    rules = load_rules()
    service = trainer.vignette_services(synth.VIGNETTES[0])[1]
    grid = trainer.decision_map(service, rules, "intensity", "generalization")
    assert len(grid) == 16 and grid["current"].sum() == 1
    own = grid[grid["current"]].iloc[0]
    assert own["model"] == recommend(service, rules).recommendation.value
    for row in grid.head(4).to_dict("records"):
        changed = scenarios.service_with(service, intensity=row["x"], generalization=row["y"])
        assert recommend(changed, rules).recommendation.value == row["model"]
    chart = charts.decision_map_chart(grid, "Intensity", "Generalization")
    assert len(chart.to_dict()["datasets"]) == 1
    with pytest.raises(ValueError):
        trainer.decision_map(service, rules, "intensity", "intensity")


def test_changed_reasons_name_the_rating_and_the_new_model() -> None:
    from pushin_rules.decide.engine import recommend
    from pushin_rules.decide.rules import load_rules

    rules = load_rules()
    service = trainer.vignette_services(synth.VIGNETTES[0])[1]
    before = recommend(service, rules)
    after = recommend(scenarios.service_with(service, intensity=0, specialized_setting=0), rules)
    lines = scenarios.changed_reasons(before, after)
    assert lines[0].startswith("Recommendation: Pull-out")
    assert any(line.startswith("Intensity of instruction: rated 2 → 0") for line in lines)
    assert scenarios.changed_reasons(before, before) == []


def test_service_with_keeps_the_service_valid() -> None:
    service = scenarios.blank_service()
    shorter = scenarios.service_with(service, minutes_per_week=20)
    assert shorter.session_minutes == 20
    with pytest.raises(ValueError):
        scenarios.service_with(service, intensity=7)


def test_vignette_titles_never_carry_a_persons_name() -> None:
    # The sample district reuses the cases' invented names for its first students, so a
    # trainer title with a name would read as a district record.
    titles = set()
    for vignette in synth.VIGNETTES:
        for hidden in (False, True):
            title = trainer.vignette_title(vignette, hidden)
            assert vignette.name not in title
            assert not any(part in title for part in vignette.name.split())
            titles.add(title)
    assert len(titles) == len(synth.VIGNETTES)
    assert trainer.vignette_title(synth.VIGNETTES[0]) == "Case A (grade 2)"
    assert "source 003" not in words.cite_titles(synth.VIGNETTES[0].situation)


def test_quiz_ends_after_the_last_question_with_its_score() -> None:
    right = trainer.score_pick("push_in", "push_in")
    near = trainer.score_pick("hybrid", "push_in")
    tally = trainer.QuizTally().add(right).add(near).add(right)
    assert not trainer.QuizProgress(6, 7).finished
    assert trainer.QuizProgress(6, 7).heading(tally).startswith("Question 7 of 7.")
    done = trainer.QuizProgress(7, 7)
    assert done.finished
    assert trainer.final_score(tally, 7) == (
        "You matched the rules on 2 of 7 questions (3 answered, 1 one step away)."
    )
    every = trainer.QuizTally(asked=7, correct=7)
    assert trainer.final_score(every, 7) == "You matched the rules on 7 of 7 questions."


def test_default_decision_map_shows_more_than_one_answer() -> None:
    from pushin_rules.decide.rules import load_rules

    rules = load_rules()
    keys = [f.key for f in rules.factors if f.is_need]
    for vignette in synth.VIGNETTES:
        for service in trainer.vignette_services(vignette):
            x, y = trainer.decision_map_axes(service, rules, keys)
            assert x != y
            grid = trainer.decision_map(service, rules, x, y)
            assert grid["model"].nunique() >= 2, (vignette.key, service.service)


def test_ratings_table_and_terms() -> None:
    from pushin_rules.decide.rules import load_rules

    rules = load_rules()
    service = trainer.vignette_services(synth.VIGNETTES[2])[0]
    table = scenarios.ratings_table(service, rules)
    assert len(table) == len(rules.factors)
    assert table["factor"].str[0].str.isupper().all()
    lines = words.term_lines(rules)
    assert lines[0].startswith("Push-in:") and lines[-1].startswith("LRE")


# ----------------------------------------------------------------------------- one student


def test_student_recommendations_match_the_district_batch(
    district: District, recs: pd.DataFrame
) -> None:
    from pushin_rules.decide.progress import goal_summary
    from pushin_rules.decide.rules import load_rules

    rules = load_rules()
    goals = goal_summary(district, rules.progress_settings())
    by_service = recs.set_index("service_id")
    for student_id in district.students["student_id"].head(8):
        for rec in student_view.student_recommendations(district, rules, goals, student_id):
            row = by_service.loc[rec.service_id]
            assert rec.recommendation.value == row["recommendation"]
            assert rec.split.pull_out_minutes == row["pull_out_minutes"]
            assert rec.confidence == row["confidence"]


def test_goal_views_hide_descriptions_when_deidentified(district: District) -> None:
    service_id = str(district.goals["service_id"].iloc[0])
    shown = student_view.goal_views(district, service_id)
    hidden = student_view.goal_views(district, service_id, deidentified=True)
    assert len(shown) == len(hidden) >= 1
    descriptions = set(district.goals["description"])
    assert not any(h.title.split(": ", 1)[1] in descriptions for h in hidden)
    assert all(h.description == "" for h in hidden)
    assert shown[0].description == shown[0].goal.description
    assert shown[0].analysis.goal_id == shown[0].goal.goal_id


def test_lre_summary_in_words(recs: pd.DataFrame) -> None:
    summary = student_view.lre_summary(recs, str(recs["student_id"].iloc[0]))
    assert summary is not None
    assert summary["adopted_category"] in words.LRE_LABELS.values()
    assert student_view.lre_summary(recs, "nobody") is None
    assert words.percent_text(89.66) == "89.7%" and words.percent_text(None) == "–"


def test_school_adoption_counts_students_once(district: District, recs: pd.DataFrame) -> None:
    from pushin_rules.decide.rules import load_rules

    school_id, _ = scenarios.school_choices(district)[0]
    adoption = scenarios.school_adoption(recs, district, school_id, load_rules())
    per = adoption.categories.groupby("scenario")["students"].sum()
    assert per["Now"] == per["If adopted"] == adoption.students
    assert adoption.services_changing <= adoption.services
    chart = charts.lre_change_chart(adoption.categories).to_dict()
    assert sum(len(v) for v in chart["datasets"].values()) == 6


def test_scenarios_compare_side_by_side() -> None:
    from pushin_rules.decide.rules import load_rules

    rules = load_rules()
    service = trainer.vignette_services(synth.VIGNETTES[0])[1]
    start = scenarios.score_scenario("Start", service, rules, week_minutes=1745)
    moved = scenarios.score_scenario(
        "Less drill",
        scenarios.service_with(service, intensity=0, specialized_setting=0),
        rules.with_weights({"generalization": 2.0}),
        week_minutes=1745,
        other_outside_minutes=120,
    )
    assert start.lre_percent == pytest.approx(100 * (1745 - 60) / 1745)
    assert moved.rec.recommendation.value != start.rec.recommendation.value
    table = scenarios.compare_scenarios([start, moved])
    assert list(table.columns) == ["Start", "Less drill"]
    assert table.loc["Changed from the first", "Start"] == "(the first)"
    assert "Recommendation:" in table.loc["Changed from the first", "Less drill"]
    assert scenarios.compare_scenarios([]).empty


def test_redact_names_in_free_text() -> None:
    text = "Theo prefers the quiet room; Mr. Brennan agreed. theodore stays."
    assert decision_log.redact(text, "Theo Brennan", "Student X") == (
        "Student X prefers the quiet room; Mr. Student X agreed. theodore stays."
    )


# ----------------------------------------------------------------------------- meeting


def test_decision_fields_build_valid_store_input(district: District) -> None:
    import datetime as dt

    from pushin_rules.data.store import DecisionError, DecisionInput
    from pushin_rules.decide.rules import load_rules

    rules = load_rules()
    service = trainer.vignette_services(synth.VIGNETTES[0])[1]
    from pushin_rules.decide.engine import recommend

    rec = recommend(service, rules)
    common = {
        "attendees": meeting_form.parse_attendees("Parent\nSLP, Teacher;  "),
        "meeting_date": dt.date(2026, 1, 10),
        "recorded_by": "local user",
    }
    adopted = DecisionInput.build(**meeting_form.decision_fields(rec, decision="adopted", **common))
    assert adopted.attendees == ["Parent", "SLP", "Teacher"]
    assert adopted.decided_pull_out_minutes == rec.split.pull_out_minutes
    override = meeting_form.decision_fields(
        rec, decision="overridden", model="hybrid", push_in=20, rationale="Try class", **common
    )
    built = DecisionInput.build(**override)
    assert (built.decided_push_in_minutes, built.decided_pull_out_minutes) == (20, 40)
    with pytest.raises(DecisionError, match="rationale"):
        DecisionInput.build(
            **meeting_form.decision_fields(rec, decision="overridden", model="push_in", **common)
        )


def test_decided_split_keeps_a_hybrid_in_both_settings() -> None:
    assert meeting_form.decided_split("push_in", 60) == (60, 0)
    assert meeting_form.decided_split("pull_out", 60) == (0, 60)
    assert meeting_form.decided_split("hybrid", 60) == (30, 30)
    assert meeting_form.decided_split("hybrid", 60, 60) == (59, 1)


@pytest.mark.parametrize(
    ("minutes", "session", "typed", "expected"),
    [
        (60, 30, 30, (30, 30)),  # two sessions: one in class, one out
        (60, 30, 45, (30, 30)),  # 45 is not whole sessions: the nearest whole number
        (90, 30, 50, (60, 30)),
        (90, 30, 90, (60, 30)),  # at least one session out of class
        (90, 30, 1, (30, 60)),  # at least one session in class
        (120, 20, None, (60, 60)),
    ],
)
def test_an_overridden_hybrid_splits_whole_sessions(
    minutes: int, session: int, typed: int | None, expected: tuple[int, int]
) -> None:
    inside, outside = meeting_form.decided_split("hybrid", minutes, typed, session)
    assert (inside, outside) == expected
    assert inside % session == 0 and outside % session == 0
    assert meeting_form.hybrid_sessions(minutes, session)[0] == session


def test_no_hybrid_override_for_a_single_session_a_week() -> None:
    assert meeting_form.hybrid_sessions(30, 30) == []
    assert "hybrid" not in meeting_form.override_models("push_in", 30, 30)
    assert "hybrid" in meeting_form.override_models("push_in", 60, 30)


def test_deidentified_history_hides_names() -> None:
    table = pd.DataFrame(
        {
            "rationale": ["Theo likes the quiet room"],
            "attendees": ["Ana Brennan, Ms. Lee"],
        }
    )
    out = decision_log.deidentify_history(table, "Theo Brennan", "Student X")
    assert out["rationale"].iloc[0] == "Student X likes the quiet room"
    assert out["attendees"].iloc[0] == "2 people (names hidden)"


def test_export_escapes_formulas_in_names(district: District) -> None:
    students = district.students.copy()
    students.loc[0, "name"] = "=HYPERLINK(1)"
    changed = District(**{**district.frames(), "students": students})
    with zipfile.ZipFile(io.BytesIO(exchange.district_zip(changed))) as archive:
        text = archive.read("students.csv").decode()
    assert "'=HYPERLINK(1)" in text


def test_history_lines_read_as_sentences() -> None:
    row = {
        "meeting_date": "2026-01-10",
        "service": "Counseling",
        "decision": "Overridden",
        "proposed": "Push-in: 60 min a week in class",
        "decided": "Pull-out: 60 min a week out of class",
        "rationale": "Needs privacy",
        "attendees": "Parent, Counselor",
        "recorded_by": "local user",
        "rules": "Rules 1.0.0",
        "status": "Corrected later",
    }
    assert decision_log.history_heading(row) == "2026-01-10 · Counseling · Overridden"
    assert decision_log.history_body(row) == (
        "Rules proposed Push-in: 60 min a week in class. Team decided Pull-out: 60 min a week "
        "out of class. Why: Needs privacy. Attended: Parent, Counselor."
    )
    assert decision_log.history_footer(row).endswith("corrected later")


def test_model_working_answers_in_words() -> None:
    assert words.model_working("change").startswith("Not yet")
    assert words.model_working("no_data") == "No progress data for this service yet."
    assert words.model_working("") == "No progress data for this service yet."


def test_override_models_leave_out_the_recommendation() -> None:
    assert meeting_form.override_models("push_in") == ["hybrid", "pull_out"]
    assert meeting_form.override_models("hybrid") == ["push_in", "hybrid", "pull_out"]


def test_a_zip_member_larger_than_the_limit_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exchange, "MAX_ZIP_MEMBER_BYTES", 10)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("students.csv", "x" * 1000)
        archive.writestr("services.csv", "short")
    files, notes = exchange.uploaded_files([("big.zip", buffer.getvalue())])
    assert files == {"services.csv": b"short"}
    assert notes == ["big.zip: students.csv is too large; skipped"]


def test_an_alternating_weeks_split_is_said_as_whole_sessions() -> None:
    """One 30-minute session a week that alternates settings carries 15 + 15 as weekly
    averages; the page says what happens: 30 in class one week, 30 out the next."""
    from pushin_rules.decide.engine import recommend
    from pushin_rules.decide.rules import load_rules
    from pushin_rules.models import Service

    ratings = {f: 0 for f in ("intensity", "distraction_sensitivity", "generalization")}
    service = Service(
        service_id="SV1",
        student_id="S1",
        service="speech_language",
        minutes_per_week=30,
        session_minutes=30,
        group_size=1,
        **ratings,
        specialized_setting=3,
        social_goals=0,
        curriculum_link=3,
        missed_core_instruction=3,
        removal_distress=0,
    )
    rec = recommend(service, load_rules())
    assert rec.split_pattern == "alternating_weeks", rec.rule_sentence
    assert words.rec_split_text(rec) == (
        "30 min in class one week, 30 min out of class the next (alternating weeks)"
    )
    assert "15 min" not in words.headline(rec)


def test_reasons_are_listed_under_the_side_they_pull() -> None:
    """Student and What-if list each reason under its side: every reason once, under the
    side it pulls toward, pull-out side first, and no side heading without a reason."""
    from pushin_rules.decide.engine import recommend
    from pushin_rules.decide.rules import load_rules

    district = load_district(Path(__file__).resolve().parents[1] / "sample_data")
    rules = load_rules()
    order = ("pull_out", "push_in", "implementation")
    for service_id in district.services["service_id"][:30]:
        rec = recommend(district.service(service_id), rules)
        found = student_view.reasons(rec)
        expected = [
            (words.SIDE_LABELS[side], [r.sentence for r in found if r.direction == side])
            for side in order
        ]
        grouped = student_view.reasons_by_side(rec)
        assert [side for side, _ in grouped] == [side for side, s in expected if s]
        for (side, lines), (_, sentences) in zip(
            grouped, [e for e in expected if e[1]], strict=True
        ):
            assert [line.text.split(": ", 1)[1] for line in lines] == sentences, side
