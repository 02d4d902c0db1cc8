"""The tables the generator draws from: vignettes, services, caseloads, dosage, measures,
models and the school calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from pushin_rules import content
from pushin_rules.content import Focus, Vignette

# --------------------------------------------------------------------------------------------
# Vignettes: the named students the documentation, the trainer and the tests talk about.
# They are the first students of every district of 10 or more students, identical whatever
# the seed (their noise comes from a fixed generator), so a story told about them stays true.
# --------------------------------------------------------------------------------------------


VIGNETTES: tuple[Vignette, ...] = content.vignettes()  # pushin_rules/content/vignettes.toml

MIN_STUDENTS_FOR_VIGNETTES = 10
MAX_STUDENTS = 1_000_000  # memory grows about 0.8 GB per 100,000 students; more is a typo

# --------------------------------------------------------------------------------------------
# Tables the random part draws from.
# --------------------------------------------------------------------------------------------

SERVICE_TYPES: tuple[str, ...] = (
    "speech_language",
    "setss",
    "occupational_therapy",
    "physical_therapy",
    "counseling",
)
ROLE_OF_SERVICE: dict[str, str] = {
    "speech_language": "slp",
    "setss": "special_educator",
    "occupational_therapy": "ot",
    "physical_therapy": "pt",
    "counseling": "counselor",
}
ROLES: tuple[str, ...] = ("slp", "ot", "pt", "counselor", "special_educator")

LEVELS: tuple[str, ...] = ("Elementary School", "Middle School", "High School")
# A district is mostly elementary schools, where push-in / pull-out decisions are most common.
LEVEL_CYCLE: tuple[int, ...] = (0, 0, 1, 0, 0, 2)
LEVEL_GRADES: tuple[tuple[int, ...], ...] = ((0, 1, 2, 3, 4, 5), (6, 7, 8), (9, 10, 11, 12))
LEVEL_GRADE_WEIGHTS: tuple[tuple[float, ...], ...] = (
    (1.1, 1.1, 1.05, 1.0, 0.95, 0.9),
    (1.0, 1.0, 1.0),
    (1.0, 1.0, 1.0, 1.0),
)
# Chance a student with an IEP at each level has each service (order of SERVICE_TYPES):
# speech dominates in elementary school, SETSS and counseling grow with age.
SERVICE_CHANCE = np.array(
    [
        [0.80, 0.50, 0.40, 0.08, 0.17],
        [0.50, 0.68, 0.20, 0.06, 0.40],
        [0.33, 0.70, 0.10, 0.05, 0.45],
    ]
)

# Services each provider carries (DOMAIN.md: SLP median about 48-50, ASHA calls 40
# manageable; SETSS at most 30 students per teacher in elementary school).
CASELOAD: dict[str, int] = {
    "slp": 45,
    "ot": 40,
    "pt": 30,
    "counselor": 50,
    "special_educator": 25,
}
# Even a small district has a team: 2 SLPs, 2 OTs, a PT, a counselor, 2 special educators.
MIN_PROVIDERS: dict[str, int] = {
    "slp": 2,
    "ot": 2,
    "pt": 1,
    "counselor": 1,
    "special_educator": 2,
}
MIN_STUDENTS_FOR_FULL_TEAM = 40
# Full-time weekly capacity range (minutes) by role; PTs are often itinerant and part-time.
CAPACITY: dict[str, tuple[int, int]] = {
    "slp": (1500, 1800),
    "ot": (1350, 1650),
    "pt": (600, 1200),
    "counselor": (1350, 1650),
    "special_educator": (1500, 1725),
}
PART_TIME_SHARE = 0.1
PART_TIME_FACTOR = 0.6

# Dosage options (sessions per week, minutes per session, weight) by service and severity
# (1 mild, 2 moderate, 3 severe). Speech: mild once a week for 30 minutes; moderate-severe
# 2-3 sessions of 20-30 minutes (DOMAIN.md). SETSS comes in 40-60 minute periods.
DOSAGE: dict[str, dict[int, tuple[tuple[int, int, float], ...]]] = {
    "speech_language": {
        1: ((1, 30, 1.0),),
        2: ((2, 30, 0.5), (2, 20, 0.2), (3, 20, 0.3)),
        3: ((3, 30, 0.5), (2, 30, 0.3), (3, 20, 0.2)),
    },
    "setss": {
        1: ((3, 45, 0.6), (3, 40, 0.4)),
        2: ((5, 45, 0.5), (4, 45, 0.3), (3, 45, 0.2)),
        3: ((5, 45, 0.6), (5, 60, 0.2), (8, 45, 0.2)),
    },
    "occupational_therapy": {
        1: ((1, 30, 1.0),),
        2: ((1, 30, 0.5), (2, 30, 0.5)),
        3: ((2, 30, 0.7), (3, 30, 0.3)),
    },
    "physical_therapy": {
        1: ((1, 30, 1.0),),
        2: ((1, 30, 0.6), (2, 30, 0.4)),
        3: ((2, 30, 0.7), (2, 45, 0.3)),
    },
    "counseling": {
        1: ((1, 30, 1.0),),
        2: ((1, 30, 0.6), (1, 40, 0.2), (2, 30, 0.2)),
        3: ((2, 30, 0.7), (1, 45, 0.3)),
    },
}
SEVERITY_WEIGHTS = (0.3, 0.5, 0.2)


@dataclass(frozen=True)
class Measure:
    direction: str
    baseline: tuple[float, float]  # range of the week-0 level
    per_grade: float  # added to the baseline per grade (reading rates grow with age)
    gain: tuple[float, float]  # target minus baseline (negative for decrease)
    noise: float
    bounds: tuple[float, float]  # a score can never leave these
    target_step: float  # teams write round targets (80%, not 78.4%)
    target_bounds: tuple[float, float]
    decimals: int = 0


MEASURES: dict[str, Measure] = {
    "percent accuracy": Measure("increase", (25, 55), 0, (30, 50), 6.0, (0, 100), 5, (60, 95)),
    "percent of opportunities": Measure(
        "increase", (10, 40), 0, (35, 55), 7.0, (0, 100), 5, (50, 90)
    ),
    "percent of letters correctly formed": Measure(
        "increase", (30, 55), 0, (30, 45), 5.0, (0, 100), 5, (70, 95)
    ),
    "percent of trials": Measure("increase", (20, 50), 0, (30, 50), 7.0, (0, 100), 5, (60, 95)),
    "words correct per minute": Measure(
        "increase", (12, 30), 9, (35, 55), 4.0, (0, 250), 5, (30, 200)
    ),
    "correct word sequences": Measure(
        "increase", (6, 14), 2, (10, 18), 2.5, (0, 120), 1, (10, 100)
    ),
    "digits correct per minute": Measure(
        "increase", (5, 12), 2, (10, 16), 2.0, (0, 120), 1, (10, 100)
    ),
    "minutes on task": Measure("increase", (4, 9), 0, (10, 16), 1.8, (0, 45), 1, (12, 30)),
    "seconds balancing on one foot": Measure(
        "increase", (2, 6), 0, (8, 14), 1.2, (0, 60), 1, (10, 20)
    ),
    "prompts needed": Measure("decrease", (8, 14), 0, (-9, -5), 1.4, (0, 40), 1, (1, 5)),
    "off-task incidents": Measure("decrease", (7, 14), 0, (-10, -5), 1.6, (0, 40), 1, (1, 5)),
    "incidents needing adult help": Measure(
        "decrease", (4, 9), 0, (-7, -3), 1.1, (0, 30), 1, (0, 3)
    ),
    "percent of syllables stuttered": Measure(
        "decrease", (6, 14), 0, (-10, -5), 1.0, (0, 100), 0.5, (1, 5), decimals=1
    ),
}
MEASURE_NAMES: tuple[str, ...] = tuple(MEASURES)


# What a generated service works on: it sets the need ratings, group sizes and goal wording.
FOCI: tuple[Focus, ...] = content.foci()  # pushin_rules/content/situations.toml

# How a delivery model is coded in the arrays below.
PUSH_IN, PULL_OUT, HYBRID, NO_MODEL = 0, 1, 2, 3
MODEL_TEXT = np.array(["push_in", "pull_out", "hybrid", ""], dtype=object)
SETTING_TEXT = np.array(["push_in", "pull_out", ""], dtype=object)
NO_SETTING = 2
# Historical habit: therapies are mostly pulled out, SETSS mostly pushed in.
MODEL_BIAS: dict[str, float] = {
    "speech_language": 1.4,
    "setss": -1.6,
    "occupational_therapy": 1.0,
    "physical_therapy": 1.8,
    "counseling": 1.0,
}
NEW_SERVICE_SHARE = 0.05  # no model chosen yet (a new mandate): only baseline points
UNSTAFFED_NEW_SHARE = 0.5  # ...and half of those have no provider yet
CHANGED_SHARE = 0.13  # services whose delivery model changed mid-year (phase lines)

# The school calendar of the 20 monitored weeks: Mondays from 14 September 2026, skipping
# the winter recess. Thanksgiving week has three school days.
FIRST_MONDAY = dt.date(2026, 9, 14)
WINTER_RECESS = (dt.date(2026, 12, 21), dt.date(2026, 12, 28))
WEEKS = 20
TARGET_DATES = (dt.date(2027, 6, 11), dt.date(2027, 6, 18), dt.date(2027, 6, 25))
TARGET_DATE_WEIGHTS = (0.2, 0.6, 0.2)
VIGNETTE_TARGET_DATE = dt.date(2027, 6, 18)
VIGNETTE_NOISE_SEED = 20260914

# Responses to a service, as a multiple of the rate needed to reach the target: flat (the
# rules should say change), slow, on track, and outpacing (the rules should say raise the goal).
RESPONSES = ((-0.2, 0.3), (0.55, 0.8), (0.93, 1.08), (1.6, 2.4))
RESPONSE_WEIGHTS = (0.2, 0.12, 0.5, 0.18)
