"""The sentences of the summary (`*_detail`, `decision_detail`, `reliability`,
`compare_detail`, `likelihood_text`), in practitioner wording; the family wording is in
`pushin_rules.present.words`."""

from __future__ import annotations

import math

import numpy as np

from pushin_rules.decide.progress.decisions import (
    _WHY_AGREE,
    _WHY_DISAGREE,
    _WHY_LIKELY,
    _WHY_MET,
    _WHY_NONE,
    _WHY_SHORT,
    _WHY_UNLIKELY,
)
from pushin_rules.decide.progress.settings import DECISIONS, NOT_ENOUGH_DATA, ProgressSettings
from pushin_rules.decide.progress.trend import (
    _CHANGE,
    _CONTINUE,
    _INSUFFICIENT,
    _RAISE,
    _RULE_MET,
    _RULE_NONE,
    _RULE_SLOPE,
)

SETTING_WORDS: dict[str, str] = {"push_in": "push-in", "pull_out": "pull-out", "": "unrecorded"}


def _signed(value: float) -> str:
    return f"{value:+.2f}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _too_little(points: int, weeks: float, settings: ProgressSettings) -> str:
    if points == 0:
        return "no scores yet"
    return (
        f"{_plural(points, 'score')} over {weeks:.1f} weeks; the rules need "
        f"{settings.min_points} scores over {settings.min_weeks:g} weeks"
    )


def _four_point_sentences(
    decision: np.ndarray,
    off: np.ndarray,
    ahead: np.ndarray,
    decrease: np.ndarray,
    points: np.ndarray,
    weeks: np.ndarray,
    settings: ProgressSettings,
) -> list[str]:
    window = settings.four_point_window
    out = []
    for rule, n_off, n_ahead, down, n, w in zip(
        decision.tolist(),
        off.tolist(),
        ahead.tolist(),
        decrease.tolist(),
        points.tolist(),
        weeks.tolist(),
        strict=True,
    ):
        if rule == _INSUFFICIENT:
            out.append(_too_little(n, w, settings))
            continue
        below, above = (n_ahead, n_off) if down else (n_off, n_ahead)
        if rule == _CHANGE:
            side = "above the aimline (lower is better)" if down else "below the aimline"
            out.append(f"last {window} scores all {side}: off track")
        elif rule == _RAISE:
            side = "below the aimline (lower is better)" if down else "above the aimline"
            out.append(f"last {window} scores all {side}: ahead of schedule")
        else:
            on = window - n_off - n_ahead
            text = f"last {window} scores: {below} below, {above} above the aimline"
            out.append(text + (f", {on} on it" if on else ""))
    return out


def _trend_sentences(
    case: np.ndarray,
    decision: np.ndarray,
    slope: np.ndarray,
    needed: np.ndarray,
    points: np.ndarray,
    weeks: np.ndarray,
    settings: ProgressSettings,
) -> list[str]:
    tolerance = f"{settings.parallel_tolerance:.0%}"
    verdicts = {
        _CHANGE: "flatter than the aimline",
        _CONTINUE: f"parallel to the aimline (within {tolerance})",
        _RAISE: "steeper than the aimline",
    }
    out = []
    for how, rule, b, r, n, w in zip(
        case.tolist(),
        decision.tolist(),
        slope.tolist(),
        needed.tolist(),
        points.tolist(),
        weeks.tolist(),
        strict=True,
    ):
        if how == _RULE_NONE:
            text = _too_little(n, w, settings)
            if math.isfinite(b):
                text = f"trend {_signed(b)} per week so far; {text}"
            out.append(text)
        elif how == _RULE_SLOPE:
            out.append(f"trend {_signed(b)} per week vs {_signed(r)} needed: {verdicts[rule]}")
        elif how == _RULE_MET:
            keeps = "keeps it reached" if rule == _RAISE else "falls short of it"
            out.append(
                f"target already reached at baseline; trend {_signed(b)} per week "
                f"{keeps} at the target date"
            )
        else:
            reaches = "reaches" if rule == _RAISE else "does not reach"
            out.append(
                f"target date is not after the first score; trend {_signed(b)} per week "
                f"{reaches} the target"
            )
    return out


def _likelihood_text(values: np.ndarray) -> list[str]:
    out = []
    for p in values.tolist():
        if not math.isfinite(p):
            out.append(NOT_ENOUGH_DATA)
        elif p > 0.99:
            out.append(">99%")
        elif p < 0.01:
            out.append("<1%")
        else:
            out.append(f"{p:.0%}")
    return out


def _number(value: float) -> str:
    """72 -> "72", 72.5 -> "72.5", 72.25 -> "72.2" (one decimal at most)."""
    return f"{value:.1f}".removesuffix(".0")


def _with_prefix(texts: list[str], prefixes: list[str]) -> list[str]:
    return [prefix + text for prefix, text in zip(prefixes, texts, strict=True)]


def _phase_prefixes(phased: np.ndarray, setting: np.ndarray, start: list[str]) -> list[str]:
    """ "newest phase (push-in since 2025-11-10): " for goals judged on their newest phase."""
    return [
        f"newest phase ({SETTING_WORDS.get(s, s)} since {when}): " if p else ""
        for p, s, when in zip(phased.tolist(), setting.tolist(), start, strict=True)
    ]


def _decision_sentences(
    why: np.ndarray,
    decision: np.ndarray,
    four_point: np.ndarray,
    trend_rule: np.ndarray,
    four_point_detail: list[str],
    trend_detail: list[str],
    level: np.ndarray,
    target: np.ndarray,
    projected: np.ndarray,
    likelihood_text: list[str],
    phase_setting: np.ndarray,
    phase_start: list[str],
    phase_points: np.ndarray,
    phase_weeks: np.ndarray,
    phase_roi: np.ndarray,
    phase_needed: np.ndarray,
    gap: np.ndarray,
    settings: ProgressSettings,
) -> list[str]:
    """One sentence per goal saying the verdict and what it rests on (and, with a carry-over
    gap, that the lever is practice in class)."""
    out = []
    words = [d.replace("_", " ") for d in DECISIONS]
    for i, reason in enumerate(why.tolist()):
        fp, tr = words[four_point[i]], words[trend_rule[i]]
        fp_text, tr_text = four_point_detail[i], trend_detail[i]
        if reason == _WHY_NONE:
            out.append(
                fp_text if fp_text == "no scores yet" else f"not enough scores yet: {fp_text}"
            )
        elif reason == _WHY_MET:
            out.append(
                f"goal met: the median of the last {settings.level_window} scores "
                f"({_number(level[i])}) is at or past the target ({_number(target[i])}); "
                "a flat trend at the target is a ceiling, not a failure"
            )
        elif reason == _WHY_SHORT:
            rate = phase_roi[i]
            so_far = f"{_signed(rate)} per week" if math.isfinite(rate) else "no slope yet"
            needed = phase_needed[i]
            if math.isfinite(needed):
                so_far += f" ({_signed(needed)} needed from its start)"
            out.append(
                f"too early to judge the newest phase "
                f"({SETTING_WORDS.get(phase_setting[i], phase_setting[i])} since "
                f"{phase_start[i]}): {_plural(int(phase_points[i]), 'score')} over "
                f"{phase_weeks[i]:.1f} weeks, the rules need {settings.min_points} over "
                f"{settings.min_weeks:g}; its rate so far {so_far}; nothing is concluded "
                "about the new setting yet"
            )
        elif reason == _WHY_DISAGREE:
            out.append(
                f"review: the four-point rule says {fp} ({fp_text}) but the trend rule says "
                f"{tr} ({tr_text})"
            )
        elif reason == _WHY_UNLIKELY:
            out.append(
                f"review: the trend rule says {tr} ({tr_text}) but the projection reaches only "
                f"{_number(projected[i])} against the target {_number(target[i])} "
                f"(likelihood {likelihood_text[i]})"
            )
        elif reason == _WHY_LIKELY:
            out.append(
                f"review: the rules say change ({tr_text}) but the projection reaches "
                f"{_number(projected[i])} against the target {_number(target[i])} "
                f"(likelihood {likelihood_text[i]})"
            )
        else:
            assert reason == _WHY_AGREE
            out.append(
                f"{words[decision[i]]}: the four-point rule ({fp_text}) and the trend rule "
                f"({tr_text}) agree"
            )
        if gap[i]:
            out[-1] += (
                "; the therapy-room scores run clearly ahead of the classroom scores "
                "(a carry-over gap): the lever is more practice in class"
            )
    return out


def _reliability_sentences(
    points: np.ndarray,
    weeks: np.ndarray,
    slope: np.ndarray,
    slope_se: np.ndarray,
    settings: ProgressSettings,
) -> list[str]:
    """How far the numbers can be trusted: few scores make any slope a first look."""
    out = []
    for n, w, b, se in zip(
        points.tolist(), weeks.tolist(), slope.tolist(), slope_se.tolist(), strict=True
    ):
        if n == 0:
            out.append("no scores yet")
            continue
        text = f"{_plural(n, 'score')} over {w:.1f} weeks"
        if n < settings.first_look_points:
            text = (
                f"fewer than {settings.first_look_points} weekly scores ({n}): "
                "treat this as a first look"
            )
        if math.isfinite(b) and math.isfinite(se):
            text += f"; slope {_signed(b)} per week, standard error {se:.2f}"
        out.append(text)
    return out


def _compare_sentences(
    push_points: np.ndarray,
    pull_points: np.ndarray,
    push_median: np.ndarray,
    pull_median: np.ndarray,
    nap: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    gap: np.ndarray,
    settings: ProgressSettings,
) -> list[str]:
    need = settings.compare_min_points
    gap_text = (
        "; carry-over gap: the skill shows in the therapy room more than in class, "
        "which calls for more practice in class, not more time out of it"
    )
    # Indexing numpy arrays one by one is slow: walk plain Python lists.
    out = []
    for n_push, n_pull, a, lo, hi, pull, push, g in zip(
        push_points.tolist(),
        pull_points.tolist(),
        nap.tolist(),
        low.tolist(),
        high.tolist(),
        pull_median.tolist(),
        push_median.tolist(),
        gap.tolist(),
        strict=True,
    ):
        if not (n_push and n_pull):
            out.append("")
        elif a != a:  # NaN: not compared
            out.append(
                f"too few scores to compare the settings ({n_pull} pull-out, {n_push} push-in; "
                f"{need} each needed)"
            )
        else:
            out.append(
                f"pull-out over push-in: NAP {a:.2f} (95% interval {lo:.2f}-{hi:.2f}; "
                f"0.50 = no difference), medians {_number(pull)} pull-out vs {_number(push)} "
                f"push-in{gap_text if g else ''}"
            )
    return out
