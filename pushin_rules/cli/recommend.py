"""`recommend`: one row per service with its recommendation, written as CSV."""

from __future__ import annotations

import argparse
import sys

from pushin_rules.data.csvsafe import write_output
from pushin_rules.decide.recommend import csv_frame, recommend_district
from pushin_rules.decide.rules import load_rules


def command(args: argparse.Namespace) -> int:
    """`recommend --data DIR [--rules FILE] --out FILE.csv`; input errors propagate
    (InputError: the CLI prints the message and exits 2, writing nothing)."""
    from pushin_rules.data.loader import load_district

    rules = load_rules(args.rules)
    district = load_district(args.data)
    recs = recommend_district(district, rules)
    write_output(csv_frame(recs), args.out)
    counts = recs["recommendation"].value_counts()
    kinds = ["push_in", "hybrid", "pull_out"] + (["not_rated"] if counts.get("not_rated") else [])
    tally = ", ".join(f"{k} {int(counts.get(k, 0))}" for k in kinds)
    print(f"wrote {len(recs)} services to {args.out} ({tally})", file=sys.stdout)
    return 0
