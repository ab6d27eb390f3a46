"""Probability distributions: exact formulas, seeded samples, and the central limit theorem.

The maths behind the distribution explorer, usable without any widget. Each
distribution knows its exact density (``pdf`` for a continuous one, ``pmf``
for a discrete one), its exact mean and variance, and how to draw samples from
a seeded :func:`numpy.random.default_rng`, so that the same seed always gives
the same sample and a picture in the book is the same on every run.

:func:`sample_means` draws many samples of size :math:`n` and returns their
means; :func:`clt_gaussian` is the Gaussian that the central limit theorem
says those means approach, :math:`\\mathcal N(\\mu, \\sigma^2/n)`.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "Distribution", "Gaussian", "Uniform", "Exponential", "Bernoulli", "Binomial", "Categorical",
    "DISTRIBUTIONS", "make_distribution", "density", "sample_means", "clt_gaussian", "as_rng",
]


def as_rng(rng=0) -> np.random.Generator:
    """A NumPy generator: ``rng`` itself if it is one, else ``np.random.default_rng(rng)`` (a seed)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def _positive(name: str, value) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number; got {value!r}")
    return value


def _probability(name: str, value) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} is a probability, so it must lie in [0, 1]; got {value!r}")
    return value


class Distribution:
    """What every distribution offers: ``mean``, ``variance``, ``std``, ``sample(size, rng)``.

    Continuous distributions add ``pdf(x)``; discrete ones add ``pmf(k)`` and
    ``support`` (the integers with nonzero probability). ``plot_range`` is an
    interval that holds nearly all the probability, for pictures.
    """

    name = "distribution"
    discrete = False

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def variance(self) -> float:
        raise NotImplementedError

    @property
    def std(self) -> float:
        """The standard deviation, :math:`\\sigma = \\sqrt{\\operatorname{Var}[X]}`."""
        return math.sqrt(self.variance)

    def sample(self, size, rng=0) -> np.ndarray:
        """Draw ``size`` samples (an int or a shape) with ``rng`` (a Generator or a seed)."""
        return self._sample(as_rng(rng), size)

    def _sample(self, rng, size):
        raise NotImplementedError

    @property
    def plot_range(self):
        """An interval holding (nearly) all the probability; for a discrete one, its support plus half a bar."""
        support = self.support
        return (float(support[0]) - 0.5, float(support[-1]) + 0.5)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


class Gaussian(Distribution):
    """The normal distribution :math:`\\mathcal N(\\mu, \\sigma^2)`: mean ``mean``, standard deviation ``std``."""

    name = "Gaussian"

    def __init__(self, mean: float = 0.0, std: float = 1.0):
        self.mu = float(mean)
        self.sigma = _positive("std", std)

    @property
    def mean(self):
        return self.mu

    @property
    def variance(self):
        return self.sigma**2

    def pdf(self, x):
        """:math:`p(x) = \\frac{1}{\\sigma\\sqrt{2\\pi}} e^{-(x-\\mu)^2/(2\\sigma^2)}`."""
        z = (np.asarray(x, dtype=float) - self.mu) / self.sigma
        return np.exp(-0.5 * z**2) / (self.sigma * math.sqrt(2 * math.pi))

    def _sample(self, rng, size):
        return rng.normal(self.mu, self.sigma, size)

    @property
    def plot_range(self):
        return (self.mu - 4 * self.sigma, self.mu + 4 * self.sigma)

    def __repr__(self):
        return f"Gaussian(mean={self.mu!r}, std={self.sigma!r})"


class Uniform(Distribution):
    """The uniform distribution on :math:`[a, b]` (``low``, ``high``): every point equally likely."""

    name = "uniform"

    def __init__(self, low: float = 0.0, high: float = 1.0):
        self.low, self.high = float(low), float(high)
        if not self.high > self.low:
            raise ValueError(f"a uniform distribution needs low < high; got low={low!r}, high={high!r}")

    @property
    def mean(self):
        return (self.low + self.high) / 2

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12

    def pdf(self, x):
        """:math:`p(x) = 1/(b-a)` on :math:`[a, b]`, zero elsewhere."""
        x = np.asarray(x, dtype=float)
        return np.where((x >= self.low) & (x <= self.high), 1.0 / (self.high - self.low), 0.0)

    def _sample(self, rng, size):
        return rng.uniform(self.low, self.high, size)

    @property
    def plot_range(self):
        margin = 0.25 * (self.high - self.low)
        return (self.low - margin, self.high + margin)


class Exponential(Distribution):
    """The exponential distribution with rate :math:`\\lambda` (``rate``): waiting times, skewed to the right."""

    name = "exponential"

    def __init__(self, rate: float = 1.0):
        self.rate = _positive("rate", rate)

    @property
    def mean(self):
        return 1.0 / self.rate

    @property
    def variance(self):
        return 1.0 / self.rate**2

    def pdf(self, x):
        """:math:`p(x) = \\lambda e^{-\\lambda x}` for :math:`x \\ge 0`, zero for :math:`x < 0`."""
        x = np.asarray(x, dtype=float)
        return np.where(x >= 0, self.rate * np.exp(-self.rate * np.maximum(x, 0.0)), 0.0)

    def _sample(self, rng, size):
        return rng.exponential(1.0 / self.rate, size)

    @property
    def plot_range(self):
        return (-0.5 / self.rate, 6.0 / self.rate)


class Bernoulli(Distribution):
    """A single coin flip: 1 with probability ``p``, 0 otherwise."""

    name = "Bernoulli"
    discrete = True

    def __init__(self, p: float = 0.5):
        self.p = _probability("p", p)

    @property
    def mean(self):
        return self.p

    @property
    def variance(self):
        return self.p * (1 - self.p)

    @property
    def support(self):
        return np.arange(2)

    def pmf(self, k):
        """:math:`P(X=1) = p`, :math:`P(X=0) = 1-p`, zero elsewhere."""
        k = np.asarray(k)
        return np.where(k == 1, self.p, np.where(k == 0, 1 - self.p, 0.0))

    def _sample(self, rng, size):
        return (rng.random(size) < self.p).astype(np.int64)


class Binomial(Distribution):
    """The number of successes in ``trials`` independent flips, each a success with probability ``p``."""

    name = "binomial"
    discrete = True

    def __init__(self, trials: int = 10, p: float = 0.5):
        if int(trials) != trials or trials < 1:
            raise ValueError(f"trials must be a whole number >= 1; got {trials!r}")
        self.trials = int(trials)
        self.p = _probability("p", p)

    @property
    def mean(self):
        return self.trials * self.p

    @property
    def variance(self):
        return self.trials * self.p * (1 - self.p)

    @property
    def support(self):
        return np.arange(self.trials + 1)

    def pmf(self, k):
        """:math:`P(X=k) = \\binom{n}{k} p^k (1-p)^{n-k}` for :math:`k = 0, \\dots, n`."""
        k = np.asarray(k)
        n, p = self.trials, self.p
        flat = []
        for kk in np.ravel(k):
            if kk != int(kk) or not 0 <= kk <= n:
                flat.append(0.0)
                continue
            kk = int(kk)
            if p in (0.0, 1.0):  # all the mass on k = 0 or k = n
                flat.append(float(kk == (n if p == 1.0 else 0)))
                continue
            log_choose = math.lgamma(n + 1) - math.lgamma(kk + 1) - math.lgamma(n - kk + 1)
            flat.append(math.exp(log_choose + kk * math.log(p) + (n - kk) * math.log1p(-p)))
        return np.array(flat).reshape(k.shape)

    def _sample(self, rng, size):
        return rng.binomial(self.trials, self.p, size)


class Categorical(Distribution):
    """One of :math:`K` categories, numbered :math:`0, \\dots, K-1`; ``k`` has probability ``probabilities[k]``."""

    name = "categorical"
    discrete = True

    def __init__(self, probabilities=(0.5, 0.3, 0.2)):
        p = np.asarray(probabilities, dtype=float)
        if p.ndim != 1 or p.size < 1 or np.any(p < 0) or not np.isclose(p.sum(), 1.0, atol=1e-9):
            raise ValueError("probabilities must be a 1-D list of non-negative numbers summing to 1; "
                             f"got {probabilities!r}")
        self.probabilities = p / p.sum()

    @classmethod
    def geometric(cls, categories: int = 5, ratio: float = 0.6) -> "Categorical":
        """Categories whose probabilities shrink by ``ratio`` from one to the next: :math:`p_k \\propto r^k`.

        ``ratio=1`` gives equally likely categories. One number shapes the whole
        distribution, which is what a slider needs.
        """
        if int(categories) != categories or categories < 1:
            raise ValueError(f"categories must be a whole number >= 1; got {categories!r}")
        weights = _positive("ratio", ratio) ** np.arange(int(categories))
        return cls(weights / weights.sum())

    @property
    def mean(self):
        return float(np.sum(np.arange(self.probabilities.size) * self.probabilities))

    @property
    def variance(self):
        k = np.arange(self.probabilities.size)
        return float(np.sum((k - self.mean) ** 2 * self.probabilities))

    @property
    def support(self):
        return np.arange(self.probabilities.size)

    def pmf(self, k):
        """:math:`P(X=k) = p_k` for the categories :math:`k = 0, \\dots, K-1`, zero elsewhere."""
        k = np.asarray(k)
        inside = (k == np.round(k)) & (k >= 0) & (k < self.probabilities.size)
        index = np.where(inside, k, 0).astype(np.int64)
        return np.where(inside, self.probabilities[index], 0.0)

    def _sample(self, rng, size):
        return rng.choice(self.probabilities.size, size=size, p=self.probabilities)

    def __repr__(self):
        return f"Categorical(probabilities={np.round(self.probabilities, 4).tolist()!r})"


#: The explorer's distributions by name.
DISTRIBUTIONS = {
    "gaussian": Gaussian,
    "uniform": Uniform,
    "bernoulli": Bernoulli,
    "binomial": Binomial,
    "categorical": Categorical,
    "exponential": Exponential,
}


def make_distribution(name: str, **parameters) -> Distribution:
    """Build a distribution by name (see :data:`DISTRIBUTIONS`).

    For example ``make_distribution("binomial", trials=10, p=0.3)``.
    """
    try:
        cls = DISTRIBUTIONS[str(name).lower()]
    except KeyError:
        raise ValueError(f"unknown distribution {name!r}; choose one of {sorted(DISTRIBUTIONS)}") from None
    return cls(**parameters)


def density(distribution: Distribution, x) -> np.ndarray:
    """The pdf of a continuous distribution or the pmf of a discrete one, at ``x``."""
    return distribution.pmf(x) if distribution.discrete else distribution.pdf(x)


def sample_means(distribution: Distribution, n: int, repetitions: int = 1000, rng=0) -> np.ndarray:
    """Draw ``repetitions`` independent samples of size ``n`` and return the mean of each.

    The central limit theorem says these means are close to
    :math:`\\mathcal N(\\mu, \\sigma^2/n)` when :math:`n` is large (see :func:`clt_gaussian`),
    whatever the shape of the distribution itself.
    """
    if int(n) != n or n < 1 or int(repetitions) != repetitions or repetitions < 1:
        raise ValueError(f"n and repetitions must be whole numbers >= 1; got n={n!r}, repetitions={repetitions!r}")
    return distribution.sample((int(repetitions), int(n)), rng).mean(axis=1)


def clt_gaussian(distribution: Distribution, n: int) -> Gaussian:
    """The Gaussian :math:`\\mathcal N(\\mu, \\sigma^2/n)` that means of ``n`` draws approach.

    Exact in its first two moments for every :math:`n` (the mean of :math:`n`
    independent draws has mean :math:`\\mu` and variance :math:`\\sigma^2/n`);
    the *shape* becomes Gaussian only as :math:`n` grows. A distribution with
    zero variance (e.g. Bernoulli with p = 0) has no Gaussian limit.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a whole number >= 1; got {n!r}")
    return Gaussian(distribution.mean, distribution.std / math.sqrt(n))
