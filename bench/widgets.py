"""Benchmark: how fast each explorer answers a control change.

For every explorer in :mod:`dlmath.explorers` we move its controls in turn, each
through a run of values as a learner dragging a slider would, switching menus
on the way, and time each change from the moment the value is set until the
new PNG has been rendered (the observer runs synchronously, so this is the
whole recompute + artist update + Agg redraw + PNG encoding). We report the
median and 95th percentile of the wall-clock time, and the median CPU time of
this process (the same on a busy machine, where other processes inflate the
wall clock). As a yardstick measured in the same run, we time a bare full
redraw of the same figure with nothing changed (every artist drawn, no cached
background); the ratio, median update / bare full redraw, is below 1 when the
cached background saves more than the maths and the updates cost.

    python bench/widgets.py            # full run, prints a table
    python bench/widgets.py --quick    # a few changes each (the smoke test)

``run(quick)`` returns the numbers as a dict for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

#: The course's promise: a control change answers within this many milliseconds (median).
BUDGET_MS = 50.0

def plans() -> dict:
    """For each explorer of :mod:`dlmath.explorers` (its ``REGISTRY``), the controls to move and their values.

    Each explorer module declares its own plan (``EXPLORER.bench_plan``), so a new
    explorer is benchmarked without editing this file.
    """
    from dlmath import explorers

    return {name: (info.live, info.bench_plan) for name, info in explorers.REGISTRY.items()}


def _percentile(values, q):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _changes(explorer, plan, count):
    """``count`` (control, value) changes: each control in turn moves through its values, as a drag would."""
    changes = []
    for key, values in itertools.cycle(plan):
        for value in values:
            if len(changes) == count:
                return changes
            changes.append((explorer.controls[key], value, values))
    return changes  # pragma: no cover - cycle never ends


def measure(name: str, changes: int, redraws: int) -> dict:
    """Time ``changes`` control changes and ``redraws`` bare redraws of one explorer (milliseconds)."""
    factory, plan = plans()[name]
    explorer = factory()
    latencies, cpu, by_control = [], [], {}
    for control, value, values in _changes(explorer, plan, changes):
        if control.value == value:  # a change must change something
            value = values[(values.index(value) + 1) % len(values)]
        before = explorer.refresh_count
        start, start_cpu = time.perf_counter(), time.process_time()
        control.value = value
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        by_control.setdefault(control.description, []).append(latencies[-1])
        assert explorer.refresh_count > before, f"{name}: setting {control.description!r} did not refresh"
    bare = []
    for _ in range(redraws):
        start = time.perf_counter()
        explorer.view.png(full=True)
        bare.append((time.perf_counter() - start) * 1000)
    median, bare_median = statistics.median(latencies), statistics.median(bare)
    return {
        "changes": len(latencies),
        "median_ms": round(median, 2),
        "p95_ms": round(_percentile(latencies, 95), 2),
        "max_ms": round(max(latencies), 2),
        "median_cpu_ms": round(statistics.median(cpu), 2),
        "bare_redraw_median_ms": round(bare_median, 2),
        "ratio_to_bare_redraw": round(median / bare_median, 2),
        "within_budget": median <= BUDGET_MS,
        "median_ms_by_control": {k: round(statistics.median(v), 2) for k, v in by_control.items()},
    }


def run(quick: bool = False, earlier: dict | None = None) -> dict:
    """Measure every explorer; ``quick=True`` makes a few changes each (a few seconds in all).

    Returns a section for ``bench/run.py``: one table row per explorer, the goal
    (median ≤ 50 ms) per explorer, and the median per control.
    """
    import matplotlib

    matplotlib.use("Agg")  # the explorers draw with Agg anyway; no GUI backend in a benchmark
    changes, redraws = (8, 4) if quick else (120, 40)
    measured = {name: measure(name, changes, redraws) for name in plans()}
    rows = [{"explorer": name, "changes": r["changes"], "median ms": round(r["median_ms"], 1),
             "p95 ms": round(r["p95_ms"], 1), "median CPU ms": round(r["median_cpu_ms"], 1),
             "bare redraw ms": round(r["bare_redraw_median_ms"], 1),
             "ratio to bare redraw": round(r["ratio_to_bare_redraw"], 2)} for name, r in measured.items()]
    return {
        "title": "Widgets: update latency after a control change (Agg backend)",
        "table": rows,
        "numbers": {"what": "time from setting a control to the new PNG rendered (recompute + artist updates "
                            "+ Agg draw); the bare redraw redraws the same figure from scratch",
                    "matplotlib": matplotlib.__version__, "quick": quick},
        "goals": [{"goal": f"{name}: median ≤ {BUDGET_MS:.0f} ms", "met": r["within_budget"],
                   "value": f"{r['median_ms']:.1f} ms"} for name, r in measured.items()],
        "median_ms_by_control": {name: ", ".join(f"{k} {v:.0f}" for k, v in r["median_ms_by_control"].items())
                                 for name, r in measured.items()},
    }


def table(section: dict) -> str:
    """The section's rows as a Markdown table."""
    columns = list(section["table"][0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in section["table"]]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few changes per explorer")
    args = parser.parse_args(argv)
    print(table(run(quick=args.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
