"""Properties of the engine over random services (hypothesis): implementation ratings never
move a recommendation, one service scores as it does in a batch, minutes add up, pull-out
minutes always have a reason, and a hybrid has a whole session in each setting."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pushin_rules.decide.engine import SCORE_COLUMNS, recommend, score_frame
from pushin_rules.decide.rules import load_rules
from pushin_rules.models import FACTORS, IMPLEMENTATION_FACTORS

RULES = load_rules()
PULL_OUT_KEYS = {f.key for f in RULES.need_factors if f.direction == "pull_out"}
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

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
    frame = pd.DataFrame(
        {
            "service_id": [f"S{i}" for i in range(size)],
            "student_id": [f"ST{i % 5}" for i in range(size)],
            "service": "setss",
            "minutes_per_week": sessions * whole + np.minimum(extra, sessions - 1),
            "session_minutes": sessions,
            "group_size": 1,
            "current_model": "",
            "current_push_in_minutes": 0,
        }
    )
    for j, key in enumerate(FACTORS):
        frame[key] = ratings[:, j]
    return frame


evidence_points = st.sampled_from([0.0, 0.0, 2.0, -2.0, 3.5])


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
    evidence = pd.DataFrame({"service_id": frame["service_id"], "evidence_points": points})
    a = score_frame(frame, RULES, evidence)
    b = score_frame(other, RULES, evidence)
    same = [c for c in SCORE_COLUMNS if c != "feasibility_notes"]
    pd.testing.assert_frame_equal(a[same], b[same])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(services(max_size=6), st.data())
def test_one_service_scores_as_in_the_batch(frame: pd.DataFrame, data: st.DataObject) -> None:
    points = data.draw(st.lists(evidence_points, min_size=len(frame), max_size=len(frame)))
    evidence = pd.DataFrame(
        {
            "service_id": frame["service_id"],
            "evidence_points": points,
            "progress_decision": "change",
            "evidence_note": "Goal G: a sentence.",
        }
    )
    batch = score_frame(frame, RULES, evidence)
    for i, row in enumerate(frame.to_dict("records")):
        single = recommend(row, RULES, evidence)
        expected = batch.iloc[i]
        assert single.recommendation.value == expected["recommendation"]
        assert single.split.push_in_minutes == expected["push_in_minutes"]
        assert single.split.pull_out_minutes == expected["pull_out_minutes"]
        assert single.split.push_in_sessions == expected["push_in_sessions"]
        assert single.split.pull_out_sessions == expected["pull_out_sessions"]
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
    evidence = pd.DataFrame(
        {"service_id": frame["service_id"], "evidence_points": points[: len(frame)]}
    )
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
        if rec == "hybrid":
            # At least one whole session in each setting.
            assert pull_out[i] >= session[i] and push_in[i] >= session[i]
            assert pull_out[i] % session[i] == 0
        elif rec == "pull_out":
            assert pull_out[i] == minutes[i]
        else:
            assert push_in[i] == minutes[i]
        if scored.at[i, "pull_out_points"] == 0:
            assert rec == "push_in"
        assert not set(IMPLEMENTATION_FACTORS) & reasons


@SETTINGS
@given(services(max_size=20))
def test_a_tipping_point_really_tips(frame: pd.DataFrame) -> None:
    scored = score_frame(frame, RULES)
    # Every claimed tipping point, and the one-step-nearer change when it is bigger than one,
    # rescored in a single batch.
    rows, expected = [], []
    records = frame.to_dict("records")
    for i, text in enumerate(scored["tipping_points"]):
        for piece in filter(None, text.split(";")):
            change, new = piece.split(": ")
            key, move = change.split(" ")
            before, after = (int(x) for x in move.split("->"))
            assert key not in IMPLEMENTATION_FACTORS
            assert records[i][key] == before
            rows.append({**records[i], key: after})
            expected.append(new)
            if abs(after - before) > 1:
                nearer = before + (1 if after > before else -1)
                rows.append({**records[i], key: nearer})
                expected.append(scored.at[i, "recommendation"])
    if rows:
        rescored = score_frame(pd.DataFrame(rows), RULES)
        assert rescored["recommendation"].tolist() == expected
