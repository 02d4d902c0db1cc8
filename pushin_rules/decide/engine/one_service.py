"""One service: `service_frame` (a one-row services frame) and `recommend`, through the
same array code as `score_frame`."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from pushin_rules.decide.engine.explain import _explain
from pushin_rules.decide.engine.recommendation import Recommendation
from pushin_rules.decide.engine.scoring import _evaluate
from pushin_rules.decide.rules import RuleSet
from pushin_rules.models import Service


def service_frame(service: Service | Mapping[str, object]) -> pd.DataFrame:
    """One service as a one-row frame with the district's services columns."""
    if not isinstance(service, Service):
        fields = Service.model_fields
        values = {k: v for k, v in dict(service).items() if k in fields}
        if values.get("current_model") == "":
            values["current_model"] = None
        service = Service(**values)
    row = service.model_dump(mode="json")
    row["current_model"] = row["current_model"] or ""
    row["current_push_in_minutes"] = service.current_push_in
    row["grade"] = row["grade"] or ""
    return pd.DataFrame([row])


def recommend(
    service: Service | Mapping[str, object],
    rules: RuleSet,
    evidence: pd.DataFrame | None = None,
    grade: str | None = None,
) -> Recommendation:
    """The recommendation for one service, through the same array code as `score_frame`.

    `service` is a `Service` or a row of `District.services` as a mapping; `evidence` is a
    `progress_evidence` frame (only this service's row is read); `grade` (K, 1-12) is the
    student's grade when the service does not carry it (grades 6-12 are weighed as
    secondary school under rule sets 2.x).
    """
    frame = service_frame(service)
    if grade:
        frame["grade"] = str(grade)
    if evidence is not None and not evidence.empty:
        evidence = evidence[evidence["service_id"] == frame.at[0, "service_id"]]
    scored = _evaluate(frame, rules, evidence)
    return _explain(scored, 0, rules, frame.iloc[0])
