"""The team's work in the store: rating versions (append-only, latest is current, a decision
keeps its version), not-rated services, probes and their corrections, the service log; every
write audited, a refused write changes nothing. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from pushin_rules.data import migrations
from pushin_rules.data.loader import load_district, parse_district
from pushin_rules.data.store import EntryError, Store
from pushin_rules.models import FACTORS, NEED_FACTORS

HEADER = "service_id,student_id,service,minutes_per_week,session_minutes,current_model," + ",".join(
    FACTORS
)
FILES = {
    "students.csv": "student_id,name,grade,school_id\nA,Ana Ruiz,2,SCH1\n",
    "services.csv": HEADER
    + "\nS1,A,speech_language,60,30,pull_out,3,2,2,0,0,0,0,0,1,1,1"
    # S2: a new service nobody has rated yet (every need rating empty, implementation given).
    + "\nS2,A,setss,90,30,,,,,,,,,,2,,\n",
    "goals.csv": "goal_id,service_id,target,target_date\nG1,S1,80,2027-06-15\n",
    "progress.csv": "goal_id,date,score,setting\nG1,2026-09-14,30,pull_out\n",
    "service_log.csv": "service_id,date,setting,minutes,status,reason\n"
    "S1,2026-09-14,pull_out,30,delivered,\n",
}
RATED = dict(zip(FACTORS, [1, 1, 0, 3, 3, 2, 2, 1, 0, 0, 0], strict=True))


@pytest.fixture
def team(store: Store) -> Store:
    store.import_district(parse_district(FILES, "team test"), mode="replace", actor="admin")
    return store


def ratings_of(store: Store, service_id: str) -> dict[str, int]:
    row = store.load_district().services.set_index("service_id").loc[service_id]
    return {k: int(row[k]) for k in FACTORS}


def test_import_versions_the_files_ratings_and_leaves_unrated_services_unrated(
    team: Store,
) -> None:
    services = team.load_district().services.set_index("service_id")
    assert bool(services.loc["S1", "rated"]) is True
    assert bool(services.loc["S2", "rated"]) is False
    assert [int(services.loc["S2", k]) for k in NEED_FACTORS] == [0] * 8
    assert int(services.loc["S2", "staffing_limit"]) == 2  # implementation kept, empty = 0
    [version] = team.rating_versions("S1")
    assert version.source == "import" and version.recorded_by == "admin"
    assert version.ratings["intensity"] == 3
    assert team.rating_versions("S2") == []


def test_a_saved_version_becomes_current_and_history_keeps_every_version(team: Store) -> None:
    first = team.rating_versions("S1")[0].id
    new = team.save_rating_version("S1", RATED, actor="lee@x", note="after the observation")
    assert ratings_of(team, "S1") == RATED
    history = team.rating_versions("S1")
    assert [v.id for v in history] == [new, first]  # newest first
    assert history[0].note == "after the observation" and history[0].recorded_by == "lee@x"
    # Rating the new service makes it rated.
    team.save_rating_version("S2", RATED, actor="lee@x", meeting_date=dt.date(2026, 10, 1))
    services = team.load_district().services.set_index("service_id")
    assert bool(services.loc["S2", "rated"]) is True
    assert team.rating_versions("S2")[0].meeting_date == dt.date(2026, 10, 1)
    actions = team.audit_log()["action"].tolist()
    assert actions[:2] == ["save_ratings", "save_ratings"]


def test_a_merge_without_ratings_keeps_the_teams_ratings(team: Store) -> None:
    team.save_rating_version("S1", RATED, actor="lee@x")
    unrated = dict(FILES)
    unrated["services.csv"] = HEADER + "\nS1,A,speech_language,60,30,pull_out" + "," * 11 + "\n"
    team.import_district(parse_district(unrated, "SIS export"), mode="merge", actor="admin")
    assert ratings_of(team, "S1") == RATED
    # A file with other ratings is a new version from the import.
    team.import_district(parse_district(FILES, "again"), mode="merge", actor="admin")
    assert ratings_of(team, "S1")["intensity"] == 3
    assert [v.source for v in team.rating_versions("S1")] == ["import", "worksheet", "import"]


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ({**RATED, "intensity": 4}, "intensity: 4 is not valid"),
        ({k: v for k, v in RATED.items() if k != "generalization"}, "generalization: None"),
        ({**RATED, "charm": 2}, "Unknown factors: charm"),
        ({**RATED, "social_goals": 1.5}, "social_goals: 1.5"),
    ],
)
def test_bad_ratings_are_refused_and_change_nothing(
    team: Store, ratings: dict, message: str
) -> None:
    before = team.district_version()
    with pytest.raises(EntryError, match=message):
        team.save_rating_version("S1", ratings, actor="lee@x")
    with pytest.raises(EntryError, match="no service 'S9'"):
        team.save_rating_version("S9", RATED, actor="lee@x")
    assert team.district_version() == before
    assert len(team.rating_versions("S1")) == 1


def test_versions_and_probes_are_append_only(team: Store) -> None:
    team.add_probe("G1", "2026-09-21", 35, "push_in", actor="pat@x")
    for table in ("rating_versions", "probes"):
        with pytest.raises(sa.exc.DBAPIError), team.engine.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608


def test_a_decision_keeps_the_ratings_it_was_made_on(team: Store) -> None:
    from test_store import decision

    made_on = team.rating_versions("S1")[0].id
    decision_id = team.record_decision(decision(student_id="A", service_id="S1"))
    team.save_rating_version("S1", RATED, actor="lee@x")
    record = team.decision(decision_id)
    assert record.rating_version_id == made_on
    assert team.rating_version(made_on).ratings["intensity"] == 3


def test_probes_join_the_progress_and_corrections_keep_the_old_one(team: Store) -> None:
    probe = team.add_probe("G1", dt.date(2026, 9, 21), "35.5", "push_in", actor="pat@x")
    progress = team.load_district().progress
    assert progress["score"].tolist() == [30.0, 35.5]
    assert progress["setting"].tolist() == ["pull_out", "push_in"]

    fixed = team.correct_probe(probe, date="2026-09-22", score=3.55, setting="push_in",
                               actor="pat@x", note="decimal slipped")  # fmt: skip
    progress = team.load_district().progress
    assert progress["score"].tolist() == [30.0, 3.55]
    assert progress["date"].dt.date.tolist() == [dt.date(2026, 9, 14), dt.date(2026, 9, 22)]
    history = team.probes("G1")
    assert history["id"].tolist() == [fixed, probe]
    assert history.set_index("id").loc[probe, "corrected_by"] == fixed
    entry = team.audit_log()
    assert entry["action"].iloc[0] == "correct_probe"
    assert f"probe {probe} corrected by probe {fixed}" in entry["details"].iloc[0]
    assert "score 35.5" in entry["details"].iloc[0] and "score 3.55" in entry["details"].iloc[0]
    with pytest.raises(EntryError, match="already corrected"):
        team.correct_probe(probe, date="2026-09-22", score=4, actor="pat@x")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (dict(goal_id="G1", date="2026-09-14", score=31), "already has a score on this date"),
        (dict(goal_id="G1", date="14/09/2026", score=31), "column date: '14/09/2026' is not"),
        (dict(goal_id="G1", date="2026-09-28", score="abc"), "column score: 'abc' is not valid"),
        (dict(goal_id="G1", date="2026-09-28", score=1, setting="hybrid"), "column setting"),
        (dict(goal_id="G9", date="2026-09-28", score=1), "no goal 'G9'"),
        (dict(goal_id="G1", date="", score=1), "column date: a value is required"),
    ],
)
def test_bad_probes_get_the_importers_message_and_change_nothing(
    team: Store, fields: dict, message: str
) -> None:
    before = team.district_version()
    with pytest.raises(EntryError, match=message):
        team.add_probe(**fields, actor="pat@x")
    assert team.district_version() == before
    assert team.probes("G1").empty


def test_service_log_rows_merge_by_service_date_and_setting(team: Store) -> None:
    counts = team.add_service_log(
        [
            {
                "service_id": "S1",
                "date": dt.date(2026, 9, 14),
                "setting": "pull_out",
                "minutes": 20,
                "status": "delivered",
                "reason": "",
            },
            {
                "service_id": "S1",
                "date": "2026-09-15",
                "setting": "push_in",
                "minutes": 30,
                "status": "missed",
                "reason": "schedule_conflict",
            },
        ],
        actor="pat@x",
    )
    assert (counts.inserted, counts.updated) == (1, 1)
    log = team.load_district().service_log
    assert log["minutes"].tolist() == [20, 30]
    assert log["reason"].tolist() == ["", "schedule_conflict"]
    assert team.audit_log()["action"].iloc[0] == "add_service_log"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"service_id": "S9", "setting": "push_in"}, "column service_id: 'S9'"),
        ({"service_id": "S1", "status": "missed", "reason": ""}, "column reason"),
        ({"service_id": "S1", "minutes": 0}, "column minutes: '0'"),
        ({"service_id": "S1", "setting": "in class"}, "column setting"),
    ],
)
def test_bad_service_log_rows_are_refused_whole(team: Store, row: dict, message: str) -> None:
    good = {"service_id": "S1", "date": "2026-09-16", "setting": "pull_out", "minutes": 30,
            "status": "delivered", "reason": ""}  # fmt: skip
    before = team.load_district().service_log
    with pytest.raises(EntryError, match=message):
        team.add_service_log([good, {**good, "date": "2026-09-17", **row}], actor="pat@x")
    pd.testing.assert_frame_equal(team.load_district().service_log, before)


def test_the_service_log_file_is_imported_with_the_district(team: Store) -> None:
    log = team.load_district().service_log
    assert log["service_id"].tolist() == ["S1"]
    assert str(log["date"].dtype) == "datetime64[ns]"


def test_sample_district_round_trips_with_its_service_log(store: Store) -> None:
    sample = load_district(Path(__file__).resolve().parents[1] / "sample_data")
    store.import_district(sample, mode="replace", actor="admin")
    loaded = store.load_district()
    pd.testing.assert_frame_equal(loaded.service_log, sample.service_log)
    assert loaded.services["rated"].all()


def test_upgrade_from_version_3_gives_stored_services_a_first_rating_version(db_url: str) -> None:
    old = Store(db_url)
    old.upgrade(target=3)
    with old.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO students (student_id, name, grade, school_id, classroom, "
            "case_manager, pos) VALUES ('A', 'Old', '4', 'X', '', '', 0)"
        )
        statement = (
            "INSERT INTO services (service_id, student_id, service, provider_id, "
            "minutes_per_week, session_minutes, group_size, current_model, "
            "current_push_in_minutes, intensity, distraction_sensitivity, specialized_setting, "
            "generalization, social_goals, curriculum_link, missed_core_instruction, "
            "removal_distress, staffing_limit, collaboration_limit, classroom_crowding, pos) "
            "VALUES ('S1', 'A', 'setss', '', 60, 30, 1, 'push_in', 60, "
            "2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0)"
        )
        conn.exec_driver_sql(statement)
    old.close()
    with Store.open(db_url, seed_dir=None) as store:
        assert store.schema_version() == migrations.LATEST
        [version] = store.rating_versions("S1")
        assert version.source == "schema upgrade"
        assert version.ratings["intensity"] == 2 and version.ratings["generalization"] == 3
        assert bool(store.load_district().services["rated"].iloc[0]) is True


def test_a_service_log_file_merges_whole_or_not_at_all(team: Store) -> None:
    good = (
        "\ufeffservice_id,date,setting,minutes,status,reason\r\n"
        "S1,2026-09-14,pull_out,25,delivered,\r\n"
        "S2,2026-09-15,push_in,30,missed,school_closed\r\n"
    ).encode()
    counts = team.import_service_log(good, actor="admin")
    assert (counts.inserted, counts.updated) == (1, 1)
    before = team.load_district().service_log
    bad = good + b"S1,2026-09-16,push_in,30,missed,\r\n"
    with pytest.raises(EntryError, match=r"service_log\.csv, row 4, column reason"):
        team.import_service_log(bad, actor="admin")
    pd.testing.assert_frame_equal(team.load_district().service_log, before)
    assert team.audit_log()["action"].iloc[0] == "add_service_log"
