"""Trusted tests for chapter 4's exercises (instructor-only: never given to students).

One function per graded test cell, named as its grade_id, taking ``(student, rng)``.
Hidden inputs are drawn from ``rng`` at grade time; the expected values come from the
references written here (SciPy and scikit-learn are used on this side only). A question
scores its points when its function returns. The notebook's rule "use NumPy, not SciPy or
scikit-learn" is enforced on every answer cell.
"""

from functools import partial
import ast

import numpy as np
from scipy import special, stats
from sklearn.metrics import log_loss

from dlmath.checks import CheckFailed, call, check_array, check_raises, check_scalar, check_shape, check_true, is_close
from dlmath.grading.rules import forbid

# "Use NumPy; the tests compare with SciPy or scikit-learn, which you should not call in your answers."
LIBRARIES = ["scipy", "sklearn", "stats", "special", "log_loss", "statistics"]
LIBRARIES_WHY = "use NumPy: the tests compare your answer with SciPy and scikit-learn"


# What each exercise asks (book/exercise_catalogue.md): apply a formula the chapter gives, predict,
# derive one it does not give, decide from evidence, or debug given code.
KINDS = {"ex1_test": "apply",
         "ex2_test": "apply",
         "ex3_test": "apply",
         "ex4_test": "apply",
         "ex5_test": "apply",
         "ex6_test": "apply",
         "ex7_test": "apply",
         "ex8_test": "apply",
         "ex9_test": "decide",
         "ex10_test": "derive"}

def _numpy_only(student, answer_id):
    forbid(student, answer_id, LIBRARIES, LIBRARIES_WHY)


_close = partial(is_close, atol=1e-9)   # a known answer, recognised within tolerance


def _forbid_methods(student, answer_id, methods, why):
    """Fail when the answer cell calls ``something.<method>(...)`` for a forbidden method (x.var(), x.mean())."""
    try:
        tree = ast.parse(student.source(answer_id))
    except SyntaxError:
        return  # forbid() has already said the cell is not valid Python
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods:
            raise CheckFailed(f"{answer_id}: calls .{node.func.attr}() (line {node.lineno}), which this exercise "
                              f"rules out: {why}.")


# --- exercise 1: sample mean and variance -------------------------------------------------------------

def ex1_test(student, rng):
    why = "compute the mean and the variance from sums (np.sum or x.sum()), not with np.mean, np.var or np.std"
    _numpy_only(student, "ex1_answer")
    forbid(student, "ex1_answer", ["np.mean", "np.var", "np.std", "np.average", "np.nanmean", "np.nanvar",
                                   "np.nanstd", "np.cov"], why)
    _forbid_methods(student, "ex1_answer", {"mean", "var", "std"}, why)
    sample_mean_and_variance = student.function("sample_mean_and_variance")
    samples = [np.array([2.0, 4, 4, 4, 5, 5, 7, 9]), np.array([1.5, -0.5])]
    samples += [rng.normal(rng.uniform(-5, 5), rng.uniform(0.5, 3), size=n) for n in (3, 17, 1000)]
    for x in samples:
        name = f"sample_mean_and_variance(x of {x.size} values)"
        result = call(sample_mean_and_variance, x, name=name)
        check_shape(result, (2,), name=name, hint="return the pair: `return mean, variance`.", quiet=True)
        mean, variance = result
        n = x.size
        expected_mean = sum(float(v) for v in x) / n
        expected_variance = sum((float(v) - expected_mean) ** 2 for v in x) / (n - 1)
        check_scalar(mean, expected_mean, name=f"{name}: the mean", quiet=True,
                     hint="the mean is the sum of the values divided by n.")
        if _close(variance, expected_variance * (n - 1) / n):
            check_true(False, "this variance is divided by n; the unbiased sample variance divides by n - 1.",
                       name=f"{name}: the variance", hint="divide the sum of squared deviations by n - 1.")
        check_scalar(variance, expected_variance, name=f"{name}: the variance", quiet=True,
                     hint="the sum of the squared deviations from the mean, divided by n - 1.")


# --- exercise 2: the Gaussian log-density --------------------------------------------------------------

def ex2_test(student, rng):
    _numpy_only(student, "ex2_answer")
    gaussian_log_pdf = student.function("gaussian_log_pdf")
    hint = "log p(x) = -(x - mu)^2 / (2 sigma^2) - log(2 pi sigma^2) / 2: check the sign of each term and the 2 sigma^2."
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    check_array(call(gaussian_log_pdf, x, 0.5, 1.5), stats.norm.logpdf(x, loc=0.5, scale=1.5),
                name="gaussian_log_pdf(x, 0.5, 1.5)", hint=hint, quiet=True)
    check_scalar(call(gaussian_log_pdf, 40.0, 0.0, 1.0), stats.norm.logpdf(40.0), name="gaussian_log_pdf(40, 0, 1)",
                 hint="don't take the log of np.exp(...): write the log-density directly.", quiet=True)
    mu, sigma = rng.uniform(-1, 1), rng.uniform(0.005, 0.05)
    grid = rng.uniform(-3, 3, size=(3, 4))
    check_array(call(gaussian_log_pdf, grid, mu, sigma), stats.norm.logpdf(grid, loc=mu, scale=sigma),
                name="gaussian_log_pdf on a 3 × 4 array with a small sigma (far from the mean in sigmas)",
                hint="don't take the log of np.exp(...): far from the mean the density underflows to 0. " + hint,
                quiet=True)
    mu, sigma = rng.uniform(-1, 1), rng.uniform(1.5, 3.0)
    fine = np.linspace(-30, 30, 60_001)
    values = call(gaussian_log_pdf, fine, mu, sigma)
    check_array(values, stats.norm.logpdf(fine, loc=mu, scale=sigma), name="gaussian_log_pdf on a fine grid",
                hint=hint, quiet=True)
    check_scalar(np.trapezoid(np.exp(np.asarray(values, dtype=float)), fine), 1.0, rtol=1e-6,
                 name="the area under exp(log pdf)", hint="the normalising term is -log(2 pi sigma^2) / 2.", quiet=True)


# --- exercise 3: Bayes' rule for a spam word ----------------------------------------------------------

def _posterior_from_odds(likelihood_spam, likelihood_ham, prior):
    # the odds form of Bayes' rule: posterior odds = prior odds × likelihood ratio
    with np.errstate(divide="ignore"):
        odds = np.asarray(prior / (1 - prior) * likelihood_spam / likelihood_ham, dtype=float)
    return np.where(np.isinf(odds), 1.0, odds / (1 + odds))


def ex3_test(student, rng):
    _numpy_only(student, "ex3_answer")
    spam_posterior = student.function("spam_posterior")
    hint = ("the denominator is P(word) = P(word|spam) P(spam) + P(word|ham) (1 - P(spam)), and the prior P(spam) "
            "multiplies the likelihood in the numerator.")
    check_scalar(call(spam_posterior, 0.2, 0.02, 0.4), 0.08 / 0.092, name="spam_posterior(0.2, 0.02, 0.4)",
                 hint=hint, quiet=True)
    check_scalar(call(spam_posterior, 0.05, 0.05, 0.3), 0.3, name="spam_posterior(0.05, 0.05, 0.3)", quiet=True,
                 hint="a word equally common in spam and ham should leave the prior unchanged; " + hint)
    likelihood_spam, likelihood_ham, prior = rng.uniform(0.01, 0.99, size=(3, 20))
    check_array(call(spam_posterior, likelihood_spam, likelihood_ham, prior),
                _posterior_from_odds(likelihood_spam, likelihood_ham, prior), name="spam_posterior on arrays",
                hint=hint, quiet=True)
    a, b = rng.uniform(0.05, 0.9, size=2)
    check_scalar(call(spam_posterior, a, b, 0.0), 0.0, name="spam_posterior with prior 0", hint=hint, quiet=True)
    check_scalar(call(spam_posterior, a, b, 1.0), 1.0, name="spam_posterior with prior 1", hint=hint, quiet=True)


# --- exercise 4: a numerically stable softmax ----------------------------------------------------------

def ex4_test(student, rng):
    _numpy_only(student, "ex4_answer")
    stable_softmax = student.function("stable_softmax")
    hint = "subtract each row's maximum (axis=1, keepdims=True), exponentiate, then divide by each row's sum."
    Z = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1001.0], [-5.0, 0.0, 5.0]])
    check_array(call(stable_softmax, Z), special.softmax(Z, axis=1), name="stable_softmax(the example)", hint=hint,
                quiet=True)
    Z = rng.normal(0.0, 300.0, size=(50, 7))
    expected = special.softmax(Z, axis=1)
    probabilities = check_array(call(stable_softmax, Z), expected, name="stable_softmax on large logits (50 × 7)",
                                hint=hint, quiet=True)
    check_array(probabilities.sum(axis=1), np.ones(50), name="the row sums of stable_softmax",
                hint="each row (one example) must sum to 1: sum over axis=1.", quiet=True)
    check_array(call(stable_softmax, Z - 2000.0), expected, name="stable_softmax(Z - 2000)", hint=hint, quiet=True)
    small = rng.normal(size=(4, 3))
    check_array(call(stable_softmax, small), special.softmax(small, axis=1), name="stable_softmax of small logits",
                hint="one softmax per row: the maximum and the sum are taken along axis=1.", quiet=True)
    check_array(call(stable_softmax, np.array([[0.5, -0.5]])), special.softmax([[0.5, -0.5]], axis=1),
                name="stable_softmax of a single row", hint=hint, quiet=True)


# --- exercise 5: cross-entropy ------------------------------------------------------------------------

def ex5_test(student, rng):
    _numpy_only(student, "ex5_answer")
    cross_entropy_loss = student.function("cross_entropy_loss")
    hint = "take the probability of the TRUE class in each row, then -mean(log) over the n examples."
    labels = np.array([0, 2, 1, 2])
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25], [0.3, 0.3, 0.4]])
    check_scalar(call(cross_entropy_loss, labels, probabilities), log_loss(labels, probabilities, labels=[0, 1, 2]),
                 name="cross_entropy_loss(the 4 examples)", hint=hint, quiet=True)
    n = int(rng.integers(100, 300))
    probabilities = rng.dirichlet(np.ones(10), size=n)
    labels = rng.integers(0, 10, size=n)
    expected = -sum(np.log(probabilities[i, labels[i]]) for i in range(n)) / n
    got = call(cross_entropy_loss, labels, probabilities)
    if _close(got, expected * n):
        check_true(False, "this is the sum over the examples; the loss is their mean.",
                   name=f"cross_entropy_loss on {n} examples", hint="divide by n (or use the mean).")
    check_scalar(got, expected, name=f"cross_entropy_loss on {n} examples", hint=hint, quiet=True)
    check_scalar(call(cross_entropy_loss, labels, np.full((n, 10), 0.1)), np.log(10),
                 name="cross_entropy_loss of uniform predictions (log K)", hint=hint, quiet=True)


# --- exercise 6: KL divergence ------------------------------------------------------------------------

def ex6_test(student, rng):
    _numpy_only(student, "ex6_answer")
    kl_divergence = student.function("kl_divergence")
    hint = "sum p * log(p / q) with the natural log; the order matters: KL(p || q) is not KL(q || p)."
    p, q = np.array([0.7, 0.2, 0.1]), np.array([0.5, 0.3, 0.2])
    check_scalar(call(kl_divergence, p, q), stats.entropy(p, q), name="kl_divergence(p, q)", hint=hint, quiet=True)
    check_scalar(call(kl_divergence, p, p), 0.0, atol=1e-12, name="kl_divergence(p, p)", hint=hint, quiet=True)
    zero_hint = "leave out the outcomes where p is 0 (0 · log 0 would give NaN)."
    p_with_zero = np.array([0.5, 0.5, 0.0])
    check_scalar(call(kl_divergence, p_with_zero, q), stats.entropy(p_with_zero, q),
                 name="kl_divergence with p_k = 0", hint=zero_hint, quiet=True)
    for _ in range(10):
        p, q = rng.dirichlet(np.ones(6), size=2)
        p[rng.integers(0, 6)] = 0.0
        p /= p.sum()
        expected = sum(pk * np.log(pk / qk) for pk, qk in zip(p, q) if pk > 0)
        value = check_scalar(call(kl_divergence, p, q), expected, name="kl_divergence of random pairs with a zero in p",
                             hint=hint + " " + zero_hint, quiet=True)
        check_true(value >= 0, "KL divergence must never be negative.", name="kl_divergence", hint=hint)


# --- exercise 7: initialisation scales ----------------------------------------------------------------

def ex7_test(student, rng):
    _numpy_only(student, "ex7_answer")
    init_std = student.function("init_std")
    cases = [(256, 128), (3, 1000)] + [tuple(int(v) for v in rng.integers(1, 2000, size=2)) for _ in range(3)]
    for fan_in, fan_out in cases:
        for kind, variance, hint in (
                ("he", 2 / fan_in, "He: the variance is 2 / fan_in; return its square root."),
                ("glorot", 2 / (fan_in + fan_out),
                 "Glorot uses both widths: 2 / (fan_in + fan_out), then the square root.")):
            name = f'init_std({fan_in}, {fan_out}, "{kind}")'
            got = call(init_std, fan_in, fan_out, kind, name=name)
            if _close(got, variance) and not _close(variance, np.sqrt(variance)):
                check_true(False, "this is the variance; the question asks for the standard deviation.",
                           name=name, hint="take the square root of the variance.")
            check_scalar(got, np.sqrt(variance), name=name, hint=hint, quiet=True)
    for kind in ("lecun", "xavier", "relu"):
        check_raises(init_std, (10, 10, kind), ValueError, name=f'init_std(10, 10, "{kind}")', quiet=True,
                     hint="an unknown kind must raise a ValueError (raise ValueError(...)), not fall back to a default.")


# --- exercise 8: a bootstrap interval -----------------------------------------------------------------

def _reference_interval(correct, num_resamples, confidence, seed):
    generator = np.random.default_rng(seed)
    n = len(correct)
    accuracies = np.array([correct[generator.integers(0, n, size=n)].mean() for _ in range(num_resamples)])
    tail = 100 * (1 - confidence) / 2
    return np.percentile(accuracies, [tail, 100 - tail])


def _check_interval(bootstrap_interval, correct, confidence, seed, atol):
    name = f"bootstrap_interval at confidence {confidence}"
    result = call(bootstrap_interval, correct, 2000, confidence, seed, name=name)
    check_shape(result, (2,), name=name, hint="return the pair: `return lower, upper`.", quiet=True)
    lower, upper = float(result[0]), float(result[1])
    accuracy = float(np.mean(correct))
    check_true(lower <= accuracy <= upper, "the interval does not contain the accuracy of `correct`.", name=name,
               hint="take percentiles of the resampled accuracies, not of `correct` itself.")
    check_array([lower, upper], _reference_interval(correct, 4000, confidence, seed + 100), atol=atol, rtol=0,
                name=name, quiet=True,
                hint="resample WITH replacement, n indices per resample; use the percentiles 100(1-c)/2 and "
                     "100(1+c)/2 of the confidence c you are given.")
    return lower, upper


def ex8_test(student, rng):
    _numpy_only(student, "ex8_answer")
    forbid(student, "ex8_answer", ["scipy.stats.bootstrap", "stats.bootstrap"],
           "write the resampling yourself with rng.integers")
    bootstrap_interval = student.function("bootstrap_interval")
    correct = np.concatenate([np.ones(87), np.zeros(13)])
    _check_interval(bootstrap_interval, correct, 0.95, 0, atol=0.02)
    p = rng.uniform(0.5, 0.9)
    many = (rng.random(2_000) < p).astype(float)
    seed = int(rng.integers(0, 1000))
    wide = _check_interval(bootstrap_interval, many, 0.95, seed, atol=0.005)
    narrow = _check_interval(bootstrap_interval, many, 0.5, seed, atol=0.005)
    check_true(narrow[1] - narrow[0] < wide[1] - wide[0], "a 50% interval should be narrower than a 95% interval.",
               name="bootstrap_interval", hint="use the confidence you are given for the percentiles.")
    # Reproducible: the same seed, the same interval. With 2,000 resamples an unseeded generator gave the same
    # pair twice in about 6% of tries (measured); with 101 resamples, in about 1 in 1,500, and here a third call
    # must agree too. tests/test_grading_ch04.py keeps that mutant and grades it many times.
    first = call(bootstrap_interval, many, 101, 0.95, seed)
    for _ in range(2):
        check_array(call(bootstrap_interval, many, 101, 0.95, seed), first, name="the same seed, three calls (reproducible)",
                    hint="make the generator with np.random.default_rng(seed) inside the function.", quiet=True)
    # ... and the seed it is given: three other seeds must not all give that interval. For a right answer two
    # seeds agree in about 1 in 1,500 tries, so all four agree in fewer than one grading in a billion.
    others = [call(bootstrap_interval, many, 101, 0.95, seed + k) for k in (1, 2, 3)]
    check_true(any(not np.array_equal(np.asarray(other, dtype=float), np.asarray(first, dtype=float)) for other in others),
               "other seeds give exactly the same interval: the seed you are given is not used.",
               name="bootstrap_interval with other seeds",
               hint="make the generator with np.random.default_rng(seed) inside the function.")
    check_array(call(bootstrap_interval, np.ones(30)), [1.0, 1.0], name="bootstrap_interval of a perfect score",
                quiet=True)


# --- exercise 9: is the gain real? (decide with a paired test) ----------------------------------------

def _mcnemar_p(correct_a, correct_b):
    only_a = int(np.sum(correct_a & ~correct_b))
    only_b = int(np.sum(~correct_a & correct_b))
    if only_a + only_b == 0:
        return 1.0
    return min(1.0, 2.0 * float(stats.binom.cdf(min(only_a, only_b), only_a + only_b, 0.5)))


def _paired_examples(rng, n, p_a, p_b, agreement):
    """0/1 correctness of two models on the same n examples; ``agreement`` of the examples get the same outcome."""
    a = rng.random(n) < p_a
    b = np.where(rng.random(n) < agreement, a, rng.random(n) < p_b)
    return a, b


def ex9_test(student, rng):
    forbid(student, "ex9_answer", LIBRARIES + ["mcnemar_exact", "stats_paired", "statsmodels", "binom"],
           "derive the binomial tail yourself, with math.comb")
    gain_is_real = student.function("gain_is_real")
    evidence = ("only the examples on which the models disagree carry evidence: with b = #(only A right) and "
                "c = #(only B right), under H0 b is Binomial(b + c, 1/2); the two-sided p-value doubles the "
                "smaller tail, P(X ≤ min(b, c)), and is capped at 1.")
    example_a = np.array([1] * 2 + [0] * 10 + [1] * 80 + [0] * 8, dtype=bool)
    example_b = np.array([0] * 2 + [1] * 10 + [1] * 80 + [0] * 8, dtype=bool)
    cases = [(example_a, example_b, 0.05, "the example (2 against 10)"),
             (example_a, example_b, 0.01, "the example at alpha=0.01")]
    cases.append((np.array([1, 0, 1, 0, 1, 1], dtype=bool), np.array([0, 1, 0, 1, 1, 1], dtype=bool), 0.05,
                  "each model right alone twice"))
    cases.append((np.array([1, 1, 0, 1], dtype=bool), np.array([1, 1, 0, 1], dtype=bool), 0.05,
                  "models that never disagree"))
    for n, p_a, p_b, agreement, alpha in ((300, 0.80, 0.86, 0.7, 0.05), (2000, 0.90, 0.915, 0.85, 0.05),
                                          (150, 0.7, 0.7, 0.5, 0.01), (500, 0.6, 0.66, 0.6, 0.01)):
        a, b = _paired_examples(rng, n, p_a, p_b, agreement)
        cases.append((a, b, alpha, f"{n} examples, alpha={alpha}"))
    for a, b, alpha, description in cases:
        name = f"gain_is_real({description})"
        result = call(gain_is_real, a.astype(int), b.astype(int), alpha, name=name)
        check_true(isinstance(result, (tuple, list)) and len(result) == 2, "return the pair (p_value, real).",
                   name=name, hint="end with `return p_value, real`.")
        p_value, real = result
        expected = _mcnemar_p(a, b)
        check_scalar(p_value, expected, rtol=1e-9, atol=1e-12, name=f"{name}: the p-value", hint=evidence, quiet=True)
        check_true(bool(real) == (expected < alpha), f"the decision should be {expected < alpha} (real when "
                   "p_value < alpha).", name=f"{name}: the decision",
                   hint="use the alpha you are given: real = p_value < alpha.")


# --- exercise 10: the rate of spot-machine reclaims, from censored times (derive) --------------------------

def _spot_jobs(rng, n, rate, longest_job):
    """n jobs on spot machines: lifetimes ~ Exponential(rate), jobs of uniform length; each stops at the first of the two."""
    lifetimes = rng.exponential(1 / rate, size=n)
    job_lengths = rng.uniform(0.1, longest_job, size=n)
    return np.minimum(lifetimes, job_lengths), lifetimes <= job_lengths


def ex10_test(student, rng):
    _numpy_only(student, "ex10_answer")
    reclaim_rate = student.function("reclaim_rate")
    derivation = ("write the likelihood: a reclaimed job contributes the density of its time, and a job that finished "
                  "first only the probability that the machine lasted longer; take the log, set its derivative in λ "
                  "to zero and solve.")
    cases = [("the example", np.array([2.5, 6.0, 1.5, 4.0, 9.0]), np.array([True, False, True, True, False])),
             ("every machine reclaimed", np.array([1.0, 2.0, 3.0]), np.array([True, True, True]))]
    for n, rate, longest_job in ((40, 0.3, 8.0), (500, 0.05, 10.0), (200, 1.2, 2.0), (1000, 0.5, 24.0)):
        hours, reclaimed = _spot_jobs(rng, n, rate, longest_job)
        while not reclaimed.any():  # at least one reclaim, so that the estimate exists
            hours, reclaimed = _spot_jobs(rng, n, rate, longest_job)
        cases.append((f"{n} jobs, {reclaimed.sum()} reclaimed", hours, reclaimed))
    hours, reclaimed = _spot_jobs(rng, 30, 0.4, 6.0)
    reclaimed[0] = True
    cases.append(("30 jobs, reclaimed given as 0/1 integers in lists", hours.tolist(), reclaimed.astype(int).tolist()))
    for what, hours, reclaimed in cases:
        name = f"reclaim_rate({what})"
        got = call(reclaim_rate, hours, reclaimed, name=name, hint=derivation)
        t = np.asarray(hours, dtype=float)
        event = np.asarray(reclaimed).astype(bool)
        k, exposure = int(event.sum()), float(t.sum())
        expected = k / exposure
        try:
            value = float(np.asarray(got, dtype=float).reshape(()))
        except (TypeError, ValueError):
            value = None
        if value is not None and not _close(value, expected, rtol=1e-9, atol=0):
            mistakes = {}
            if not event.all():
                mistakes["the jobs that finished first were left out: each of them still ran its hours without being "
                          "reclaimed, which is evidence that reclaims are rare"] = k / float(t[event].sum())
                mistakes["every job was counted as reclaimed: a job that finished first tells you only that the "
                          "machine lasted longer, P(T > t) = 1 - F(t), not the density at t"] = t.size / exposure
            mistakes["this is a time (hours per reclaim, the mean lifetime 1/λ); the question asks for the rate λ, "
                     "in reclaims per hour"] = exposure / k
            for mistake, wrong in mistakes.items():
                if _close(value, wrong, rtol=1e-9, atol=0):
                    check_true(False, mistake + ".", name=name, hint=derivation)
            check_true(np.isfinite(value) and value > 0, "a rate of reclaims is a positive number of reclaims per "
                       "hour, and this is not one.", name=name, hint=derivation)
            if value > 0:
                slope = k / value - exposure  # d/dλ of the log-likelihood k log λ - λ Σ t, at the student's λ
                direction = "larger" if slope > 0 else "smaller"
                check_true(False, f"this λ does not maximise the log-likelihood of these jobs: it still grows if λ is "
                                  f"made {direction}, so its derivative is not zero there.", name=name,
                           hint=derivation + " A grid search or an optimiser is not accurate enough: the grader asks "
                                             "for 9 significant digits.")
        check_scalar(got, expected, rtol=1e-9, atol=0, name=name, quiet=True, hint=derivation)
    for what, hours in (("no machine reclaimed", [3.0, 5.5, 2.0]), ("a single job, finished", [4.0])):
        check_raises(reclaim_rate, (hours, [False] * len(hours)), ValueError, name=f"reclaim_rate({what})", quiet=True,
                     hint="with no reclaim the log-likelihood, -λ Σ t, grows as λ falls to 0: no λ > 0 maximises it, "
                          "so `raise ValueError(...)` saying so, rather than return 0 or divide by zero.")
