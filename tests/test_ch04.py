"""Chapter 4's graded exercises: there are enough of them, and their tests tell right answers from wrong ones.

The test cells of the solution notebook are run here in-process, first after the
reference answers (every check must pass), then after typical mistakes (each must
be caught, with a message that names the problem). So no test cell is one that
cannot fail.
"""

import re
from pathlib import Path

import pytest

from dlmath.checks import CheckFailed
from exercise_cells import assert_answers_followed_by_tests, assert_assignment_size, cells_by_id, load, run

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "ch04_probability_statistics" / "ch04_probability_statistics.ipynb"


@pytest.fixture(scope="module")
def notebook():
    return load(SOLUTION)


@pytest.fixture(scope="module")
def cells(notebook):
    return cells_by_id(notebook)


def test_enough_exercises_points_and_hidden_tests(notebook):
    assert_assignment_size(notebook, exercises=6, points=20)


def test_every_answer_cell_is_followed_by_its_test(notebook):
    assert_answers_followed_by_tests(notebook)


@pytest.mark.parametrize("exercise", range(1, 9))
def test_reference_answer_passes_every_check(notebook, cells, exercise):
    printed = run(notebook, cells[f"ex{exercise}_answer"], cells[f"ex{exercise}_test"])
    assert "\u2714" in printed and "\u2718" not in printed


# Typical mistakes, each with a fragment of the message the learner should see.
MISTAKES = {
    "variance divided by n": ("ex1", """
def sample_mean_and_variance(x):
    x = np.asarray(x, dtype=float)
    mean = x.sum() / x.size
    return mean, ((x - mean) ** 2).sum() / x.size
""", "n - 1"),
    "mean and variance as one number": ("ex1", """
def sample_mean_and_variance(x):
    return float(np.sum(x))
""", "wrong shape"),
    "log of the density": ("ex2", """
def gaussian_log_pdf(x, mu, sigma):
    x = np.asarray(x, dtype=float)
    return np.log(np.exp(-(x - mu) ** 2 / (2 * sigma**2)) / np.sqrt(2 * np.pi * sigma**2))
""", "infinity"),
    "prior of spam used for ham": ("ex3", """
def spam_posterior(p_word_given_spam, p_word_given_ham, p_spam):
    return p_word_given_spam * p_spam / (p_word_given_spam * p_spam + p_word_given_ham * p_spam)
""", "denominator"),
    "softmax without the shift": ("ex4", """
def stable_softmax(Z):
    exponentials = np.exp(np.asarray(Z, dtype=float))
    return exponentials / exponentials.sum(axis=1, keepdims=True)
""", "NaN"),
    "softmax over the whole batch": ("ex4", """
def stable_softmax(Z):
    Z = np.asarray(Z, dtype=float)
    exponentials = np.exp(Z - Z.max())
    return exponentials / exponentials.sum()
""", "values are off"),
    "cross-entropy over every class": ("ex5", """
def cross_entropy_loss(labels, probabilities):
    return -np.mean(np.log(probabilities))
""", "TRUE class"),
    "KL with 0 log 0": ("ex6", """
def kl_divergence(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return np.sum(p * np.log(p / q))
""", "NaN"),
    "KL the wrong way round": ("ex6", """
def kl_divergence(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return np.sum(q * np.log(q / p))
""", "order matters"),
    "variance instead of standard deviation": ("ex7", """
def init_std(fan_in, fan_out, kind):
    return 2 / fan_in if kind == "he" else 2 / (fan_in + fan_out)
""", "square root"),
    "unknown kind accepted": ("ex7", """
def init_std(fan_in, fan_out, kind):
    return np.sqrt(2 / fan_in) if kind == "he" else np.sqrt(2 / (fan_in + fan_out))
""", "ValueError"),
    "bootstrap without replacement": ("ex8", """
def bootstrap_interval(correct, num_resamples=2000, confidence=0.95, seed=0):
    correct = np.asarray(correct, dtype=float)
    rng = np.random.default_rng(seed)
    accuracies = [rng.permutation(correct).mean() for _ in range(num_resamples)]
    return tuple(np.percentile(accuracies, [2.5, 97.5]))
""", "WITH replacement"),
    "bootstrap with a fixed 95 %": ("ex8", """
def bootstrap_interval(correct, num_resamples=2000, confidence=0.95, seed=0):
    correct = np.asarray(correct, dtype=float)
    rng = np.random.default_rng(seed)
    accuracies = correct[rng.integers(0, correct.size, size=(num_resamples, correct.size))].mean(axis=1)
    return tuple(np.percentile(accuracies, [2.5, 97.5]))
""", "confidence 0.5"),
    "no return": ("ex8", """
def bootstrap_interval(correct, num_resamples=2000, confidence=0.95, seed=0):
    np.percentile(correct, [2.5, 97.5])
""", "None"),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong answers overflow and divide by zero
@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_typical_mistakes_are_caught_with_a_useful_message(notebook, cells, mistake):
    exercise, wrong_answer, fragment = MISTAKES[mistake]
    with pytest.raises(CheckFailed, match=re.escape(fragment)):
        run(notebook, wrong_answer, cells[f"{exercise}_test"])


@pytest.mark.parametrize("exercise", range(1, 9))
def test_untouched_stub_fails(notebook, cells, exercise):
    stub = re.sub(r"([ \t]*)### BEGIN SOLUTION.*?### END SOLUTION", r"\1# YOUR CODE HERE\n\1raise NotImplementedError()",
                  cells[f"ex{exercise}_answer"], flags=re.S)
    with pytest.raises(CheckFailed, match="not written yet"):
        run(notebook, stub, cells[f"ex{exercise}_test"])
