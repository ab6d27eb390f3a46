"""Explorer 2 (chapter 4): samples against the exact distribution, and the central limit theorem.

Live: :func:`distribution_explorer`; in the book: :func:`distribution_static`.
The maths is :mod:`dlmath.distributions`, tested without widgets.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.collections import LineCollection

from .. import distributions
from ..plotting import PALETTE
from .base import CONTROL_STYLE, Explorer, ExplorerInfo, View, dropdown, float_slider, int_slider, nice_ceiling
from .static import StaticExplorer, render_static

__all__ = ["distribution_explorer", "distribution_static"]

def _describe(dist: distributions.Distribution) -> str:
    if isinstance(dist, distributions.Gaussian):
        return f"Gaussian(μ={dist.mu:.2g}, σ={dist.sigma:.2g})"
    if isinstance(dist, distributions.Uniform):
        return f"uniform on [{dist.low:.2g}, {dist.high:.2g}]"
    if isinstance(dist, distributions.Exponential):
        return f"exponential(λ={dist.rate:.2g})"
    if isinstance(dist, distributions.Bernoulli):
        return f"Bernoulli(p={dist.p:.2g})"
    if isinstance(dist, distributions.Binomial):
        return f"binomial(n={dist.trials}, p={dist.p:.2g})"
    return f"categorical(K={dist.probabilities.size})"


class _DistributionView(View):
    """One axes: a histogram of samples (or of sample means) against the exact pdf/pmf (or CLT Gaussian)."""

    figsize = (7.6, 3.8)
    bins = 40

    def _build(self):
        ax = self.ax = self.figure.subplots()
        self.histogram = ax.stairs([0.0], [0.0, 1.0], fill=True, color=PALETTE["sky"], alpha=0.55,
                                   label="histogram of samples")
        self.stems = LineCollection([], colors=PALETTE["blue"], linewidths=2.2)
        ax.add_collection(self.stems)
        self.curve, = ax.plot([], [], color=PALETTE["blue"], lw=2.2, label="exact pdf")
        self.heads, = ax.plot([], [], "o", color=PALETTE["blue"], ms=6, label="exact pmf")
        self.text = ax.text(0.985, 0.96, "", transform=ax.transAxes, ha="right", va="top", family="monospace",
                            fontsize=8.5, bbox={"facecolor": "white", "edgecolor": "0.8", "alpha": 0.9})
        self.legend = None

    def dynamic_artists(self):
        # The legend and the axes stay in the cached background; the numbers are in the title and text box.
        return [self.histogram, self.stems, self.curve, self.heads, self.text, self.ax.title]

    def _finish(self, low, high, heights, exact, xlabel, ylabel, title, handles):
        # The height is set by the exact curve (stable as samples change), unless the histogram needs more.
        top = nice_ceiling(1.45 * float(np.max(exact)))
        if 1.1 * float(np.max(heights)) > top:
            top = nice_ceiling(1.1 * float(np.max(heights)))
        self.ax.set_xlim(low, high)
        self.ax.set_ylim(0, top)
        self.ax.set_title(title)
        key = (self.ax.get_xlim(), self.ax.get_ylim(), xlabel, ylabel, tuple(h.get_label() for h in handles))
        if key != self._background_key:
            self.ax.set_xlabel(xlabel)
            self.ax.set_ylabel(ylabel)
            if self.legend is not None:
                self.legend.remove()
            self.legend = self.ax.legend(handles=handles, loc="upper left", fontsize=8.5)
            self.set_background_key(key)

    @staticmethod
    def _window(low, high):
        """Widen ``[low, high]`` to round numbers, so that nudging a parameter rarely moves the axes."""
        step = nice_ceiling((high - low) / 4) / 2
        return step * math.floor(low / step + 1e-9), step * math.ceil(high / step - 1e-9)

    def draw_samples(self, dist: distributions.Distribution, size: int, seed: int = 0):
        """Histogram of ``size`` samples against the exact pdf/pmf; returns the samples."""
        samples = dist.sample(size, seed)
        low, high = dist.plot_range
        if dist.discrete:
            support = dist.support
            counts = np.bincount(samples, minlength=support.size)[: support.size]
            edges = np.arange(support.size + 1) - 0.5
            heights = counts / size
            exact = dist.pmf(support)
            self.stems.set_segments([[(k, 0.0), (k, p)] for k, p in zip(support, exact)])
            self.heads.set_data(support, exact)
            self.curve.set_data([], [])
            self.histogram.set_label("share of the samples")
            handles, ylabel = [self.histogram, self.heads], "probability"
        else:
            low, high = self._window(low, high)
            edges = np.linspace(low, high, self.bins + 1)
            counts, _ = np.histogram(samples, bins=edges)
            heights = counts / (size * np.diff(edges))  # a density: area = share of all samples
            grid = np.linspace(low, high, 400)
            exact = dist.pdf(grid)
            self.curve.set_data(grid, exact)
            self.curve.set_label("exact pdf")
            self.stems.set_segments([])
            self.heads.set_data([], [])
            self.histogram.set_label("histogram of the samples")
            handles, ylabel = [self.histogram, self.curve], "density"
        self.histogram.set_data(heights, edges)
        self._finish(low, high, heights, exact, "$x$", ylabel, f"{_describe(dist)}: {size} samples", handles)
        mean, var = float(np.mean(samples)), float(np.var(samples))
        self.text.set_text(f"           sample   exact\nmean     {mean:8.4f} {dist.mean:8.4f}\n"
                           f"variance {var:8.4f} {dist.variance:8.4f}")
        return samples

    def draw_means(self, dist: distributions.Distribution, n: int, repetitions: int = 1000, seed: int = 0):
        """Histogram of ``repetitions`` means of ``n`` draws against the CLT Gaussian :math:`N(\\mu, \\sigma^2/n)`."""
        if dist.variance == 0:
            raise ValueError("this distribution has zero variance (every draw is the same), "
                             "so its sample means have no Gaussian limit: move p away from 0 and 1")
        means = distributions.sample_means(dist, n, repetitions, seed)
        gaussian = distributions.clt_gaussian(dist, n)
        spread = gaussian.sigma
        low = min(gaussian.mu - 4 * spread, float(np.quantile(means, 0.002)))
        high = max(gaussian.mu + 4 * spread, float(np.quantile(means, 0.998)))
        snap = nice_ceiling(spread) / 2  # round the window outwards, so a new seed rarely moves it
        low, high = snap * math.floor(low / snap), snap * math.ceil(high / snap)
        if dist.discrete:
            # The mean of n integers is a multiple of 1/n: bins centred on those values.
            lattice = 1.0 / n
            width = lattice * max(1, math.ceil((high - low) / (self.bins * lattice)))
            start = (math.floor(low / lattice) - 0.5) * lattice
            edges = start + width * np.arange(int((high - start) / width) + 2)
        else:
            edges = np.linspace(low, high, self.bins + 1)
        counts, _ = np.histogram(means, bins=edges)
        heights = counts / (repetitions * np.diff(edges))
        grid = np.linspace(low, high, 400)
        exact = gaussian.pdf(grid)
        self.histogram.set_data(heights, edges)
        self.histogram.set_label("histogram of the sample means")
        self.curve.set_data(grid, exact)
        self.curve.set_label("CLT: $\\mathcal{N}(\\mu, \\sigma^2/n)$")
        self.stems.set_segments([])
        self.heads.set_data([], [])
        self._finish(low, high, heights, exact, "sample mean $\\bar{x}$", "density",
                     f"{repetitions} means of n = {n} draws from {_describe(dist)}", [self.histogram, self.curve])
        self.text.set_text(f"            means    CLT\nmean     {np.mean(means):8.4f} {gaussian.mu:8.4f}\n"
                           f"variance {np.var(means):8.4f} {gaussian.variance:8.4f}")
        return means


class _DistributionExplorer(Explorer):
    figure_text = ('A histogram of random samples (or of sample means) drawn over the exact probability density or mass function (or the Gaussian the central limit theorem predicts), with the sample and exact mean and variance in a box.')

    def __init__(self, distribution="gaussian", mode="samples"):
        controls = {
            "distribution": dropdown([("Gaussian", "gaussian"), ("uniform", "uniform"), ("Bernoulli", "bernoulli"),
                                       ("binomial", "binomial"), ("categorical", "categorical"),
                                       ("exponential", "exponential")], distribution, "distribution"),
            "mode": dropdown([("samples vs exact pdf/pmf", "samples"),
                               ("sample means (central limit theorem)", "means")], mode, "show"),
            "mean": float_slider(0.0, -3.0, 3.0, 0.1, "mean μ"),
            "std": float_slider(1.0, 0.2, 3.0, 0.05, "standard deviation σ"),
            "interval": widgets.FloatRangeSlider(value=(0.0, 1.0), min=-3.0, max=3.0, step=0.1,
                                                 description="interval [a, b]", style=CONTROL_STYLE),
            "p": float_slider(0.3, 0.01, 0.99, 0.01, "success probability p"),
            "trials": int_slider(10, 1, 50, "trials n"),
            "categories": int_slider(5, 2, 10, "categories K"),
            "ratio": float_slider(0.6, 0.2, 1.5, 0.05, "ratio p(k+1)/p(k)"),
            "rate": float_slider(1.0, 0.2, 5.0, 0.1, "rate λ"),
            "sample_size": widgets.SelectionSlider(options=[10, 30, 100, 300, 1000, 3000, 10000, 100000],
                                                   value=1000, description="sample size", style=CONTROL_STYLE),
            "draws_per_mean": widgets.SelectionSlider(options=[1, 2, 3, 5, 10, 20, 30, 50, 100, 300], value=5,
                                                      description="draws per mean n", style=CONTROL_STYLE),
            "repetitions": widgets.SelectionSlider(options=[100, 300, 1000, 2000], value=1000,
                                                   description="number of means", style=CONTROL_STYLE),
            "seed": widgets.BoundedIntText(value=0, min=0, max=10**6, description="random seed",
                                           style=CONTROL_STYLE, layout=widgets.Layout(width="200px")),
        }
        super().__init__(_DistributionView(), controls,
                         help_text="Draw samples and compare them with the exact distribution; "
                                   "switch to sample means to watch the central limit theorem.")

    _PARAMETERS = {"gaussian": ("mean", "std"), "uniform": ("interval",), "bernoulli": ("p",),
                   "binomial": ("trials", "p"), "categorical": ("categories", "ratio"), "exponential": ("rate",)}

    def _configure_controls(self):
        c = self.controls
        wanted = self._PARAMETERS[c["distribution"].value]
        for name in ("mean", "std", "interval", "p", "trials", "categories", "ratio", "rate"):
            self._visible(c[name], name in wanted)
        means = c["mode"].value == "means"
        self._visible(c["sample_size"], not means)
        self._visible(c["draws_per_mean"], means)
        self._visible(c["repetitions"], means)

    def distribution(self) -> distributions.Distribution:
        """The distribution the controls describe (raises ValueError with a clear message if invalid)."""
        c = self.controls
        name = c["distribution"].value
        if name == "gaussian":
            return distributions.Gaussian(c["mean"].value, c["std"].value)
        if name == "uniform":
            low, high = c["interval"].value
            return distributions.Uniform(low, high)
        if name == "bernoulli":
            return distributions.Bernoulli(c["p"].value)
        if name == "binomial":
            return distributions.Binomial(c["trials"].value, c["p"].value)
        if name == "categorical":
            return distributions.Categorical.geometric(c["categories"].value, c["ratio"].value)
        return distributions.Exponential(c["rate"].value)

    def _update(self):
        c = self.controls
        dist = self.distribution()
        seed = int(c["seed"].value)
        if c["mode"].value == "samples":
            samples = self.view.draw_samples(dist, c["sample_size"].value, seed)
            return (f"Sample mean {np.mean(samples):.4f} (exact {dist.mean:.4f}), "
                    f"sample variance {np.var(samples):.4f} (exact {dist.variance:.4f}).")
        n = c["draws_per_mean"].value
        means = self.view.draw_means(dist, n, c["repetitions"].value, seed)
        return (f"The means of n = {n} draws spread with variance {np.var(means):.4f}; "
                f"σ²/n = {dist.variance / n:.4f}.")


def distribution_explorer(distribution: str = "gaussian", mode: str = "samples") -> Explorer:
    """Samples against the exact distribution, and the central limit theorem, live.

    Controls: the distribution (Gaussian, uniform, Bernoulli, binomial,
    categorical, exponential) and its parameters, the sample size and the
    random seed. In "samples" mode a histogram of the samples is drawn against
    the exact pdf or pmf, with the sample mean and variance beside the exact
    ones. In "sample means" mode it draws many samples of n draws and
    histograms their means against :math:`\\mathcal N(\\mu, \\sigma^2/n)`: even
    the skewed exponential gives a bell curve as n grows.
    """
    return _DistributionExplorer(distribution, mode)



def distribution_static(size: int = 1000, clt_n=(1, 2, 5, 10, 30, 100)) -> StaticExplorer:
    """The six distributions with samples against their exact pdf/pmf, then the CLT, as a kernel-free player.

    The first frames show ``size`` samples from each distribution; the last
    ones show means of n draws from the (skewed) exponential distribution for
    each n in ``clt_n``, turning into a Gaussian. Seeded: the same every run.
    """
    examples = [distributions.Gaussian(0.0, 1.0), distributions.Uniform(-1.0, 2.0), distributions.Bernoulli(0.3),
                distributions.Binomial(10, 0.3), distributions.Categorical.geometric(5, 0.6),
                distributions.Exponential(1.0)]
    states = [("samples", dist, size) for dist in examples]
    states += [("means", distributions.Exponential(1.0), n) for n in clt_n]
    view = _DistributionView()

    def draw(state):
        mode, dist, n = state
        if mode == "samples":
            samples = view.draw_samples(dist, n, seed=0)
            return (f"{_describe(dist)}, {n} samples: sample mean {np.mean(samples):.3f} "
                    f"(exact {dist.mean:.3f}), sample variance {np.var(samples):.3f} (exact {dist.variance:.3f}).")
        means = view.draw_means(dist, n, repetitions=1000, seed=0)
        return (f"Means of n = {n} draws from {_describe(dist)}: their variance is {np.var(means):.4f}, "
                f"close to σ²/n = {dist.variance / n:.4f}, and their histogram looks more Gaussian as n grows.")

    return render_static(view, states, draw,
                         name="distribution explorer",
                   alt="Histograms of samples against the exact pdf or pmf of six distributions, then "
                       "histograms of means of n exponential draws approaching a Gaussian as n grows.",
                   caption="Distributions, then the central limit theorem: move the slider, or press play.")


EXPLORER = ExplorerInfo(
    name="distribution", live=distribution_explorer, static=distribution_static,
    chapter="notebooks/04_probability_statistics",
    bench_plan=[
        ("sample_size", [100, 1000, 10000, 100000]),
        ("distribution", ["gaussian", "uniform", "bernoulli", "binomial", "categorical", "exponential"]),
        ("mean", [-1.0, -0.5, 0.0, 0.5, 1.5]),
        ("p", [0.1, 0.2, 0.3, 0.5, 0.7]),
        ("mode", ["samples", "means"]),
        ("draws_per_mean", [1, 5, 30, 300]),
        ("seed", [0, 1, 2]),
    ],
    test_plan=[
        ({}, "distribution", ["uniform", "bernoulli", "binomial", "categorical", "exponential", "gaussian"]),
        ({}, "mode", ["means", "samples"]),
        ({"distribution": "gaussian"}, "mean", [-1.0, 0.5, 2.0]),
        ({"distribution": "gaussian"}, "std", [0.5, 2.0]),
        ({"distribution": "uniform"}, "interval", [(-1.0, 2.0), (0.5, 1.0)]),
        ({"distribution": "bernoulli"}, "p", [0.1, 0.8]),
        ({"distribution": "binomial"}, "p", [0.2, 0.6]),
        ({"distribution": "binomial"}, "trials", [3, 40]),
        ({"distribution": "categorical"}, "categories", [3, 9]),
        ({"distribution": "categorical"}, "ratio", [0.3, 1.2]),
        ({"distribution": "exponential"}, "rate", [0.5, 3.0]),
        ({"mode": "samples"}, "sample_size", [10, 100000, 300]),
        ({"mode": "means"}, "draws_per_mean", [1, 30, 300]),
        ({"mode": "means"}, "repetitions", [100, 2000]),
        ({"mode": "means", "distribution": "bernoulli"}, "draws_per_mean", [2, 50]),
        ({}, "seed", [1, 2]),
    ],
)
