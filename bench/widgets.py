"""Benchmark: how fast each explorer answers a control change.

For every explorer in :mod:`dlmath.widgets` we move its controls in turn, each
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

#: For each explorer, the controls to move and the values to cycle through.
PLANS = {
    "gradient_descent": ("gradient_descent_explorer", [
        ("learning_rate", [0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.15, 0.19, 0.21]),
        ("steps", [20, 30, 45, 60, 90, 120, 200]),
        ("optimizer", ["sgd", "momentum", "adam"]),
        ("start_w1", [-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5]),
        ("surface", ["valley", "bowl", "banana", "saddle", "parabola", "double_well"]),
        ("momentum", [0.5, 0.8, 0.95]),
        ("noise", [0.0, 0.3, 1.0]),
    ]),
    "distribution": ("distribution_explorer", [
        ("sample_size", [100, 1000, 10000, 100000]),
        ("distribution", ["gaussian", "uniform", "bernoulli", "binomial", "categorical", "exponential"]),
        ("mean", [-1.0, -0.5, 0.0, 0.5, 1.5]),
        ("p", [0.1, 0.2, 0.3, 0.5, 0.7]),
        ("mode", ["samples", "means"]),
        ("draws_per_mean", [1, 5, 30, 300]),
        ("seed", [0, 1, 2]),
    ]),
    "linear_map": ("linear_map_explorer", [
        ("a11", [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]),
        ("a12", [-0.5, -0.25, 0.0, 0.5, 1.0]),
        ("preset", ["identity", "rotation 30°", "reflection (y = x)", "projection onto x-axis"]),
        ("a21", [-1.0, 0.3, 1.2]),
        ("a22", [0.5, 1.0, 2.0]),
    ]),
    "activation": ("activation_explorer", [
        ("activation", ["relu", "leaky_relu", "sigmoid", "tanh", "softmax"]),
        ("temperature", [0.1, 0.2, 0.5, 1.0, 2.0, 4.0]),
        ("slope", [0.0, 0.05, 0.1, 0.2, 0.3]),
        ("derivative", [True, False]),
    ]),
}


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
    from dlmath import widgets

    factory_name, plan = PLANS[name]
    explorer = getattr(widgets, factory_name)()
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


def run(quick: bool = False) -> dict:
    """Measure every explorer; ``quick=True`` makes a few changes each (a few seconds in all).

    Returns a section for ``bench/run.py``: one table row per explorer, the goal
    (median ≤ 50 ms) per explorer, and the median per control.
    """
    import matplotlib

    matplotlib.use("Agg")  # the explorers draw with Agg anyway; no GUI backend in a benchmark
    changes, redraws = (8, 4) if quick else (120, 40)
    measured = {name: measure(name, changes, redraws) for name in PLANS}
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
