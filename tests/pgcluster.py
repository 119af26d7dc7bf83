"""``python -m tests.pgcluster run -- CMD``: the throwaway PostgreSQL of
:mod:`comptoir.devtools.pgcluster` (kept here for the Makefile, CI and habits)."""

from __future__ import annotations

import sys

from comptoir.devtools.pgcluster import *  # noqa: F403
from comptoir.devtools.pgcluster import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m tests.pgcluster"))
