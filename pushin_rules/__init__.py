"""Push-in / pull-out decision support for IEP teams.

The folders are the layers, each importing only the ones below it:

- `decide/`   the decision: rule set (`rules.toml`), engine, progress analytics, LRE, staffing.
- `data/`     data in and out: CSV contract, loader, district frames, database store,
              synthetic data.
- `present/`  what pages and documents show: words, caseload, scenarios, meeting, charts, report.
- `content/`  the trainer's vignettes, arrangements and quiz as TOML, validated on load.
- `cli/`      the command line (`python -m pushin_rules ...`).

The public API is the handful of names below; they are imported on first use, so the
command line starts without loading what it does not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pushin_rules.data.district import District
    from pushin_rules.data.loader import load_district
    from pushin_rules.data.store import Store
    from pushin_rules.decide.engine import Recommendation, recommend
    from pushin_rules.decide.progress import analyse_goal, goal_summary
    from pushin_rules.decide.recommend import recommend_district
    from pushin_rules.decide.rules import RuleSet, load_rules
    from pushin_rules.errors import InputError
    from pushin_rules.models import Goal, ProgressPoint, Service

_WHERE = {
    "District": "pushin_rules.data.district",
    "load_district": "pushin_rules.data.loader",
    "Store": "pushin_rules.data.store",
    "Recommendation": "pushin_rules.decide.engine",
    "recommend": "pushin_rules.decide.engine",
    "analyse_goal": "pushin_rules.decide.progress",
    "goal_summary": "pushin_rules.decide.progress",
    "recommend_district": "pushin_rules.decide.recommend",
    "RuleSet": "pushin_rules.decide.rules",
    "load_rules": "pushin_rules.decide.rules",
    "InputError": "pushin_rules.errors",
    "Goal": "pushin_rules.models",
    "ProgressPoint": "pushin_rules.models",
    "Service": "pushin_rules.models",
}

__all__ = [
    "District",
    "Goal",
    "InputError",
    "ProgressPoint",
    "Recommendation",
    "RuleSet",
    "Service",
    "Store",
    "analyse_goal",
    "goal_summary",
    "load_district",
    "load_rules",
    "recommend",
    "recommend_district",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'pushin_rules' has no attribute {name!r}")
