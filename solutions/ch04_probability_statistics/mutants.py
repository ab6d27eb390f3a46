"""Wrong answers real students write, kept to prove that the trusted tests reject them.

Each mutant replaces one answer cell's source; its question must score below full marks, and
the failed check's message must contain ``feedback``. Seeded from the typical mistakes of
tests/test_ch04.py.
"""

_MV = "def sample_mean_and_variance(x):\n    x = np.asarray(x, dtype=float)\n{body}"
_LOGPDF = "def gaussian_log_pdf(x, mu, sigma):\n    x = np.asarray(x, dtype=float)\n{body}"
_SOFTMAX = "def stable_softmax(Z):\n    Z = np.asarray(Z, dtype=float)\n{body}"
_CE = ("def cross_entropy_loss(labels, probabilities):\n    labels = np.asarray(labels)\n"
       "    probabilities = np.asarray(probabilities, dtype=float)\n{body}")
_KL = "def kl_divergence(p, q):\n    p = np.asarray(p, dtype=float)\n    q = np.asarray(q, dtype=float)\n{body}"
_BOOT = ("def bootstrap_interval(correct, num_resamples=2000, confidence=0.95, seed=0):\n"
         "    correct = np.asarray(correct, dtype=float)\n{body}")

MUTANTS = [
    # exercise 1
    {"answer": "ex1_answer", "mistake": "variance divided by n",
     "source": _MV.format(body="    mean = x.sum() / x.size\n    return mean, ((x - mean) ** 2).sum() / x.size\n"),
     "feedback": "n - 1"},
    {"answer": "ex1_answer", "mistake": "mean and variance as one number",
     "source": _MV.format(body="    return float(np.sum(x))\n"), "feedback": "wrong shape"},
    {"answer": "ex1_answer", "mistake": "the forbidden np.var",
     "source": _MV.format(body="    return x.sum() / x.size, np.var(x, ddof=1)\n"), "feedback": "np.var"},
    {"answer": "ex1_answer", "mistake": "the array methods x.mean() and x.var()",
     "source": _MV.format(body="    return x.mean(), x.var(ddof=1)\n"), "feedback": ".mean()"},
    {"answer": "ex1_answer", "mistake": "deviations from 0 instead of the mean",
     "source": _MV.format(body="    n = x.size\n    return x.sum() / n, (x ** 2).sum() / (n - 1)\n"),
     "feedback": "squared deviations from the mean"},
    # exercise 2
    {"answer": "ex2_answer", "mistake": "log of the density",
     "source": _LOGPDF.format(body="    return np.log(np.exp(-(x - mu) ** 2 / (2 * sigma**2)) / np.sqrt(2 * np.pi * sigma**2))\n"),
     "feedback": "infinity"},
    {"answer": "ex2_answer", "mistake": "sigma instead of 2 sigma^2 in the denominator",
     "source": _LOGPDF.format(body="    return -((x - mu) ** 2) / (2 * sigma) - 0.5 * np.log(2 * np.pi * sigma**2)\n"),
     "feedback": "2 sigma^2"},
    {"answer": "ex2_answer", "mistake": "normalising term forgotten",
     "source": _LOGPDF.format(body="    return -((x - mu) ** 2) / (2 * sigma**2)\n"), "feedback": "sign of each term"},
    {"answer": "ex2_answer", "mistake": "SciPy's logpdf",
     "source": _LOGPDF.format(body="    return stats.norm.logpdf(x, loc=mu, scale=sigma)\n"), "feedback": "use NumPy"},
    # exercise 3
    {"answer": "ex3_answer", "mistake": "prior of spam used for ham",
     "source": "def spam_posterior(p_word_given_spam, p_word_given_ham, p_spam):\n"
               "    return p_word_given_spam * p_spam / (p_word_given_spam * p_spam + p_word_given_ham * p_spam)\n",
     "feedback": "denominator"},
    {"answer": "ex3_answer", "mistake": "no normalisation: the joint probability",
     "source": "def spam_posterior(p_word_given_spam, p_word_given_ham, p_spam):\n"
               "    return p_word_given_spam * p_spam\n", "feedback": "P(word)"},
    {"answer": "ex3_answer", "mistake": "the likelihood ratio taken as the posterior",
     "source": "def spam_posterior(p_word_given_spam, p_word_given_ham, p_spam):\n"
               "    return p_word_given_spam / (p_word_given_spam + p_word_given_ham)\n", "feedback": "prior"},
    # exercise 4
    {"answer": "ex4_answer", "mistake": "softmax without the shift",
     "source": _SOFTMAX.format(body="    exponentials = np.exp(Z)\n"
                                    "    return exponentials / exponentials.sum(axis=1, keepdims=True)\n"),
     "feedback": "NaN"},
    {"answer": "ex4_answer", "mistake": "softmax over the whole batch",
     "source": _SOFTMAX.format(body="    exponentials = np.exp(Z - Z.max())\n    return exponentials / exponentials.sum()\n"),
     "feedback": "each row"},
    {"answer": "ex4_answer", "mistake": "maximum and sum along axis 0",
     "source": _SOFTMAX.format(body="    exponentials = np.exp(Z - Z.max(axis=0, keepdims=True))\n"
                                    "    return exponentials / exponentials.sum(axis=0, keepdims=True)\n"),
     "feedback": "axis=1"},
    {"answer": "ex4_answer", "mistake": "SciPy's softmax",
     "source": _SOFTMAX.format(body="    return special.softmax(Z, axis=1)\n"), "feedback": "use NumPy"},
    # exercise 5
    {"answer": "ex5_answer", "mistake": "cross-entropy over every class",
     "source": _CE.format(body="    return -np.mean(np.log(probabilities))\n"), "feedback": "TRUE class"},
    {"answer": "ex5_answer", "mistake": "sum instead of mean",
     "source": _CE.format(body="    return -np.sum(np.log(probabilities[np.arange(labels.size), labels]))\n"),
     "feedback": "mean"},
    {"answer": "ex5_answer", "mistake": "the minus sign forgotten",
     "source": _CE.format(body="    return np.mean(np.log(probabilities[np.arange(labels.size), labels]))\n"),
     "feedback": "-mean(log)"},
    {"answer": "ex5_answer", "mistake": "scikit-learn's log_loss",
     "source": _CE.format(body="    return log_loss(labels, probabilities, labels=range(probabilities.shape[1]))\n"),
     "feedback": "use NumPy"},
    # exercise 6
    {"answer": "ex6_answer", "mistake": "KL with 0 log 0",
     "source": _KL.format(body="    return np.sum(p * np.log(p / q))\n"), "feedback": "NaN"},
    {"answer": "ex6_answer", "mistake": "KL the wrong way round",
     "source": _KL.format(body="    support = q > 0\n    return np.sum(q[support] * np.log(q[support] / p[support]))\n"),
     "feedback": "order matters"},
    {"answer": "ex6_answer", "mistake": "log base 2",
     "source": _KL.format(body="    support = p > 0\n    return np.sum(p[support] * np.log2(p[support] / q[support]))\n"),
     "feedback": "natural log"},
    {"answer": "ex6_answer", "mistake": "SciPy's entropy",
     "source": _KL.format(body="    return stats.entropy(p, q)\n"), "feedback": "use NumPy"},
    # exercise 7
    {"answer": "ex7_answer", "mistake": "variance instead of standard deviation",
     "source": "def init_std(fan_in, fan_out, kind):\n"
               "    if kind == 'he':\n        return 2 / fan_in\n"
               "    if kind == 'glorot':\n        return 2 / (fan_in + fan_out)\n"
               "    raise ValueError(kind)\n", "feedback": "square root"},
    {"answer": "ex7_answer", "mistake": "unknown kind accepted",
     "source": "def init_std(fan_in, fan_out, kind):\n"
               "    return np.sqrt(2 / fan_in) if kind == 'he' else np.sqrt(2 / (fan_in + fan_out))\n",
     "feedback": "ValueError"},
    {"answer": "ex7_answer", "mistake": "Glorot with fan_in only",
     "source": "def init_std(fan_in, fan_out, kind):\n"
               "    if kind == 'he':\n        return np.sqrt(2 / fan_in)\n"
               "    if kind == 'glorot':\n        return np.sqrt(1 / fan_in)\n"
               "    raise ValueError(kind)\n", "feedback": "both widths"},
    {"answer": "ex7_answer", "mistake": "He with 1 / fan_in (LeCun)",
     "source": "def init_std(fan_in, fan_out, kind):\n"
               "    if kind == 'he':\n        return np.sqrt(1 / fan_in)\n"
               "    if kind == 'glorot':\n        return np.sqrt(2 / (fan_in + fan_out))\n"
               "    raise ValueError(kind)\n", "feedback": "2 / fan_in"},
    # exercise 8
    {"answer": "ex8_answer", "mistake": "bootstrap without replacement",
     "source": _BOOT.format(body="    rng = np.random.default_rng(seed)\n"
                                 "    accuracies = [rng.permutation(correct).mean() for _ in range(num_resamples)]\n"
                                 "    tail = 100 * (1 - confidence) / 2\n"
                                 "    return tuple(np.percentile(accuracies, [tail, 100 - tail]))\n"),
     "feedback": "WITH replacement"},
    {"answer": "ex8_answer", "mistake": "bootstrap with a fixed 95 %",
     "source": _BOOT.format(body="    rng = np.random.default_rng(seed)\n"
                                 "    accuracies = correct[rng.integers(0, correct.size, size=(num_resamples, correct.size))].mean(axis=1)\n"
                                 "    return tuple(np.percentile(accuracies, [2.5, 97.5]))\n"),
     "feedback": "confidence"},
    {"answer": "ex8_answer", "mistake": "no return",
     "source": _BOOT.format(body="    np.percentile(correct, [2.5, 97.5])\n"), "feedback": "None"},
    {"answer": "ex8_answer", "mistake": "SciPy's bootstrap",
     "source": _BOOT.format(body="    result = stats.bootstrap((correct,), np.mean, n_resamples=num_resamples, "
                                 "confidence_level=confidence, method='percentile', rng=np.random.default_rng(seed))\n"
                                 "    return result.confidence_interval.low, result.confidence_interval.high\n"),
     "feedback": "use NumPy"},
    {"answer": "ex8_answer", "mistake": "generator not seeded from seed",
     "source": _BOOT.format(body="    rng = np.random.default_rng()\n"
                                 "    accuracies = correct[rng.integers(0, correct.size, size=(num_resamples, correct.size))].mean(axis=1)\n"
                                 "    tail = 100 * (1 - confidence) / 2\n"
                                 "    return tuple(np.percentile(accuracies, [tail, 100 - tail]))\n"),
     "feedback": "default_rng(seed)"},
    {"answer": "ex8_answer", "mistake": "a fixed seed, whatever seed is given",
     "source": _BOOT.format(body="    rng = np.random.default_rng(0)\n"
                                 "    accuracies = correct[rng.integers(0, correct.size, size=(num_resamples, correct.size))].mean(axis=1)\n"
                                 "    tail = 100 * (1 - confidence) / 2\n"
                                 "    return tuple(np.percentile(accuracies, [tail, 100 - tail]))\n"),
     "feedback": "other seeds"},
]

_GAIN = ("import math\n\n\ndef gain_is_real(correct_a, correct_b, alpha=0.05):\n"
         "    correct_a = np.asarray(correct_a).astype(bool)\n    correct_b = np.asarray(correct_b).astype(bool)\n"
         "    only_a = int(np.sum(correct_a & ~correct_b))\n    only_b = int(np.sum(~correct_a & correct_b))\n"
         "    n = only_a + only_b\n    if n == 0:\n        return 1.0, False\n{body}")

MUTANTS += [
    {"answer": "ex9_answer", "mistake": "one-sided: the tail not doubled",
     "source": _GAIN.format(body="    p = sum(math.comb(n, k) for k in range(min(only_a, only_b) + 1)) / 2**n\n"
                                 "    return p, p < alpha\n"),
     "feedback": "doubles the smaller tail"},
    {"answer": "ex9_answer", "mistake": "p-value not capped at 1",
     "source": _GAIN.format(body="    p = 2 * sum(math.comb(n, k) for k in range(min(only_a, only_b) + 1)) / 2**n\n"
                                 "    return p, p < alpha\n"),
     "feedback": "capped at 1"},
    {"answer": "ex9_answer", "mistake": "unpaired: a two-proportion z-test on the accuracies",
     "source": _GAIN.format(body="    m = correct_a.size\n    pa, pb = correct_a.mean(), correct_b.mean()\n"
                                 "    pooled = (pa + pb) / 2\n"
                                 "    z = abs(pb - pa) / math.sqrt(2 * pooled * (1 - pooled) / m)\n"
                                 "    p = math.erfc(z / math.sqrt(2))\n    return p, p < alpha\n"),
     "feedback": "disagree"},
    {"answer": "ex9_answer", "mistake": "binomial over every example, not the disagreements",
     "source": _GAIN.format(body="    m = correct_a.size\n"
                                 "    p = min(1.0, 2 * sum(math.comb(m, k) for k in range(min(only_a, only_b) + 1)) / 2**m)\n"
                                 "    return p, p < alpha\n"),
     "feedback": "disagree"},
    {"answer": "ex9_answer", "mistake": "the library's mcnemar_exact",
     "source": "from dlmath.stats_paired import mcnemar_exact\n\n\n"
               "def gain_is_real(correct_a, correct_b, alpha=0.05):\n"
               "    p = mcnemar_exact(correct_a, correct_b).p_value\n    return p, p < alpha\n",
     "feedback": "rules out"},
    {"answer": "ex9_answer", "mistake": "alpha fixed at 0.05",
     "source": _GAIN.format(body="    p = min(1.0, 2 * sum(math.comb(n, k) for k in range(min(only_a, only_b) + 1)) / 2**n)\n"
                                 "    return p, p < 0.05\n"),
     "feedback": "the alpha you are given"},
]

_RATE = ("def reclaim_rate(hours, reclaimed):\n    hours = np.asarray(hours, dtype=float)\n"
         "    reclaimed = np.asarray(reclaimed).astype(bool)\n{body}")
_NONE = "    if not reclaimed.any():\n        raise ValueError('no machine was reclaimed')\n"

MUTANTS += [
    # exercise 10 (derive)
    {"answer": "ex10_answer", "mistake": "drops the jobs that finished first (1 / mean of the seen lifetimes)",
     "source": _RATE.format(body=_NONE + "    return 1 / hours[reclaimed].mean()\n"),
     "feedback": "finished first were left out"},
    {"answer": "ex10_answer", "mistake": "counts every job as reclaimed (1 / mean of all the hours)",
     "source": _RATE.format(body=_NONE + "    return 1 / hours.mean()\n"),
     "feedback": "counted as reclaimed"},
    {"answer": "ex10_answer", "mistake": "returns the mean lifetime 1/λ instead of the rate",
     "source": _RATE.format(body=_NONE + "    return hours.sum() / reclaimed.sum()\n"),
     "feedback": "asks for the rate"},
    {"answer": "ex10_answer", "mistake": "returns 0 when nothing was reclaimed",
     "source": _RATE.format(body="    return reclaimed.sum() / hours.sum()\n"),
     "feedback": "ValueError"},
    {"answer": "ex10_answer", "mistake": "a grid search over λ (3 digits)",
     "source": _RATE.format(body=_NONE + "    grid = np.linspace(0.001, 5.0, 5000)\n"
                                         "    log_likelihood = reclaimed.sum() * np.log(grid) - grid * hours.sum()\n"
                                         "    return grid[np.argmax(log_likelihood)]\n"),
     "feedback": "derivative is not zero"},
    {"answer": "ex10_answer", "mistake": "an 'unbiased' (k - 1) / Σ t",
     "source": _RATE.format(body=_NONE + "    return (reclaimed.sum() - 1) / hours.sum()\n"),
     "feedback": "made larger"},
    {"answer": "ex10_answer", "mistake": "the example's answer typed in",
     "source": _RATE.format(body=_NONE + "    return 0.13043478260869565\n"),
     "feedback": "does not maximise the log-likelihood"},
    {"answer": "ex10_answer", "mistake": "SciPy's exponential fit on the seen lifetimes",
     "source": _RATE.format(body=_NONE + "    loc, scale = stats.expon.fit(hours[reclaimed], floc=0)\n    return 1 / scale\n"),
     "feedback": "use NumPy"},
]
