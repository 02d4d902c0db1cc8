"""The summary as the `progress` command writes it to CSV: issue columns first
(`CSV_COLUMNS`), rounded numbers, ISO dates."""

from __future__ import annotations

import pandas as pd

from pushin_rules.decide.progress.settings import NOT_ENOUGH_DATA

# The columns first, in this order; the rest of the summary follows.
CSV_COLUMNS: tuple[str, ...] = (
    "goal_id",
    "service_id",
    "points",
    "baseline",
    "target",
    "needed_roi",
    "trend_roi",
    "four_point",
    "trend_rule",
    "decision",
    "projected_at_target",
    "likelihood",
)
_CSV_DECIMALS = 4


def summary_csv_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as written to CSV: issue columns first, rounded numbers, ISO dates, and
    "not enough data" in `likelihood` where there is no number."""
    rest = [c for c in summary.columns if c not in CSV_COLUMNS]
    out = summary[[*CSV_COLUMNS, *rest]].copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.dt.strftime("%Y-%m-%d").fillna("")
        elif pd.api.types.is_float_dtype(series):
            out[column] = series.round(_CSV_DECIMALS)
    likelihood = out["likelihood"].astype(object)
    out["likelihood"] = likelihood.where(out["likelihood"].notna(), NOT_ENOUGH_DATA)
    return out
