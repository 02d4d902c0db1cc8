"""Parsing a service's frequency as SEIS writes it ("Sessions / Frequency") into weekly minutes.

Forms read (case, spacing, "min"/"mins"/"minutes", "hr"/"hours", "Times"/"sessions" all vary):

    30 min x 2 Times = 60 min Weekly      two 30-minute sessions a week
    45 min Weekly                         one 45-minute session a week
    20 min x 1 Times = 20 min Daily       every school day
    30 min x 4 Times = 120 min Monthly    four sessions a month
    60 min Yearly                         (too little to plan by the week: refused, see below)

The contract counts minutes by the week, so other periods are converted with the school
calendar below. The sessions-times-length arithmetic is checked: a text whose total does not
match its parts is refused rather than guessed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# School weeks in one period. A school year is 36 weeks (180 days of 5); a school month is
# taken as 4 of those weeks (36 weeks over the 9 months of a school year).
SCHOOL_DAYS_PER_WEEK = 5
WEEKS_PER_SCHOOL_YEAR = 36
PERIOD_WEEKS: dict[str, float] = {
    "daily": 1 / SCHOOL_DAYS_PER_WEEK,
    "weekly": 1.0,
    "biweekly": 2.0,
    "every other week": 2.0,
    "monthly": 4.0,
    "quarterly": WEEKS_PER_SCHOOL_YEAR / 4,
    "yearly": float(WEEKS_PER_SCHOOL_YEAR),
    "annually": float(WEEKS_PER_SCHOOL_YEAR),
}
PERIOD_NAMES: dict[str, str] = {
    "day": "daily",
    "daily": "daily",
    "week": "weekly",
    "weekly": "weekly",
    "wk": "weekly",
    "bi-weekly": "biweekly",
    "biweekly": "biweekly",
    "every other week": "every other week",
    "month": "monthly",
    "monthly": "monthly",
    "quarter": "quarterly",
    "quarterly": "quarterly",
    "year": "yearly",
    "yearly": "yearly",
    "annually": "annually",
    "annual": "annually",
}

_UNIT = r"(?P<{0}>min(?:ute)?s?|hrs?|hours?)\.?"
_AMOUNT = r"(?P<{0}>[0-9]+(?:\.[0-9]+)?)\s*"
_PERIOD = (
    r"(?:per\s+|a\s+|/\s*)?(?P<period>"
    + "|".join(re.escape(p) for p in sorted(PERIOD_NAMES, key=len, reverse=True))
    + r")"
)
_FULL = re.compile(
    r"^\s*"
    + _AMOUNT.format("length")
    + _UNIT.format("length_unit")
    + r"\s*[x×*]\s*(?P<times>[0-9]+)\s*(?:times?|sessions?|x)?\s*"
    + r"(?:=\s*"
    + _AMOUNT.format("total")
    + _UNIT.format("total_unit")
    + r")?\s*"
    + _PERIOD
    + r"\s*$",
    re.IGNORECASE,
)
_SHORT = re.compile(
    r"^\s*" + _AMOUNT.format("length") + _UNIT.format("length_unit") + r"\s*" + _PERIOD + r"\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Frequency:
    """What a frequency text says, and its weekly equivalent."""

    session_minutes: int
    sessions: int  # sessions per period
    period: str  # "daily", "weekly", "monthly", ...
    minutes_per_week: int

    @property
    def minutes_per_period(self) -> int:
        return self.session_minutes * self.sessions


class FrequencyError(ValueError):
    """A frequency text that cannot be read; the message says why, in words for the report."""


@functools.lru_cache(maxsize=4096)  # a district uses a few dozen distinct texts
def parse_frequency(text: str) -> Frequency:
    """Read one frequency text; raises FrequencyError saying what is wrong."""
    cleaned = " ".join(str(text).replace("\u00a0", " ").split())
    if not cleaned:
        raise FrequencyError("the frequency is empty")
    match = _FULL.match(cleaned)
    times = 1
    if match is not None:
        times = int(match["times"])
    else:
        match = _SHORT.match(cleaned)
        if match is None:
            raise FrequencyError(
                f"{cleaned!r} is not a frequency this importer reads "
                "(expected e.g. '30 min x 2 Times = 60 min Weekly' or '45 min Weekly')"
            )
    length = _minutes(match["length"], match["length_unit"])
    if length <= 0 or times <= 0:
        raise FrequencyError(f"{cleaned!r} gives no minutes")
    if match.groupdict().get("total") is not None:
        total = _minutes(match["total"], match["total_unit"])
        if abs(total - length * times) > 0.5:
            raise FrequencyError(
                f"{cleaned!r} does not add up: {length:g} x {times} is {length * times:g}, "
                f"not {total:g}"
            )
    period = PERIOD_NAMES[match["period"].lower()]
    weekly = length * times / PERIOD_WEEKS[period]
    if round(weekly) < 1:
        raise FrequencyError(
            f"{cleaned!r} is less than one minute a week; "
            "a service this rare is not planned by the week"
        )
    if abs(length - round(length)) > 1e-9:
        raise FrequencyError(f"{cleaned!r}: a session of {length:g} minutes is not whole minutes")
    return Frequency(round(length), times, period, round(weekly))


def _minutes(amount: str, unit: str) -> float:
    value = float(amount)
    return value * 60 if unit.lower().startswith(("h",)) else value


def school_weeks(days: int) -> float:
    """School weeks in a span of calendar days (36 school weeks in 365 days)."""
    return max(days, 0) / 365 * WEEKS_PER_SCHOOL_YEAR


# How far the export's yearly total may stray from weekly minutes x the span's school weeks
# before the report asks someone to look (holidays and the export's own rounding).
YEARLY_TOLERANCE = 0.10


def yearly_total_agrees(minutes_per_week: int, span_days: int, total: float) -> bool:
    """Whether a stated yearly total is within YEARLY_TOLERANCE of the weekly minutes over
    the span's school weeks."""
    expected = minutes_per_week * school_weeks(span_days)
    if expected <= 0:
        return True
    return abs(total - expected) <= YEARLY_TOLERANCE * expected


def describe(frequency: Frequency) -> str:
    """The SEIS wording of a frequency (used by the synthetic SEIS writer)."""
    total = frequency.minutes_per_period
    period = frequency.period.capitalize()
    if frequency.sessions == 1:
        return f"{frequency.session_minutes} min {period}"
    return f"{frequency.session_minutes} min x {frequency.sessions} Times = {total} min {period}"
