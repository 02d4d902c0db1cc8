"""Array preparation: the rule set as arrays (`_Plan`) and the services frame's columns
as arrays (ratings, per-service weights, grades, progress evidence aligned by service)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import DTypeLike

from pushin_rules.decide.engine.vocabulary import NO_DATA
from pushin_rules.decide.rules import RuleSet, Thresholds
from pushin_rules.models import GRADES


@dataclass(frozen=True)
class _Plan:
    """The rule set as arrays, in the rule set's factor order."""

    need: tuple[str, ...]
    weight: np.ndarray  # per need factor
    pulls: np.ndarray  # bool per need factor: True pull-out, False push-in
    impl: tuple[str, ...]
    impl_push_note: np.ndarray  # bool per implementation factor
    impl_pull_note: np.ndarray
    th: Thresholds
    format: int
    secondary_weight: np.ndarray  # per need factor, for grades from `secondary.from_grade`
    secondary_from: int
    group_factor: np.ndarray  # intensity weight multiplier by group size - 1
    privacy_j: int  # column of specialized_setting (-1: none)
    privacy_rating: int
    privacy_services: tuple[str, ...]
    privacy_settings: tuple[str, ...]


def _plan(rules: RuleSet) -> _Plan:
    need = rules.need_factors
    impl = rules.implementation_factors
    keys = tuple(f.key for f in need)
    weight = np.array([f.weight for f in need], dtype=float)
    secondary = np.array([rules.secondary.weights.get(f.key, f.weight) for f in need])
    return _Plan(
        need=keys,
        weight=weight,
        pulls=np.array([f.direction == "pull_out" for f in need], dtype=bool),
        impl=tuple(f.key for f in impl),
        impl_push_note=np.array(["push_in" in f.notes for f in impl], dtype=bool),
        impl_pull_note=np.array(["pull_out" in f.notes for f in impl], dtype=bool),
        th=rules.thresholds,
        format=rules.format,
        secondary_weight=secondary.astype(float),
        secondary_from=rules.secondary.from_grade,
        group_factor=np.array(rules.dose.intensity_by_group_size, dtype=float),
        privacy_j=keys.index("specialized_setting") if "specialized_setting" in keys else -1,
        privacy_rating=rules.privacy.rating,
        privacy_services=rules.privacy.services,
        privacy_settings=rules.privacy.natural_settings,
    )


def _column(frame: pd.DataFrame, name: str, default: object, dtype: DTypeLike) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), default, dtype=dtype)
    values = frame[name]
    if dtype is object:
        return values.fillna(default).astype(str).to_numpy(dtype=object)
    return values.fillna(default).to_numpy(dtype=dtype)


def _is_secondary(grades: np.ndarray, from_grade: int) -> np.ndarray:
    """Grades from `from_grade` to 12 (grade text "K", "1".."12"; unknown: elementary)."""
    number = {g: (0 if g == "K" else int(g)) for g in GRADES}
    codes = pd.Series(grades, dtype=object).astype(str).str.upper().str.lstrip("0")
    values = codes.map(number).fillna(-1).to_numpy(dtype=np.int64)
    return values >= from_grade


def _weights(plan: _Plan, n: int, secondary: np.ndarray, group: np.ndarray) -> np.ndarray:
    """(n, need) the weight of each factor for each service: the rule set's weight, the
    secondary weight for grades 6-12, intensity scaled by the group's share of turns."""
    weights = np.broadcast_to(plan.weight, (n, len(plan.need))).copy()
    if plan.format < 2 or n == 0:
        return weights
    weights[secondary] = plan.secondary_weight
    if "intensity" in plan.need:
        j = plan.need.index("intensity")
        at = np.clip(group - 1, 0, len(plan.group_factor) - 1)
        weights[:, j] *= plan.group_factor[at]
    return weights


def _pull_max(ratings: np.ndarray, pulls: np.ndarray) -> np.ndarray:
    if not pulls.any():
        return np.zeros(len(ratings), dtype=np.int64)
    return ratings[:, pulls].max(axis=1)


def _privacy(ratings: np.ndarray, plan: _Plan, privacy_ok: np.ndarray) -> np.ndarray:
    if plan.privacy_j < 0:
        return np.zeros(len(ratings), dtype=bool)
    return privacy_ok & (ratings[:, plan.privacy_j] >= plan.privacy_rating)


def _matrix(frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    if not keys:
        return np.zeros((len(frame), 0), dtype=np.int64)
    return np.column_stack([frame[k].to_numpy(dtype=np.int64) for k in keys])


def _align_evidence(
    ids: np.ndarray, evidence: pd.DataFrame | None, rules: RuleSet
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(ids)
    points = np.zeros(n)
    decision = np.full(n, NO_DATA, dtype=object)
    note = np.full(n, rules.wording.evidence_none, dtype=object)
    transition = np.zeros(n, dtype=bool)
    if evidence is None or evidence.empty:
        return points, decision, note, transition
    evidence = evidence.drop_duplicates("service_id", keep="first")
    at = pd.Index(evidence["service_id"].to_numpy(dtype=object)).get_indexer(ids)
    found = at >= 0
    rows = at[found]
    points[found] = evidence["evidence_points"].to_numpy(dtype=float)[rows]
    if "progress_decision" in evidence:
        decision[found] = evidence["progress_decision"].to_numpy(dtype=object)[rows]
    if "evidence_note" in evidence:
        note[found] = evidence["evidence_note"].to_numpy(dtype=object)[rows]
    if "evidence_transition" in evidence:
        transition[found] = evidence["evidence_transition"].fillna(False).to_numpy(bool)[rows]
    return points, decision, note, transition
