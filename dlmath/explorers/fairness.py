"""Explorer (chapter 6): a classifier's threshold against per-group error rates and the fairness gap.

The story is chapter 6's: a bank screens transactions for fraud with a logistic
regression on two features, and honest customers of group B (a quarter of all
customers) have new accounts, as fraudsters do. A transaction is flagged when
its fraud score is above the threshold, :math:`\\hat y = [s > t]`. For each
group :math:`g` the explorer shows

.. math::

    \\mathrm{FPR}_g(t) = P(\\hat y = 1 \\mid y = 0, g), \\qquad
    \\mathrm{TPR}_g(t) = P(\\hat y = 1 \\mid y = 1, g),

the share flagged :math:`P(\\hat y = 1 \\mid g)` and the accuracy, and the gap
between the groups, group B minus group A, for the rate you pick. With one
threshold for both groups the gap in false-positive rates is large; a threshold
per group can close it, and moves the gap to the true-positive rates.

The maths is the pure functions at the top (:func:`make_customers`,
:func:`screening_scores`, :func:`rates_at`, :func:`rate_curves`,
:func:`fairness_gap`), tested without widgets; the rest draws.

Live: :func:`fairness_explorer`; in the book: :func:`fairness_static`.
"""

from __future__ import annotations

import functools

import ipywidgets as widgets
import numpy as np

from ..plotting import PALETTE
from .base import Explorer, ExplorerInfo, View, dropdown, float_slider
from .static import StaticExplorer, render_static

__all__ = ["fairness_explorer", "fairness_static"]

#: The rates the explorer reports, with their names as the figure writes them.
RATES = {"FPR": "false-positive rate", "TPR": "true-positive rate", "selection": "share flagged",
         "accuracy": "accuracy"}
GROUPS = ("group A", "group B")


# ---------------------------------------------------------------------------
# The maths: plain functions on arrays
# ---------------------------------------------------------------------------

def make_customers(n: int, rng: np.random.Generator):
    """Chapter 6's customers: features ``(unusual, account_age)``, fraud labels and groups (1 = group B).

    A quarter of the customers are in group B; the fraud rate is 20% in both
    groups. Fraudsters and honest group B customers have new accounts; honest
    group A customers have old ones. The group is not a feature.
    """
    group = (rng.random(n) < 0.25).astype(int)
    fraud = (rng.random(n) < 0.20).astype(int)
    unusual = rng.normal(1.5 * fraud, 1.0)
    account_age = np.where(fraud == 1, rng.gamma(2.0, 0.5, n),
                           np.where(group == 0, rng.gamma(4.0, 1.5, n), rng.gamma(2.0, 0.8, n)))
    return np.column_stack([unusual, account_age]), fraud, group


@functools.lru_cache(maxsize=4)
def screening_scores(n: int = 24_000, seed: int = 0):
    """Fraud scores of the test third of ``n`` customers, from a logistic regression fitted on the first third.

    Returns ``(scores, y_true, group)`` as read-only arrays (cached: the same
    call gives the same arrays). Exactly chapter 6's split and model.
    """
    from sklearn.linear_model import LogisticRegression

    X, y, group = make_customers(n, np.random.default_rng(seed))
    third = n // 3
    model = LogisticRegression().fit(X[:third], y[:third])
    test = slice(2 * third, n)
    arrays = model.predict_proba(X[test])[:, 1], y[test], group[test]
    for array in arrays:
        array.setflags(write=False)
    return arrays


def _check(scores, y_true, group):
    scores, y_true, group = np.asarray(scores, float), np.asarray(y_true), np.asarray(group)
    if not (scores.shape == y_true.shape == group.shape) or scores.ndim != 1:
        raise ValueError(f"scores, y_true and group must be 1-D arrays of one length, not shapes "
                         f"{scores.shape}, {y_true.shape}, {group.shape}")
    for g, name in enumerate(GROUPS):
        members = group == g
        if not (np.any(members & (y_true == 0)) and np.any(members & (y_true == 1))):
            raise ValueError(f"{name} (group == {g}) needs both positives and negatives to have error rates")
    return scores, y_true, group


def rates_at(scores, y_true, group, thresholds) -> dict:
    """The rates of each group when a score above ``thresholds[g]`` is flagged.

    ``thresholds`` is one number (the same for both groups) or a pair (group A,
    group B). Returns ``{"group A": {"FPR", "TPR", "selection", "accuracy"}, "group B": {...}}``.
    """
    scores, y_true, group = _check(scores, y_true, group)
    thresholds = np.broadcast_to(np.asarray(thresholds, dtype=float), (2,))
    rates = {}
    for g, name in enumerate(GROUPS):
        members = group == g
        flagged = scores[members] > thresholds[g]
        truth = y_true[members] == 1
        rates[name] = {"FPR": float(np.mean(flagged[~truth])), "TPR": float(np.mean(flagged[truth])),
                       "selection": float(np.mean(flagged)), "accuracy": float(np.mean(flagged == truth))}
    return rates


def rate_curves(scores, y_true, group, grid) -> dict:
    """Every rate of each group at every threshold of ``grid``: ``{group: {rate: array}}``.

    Vectorised by sorting: the number of scores above ``t`` is ``n - searchsorted(sorted, t, "right")``,
    so the curves cost one sort per group, not one pass per threshold.
    """
    scores, y_true, group = _check(scores, y_true, group)
    grid = np.asarray(grid, dtype=float)
    curves = {}
    for g, name in enumerate(GROUPS):
        members = group == g
        positives = np.sort(scores[members & (y_true == 1)])
        negatives = np.sort(scores[members & (y_true == 0)])
        above_pos = positives.size - np.searchsorted(positives, grid, side="right")
        above_neg = negatives.size - np.searchsorted(negatives, grid, side="right")
        total = positives.size + negatives.size
        curves[name] = {"FPR": above_neg / negatives.size, "TPR": above_pos / positives.size,
                        "selection": (above_pos + above_neg) / total,
                        "accuracy": (above_pos + negatives.size - above_neg) / total}
    return curves


def fairness_gap(rates: dict, rate: str = "FPR") -> float:
    """Group B's ``rate`` minus group A's (0 when the groups are treated alike on that rate)."""
    if rate not in RATES:
        raise ValueError(f"unknown rate {rate!r}; choose one of {sorted(RATES)}")
    return rates["group B"][rate] - rates["group A"][rate]


# ---------------------------------------------------------------------------
# The picture
# ---------------------------------------------------------------------------

_GROUP_COLORS = {"group A": PALETTE["blue"], "group B": PALETTE["orange"]}


class _FairnessView(View):
    """Left: FPR and TPR of each group against the threshold. Right: the four rates of each group now."""

    figsize = (9.0, 3.8)
    grid = np.linspace(0.0, 1.0, 201)

    def _build(self):
        self.ax_curves, self.ax_bars = self.figure.subplots(1, 2, width_ratios=[1.15, 1])
        ax = self.ax_curves
        self.curve_lines, self.points, self.threshold_lines = {}, {}, {}
        for name in GROUPS:
            color = _GROUP_COLORS[name]
            self.curve_lines[name, "FPR"], = ax.plot([], [], color=color, lw=2, label=f"{name}: FPR")
            self.curve_lines[name, "TPR"], = ax.plot([], [], color=color, lw=2, ls="--", label=f"{name}: TPR")
            self.points[name], = ax.plot([], [], "o", color=color, ms=6, mec="white")
            self.threshold_lines[name] = ax.axvline(0.5, color=color, lw=1.2, ls=":")
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("threshold $t$ (flag when score $> t$)")
        ax.set_ylabel("rate")
        ax.set_title("error rates against the threshold")
        ax.legend(loc="upper right", fontsize=8)
        bars_ax = self.ax_bars
        positions = np.arange(len(RATES))
        self.bars = {}
        for offset, name in zip((-0.2, 0.2), GROUPS):
            self.bars[name] = bars_ax.bar(positions + offset, np.zeros(len(RATES)), width=0.38,
                                          color=_GROUP_COLORS[name], label=name)
        bars_ax.set_xticks(positions, ["FPR", "TPR", "flagged", "accuracy"])
        bars_ax.set_ylim(0, 1.12)
        bars_ax.set_ylabel("rate")
        bars_ax.set_xlabel("rate of each group at its threshold")
        bars_ax.legend(loc="upper left", fontsize=8, ncols=2)
        self.gap_marker = bars_ax.annotate("", xy=(0, 0), xytext=(0, 0),
                                           arrowprops={"arrowstyle": "<->", "color": PALETTE["vermillion"],
                                                       "lw": 1.8})
        self.data_key = None

    def dynamic_artists(self):
        return [*self.points.values(), *self.threshold_lines.values(),
                *[patch for bars in self.bars.values() for patch in bars.patches], self.gap_marker,
                self.ax_bars.title]

    def show_data(self, scores, y_true, group):
        """Draw the curves of a data set (once per data set; they do not depend on the threshold)."""
        key = (id(scores), id(y_true), id(group))
        if key == self.data_key:
            return
        self.curves = rate_curves(scores, y_true, group, self.grid)
        for (name, rate), line in self.curve_lines.items():
            line.set_data(self.grid, self.curves[name][rate])
        self.data_key = key
        self.invalidate()

    def draw(self, scores, y_true, group, thresholds, rate="FPR"):
        """Show the rates at ``thresholds`` (group A, group B); returns ``(rates, gap)``."""
        self.show_data(scores, y_true, group)
        rates = rates_at(scores, y_true, group, thresholds)
        gap = fairness_gap(rates, rate)
        for g, name in enumerate(GROUPS):
            t = float(thresholds[g])
            self.threshold_lines[name].set_xdata([t, t])
            self.points[name].set_data([t, t], [rates[name]["FPR"], rates[name]["TPR"]])
            for bar, key in zip(self.bars[name], RATES):
                bar.set_height(rates[name][key])
        index = list(RATES).index(rate)
        a, b = rates["group A"][rate], rates["group B"][rate]
        self.gap_marker.xy = (index + 0.5, b)
        self.gap_marker.set_position((index + 0.5, a))
        self.gap_marker.set_visible(abs(gap) > 1e-9)
        self.ax_bars.set_title(f"{RATES[rate]} gap, B − A: {gap:+.3f}", color=PALETTE["vermillion"]
                               if abs(gap) >= 0.05 else PALETTE["black"])
        return rates, gap


def _describe(rates, gap, thresholds, rate) -> str:
    a, b = rates["group A"], rates["group B"]
    same = thresholds[0] == thresholds[1]
    where = (f"threshold {thresholds[0]:.2f} for both groups" if same
             else f"thresholds {thresholds[0]:.2f} (group A) and {thresholds[1]:.2f} (group B)")
    return (f"With {where}: group A has FPR {a['FPR']:.3f}, TPR {a['TPR']:.3f}, accuracy {a['accuracy']:.3f}; "
            f"group B has FPR {b['FPR']:.3f}, TPR {b['TPR']:.3f}, accuracy {b['accuracy']:.3f}. "
            f"The {RATES[rate]} gap (B − A) is {gap:+.3f}.")


class _FairnessExplorer(Explorer):
    figure_text = ("Left: the false-positive rate (solid) and true-positive rate (dashed) of group A (blue) and "
                   "group B (orange) against the threshold, with dotted lines at each group's threshold; right: "
                   "bars of each group's false-positive rate, true-positive rate, share flagged and accuracy at "
                   "its threshold, with an arrow across the gap.")

    def __init__(self, scores, y_true, group, threshold=0.5, rate="FPR"):
        self.data = _check(scores, y_true, group)
        controls = {
            "threshold": float_slider(threshold, 0.01, 0.99, 0.01, "threshold t (group A, or both)"),
            "same": widgets.Checkbox(value=True, description="one threshold for both groups", indent=False),
            "threshold_b": float_slider(threshold, 0.01, 0.99, 0.01, "threshold for group B"),
            "rate": dropdown([(label, key) for key, label in RATES.items()], rate, "gap in"),
        }
        super().__init__(_FairnessView(), controls,
                         help_text="Move the threshold and watch each group's error rates; untick the box "
                                   "to give group B its own threshold.")

    def _configure_controls(self):
        self._visible(self.controls["threshold_b"], not self.controls["same"].value)

    def thresholds(self) -> tuple[float, float]:
        """The thresholds of group A and group B that the controls set."""
        c = self.controls
        t = c["threshold"].value
        return (t, t) if c["same"].value else (t, c["threshold_b"].value)

    def _update(self):
        thresholds = self.thresholds()
        rate = self.controls["rate"].value
        self.rates, self.gap = self.view.draw(*self.data, thresholds, rate)
        return _describe(self.rates, self.gap, thresholds, rate)


def fairness_explorer(scores=None, y_true=None, group=None, threshold: float = 0.5, rate: str = "FPR") -> Explorer:
    """A classifier's threshold against each group's error rates and the gap between them, live.

    ``scores`` (a score per example, flagged when above the threshold),
    ``y_true`` (0 or 1) and ``group`` (0 for group A, 1 for group B) default to
    chapter 6's fraud screening on its test customers (:func:`screening_scores`).
    Controls: the threshold, one threshold for both groups or one per group,
    and the rate whose gap is reported.
    """
    if scores is None:
        scores, y_true, group = screening_scores()
    return _FairnessExplorer(scores, y_true, group, threshold, rate)


def fairness_static(scores=None, y_true=None, group=None,
                    thresholds=((0.2, 0.2), (0.35, 0.35), (0.5, 0.5), (0.65, 0.65), (0.8, 0.8), (0.5, 0.8)),
                    rate: str = "FPR") -> StaticExplorer:
    """The same as a kernel-free player: one frame per ``(threshold A, threshold B)`` pair."""
    if scores is None:
        scores, y_true, group = screening_scores()
    data = _check(scores, y_true, group)
    view = _FairnessView()

    def draw(pair):
        rates, gap = view.draw(*data, pair, rate)
        return _describe(rates, gap, pair, rate)

    return render_static(view, [tuple(map(float, pair)) for pair in thresholds], draw,
                         name="fairness explorer",
                         alt=_FairnessExplorer.figure_text,
                         caption="Fairness: move the slider, or press play, to raise the threshold; the last "
                                 "frame gives group B its own threshold.")


EXPLORER = ExplorerInfo(
    name="fairness", live=fairness_explorer, static=fairness_static,
    chapter="notebooks/06_model_to_practice",
    bench_plan=[
        ("threshold", [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7]),
        ("rate", ["FPR", "TPR", "selection", "accuracy"]),
        ("same", [False, True]),
    ],
    test_plan=[
        ({}, "threshold", [0.2, 0.5, 0.8]),
        ({}, "rate", ["TPR", "selection", "accuracy", "FPR"]),
        ({}, "same", [False, True]),
        ({"same": False}, "threshold_b", [0.3, 0.9]),
    ],
)
