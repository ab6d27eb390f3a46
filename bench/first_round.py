"""The first round's tree, taken from the repository's history, to measure beside today's.

Two of the issues' goals are stated against figures the first round measured on a
faster machine than later ones (214 s to grade a class of 30; the whole book at
16.4× the kernel floor). A figure from another machine cannot be compared with one
from this machine, so the benchmarks measure the first round's own code again, in
the same run as today's: its grader, and its chapter notebooks with its own
``dlmath``. This module unpacks that tree into a temporary folder with ``git archive``.

Without the history (a shallow clone, a source archive) or without git, there is no
tree: the benchmarks then measure only today's code and say so; they do not fail.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The first round's last benchmark run (bench/results.md of 2026-11-25).
FIRST_ROUND_COMMIT = "2db245806f8fc4bd75dbb0899c453c6c06f725b1"


@contextlib.contextmanager
def first_round_tree(commit: str | None = None):
    """Yield a folder holding the first round's files, or None if the history is not available."""
    commit = commit or FIRST_ROUND_COMMIT
    with tempfile.TemporaryDirectory(prefix="dlmath-bench-first-round-") as folder:
        try:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True)
        except OSError:              # no git on this machine
            yield None
            return
        if archive.returncode != 0:  # not a checkout, or the commit is not in its history
            yield None
            return
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        yield Path(folder)


def environment_for(tree: Path) -> dict:
    """The environment in which Python, and every kernel it starts, imports the tree's own dlmath first."""
    return {**os.environ, "PYTHONPATH": str(tree)}
