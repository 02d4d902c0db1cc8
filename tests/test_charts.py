"""The progress graph, checked through its Vega-Lite spec (layers, marks, encodings), not pixels."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import pushin_rules.decide.progress as progress
import pushin_rules.present.charts.progress_graph as charts
from pushin_rules.decide.progress import analyse_goal
from pushin_rules.models import Goal, ProgressPoint
from pushin_rules.present.charts.progress_graph import (
    AIMLINE_DASH,
    AIMLINE_NAME,
    PHASE_AIMLINE_NAME,
    PROJECTION_NAME,
    SETTING_STYLE,
    chart_png,
    progress_chart,
)

START = dt.date(2025, 9, 1)


def goal(**changes: object) -> Goal:
    fields = {
        "goal_id": "G-9",
        "service_id": "SV1",
        "description": "Ana reads grade-level text aloud",
        "measure": "words correct per minute",
        "target": 60,
        "target_date": dt.date(2026, 5, 29),
    }
    return Goal(**{**fields, **changes})


def points(settings: list[str | None], scores: list[float] | None = None) -> list[ProgressPoint]:
    scores = scores or [20 + 1.5 * i for i in range(len(settings))]
    return [
        ProgressPoint(
            goal_id="G-9", date=START + dt.timedelta(days=7 * i), score=score, setting=setting
        )
        for i, (setting, score) in enumerate(zip(settings, scores, strict=True))
    ]


# Ten weeks pull-out (one score without a setting), then eight weeks push-in.
MID_YEAR = ["pull_out"] * 4 + [None] + ["pull_out"] * 5 + ["push_in"] * 8


def build(the_goal: Goal, the_points: list[ProgressPoint], **kwargs: object) -> dict:
    analysis = analyse_goal(the_goal, the_points)
    return progress_chart(the_goal, the_points, analysis, **kwargs).to_dict()


def mark(layer: dict) -> str:
    return layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"]


def rows(spec: dict, layer: dict) -> list[dict]:
    return spec["datasets"][layer["data"]["name"]]


def layers_of(spec: dict, kind: str) -> list[dict]:
    return [layer for layer in spec["layer"] if mark(layer) == kind]


@pytest.fixture(scope="module")
def spec() -> dict:
    return build(goal(), points(MID_YEAR))


def test_points_coloured_and_shaped_by_setting_with_tooltips(spec: dict) -> None:
    (dots,) = [layer for layer in layers_of(spec, "point") if "color" in layer["encoding"]]
    colour, shape = dots["encoding"]["color"], dots["encoding"]["shape"]
    assert colour["field"] == shape["field"] == "setting"
    labels = [SETTING_STYLE[k][0] for k in ("push_in", "pull_out", "")]
    assert colour["scale"]["domain"] == labels
    assert colour["scale"]["range"] == ["#0072B2", "#E69F00", "#7F7F7F"]  # Okabe-Ito + grey
    assert shape["scale"]["range"] == ["circle", "square", "triangle-up"]
    assert len(set(shape["scale"]["range"])) == 3
    assert colour["legend"]["title"] == "Where the score was taken"
    tips = {t["field"]: t["title"] for t in dots["encoding"]["tooltip"]}
    assert tips["day"] == "Date"
    assert tips["score"] == "Score"
    assert tips["setting"] == "Setting"
    data = rows(spec, dots)
    assert len(data) == len(MID_YEAR)
    assert data[4]["setting"] == "Not recorded"
    assert data[0]["day"] == "1 Sep 2025"


def test_points_are_joined_only_within_a_phase(spec: dict) -> None:
    joined = [layer for layer in layers_of(spec, "line") if "detail" in layer["encoding"]]
    (within,) = [layer for layer in joined if layer["encoding"]["detail"]["field"] == "phase"]
    phases = [row["phase"] for row in rows(spec, within)]
    # The score without a setting stays in the pull-out phase; push-in starts at week 10.
    assert phases == [1] * 10 + [2] * 8


def test_aimline_dashed_trend_solid_in_another_colour(spec: dict) -> None:
    (lines,) = [layer for layer in layers_of(spec, "line") if "strokeDash" in layer["encoding"]]
    dash = lines["encoding"]["strokeDash"]["scale"]
    colour = lines["encoding"]["color"]["scale"]
    dashes = dict(zip(dash["domain"], dash["range"], strict=True))
    colours = dict(zip(colour["domain"], colour["range"], strict=True))
    # Ten pull-out weeks then eight push-in weeks: the verdict rests on the newest phase, so
    # its own aimline and trend are drawn (Theil-Sen, the shipped default).
    trend = "Trend of the newest phase (Theil-Sen)"
    assert dashes[AIMLINE_NAME] == AIMLINE_DASH
    assert dashes[trend] == [1, 0]
    assert colours[AIMLINE_NAME] != colours[trend]
    assert PROJECTION_NAME in dashes
    data = rows(spec, lines)
    aim = [r for r in data if r["line"] == AIMLINE_NAME]
    # From (first date, baseline = median(20, 21.5, 23) = 21.5) to (target date, 60).
    assert (aim[0]["score"], aim[-1]["score"]) == (21.5, 60)
    assert aim[-1]["date"].startswith("2026-05-29")
    fitted = [r for r in data if r["line"] == trend]
    # The scores lie on 20 + 1.5 x: the phase's trend starts at week 10 (10 Nov) at 35.
    assert fitted[0]["date"].startswith("2025-11-10")
    assert fitted[0]["score"] == pytest.approx(35, abs=0.01)
    phase_aim = [r for r in data if r["line"] == PHASE_AIMLINE_NAME]
    # From the phase's baseline median(35, 36.5, 38) = 36.5 on 10 Nov to the target 60.
    assert (phase_aim[0]["score"], phase_aim[-1]["score"]) == (36.5, 60)


def test_target_marked_at_the_target_date(spec: dict) -> None:
    (target,) = [
        layer
        for layer in layers_of(spec, "point")
        if isinstance(layer["mark"], dict) and layer["mark"].get("shape") == "cross"
    ]
    (row,) = rows(spec, target)
    assert row["score"] == 60
    assert row["date"].startswith("2026-05-29")
    labels = [r.get("label", "") for layer in layers_of(spec, "text") for r in rows(spec, layer)]
    assert "Target 60 by 29 May 2026" in labels


def test_phase_change_rule_labelled_with_the_new_setting(spec: dict) -> None:
    (rule,) = layers_of(spec, "rule")
    (row,) = rows(spec, rule)
    # Between the last pull-out score (week 9, 3 Nov) and the first push-in (week 10, 10 Nov).
    assert row["date"].startswith("2025-11-06")
    texts = [r["label"] for layer in layers_of(spec, "text") for r in rows(spec, layer)]
    assert "moved to push-in" in texts
    # Each phase's rate is written at its foot: 1.5 per week in both (the scores are a line).
    assert "pull-out: +1.50 per week" in texts
    assert "push-in: +1.50 per week" in texts


def test_readable_on_a_projector(spec: dict) -> None:
    assert spec["title"]["fontSize"] >= 18
    assert spec["title"]["text"] == "Goal G-9: Ana reads grade-level text aloud"
    for layer in spec["layer"]:
        for channel in ("x", "y"):
            axis = layer["encoding"].get(channel, {}).get("axis")
            if axis:
                assert axis["labelFontSize"] >= 14
                assert axis["titleFontSize"] >= 14
    for layer in layers_of(spec, "text"):
        assert layer["mark"]["fontSize"] >= 14
    assert spec["layer"][0]["encoding"]["y"]["axis"]["title"] == "words correct per minute"


def test_deidentified_title_hides_the_description() -> None:
    spec = build(goal(), points(MID_YEAR), deidentified_title="Student A: reading")
    assert spec["title"]["text"] == "Student A: reading"
    assert "Ana" not in json.dumps(spec)
    assert build(goal(), points(MID_YEAR), title="Reading")["title"]["text"] == "Reading"


def test_single_phase_has_no_phase_line() -> None:
    spec = build(goal(), points(["push_in"] * 8))
    assert layers_of(spec, "rule") == []
    joined = [layer for layer in layers_of(spec, "line") if "strokeDash" not in layer["encoding"]]
    assert {r["phase"] for r in rows(spec, joined[0])} == {1}


def test_alternating_settings_get_a_line_each_and_no_phase_lines() -> None:
    # A hybrid service alternates settings week by week: 12 one-score phases.
    spec = build(goal(), points(["push_in", "pull_out"] * 6))
    assert layers_of(spec, "rule") == []
    joined = [
        layer
        for layer in layers_of(spec, "line")
        if "strokeDash" not in layer["encoding"] and "color" in layer["encoding"]
    ]
    assert [layer["encoding"]["color"]["field"] for layer in joined] == ["setting"]
    # Push-in weeks 0, 2, ..., 10 and pull-out weeks 1, ..., 11 both rise 1.5 per week.
    subtitle = " ".join(spec["title"]["subtitle"])
    assert subtitle.endswith(
        "Settings alternate (hybrid), one line each. "
        "Push-in scores (6): +1.50 per week; pull-out scores (6): +1.50 per week."
    )


def test_subtitle_wraps_to_the_width() -> None:
    narrow = build(goal(), points(["push_in", "pull_out"] * 6), width=400)
    wide = build(goal(), points(["push_in", "pull_out"] * 6), width=1200)
    assert len(narrow["title"]["subtitle"]) > len(wide["title"]["subtitle"])
    # 400 px at 15 px and half an em a character: 53 characters a line at most.
    assert max(len(line) for line in narrow["title"]["subtitle"]) <= 53


def test_decrease_goal_and_too_little_data() -> None:
    the_goal = goal(direction="decrease", target=1, measure="prompts per session")
    spec = build(the_goal, points([None] * 4, [6, 7, 5, 5]))
    assert spec["layer"][0]["encoding"]["y"]["axis"]["title"] == (
        "prompts per session (lower is better)"
    )
    (lines,) = [layer for layer in layers_of(spec, "line") if "strokeDash" in layer["encoding"]]
    # With too few scores the trend is drawn over the data but not projected.
    assert PROJECTION_NAME not in {r["line"] for r in rows(spec, lines)}
    assert spec["title"]["subtitle"][0].startswith("Not enough data for the decision rules yet")


def test_no_scores_still_draws_the_target() -> None:
    spec = build(goal(), [])
    assert spec["title"]["subtitle"] == ["No scores yet."]
    assert any(
        isinstance(layer["mark"], dict) and layer["mark"].get("shape") == "cross"
        for layer in spec["layer"]
    )


def test_png_export() -> None:
    the_goal, the_points = goal(), points(MID_YEAR)
    chart = progress_chart(the_goal, the_points, analyse_goal(the_goal, the_points))
    png = chart_png(chart, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_streamlit_in_the_package_modules() -> None:
    for module in (charts, progress):
        text = Path(module.__file__).read_text(encoding="utf-8")
        assert "import streamlit" not in text
        assert "from streamlit" not in text


def line_rows(spec: dict) -> list[dict]:
    (lines,) = [layer for layer in layers_of(spec, "line") if "strokeDash" in layer["encoding"]]
    return rows(spec, lines)


def test_projection_stops_at_100_percent() -> None:
    # 30 + 6 x percent accuracy over six weeks: the straight projection would read 210% on
    # the target date (week 39); it ends where it meets 100, at week (100 - 30) / 6 = 11.67
    # = 81.67 days after 1 Sep 2025, rounded to 82 days -> 22 Nov 2025.
    the_goal = goal(measure="percent accuracy", target=95)
    spec = build(the_goal, points([None] * 6, [30 + 6 * i for i in range(6)]))
    data = line_rows(spec)
    assert max(r["score"] for r in data) == 100
    projection = [r for r in data if r["line"] == PROJECTION_NAME]
    assert projection[-1]["score"] == 100
    assert projection[-1]["date"].startswith("2025-11-22")


def test_count_projection_never_below_zero() -> None:
    # 12 - 2 x incidents: the projection would reach -64 by the target date; it stops at 0.
    the_goal = goal(measure="incidents needing adult help", direction="decrease", target=1)
    spec = build(the_goal, points([None] * 6, [12 - 2 * i for i in range(6)]))
    data = line_rows(spec)
    assert min(r["score"] for r in data) == 0
    # 12 - 2 x = 0 at week 6 = 13 Oct 2025.
    projection = [r for r in data if r["line"] == PROJECTION_NAME]
    assert projection[-1]["date"].startswith("2025-10-13")


def test_phase_rate_labels_do_not_overlap() -> None:
    # Phases of 6, 2, 2 and 6 weeks: the second and third start a fortnight apart, far less
    # than a label's width on a 760-pixel plot, so they go on different rows.
    settings = ["pull_out"] * 6 + ["push_in"] * 2 + ["pull_out"] * 2 + ["push_in"] * 6
    spec = build(goal(), points(settings))
    (labels,) = [
        layer
        for layer in layers_of(spec, "text")
        if any("per week" in str(r.get("label", "")) for r in rows(spec, layer))
    ]
    placed = rows(spec, labels)
    assert len(placed) == 4
    heights = [r["y"] for r in placed]
    assert heights[1] != heights[2]
    assert heights[0] == max(heights)  # the first label sits on the lowest row
    png = chart_png(
        progress_chart(goal(), points(settings), analyse_goal(goal(), points(settings))), scale=1
    )
    assert png[:4] == b"\x89PNG"


def test_family_wording_has_no_jargon() -> None:
    the_goal, the_points = goal(), points(MID_YEAR)
    analysis = analyse_goal(the_goal, the_points)
    spec = progress_chart(the_goal, the_points, analysis, wording="family").to_dict()
    subtitle = " ".join(spec["title"]["subtitle"])
    names = {r["line"] for r in line_rows(spec)}
    for text in (subtitle, *names):
        for word in ("aimline", "four-point", "ROI", "G-9", "Theil", "least squares"):
            assert word.lower() not in text.lower(), (word, text)
    assert "Goal line since the support changed" in names
    # Each line keeps its look under its family name: the goal line is black and dashed.
    (lines,) = [layer for layer in layers_of(spec, "line") if "strokeDash" in layer["encoding"]]
    colour = lines["encoding"]["color"]["scale"]
    dash = lines["encoding"]["strokeDash"]["scale"]
    family_aim = "Goal line: where the scores should be"
    assert dict(zip(colour["domain"], colour["range"], strict=True))[family_aim] == "#000000"
    assert dict(zip(dash["domain"], dash["range"], strict=True))[family_aim] == AIMLINE_DASH
    with pytest.raises(ValueError, match="unknown wording"):
        progress_chart(the_goal, the_points, analysis, wording="legal")
