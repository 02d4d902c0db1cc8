"""Service fidelity: were the mandated minutes delivered, in which setting, and if not, why.

Pure functions over frames (no I/O). The definitions are public (README, `fidelity` command):

- the period runs from `start` to `end` inclusive (default: the earliest and latest date in
  the service log);
- `weeks` = the number of Monday-to-Sunday weeks that overlap the period;
- `mandated_minutes = minutes_per_week x weeks`;
- `delivered_minutes` = the sum of delivered minutes (also split by setting);
- `missed_minutes` = the sum of missed minutes; `makeup_owed_minutes` = the missed minutes
  whose reason is the school's side (`provider_absent`, `schedule_conflict`);
- `unaccounted_minutes = max(0, mandated - delivered - missed)`;
- `fidelity_percent = 100 x delivered / mandated`, rounded to one decimal.

A service without a log row in the period has empty figures: no log is not zero delivery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pushin_rules.data.contract import MAKEUP_REASONS

# A progress phase read beside fewer delivered minutes than this share of its mandate is not
# evidence about the setting: too many sessions never happened.
LOW_FIDELITY_PERCENT = 70.0
# The caseload's watch line: a service under this share of its minutes needs a look.
WATCH_FIDELITY_PERCENT = 80.0

FIGURES: tuple[str, ...] = (
    "weeks",
    "mandated_minutes",
    "delivered_minutes",
    "delivered_push_in_minutes",
    "delivered_pull_out_minutes",
    "missed_minutes",
    "makeup_owed_minutes",
    "unaccounted_minutes",
)
COLUMNS: tuple[str, ...] = (
    "service_id",
    "student_id",
    "service",
    *FIGURES,
    "fidelity_percent",
    "period_start",
    "period_end",
)


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weeks_overlapping(start: dt.date, end: dt.date) -> int:
    """Monday-to-Sunday weeks that share at least one day with [start, end]."""
    if end < start:
        return 0
    return (monday(end) - monday(start)).days // 7 + 1


def log_period(
    service_log: pd.DataFrame, start: dt.date | None = None, end: dt.date | None = None
) -> tuple[dt.date, dt.date] | None:
    """The period to reconcile: the given bounds, else the log's first and last dates.
    None when a bound is missing and the log is empty."""
    dates = service_log["date"].dropna()
    if start is None:
        if dates.empty:
            return None
        start = dates.min().date()
    if end is None:
        if dates.empty:
            return None
        end = dates.max().date()
    return start, end


def fidelity_percent(delivered: float, mandated: float) -> float | None:
    """100 x delivered / mandated, rounded to one decimal; None when nothing was mandated."""
    if not mandated or mandated <= 0:
        return None
    return round(100.0 * float(delivered) / float(mandated), 1)


def fidelity_table(
    services: pd.DataFrame,
    service_log: pd.DataFrame,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """One row per service (in the services frame's order) with the figures defined above.

    Minute figures are nullable integers (empty for a service without a log row in the
    period), `fidelity_percent` a nullable float.
    """
    period = log_period(service_log, start, end)
    out = pd.DataFrame(
        {
            "service_id": services["service_id"].astype(object).to_numpy(),
            "student_id": services["student_id"].astype(object).to_numpy(),
            "service": services["service"].astype(object).to_numpy(),
        }
    )
    n = len(out)
    if period is None or period[1] < period[0]:
        for name in FIGURES:
            out[name] = pd.array([pd.NA] * n, dtype="Int64")
        out["fidelity_percent"] = pd.array([pd.NA] * n, dtype="Float64")
        out["period_start"] = pd.Series([""] * n, dtype=object)
        out["period_end"] = pd.Series([""] * n, dtype=object)
        return out
    first, last = period
    weeks = weeks_overlapping(first, last)
    dates = service_log["date"]
    inside = (dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))
    log = service_log.loc[inside.fillna(False).to_numpy()]

    minutes = log["minutes"].to_numpy(dtype=np.int64)
    delivered = (log["status"] == "delivered").to_numpy()
    missed = (log["status"] == "missed").to_numpy()
    owed = missed & log["reason"].isin(MAKEUP_REASONS).to_numpy()
    push = (log["setting"] == "push_in").to_numpy()
    pull = (log["setting"] == "pull_out").to_numpy()
    parts = pd.DataFrame(
        {
            "service_id": log["service_id"].to_numpy(dtype=object),
            "delivered_minutes": np.where(delivered, minutes, 0),
            "delivered_push_in_minutes": np.where(delivered & push, minutes, 0),
            "delivered_pull_out_minutes": np.where(delivered & pull, minutes, 0),
            "missed_minutes": np.where(missed, minutes, 0),
            "makeup_owed_minutes": np.where(owed, minutes, 0),
        }
    )
    sums = parts.groupby("service_id", sort=False).sum()
    logged = out["service_id"].isin(sums.index).to_numpy()
    per_week = services["minutes_per_week"].to_numpy(dtype=np.int64)
    mandated = per_week * weeks

    def figure(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
        array = pd.array(np.where(logged, values, 0), dtype="Int64")
        array[~logged] = pd.NA
        return array

    aligned = sums.reindex(out["service_id"]).fillna(0).astype(np.int64)
    out["weeks"] = figure(np.full(n, weeks, dtype=np.int64))
    out["mandated_minutes"] = figure(mandated)
    for name in parts.columns[1:]:
        out[name] = figure(aligned[name].to_numpy())
    got = aligned["delivered_minutes"].to_numpy()
    lost = aligned["missed_minutes"].to_numpy()
    out["unaccounted_minutes"] = figure(np.maximum(0, mandated - got - lost))
    out = out[[*COLUMNS[:3], *FIGURES]]
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = np.round(100.0 * got / np.where(mandated > 0, mandated, np.nan), 1)
    shown = pd.array(np.nan_to_num(percent), dtype="Float64")
    shown[~(logged & np.isfinite(percent))] = pd.NA
    out["fidelity_percent"] = shown
    out["period_start"] = pd.Series([first.isoformat()] * n, dtype=object)
    out["period_end"] = pd.Series([last.isoformat()] * n, dtype=object)
    return out


def csv_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The table as the `fidelity` command writes it: empty cells for empty figures."""
    out = table.copy()
    for name in (*FIGURES, "fidelity_percent"):
        out[name] = out[name].astype(object).where(out[name].notna(), "")
    return out[list(COLUMNS)]


# ----------------------------------------------------------------- fidelity beside progress


def delivered_between(
    service_log: pd.DataFrame, service_id: str, first: dt.date, last: dt.date
) -> dict[str, int]:
    """Delivered and missed minutes of one service from `first` to `last` inclusive."""
    log = service_log[service_log["service_id"] == service_id]
    dates = log["date"]
    inside = ((dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))).to_numpy()
    log = log.loc[inside]
    minutes = log["minutes"].to_numpy(dtype=np.int64)
    delivered = (log["status"] == "delivered").to_numpy()
    return {
        "delivered_minutes": int(minutes[delivered].sum()),
        "delivered_push_in_minutes": int(
            minutes[delivered & (log["setting"] == "push_in").to_numpy()].sum()
        ),
        "delivered_pull_out_minutes": int(
            minutes[delivered & (log["setting"] == "pull_out").to_numpy()].sum()
        ),
        "missed_minutes": int(minutes[~delivered].sum()),
        "rows": len(log),
    }


def phase_fidelity(
    service_log: pd.DataFrame,
    service_id: str,
    minutes_per_week: int,
    phases: Sequence[tuple[dt.date, dt.date]],
    low_percent: float = LOW_FIDELITY_PERCENT,
) -> list[dict[str, object]]:
    """For each progress phase (first, last date), the minutes actually delivered in it.

    Each dict: first, last, weeks, mandated_minutes, delivered_minutes (and by setting),
    missed_minutes, fidelity_percent (None without a log row in the phase), low (True when
    under `low_percent`: the phase says little about its setting), and `delivered_hours`, so
    a phase's gain can be read per delivered hour.
    """
    out: list[dict[str, object]] = []
    for first, last in phases:
        weeks = weeks_overlapping(first, last)
        mandated = int(minutes_per_week) * weeks
        got = delivered_between(service_log, service_id, first, last)
        percent = fidelity_percent(got["delivered_minutes"], mandated) if got["rows"] else None
        out.append(
            {
                "first": first,
                "last": last,
                "weeks": weeks,
                "mandated_minutes": mandated,
                "delivered_minutes": got["delivered_minutes"] if got["rows"] else None,
                "delivered_push_in_minutes": got["delivered_push_in_minutes"],
                "delivered_pull_out_minutes": got["delivered_pull_out_minutes"],
                "missed_minutes": got["missed_minutes"],
                "delivered_hours": round(got["delivered_minutes"] / 60, 1),
                "fidelity_percent": percent,
                "low": percent is not None and percent < low_percent,
            }
        )
    return out


def phase_caption(phase: dict[str, object]) -> str:
    """One line for a phase: minutes delivered of mandated, and the low-fidelity label."""
    first = phase["first"]
    last = phase["last"]
    span = f"{first:%b %d} - {last:%b %d}" if isinstance(first, dt.date) else ""
    if phase["fidelity_percent"] is None:
        return f"{span}: no sessions logged, so delivery is unknown."
    text = (
        f"{span}: {phase['delivered_minutes']} of {phase['mandated_minutes']} mandated minutes "
        f"delivered ({phase['fidelity_percent']}%)"
    )
    if phase["low"]:
        text += (
            f" - low fidelity (under {LOW_FIDELITY_PERCENT:g}%): too few sessions happened to "
            "judge this setting"
        )
    return text + "."


def service_line(row: pd.Series) -> str:
    """One line per service for the meeting: delivered of mandated, make-up owed."""
    if pd.isna(row["fidelity_percent"]):
        return "no sessions logged in the period"
    text = (
        f"{int(row['delivered_minutes'])} of {int(row['mandated_minutes'])} minutes delivered "
        f"({row['fidelity_percent']:.1f}%) over {int(row['weeks'])} weeks"
    )
    if int(row["makeup_owed_minutes"]):
        text += f"; {int(row['makeup_owed_minutes'])} make-up minutes owed"
    return text


SETTING_WORDS = {"push_in": "in class", "pull_out": "pulled out", "": "setting not recorded"}


def phase_spans(
    phases: Sequence[tuple[str, dt.date, dt.date]],
) -> list[tuple[str, dt.date, dt.date]]:
    """(setting, first, last) of each progress phase as delivery periods: a phase runs from its
    first score to the day before the next phase's first score (the last one to its last score),
    so the sessions between two probes count for the phase they led into."""
    out = []
    for index, (setting, start, end) in enumerate(phases):
        if index + 1 < len(phases):
            end = max(start, phases[index + 1][1] - dt.timedelta(days=1))
        out.append((setting, start, end))
    return out


def progress_phase_lines(
    service_log: pd.DataFrame,
    service_id: str,
    minutes_per_week: int,
    phases: Sequence[tuple[str, dt.date, dt.date, float]],
    low_percent: float = LOW_FIDELITY_PERCENT,
) -> list[str]:
    """One line per progress phase (setting, first score date, last score date, slope per
    week): the minutes delivered in it against its mandate, the gain per delivered hour, and
    the low-fidelity label. Empty when the service has no log rows at all."""
    if not (service_log["service_id"] == service_id).any() or not phases:
        return []
    singles = sum(1 for _s, first, last, _r in phases if first == last)
    if len(phases) >= 3 and 2 * singles >= len(phases):
        # Alternating settings week by week: one line for the whole span, split by setting.
        first, last = phases[0][1], phases[-1][2]
        spans = [("", first, last)]
        slopes = [float("nan")]
    else:
        spans = phase_spans([(s, a, b) for s, a, b, _r in phases])
        slopes = [r for *_x, r in phases]
    lines = []
    for (setting, first, last), slope in zip(spans, slopes, strict=True):
        (phase,) = phase_fidelity(service_log, service_id, minutes_per_week, [(first, last)])
        head = SETTING_WORDS.get(setting, setting) if setting else "all settings"
        text = f"{head.capitalize()}, " + phase_caption(phase)
        if setting == "" and phase["fidelity_percent"] is not None:
            text = text.rstrip(".") + (
                f" ({phase['delivered_push_in_minutes']} in class, "
                f"{phase['delivered_pull_out_minutes']} pulled out)."
            )
        hours = float(phase["delivered_hours"])  # type: ignore[arg-type]
        weeks = ((last - first).days + 1) / 7
        if hours > 0 and slope == slope and weeks >= 1:  # slope is not NaN
            text = text.rstrip(".") + f"; gain {slope * weeks / hours:+.2f} per delivered hour."
        lines.append(text)
    return lines
