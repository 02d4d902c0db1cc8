"""Deterministic synthetic districts (CSV contract): the bundled sample_data and bench data.

Same `students` and `seed` give byte-identical files; the named vignette students come first.

One module per part: `constants` (the tables drawn from), `people` (names, schools,
students, providers), `services`, `goals_progress`, `service_log`, `assemble` (`generate`)
and `files` (`write`).
"""

from __future__ import annotations

from pushin_rules.content import Focus, Vignette, VignetteGoal, VignetteService
from pushin_rules.data.synth.assemble import generate
from pushin_rules.data.synth.constants import (
    CASELOAD,
    FOCI,
    MAX_STUDENTS,
    MEASURE_NAMES,
    MEASURES,
    MIN_STUDENTS_FOR_VIGNETTES,
    ROLES,
    SERVICE_TYPES,
    VIGNETTES,
    Measure,
)
from pushin_rules.data.synth.files import write
from pushin_rules.data.synth.people import LAST, STUDENT_FIRST

__all__ = [
    "CASELOAD",
    "FOCI",
    "LAST",
    "MAX_STUDENTS",
    "MEASURES",
    "MEASURE_NAMES",
    "MIN_STUDENTS_FOR_VIGNETTES",
    "ROLES",
    "SERVICE_TYPES",
    "STUDENT_FIRST",
    "VIGNETTES",
    "Focus",
    "Measure",
    "Vignette",
    "VignetteGoal",
    "VignetteService",
    "generate",
    "write",
]
