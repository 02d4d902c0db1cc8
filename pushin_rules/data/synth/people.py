"""People and places: names, schools, students and providers (and who serves whom)."""

from __future__ import annotations

import numpy as np

from pushin_rules.content import Vignette
from pushin_rules.data.synth.constants import (
    CAPACITY,
    CASELOAD,
    LEVEL_CYCLE,
    LEVEL_GRADE_WEIGHTS,
    LEVEL_GRADES,
    LEVELS,
    MIN_PROVIDERS,
    MIN_STUDENTS_FOR_FULL_TEAM,
    NO_MODEL,
    PART_TIME_FACTOR,
    PART_TIME_SHARE,
    ROLE_OF_SERVICE,
    ROLES,
    SERVICE_TYPES,
    UNSTAFFED_NEW_SHARE,
    VIGNETTES,
)

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
