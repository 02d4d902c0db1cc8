"""The team's work on the pages (AppTest): the rating worksheet follows the answers live and
saves a version that every page then uses; a probe added on the Student page joins the graph;
a session logged there shows in the Caseload's fidelity; viewers get no forms; the
de-identified display hides names in the new views."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from pushin_rules.data.loader import load_district, parse_district
from pushin_rules.data.store import Store
from pushin_rules.models import FACTORS

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_data"
TIMEOUT = 90


@contextmanager
def environment(data_dir: str, seed: bool = True) -> Iterator[None]:
    keys = ("PUSHIN_DATA_DIR", "PUSHIN_SEED", "PUSHIN_DATABASE_URL")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ["PUSHIN_DATA_DIR"] = data_dir
    os.environ.pop("PUSHIN_DATABASE_URL", None)
    if seed:
        os.environ.pop("PUSHIN_SEED", None)
    else:
        os.environ["PUSHIN_SEED"] = "none"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run(at: AppTest) -> AppTest:
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_page(page: str, user: dict[str, Any] | None = None, **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if user is not None:
        at.secrets["auth"] = {
            "redirect_uri": "http://localhost:8501/oauth2callback",
            "cookie_secret": "a-long-random-string-for-the-test",
            "client_id": "pushin-test",
            "client_secret": "not-a-secret",
            "server_metadata_url": "https://idp.district.example/.well-known/openid-configuration",
        }
        at.secrets["access"] = {"editors": ["ed@district.example"], "viewers": ["vi@x.example"]}
        at.user = dict(user)
    for key, value in state.items():
        at.session_state[key] = value
    run(at)
    at.switch_page(page)
    return run(at)


def store(data_dir: str) -> Store:
    return Store(f"sqlite:///{data_dir}/pushin.db")


def submit(at: AppTest, form: str) -> AppTest:
    [button] = [b for b in at.button if b.form_id == form]
    button.click()
    return run(at)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.label for e in at.expander] + [str(s.value) for s in at.success]
    parts += [str(e.value) for e in at.error]
    return "\n".join(parts).replace("\\", "")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("team_work_db"))


@pytest.fixture(scope="module")
def sample() -> Any:
    return load_district(SAMPLE)


def first_service(sample: Any, student: int = 0) -> tuple[str, str]:
    student_id = str(sample.students["student_id"].iloc[student])
    services = sample.services[sample.services["student_id"] == student_id]
    return student_id, str(services["service_id"].iloc[0])


# --------------------------------------------------------------------------- worksheet

PULL_OUT = {k: 0 for k in FACTORS} | {
    "intensity": 3,
    "distraction_sensitivity": 3,
    "specialized_setting": 3,
}
PUSH_IN = {k: 0 for k in FACTORS} | {"generalization": 3, "curriculum_link": 3, "social_goals": 3}


def answer(at: AppTest, page: str, service_id: str, ratings: dict[str, int]) -> AppTest:
    for key, value in ratings.items():
        at.radio(key=f"tw:{page}:{service_id}:{key}").set_value(value)
    return run(at)


@pytest.mark.parametrize("page", ["student", "meeting"])
def test_worksheet_follows_the_answers_and_saves_a_version(
    data_dir: str, sample: Any, page: str
) -> None:
    student_id, service_id = first_service(sample, 1 if page == "student" else 2)
    with environment(data_dir):
        at = open_page(f"pages/{page}.py", student_id=student_id)
        answer(at, page, service_id, PULL_OUT)
        assert "With these ratings: Pull-out" in texts(at)
        answer(at, page, service_id, PUSH_IN)
        assert "With these ratings: Push-in" in texts(at)
        at.text_input(key=f"tw:{page}:{service_id}:note").set_value("after the observation")
        at.button(key=f"tw:{page}:{service_id}:save").click()
        run(at)
        assert "Saved the ratings" in texts(at)
        [latest, *_older] = store(data_dir).rating_versions(service_id)
        assert latest.ratings == PUSH_IN
        assert latest.source == "worksheet" and latest.note == "after the observation"
        assert latest.recorded_by == "local user"
        # Every page now uses the new version: the history lists it, the card follows it.
        assert f"Version {latest.id}" in texts(at)
        run(at.switch_page("pages/student.py"))
        assert "Recommended: Push-in" in texts(at)


def test_a_service_not_rated_yet_offers_the_worksheet_open(tmp_path: Path) -> None:
    files = {
        "students.csv": "student_id,name,grade,school_id\nA,Ana Ruiz,2,SCH1\n",
        "services.csv": "service_id,student_id,service,minutes_per_week,session_minutes\n"
        "S1,A,setss,90,30\n",
    }
    with environment(str(tmp_path), seed=False):
        with store(str(tmp_path)) as db:
            db.upgrade()
            db.import_district(parse_district(files, "new"), mode="replace", actor="admin")
        at = open_page("pages/student.py", student_id="A")
        assert "Rate this service" in [e.label for e in at.expander]
        assert "not rated yet" in texts(at)
        answer(at, "student", "S1", PULL_OUT)
        at.button(key="tw:student:S1:save").click()
        run(at)
        assert store(str(tmp_path)).load_district().services["rated"].tolist() == [True]
        assert "Rate this service" not in [e.label for e in at.expander]


# --------------------------------------------------------------------------- probes and log


def test_a_probe_joins_the_graph_and_can_be_corrected(data_dir: str, sample: Any) -> None:
    student_id, service_id = first_service(sample, 3)
    goal_id = str(sample.goals.loc[sample.goals["service_id"] == service_id, "goal_id"].iloc[0])
    day = dt.date(2027, 2, 26)  # after the sample's last scores
    with environment(data_dir):
        at = open_page("pages/student.py", student_id=student_id)
        at.date_input(key=f"tw:student:{goal_id}:probe_date").set_value(day)
        at.number_input(key=f"tw:student:{goal_id}:score").set_value(98.5)
        at.selectbox(key=f"tw:student:{goal_id}:setting").set_value("push_in")
        submit(at, f"tw:student:{goal_id}:probe")
        assert "Added the probe" in texts(at)
        points = store(data_dir).load_district().progress
        mine = points[(points["goal_id"] == goal_id) & (points["date"] == str(day))]
        assert mine["score"].tolist() == [98.5] and mine["setting"].tolist() == ["push_in"]
        # A second probe on the same date gets the importer's message.
        at.date_input(key=f"tw:student:{goal_id}:probe_date").set_value(day)
        at.number_input(key=f"tw:student:{goal_id}:score").set_value(1.0)
        submit(at, f"tw:student:{goal_id}:probe")
        assert "one score per goal per date" in texts(at)

        at.selectbox(key=f"tw:student:{goal_id}:fix_pick").set_value(
            int(store(data_dir).probes(goal_id)["id"].iloc[0])
        )
        run(at)
        form = f"tw:student:{goal_id}:fix"
        [score] = [n for n in at.number_input if n.form_id == form]
        score.set_value(9.85)
        [why] = [t for t in at.text_input if t.form_id == form]
        why.set_value("decimal slipped")
        submit(at, form)
        history = store(data_dir).probes(goal_id)
        assert history["score"].tolist() == [9.85, 98.5]
        log = store(data_dir).audit_log()
        assert log["action"].iloc[0] == "correct_probe"
        assert "decimal slipped" in log["details"].iloc[0]


def owed_minutes(at: AppTest) -> int:
    [metric] = [m for m in at.metric if m.label == "Make-up minutes owed"]
    return int(metric.value.replace(",", ""))


def test_a_logged_session_shows_in_the_caseload_fidelity(data_dir: str, sample: Any) -> None:
    student_id, service_id = first_service(sample, 4)
    with environment(data_dir):
        before = open_page("pages/caseload.py")
        owed = owed_minutes(before)
        at = open_page("pages/student.py", student_id=student_id)
        form = f"tw:student:{service_id}:log"
        at.date_input(key=f"tw:student:{service_id}:log_date").set_value(dt.date(2027, 2, 15))
        at.number_input(key=f"tw:student:{service_id}:log_minutes").set_value(25)
        at.radio(key=f"tw:student:{service_id}:log_status").set_value("missed")
        at.selectbox(key=f"tw:student:{service_id}:log_reason").set_value("provider_absent")
        submit(at, form)
        assert "Logged the session" in texts(at)
        log = store(data_dir).load_district().service_log
        row = log[(log["service_id"] == service_id) & (log["date"] == "2027-02-15")]
        assert row[["minutes", "status", "reason"]].values.tolist() == [
            [25, "missed", "provider_absent"]
        ]
        # Missed without a reason: refused with the importer's words, nothing stored.
        at.radio(key=f"tw:student:{service_id}:log_status").set_value("missed")
        at.date_input(key=f"tw:student:{service_id}:log_date").set_value(dt.date(2027, 2, 16))
        submit(at, form)
        assert "a reason is required when status is missed" in texts(at)
        after = open_page("pages/caseload.py")
        # The period now runs to 15 February; the 25 minutes are owed on top of the rest.
        assert owed_minutes(after) == owed + 25


# --------------------------------------------------------------------------- roles, privacy

VIEWER = {"is_logged_in": True, "email": "vi@x.example", "name": "Vi"}


def test_viewers_read_the_history_but_get_no_forms(data_dir: str, sample: Any) -> None:
    student_id, _service_id = first_service(sample, 1)
    with environment(data_dir):
        for page in ("pages/student.py", "pages/meeting.py"):
            at = open_page(page, VIEWER, student_id=student_id)
            labels = [e.label for e in at.expander]
            assert any(label.startswith("Rating history") for label in labels), page
            for form in ("Rating worksheet", "Rate this service", "Add a probe", "Log a session"):
                assert form not in labels, (page, form)
            assert not [b for b in at.button if b.label in ("Save ratings", "Add probe")]
        at = open_page("pages/data.py", VIEWER)
        assert not at.get("file_uploader")


def test_deidentified_display_hides_names_in_the_new_views(data_dir: str, sample: Any) -> None:
    names = set(sample.students["name"])
    with environment(data_dir):
        at = open_page("pages/caseload.py", deidentified=True)
        [table] = [d for d in at.dataframe if "fidelity_percent" in d.value.columns]
        assert not names & set(table.value["student"])
        student_id, _service = first_service(sample, 1)
        at = open_page("pages/student.py", deidentified=True, student_id=student_id)
        shown = texts(at)
        assert not [n for n in names if n in shown]
