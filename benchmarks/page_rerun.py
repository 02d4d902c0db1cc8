"""Child process of `python -m pushin_rules bench`: rerun every page of app.py under AppTest.

Expects PUSHIN_DATA_DIR to point at a stored district (the bench prepares it). Prints one line
of JSON: seconds per rerun of each page, of an empty page, the first run of each page and the
process's peak RSS.

    PUSHIN_DATA_DIR=/tmp/x PUSHIN_SEED=none python benchmarks/page_rerun.py --student S0001
    ... --profile /tmp/prof   # also one cProfile'd rerun per page: /tmp/prof/<page>.prof
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pushin_rules.bench import page_reruns  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", required=True, help="student_id to open on Student pages")
    parser.add_argument("--runs", type=int, default=3, help="timed reruns per page")
    parser.add_argument(
        "--profile", type=Path, default=None, help="write DIR/<page>.prof (cProfile, one rerun)"
    )
    args = parser.parse_args()
    print(json.dumps(page_reruns(ROOT, args.student, args.runs, profile_dir=args.profile)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
