"""The store, run against SQLite and PostgreSQL alike (the `db_url` fixture): round trips,
all-or-nothing imports (including a killed importer), concurrent writers, append-only
decisions, corrections and schema upgrades."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from pushin_rules.data import migrations
from pushin_rules.data.district import FRAME_NAMES, District
from pushin_rules.data.store import (
    ALL_TABLES,
    LOCAL_USER,
    DecisionError,
    DecisionInput,
    Store,
    database_url,
    normalize_url,
)
from pushin_rules.errors import DistrictError
from pushin_rules.models import FACTORS

TESTS_DIR = Path(__file__).resolve().parent
REPO_DIR = TESTS_DIR.parent


# --------------------------------------------------------------------------- data


def _obj(values: list) -> pd.Series:
    return pd.Series(values, dtype=object)


def small_district() -> District:
    """Every table, with values that trip up storage: quotes, accents, empty strings,
    awkward floats, dates across a year end, int8 ratings at both ends."""
    schools = pd.DataFrame(
        {
            "school_id": _obj(["A", "B"]),
            "name": _obj(["Lincoln Elementary", 'École O\'Brien, "Annex"']),
            "minutes_per_day": np.array([365, 380], dtype="int64"),
            "days_per_week": np.array([5, 4], dtype="int64"),
        }
    )
    students = pd.DataFrame(
        {
            "student_id": _obj(["S2", "S10", "S1"]),  # file order, not sorted order
            "name": _obj(["Zoë Ramírez", '=HYPERLINK("x")', "<script>alert(1)</script>"]),
            "grade": _obj(["K", "3", "12"]),
            "school_id": _obj(["A", "B", "A"]),
            "classroom": _obj(["101", "", "Room 7; B"]),
            "case_manager": _obj(["Ms. Lee", "", "Mr. O'Neil"]),
        }
    )
    providers = pd.DataFrame(
        {
            "provider_id": _obj(["P1", "P2"]),
            # Words a CSV reader takes for a missing value, and a line break in a cell: the
            # bulk read parses the database's own CSV text.
            "name": _obj(["NULL", "NA\r\nOlu Ot"]),
            "role": _obj(["slp", "ot"]),
            "weekly_capacity_minutes": np.array([1800, 0], dtype="int64"),
        }
    )
    services = pd.DataFrame(
        {
            "service_id": _obj(["SV1", "SV2", "SV3"]),
            "student_id": _obj(["S2", "S2", "S10"]),
            "service": _obj(["speech_language", "occupational_therapy", "setss"]),
            "provider_id": _obj(["P1", "P2", ""]),
            "minutes_per_week": np.array([60, 90, 300], dtype="int64"),
            "session_minutes": np.array([30, 45, 60], dtype="int64"),
            "group_size": np.array([1, 3, 8], dtype="int64"),
            "current_model": _obj(["push_in", "hybrid", ""]),
            "current_push_in_minutes": np.array([60, 45, 0], dtype="int64"),
            **{factor: np.array([0, 3, i % 4], dtype="int8") for i, factor in enumerate(FACTORS)},
        }
    )
    goals = pd.DataFrame(
        {
            "goal_id": _obj(["G1", "G2"]),
            "service_id": _obj(["SV1", "SV2"]),
            "description": _obj(["Produces /r/ in words, 80% accuracy", ""]),
            "measure": _obj(["percent accuracy", "errors per page"]),
            "direction": _obj(["increase", "decrease"]),
            "target": np.array([80.0, 0.1], dtype="float64"),
            "target_date": pd.Series(pd.to_datetime(["2025-06-13", "2026-01-02"])).astype(
                "datetime64[ns]"
            ),
        }
    )
    progress = pd.DataFrame(
        {
            "goal_id": _obj(["G1", "G1", "G1", "G2", "G2"]),
            "date": pd.Series(
                pd.to_datetime(
                    ["2024-12-30", "2025-01-06", "2025-01-13", "2024-09-02", "2024-09-09"]
                )
            ).astype("datetime64[ns]"),
            "score": np.array([7.0, 5.5, 1 / 3, -2.25, 1e-9], dtype="float64"),
            "setting": _obj(["push_in", "pull_out", "", "pull_out", "push_in"]),
        }
    )
    return District(
        schools=schools,
        students=students,
        providers=providers,
        services=services,
        goals=goals,
        progress=progress,
        source="small test district",
    )


def synthetic_district(students: int, seed: int = 1, tag: str = "") -> District:
    """A larger district: 2 services per student, 2 goals per service, 10 points per goal."""
    rng = np.random.default_rng(seed)
    n_schools = max(1, students // 400)
    student_ids = np.char.add("S", np.arange(students).astype(str))
    n_services = students * 2
    n_goals = n_services * 2
    n_points = n_goals * 10
    schools = pd.DataFrame(
        {
            "school_id": _obj([f"SCH{i}" for i in range(n_schools)]),
            "name": _obj([f"School {i}{tag}" for i in range(n_schools)]),
            "minutes_per_day": np.full(n_schools, 365, dtype="int64"),
            "days_per_week": np.full(n_schools, 5, dtype="int64"),
        }
    )
    frame_students = pd.DataFrame(
        {
            "student_id": _obj(student_ids.tolist()),
            "name": _obj([f"Student {i}{tag}" for i in range(students)]),
            "grade": _obj([str(1 + i % 12) for i in range(students)]),
            "school_id": _obj([f"SCH{i % n_schools}" for i in range(students)]),
            "classroom": _obj([f"R{i % 30}" for i in range(students)]),
            "case_manager": _obj([""] * students),
        }
    )
    providers = pd.DataFrame(
        {
            "provider_id": _obj(["P1"]),
            "name": _obj([f"Pat{tag}"]),
            "role": _obj(["slp"]),
            "weekly_capacity_minutes": np.array([1800], dtype="int64"),
        }
    )
    services = pd.DataFrame(
        {
            "service_id": _obj([f"SV{i}" for i in range(n_services)]),
            "student_id": _obj(np.repeat(student_ids, 2).tolist()),
            "service": _obj(["speech_language"] * n_services),
            "provider_id": _obj(["P1"] * n_services),
            "minutes_per_week": np.full(n_services, 60, dtype="int64"),
            "session_minutes": np.full(n_services, 30, dtype="int64"),
            "group_size": np.ones(n_services, dtype="int64"),
            "current_model": _obj(["pull_out"] * n_services),
            "current_push_in_minutes": np.zeros(n_services, dtype="int64"),
            **{f: rng.integers(0, 4, n_services).astype("int8") for f in FACTORS},
        }
    )
    goals = pd.DataFrame(
        {
            "goal_id": _obj([f"G{i}" for i in range(n_goals)]),
            "service_id": _obj([f"SV{i // 2}" for i in range(n_goals)]),
            "description": _obj([f"Goal{tag}"] * n_goals),
            "measure": _obj(["wcpm"] * n_goals),
            "direction": _obj(["increase"] * n_goals),
            "target": rng.uniform(50, 100, n_goals),
            "target_date": pd.Series(np.full(n_goals, np.datetime64("2025-06-01", "ns"))).astype(
                "datetime64[ns]"
            ),
        }
    )
    weeks = np.tile(np.arange(10), n_goals)
    progress = pd.DataFrame(
        {
            "goal_id": _obj(np.repeat(goals["goal_id"].to_numpy(), 10).tolist()),
            "date": pd.Series(
                np.datetime64("2024-09-02", "ns") + weeks * np.timedelta64(7, "D")
            ).astype("datetime64[ns]"),
            "score": rng.normal(40, 5, n_points),
            "setting": _obj(np.where(weeks < 5, "pull_out", "push_in").tolist()),
        }
    ).sort_values(["goal_id", "date"], kind="stable", ignore_index=True)
    return District(
        schools=schools,
        students=frame_students,
        providers=providers,
        services=services,
        goals=goals,
        progress=progress,
        source=f"synthetic district of {students} students",
    )


def decision(**overrides: object) -> DecisionInput:
    fields: dict[str, object] = {
        "student_id": "S2",
        "service_id": "SV1",
        "recommendation": "hybrid",
        "rec_push_in_minutes": 30,
        "rec_pull_out_minutes": 30,
        "explanation": {
            "confidence": 0.72,
            "reasons": ["Needs a quiet room for articulation drill.", "Ünïcode ✓"],
            "scores": {"push_in": 1.5, "pull_out": 2.25},
            "nested": [{"factor": "intensity", "rating": 3}, None, True],
        },
        "decision": "adopted",
        "attendees": ["Ms. Lee (teacher)", "Mr. Ramírez (parent)", "Pat Speech (SLP)"],
        "meeting_date": dt.date(2025, 3, 14),
        "recorded_by": "lee@district.example",
        "rules_name": "default",
        "rules_version": "2025.1",
        "rules_hash": "sha256:0123abcd",
    }
    fields.update(overrides)
    return DecisionInput(**fields)


def assert_district_equal(actual: District, expected: District) -> None:
    for name in FRAME_NAMES:
        wanted = expected.frames()[name]
        if name == "services" and "rated" not in wanted:
            wanted = wanted.assign(rated=True)  # built by hand with every rating given
        pd.testing.assert_frame_equal(actual.frames()[name], wanted, check_exact=True, obj=name)


def table_rows(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(ALL_TABLES[table])).scalar()


# --------------------------------------------------------------------------- settings


def test_database_url_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUSHIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("PUSHIN_DATA_DIR", str(tmp_path / "fresh" / "data"))
    url = database_url()
    assert url == f"sqlite:///{tmp_path / 'fresh' / 'data' / 'pushin.db'}"
    assert (tmp_path / "fresh" / "data").is_dir()  # created on first run
    assert database_url({"database_url": "postgresql+psycopg://x@h/db"}).endswith("@h/db")
    monkeypatch.setenv("PUSHIN_DATABASE_URL", "sqlite:////elsewhere.db")
    assert database_url({"database_url": "postgresql://x@h/db"}) == "sqlite:////elsewhere.db"

    monkeypatch.delenv("PUSHIN_DATABASE_URL")
    monkeypatch.delenv("PUSHIN_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    assert database_url({}) == f"sqlite:///{tmp_path / 'data' / 'pushin.db'}"


def test_plain_postgres_urls_use_psycopg3() -> None:
    assert normalize_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_settings(tmp_path: Path) -> None:
    with (
        Store.open(f"sqlite:///{tmp_path}/deep/dir/p.db", seed_dir=None) as store,
        store.engine.connect() as conn,
    ):
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000


# --------------------------------------------------------------------------- district


def test_empty_database_gives_empty_district(store: Store) -> None:
    loaded = store.load_district()
    assert_district_equal(loaded, District.empty())


def test_district_round_trip(store: Store) -> None:
    district = small_district()
    before = store.district_version()
    result = store.import_district(district, mode="replace", actor="lee@district.example")
    assert result.counts["students"].inserted == 3
    assert result.counts["progress"].inserted == 5
    assert result.district_version == store.district_version() != before

    loaded = store.load_district()
    assert_district_equal(loaded, district)
    assert loaded.source == "small test district"
    # Single-record accessors still work on what came back.
    assert loaded.service("SV2").current_push_in == 45
    assert loaded.progress_of("G1")[2].score == 1 / 3

    audit = store.audit_log()
    assert list(audit.columns) == ["when", "who", "action", "details"]
    assert audit.iloc[0]["who"] == "lee@district.example"
    assert audit.iloc[0]["action"] == "import_replace"
    assert str(audit["when"].dtype) == "datetime64[ns, UTC]"


def test_reimport_same_data_changes_nothing_but_the_version(store: Store) -> None:
    store.import_district(small_district(), mode="replace", actor=LOCAL_USER)
    version = store.district_version()
    again = store.import_district(small_district(), mode="replace", actor=LOCAL_USER)
    assert all(c.updated == c.inserted == c.removed == 0 for c in again.counts.values())
    assert again.summary().startswith("No changes")
    assert store.district_version() != version


def test_merge_updates_inserts_and_keeps(store: Store) -> None:
    store.import_district(small_district(), mode="replace", actor=LOCAL_USER)
    base = small_district()
    students = base.students.copy()
    students.loc[students["student_id"] == "S1", "classroom"] = "Room 9"
    students = pd.concat(
        [
            students,
            pd.DataFrame(
                {
                    c: _obj([v])
                    for c, v in zip(
                        students.columns, ["S3", "New Kid", "2", "A", "", ""], strict=True
                    )
                }
            ),
        ],
        ignore_index=True,
    )
    # Only two progress rows arrive: one changed score (same goal and date), one new date.
    progress = pd.DataFrame(
        {
            "goal_id": _obj(["G1", "G1"]),
            "date": pd.Series(pd.to_datetime(["2025-01-06", "2025-01-20"])).astype(
                "datetime64[ns]"
            ),
            "score": np.array([6.0, 9.0]),
            "setting": _obj(["pull_out", "push_in"]),
        }
    )
    merged = District(
        **{**base.frames(), "students": students, "progress": progress}, source="merge"
    )
    result = store.import_district(merged, mode="merge", actor="editor@x")
    assert result.counts["students"].model_dump() == {
        "inserted": 1,
        "updated": 1,
        "removed": 0,
        "unchanged": 2,
    }
    assert result.counts["progress"].model_dump() == {
        "inserted": 1,
        "updated": 1,
        "removed": 0,
        "unchanged": 0,
    }
    loaded = store.load_district()
    assert loaded.students["student_id"].tolist() == ["S2", "S10", "S1", "S3"]
    assert loaded.student("S1").classroom == "Room 9"
    points = loaded.progress[loaded.progress["goal_id"] == "G1"]
    assert points["score"].tolist() == [7.0, 6.0, 1 / 3, 9.0]  # kept, updated, kept, new
    assert len(loaded.progress) == 6
    assert store.audit_log().iloc[0]["action"] == "import_merge"


def test_merged_points_come_back_in_goal_and_date_order(store: Store) -> None:
    # A merge appends rows after the stored ones; a point dated before every stored point
    # of its goal, and a goal id sorting before the others, must still come back in order.
    store.import_district(small_district(), mode="replace", actor=LOCAL_USER)
    base = small_district()
    early = pd.DataFrame(
        {
            "goal_id": _obj(["G2", "G1"]),
            "date": pd.Series(pd.to_datetime(["2020-01-06", "2020-01-06"])).astype(
                "datetime64[ns]"
            ),
            "score": np.array([1.0, 2.0]),
            "setting": _obj(["", "push_in"]),
        }
    )
    store.import_district(
        District(**{**base.frames(), "progress": early}, source="merge"),
        mode="merge",
        actor=LOCAL_USER,
    )
    loaded = store.load_district().progress
    expected = pd.concat([base.progress, early]).sort_values(["goal_id", "date"], kind="stable")
    pd.testing.assert_frame_equal(loaded, expected.reset_index(drop=True))


def test_merge_never_writes_stand_in_schools_over_stored_ones(store: Store) -> None:
    """A merge upload without schools.csv gets schools rebuilt with the default week; those
    stand-ins must not overwrite the stored names and bell schedules."""
    from dataclasses import replace

    from pushin_rules.data.loader import _schools_from_students

    original = small_district()
    store.import_district(original, mode="replace", actor=LOCAL_USER)
    upload = replace(
        original,
        schools=_schools_from_students(original.students),  # what the loader builds
        derived=("schools.csv",),
    )
    result = store.import_district(upload, mode="merge", actor=LOCAL_USER)
    assert result.counts["schools"].updated == 0
    stored = store.load_district().schools.set_index("school_id")
    assert stored.loc["B", "minutes_per_day"] == 380
    assert stored.loc["A", "name"] == "Lincoln Elementary"


def test_replace_removes_rows_absent_from_the_new_district(store: Store) -> None:
    store.import_district(small_district(), mode="replace", actor=LOCAL_USER)
    smaller = synthetic_district(3)
    result = store.import_district(smaller, mode="replace", actor=LOCAL_USER)
    assert result.counts["students"].removed == 1  # S10 (S1, S2 come back, changed)
    assert result.counts["students"].updated == 2
    assert result.counts["students"].inserted == 1  # S0
    assert_district_equal(store.load_district(), smaller)


def test_duplicate_keys_are_refused_before_touching_the_database(store: Store) -> None:
    store.import_district(small_district(), mode="replace", actor=LOCAL_USER)
    bad = small_district()
    services = pd.concat([bad.services, bad.services.iloc[[0]]], ignore_index=True)
    with pytest.raises(DistrictError, match="duplicate"):
        store.import_district(
            District(**{**bad.frames(), "services": services}), mode="replace", actor="x"
        )
    assert_district_equal(store.load_district(), small_district())


@pytest.mark.parametrize("mode", ["replace", "merge"])
def test_import_rolls_back_when_the_database_refuses_a_row(store: Store, mode: str) -> None:
    store.import_district(small_district(), mode="replace", actor=LOCAL_USER)
    version = store.district_version()
    audit_rows = len(store.audit_log())
    # A big district whose very last service points at a student that does not exist: the
    # database refuses it after the old rows were deleted and thousands of new ones written.
    big = synthetic_district(3000, seed=5, tag="-new")
    services = big.services.copy()
    services.loc[len(services) - 1, "student_id"] = "NOBODY"
    bad = District(**{**big.frames(), "services": services}, source="bad upload")
    with pytest.raises(DistrictError, match="refused"):
        store.import_district(bad, mode=mode, actor="x")
    assert_district_equal(store.load_district(), small_district())
    assert store.district_version() == version
    assert len(store.audit_log()) == audit_rows


def _doomed_importer(url: str, marker: str) -> None:
    """Runs in a child process: starts a big replace-import and stops inside it, mid-way."""
    district = synthetic_district(1500, seed=7, tag="-new")
    store = Store(url)

    def progress(table: str, done: int, total: int) -> None:
        # Old rows deleted, new schools..goals written, the first progress chunk in.
        if table == "progress":
            Path(marker).write_text(f"{table} {done}/{total}")
            time.sleep(120)

    store.import_district(district, mode="replace", actor="doomed", on_progress=progress)


def test_import_killed_midway_leaves_the_old_data(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    old = synthetic_district(50, seed=1)
    store.import_district(old, mode="replace", actor=LOCAL_USER)
    version = store.district_version()
    marker = tmp_path / "mid-import"
    # A forked child starts in a second instead of re-importing pandas; it must not inherit
    # open database connections, so the parent's pool is emptied first.
    store.engine.dispose()
    child = multiprocessing.get_context("fork").Process(
        target=_doomed_importer, args=(db_url, str(marker))
    )
    child.start()
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            assert child.is_alive(), f"the importer died early (exit code {child.exitcode})"
            assert time.monotonic() < deadline, "the importer never got mid-way"
            time.sleep(0.05)
        # Readers are not blocked by the open import, and see only the committed data.
        assert len(store.load_district().students) == 50
        os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        child.join(timeout=30)
    finally:
        if child.is_alive():
            child.kill()
            child.join()
    assert child.exitcode == -signal.SIGKILL
    assert marker.read_text().startswith("progress ")

    reopened = Store.open(db_url, seed_dir=None)
    try:
        assert_district_equal(reopened.load_district(), old)
        assert reopened.district_version() == version
        assert "doomed" not in set(reopened.audit_log()["who"])
        # The database is writable again (no lock left behind by the dead importer).
        reopened.import_district(small_district(), mode="replace", actor=LOCAL_USER)
        reopened.record_decision(decision())
    finally:
        reopened.close()


# --------------------------------------------------------------------------- decisions


def test_decision_round_trip(store: Store) -> None:
    store.import_district(small_district(), mode="replace", actor=LOCAL_USER)
    given = decision(
        decision="overridden",
        decided_model="pull_out",
        decided_push_in_minutes=0,
        decided_pull_out_minutes=60,
        rationale="Parent reports he is anxious in class; revisit in 6 weeks.\nSecond line.",
    )
    before = dt.datetime.now(dt.UTC)
    new_id = store.record_decision(given)
    after = dt.datetime.now(dt.UTC)

    [record] = store.decisions_for_student("S2")
    assert record.id == new_id
    stored = record.model_dump(exclude={"id", "recorded_at", "superseded_by", "rating_version_id"})
    assert stored == given.model_dump()
    # The decision keeps the ratings it was made on: SV1's latest version (from the import).
    assert record.rating_version_id == store.rating_versions("SV1")[0].id
    assert before <= record.recorded_at <= after
    assert record.recorded_at.tzinfo is not None
    assert record.superseded_by is None and record.is_current
    assert store.decision(new_id) == record

    audit = store.audit_log(limit=1)
    assert audit.iloc[0]["who"] == "lee@district.example"
    assert audit.iloc[0]["action"] == "record_decision"
    assert f"decision {new_id}" in audit.iloc[0]["details"]


def test_adopted_decision_takes_the_recommendation(store: Store) -> None:
    new_id = store.record_decision(
        {
            **decision().model_dump(),
            "decided_model": None,
            "decided_push_in_minutes": None,
            "decided_pull_out_minutes": None,
        }
    )
    record = store.decision(new_id)
    assert (record.decided_model.value, record.decided_push_in_minutes) == ("hybrid", 30)


def test_override_without_rationale_is_refused_in_plain_words(store: Store) -> None:
    fields = decision().model_dump() | {
        "decision": "overridden",
        "decided_model": "push_in",
        "decided_push_in_minutes": 60,
        "decided_pull_out_minutes": 0,
        "rationale": "   ",
    }
    with pytest.raises(DecisionError) as caught:
        store.record_decision(fields)
    message = str(caught.value)
    assert message.startswith("A rationale is required when the team overrides")
    assert "validation error" not in message and "type=" not in message
    with pytest.raises(ValidationError, match="A rationale is required"):
        DecisionInput(**fields)
    assert store.all_decisions() == []


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"attendees": [" ", ""]}, "at least one person who attended"),
        ({"decided_model": "push_in"}, "adopted decision keeps the recommended"),
        (
            {"decision": "overridden", "rationale": "same"},
            "same as the recommendation",
        ),
        (
            {
                "decision": "overridden",
                "rationale": "r",
                "decided_model": "hybrid",
                "decided_push_in_minutes": 60,
                "decided_pull_out_minutes": 0,
            },
            "needs minutes both in class and pulled out",
        ),
        ({"explanation": {"when": dt.date(2025, 1, 1)}}, "plain data"),
        ({"rules_version": ""}, "Rule set version"),
    ],
)
def test_invalid_decisions_explain_themselves(changes: dict, words: str) -> None:
    fields = decision().model_dump() | changes
    with pytest.raises(DecisionError, match=words):
        DecisionInput.build(**fields)


def test_decided_minutes_must_add_up_to_the_service(store: Store) -> None:
    store.import_district(small_district(), mode="replace", actor=LOCAL_USER)
    with pytest.raises(DecisionError, match="must add up to the service's 60 minutes"):
        store.record_decision(decision(rec_push_in_minutes=20, rec_pull_out_minutes=20))
    with pytest.raises(DecisionError, match="belongs to student S2"):
        store.record_decision(decision(student_id="S1"))
    assert store.all_decisions() == []
    # A service the district no longer lists is not checked: its history must stay writable.
    store.record_decision(decision(service_id="GONE", rec_pull_out_minutes=15))


def test_decisions_are_append_only(store: Store) -> None:
    first = store.record_decision(decision())
    audit_before = store.audit_log()
    statements = [
        "UPDATE decisions SET rationale = 'edited' WHERE id = :id",
        "DELETE FROM decisions WHERE id = :id",
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
    ]
    if store.dialect == "postgresql":
        statements.append("TRUNCATE decisions")
    for statement in statements:
        with (
            pytest.raises(sa.exc.DBAPIError, match="append-only"),
            store.engine.begin() as conn,
        ):
            conn.execute(sa.text(statement), {"id": first})
    assert store.decision(first).rationale == ""
    pd.testing.assert_frame_equal(store.audit_log(), audit_before)
    assert not any(name.startswith(("update", "delete")) for name in dir(store))


def test_corrections_chain_and_history_newest_first(store: Store) -> None:
    store.import_district(small_district(), mode="replace", actor=LOCAL_USER)
    first = store.record_decision(decision())
    other = store.record_decision(
        decision(
            service_id="SV2",
            recommendation="pull_out",
            rec_push_in_minutes=0,
            rec_pull_out_minutes=90,
        )
    )
    second = store.record_decision(
        decision(
            decision="overridden",
            decided_model="push_in",
            decided_push_in_minutes=60,
            decided_pull_out_minutes=0,
            rationale="Typo fixed: team chose push-in.",
            supersedes=first,
        )
    )
    third = store.record_decision(decision(supersedes=second))

    history = store.decisions_for_service("SV1")
    assert [r.id for r in history] == [third, second, first]
    assert [r.superseded_by for r in history] == [None, third, second]
    assert [r.supersedes for r in history] == [second, first, None]
    assert [r.id for r in store.decisions_for_student("S2")] == [third, second, other, first]
    assert [r.id for r in store.all_decisions(limit=2)] == [third, second]
    assert store.decisions_for_student("nobody") == []

    with pytest.raises(DecisionError, match=f"already corrected by decision {second}"):
        store.record_decision(decision(supersedes=first))
    with pytest.raises(DecisionError, match="correction must be for the same service"):
        store.record_decision(
            decision(
                service_id="SV2",
                recommendation="pull_out",
                rec_push_in_minutes=0,
                rec_pull_out_minutes=90,
                supersedes=third,
            )
        )
    with pytest.raises(DecisionError, match="does not exist"):
        store.record_decision(decision(supersedes=9999))
    assert len(store.all_decisions()) == 4


def _writer(url: str, writer: int, count: int) -> None:
    # Every writer opens the (possibly still empty) database itself, as app processes do.
    store = Store.open(url, seed_dir=None)
    for n in range(count):
        store.record_decision(
            decision(
                student_id=f"W{writer}",
                service_id=f"W{writer}-SV",
                explanation={"writer": writer, "n": n},
                recorded_by=f"writer {writer}",
            )
        )
    store.close()


def test_eight_concurrent_writers_lose_nothing(db_url: str) -> None:
    writers, each = 8, 100
    context = multiprocessing.get_context("fork")  # children inherit imports: fast start
    processes = [context.Process(target=_writer, args=(db_url, w, each)) for w in range(writers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * writers

    with Store.open(db_url, seed_dir=None) as store:
        records = store.all_decisions()
        assert len(records) == writers * each
        seen = {(r.explanation["writer"], r.explanation["n"]) for r in records}
        assert seen == {(w, n) for w in range(writers) for n in range(each)}
        assert len({r.id for r in records}) == writers * each
        for w in range(writers):
            mine = store.decisions_for_student(f"W{w}")
            assert [r.explanation["n"] for r in mine] == list(range(each - 1, -1, -1))
        log = store.audit_log(limit=10_000)
        assert (log["action"] == "record_decision").sum() == writers * each
        assert store.schema_version() == migrations.LATEST
        assert table_rows(store, "decisions") == writers * each


# --------------------------------------------------------------------------- schema


def test_schema_matches_the_tables_the_store_queries(store: Store) -> None:
    inspector = sa.inspect(store.engine)
    for name, table in ALL_TABLES.items():
        in_db = {c["name"] for c in inspector.get_columns(name)}
        assert in_db == {c.name for c in table.columns}, name


def test_old_schema_is_upgraded_without_losing_rows(db_url: str) -> None:
    old = Store(db_url)
    assert old.upgrade(target=1) == [1]
    assert old.schema_version() == 1
    # Rows written by the version-1 release, directly, the way it would have.
    with old.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO schools (school_id, name, minutes_per_day, days_per_week, pos) "
            "VALUES ('A', 'Old School', 360, 5, 0)"
        )
        conn.exec_driver_sql(
            "INSERT INTO students (student_id, name, grade, school_id, classroom, "
            "case_manager, pos) VALUES ('S1', 'Old Student', '4', 'A', '', '', 0)"
        )
    old.close()

    with Store.open(db_url, seed_dir=None) as store:  # no seeding: the district is not empty
        assert store.schema_version() == migrations.LATEST
        district = store.load_district()
        assert district.students["name"].tolist() == ["Old Student"]
        assert district.school("A").minutes_per_day == 360
        store.record_decision(decision(student_id="S1"))
        assert store.audit_log()["action"].tolist()[-1] == "schema_upgrade"
        assert store.upgrade() == []  # idempotent
        assert alembic_revision(store) == migrations.revisions()[-1]


def alembic_revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one()


def test_revisions_are_numbered_one_line() -> None:
    """The numbering other revisions follow: 0001, 0002, ... each on top of the one before."""
    ids = migrations.revisions()
    assert ids[:3] == ("0001", "0002", "0003")
    assert len(ids) == migrations.LATEST


@pytest.mark.parametrize("legacy_version", [1, 2, 3])
def test_database_made_before_alembic_is_stamped_with_its_data_intact(
    db_url: str, legacy_version: int
) -> None:
    """A database the hand-written runner made (copied verbatim into legacy_schema_runner)
    is recognised: stamped at the same revision, rows and `schema_version` untouched, only the
    revisions it lacked applied."""
    import legacy_schema_runner as legacy

    old = Store(db_url)
    assert legacy.upgrade(old._write, target=legacy_version) == list(range(1, legacy_version + 1))
    with old.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO schools (school_id, name, minutes_per_day, days_per_week, pos) "
            "VALUES ('A', 'Old School', 360, 5, 0)"
        )
        conn.exec_driver_sql(
            "INSERT INTO students (student_id, name, grade, school_id, classroom, "
            "case_manager, pos) VALUES ('S1', 'Old Student', '4', 'A', '', '', 0)"
        )
    if legacy_version >= 2:
        _legacy_decision(old, decision(student_id="S1", service_id="GONE"))
    with old.engine.connect() as conn:
        legacy_rows = conn.exec_driver_sql(
            "SELECT version, description, applied_at FROM schema_version ORDER BY version"
        ).all()
    audit_before = old.audit_log() if legacy_version >= 2 else None
    old.close()

    with Store.open(db_url, seed_dir=None) as store:
        assert alembic_revision(store) == migrations.revisions()[-1]
        assert store.schema_version() == migrations.LATEST
        district = store.load_district()
        assert district.students["name"].tolist() == ["Old Student"]
        assert district.school("A").minutes_per_day == 360
        with store.engine.connect() as conn:
            assert (
                conn.exec_driver_sql(
                    "SELECT version, description, applied_at FROM schema_version ORDER BY version"
                ).all()
                == legacy_rows
            )
        log = store.audit_log()  # newest first
        if legacy_version == migrations.LATEST:  # nothing to apply: stamped only, no audit
            pd.testing.assert_frame_equal(log, audit_before)
        else:
            assert log["action"].tolist()[0] == "schema_upgrade"
        if legacy_version >= 2:
            assert [r.student_id for r in store.all_decisions()] == ["S1"]
            older = log.iloc[len(log) - len(audit_before) :].reset_index(drop=True)
            pd.testing.assert_frame_equal(older, audit_before)
        # The append-only guards hold whichever runner made them.
        with (
            pytest.raises(sa.exc.DBAPIError, match="append-only"),
            store.engine.begin() as conn,
        ):
            conn.exec_driver_sql("DELETE FROM audit_log")
        assert store.upgrade() == []


def _legacy_decision(store: Store, given: DecisionInput) -> None:
    """A decision as the runner-era release wrote it (today's writer also notes the rating
    version, a table such a database does not have yet), with its audit line."""
    row = given.model_dump(mode="python")
    row["recommendation"] = given.recommendation.value
    row["decided_model"] = given.decided_model.value  # type: ignore[union-attr]
    row["explanation"] = json.dumps(given.explanation)
    row["attendees"] = json.dumps(given.attendees)
    row["recorded_at"] = dt.datetime.now(dt.UTC)
    table = sa.table("decisions", *(sa.column(name) for name in row))
    with store.engine.begin() as conn:
        conn.execute(sa.insert(table).values(**row))
        store._audit(conn, given.recorded_by, "record_decision", "decision (legacy)")


def _schema_snapshot(conn: sa.Connection) -> dict:
    """Every table's columns, keys, indexes, checks and triggers, as the database reports them."""
    inspector = sa.inspect(conn)
    tables = sorted(set(inspector.get_table_names()) - {"alembic_version", "schema_version"})
    snapshot: dict = {}
    for name in tables:
        snapshot[name] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(name)
            ],
            "pk": inspector.get_pk_constraint(name)["constrained_columns"],
            "fks": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(name)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), i["unique"])
                for i in inspector.get_indexes(name)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)
            ),
            "checks": sorted(
                (c["name"], c["sqltext"]) for c in inspector.get_check_constraints(name)
            ),
        }
    if conn.dialect.name == "postgresql":
        triggers = conn.exec_driver_sql(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
        ).all()
    else:
        triggers = conn.exec_driver_sql(
            "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
        ).all()
    snapshot["triggers"] = sorted(tuple(t) for t in triggers)
    return snapshot


def test_alembic_revisions_build_the_schema_the_old_runner_built(db_url: str) -> None:
    """Revisions 0001-0003 are the runner's three steps: the same tables, to the index,
    check constraint and append-only trigger."""
    import legacy_schema_runner as legacy

    store = Store(db_url)
    legacy.upgrade(store._write)
    with store.engine.connect() as conn:
        built_by_runner = _schema_snapshot(conn)
    with store.engine.begin() as conn:
        reflected = sa.MetaData()
        reflected.reflect(conn)
        reflected.drop_all(conn)
    assert store.upgrade(target=3) == [1, 2, 3]
    with store.engine.connect() as conn:
        assert _schema_snapshot(conn) == built_by_runner
    assert len(built_by_runner["triggers"]) == 4  # UPDATE and DELETE (PostgreSQL: +TRUNCATE)
    store.close()


def test_database_from_a_newer_release_is_not_touched(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(migrations.SchemaTooNew, match="newer release"):
        Store.open(store.url, seed_dir=None)
    assert alembic_revision(store) == "0099"


def test_database_from_a_newer_pre_alembic_release_is_not_touched(db_url: str) -> None:
    import legacy_schema_runner as legacy

    old = Store(db_url)
    legacy.upgrade(old._write)
    with old.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO schema_version (version, description, applied_at) "
            "VALUES (4, 'future', CURRENT_TIMESTAMP)"
        )
    with pytest.raises(migrations.SchemaTooNew, match="newer release"):
        Store.open(db_url, seed_dir=None)
    assert alembic_revision(old) is None
    old.close()


def _write_csv_district(folder: Path) -> None:
    folder.mkdir()
    (folder / "students.csv").write_text(
        "student_id,name,grade,school_id\nS1,Ann Example,3,A\nS2,Bo Example,K,A\n"
    )
    factors = ",".join(FACTORS)
    ratings = ",".join("1" for _ in FACTORS)
    (folder / "services.csv").write_text(
        f"service_id,student_id,service,minutes_per_week,session_minutes,current_model,{factors}\n"
        f"SV1,S1,speech_language,60,30,pull_out,{ratings}\n"
    )


def test_open_seeds_an_empty_database_once(db_url: str, tmp_path: Path) -> None:
    from pushin_rules.data.loader import load_district

    seed = tmp_path / "seed"
    _write_csv_district(seed)
    with Store.open(db_url, seed_dir=seed) as store:
        assert_district_equal(store.load_district(), load_district(seed))
        assert store.audit_log().iloc[0]["action"] == "import_replace"
        store.import_district(small_district(), mode="replace", actor=LOCAL_USER)
    with Store.open(db_url, seed_dir=seed) as store:  # not empty: no second seeding
        assert_district_equal(store.load_district(), small_district())
    with Store.open(db_url, seed_dir=tmp_path / "absent") as store:
        assert len(store.load_district().students) == 3


@pytest.mark.skipif(
    not (REPO_DIR / "sample_data" / "students.csv").exists(), reason="sample_data not there yet"
)
def test_sample_data_seeds_identically_to_the_loader(tmp_path: Path) -> None:
    from pushin_rules.data.loader import load_district

    with Store.open(f"sqlite:///{tmp_path}/s.db") as store:
        assert_district_equal(store.load_district(), load_district(REPO_DIR / "sample_data"))


def test_restart_shows_the_decision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's "done when": record, restart (new process state), open the student."""
    monkeypatch.delenv("PUSHIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("PUSHIN_DATA_DIR", str(tmp_path / "data"))
    with Store.open(seed_dir=None) as app:
        app.import_district(small_district(), mode="replace", actor=LOCAL_USER)
        app.record_decision(
            decision(
                decision="overridden",
                decided_model="pull_out",
                decided_push_in_minutes=0,
                decided_pull_out_minutes=60,
                rationale="Needs privacy for drill.",
            )
        )
    script = (
        "from pushin_rules.data.store import Store\n"
        "r = Store.open(seed_dir=None).decisions_for_student('S2')[0]\n"
        "print(r.rationale, '|', r.rules_version)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, "PUSHIN_DATA_DIR": str(tmp_path / "data")},
        check=True,
    ).stdout
    assert shown.strip() == "Needs privacy for drill. | 2025.1"


# --------------------------------------------------------------------------- test setup


def test_postgres_install_retries_after_apt_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh CI machine has no package lists: the first install fails, update, retry."""
    import pg_server

    log = tmp_path / "apt.log"
    fake = tmp_path / "bin" / "apt-get"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {log}\n'
        f'if [ "$1" = install ] && ! grep -q update {log}; then exit 100; fi\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    monkeypatch.setattr(pg_server.os, "geteuid", lambda: 0)
    found = iter([None, tmp_path / "bin"])
    monkeypatch.setattr(pg_server, "find_bin_dir", lambda: next(found))
    assert pg_server.ensure_installed() == tmp_path / "bin"
    calls = log.read_text().splitlines()
    assert [c.split()[0] for c in calls] == ["install", "update", "install"]
    assert "postgresql" in calls[0]
