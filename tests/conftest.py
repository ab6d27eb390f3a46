import sys
from pathlib import Path

# Let test modules import the shared helpers in this folder (e.g. notebook_outputs).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import json
import os
import shutil
import tempfile


def _mutant_folder() -> Path:
    return Path(os.environ.get("DLMATH_MUTANT_REPORT", tempfile.gettempdir())) / "dlmath-mutants"


def pytest_sessionstart(session):
    """Forget the mutation counts of an earlier run (in the controller, not in xdist workers)."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(_mutant_folder(), ignore_errors=True)


def pytest_terminal_summary(terminalreporter):
    """Print how many kept wrong answers the real grader scored below full marks (tests/test_exercises.py)."""
    counts = sorted(_mutant_folder().glob("*.json")) if _mutant_folder().is_dir() else []
    if not counts:
        return
    rows = [json.loads(p.read_text()) for p in counts]
    below, kept = sum(r["below"] for r in rows), sum(r["kept"] for r in rows)
    terminalreporter.section("kept wrong answers (mutants)")
    for row in rows:
        terminalreporter.line(f"{row['assignment']}: {row['below']} of {row['kept']} below full marks, "
                              "with feedback naming the mistake")
    terminalreporter.line(f"in all: {below} of {kept} kept wrong answers below full marks")
