"""Decision records: what a team decided for one service (DecisionInput, checked), appended and
never changed; a correction is a new record that supersedes the old one."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.engine import Connection

from pushin_rules.data.store.connection import _utc
from pushin_rules.data.store.ratings import _latest_version_id
from pushin_rules.data.store.tables import TABLES, decisions
from pushin_rules.errors import InputError
from pushin_rules.models import LOCAL_USER, DeliveryModel

# --------------------------------------------------------------------------- models


class DecisionError(InputError):
    """A decision the store will not record; the message says why in plain words."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(self.problems))

    @classmethod
    def from_validation(cls, error: ValidationError) -> DecisionError:
        problems = []
        for item in error.errors():
            field = ".".join(str(p) for p in item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            # Our own checks already speak in sentences; pydantic's need the field named.
            if item["type"] in _OWN_ERRORS or not field:
                problems.append(message)
            else:
                problems.append(f"{_FIELD_WORDS.get(field, field)}: {message}.")
        return cls(problems)


_OWN_ERRORS = {"decision_rule"}
_FIELD_WORDS = {
    "student_id": "Student",
    "service_id": "Service",
    "recommendation": "Recommendation",
    "decided_model": "The team's model",
    "meeting_date": "Meeting date",
    "rules_name": "Rule set name",
    "rules_version": "Rule set version",
    "rules_hash": "Rule set file hash",
    "recorded_by": "Recorded by",
}


def _rule(message: str) -> PydanticCustomError:
    return PydanticCustomError("decision_rule", message)


def _check_split(model: DeliveryModel, push_in: int, pull_out: int, who: str) -> None:
    if model is DeliveryModel.push_in and (pull_out != 0 or push_in <= 0):
        raise _rule(f"{who} is push-in, so all minutes are in the classroom (none pulled out).")
    if model is DeliveryModel.pull_out and (push_in != 0 or pull_out <= 0):
        raise _rule(f"{who} is pull-out, so all minutes are outside the classroom.")
    if model is DeliveryModel.hybrid and (push_in <= 0 or pull_out <= 0):
        raise _rule(f"{who} is hybrid, so it needs minutes both in class and pulled out.")


class DecisionInput(BaseModel):
    """What the team decided for one service at one meeting; the store adds id and time."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    student_id: str = Field(min_length=1)
    service_id: str = Field(min_length=1)
    recommendation: DeliveryModel
    rec_push_in_minutes: int = Field(ge=0)
    rec_pull_out_minutes: int = Field(ge=0)
    explanation: dict[str, Any] = Field(default_factory=dict)
    decision: Literal["adopted", "overridden"]
    # For an adopted decision these may be left out: they are the recommendation's.
    decided_model: DeliveryModel | None = None
    decided_push_in_minutes: int | None = Field(default=None, ge=0)
    decided_pull_out_minutes: int | None = Field(default=None, ge=0)
    rationale: str = ""
    attendees: list[str]
    meeting_date: dt.date
    recorded_by: str = Field(default=LOCAL_USER, min_length=1)
    rules_name: str = Field(min_length=1)
    rules_version: str = Field(min_length=1)
    rules_hash: str = Field(min_length=1)
    supersedes: int | None = Field(default=None, gt=0)

    @classmethod
    def build(cls, **fields: Any) -> DecisionInput:
        """Like the constructor, but a problem raises DecisionError with plain sentences."""
        try:
            return cls(**fields)
        except ValidationError as error:
            raise DecisionError.from_validation(error) from None

    @field_validator("explanation", mode="before")
    @classmethod
    def _explanation(cls, value: Any) -> Any:
        # Accept the engine's pydantic Recommendation itself, as its JSON form.
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise _rule(
                "The explanation must be plain data (text, numbers, lists); "
                "pass the recommendation's model_dump(mode='json')."
            ) from None
        return value

    @field_validator("attendees", mode="before")
    @classmethod
    def _attendees(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        names = [str(v).strip() for v in (value or []) if str(v).strip()]
        if not names:
            raise _rule("List at least one person who attended the meeting.")
        return names

    @model_validator(mode="after")
    def _decision_rules(self) -> DecisionInput:
        recommended = (self.recommendation, self.rec_push_in_minutes, self.rec_pull_out_minutes)
        if self.decision == "adopted":
            if self.decided_model is None:
                self.decided_model = self.recommendation
            if self.decided_push_in_minutes is None:
                self.decided_push_in_minutes = self.rec_push_in_minutes
            if self.decided_pull_out_minutes is None:
                self.decided_pull_out_minutes = self.rec_pull_out_minutes
            decided = (
                self.decided_model,
                self.decided_push_in_minutes,
                self.decided_pull_out_minutes,
            )
            if decided != recommended:
                raise _rule(
                    "An adopted decision keeps the recommended model and minutes; "
                    "to change them, record the decision as overridden with a rationale."
                )
        else:
            if not self.rationale.strip():
                raise _rule(
                    "A rationale is required when the team overrides the recommendation: "
                    "write in a sentence or two why the team chose differently."
                )
            if (
                self.decided_model is None
                or self.decided_push_in_minutes is None
                or self.decided_pull_out_minutes is None
            ):
                raise _rule(
                    "An overridden decision needs the team's model and its minutes in class "
                    "and pulled out."
                )
            decided = (
                self.decided_model,
                self.decided_push_in_minutes,
                self.decided_pull_out_minutes,
            )
            if decided == recommended:
                raise _rule(
                    "The team's decision is the same as the recommendation; record it as adopted."
                )
        _check_split(
            self.decided_model,
            self.decided_push_in_minutes,
            self.decided_pull_out_minutes,
            "The team's decision",
        )
        return self


class DecisionRecord(BaseModel):
    """A stored decision, as read back; `superseded_by` is the correction that replaced it."""

    model_config = ConfigDict(frozen=True)

    id: int
    student_id: str
    service_id: str
    recommendation: DeliveryModel
    rec_push_in_minutes: int
    rec_pull_out_minutes: int
    explanation: dict[str, Any]
    decision: Literal["adopted", "overridden"]
    decided_model: DeliveryModel
    decided_push_in_minutes: int
    decided_pull_out_minutes: int
    rationale: str
    attendees: list[str]
    meeting_date: dt.date
    recorded_at: dt.datetime  # UTC, timezone-aware
    recorded_by: str
    rules_name: str
    rules_version: str
    rules_hash: str
    supersedes: int | None
    superseded_by: int | None
    rating_version_id: int | None = None  # the ratings the recommendation was made from

    @property
    def is_current(self) -> bool:
        return self.superseded_by is None


def _already_corrected(earlier: int, later: int | None) -> str:
    by = f" by decision {later}" if later else ""
    target = f"decision {later}" if later else "the latest record"
    return f"Decision {earlier} was already corrected{by}; correct {target} instead."


def _decision_record(row: Mapping[str, Any]) -> DecisionRecord:
    data = dict(row)
    data["explanation"] = json.loads(data["explanation"])
    data["attendees"] = json.loads(data["attendees"])
    data["recorded_at"] = _utc(data["recorded_at"])
    return DecisionRecord(**data)


class DecisionsPart:
    """Recording and reading decisions."""

    def record_decision(self, decision: DecisionInput | Mapping[str, Any]) -> int:
        """Append one decision record (with its audit entry); return its id."""
        if not isinstance(decision, DecisionInput):
            decision = DecisionInput.build(**decision)
        row = decision.model_dump(mode="python")
        row["recommendation"] = decision.recommendation.value
        row["decided_model"] = decision.decided_model.value  # type: ignore[union-attr]
        row["explanation"] = json.dumps(decision.explanation, ensure_ascii=False)
        row["attendees"] = json.dumps(decision.attendees, ensure_ascii=False)
        row["recorded_at"] = dt.datetime.now(dt.UTC)
        try:
            with self._write() as conn:
                self._check_decision(conn, decision)
                row["rating_version_id"] = _latest_version_id(conn, decision.service_id)
                new_id = int(
                    conn.execute(sa.insert(decisions).values(**row)).inserted_primary_key[0]
                )
                details = (
                    f"decision {new_id}: student {decision.student_id}, service "
                    f"{decision.service_id}, {decision.decision} "
                    f"{decision.decided_model.value} "  # type: ignore[union-attr]
                    f"{decision.decided_push_in_minutes} in class / "
                    f"{decision.decided_pull_out_minutes} pulled out; rules "
                    f"{decision.rules_name} {decision.rules_version}"
                )
                if decision.supersedes:
                    details += f"; corrects decision {decision.supersedes}"
                self._audit(
                    conn, decision.recorded_by, "record_decision", details, row["recorded_at"]
                )
        except sa.exc.IntegrityError as error:
            if decision.supersedes and "supersedes" in str(error.orig).lower() + str(error):
                raise DecisionError([_already_corrected(decision.supersedes, None)]) from None
            raise
        return new_id

    def _check_decision(self, conn: Connection, decision: DecisionInput) -> None:
        services = TABLES["services"]
        found = conn.execute(
            sa.select(services.c.student_id, services.c.minutes_per_week).where(
                services.c.service_id == decision.service_id
            )
        ).first()
        problems = []
        if found is not None:
            if found.student_id != decision.student_id:
                problems.append(
                    f"Service {decision.service_id} belongs to student {found.student_id}, "
                    f"not {decision.student_id}."
                )
            total = decision.decided_push_in_minutes + decision.decided_pull_out_minutes  # type: ignore[operator]
            if total != found.minutes_per_week:
                problems.append(
                    f"The decided minutes ({decision.decided_push_in_minutes} in class + "
                    f"{decision.decided_pull_out_minutes} pulled out = {total}) must add up to "
                    f"the service's {found.minutes_per_week} minutes a week."
                )
        if decision.supersedes is not None:
            earlier = conn.execute(
                sa.select(decisions.c.service_id).where(decisions.c.id == decision.supersedes)
            ).first()
            if earlier is None:
                problems.append(
                    f"Decision {decision.supersedes} does not exist, so it cannot be corrected."
                )
            elif earlier.service_id != decision.service_id:
                problems.append(
                    f"Decision {decision.supersedes} is for service {earlier.service_id}; a "
                    f"correction must be for the same service ({decision.service_id})."
                )
            else:
                later = conn.execute(
                    sa.select(decisions.c.id).where(decisions.c.supersedes == decision.supersedes)
                ).scalar()
                if later is not None:
                    problems.append(_already_corrected(decision.supersedes, later))
        if problems:
            raise DecisionError(problems)

    def decisions_for_student(self, student_id: str) -> list[DecisionRecord]:
        """Every decision for the student, newest first (corrected ones included)."""
        return self._decisions(decisions.c.student_id == student_id)

    def decisions_for_service(self, service_id: str) -> list[DecisionRecord]:
        return self._decisions(decisions.c.service_id == service_id)

    def all_decisions(self, limit: int | None = None) -> list[DecisionRecord]:
        return self._decisions(None, limit)

    def decision(self, decision_id: int) -> DecisionRecord:
        found = self._decisions(decisions.c.id == decision_id)
        if not found:
            raise KeyError(f"no decision {decision_id}")
        return found[0]

    def _decisions(
        self, where: sa.ColumnElement[bool] | None, limit: int | None = None
    ) -> list[DecisionRecord]:
        later = decisions.alias("later")
        query = sa.select(decisions, later.c.id.label("superseded_by")).outerjoin(
            later, later.c.supersedes == decisions.c.id
        )
        if where is not None:
            query = query.where(where)
        # Ids grow with every insert: "newest first" without trusting clocks to be distinct.
        query = query.order_by(decisions.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [_decision_record(row) for row in rows]

    # ----------------------------------------------------------------- the team's work
    # Ratings and probes are append-only versions with who and when; the district's current
    # values are the latest ones. The service log is district data, merged row by row. Every
    # write is one transaction with its audit entry, and bumps the district version (caches).
