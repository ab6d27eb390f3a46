"""Smoke test: every benchmark runs at a tiny size and the report is written.

The full benchmark (`make bench`) is not part of `make test`: on a shared
machine timings belong in bench/results.md, not in pass/fail tests. This only
keeps the benchmark code from rotting.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(900)
def test_every_benchmark_runs_quickly(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["quick"] is True
    sys.path.insert(0, str(ROOT / "bench"))
    import run as bench_run

    assert list(results["sections"]) == bench_run.BENCHMARKS
    for name, section in results["sections"].items():
        assert "error" not in section, f"{name}: {section.get('error')}"
        # Each section says when it ran and how busy the machine was (other work inflates the times).
        assert len(section["load_average"]) == 2 and all(load >= 0 for load in section["load_average"])
        assert section["date"] == results["machine"]["date"]
    report = (tmp_path / "results.md").read_text()
    assert "Smoke run" in report and "Measured on" in report
    assert report.count("1-minute load average") == len(bench_run.BENCHMARKS)
    # The execution bench times the first round's book with the first round's own dlmath, not today's;
    # a clone without that commit in its history (a shallow one) measures only today's, and says so.
    import dlmath
    import first_round

    execution = results["sections"]["execution"]["numbers"]
    commit = f"{first_round.FIRST_ROUND_COMMIT}^{{commit}}"
    has_history = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", commit], capture_output=True).returncode == 0
    if has_history:
        assert execution["dlmath_imported"] == f"today: {dlmath.__version__}, first round: 0.1.0", execution
    else:
        assert execution["dlmath_imported"] == f"today: {dlmath.__version__}", execution
        assert "not measured" in execution["first_round_book"]


def test_grading_bench_without_the_first_rounds_commit_measures_only_today(monkeypatch):
    # A shallow clone or a source archive lacks the first round's commit, and a machine may lack git:
    # the comparison is then left out (the report says so), never a failed benchmark.
    sys.path.insert(0, str(ROOT / "bench"))
    import grading as bench_grading

    monkeypatch.setattr(bench_grading, "FIRST_ROUND_COMMIT", "0" * 40)        # not in the history
    assert bench_grading.time_first_round_class(1) is None
    monkeypatch.undo()
    monkeypatch.setenv("PATH", "/nonexistent")                                  # no git at all
    assert bench_grading.time_first_round_class(1) is None


def test_execution_bench_without_the_first_rounds_commit_measures_only_today(monkeypatch):
    sys.path.insert(0, str(ROOT / "bench"))
    import execution as bench_execution
    import first_round

    monkeypatch.setattr(first_round, "FIRST_ROUND_COMMIT", "0" * 40)           # not in the history
    with first_round.first_round_tree() as tree:
        assert tree is None
    section = bench_execution.run(quick=True)
    assert "not measured" in section["numbers"]["first_round_book"]
    assert [goal["goal"] for goal in section["goals"]] == ["no notebook over 90 s"]
    assert "first round" not in section["numbers"]["dlmath_imported"]
