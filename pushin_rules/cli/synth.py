"""`synth`: write a synthetic district (the CSV contract) of any size."""

from __future__ import annotations

import argparse

from pushin_rules.data.contract import BY_NAME
from pushin_rules.data.synth import generate, write


def command(args: argparse.Namespace) -> int:
    """`python -m pushin_rules synth --students N --seed S --out DIR [--format seis]`."""
    frames = generate(args.students, args.seed)
    if getattr(args, "format", "contract") == "seis":
        from pushin_rules.data.synth_seis import write_seis

        paths = write_seis(frames, args.out)
        print(f"Wrote the synthetic district as SEIS exports: {', '.join(str(p) for p in paths)}")
        return 0
    write(frames, args.out)
    counts = {name: len(frames[name]) for name in BY_NAME}
    print(
        f"Wrote a synthetic district to {args.out}: "
        f"{counts['schools.csv']:,} schools, {counts['students.csv']:,} students, "
        f"{counts['providers.csv']:,} providers, {counts['services.csv']:,} services, "
        f"{counts['goals.csv']:,} goals, {counts['progress.csv']:,} progress points."
    )
    return 0
