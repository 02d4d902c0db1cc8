"""`fidelity`: one row per service with its mandated, delivered and missed minutes."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from pushin_rules.data.csvsafe import write_output
from pushin_rules.decide.fidelity import csv_frame, fidelity_table, log_period
from pushin_rules.errors import InputError


def _date(text: str | None, flag: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{flag}: {text!r} is not a date written YYYY-MM-DD") from None


def command(args: argparse.Namespace) -> int:
    """`fidelity --data DIR [--from DATE] [--to DATE] --out FILE.csv`; input errors propagate
    (InputError: the CLI prints the message and exits 2, writing nothing)."""
    from pushin_rules.data.loader import load_district

    start = _date(args.start, "--from")
    end = _date(args.end, "--to")
    if start is not None and end is not None and end < start:
        raise InputError(f"--to {end} is before --from {start}; the period would be empty")
    district = load_district(args.data)
    period = log_period(district.service_log, start, end)
    if period is not None and period[1] < period[0]:
        raise InputError(
            f"the period from {period[0]} to {period[1]} is empty; check --from and --to"
        )
    table = fidelity_table(district.services, district.service_log, start, end)
    write_output(csv_frame(table), args.out)
    logged = int(table["fidelity_percent"].notna().sum())
    where = f"{period[0]} to {period[1]}" if period else "no service log"
    print(
        f"wrote {len(table)} services to {args.out} ({where}; {logged} with logged sessions)",
        file=sys.stdout,
    )
    return 0
