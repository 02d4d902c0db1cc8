"""`progress`: one row per goal with its progress-monitoring figures and decision."""

from __future__ import annotations

from typing import Any

from pushin_rules.decide.progress import (
    DECISIONS,
    ProgressSettings,
    _trend_method,
    default_settings,
    goal_summary,
    summary_csv_frame,
)


def command(args: Any) -> int:
    """`python -m pushin_rules progress --data DIR [--rules FILE] [--trend M] --out FILE.csv`."""
    from pushin_rules.data.csvsafe import write_output
    from pushin_rules.data.loader import load_district

    settings = ProgressSettings.from_file(args.rules) if args.rules else default_settings()
    method = _trend_method(getattr(args, "trend", None), settings)
    district = load_district(args.data)
    summary = goal_summary(district, settings, method)
    write_output(summary_csv_frame(summary), args.out)
    counts = summary["decision"].value_counts()
    tally = ", ".join(f"{d} {int(counts.get(d, 0))}" for d in DECISIONS)
    gaps = int(summary["carry_over_gap"].sum())
    print(
        f"wrote {len(summary)} goals to {args.out} (trend {method}: {tally}; "
        f"carry-over gaps {gaps})"
    )
    return 0
