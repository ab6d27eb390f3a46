"""Chapter 4's claims: each number the prose states is recomputed here.

The graded exercises are tested for every chapter alike in tests/test_exercises.py (through the
sandboxed grader, with the kept wrong answers of solutions/ch04_probability_statistics/mutants.py).
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# --- The chapter's claims (issue 20): each number the prose states is recomputed here ----------------

import ast  # noqa: E402

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from dlmath.stats_paired import mcnemar_exact, paired_bootstrap  # noqa: E402

CHAPTER = ROOT / "notebooks" / "04_probability_statistics.ipynb"


def _chapter_function(name):
    """The function `name` as the chapter notebook defines it, executed with NumPy available."""
    notebook = nbformat.read(CHAPTER, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                namespace = {"np": np}
                exec(compile(ast.Module(body=[node], type_ignores=[]), str(CHAPTER), "exec"), namespace)
                return namespace[name]
    raise AssertionError(f"the chapter no longer defines {name}()")


def _cell_text(cell_id):
    notebook = nbformat.read(CHAPTER, as_version=4)
    cell = next(c for c in notebook.cells if c.get("id") == cell_id)
    if cell.cell_type == "markdown":
        return cell.source
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_the_chapters_sigmoid_is_stable():
    sigmoid = _chapter_function("sigmoid")
    z = np.linspace(-1000, 1000, 2001)
    with np.errstate(over="raise", invalid="raise"):
        values = sigmoid(z)
        with pytest.raises(FloatingPointError):      # the naive form the chapter replaced does overflow
            1 / (1 + np.exp(-z))
    from scipy.special import expit
    np.testing.assert_allclose(values, expit(z), rtol=1e-15, atol=1e-300)
    assert sigmoid(-1000.0) == 0.0 and sigmoid(1000.0) == 1.0


def test_clt_tails_for_exponential_means_match_the_prose():
    # Mean of n Exponential(1) draws ~ Gamma(n, 1/n): the ±1.96 coverage is about 95 % at n = 1 already,
    # while the two tails are 0 and 5.2 %; the largest cdf gap is 0.133/√n (γ φ(0)/6 with γ = 2).
    def tails(n):
        mean = stats.gamma(n, scale=1 / n)
        return mean.cdf(1 - 1.96 / np.sqrt(n)), mean.sf(1 + 1.96 / np.sqrt(n))

    below, above = tails(1)
    assert below == 0.0 and round(above, 3) == 0.052 and abs(below + above - 0.05) < 0.003
    assert [round(t, 3) for t in tails(30)] == [0.014, 0.034]
    assert [round(t, 3) for t in tails(100)] == [0.019, 0.030]
    grid = np.linspace(-6, 12, 20_001)
    for n in (2, 10, 100):
        gap = np.max(np.abs(stats.gamma(n, scale=1 / n).cdf(1 + grid / np.sqrt(n)) - stats.norm.cdf(grid)))
        np.testing.assert_allclose(gap * np.sqrt(n), 2 * stats.norm.pdf(0) / 6, rtol=0.01)
    # For Gaussian data the coverage check holds exactly at n = 1, so it cannot demonstrate the CLT.
    np.testing.assert_allclose(2 * stats.norm.sf(1.96), 0.05, atol=1e-4)
    prose = _cell_text("cell-027b")
    printed = _cell_text("cell-027")
    for number in ("0.0518", "0.0140", "0.0340", "0.0192", "0.0302"):
        assert number in printed
    for claim in ("5.2 %", "1.4 % and 3.4 %", "1.9 % and 3.0 %", "0.133"):
        assert claim in prose


def test_residual_variance_of_a_fitted_line_needs_n_minus_2():
    rng = np.random.default_rng(0)
    n, sigma = 8, 0.5
    x = rng.uniform(-2, 2, size=n)
    design = np.column_stack([x, np.ones(n)])
    y = design @ [1.5, -0.5] + rng.normal(0, sigma, size=(40_000, n))
    fitted, *_ = np.linalg.lstsq(design, y.T, rcond=None)
    rss = np.sum((y - (design @ fitted).T) ** 2, axis=1)
    np.testing.assert_allclose(np.mean(rss / (n - 2)), sigma**2, rtol=0.02)
    assert abs(np.mean(rss / (n - 1)) / sigma**2 - 1) > 0.1          # the n − 1 mix-up is rejected
    assert "n - 2" in _cell_text("cell-058b") and "RSS / (n - 2) = 0.1600" in _cell_text("cell-058c")


def test_mcnemar_exact_is_the_binomial_test_on_disagreements():
    rng = np.random.default_rng(1)
    for _ in range(20):
        a = rng.random(150) < 0.9
        b = np.where(rng.random(150) < 0.8, a, rng.random(150) < 0.85)
        result = mcnemar_exact(a, b)
        only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
        assert (result.only_a, result.only_b) == (only_a, only_b)
        expected = stats.binomtest(only_a, only_a + only_b, 0.5).pvalue if only_a + only_b else 1.0
        np.testing.assert_allclose(result.p_value, expected, rtol=1e-12)
        np.testing.assert_allclose(mcnemar_exact(b, a).p_value, result.p_value)   # symmetric
    # The chapter's numbers: 10 examples only logistic regression gets right, 2 only the tree.
    a = np.r_[np.ones(10), np.zeros(2), np.ones(131)]
    b = np.r_[np.zeros(10), np.ones(2), np.ones(131)]
    assert round(mcnemar_exact(a, b).p_value, 4) == 0.0386
    assert mcnemar_exact(a, a).p_value == 1.0
    with pytest.raises(ValueError, match="same length"):
        mcnemar_exact([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="0/1"):
        mcnemar_exact([0.5, 1.0], [1, 0])


def test_paired_bootstrap_uses_the_same_examples_for_both_models():
    rng = np.random.default_rng(2)
    hard = rng.random(300) < 0.15                  # examples both models tend to get wrong
    a = (~hard | (rng.random(300) < 0.3)).astype(float)
    b = (~hard | (rng.random(300) < 0.1)).astype(float) * (rng.random(300) < 0.97)
    result = paired_bootstrap(a, b, num_resamples=4000, rng=3)
    np.testing.assert_allclose(result.difference, a.mean() - b.mean())
    assert result.low < result.difference < result.high
    again = paired_bootstrap(a, b, num_resamples=4000, rng=3)
    assert (again.low, again.high) == (result.low, result.high)
    # Resampling the two models independently (the unpaired mistake) gives a wider spread.
    resample = np.random.default_rng(4).integers(0, 300, size=(2, 4000, 300))
    unpaired = a[resample[0]].mean(axis=1) - b[resample[1]].mean(axis=1)
    assert result.replicates.std() < 0.8 * unpaired.std()
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap(a, b, confidence=95)


# --- Exercise 10 (derive): the instructor's answer is the maximum of the censored likelihood ---------------

SOLUTIONS = ROOT / "solutions" / "ch04_probability_statistics" / "ch04_probability_statistics.ipynb"


def _solution_function(name):
    """The function `name` as the solution notebook's answer cell defines it, with NumPy available."""
    for cell in nbformat.read(SOLUTIONS, as_version=4).cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution") and f"def {name}(" in cell.source:
            namespace = {"np": np}
            exec(compile(cell.source, str(SOLUTIONS), "exec"), namespace)
            return namespace[name]
    raise AssertionError(f"the solution notebook no longer defines {name}()")


def test_reclaim_rate_maximises_the_censored_likelihood_and_the_naive_estimates_are_biased():
    from scipy.optimize import minimize_scalar

    reclaim_rate = _solution_function("reclaim_rate")

    def negative_log_likelihood(rate, hours, reclaimed):
        # seen lifetimes: the density; jobs that finished first: the survival function P(T > t), both from SciPy
        return -(stats.expon.logpdf(hours[reclaimed], scale=1 / rate).sum()
                 + stats.expon.logsf(hours[~reclaimed], scale=1 / rate).sum())

    rng = np.random.default_rng(40)
    for n, rate, longest_job in ((30, 0.3, 8.0), (400, 0.05, 10.0), (200, 1.2, 2.0)):
        lifetimes = rng.exponential(1 / rate, size=n)
        job_lengths = rng.uniform(0.1, longest_job, size=n)
        hours, reclaimed = np.minimum(lifetimes, job_lengths), lifetimes <= job_lengths
        assert 0 < reclaimed.sum() < n
        estimate = reclaim_rate(hours, reclaimed)
        best = minimize_scalar(negative_log_likelihood, bounds=(1e-6, 50.0), method="bounded",
                               args=(hours, reclaimed), options={"xatol": 1e-10})
        np.testing.assert_allclose(estimate, best.x, rtol=1e-6)
        for other in (estimate * 0.99, estimate * 1.01):
            assert negative_log_likelihood(other, hours, reclaimed) > negative_log_likelihood(estimate, hours, reclaimed)
    # On many machines the estimate finds the true rate; dropping the finished jobs, or counting them as
    # reclaimed, does not (the two mistakes the exercise's feedback names).
    rate = 0.2
    lifetimes = rng.exponential(1 / rate, size=200_000)
    job_lengths = rng.uniform(0.1, 6.0, size=lifetimes.size)
    hours, reclaimed = np.minimum(lifetimes, job_lengths), lifetimes <= job_lengths
    np.testing.assert_allclose(reclaim_rate(hours, reclaimed), rate, rtol=0.02)
    assert 1 / hours[reclaimed].mean() > 2 * rate             # only the seen lifetimes: far too many reclaims
    assert 1 / hours.mean() > 1.5 * rate                      # every job counted as reclaimed: too many as well
    with pytest.raises(ValueError, match="no machine was reclaimed"):
        reclaim_rate([3.0, 5.5], [False, False])
