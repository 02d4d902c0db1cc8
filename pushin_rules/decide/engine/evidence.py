"""Progress evidence: per service, the progress decision of its goals, the signed evidence
points, a planned transition toward class and the sentences citing the data."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pushin_rules.decide.engine.text import _named, _text
from pushin_rules.decide.engine.vocabulary import GOAL_DECISIONS, NO_DATA
from pushin_rules.decide.rules import RuleSet
from pushin_rules.models import DeliveryModel


def progress_evidence(
    services: pd.DataFrame, goal_summary: pd.DataFrame | None, rules: RuleSet
) -> pd.DataFrame:
    """Per service: the progress decision, signed evidence points, whether the data plan a
    transition toward class, and the sentences citing the data (one line per goal, joined
    with a newline). Columns `EVIDENCE_COLUMNS`.

    Rule sets 2.x (each goal's setting is its `last_setting`, or the service's current model
    when the scores carry no setting):
    - `change` in class (or setting unknown): `evidence_change_points` toward pull-out (more
      intensity); `change` in pull-out adds nothing: the sentence names the levers
      (frequency, session length, group size, method), since more removal is not one;
    - `goal_met` or `raise_goal` in pull-out: a transition (at least one whole session moves
      into class for services with 2+ sessions), unless another goal of the service is `change`;
    - `carry_over_gap` (therapy-room scores clearly above classroom scores):
      `evidence_carry_over_points` toward the classroom (and no intensity points);
    - `continue`, `review`, `insufficient_data` and no goals (`no_data`) add nothing.
    Rule sets 1.x: `change` adds pull-out points, `raise_goal` (or `goal_met`) in pull-out
    adds push-in points, as they did.
    Summaries without `carry_over_gap` read it as False.
    """
    wording = rules.wording
    n = len(services)
    decided = np.full(n, len(GOAL_DECISIONS), dtype=np.int64)  # past the end: no_data
    points = np.zeros(n)
    transition = np.zeros(n, dtype=bool)
    note = pa.array(np.full(n, wording.evidence_none, dtype=object), type=pa.string())
    if goal_summary is not None and not goal_summary.empty and n:
        service_at = pd.Index(services["service_id"]).get_indexer(goal_summary["service_id"])
        goals = goal_summary[service_at >= 0].reset_index(drop=True)
        service_at = service_at[service_at >= 0]
        if len(goals):
            decided, points, transition, note = _evidence(services, goals, service_at, rules, note)
    names = np.array([*GOAL_DECISIONS, NO_DATA], dtype=object)
    return pd.DataFrame(
        {
            "service_id": _text(services["service_id"].to_numpy(dtype=object)),
            "progress_decision": _named(decided, names),
            "evidence_points": points,
            "evidence_note": _text(note),
            "evidence_transition": transition,
        }
    )


def _evidence(
    services: pd.DataFrame,
    goals: pd.DataFrame,
    service_at: np.ndarray,
    rules: RuleSet,
    note: pa.Array,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    wording, th = rules.wording, rules.thresholds
    n = len(services)
    urgency = pd.Categorical(goals["decision"], categories=list(GOAL_DECISIONS)).codes
    if (urgency < 0).any():
        raise ValueError("goal decisions must be one of " + ", ".join(GOAL_DECISIONS))
    urgency = urgency.astype(np.int64)
    current = (
        services["current_model"].fillna("").to_numpy(dtype=object)[service_at]
        if "current_model" in services
        else np.full(len(goals), "", dtype=object)
    )
    last = (
        goals["last_setting"].fillna("").to_numpy(dtype=object)
        if "last_setting" in goals
        else np.full(len(goals), "", dtype=object)
    )
    setting = np.where(last == "", current, last)
    under_pull_out = setting == DeliveryModel.pull_out.value
    setting_code = np.where(
        setting == DeliveryModel.push_in.value, 0, np.where(under_pull_out, 1, 2)
    )
    phrases = pa.array([wording.setting_push_in, wording.setting_pull_out, wording.setting_unknown])
    blank = pd.Series([""] * len(goals))
    fields = {
        "goal_id": _arrow(goals["goal_id"]),
        "four_point_detail": _arrow(goals.get("four_point_detail", blank)),
        "trend_detail": _arrow(goals.get("trend_detail", blank)),
        "setting_phrase": phrases.take(pa.array(setting_code)),
        "points": _arrow(
            goals["points"].fillna(0).astype("int64").astype(str) if "points" in goals else blank
        ),
    }
    gap = (
        goals["carry_over_gap"].fillna(False).to_numpy(dtype=bool)
        if "carry_over_gap" in goals
        else np.zeros(len(goals), dtype=bool)
    )
    code = {d: GOAL_DECISIONS.index(d) for d in GOAL_DECISIONS}
    change = urgency == code["change"]
    ahead = (urgency == code["raise_goal"]) | (urgency == code["goal_met"])
    templates = [
        wording.evidence_change,  # 0
        wording.evidence_review,  # 1
        wording.evidence_continue,  # 2
        wording.evidence_raise_goal,  # 3
        wording.evidence_goal_met,  # 4
        wording.evidence_insufficient,  # 5
        wording.evidence_raise_goal_pull_out,  # 6: 1.x, ahead in pull-out
        wording.evidence_change_pull_out,  # 7: 2.x, failing in pull-out
        wording.evidence_transition,  # 8: 2.x, ahead in pull-out
        wording.evidence_carry_over,  # 9: 2.x, carry-over gap
    ]
    template = urgency.copy()
    decided = np.full(n, len(GOAL_DECISIONS), dtype=np.int64)
    np.minimum.at(decided, service_at, urgency)

    def any_of(mask: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[service_at[mask]] = True
        return out

    if rules.format >= 2:
        intensity = change & ~under_pull_out & ~gap
        moves = ahead & under_pull_out & ~gap
        template[change & under_pull_out] = 7
        template[moves] = 8
        template[gap] = 9
        has_gap = any_of(gap)
        points = np.where(
            has_gap,
            -th.evidence_carry_over_points,
            np.where(any_of(intensity), th.evidence_change_points, 0.0),
        )
        transition = any_of(moves) & ~any_of(change)
    else:
        raise_pull = ahead & under_pull_out
        template[raise_pull] = 6
        template[(urgency == code["goal_met"]) & ~under_pull_out] = code["raise_goal"]
        points = np.where(decided == code["change"], th.evidence_change_points, 0.0)
        points = np.where(
            ((decided == code["raise_goal"]) | (decided == code["goal_met"])) & any_of(raise_pull),
            -th.evidence_raise_goal_points,
            points,
        )
        transition = np.zeros(n, dtype=bool)
    sentence = pc.choose(pa.array(template), *(_fill(t, fields, len(goals)) for t in templates))
    joined = _join_by_group(service_at, sentence, n)
    note = pc.if_else(pa.array(decided < len(GOAL_DECISIONS)), joined, note)
    return decided, points, transition, note


def _arrow(values: pd.Series) -> pa.Array:
    """A text column as an arrow string array (missing values as "")."""
    array = pa.array(values.fillna("").astype(str), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.string())


def fill_template(template: str, fields: Mapping[str, Sequence[object] | np.ndarray]) -> np.ndarray:
    """`template.format(**row)` for every row at once (object array of str)."""
    size = len(next(iter(fields.values()))) if fields else 0
    arrays = {k: pa.array(np.asarray(v, dtype=object), type=pa.string()) for k, v in fields.items()}
    return _fill(template, arrays, size).to_numpy(zero_copy_only=False).astype(object)


def _fill(template: str, fields: Mapping[str, pa.Array], size: int) -> pa.Array:
    parts: list[Any] = []
    for literal, name, _spec, _ in string.Formatter().parse(template):
        if literal:
            parts.append(pa.scalar(literal))
        if name is not None:
            parts.append(fields[name])
    if not any(isinstance(p, pa.Array) for p in parts):
        text = "".join(p.as_py() for p in parts)
        return pa.array(np.full(size, text, dtype=object), type=pa.string())
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "")


def _join_by_group(group: np.ndarray, text: pa.Array, size: int) -> pa.Array:
    """Per group 0..size-1, its texts (in input order) joined with newlines; "" if none."""
    order = np.argsort(group, kind="stable")
    ordered = group[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(ordered)), 0))
    rank = np.arange(len(ordered)) - first
    blank = len(text)  # index of the empty string appended below
    plain = pa.concat_arrays([text, pa.array([""], type=pa.string())])
    prefixed = pa.concat_arrays(
        [pc.binary_join_element_wise("\n", text, ""), pa.array([""], type=pa.string())]
    )
    columns = []
    for k in range(int(rank.max()) + 1 if len(rank) else 0):
        at = np.full(size, blank, dtype=np.int64)
        mine = rank == k
        at[ordered[mine]] = order[mine]
        columns.append((prefixed if k else plain).take(pa.array(at)))
    if not columns:
        return pa.array(np.full(size, "", dtype=object), type=pa.string())
    return pc.binary_join_element_wise(*columns, "") if len(columns) > 1 else columns[0]
