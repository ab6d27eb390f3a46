"""Benchmark: how long a notebook takes to show a figure, IPython's way and drawn once.

Jupyter shows a figure as a PNG cropped to its tight box. IPython's formatter
(``IPython.core.pylabtools.print_figure``) lets matplotlib lay the figure out
twice; :func:`dlmath.figure_png.tight_png` lays it out and paints it once. We
build figures of the kinds the book draws (line plots with labelled axes and
mathematical titles on log scales, a grid of image panels, a histogram with a
legend after ``tight_layout``, a figure whose label sticks out of it), and time
both ways on fresh copies, alternating, so that both see the same machine.

    python bench/figures.py            # full run, prints a table
    python bench/figures.py --quick    # a couple of repeats (the smoke test)
"""

from __future__ import annotations

import argparse
import statistics
import time


def _line_panels(plt, np):
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
    steps = np.arange(1, 201)
    for index, ax in enumerate(axes):
        ax.plot(steps, 1.0 / steps ** (index + 1), label=f"$1/t^{index + 1}$")
        ax.set_yscale("log")
        ax.set_title(rf"Decay $\eta_t$, panel {index + 1}")
        ax.set_xlabel("step $t$")
        ax.set_ylabel("loss")
        ax.legend()
    return fig


def _image_grid(plt, np):
    rng = np.random.default_rng(0)
    fig, axes = plt.subplots(2, 3, figsize=(10, 5.6))
    for index, ax in enumerate(axes.flat):
        image = ax.imshow(rng.normal(size=(8, 8)), cmap="RdBu_r")
        ax.set_title(f"filter {index}")
        fig.colorbar(image, ax=ax)
    return fig


def _histogram(plt, np):
    rng = np.random.default_rng(1)
    fig, ax = plt.subplots(figsize=(6.8, 4.2))
    ax.hist(rng.normal(size=2000), bins=40, density=True, label="sample")
    grid = np.linspace(-4, 4, 200)
    ax.plot(grid, np.exp(-grid ** 2 / 2) / np.sqrt(2 * np.pi), label=r"$\mathcal{N}(0, 1)$")
    ax.set_title("A histogram and its density")
    ax.set_xlabel("value $x$")
    ax.set_ylabel("density")
    ax.legend()
    fig.tight_layout()
    return fig


def _label_outside(plt, np):
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot([0, 1, 2, 3], [2, 1, 3, 2], marker="o")
    ax.set_title("A note left of the axes")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.text(-0.35, 0.5, "note", transform=ax.transAxes)
    return fig


FIGURES = {"three log-scale line panels": _line_panels, "2×3 image grid with colour bars": _image_grid,
           "histogram, tight_layout": _histogram, "label outside the figure": _label_outside}


def measure(build, repeats: int) -> dict:
    """Median seconds to turn a fresh figure into PNG bytes, both ways, alternating."""
    import matplotlib.pyplot as plt
    import numpy as np
    from IPython.core.pylabtools import print_figure

    from dlmath.figure_png import tight_png

    ways = {"ipython": lambda fig: print_figure(fig, fmt="png"), "drawn once": tight_png}
    seconds = {name: [] for name in ways}
    for _ in range(repeats):
        for name, save in ways.items():
            fig = build(plt, np)
            start = time.perf_counter()
            data = save(fig)
            seconds[name].append(time.perf_counter() - start)
            plt.close(fig)
            if data is None:
                raise RuntimeError(f"{name} gave no PNG")
    return {name: statistics.median(values) for name, values in seconds.items()}


def run(quick: bool = False, earlier: dict | None = None) -> dict:
    """Time every kind of figure; returns a section for ``bench/run.py``."""
    import matplotlib

    matplotlib.use("Agg")
    from dlmath.plotting import use_style

    use_style()
    repeats = 2 if quick else 15
    rows = []
    for label, build in FIGURES.items():
        medians = measure(build, repeats)
        rows.append({"figure": label, "ipython ms": round(medians["ipython"] * 1000, 1),
                     "drawn once ms": round(medians["drawn once"] * 1000, 1),
                     "time ratio": round(medians["drawn once"] / medians["ipython"], 2)})
    mean_ratio = statistics.mean(row["time ratio"] for row in rows)
    return {
        "title": "Figures: showing a figure in a notebook (PNG, tight box, 80 dpi)",
        "table": rows,
        "numbers": {"repeats": repeats, "mean time ratio, drawn once / ipython": round(mean_ratio, 2),
                    "matplotlib": matplotlib.__version__, "quick": quick},
        "goals": [{"goal": "drawing once is faster for every kind of figure", "met": all(r["time ratio"] < 1 for r in rows),
                   "value": ", ".join(f"{r['time ratio']}" for r in rows)}],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two repeats per figure")
    args = parser.parse_args(argv)
    for row in run(quick=args.quick)["table"]:
        print(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
