"""Properties of the shipped rules (2.0.0), over random services (hypothesis) and over every one
of the 4^8 = 65,536 combinations of the eight need ratings for 1, 2, 3 and 5 sessions a week:

- raising a pull-out factor never lowers pull-out minutes and never moves the recommendation
  toward push-in; raising a push-in factor never raises pull-out minutes;
- no pull-out minutes while every pull-out factor is rated 0-1 and no progress evidence calls
  for intensity;
- implementation ratings change nothing but the feasibility notes;
- one service scores as it does in a batch; minutes add up; pull-out minutes have a reason;
- every tipping point really produces what it states, and never says that lowering a
  pull-out factor (or raising a push-in factor) gives more time out of class.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pushin_rules.decide.engine import SCORE_COLUMNS, recommend, score_frame
from pushin_rules.decide.rules import load_rules
from pushin_rules.models import FACTORS, IMPLEMENTATION_FACTORS, NEED_FACTORS

RULES = load_rules()
PULL_OUT_KEYS = {f.key for f in RULES.need_factors if f.direction == "pull_out"}
PUSH_IN_KEYS = {f.key for f in RULES.need_factors if f.direction == "push_in"}
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Recommendations ordered by time out of class.
ORDER = {"push_in": 0, "hybrid": 1, "pull_out": 2}
SERVICE_TYPES = [
    "speech_language",
    "occupational_therapy",
    "physical_therapy",
    "counseling",
    "setss",
]

rating = st.integers(min_value=0, max_value=3)


@st.composite
def services(draw: st.DrawFn, min_size: int = 1, max_size: int = 25) -> pd.DataFrame:
    size = draw(st.integers(min_value=min_size, max_value=max_size))
    sessions = np.array(
        draw(st.lists(st.sampled_from([15, 20, 30, 45, 60]), min_size=size, max_size=size))
    )
    # Whole sessions 1-6 and 0-29 minutes over: single sessions, remainders, splits.
    whole = np.array(draw(st.lists(st.integers(1, 6), min_size=size, max_size=size)))
    extra = np.array(
        draw(st.lists(st.sampled_from([0, 0, 5, 10, 29]), min_size=size, max_size=size))
    )
    ratings = draw(arrays(np.int8, (size, len(FACTORS)), elements=st.integers(0, 3)))
    kinds = draw(st.lists(st.sampled_from(SERVICE_TYPES), min_size=size, max_size=size))
    grades = draw(
        st.lists(st.sampled_from(["K", "3", "6", "9", "12", ""]), min_size=size, max_size=size)
    )
    places = draw(
        st.lists(
            st.sampled_from(["", "pe", "bathroom", "playground"]), min_size=size, max_size=size
        )
    )
    groups = draw(st.lists(st.integers(1, 8), min_size=size, max_size=size))
    frame = pd.DataFrame(
        {
            "service_id": [f"S{i}" for i in range(size)],
            "student_id": [f"ST{i % 5}" for i in range(size)],
            "service": kinds,
            "minutes_per_week": sessions * whole + np.minimum(extra, sessions - 1),
            "session_minutes": sessions,
            "group_size": groups,
            "current_model": "",
            "current_push_in_minutes": 0,
            "natural_setting": places,
            "grade": grades,
        }
    )
    for j, key in enumerate(FACTORS):
        frame[key] = ratings[:, j]
    return frame


evidence_points = st.sampled_from([0.0, 0.0, 2.0, -2.0, 3.5])


def _evidence(frame: pd.DataFrame, points: list[float], moves: list[bool]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "service_id": frame["service_id"],
            "evidence_points": points,
            "progress_decision": "change",
            "evidence_note": "Goal G: a sentence.",
            "evidence_transition": moves,
        }
    )


@SETTINGS
@given(services(), st.data())
def test_implementation_ratings_never_change_recommendation_or_split(
    frame: pd.DataFrame, data: st.DataObject
) -> None:
    other = frame.copy()
    for key in IMPLEMENTATION_FACTORS:
        other[key] = np.array(
            data.draw(st.lists(rating, min_size=len(frame), max_size=len(frame))), dtype="int8"
        )
    points = data.draw(st.lists(evidence_points, min_size=len(frame), max_size=len(frame)))
    moves = data.draw(st.lists(st.booleans(), min_size=len(frame), max_size=len(frame)))
    evidence = _evidence(frame, points, moves)
    a = score_frame(frame, RULES, evidence)
    b = score_frame(other, RULES, evidence)
    same = [c for c in SCORE_COLUMNS if c != "feasibility_notes"]
    pd.testing.assert_frame_equal(a[same], b[same])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(services(max_size=6), st.data())
def test_one_service_scores_as_in_the_batch(frame: pd.DataFrame, data: st.DataObject) -> None:
    points = data.draw(st.lists(evidence_points, min_size=len(frame), max_size=len(frame)))
    moves = data.draw(st.lists(st.booleans(), min_size=len(frame), max_size=len(frame)))
    evidence = _evidence(frame, points, moves)
    batch = score_frame(frame, RULES, evidence)
    for i, row in enumerate(frame.to_dict("records")):
        _same(recommend(row, RULES, evidence), batch.iloc[i])


def _same(single, expected: pd.Series) -> None:
    assert single.recommendation.value == expected["recommendation"]
    assert single.split.push_in_minutes == expected["push_in_minutes"]
    assert single.split.pull_out_minutes == expected["pull_out_minutes"]
    assert single.split.push_in_sessions == expected["push_in_sessions"]
    assert single.split.pull_out_sessions == expected["pull_out_sessions"]
    assert single.split_pattern == expected["split_pattern"]
    assert single.confidence == expected["confidence"]
    assert single.rule == expected["rule"]
    assert np.isclose(single.score, expected["score"])
    assert ";".join(single.reasons) == expected["reasons"]
    assert ";".join(single.feasibility_factors) == expected["feasibility_notes"]
    tips = ";".join(
        f"{t.factor} {t.from_rating}->{t.to_rating}: {t.new_recommendation.value}"
        for t in single.tipping_points
    )
    assert tips == expected["tipping_points"]
    assert single.progress_used == bool(expected["progress_used"])


@SETTINGS
@given(services(), st.lists(evidence_points, min_size=25, max_size=25))
def test_minutes_add_up_and_every_pull_out_minute_has_a_reason(
    frame: pd.DataFrame, points: list[float]
) -> None:
    evidence = _evidence(frame, points[: len(frame)], [False] * len(frame))
    scored = score_frame(frame, RULES, evidence)
    minutes = frame["minutes_per_week"].to_numpy()
    session = frame["session_minutes"].to_numpy()
    push_in = scored["push_in_minutes"].to_numpy()
    pull_out = scored["pull_out_minutes"].to_numpy()
    assert (push_in + pull_out == minutes).all()
    assert (push_in >= 0).all() and (pull_out >= 0).all()
    for i, rec in enumerate(scored["recommendation"]):
        reasons = set(filter(None, scored.at[i, "reasons"].split(";")))
        if pull_out[i] > 0:
            assert reasons & PULL_OUT_KEYS or ("progress_evidence" in reasons and points[i] > 0), (
                scored.iloc[i]
            )
        if rec == "hybrid" and scored.at[i, "split_pattern"] == "weekly":
            # At least one whole session in each setting.
            assert pull_out[i] >= session[i] and push_in[i] >= session[i]
            assert pull_out[i] % session[i] == 0
        elif rec == "hybrid":
            # One session a week, alternating: half of it out of class on average.
            assert minutes[i] // session[i] == 1
            assert pull_out[i] == session[i] // 2
        elif rec == "pull_out":
            assert pull_out[i] == minutes[i]
        else:
            assert push_in[i] == minutes[i]
        if scored.at[i, "pull_out_points"] == 0:
            assert rec == "push_in"
        assert not set(IMPLEMENTATION_FACTORS) & reasons


@SETTINGS
@given(services(max_size=20), st.data())
def test_a_tipping_point_really_tips(frame: pd.DataFrame, data: st.DataObject) -> None:
    points = data.draw(st.lists(evidence_points, min_size=len(frame), max_size=len(frame)))
    moves = data.draw(st.lists(st.booleans(), min_size=len(frame), max_size=len(frame)))
    evidence = _evidence(frame, points, moves)
    scored = score_frame(frame, RULES, evidence)
    _check_tipping_points(frame, scored, evidence)


@SETTINGS
@given(services(max_size=20), st.data())
def test_raising_a_factor_moves_minutes_its_own_way(
    frame: pd.DataFrame, data: st.DataObject
) -> None:
    points = data.draw(st.lists(evidence_points, min_size=len(frame), max_size=len(frame)))
    moves = data.draw(st.lists(st.booleans(), min_size=len(frame), max_size=len(frame)))
    evidence = _evidence(frame, points, moves)
    before = score_frame(frame, RULES, evidence)
    for key in NEED_FACTORS:
        raised = frame.copy()
        raised[key] = np.minimum(raised[key] + 1, 3).astype("int8")
        after = score_frame(raised, RULES, evidence)
        _check_monotone(key, before, after)


def _check_monotone(key: str, before: pd.DataFrame, after: pd.DataFrame) -> None:
    old = before["pull_out_minutes"].to_numpy()
    new = after["pull_out_minutes"].to_numpy()
    old_rank = before["recommendation"].map(ORDER).to_numpy()
    new_rank = after["recommendation"].map(ORDER).to_numpy()
    if key in PULL_OUT_KEYS:
        assert (new >= old).all(), key
        assert (new_rank >= old_rank).all(), key
    else:
        assert (new <= old).all(), key
        assert (new_rank <= old_rank).all(), key


def _check_tipping_points(
    frame: pd.DataFrame, scored: pd.DataFrame, evidence: pd.DataFrame | None
) -> None:
    """Every claimed tipping point (and the one-step-nearer change when it is bigger than
    one) rescored in one batch; a tipping point never claims a move against its factor."""
    rows, expected = [], []
    records = frame.to_dict("records")
    for i, text in enumerate(scored["tipping_points"]):
        for piece in filter(None, text.split(";")):
            change, new = piece.split(": ")
            key, move = change.split(" ")
            before, after = (int(x) for x in move.split("->"))
            assert key not in IMPLEMENTATION_FACTORS
            assert records[i][key] == before
            now = ORDER[scored.at[i, "recommendation"]]
            toward_out = (after > before) == (key in PULL_OUT_KEYS)
            assert (ORDER[new] > now) == toward_out, (piece, scored.at[i, "recommendation"])
            rows.append({**records[i], key: after, "service_id": records[i]["service_id"]})
            expected.append(new)
            if abs(after - before) > 1:
                nearer = before + (1 if after > before else -1)
                rows.append({**records[i], key: nearer})
                expected.append(scored.at[i, "recommendation"])
    if rows:
        rescored = score_frame(pd.DataFrame(rows), RULES, evidence)
        assert rescored["recommendation"].tolist() == expected


# ------------------------------------------------------------------ every rating combination


def every_combination(sessions: int, session_minutes: int = 30) -> pd.DataFrame:
    """4^8 services: row index = sum of rating_j x 4^j over the need factors in NEED_FACTORS
    order (so raising factor j by one is the row 4^j further on)."""
    grid = np.array(list(itertools.product(range(4), repeat=len(NEED_FACTORS))))[:, ::-1]
    n = len(grid)
    frame = pd.DataFrame(
        {
            "service_id": [f"S{i}" for i in range(n)],
            "student_id": "ST",
            "service": "setss",
            "minutes_per_week": sessions * session_minutes,
            "session_minutes": session_minutes,
            "group_size": 1,
            "current_model": "",
            "current_push_in_minutes": 0,
        }
    )
    for j, key in enumerate(NEED_FACTORS):
        frame[key] = grid[:, j].astype("int8")
    for key in IMPLEMENTATION_FACTORS:
        frame[key] = np.zeros(n, dtype="int8")
    return frame


def check_every_combination(frame: pd.DataFrame, scored: pd.DataFrame, evidence_up: bool) -> None:
    pull_out = scored["pull_out_minutes"].to_numpy()
    rank = scored["recommendation"].map(ORDER).to_numpy()
    ratings = frame[list(NEED_FACTORS)].to_numpy()
    index = np.arange(len(frame))
    for j, key in enumerate(NEED_FACTORS):
        lower = index[ratings[:, j] < 3]
        upper = lower + 4**j
        assert (ratings[upper, j] == ratings[lower, j] + 1).all()
        if key in PULL_OUT_KEYS:
            bad = (pull_out[upper] < pull_out[lower]) | (rank[upper] < rank[lower])
        else:
            bad = pull_out[upper] > pull_out[lower]
        assert not bad.any(), (key, frame.iloc[lower[bad][:3]][list(NEED_FACTORS)])
    if not evidence_up:
        slight = (frame[sorted(PULL_OUT_KEYS)].to_numpy() <= 1).all(axis=1)
        assert (pull_out[slight] == 0).all()
        assert (scored.loc[slight, "recommendation"] == "push_in").all()
    total = scored["push_in_minutes"].to_numpy() + pull_out
    assert (total == frame["minutes_per_week"].to_numpy()).all()


@pytest.mark.parametrize("sessions", [1, 2, 3, 5])
def test_every_rating_combination_is_monotone(sessions: int) -> None:
    frame = every_combination(sessions)
    scored = score_frame(frame, RULES)
    check_every_combination(frame, scored, evidence_up=False)
    # Implementation ratings change nothing but the notes, over the whole space.
    strained = frame.copy()
    rng = np.random.default_rng(sessions)
    for key in IMPLEMENTATION_FACTORS:
        strained[key] = rng.integers(0, 4, len(frame)).astype("int8")
    same = [c for c in SCORE_COLUMNS if c != "feasibility_notes"]
    pd.testing.assert_frame_equal(scored[same], score_frame(strained, RULES)[same])
    # Tipping points over the whole space: consistent and never against their factor.
    _check_tipping_points(frame, scored, None)
    # One service as in the batch, on a sample of the space.
    for i in rng.choice(len(frame), 40, replace=False):
        _same(recommend(frame.iloc[i].to_dict(), RULES), scored.iloc[i])


@pytest.mark.parametrize(
    ("points", "moves"), [(2.0, False), (-2.0, False), (0.0, True), (2.0, True)]
)
def test_every_rating_combination_is_monotone_with_progress_evidence(
    points: float, moves: bool
) -> None:
    frame = every_combination(3)
    evidence = _evidence(frame, [points] * len(frame), [moves] * len(frame))
    scored = score_frame(frame, RULES, evidence)
    check_every_combination(frame, scored, evidence_up=points > 0)
    if moves:
        # A planned transition always leaves at least one whole session in class.
        assert (scored["push_in_minutes"] >= 30).all()


@pytest.mark.parametrize("sessions", [1, 2, 3, 5])
def test_every_rating_combination_through_the_command_line(tmp_path: Path, sessions: int) -> None:
    """The same properties through `python -m pushin_rules recommend` on a district holding
    all 65,536 combinations."""
    frame = every_combination(sessions)
    folder = tmp_path / "district"
    folder.mkdir()
    students = [f"ST{i}" for i in range(256)]
    pd.DataFrame(
        {"student_id": students, "name": students, "grade": "4", "school_id": "SCH"}
    ).to_csv(folder / "students.csv", index=False)
    services = frame.drop(columns=["current_model", "current_push_in_minutes", "group_size"])
    services["student_id"] = [students[i % 256] for i in range(len(services))]
    services.to_csv(folder / "services.csv", index=False)
    out = tmp_path / "recs.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pushin_rules",
            "recommend",
            "--data",
            str(folder),
            "--out",
            str(out),
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    recs = pd.read_csv(out, keep_default_na=False)
    assert recs["service_id"].tolist() == frame["service_id"].tolist()
    assert set(recs["rules_version"]) == {RULES.version}
    check_every_combination(frame, recs, evidence_up=False)
    # The command line and the API agree row for row.
    api = score_frame(frame, RULES)
    assert recs["pull_out_minutes"].tolist() == api["pull_out_minutes"].tolist()
    assert recs["recommendation"].tolist() == api["recommendation"].tolist()
    assert recs["tipping_points"].tolist() == api["tipping_points"].tolist()
