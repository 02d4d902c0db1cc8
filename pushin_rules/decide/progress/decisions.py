"""From the arithmetic to one verdict per goal: phases, which series the verdict rests on, and
the decision (level before slope; the newest phase judged on its own; rules that disagree, or a
likelihood that contradicts them, are a `review`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from pushin_rules.decide.progress.compare import _compare, _Comparison
from pushin_rules.decide.progress.settings import ProgressSettings
from pushin_rules.decide.progress.trend import (
    _CHANGE,
    _CONTINUE,
    _INSUFFICIENT,
    _MET,
    _RAISE,
    _REVIEW,
    _SETTINGS,
    _Fit,
    _fit,
    _ols_by_key,
)

# Why the verdict is what it is, for its sentence.
(
    _WHY_NONE,  # too few scores overall
    _WHY_MET,  # the latest scores are at or past the target
    _WHY_SHORT,  # the newest phase is too short to judge
    _WHY_DISAGREE,  # the four-point and trend-line rules disagree
    _WHY_UNLIKELY,  # the rules say on track but the likelihood says otherwise
    _WHY_LIKELY,  # the rules say change but the likelihood says the goal will be met
    _WHY_AGREE,  # both rules agree and the likelihood does not contradict them
) = range(7)


@dataclass(frozen=True)
class _Core:
    """Per-group results (one group = one goal with at least one score) and per-phase results."""

    whole: _Fit  # every score of the goal
    judged: _Fit  # the series the verdict rests on: the newest phase, or every score
    phased: np.ndarray  # judged on the newest phase (a change of setting, not alternating)
    alternating: np.ndarray  # settings change score by score (a hybrid service)
    decision: np.ndarray
    why: np.ndarray
    compare: _Comparison
    last_score: np.ndarray
    last_setting: np.ndarray
    phases: np.ndarray
    last_phase: np.ndarray
    setting_slope: np.ndarray  # (groups, len(_SETTINGS)): OLS slope of each setting's scores
    setting_points: np.ndarray  # (groups, len(_SETTINGS)): how many scores in each setting
    # phases
    phase_group: np.ndarray
    phase_setting: np.ndarray
    phase_first_day: np.ndarray
    phase_last_day: np.ndarray
    phase_counts: np.ndarray
    phase_slope: np.ndarray
    phase_intercept: np.ndarray

    @property
    def counts(self) -> np.ndarray:
        return self.whole.counts

    @property
    def needed_roi(self) -> np.ndarray:
        return self.whole.needed_roi


def _ranges(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the concatenated ranges starts..ends, and each range's start in them."""
    lengths = ends - starts + 1
    offsets = np.cumsum(lengths) - lengths
    index = np.repeat(starts - offsets, lengths) + np.arange(lengths.sum())
    return index, offsets


def _analyse(
    day: np.ndarray,
    score: np.ndarray,
    setting: np.ndarray,
    starts: np.ndarray,
    sign: np.ndarray,
    target: np.ndarray,
    target_day: np.ndarray,
    settings: ProgressSettings,
    method: str,
) -> _Core:
    """The whole computation over contiguous groups of scores sorted by date within a group.

    day: float days since 1970 per score; score: float; setting: int codes into `_SETTINGS`;
    starts: first index of each group (every group non-empty); sign: +1 increase, -1 decrease,
    target and target_day per group.
    """
    total = len(score)
    groups = len(starts)
    counts = np.diff(np.append(starts, total))
    ends = starts + counts - 1
    group = np.repeat(np.arange(groups), counts)
    whole = _fit(day, score, starts, sign, target, target_day, settings, method)
    x = (day - whole.first_day[group]) / 7.0

    # Phases: runs of the same recorded setting; a score without one joins its phase.
    position = np.arange(total)
    recorded = setting > 0
    seen = np.maximum.accumulate(np.where(recorded, position, -1))
    ahead = np.minimum.accumulate(np.where(recorded, position, total)[::-1])[::-1]
    start_of = starts[group]
    end_of = ends[group]
    source = np.where(seen >= start_of, seen, np.where(ahead <= end_of, ahead, -1))
    effective = np.where(source >= 0, setting[np.maximum(source, 0)], 0)
    new_phase = np.ones(total, dtype=bool)
    new_phase[1:] = (group[1:] != group[:-1]) | (effective[1:] != effective[:-1])
    phase_starts = np.flatnonzero(new_phase)
    phase_counts = np.diff(np.append(phase_starts, total))
    phase_ends = phase_starts + phase_counts - 1
    phase_of = np.cumsum(new_phase) - 1
    phase_slope, phase_intercept, *_ = _ols_by_key(x, score, phase_of, len(phase_starts))
    phase_group = group[phase_starts]
    phases = np.bincount(phase_group, minlength=groups)
    last_phase = phase_of[ends]

    # Settings that alternate score by score (three or more phases, at least half of them a
    # single score) are a hybrid service, not a change of model: judged as one series.
    singles = np.bincount(phase_group, weights=phase_counts == 1, minlength=groups)
    alternating = (phases >= 3) & (2 * singles >= phases)
    phased = (phases >= 2) & ~alternating

    # The newest phase judged on its own: its own baseline and aimline to the target.
    judged = whole
    chosen = np.flatnonzero(phased)
    if len(chosen):
        index, sub_starts = _ranges(phase_starts[last_phase[chosen]], ends[chosen])
        sub = _fit(
            day[index],
            score[index],
            sub_starts,
            sign[chosen],
            target[chosen],
            target_day[chosen],
            settings,
            method,
        )
        merged = {}
        for field in dataclasses.fields(_Fit):
            values = getattr(whole, field.name).copy()
            values[chosen] = getattr(sub, field.name)
            merged[field.name] = values
        judged = _Fit(**merged)

    decision, why = _verdict(whole, judged, phased, settings)

    # Rate by setting over the whole period (scores recorded in that setting only): the
    # comparison that still works when a hybrid service alternates settings week by week.
    slots = len(_SETTINGS)
    setting_slope, *_, setting_n = _ols_by_key(x, score, group * slots + setting, groups * slots)
    compare = _compare(score, setting.astype(np.int64), day, starts, counts, sign, settings)

    return _Core(
        whole=whole,
        judged=judged,
        phased=phased,
        alternating=alternating,
        decision=decision,
        why=why,
        compare=compare,
        last_score=score[ends],
        last_setting=effective[ends],
        phases=phases,
        last_phase=last_phase,
        setting_slope=setting_slope.reshape(-1, slots),
        setting_points=setting_n.reshape(-1, slots).astype(np.int64),
        phase_group=phase_group,
        phase_setting=effective[phase_starts],
        phase_first_day=day[phase_starts],
        phase_last_day=day[phase_ends],
        phase_counts=phase_counts,
        phase_slope=phase_slope,
        phase_intercept=phase_intercept,
    )


def _verdict(
    whole: _Fit, judged: _Fit, phased: np.ndarray, settings: ProgressSettings
) -> tuple[np.ndarray, np.ndarray]:
    """One decision per group, and why (the `_WHY_*` code its sentence is built from).

    In order: too few scores overall -> insufficient_data; the median of the latest
    `level_window` scores at or past the target -> goal_met (level before slope: a goal that
    holds at its target has a flat trend, a ceiling, not a failure); a newest phase too short
    to judge -> insufficient_data; the four-point and trend-line rules disagree -> review; the
    trend rule says continue/raise_goal while the likelihood is below `on_track_min_likelihood`,
    or change while it is above `off_track_max_likelihood` -> review; otherwise the rules'
    shared verdict.
    """
    fp, tr, p = judged.four_point, judged.trend_rule, judged.likelihood
    with np.errstate(invalid="ignore"):
        unlikely = np.isin(tr, (_CONTINUE, _RAISE)) & (p < settings.on_track_min_likelihood)
        likely = (tr == _CHANGE) & (p > settings.off_track_max_likelihood)
    conditions = [
        ~whole.enough,
        whole.met,
        phased & ~judged.enough,
        fp != tr,
        unlikely,
        likely,
    ]
    why = np.select(
        conditions,
        [_WHY_NONE, _WHY_MET, _WHY_SHORT, _WHY_DISAGREE, _WHY_UNLIKELY, _WHY_LIKELY],
        _WHY_AGREE,
    )
    decision = np.select(
        conditions, [_INSUFFICIENT, _MET, _INSUFFICIENT, _REVIEW, _REVIEW, _REVIEW], tr
    )
    return decision.astype(np.int64), why.astype(np.int64)
