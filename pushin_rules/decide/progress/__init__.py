"""Progress monitoring: baseline, aimline, trend, the four-point and trend-line rules, projection,
likelihood, phases and the setting comparison, and one verdict per goal, for one goal or a
whole district at once.

The arithmetic is written once, over arrays; `goal_summary` runs it over a whole district and
`analyse_goal` over one goal, so the two can never disagree. Every threshold comes from the
`[progress]` table of the rules file (`ProgressSettings`).

Where each step lives:
- `settings.py`  the `[progress]` table, the decision vocabulary, a measure's possible range;
- `trend.py`     one series per goal: baseline, aimline, trend, rules, projection, likelihood;
- `decisions.py` phases, which series the verdict rests on, and the verdict;
- `compare.py`   push-in against pull-out scores: NAP with its interval, level difference,
                 carry-over gap;
- `sentences.py` the practitioner sentences of the summary;
- `prepare.py`   frames to arrays and back (scores grouped by goal, per-goal columns);
- `summary_frame.py` the district-wide summary frame (`SUMMARY_COLUMNS`);
- `summary.py`   a district in, frames out (`goal_summary`, `service_progress`); every public
                 name of the modules below stays importable from it;
- `goal_analysis.py` one goal (`analyse_goal`, `GoalAnalysis`, `Phase`);
- `phases.py`    one row per phase (`phase_summary`);
- `csv_frame.py` the CSV shape of the summary (`summary_csv_frame`).

Definitions (DOMAIN.md, "Progress monitoring"); x is measured in weeks (days / 7) from the date
of the series' first score:

- baseline: the median of the first three scores by date (fewer scores: their median); the
  baseline date is the date of the first score. (Using the first score's date rather than the
  median of the first three dates keeps the aimline anchored where monitoring began.)
- aimline: the straight line from (baseline date, baseline) to (target date, target). After the
  target date the aim is the target itself; with a target date on or before the baseline date the
  aim is the target throughout.
- needed_roi: (target - baseline) / weeks from the baseline date to the target date; NaN when
  the target date is not after the baseline date.
- trend: ordinary least squares (`ols`), Tukey's tri-split (`tukey`: thirds by position, with an
  extra point in the middle third when n % 3 == 1 and in each outer third when n % 3 == 2; the
  line runs through (median week, median score) of the first and of the last third), or
  Theil-Sen (`theil_sen`: median of the pairwise slopes over pairs with different dates,
  intercept the median of score - slope * week). The shipped default is Theil-Sen: one sick-day
  score cannot tip it (a single outlier moves one pairwise slope in each pair it is part of,
  not the median), while OLS is dragged by it; the OLS slope is still reported (`ols_roi`) so
  a team sees both. `trend_roi` is the whole series' slope (score per week), `trend_intercept`
  its value at the baseline date; `slope_se` the OLS standard error of the slope.
- enough data: at least `min_points` scores spread over at least `min_weeks` weeks; otherwise
  both rules say `insufficient_data` (baseline, needed rate and trend are still reported).
- four-point rule: the last `four_point_window` scores compared with the aimline. All on the
  off-track side (below it for an increase goal, above it for a decrease goal) -> `change`;
  all on the ahead side -> `raise_goal`; otherwise (mixed, or a score exactly on the line) ->
  `continue`.
- trend-line rule: with r = needed_roi and b = the trend's slope, both multiplied by -1 for a
  decrease goal so that "more" always means "better", the trend is parallel when
  |b - r| <= parallel_tolerance * r -> `continue`; flatter -> `change`; steeper ->
  `raise_goal`. When the target was already reached at baseline (r <= 0) or the target date is
  not after the baseline date, the rule asks whether the trend at the later of the target date
  and the last score reaches the target (`raise_goal`) or not (`change`).
- likelihood: P(true level at the target date reaches the target) under a normal approximation,
  centred on the projection, with the OLS standard error of the fitted line at the target date,
  se = s * sqrt(1/n + (x_target - mean x)^2 / Sxx), s^2 = residual sum of squares / (n - 2).
  (The OLS standard error is used for every trend method.) Below `likelihood_min_points` scores
  or `likelihood_min_weeks` weeks (and always below 3 scores) it is NaN, "not enough data".
- projected_at_target: the trend's value at the target date, kept inside the measure's possible
  range (`measure_ranges` / `measure_floor`: percent 0-100, counts and rates at least 0).
- phases: consecutive runs of the same setting. A score with no setting recorded joins the
  phase it falls in. Each phase gets an OLS slope (its attained rate per week). Settings that
  alternate score by score (3+ phases, at least half of them one score) are a hybrid service:
  no phase is judged on its own. `push_in_roi` / `pull_out_roi`: the OLS slope of the scores
  taken in that setting over the whole period.

The verdict (`decision`; the issue "Progress decisions 2.0"), in this order:

1. too few scores overall -> `insufficient_data`;
2. level before slope: the median of the latest `level_window` scores at or past the target ->
   `goal_met` (a goal that holds at its target has a flat trend: a ceiling, not a failure);
3. after a change of setting (2+ phases, not alternating) the newest phase is judged on its own:
   its own baseline (first three scores of the phase) and aimline to the target. A newest phase
   with fewer than `min_points` scores or `min_weeks` weeks -> `insufficient_data`, its rate so
   far shown and nothing concluded about the new setting;
4. the four-point and trend-line rules (on that series) disagree -> `review`, both stated;
5. the rules say `continue`/`raise_goal` while the likelihood is below
   `on_track_min_likelihood`, or `change` while it is above `off_track_max_likelihood` ->
   `review` (the headline, the likelihood and the rule details never contradict);
6. otherwise the rules' shared verdict.

`four_point`, `trend_rule`, their `*_detail`, `projected_at_target` and `likelihood` describe the
series the verdict rests on (`judged_on`); for a goal with one phase that is every score, as
before. `decision_detail` says the verdict and what it rests on; `reliability` says how far the
numbers go ("fewer than 10 weekly scores: treat this as a first look", with the slope's standard
error); `compare_detail` and the `setting_*` columns compare the settings; `carry_over_gap`
names a therapy-room-over-classroom gap.

Vocabulary (`DECISIONS`, most urgent first): `change`, `review`, `continue`, `raise_goal`,
`goal_met`, `insufficient_data`.

Figures (100,000 goals x 20 scores = 2,000,000 scores through `goal_summary`, the benchmark's
`progress_frames`, where every goal changes setting half way: the worst case, since every goal
is then judged on its newest phase and compared across settings). Measured back to back on the
shared 2-core machine under load (load average 8-11): 1.7-2.4 s of CPU with the verdict, the
setting comparison and their sentences, against 0.9-1.0 s for the code before them. About half
of the new time is the sentences and the text columns. The setting comparison sorts each goal's
scores as a row of a (goals, scores) matrix, never across the district.
"""

from __future__ import annotations

from pushin_rules.decide.progress.settings import (
    DECISIONS,
    NOT_ENOUGH_DATA,
    TREND_LABELS,
    TRENDS,
    MeasureRange,
    ProgressSettings,
    _trend_method,
    default_settings,
)
from pushin_rules.decide.progress.summary import (
    CSV_COLUMNS,
    PHASE_COLUMNS,
    PHASE_FIELDS,
    SUMMARY_COLUMNS,
    GoalAnalysis,
    Phase,
    analyse_goal,
    goal_summary,
    phase_summary,
    service_progress,
    summary_csv_frame,
)

__all__ = [
    "CSV_COLUMNS",
    "DECISIONS",
    "NOT_ENOUGH_DATA",
    "PHASE_COLUMNS",
    "PHASE_FIELDS",
    "SUMMARY_COLUMNS",
    "TRENDS",
    "TREND_LABELS",
    "GoalAnalysis",
    "MeasureRange",
    "Phase",
    "ProgressSettings",
    "_trend_method",
    "analyse_goal",
    "default_settings",
    "goal_summary",
    "phase_summary",
    "service_progress",
    "summary_csv_frame",
]
