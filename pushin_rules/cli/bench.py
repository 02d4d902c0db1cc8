"""`bench`: the performance benchmark. It lives in `benchmarks/bench.py` beside the source
tree, outside the product's modules; this command imports it from there."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from pushin_rules.errors import InputError

SOURCE_TREE = Path(__file__).resolve().parents[2]


def command(args: Any) -> int:
    """`python -m pushin_rules bench [--quick] [--runs N]` (run from a source checkout)."""
    if not (SOURCE_TREE / "benchmarks" / "bench.py").is_file():
        raise InputError(
            f"the benchmark needs the source checkout: no benchmarks/ in {SOURCE_TREE}"
        )
    if str(SOURCE_TREE) not in sys.path:
        sys.path.insert(0, str(SOURCE_TREE))
    return int(importlib.import_module("benchmarks.bench").command(args) or 0)
