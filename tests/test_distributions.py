"""The maths of the distribution explorer: exact densities and moments, seeded samples, the CLT."""

import math

import numpy as np
import pytest

from dlmath import distributions as D

EXAMPLES = [
    D.Gaussian(1.5, 0.7),
    D.Uniform(-1.0, 3.0),
    D.Exponential(2.0),
    D.Bernoulli(0.3),
    D.Binomial(12, 0.35),
    D.Categorical([0.1, 0.2, 0.4, 0.3]),
    D.Categorical.geometric(6, 0.5),
]
IDS = [repr(d) for d in EXAMPLES]


def _normal_cdf(z):
    return 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))


@pytest.mark.parametrize("dist", EXAMPLES, ids=IDS)
def test_exact_moments_agree_with_the_density(dist):
    if dist.discrete:
        k = dist.support
        p = dist.pmf(k)
        np.testing.assert_allclose(p.sum(), 1.0, rtol=1e-12)
        mean = np.sum(k * p)
        variance = np.sum((k - mean) ** 2 * p)
        assert dist.pmf(np.array([-1, k[-1] + 1])).sum() == 0.0
    else:
        low, high = dist.plot_range
        x = np.linspace(low - 10 * dist.std, high + 10 * dist.std, 400_001)
        p = dist.pdf(x)
        np.testing.assert_allclose(np.trapezoid(p, x), 1.0, atol=1e-4)
        mean = np.trapezoid(x * p, x)
        variance = np.trapezoid((x - mean) ** 2 * p, x)
    np.testing.assert_allclose(mean, dist.mean, atol=1e-4)
    np.testing.assert_allclose(variance, dist.variance, atol=1e-4)
    np.testing.assert_allclose(dist.std, math.sqrt(dist.variance))


def test_closed_forms():
    assert D.Gaussian(2.0, 3.0).variance == 9.0
    assert D.Uniform(0.0, 6.0).variance == 3.0
    assert D.Exponential(4.0).mean == 0.25
    assert D.Binomial(10, 0.3).mean == pytest.approx(3.0)
    assert D.Binomial(10, 0.3).variance == pytest.approx(2.1)
    np.testing.assert_allclose(D.Gaussian(0, 1).pdf(0.0), 1 / math.sqrt(2 * math.pi))


def test_binomial_pmf_is_the_counting_formula():
    n, p = 10, 0.37
    k = np.arange(n + 1)
    expected = [math.comb(n, int(i)) * p**i * (1 - p) ** (n - i) for i in k]
    np.testing.assert_allclose(D.Binomial(n, p).pmf(k), expected, rtol=1e-12)
    # Large n: no overflow, still sums to one.
    np.testing.assert_allclose(D.Binomial(3000, 0.2).pmf(np.arange(3001)).sum(), 1.0, rtol=1e-10)
    # The edge cases p = 0 and p = 1 put all the mass on one end.
    np.testing.assert_array_equal(D.Binomial(4, 0.0).pmf(np.arange(5)), [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(D.Binomial(4, 1.0).pmf(np.arange(5)), [0, 0, 0, 0, 1])


@pytest.mark.parametrize("dist", EXAMPLES, ids=IDS)
def test_sample_moments_approach_the_exact_ones_as_n_grows(dist):
    errors = {}
    for n in (100, 10_000):
        mean_errors, var_errors = [], []
        for seed in range(20):
            x = dist.sample(n, seed)
            mean_errors.append(abs(x.mean() - dist.mean))
            var_errors.append(abs(x.var() - dist.variance))
        errors[n] = (np.mean(mean_errors), np.mean(var_errors))
    # The error of a sample mean shrinks like 1/sqrt(n): 100 times the data, about 10 times smaller.
    assert errors[10_000][0] < errors[100][0] / 4
    assert errors[10_000][1] < errors[100][1] / 4
    # And with many samples the sample mean is within a few standard errors of the exact mean.
    x = dist.sample(1_000_000, 0)
    assert abs(x.mean() - dist.mean) < 5 * dist.std / 1000
    np.testing.assert_allclose(x.var(), dist.variance, rtol=0.02)


@pytest.mark.parametrize("dist", EXAMPLES, ids=IDS)
def test_samples_are_seeded(dist):
    np.testing.assert_array_equal(dist.sample(50, 7), dist.sample(50, 7))
    assert not np.array_equal(dist.sample(50, 7), dist.sample(50, 8))
    np.testing.assert_array_equal(dist.sample(50, np.random.default_rng(7)), dist.sample(50, 7))
    assert dist.sample((3, 4), 0).shape == (3, 4)


@pytest.mark.parametrize("dist", EXAMPLES, ids=IDS)
def test_samples_lie_in_the_support(dist):
    x = dist.sample(5000, 1)
    if dist.discrete:
        assert set(np.unique(x)) <= set(dist.support.tolist())
    elif isinstance(dist, D.Uniform):
        assert x.min() >= dist.low and x.max() <= dist.high
    elif isinstance(dist, D.Exponential):
        assert x.min() >= 0


def test_sample_means_have_the_clt_mean_and_variance():
    dist = D.Exponential(1.0)
    for n in (1, 5, 30):
        means = D.sample_means(dist, n, repetitions=20_000, rng=0)
        assert means.shape == (20_000,)
        gaussian = D.clt_gaussian(dist, n)
        np.testing.assert_allclose(gaussian.variance, dist.variance / n)
        np.testing.assert_allclose(means.mean(), gaussian.mean, atol=4 * gaussian.std / math.sqrt(20_000))
        np.testing.assert_allclose(means.var(), gaussian.variance, rtol=0.05)


def test_means_of_a_skewed_distribution_become_gaussian():
    # Kolmogorov-Smirnov distance between the standardised means and N(0, 1) shrinks with n.
    dist = D.Exponential(1.0)

    def ks_distance(n):
        means = np.sort(D.sample_means(dist, n, repetitions=20_000, rng=1))
        z = (means - dist.mean) / (dist.std / math.sqrt(n))
        empirical = np.arange(1, z.size + 1) / z.size
        return np.max(np.abs(empirical - _normal_cdf(z)))

    distances = [ks_distance(n) for n in (1, 10, 100)]
    assert distances[0] > distances[1] > distances[2]
    assert distances[2] < 0.03


def test_geometric_categorical():
    uniform = D.Categorical.geometric(4, 1.0)
    np.testing.assert_allclose(uniform.probabilities, 0.25)
    shrinking = D.Categorical.geometric(5, 0.5).probabilities
    np.testing.assert_allclose(shrinking[1:] / shrinking[:-1], 0.5)
    np.testing.assert_allclose(shrinking.sum(), 1.0)


def test_make_distribution_and_density():
    dist = D.make_distribution("Binomial", trials=5, p=0.5)
    assert isinstance(dist, D.Binomial)
    np.testing.assert_allclose(D.density(dist, 2), 10 / 32)
    np.testing.assert_allclose(D.density(D.Gaussian(), 0.0), D.Gaussian().pdf(0.0))
    assert set(D.DISTRIBUTIONS) == {"gaussian", "uniform", "bernoulli", "binomial", "categorical", "exponential"}


@pytest.mark.parametrize("build, message", [
    (lambda: D.Gaussian(0.0, 0.0), "std must be a positive number"),
    (lambda: D.Uniform(2.0, 1.0), "needs low < high"),
    (lambda: D.Bernoulli(1.5), r"must lie in \[0, 1\]"),
    (lambda: D.Binomial(0, 0.5), "trials must be a whole number >= 1"),
    (lambda: D.Categorical([0.5, 0.6]), "summing to 1"),
    (lambda: D.Exponential(-1.0), "rate must be a positive number"),
    (lambda: D.make_distribution("poisson"), "unknown distribution 'poisson'"),
    (lambda: D.sample_means(D.Gaussian(), 0), "n and repetitions must be whole numbers"),
])
def test_bad_parameters_get_a_clear_message(build, message):
    with pytest.raises(ValueError, match=message):
        build()
