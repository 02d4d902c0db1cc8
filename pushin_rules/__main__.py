"""`python -m pushin_rules ...`: the command line (see `pushin_rules/cli/`)."""

import sys

from pushin_rules.cli import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
