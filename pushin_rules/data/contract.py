"""The CSV contract: which files make a district, their columns, types and allowed values.

These names are public: people export them from IEP systems and spreadsheets. Extend them;
never rename or drop a column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pushin_rules.models import (
    DEFAULT_DAYS_PER_WEEK,
    DEFAULT_MINUTES_PER_DAY,
    FACTORS,
    GRADES,
    IMPLEMENTATION_FACTORS,
    NATURAL_SETTINGS,
    DeliveryModel,
    GoalDirection,
    ProviderRole,
    ServiceType,
)


@dataclass(frozen=True)
class Column:
    """One column: its kind, whether a value is required, and what a value may be."""

    name: str
    kind: str  # "id", "text", "int", "float", "choice", "date"
    required: bool = True
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    default: object = None

    def expected(self) -> str:
        """What a valid value looks like, in words for the error message."""
        if self.kind == "choice":
            text = "one of " + ", ".join(self.choices)
        elif self.kind == "int":
            text = f"a whole number from {_num(self.low)} to {_num(self.high)}"
        elif self.kind == "float":
            text = "a number"
        elif self.kind == "date":
            text = "a date written YYYY-MM-DD"
        elif self.kind == "id":
            text = "an identifier"
        else:
            text = "text"
        if not self.required:
            text += " (or empty)"
        return text


def _num(value: float | None) -> str:
    return "any" if value is None else f"{value:g}"


@dataclass(frozen=True)
class FileSpec:
    name: str
    columns: tuple[Column, ...]
    key: str
    required: bool = True
    references: tuple[tuple[str, str], ...] = field(default=())  # (column, other file)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


MAX_MINUTES_PER_WEEK = 7 * 24 * 60

SCHOOLS = FileSpec(
    name="schools.csv",
    key="school_id",
    required=False,
    columns=(
        Column("school_id", "id"),
        Column("name", "text"),
        Column(
            "minutes_per_day",
            "int",
            required=False,
            low=1,
            high=24 * 60,
            default=DEFAULT_MINUTES_PER_DAY,
        ),
        Column(
            "days_per_week", "int", required=False, low=1, high=7, default=DEFAULT_DAYS_PER_WEEK
        ),
    ),
)

STUDENTS = FileSpec(
    name="students.csv",
    key="student_id",
    references=(("school_id", "schools.csv"),),
    columns=(
        Column("student_id", "id"),
        Column("name", "text"),
        Column("grade", "choice", choices=GRADES),
        Column("school_id", "id"),
        Column("classroom", "text", required=False, default=""),
        Column("case_manager", "text", required=False, default=""),
    ),
)

PROVIDERS = FileSpec(
    name="providers.csv",
    key="provider_id",
    required=False,
    columns=(
        Column("provider_id", "id"),
        Column("name", "text"),
        Column("role", "choice", choices=tuple(r.value for r in ProviderRole)),
        Column("weekly_capacity_minutes", "int", low=0, high=MAX_MINUTES_PER_WEEK),
    ),
)

# Need ratings may all be left empty: the service is not rated yet (the team rates it in the
# app). Some empty and some filled is an error; an empty implementation rating means 0.
RATING_COLUMNS = tuple(
    Column(
        key,
        "int",
        required=False,
        low=0,
        high=3,
        default=0 if key in IMPLEMENTATION_FACTORS else None,
    )
    for key in FACTORS
)

SERVICES = FileSpec(
    name="services.csv",
    key="service_id",
    references=(("student_id", "students.csv"), ("provider_id", "providers.csv")),
    columns=(
        Column("service_id", "id"),
        Column("student_id", "id"),
        Column("service", "choice", choices=tuple(s.value for s in ServiceType)),
        Column("provider_id", "id", required=False, default=""),
        Column("minutes_per_week", "int", low=1, high=MAX_MINUTES_PER_WEEK),
        Column("session_minutes", "int", low=1, high=24 * 60),
        Column("group_size", "int", required=False, low=1, high=50, default=1),
        Column(
            "current_model",
            "choice",
            required=False,
            choices=tuple(m.value for m in DeliveryModel),
            default="",
        ),
        # Empty means "derive from current_model" (push_in: all minutes, pull_out: none).
        Column("current_push_in_minutes", "int", required=False, low=0, high=MAX_MINUTES_PER_WEEK),
        *RATING_COLUMNS,
    ),
)

# Optional columns the loader reads and validates like any other, kept out of `columns` until
# the database stores them (a contract column needs a migration step, data/migrations.py) and
# the synthetic generator writes them. A file without them gets the default.
OPTIONAL_COLUMNS: dict[str, tuple[Column, ...]] = {
    "services.csv": (
        # Where the skill lives (PT, OT self-care, social goals); empty = classroom.
        Column("natural_setting", "choice", required=False, choices=NATURAL_SETTINGS, default=""),
    ),
}

GOALS = FileSpec(
    name="goals.csv",
    key="goal_id",
    required=False,
    references=(("service_id", "services.csv"),),
    columns=(
        Column("goal_id", "id"),
        Column("service_id", "id"),
        Column("description", "text", required=False, default=""),
        Column("measure", "text", required=False, default=""),
        Column(
            "direction",
            "choice",
            choices=tuple(d.value for d in GoalDirection),
            required=False,
            default="increase",
        ),
        Column("target", "float"),
        Column("target_date", "date"),
    ),
)

PROGRESS = FileSpec(
    name="progress.csv",
    key="",
    required=False,
    references=(("goal_id", "goals.csv"),),
    columns=(
        Column("goal_id", "id"),
        Column("date", "date"),
        Column("score", "float"),
        Column(
            "setting",
            "choice",
            required=False,
            choices=(DeliveryModel.push_in.value, DeliveryModel.pull_out.value),
            default="",
        ),
    ),
)

# Why a session was missed. The school's side (a provider away, a schedule clash) owes the
# minutes back as make-up sessions; a student's absence or a school closure usually does not.
MISSED_REASONS: tuple[str, ...] = (
    "student_absent",
    "student_refused",
    "provider_absent",
    "schedule_conflict",
    "school_closed",
    "other",
)
MAKEUP_REASONS: tuple[str, ...] = ("provider_absent", "schedule_conflict")
SESSION_STATUSES: tuple[str, ...] = ("delivered", "missed")

# One row per service, date and setting (the merge key): the minutes delivered, or missed and why.
SERVICE_LOG = FileSpec(
    name="service_log.csv",
    key="",
    required=False,
    references=(("service_id", "services.csv"),),
    columns=(
        Column("service_id", "id"),
        Column("date", "date"),
        Column(
            "setting",
            "choice",
            choices=(DeliveryModel.push_in.value, DeliveryModel.pull_out.value),
        ),
        Column("minutes", "int", low=1, high=24 * 60),
        Column("status", "choice", choices=SESSION_STATUSES),
        Column("reason", "choice", required=False, choices=MISSED_REASONS, default=""),
    ),
)

FILES: tuple[FileSpec, ...] = (
    SCHOOLS,
    STUDENTS,
    PROVIDERS,
    SERVICES,
    GOALS,
    PROGRESS,
    SERVICE_LOG,
)
BY_NAME: dict[str, FileSpec] = {spec.name: spec for spec in FILES}
