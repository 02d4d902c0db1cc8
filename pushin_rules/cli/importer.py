"""`import`: a district folder from an IEP system's exports (SEIS, or a mapping file)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from pushin_rules.errors import InputError

TODAY_HELP = "the day that decides which row of a service is current (default: today)"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `import` command and its subcommands `seis` and `mapped`."""
    parser = sub.add_parser("import", help="a district folder from an IEP system's exports")
    kinds = parser.add_subparsers(dest="source", required=True)
    seis = kinds.add_parser("seis", help="SEIS Deliveries and IEP Dates (or Student Goals)")
    seis.add_argument("--deliveries", type=Path, required=True, help="SEIS Deliveries CSV")
    seis.add_argument(
        "--roster", type=Path, required=True, help="SEIS IEP Dates (or Student Goals) CSV"
    )
    seis.add_argument("--out", type=Path, required=True, help="district folder to write")
    seis.add_argument("--today", type=_day, default=None, help=TODAY_HELP)
    mapped = kinds.add_parser("mapped", help="any system's export, through a mapping file")
    mapped.add_argument("--mapping", type=Path, required=True, help="mapping file (TOML)")
    mapped.add_argument(
        "--files", type=Path, nargs="+", required=True, help="the export files (any order)"
    )
    mapped.add_argument("--out", type=Path, required=True, help="district folder to write")
    mapped.add_argument("--today", type=_day, default=None, help=TODAY_HELP)


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def _read(path: Path) -> tuple[str, bytes]:
    try:
        return path.name, path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror or error})") from None


def command(args: argparse.Namespace) -> int:
    """`import seis ...` / `import mapped ...`; input errors become exit status 2."""
    from pushin_rules.data.importers.assemble import write_result
    from pushin_rules.data.importers.report import REPORT_FILE

    today = args.today or dt.date.today()
    if args.source == "seis":
        from pushin_rules.data.importers.seis import import_seis

        result = import_seis(_read(args.deliveries), _read(args.roster), today)
    else:
        from pushin_rules.data.importers.mapping import import_mapped, load_mapping

        mapping = load_mapping(args.mapping)
        uploads = dict(_read(path) for path in args.files)
        result = import_mapped(mapping, uploads, today)
    write_result(result, args.out)
    print(f"Wrote {args.out}: {result.summary()}.")
    if len(result.report):
        print(f"Every row not used, and why: {Path(args.out) / REPORT_FILE}")
    print("Need ratings are empty (not rated): rate each service before its recommendation.")
    return 0
