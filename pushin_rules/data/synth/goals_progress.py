"""Goals and their progress-monitoring points, week by week; the vignettes follow their story."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from pushin_rules.content import Vignette
from pushin_rules.data.synth.constants import (
    FIRST_MONDAY,
    FOCI,
    HYBRID,
    MEASURE_NAMES,
    MEASURES,
    NO_MODEL,
    NO_SETTING,
    PULL_OUT,
    PUSH_IN,
    RESPONSE_WEIGHTS,
    RESPONSES,
    TARGET_DATE_WEIGHTS,
    TARGET_DATES,
    VIGNETTE_NOISE_SEED,
    VIGNETTE_TARGET_DATE,
    WEEKS,
    WINTER_RECESS,
    Measure,
)


def _goals(
    rng: np.random.Generator,
    pupils: dict[str, np.ndarray],
    services: dict[str, np.ndarray],
    vignettes: tuple[Vignette, ...],
) -> dict[str, np.ndarray]:
    fixed_services = sum(len(v.services) for v in vignettes)
    n_services = len(services["owner"])
    random_services = np.arange(fixed_services, n_services)
    per_service = 1 + (rng.random(len(random_services)) > 0.66).astype(np.int64)
    per_service += rng.random(len(random_services)) > 0.96
    service = np.repeat(random_services, per_service)
    nth = np.arange(len(service)) - np.repeat(np.cumsum(per_service) - per_service, per_service)

    # Goal wording: the service's focus lists a few; a second goal takes the next one.
    tpl_focus = np.array([i for i, f in enumerate(FOCI) for _ in f.goals])
    tpl_description = np.array([d for f in FOCI for d, _ in f.goals], dtype=object)
    tpl_measure = np.array([MEASURE_NAMES.index(m) for f in FOCI for _, m in f.goals])
    tpl_first = np.searchsorted(tpl_focus, np.arange(len(FOCI)))
    tpl_count = np.bincount(tpl_focus, minlength=len(FOCI))
    focus = services["focus"][service]
    start = rng.integers(0, tpl_count[focus])
    template = tpl_first[focus] + (np.repeat(start[nth == 0], per_service) + nth) % tpl_count[focus]
    measure = tpl_measure[template]

    spec = [MEASURES[m] for m in MEASURE_NAMES]

    def table(get: Callable[[Measure], float]) -> np.ndarray:
        return np.array([get(s) for s in spec])[measure]

    grade = pupils["grade_number"][services["owner"][service]]
    baseline = rng.uniform(table(lambda s: s.baseline[0]), table(lambda s: s.baseline[1]))
    baseline = baseline + table(lambda s: s.per_grade) * grade
    gain = rng.uniform(table(lambda s: s.gain[0]), table(lambda s: s.gain[1]))
    step = table(lambda s: s.target_step)
    target = np.clip(
        np.rint((baseline + gain) / step) * step,
        table(lambda s: s.target_bounds[0]),
        table(lambda s: s.target_bounds[1]),
    )
    increase = table(lambda s: s.direction == "increase").astype(bool)
    # A target always lies at least one step past the baseline, in the goal's direction.
    target = np.where(
        increase,
        np.maximum(target, np.ceil(baseline / step) * step + step),
        np.minimum(target, np.floor(baseline / step) * step - step),
    )
    target = np.maximum(target, 0)
    baseline = np.where(increase | (target < baseline), baseline, target + 2 * step)
    dates = np.array([np.datetime64(d, "D") for d in TARGET_DATES])
    target_date = dates[rng.choice(len(dates), size=len(service), p=TARGET_DATE_WEIGHTS)]

    response = rng.choice(len(RESPONSES), size=len(service), p=RESPONSE_WEIGHTS)
    lo = np.array([r[0] for r in RESPONSES])[response]
    hi = np.array([r[1] for r in RESPONSES])[response]
    factor = rng.uniform(lo, hi)
    noise = table(lambda s: s.noise) * rng.uniform(0.6, 1.1, size=len(service))

    goals = {
        "service": service,
        "description": tpl_description[template],
        "measure": np.array(MEASURE_NAMES, dtype=object)[measure],
        "measure_index": measure,
        "increase": increase,
        "target": target.astype(float),
        "target_date": target_date,
        "baseline": baseline,
        "factor": factor,
        "noise": noise,
    }
    return _prepend_vignette_goals(goals, vignettes)


def _prepend_vignette_goals(
    goals: dict[str, np.ndarray], vignettes: tuple[Vignette, ...]
) -> dict[str, np.ndarray]:
    rows = []
    index = 0
    for v in vignettes:
        for s in v.services:
            rows.extend((index, g) for g in s.goals)
            index += 1
    if not rows:
        return goals
    fixed = {
        "service": [i for i, _ in rows],
        "description": [g.description for _, g in rows],
        "measure": [g.measure for _, g in rows],
        "measure_index": [MEASURE_NAMES.index(g.measure) for _, g in rows],
        "increase": [g.direction == "increase" for _, g in rows],
        "target": [float(g.target) for _, g in rows],
        "target_date": [np.datetime64(VIGNETTE_TARGET_DATE, "D")] * len(rows),
        "baseline": [float(g.baseline) for _, g in rows],
        "factor": [0.0] * len(rows),
        "noise": [g.noise for _, g in rows],
    }
    return {
        key: np.concatenate([np.array(fixed[key], dtype=goals[key].dtype), goals[key]])
        for key in goals
    }


def _week_starts() -> tuple[np.ndarray, np.ndarray]:
    """Day offsets (from FIRST_MONDAY) of the 20 monitored weeks, and school days in each."""
    offsets, days = [], []
    monday = FIRST_MONDAY
    while len(offsets) < WEEKS:
        if monday not in WINTER_RECESS:
            offsets.append((monday - FIRST_MONDAY).days)
            thanksgiving_week = monday.month == 11 and 22 <= monday.day + 3 <= 28
            days.append(3 if thanksgiving_week else 5)
        monday += dt.timedelta(days=7)
    return np.array(offsets), np.array(days)


def _progress(
    rng: np.random.Generator,
    services: dict[str, np.ndarray],
    goals: dict[str, np.ndarray],
    vignettes: tuple[Vignette, ...],
) -> dict[str, np.ndarray]:
    # Everything here is a (goals x 20 weeks) matrix: millions of cells for a large district,
    # so small dtypes and in-place arithmetic keep time and memory down.
    week_offset, school_days = _week_starts()
    n = len(goals["service"])
    service = goals["service"]
    model = services["model"][service]
    change_week = services["change_week"][service]
    previous = services["previous"][service]
    changed = change_week >= 0
    weeks = np.arange(WEEKS, dtype=np.int8)[None, :]

    # Which weeks have a score: most goals weekly from week 0; some start late or every other
    # week; new services only have three baseline probes at the end; a few weeks are missed.
    new = model == NO_MODEL
    start = np.where(rng.random(n) < 0.08, rng.integers(3, 12, size=n), 0)
    start = np.where(new, WEEKS - 3, np.where(changed, 0, start)).astype(np.int8)
    present = weeks >= start[:, None]
    biweekly = (rng.random(n) < 0.1) & ~new & ~changed
    present &= ~(biweekly[:, None] & ((weeks - start[:, None]) % 2 == 1))
    missed = rng.random((n, WEEKS), dtype=np.float32) < 0.08
    missed[np.arange(n), start] = False  # the first probe is what the baseline starts from
    present &= ~missed
    del missed

    # The day of the week a provider sees the student is mostly fixed, sometimes moved.
    day = np.repeat(rng.integers(0, 5, size=n, dtype=np.int16)[:, None], WEEKS, axis=1)
    moved = np.flatnonzero(rng.random(n * WEEKS, dtype=np.float32) < 0.25)
    day.flat[moved] = rng.integers(0, 5, size=len(moved), dtype=np.int16)
    np.minimum(day, (school_days - 1).astype(np.int16)[None, :], out=day)
    day += week_offset.astype(np.int16)[None, :]
    day_offset = day  # days since FIRST_MONDAY

    # Scores: a straight path from the baseline at a multiple of the needed rate, bent at a
    # model change; then scatter, an occasional outlier, and the measure's bounds.
    first_day = week_offset[start]
    target_day = (goals["target_date"] - np.datetime64(FIRST_MONDAY, "D")).astype(np.int64)
    needed = (goals["target"] - goals["baseline"]) / ((target_day - first_day) / 7)
    helped = rng.random(n) < np.where(previous == PULL_OUT, 0.55, 0.75)
    before = np.where(helped, rng.uniform(-0.2, 0.35, n), rng.uniform(1.0, 1.6, n))
    after = np.where(helped, rng.uniform(1.1, 1.9, n), rng.uniform(0.1, 0.5, n))
    rate_before = (np.where(changed, before, goals["factor"]) * needed)[:, None]
    rate_after = (np.where(changed, after, goals["factor"]) * needed)[:, None]
    t_change = np.where(changed, (week_offset[np.maximum(change_week, 0)] - first_day) / 7, 1e9)
    t_change = t_change[:, None]
    t = day_offset - first_day[:, None].astype(np.float64)
    t /= 7
    score = np.minimum(t, t_change)
    score *= rate_before
    t -= t_change
    np.maximum(t, 0, out=t)
    t *= rate_after
    score += t
    del t
    score += goals["baseline"][:, None]
    scatter = rng.standard_normal((n, WEEKS))
    outlier = np.flatnonzero(rng.random(n * WEEKS, dtype=np.float32) < 0.01)
    scatter.flat[outlier] = 3.5 * np.sign(scatter.flat[outlier])
    scatter *= goals["noise"][:, None]
    score += scatter
    del scatter

    # Setting: the service's model (a hybrid alternates), the previous model before a change,
    # empty for a new service and for a few points where nobody recorded it.
    setting = np.repeat(model.astype(np.int8)[:, None], WEEKS, axis=1)
    early = changed[:, None] & (weeks < change_week[:, None])
    setting[early] = np.broadcast_to(previous.astype(np.int8)[:, None], setting.shape)[early]
    hybrid = setting == HYBRID
    setting[hybrid] = np.broadcast_to(weeks % 2, setting.shape)[hybrid]  # even weeks push_in
    setting[setting == NO_MODEL] = NO_SETTING
    blank = np.flatnonzero(rng.random(n * WEEKS, dtype=np.float32) < 0.04)
    setting.flat[blank] = NO_SETTING

    _vignette_paths(vignettes, goals, present, score, setting, day_offset)

    spec = [MEASURES[m] for m in MEASURE_NAMES]
    low = np.array([s.bounds[0] for s in spec])[goals["measure_index"]][:, None]
    high = np.array([s.bounds[1] for s in spec])[goals["measure_index"]][:, None]
    tenths = np.array([s.decimals == 1 for s in spec])[goals["measure_index"]]
    np.clip(score, low, high, out=score)
    score[tenths] *= 10
    np.rint(score, out=score)
    score[tenths] /= 10

    goal_row, week = np.nonzero(present)
    dates = np.datetime64(FIRST_MONDAY, "D") + day_offset[goal_row, week].astype(np.int64)
    return {
        "goal": goal_row,
        "date": dates,
        "score": score[goal_row, week],
        "setting": setting[goal_row, week],
    }


def _vignette_paths(
    vignettes: tuple[Vignette, ...],
    goals: dict[str, np.ndarray],
    present: np.ndarray,
    score: np.ndarray,
    setting: np.ndarray,
    day_offset: np.ndarray,
) -> None:
    """Overwrite the vignette goals' rows with their stories (same whatever the seed)."""
    fixed = np.random.default_rng(VIGNETTE_NOISE_SEED)
    week_offset, school_days = _week_starts()
    weeks = np.arange(WEEKS)
    row = 0
    for v in vignettes:
        for s in v.services:
            for g in s.goals:
                # A fixed session day, one day later every fifth week (a rescheduled session).
                day = np.minimum(row % 3 + (weeks % 5 == 4), school_days - 1)
                day_offset[row] = week_offset + day
                present[row] = ~np.isin(weeks, g.missed_weeks)
                level = np.full(WEEKS, float(g.baseline))
                where = np.zeros(WEEKS, dtype=np.int64)
                ends = [p[0] for p in g.phases[1:]] + [WEEKS]
                for (first, name, rate), end in zip(g.phases, ends, strict=True):
                    level += rate * np.clip(weeks - first, 0, end - first)
                    span = slice(first, end)
                    if name == "alternate":
                        where[span] = np.where(weeks[span] % 2 == 0, PUSH_IN, PULL_OUT)
                    else:
                        where[span] = PUSH_IN if name == "push_in" else PULL_OUT
                score[row] = level + fixed.normal(0, g.noise, WEEKS)
                setting[row] = where
                row += 1
