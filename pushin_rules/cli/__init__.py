"""Command line: `python -m pushin_rules {synth,recommend,progress,fidelity,bench,import} ...`.

Each command is a module of `pushin_rules/cli/`; this file only parses arguments and turns a
user's input error into a message and exit status 2 (never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path

from pushin_rules.errors import InputError

# command -> (module, function); imported only when that command runs.
HANDLERS = {
    "synth": ("pushin_rules.cli.synth", "command"),
    "recommend": ("pushin_rules.cli.recommend", "command"),
    "progress": ("pushin_rules.cli.progress", "command"),
    "bench": ("pushin_rules.cli.bench", "command"),
    "fidelity": ("pushin_rules.cli.fidelity", "command"),
    "import": ("pushin_rules.cli.importer", "command"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pushin_rules",
        description="Push-in / pull-out decision support for IEP teams.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    synth = sub.add_parser("synth", help="write a synthetic district (CSV folder)")
    synth.add_argument("--students", type=int, default=60, help="number of students")
    synth.add_argument("--seed", type=int, default=1, help="random seed (same seed, same bytes)")
    synth.add_argument("--out", type=Path, required=True, help="folder to write")
    synth.add_argument(
        "--format",
        choices=("contract", "seis"),
        default="contract",
        help="contract: the product's CSV files (default); seis: SEIS Deliveries and IEP Dates "
        "exports of the same district, for trying the importer",
    )

    recommend = sub.add_parser("recommend", help="recommend a model for every service")
    recommend.add_argument("--data", type=Path, required=True, help="district folder")
    recommend.add_argument("--rules", type=Path, default=None, help="a district's rules file")
    recommend.add_argument("--out", type=Path, required=True, help="CSV file to write")

    progress = sub.add_parser("progress", help="progress-monitoring figures for every goal")
    progress.add_argument("--data", type=Path, required=True, help="district folder")
    progress.add_argument("--rules", type=Path, default=None, help="a district's rules file")
    progress.add_argument(
        "--trend",
        choices=("ols", "tukey", "theil_sen"),
        default=None,
        help="trend method (default: the rules file's)",
    )
    progress.add_argument("--out", type=Path, required=True, help="CSV file to write")

    fidelity = sub.add_parser(
        "fidelity", help="mandated, delivered and missed minutes for every service"
    )
    fidelity.add_argument("--data", type=Path, required=True, help="district folder")
    fidelity.add_argument(
        "--from", dest="start", default=None, help="first day, YYYY-MM-DD (default: log's first)"
    )
    fidelity.add_argument(
        "--to", dest="end", default=None, help="last day, YYYY-MM-DD (default: log's last)"
    )
    fidelity.add_argument("--out", type=Path, required=True, help="CSV file to write")

    bench = sub.add_parser("bench", help="print performance figures")
    bench.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    bench.add_argument("--runs", type=int, default=3, help="runs per figure (median printed)")
    bench.add_argument(
        "--staff",
        action="store_true",
        help="only the several-staff figures (two app processes, one PostgreSQL, Chromium)",
    )

    from pushin_rules.cli import importer

    importer.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, function = HANDLERS[args.command]
    handler = getattr(import_module(module), function)
    try:
        return int(handler(args) or 0)
    except InputError as error:
        print(str(error), file=sys.stderr)
        return 2
