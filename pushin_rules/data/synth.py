"""Deterministic synthetic districts (CSV contract): the bundled sample_data and bench data.

Same `students` and `seed` give byte-identical files; the named vignette students come first.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pushin_rules import content
from pushin_rules.content import Focus, Vignette, VignetteGoal, VignetteService
from pushin_rules.data.contract import FILES
from pushin_rules.errors import InputError
from pushin_rules.models import FACTORS, IMPLEMENTATION_FACTORS

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

STUDENT_FIRST = (
    "Aaliyah", "Aarav", "Abigail", "Adrian", "Aiden", "Alana", "Amara", "Amir", "Ana", "Andre",
    "Anya", "Ari", "Asher", "Ava", "Ayla", "Bella", "Benjamin", "Brianna", "Caleb", "Camila",
    "Carlos", "Chloe", "Daniel", "Daniela", "Darius", "Delilah", "Diego", "Eli", "Elena",
    "Elijah", "Emma", "Ethan", "Ezra", "Fatima", "Gabriel", "Grace", "Hana", "Hazel", "Henry",
    "Ibrahim", "Imani", "Isaac", "Isabella", "Jalen", "Jasmine", "Javier", "Jayden", "Kai",
    "Kaiya", "Keisha", "Leah", "Leo", "Liam", "Lily", "Lucas", "Luna", "Malik", "Maya", "Mateo",
    "Mia", "Miles", "Nadia", "Naomi", "Nathan", "Nia", "Noah", "Nora", "Olivia", "Omar", "Owen",
    "Priya", "Rafael", "Riley", "Rosa", "Ruby", "Samir", "Sara", "Sebastian", "Sofia", "Stella",
    "Theo", "Tiana", "Tomas", "Valentina", "Wei", "Xavier", "Yara", "Yusuf", "Zara", "Zoe",
)  # fmt: skip
LAST = (
    "Abbott", "Adeyemi", "Alvarez", "Bailey", "Bennett", "Brennan", "Castillo", "Chen", "Cohen",
    "Delgado", "Diaz", "Dubois", "Edwards", "Ellison", "Farouk", "Fischer", "Flores", "Garcia",
    "Goldberg", "Greene", "Gupta", "Haddad", "Hayes", "Hernandez", "Hoang", "Ibarra", "Jackson",
    "Jensen", "Kaplan", "Kim", "Kowalski", "Lam", "Lindqvist", "Lopez", "Mahmoud", "Marsh",
    "Mendoza", "Morales", "Murphy", "Nakamura", "Nguyen", "Novak", "Obi", "Okafor", "Ortiz",
    "Park", "Patel", "Perez", "Petrov", "Quinn", "Raman", "Ramirez", "Reyes", "Rivera",
    "Robinson", "Rosen", "Russo", "Santos", "Schwartz", "Shapiro", "Singh", "Sokolov", "Suarez",
    "Sullivan", "Tan", "Torres", "Tran", "Vargas", "Walsh", "Washington", "Weiss", "Whitaker",
    "Williams", "Wong", "Yilmaz", "Young", "Zhang",
)  # fmt: skip
# Staff never share a surname with a vignette student, so no one reads them as relatives.
ADULT_LAST = tuple(name for name in LAST if name not in {v.name.split()[-1] for v in VIGNETTES})
ADULT_FIRST = (
    "Adele", "Alan", "Alicia", "Andrea", "Beatriz", "Brian", "Carla", "Carmen", "Denise",
    "Elaine", "Erin", "Farah", "Gloria", "Gregory", "Helen", "Howard", "Ines", "Janet", "Joanne",
    "Joyce", "Karen", "Kendra", "Kevin", "Laura", "Linda", "Lorraine", "Marcus", "Marisol",
    "Megan", "Michelle", "Monica", "Nadine", "Paul", "Paula", "Rachel", "Raymond", "Renee",
    "Rhonda", "Sandra", "Shira", "Steven", "Tamara", "Teresa", "Thomas", "Tovah", "Vanessa",
    "Victor", "Wendy", "Yolanda",
)  # fmt: skip
SCHOOL_WORDS = (
    "Maple", "Harbor", "Cedar", "Riverside", "Oak", "Willow", "Summit", "Lakeview", "Birch",
    "Granite", "Meadow", "Pine", "Brookside", "Clearwater", "Elm", "Fairview", "Hawthorn",
    "Juniper", "Linden", "Magnolia", "Northgate", "Orchard", "Prospect", "Quarry", "Redwood",
    "Sycamore", "Tamarack", "Union", "Valley", "Westbrook",
)  # fmt: skip
SCHOOL_PLACES = (
    "Park", "Hill", "Ridge", "Grove", "Heights", "Creek", "Point", "Commons", "Crossing", "Glen",
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


def generate(students: int, seed: int) -> dict[str, pd.DataFrame]:
    """A synthetic district of `students` students, one frame per contract file.

    Keys are the file names ("schools.csv", ...), columns are in contract order. Dates are
    datetime64, ratings int8, `current_push_in_minutes` nullable Int64 (empty for a service
    with no model yet); empty text is "". The same arguments always give the same frames.
    """
    if not 1 <= students <= MAX_STUDENTS:
        raise InputError(f"--students must be from 1 to {MAX_STUDENTS:,} (got {students:,})")
    if seed < 0:
        raise InputError(f"--seed must be 0 or more (got {seed})")
    rng = np.random.default_rng(seed)
    vignettes = VIGNETTES if students >= MIN_STUDENTS_FOR_VIGNETTES else ()

    schools = _schools(rng, students)
    pupils = _students(rng, students, schools, vignettes)
    services = _services(rng, pupils, schools, vignettes)
    providers = _providers(rng, students, services)
    _assign_providers(rng, pupils, services, providers)
    goals = _goals(rng, pupils, services, vignettes)
    progress = _progress(rng, services, goals, vignettes)
    frames = _frames(schools, pupils, providers, services, goals, progress)
    # Its own random stream, so adding the log left the other files byte-identical.
    frames["service_log.csv"] = _service_log(
        np.random.default_rng(np.random.SeedSequence([seed, SERVICE_LOG_STREAM])),
        services,
        frames["services.csv"]["service_id"].to_numpy(dtype=object),
    )
    return frames


def _ids(prefix: str, count: int, width: int) -> np.ndarray:
    # Zero-padded to the count's width, so text order is numeric order at any size.
    width = max(width, len(str(count)))
    numbers = np.arange(1, count + 1).astype(str)
    return np.char.add(prefix, np.char.zfill(numbers, width)).astype(object)


def _unique_names(
    rng: np.random.Generator,
    count: int,
    firsts: tuple[str, ...],
    lasts: tuple[str, ...],
    exclude: list[str],
) -> np.ndarray:
    """`count` distinct "First Last" names; middle initials only once the plain pairs run out."""
    pairs = len(firsts) * len(lasts)
    taken = sorted(
        firsts.index(n.split()[0]) + len(firsts) * lasts.index(n.split()[-1]) for n in exclude
    )
    # Name number k is first k % F, last (k // F) % L, and middle MIDDLES[k // pairs].
    space = next(pairs * m for m in (1, 27, len(MIDDLES)) if pairs * m - len(taken) >= count)
    picks = rng.choice(space - len(taken), size=count, replace=False)
    for index in taken:  # step over excluded names; ascending, so earlier shifts stay right
        picks = picks + (picks >= index)
    first = np.array(firsts, dtype=object)[picks % len(firsts)]
    last = np.array(lasts, dtype=object)[(picks // len(firsts)) % len(lasts)]
    return first + MIDDLES[picks // pairs] + " " + last


MIDDLES = np.array(
    [""]
    + [f" {a}." for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    + [f" {a}. {b}." for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"],
    dtype=object,
)


def _schools(rng: np.random.Generator, students: int) -> dict[str, np.ndarray]:
    # About 20 students with IEPs per school in a small sample, about 120 in a large district.
    count = max(min(3, -(-students // 20)), -(-students // 120))
    level = np.array([LEVEL_CYCLE[i % len(LEVEL_CYCLE)] for i in range(count)])
    combos = len(SCHOOL_WORDS) * len(SCHOOL_PLACES)
    order = rng.permutation(combos)
    names = []
    for i in range(count):
        combo = int(order[i % combos])
        name = (
            f"{SCHOOL_WORDS[combo % len(SCHOOL_WORDS)]} {SCHOOL_PLACES[combo // len(SCHOOL_WORDS)]}"
        )
        if i >= combos:
            name += f" {i // combos + 1}"
        names.append(f"{name} {LEVELS[level[i]]}")
    return {
        "school_id": np.array([f"SCH{i + 1}" for i in range(count)], dtype=object),
        "name": np.array(names, dtype=object),
        "level": level,
        "minutes_per_day": rng.choice([365, 370, 375, 380], size=count).astype("int64"),
        "days_per_week": np.full(count, 5, dtype="int64"),
        # Implementation conditions belong to the building, not the student.
        "staffing_limit": rng.integers(0, 3, size=count),
        "collaboration_limit": rng.integers(0, 4, size=count),
        "classroom_crowding": rng.integers(0, 4, size=count),
        "weight": rng.uniform(0.6, 1.4, size=count),
    }


def _students(
    rng: np.random.Generator,
    count: int,
    schools: dict[str, np.ndarray],
    vignettes: tuple[Vignette, ...],
) -> dict[str, np.ndarray]:
    fixed = len(vignettes)
    weight = schools["weight"] / schools["weight"].sum()
    school = np.concatenate(
        [np.zeros(fixed, dtype=np.int64), rng.choice(len(weight), size=count - fixed, p=weight)]
    )
    level = schools["level"][school]
    grade = np.zeros(count, dtype=np.int64)
    for lv, (grades, weights) in enumerate(zip(LEVEL_GRADES, LEVEL_GRADE_WEIGHTS, strict=True)):
        p = np.array(weights) / sum(weights)
        grade = np.where(level == lv, rng.choice(grades, size=count, p=p), grade)
    section = rng.integers(0, 3, size=count)
    floor = np.select([level == 0, level == 1], [1 + grade // 3, grade - 5], grade - 8)
    room = np.where(
        level == 0,
        floor * 100 + 1 + (grade % 3) * 4 + section,
        floor * 100 + 1 + rng.integers(0, 12, size=count),
    )
    grade_text = np.where(grade == 0, "K", grade.astype(str)).astype(object)
    classroom = grade_text + "-" + room.astype(str).astype(object)
    names = _unique_names(rng, count - fixed, STUDENT_FIRST, LAST, [v.name for v in vignettes])
    for i, v in enumerate(vignettes):
        grade[i] = 0 if v.grade == "K" else int(v.grade)
        grade_text[i] = v.grade
        classroom[i] = v.classroom
    return {
        "student_id": _ids("S", count, 4),
        "name": np.concatenate([np.array([v.name for v in vignettes], dtype=object), names]),
        "grade": grade_text,
        "grade_number": grade,
        "school": school,
        "classroom": classroom,
    }


def _services(
    rng: np.random.Generator,
    pupils: dict[str, np.ndarray],
    schools: dict[str, np.ndarray],
    vignettes: tuple[Vignette, ...],
) -> dict[str, np.ndarray]:
    fixed = len(vignettes)
    level = schools["level"][pupils["school"][fixed:]]
    has = rng.random((len(level), len(SERVICE_TYPES))) < SERVICE_CHANCE[level]
    # Every student in the file has at least one service: speech in elementary, SETSS later.
    none = ~has.any(axis=1)
    has[none, np.where(level[none] == 0, 0, 1)] = True
    owner, kind = np.nonzero(has)
    owner = owner + fixed
    n = len(owner)

    focus = np.zeros(n, dtype=np.int64)
    for t, name in enumerate(SERVICE_TYPES):
        mask = kind == t
        ids = [i for i, f in enumerate(FOCI) if f.service == name]
        p = np.array([FOCI[i].weight for i in ids])
        focus[mask] = rng.choice(ids, size=int(mask.sum()), p=p / p.sum())
    severity = rng.choice([1, 2, 3], size=n, p=SEVERITY_WEIGHTS)

    sessions = np.zeros(n, dtype=np.int64)
    session_minutes = np.zeros(n, dtype=np.int64)
    for t, name in enumerate(SERVICE_TYPES):
        for sev, options in DOSAGE[name].items():
            mask = (kind == t) & (severity == sev)
            p = np.array([o[2] for o in options])
            pick = rng.choice(len(options), size=int(mask.sum()), p=p / p.sum())
            sessions[mask] = np.array([o[0] for o in options])[pick]
            session_minutes[mask] = np.array([o[1] for o in options])[pick]
    minutes = sessions * session_minutes

    group_lo = np.array([f.group[0] for f in FOCI])[focus]
    group_hi = np.array([f.group[1] for f in FOCI])[focus]
    group_hi = np.maximum(group_lo, group_hi - 2 * (severity == 3))  # severe needs: smaller
    group = rng.integers(group_lo, group_hi + 1)

    needs = np.array([f.needs for f in FOCI])[focus]
    needs[:, 0] += (severity - 2) * 0.9  # intensity follows severity
    needs[:, 6] += 0.4 * (minutes >= 120)  # many minutes out means much core missed
    need_ratings = np.clip(np.rint(needs + rng.normal(0, 0.6, needs.shape)), 0, 3)
    school = pupils["school"][owner]
    base = np.stack([schools[k][school] for k in IMPLEMENTATION_FACTORS], axis=1)
    impl_ratings = np.clip(np.rint(base + rng.normal(0, 0.5, base.shape)), 0, 3)
    ratings = np.concatenate([need_ratings, impl_ratings], axis=1).astype(np.int8)

    # Today's model mostly follows the needs, with habit and noise, so the engine has both
    # agreements and disagreements to show.
    r = ratings.astype(float)
    lean = (
        r[:, 0] + r[:, 1] + r[:, 2] - 0.8 * (r[:, 3] + r[:, 4] + r[:, 5] + r[:, 7])
        + np.array([MODEL_BIAS[s] for s in SERVICE_TYPES])[kind]
        + rng.normal(0, 1.2, n)
    )  # fmt: skip
    model = np.select([lean > 1.3, lean < -1.9], [PULL_OUT, PUSH_IN], HYBRID)
    single = (model == HYBRID) & (sessions < 2)  # a split needs a session on each side
    model[single] = np.where(lean[single] > -0.35, PULL_OUT, PUSH_IN)
    model[rng.random(n) < NEW_SERVICE_SHARE] = NO_MODEL
    push_sessions = rng.integers(1, np.maximum(sessions, 2))
    push_in = np.select(
        [model == PUSH_IN, model == HYBRID, model == PULL_OUT],
        [minutes, push_sessions * session_minutes, 0],
        -1,
    )

    # A delivery-model change partway through the 20 weeks (applies to all the service's goals).
    changed = (rng.random(n) < CHANGED_SHARE) & (model != NO_MODEL)
    change_week = np.where(changed, rng.integers(8, 13, size=n), -1)
    previous = np.select(
        [model == PULL_OUT, model == PUSH_IN],
        [PUSH_IN, PULL_OUT],
        np.where(rng.random(n) < 0.8, PULL_OUT, PUSH_IN),
    )

    out = {
        "owner": owner,
        "kind": kind,
        "focus": focus,
        "severity": severity,
        "minutes": minutes,
        "session_minutes": session_minutes,
        "group": group,
        "ratings": ratings,
        "model": model,
        "push_in": push_in,
        "change_week": change_week,
        "previous": previous,
    }
    return _prepend_vignette_services(out, vignettes)


def _prepend_vignette_services(
    out: dict[str, np.ndarray], vignettes: tuple[Vignette, ...]
) -> dict[str, np.ndarray]:
    rows = [(i, s) for i, v in enumerate(vignettes) for s in v.services]
    if not rows:
        return out
    code = {"push_in": PUSH_IN, "pull_out": PULL_OUT, "hybrid": HYBRID, "": NO_MODEL}
    fixed = {
        "owner": [i for i, _ in rows],
        "kind": [SERVICE_TYPES.index(s.service) for _, s in rows],
        "focus": [-1] * len(rows),
        "severity": [0] * len(rows),
        "minutes": [s.minutes_per_week for _, s in rows],
        "session_minutes": [s.session_minutes for _, s in rows],
        "group": [s.group_size for _, s in rows],
        "ratings": [[s.ratings[k] for k in FACTORS] for _, s in rows],
        "model": [code[s.current_model] for _, s in rows],
        "push_in": [s.current_push_in_minutes for _, s in rows],
        "change_week": [-1] * len(rows),
        "previous": [-1] * len(rows),
    }
    return {
        key: np.concatenate([np.array(fixed[key], dtype=out[key].dtype), out[key]]) for key in out
    }


def _providers(
    rng: np.random.Generator, students: int, services: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    small = students < MIN_STUDENTS_FOR_FULL_TEAM
    role_of_kind = [ROLES.index(ROLE_OF_SERVICE[s]) for s in SERVICE_TYPES]
    per_role = np.bincount(
        np.array(role_of_kind)[services["kind"]], minlength=len(ROLES)
    )  # services each role carries
    counts = [
        max(1 if small else MIN_PROVIDERS[role], -(-int(per_role[r]) // CASELOAD[role]))
        for r, role in enumerate(ROLES)
    ]
    role = np.repeat(np.arange(len(ROLES)), counts)
    total = len(role)
    low = np.array([CAPACITY[ROLES[r]][0] for r in role])
    high = np.array([CAPACITY[ROLES[r]][1] for r in role])
    capacity = rng.integers(low // 15, high // 15 + 1) * 15
    part_time = rng.random(total) < PART_TIME_SHARE
    capacity = np.where(part_time, np.rint(capacity * PART_TIME_FACTOR / 15) * 15, capacity)
    return {
        "provider_id": _ids("P", total, 2),
        "name": _unique_names(rng, total, ADULT_FIRST, ADULT_LAST, []),
        "role": np.array(ROLES, dtype=object)[role],
        "role_index": role,
        "weekly_capacity_minutes": capacity.astype("int64"),
    }


def _assign_providers(
    rng: np.random.Generator,
    pupils: dict[str, np.ndarray],
    services: dict[str, np.ndarray],
    providers: dict[str, np.ndarray],
) -> None:
    """Fill services["provider"] and pupils["case_manager"] (indices into providers)."""
    role_index = providers["role_index"]
    first_of_role = np.searchsorted(role_index, np.arange(len(ROLES)))
    count_of_role = np.bincount(role_index, minlength=len(ROLES))
    school = pupils["school"]

    def share_out(people: np.ndarray, role: int) -> np.ndarray:
        # Providers cover neighbouring schools: order by school, then cut into equal caseloads.
        order = np.lexsort((people, school[people]))
        rank = np.empty(len(people), dtype=np.int64)
        rank[order] = np.arange(len(people))
        return first_of_role[role] + rank * count_of_role[role] // max(len(people), 1)

    owner = services["owner"]
    kind = services["kind"]
    provider = np.full(len(owner), -1, dtype=np.int64)
    for t, name in enumerate(SERVICE_TYPES):
        rows = np.flatnonzero(kind == t)
        provider[rows] = share_out(owner[rows], ROLES.index(ROLE_OF_SERVICE[name]))

    # The case manager is the student's SETSS teacher, or another special educator nearby.
    setss = np.flatnonzero(kind == SERVICE_TYPES.index("setss"))
    case_manager = np.full(len(school), -1, dtype=np.int64)
    case_manager[owner[setss]] = provider[setss]
    others = np.flatnonzero(case_manager < 0)
    case_manager[others] = share_out(others, ROLES.index("special_educator"))
    pupils["case_manager"] = case_manager

    unstaffed = (services["model"] == NO_MODEL) & (rng.random(len(owner)) < UNSTAFFED_NEW_SHARE)
    provider[unstaffed] = -1
    services["provider"] = provider


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


def _frames(
    schools: dict[str, np.ndarray],
    pupils: dict[str, np.ndarray],
    providers: dict[str, np.ndarray],
    services: dict[str, np.ndarray],
    goals: dict[str, np.ndarray],
    progress: dict[str, np.ndarray],
) -> dict[str, pd.DataFrame]:
    provider_ids = np.append(providers["provider_id"], "")  # index -1 reads as "no provider"
    provider_names = providers["name"]
    service_ids = _ids("SV", len(services["owner"]), 5)
    goal_ids = _ids("G", len(goals["service"]), 5)

    columns: dict[str, dict[str, object]] = {
        "schools.csv": {
            "school_id": schools["school_id"],
            "name": schools["name"],
            "minutes_per_day": schools["minutes_per_day"],
            "days_per_week": schools["days_per_week"],
        },
        "students.csv": {
            "student_id": pupils["student_id"],
            "name": pupils["name"],
            "grade": pupils["grade"],
            "school_id": schools["school_id"][pupils["school"]],
            "classroom": pupils["classroom"],
            "case_manager": provider_names[pupils["case_manager"]],
        },
        "providers.csv": {
            "provider_id": providers["provider_id"],
            "name": providers["name"],
            "role": providers["role"],
            "weekly_capacity_minutes": providers["weekly_capacity_minutes"],
        },
        "services.csv": {
            "service_id": service_ids,
            "student_id": pupils["student_id"][services["owner"]],
            "service": np.array(SERVICE_TYPES, dtype=object)[services["kind"]],
            "provider_id": provider_ids[services["provider"]],
            "minutes_per_week": services["minutes"].astype("int64"),
            "session_minutes": services["session_minutes"].astype("int64"),
            "group_size": services["group"].astype("int64"),
            "current_model": MODEL_TEXT[services["model"]],
            "current_push_in_minutes": pd.arrays.IntegerArray(
                np.maximum(services["push_in"], 0).astype("int64"), services["push_in"] < 0
            ),
            **{k: services["ratings"][:, i] for i, k in enumerate(FACTORS)},
        },
        "goals.csv": {
            "goal_id": goal_ids,
            "service_id": service_ids[goals["service"]],
            "description": goals["description"],
            "measure": goals["measure"],
            "direction": np.where(goals["increase"], "increase", "decrease").astype(object),
            "target": goals["target"],
            "target_date": goals["target_date"].astype("datetime64[ns]"),
        },
        "progress.csv": {
            # Taking from the few distinct values is far cheaper than building millions of
            # strings one by one.
            "goal_id": _take(goal_ids, progress["goal"]),
            "date": progress["date"].astype("datetime64[ns]"),
            "score": progress["score"],
            "setting": _take(SETTING_TEXT, progress["setting"]),
        },
    }
    frames = {}
    for spec in FILES:
        if spec.name in columns:  # service_log.csv is added by generate()
            frames[spec.name] = pd.DataFrame(columns[spec.name])[list(spec.column_names)]
    return frames


# --------------------------------------------------------------------------------------------
# Service log: every session of the monitored weeks, delivered or missed and why
# --------------------------------------------------------------------------------------------

SERVICE_LOG_STREAM = 15  # second entropy word of the log's own random stream
STATUS_TEXT = np.array(["delivered", "missed"], dtype=object)
REASON_TEXT = np.array(
    [
        "",
        "school_closed",
        "provider_absent",
        "student_absent",
        "schedule_conflict",
        "student_refused",
        "other",
    ],
    dtype=object,
)
# Chances per session (per provider or student day for absences). Assemblies, tests and
# field trips cancel in-class sessions far more often than therapy-room ones.
PROVIDER_ABSENT_DAY = 0.02
STUDENT_ABSENT_DAY = 0.04
CONFLICT_CHANCE = {PUSH_IN: 0.10, PULL_OUT: 0.02}
REFUSED_CHANCE = 0.01
OTHER_CHANCE = 0.005


def _service_log(
    rng: np.random.Generator, services: dict[str, np.ndarray], service_ids: np.ndarray
) -> pd.DataFrame:
    """One row per service, session day and setting over the 20 monitored weeks.

    Services with a model and a provider are logged; new or unstaffed ones are not. Sessions
    fall on fixed weekdays; Thanksgiving week's Thursday and Friday are closed (school_closed).
    """
    week_offset, school_days = _week_starts()
    model = services["model"]
    minutes = services["minutes"].astype(np.int64)
    sessions = np.maximum(1, np.rint(minutes / services["session_minutes"])).astype(np.int64)
    logged = np.flatnonzero((model != NO_MODEL) & (services["provider"] >= 0))
    count = sessions[logged]
    # One entry per (service, session of the week), then repeated over the weeks.
    service = np.repeat(logged, count)
    first = np.repeat(np.cumsum(count) - count, count)
    k = np.arange(len(service)) - first
    per = np.repeat(count, count)
    base = minutes[service] // per
    session_minutes = base + (k < minutes[service] - base * per)
    push_sessions = np.clip(
        np.rint(np.maximum(services["push_in"][service], 0) / minutes[service] * per),
        1,
        np.maximum(per - 1, 1),
    )
    weekday = (k + service) % 5  # services spread over the week

    weeks = len(week_offset)
    service = np.tile(service, weeks)
    k = np.tile(k, weeks)
    session_minutes = np.tile(session_minutes, weeks)
    push_sessions = np.tile(push_sessions, weeks)
    weekday = np.tile(weekday, weeks)
    week = np.repeat(np.arange(weeks), len(first))

    # The week's model: the previous one before a mid-year change; a hybrid splits sessions.
    week_model = np.where(
        (services["change_week"][service] >= 0) & (week < services["change_week"][service]),
        services["previous"][service],
        model[service],
    )
    setting = np.where(
        week_model == HYBRID, np.where(k < push_sessions, PUSH_IN, PULL_OUT), week_model
    ).astype(np.int8)

    n = len(service)
    provider = services["provider"][service]
    owner = services["owner"][service]
    day_index = week * 5 + weekday
    provider_away = rng.random((int(services["provider"].max()) + 1, weeks * 5)) < (
        PROVIDER_ABSENT_DAY
    )
    student_away = rng.random((int(services["owner"].max()) + 1, weeks * 5)) < STUDENT_ABSENT_DAY
    conflict = rng.random(n) < np.where(
        setting == PUSH_IN, CONFLICT_CHANCE[PUSH_IN], CONFLICT_CHANCE[PULL_OUT]
    )
    refused = rng.random(n) < REFUSED_CHANCE
    other = rng.random(n) < OTHER_CHANCE
    closed = weekday >= school_days[week]
    reason = np.select(
        [
            closed,
            provider_away[provider, day_index],
            student_away[owner, day_index],
            conflict,
            refused,
            other,
        ],
        [1, 2, 3, 4, 5, 6],
        0,
    ).astype(np.int8)

    # More than five sessions a week put two on one day: one row per day and setting.
    day = week_offset[week] + weekday
    key = (service.astype(np.int64) * 1_000 + day) * 2 + setting
    order = np.lexsort((k, key))
    key, keep = np.unique(key[order], return_index=True)
    totals = np.add.reduceat(session_minutes[order], keep)
    pick = order[keep]
    return pd.DataFrame(
        {
            "service_id": _take(service_ids, service[pick]),
            "date": (np.datetime64(FIRST_MONDAY, "D") + day[pick]).astype("datetime64[ns]"),
            "setting": _take(SETTING_TEXT, setting[pick]),
            "minutes": totals.astype("int64"),
            "status": _take(STATUS_TEXT, (reason[pick] > 0).astype(np.int64)),
            "reason": _take(REASON_TEXT, reason[pick]),
        }
    )


def _take(values: np.ndarray, codes: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype="str").take(codes).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

FLOAT_FORMAT = "%.1f"
DATE_FORMAT = "%Y-%m-%d"
CHUNK_ROWS = 1_000_000  # bounds the memory the byte assembly needs


def write(frames: dict[str, pd.DataFrame], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write each frame as `out_dir/<file name>`; the same frames always give the same bytes.

    UTF-8, "\n" line endings, no index, floats with one decimal, dates YYYY-MM-DD, empty
    cells for missing values. Each file is written under a temporary name and moved into
    place, so a reader never sees half a file. Returns the paths written, in contract order.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in FILES:
        if spec.name not in frames:
            continue
        frame = frames[spec.name]
        missing = [c for c in spec.column_names if c not in frame.columns]
        if missing:
            raise ValueError(f"{spec.name} lacks columns {missing}")
        target = folder / spec.name
        tmp = folder / f".{spec.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with open(tmp, "wb") as handle:
                for chunk in _csv_chunks(frame[list(spec.column_names)]):
                    handle.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        written.append(target)
    return written


def _csv_chunks(frame: pd.DataFrame) -> Iterator[bytes]:
    """The frame as CSV bytes, built with array operations rather than row by row.

    pandas' writer formats every cell in Python and needs about 25 s for the 4.4 million
    progress rows of a 100,000-student district; here each column's distinct values are
    formatted once and the rows are assembled as a byte matrix.
    """
    yield (",".join(_quote(c) for c in frame.columns) + "\n").encode()
    columns = [_column_bytes(frame[c]) for c in frame.columns]
    for first in range(0, len(frame), CHUNK_ROWS):
        parts = [column[first : first + CHUNK_ROWS] for column in columns]
        rows = len(parts[0])
        widths = [max(part.dtype.itemsize, 1) for part in parts]
        matrix = np.zeros((rows, sum(widths) + len(parts)), dtype=np.uint8)
        at = 0
        for part, width in zip(parts, widths, strict=True):
            if part.dtype.itemsize:
                matrix[:, at : at + width] = part.view(np.uint8).reshape(rows, width)
            matrix[:, at + width] = ord(",")
            at += width + 1
        matrix[:, -1] = ord("\n")
        # Fixed-width byte strings are padded with NUL; dropping the NULs leaves the CSV.
        yield matrix[matrix != 0].tobytes()


def _column_bytes(column: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        text = pd.Series([value.strftime(DATE_FORMAT) for value in uniques], dtype=object)
    elif pd.api.types.is_float_dtype(column.dtype):
        text = pd.Series([FLOAT_FORMAT % value for value in uniques], dtype=object)
    elif pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        text = pd.Series([str(int(value)) for value in uniques], dtype=object)
    else:
        text = pd.Series(np.asarray(uniques, dtype=object)).astype(str)
        quote = text.str.contains(r'[,"\r\n]', regex=True).to_numpy(dtype=bool)
        if quote.any():
            text = text.where(~quote, '"' + text.str.replace('"', '""', regex=False) + '"')
    unicode = text.to_numpy(dtype=str)
    try:
        table = unicode.astype(bytes)  # a C-level cast, for the usual all-ASCII column
    except UnicodeEncodeError:
        table = np.array([value.encode() for value in unicode], dtype=bytes)
    # Code -1 (a missing value) picks the empty string appended last.
    return np.append(table, np.array([b""], dtype=table.dtype))[codes]


def _quote(text: str) -> str:
    if any(mark in text for mark in (",", '"', "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


__all__ = [
    "MEASURES",
    "VIGNETTES",
    "Vignette",
    "VignetteGoal",
    "VignetteService",
    "generate",
    "write",
]
