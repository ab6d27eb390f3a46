"""`make bench`: run every benchmark and write bench/results.md and bench/results.json.

Each benchmark module in this folder has ``run(quick: bool, earlier: dict) -> dict``,
where ``earlier`` holds the sections measured before it (the cohort estimate uses
the grading benchmark's cost per submission). The full
run (no ``--quick``) is what the README's Performance section quotes; ``--quick``
runs every benchmark at a tiny size so the code cannot rot (the smoke test), and
writes its results elsewhere (``--out``) so it never overwrites the real ones.

A section may contain: ``title``; ``table`` (a list of rows, each a dict);
``numbers`` (a dict of headline figures); ``goals`` (a list of
``{"goal", "met", "value"}``); anything else is written as a list of key: value.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: The benchmarks, in the order of the report.
BENCHMARKS = ["execution", "training", "widgets", "figures", "collector", "book", "grading", "cohort"]


def machine() -> dict:
    """What the numbers were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages / 2**30, 1)
    except (ValueError, OSError):
        pass
    versions = {}
    for name in ("numpy", "tensorflow", "sklearn", "matplotlib", "ipywidgets"):
        try:
            versions[name] = importlib.import_module(name).__version__
        except Exception:  # a missing package is reported, not fatal
            versions[name] = "not installed"
    return {"date": datetime.date.today().isoformat(), "cpu": cpu, "cores": os.cpu_count(),
            "memory_gib": memory_gib, "python": platform.python_version(), "platform": platform.platform(),
            "versions": versions}


def cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|")


def markdown_table(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return lines + [""]


def render(results: dict) -> str:
    info = results["machine"]
    lines = ["# Benchmark results", "",
             f"Measured on {info['date']}: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, "
             f"Python {info['python']} ({info['platform']}).",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()) + ".",
             "Times are medians over repeated runs; ratios compare two things measured in the same run.", ""]
    if results.get("quick"):
        lines += ["**Smoke run (`--quick`): tiny sizes, not representative.**", ""]
    for name, section in results["sections"].items():
        lines += [f"## {section.get('title', name)}", ""]
        if "error" in section:
            lines += [f"Not measured: {section['error']}", ""]
            continue
        lines += markdown_table(section.get("table", []))
        for key, value in section.get("numbers", {}).items():
            lines.append(f"- {key.replace('_', ' ')}: {cell(value)}")
        if section.get("numbers"):
            lines.append("")
        goals = section.get("goals", [])
        if goals:
            lines += markdown_table([{"goal": g["goal"], "met": "yes" if g["met"] else "NO", "measured": g["value"]}
                                     for g in goals])
        for key, value in section.items():
            if key in ("title", "table", "numbers", "goals", "seconds", "date", "load_average"):
                continue
            if isinstance(value, dict):
                lines.append(f"- {key.replace('_', ' ')}:")
                lines += [f"  - {k}: {cell(v)}" for k, v in value.items()]
            else:
                lines.append(f"- {key.replace('_', ' ')}: {json.dumps(value, default=str, ensure_ascii=False)}")
        when = f" on {section['date']}" if section.get("date") else ""
        load = section.get("load_average")
        busy = (f"; 1-minute load average {load[0]:.1f} before and {load[1]:.1f} after, on {info['cores']} cores"
                if load else "")
        lines += [f"_(this benchmark took {section.get('seconds', 0):.0f} s{when}{busy})_", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test, not a measurement")
    parser.add_argument("--only", nargs="*", choices=BENCHMARKS, help="run only these benchmarks")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.md and results.json")
    args = parser.parse_args(argv)
    results = {"quick": args.quick, "machine": machine(), "sections": {}}
    previous = args.out / "results.json"
    if args.only and previous.exists():
        # Re-running some benchmarks keeps the others' last results in the report.
        earlier = json.loads(previous.read_text())
        if earlier.get("quick") == args.quick:
            results["sections"] = {name: earlier["sections"][name] for name in BENCHMARKS
                                   if name in earlier.get("sections", {})}
    failed = False
    for name in args.only or BENCHMARKS:
        print(f"bench: {name} …", flush=True)
        start = time.perf_counter()
        load_before = os.getloadavg()[0]
        try:
            # A benchmark may use an earlier one's results (the cohort estimate uses the grading cost).
            section = importlib.import_module(name).run(quick=args.quick, earlier=results["sections"])
        except Exception as error:  # report it, finish the others, exit non-zero
            failed = True
            section = {"title": name, "error": f"{type(error).__name__}: {error}"}
        section["seconds"] = round(time.perf_counter() - start, 1)
        # Each section says when, and how busy the machine was: other work inflates times (not ratios
        # measured in one run as much), and `--only` keeps older sections beside new ones.
        section["date"] = datetime.date.today().isoformat()
        section["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        results["sections"][name] = section
    results["sections"] = {name: results["sections"][name] for name in BENCHMARKS if name in results["sections"]}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (args.out / "results.md").write_text(render(results))
    print(f"wrote {args.out / 'results.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
