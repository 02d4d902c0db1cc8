"""Provider load: how many provider minutes a week each caseload needs under the current
models and under the recommended ones, against each provider's weekly capacity.

Staffing figures are shown beside the recommendations for administrators; they never feed
back into a recommendation (placement may not be based on staffing; IDEA, 34 CFR 300.116
commentary).

The model (numbers from the `[staffing]` table of the rules file):

- push-in time is spent classroom by classroom. The push-in minutes of the services that
  share a provider, a service type and a classroom (same school) form one visit block: the
  provider can support up to `push_in_students_together` of those students at once, so the
  block needs max(longest student's minutes, total minutes / push_in_students_together)
  provider minutes. A student with no classroom recorded is a block of their own.
- pull-out groups combine students with similar goals from different classes: a pull-out
  service needs pull-out minutes / group_size provider minutes
  (`pull_out_divide_by_group_size`; otherwise every pull-out minute is a provider minute).
- "now" uses current_model / current_push_in_minutes; a service without a current model is
  not delivered yet and adds nothing now.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pushin_rules.data.district import District
from pushin_rules.decide.lre import current_outside_minutes
from pushin_rules.decide.rules import RuleSet, load_rules

PROVIDER_LOAD_COLUMNS: tuple[str, ...] = (
    "provider_id",
    "name",
    "role",
    "weekly_capacity_minutes",
    "services",
    "students",
    "push_in_minutes_now",
    "pull_out_minutes_now",
    "provider_minutes_now",
    "push_in_minutes_recommended",
    "pull_out_minutes_recommended",
    "provider_minutes_recommended",
    "change_minutes",
    "load_share_now",
    "load_share_recommended",
    "status_now",
    "status_recommended",
)
UNASSIGNED = "(no provider assigned)"


def provider_load(
    district: District,
    push_in_minutes_by_service: pd.Series | None = None,
    rules: RuleSet | None = None,
) -> pd.DataFrame:
    """Per provider (`PROVIDER_LOAD_COLUMNS`): provider minutes a week now and as recommended.

    `push_in_minutes_by_service` is indexed by service_id (the recommendation's push-in
    minutes; the rest of each mandate is pull-out). Services it does not list keep their
    current split; None: the recommended figures equal the current ones. The `*_minutes_*`
    columns are provider minutes (after sharing visits and groups), not student minutes.
    Services with no provider are gathered under provider_id "".
    """
    rules = rules or load_rules()
    cfg = rules.staffing
    services = district.services
    minutes = services["minutes_per_week"].to_numpy(dtype=float)
    out_now = current_outside_minutes(services).astype(float)
    delivered = services["current_model"].to_numpy(dtype=object) != ""
    in_now = np.where(delivered, minutes - out_now, 0.0)
    in_rec, out_rec = in_now.copy(), out_now.copy()
    if push_in_minutes_by_service is not None and len(services):
        given = pd.Series(push_in_minutes_by_service)
        given = given[~given.index.duplicated()]
        mapped = services["service_id"].map(given).to_numpy(dtype=float)
        listed = ~np.isnan(mapped)
        in_rec = np.where(listed, mapped, in_now)
        out_rec = np.where(listed, minutes - mapped, out_now)

    provider = services["provider_id"].to_numpy(dtype=object)
    students = district.students.set_index("student_id")
    student = services["student_id"]
    school = student.map(students["school_id"]).fillna("").to_numpy(dtype=object)
    room = student.map(students["classroom"]).fillna("").to_numpy(dtype=object)
    # A student without a classroom cannot be assumed to share a visit: a block of one.
    room = np.where(room == "", "\x00" + services["service_id"].to_numpy(dtype=object), room)
    block = pd.MultiIndex.from_arrays(
        [provider, school, room, services["service"].to_numpy(dtype=object)]
    )
    block_code = pd.factorize(block)[0] if len(services) else np.empty(0, dtype=np.int64)
    divisor = (
        services["group_size"].to_numpy(dtype=float)
        if cfg.pull_out_divide_by_group_size
        else np.ones(len(services))
    )

    def push_in_per_provider(push_in: np.ndarray) -> pd.Series:
        blocks = pd.DataFrame({"block": block_code, "minutes": push_in})
        agg = blocks.groupby("block")["minutes"].agg(["max", "sum"])
        need = np.maximum(agg["max"], agg["sum"] / cfg.push_in_students_together)
        block_provider = pd.Series(provider).groupby(block_code).first()
        return need.groupby(block_provider.reindex(need.index).to_numpy()).sum()

    def pull_out_per_provider(pull_out: np.ndarray) -> pd.Series:
        return pd.Series(pull_out / divisor).groupby(provider).sum()

    ids = list(district.providers["provider_id"].to_numpy(dtype=object))
    extra = sorted(set(provider) - set(ids))
    ids += extra
    index = pd.Index(ids, dtype=object)

    def per(series: pd.Series) -> np.ndarray:
        return series.reindex(index).fillna(0.0).to_numpy(dtype=float)

    push_now = per(push_in_per_provider(in_now)) if len(services) else np.zeros(len(ids))
    pull_now = per(pull_out_per_provider(out_now)) if len(services) else np.zeros(len(ids))
    push_rec = per(push_in_per_provider(in_rec)) if len(services) else np.zeros(len(ids))
    pull_rec = per(pull_out_per_provider(out_rec)) if len(services) else np.zeros(len(ids))
    counts = pd.Series(provider).value_counts()
    student_counts = pd.DataFrame({"p": provider, "s": student.to_numpy(dtype=object)})
    student_counts = student_counts.groupby("p")["s"].nunique()

    providers = district.providers.set_index("provider_id")
    name = index.map(providers["name"]).to_numpy(dtype=object)
    name = np.where(pd.isna(name), np.where(index == "", UNASSIGNED, index), name)
    role = index.map(providers["role"]).to_numpy(dtype=object)
    capacity = index.map(providers["weekly_capacity_minutes"]).to_numpy(dtype=float)
    capacity = np.nan_to_num(capacity, nan=0.0)
    total_now = np.round(push_now + pull_now, 1)
    total_rec = np.round(push_rec + pull_rec, 1)
    return pd.DataFrame(
        {
            "provider_id": index.to_numpy(dtype=object),
            "name": name,
            "role": np.where(pd.isna(role), "", role),
            "weekly_capacity_minutes": capacity.astype(np.int64),
            "services": per(counts).astype(np.int64),
            "students": per(student_counts).astype(np.int64),
            "push_in_minutes_now": np.round(push_now, 1),
            "pull_out_minutes_now": np.round(pull_now, 1),
            "provider_minutes_now": total_now,
            "push_in_minutes_recommended": np.round(push_rec, 1),
            "pull_out_minutes_recommended": np.round(pull_rec, 1),
            "provider_minutes_recommended": total_rec,
            "change_minutes": np.round(total_rec - total_now, 1),
            "load_share_now": _share(total_now, capacity),
            "load_share_recommended": _share(total_rec, capacity),
            "status_now": _status(total_now, capacity, cfg.near_capacity_share),
            "status_recommended": _status(total_rec, capacity, cfg.near_capacity_share),
        }
    )


def _share(minutes: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    return np.divide(minutes, capacity, out=np.full(len(minutes), np.nan), where=capacity > 0)


def _status(minutes: np.ndarray, capacity: np.ndarray, near: float) -> np.ndarray:
    """`ok`, `near_capacity`, `over_capacity` or `no_capacity` (minutes but no capacity)."""
    share = _share(minutes, capacity)
    status = np.select(
        [
            (capacity <= 0) & (minutes > 0),
            share > 1.0,
            share >= near,
        ],
        ["no_capacity", "over_capacity", "near_capacity"],
        "ok",
    )
    return status.astype(object)
