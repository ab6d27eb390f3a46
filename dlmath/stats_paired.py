"""Comparing two models on the same examples: paired tests.

Two models scored on one test set make mistakes on many of the same examples, so their
accuracies are not independent. Two separate confidence intervals ignore that and are too
wide for the *difference*; a paired method looks at the examples one by one:

* :func:`mcnemar_exact` — McNemar's test: only the examples on which the two models disagree
  carry information. Under "equally good", each disagreement goes either way with probability
  1/2, so the count for model A is Binomial(b + c, 1/2); the two-sided p-value is exact.
* :func:`paired_bootstrap` — resample the examples (the same indices for both models) and
  read the spread of the difference of the two means. Works for any per-example score:
  correct (1/0), a squared error, a log-loss.

Chapter 4 teaches both; chapters 5 and 6 use them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats

__all__ = ["McNemarResult", "PairedBootstrapResult", "mcnemar_exact", "paired_bootstrap"]


class McNemarResult(NamedTuple):
    only_a: int       # examples model A gets right and model B wrong
    only_b: int       # examples model B gets right and model A wrong
    p_value: float    # exact two-sided p-value of "A and B are equally accurate"


class PairedBootstrapResult(NamedTuple):
    difference: float  # mean(scores_a) - mean(scores_b) on the given examples
    low: float         # percentile interval of the difference
    high: float
    replicates: np.ndarray


def _paired(a, b, name_a="correct_a", name_b="correct_b"):
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must be 1-D and of the same length (one value per example); "
                         f"got shapes {a.shape} and {b.shape}")
    if a.size == 0:
        raise ValueError("no examples to compare")
    return a, b


def mcnemar_exact(correct_a, correct_b) -> McNemarResult:
    """McNemar's exact test on per-example correctness (booleans or 0/1), same examples in the same order.

    With b = #(A right, B wrong) and c = #(A wrong, B right), the p-value is
    min(1, 2 P(X ≤ min(b, c))) for X ~ Binomial(b + c, 1/2); it is 1 when the models never disagree.
    """
    a, b = _paired(correct_a, correct_b)
    for name, values in (("correct_a", a), ("correct_b", b)):
        if not np.all((values == 0) | (values == 1)):
            raise ValueError(f"{name} must hold 0/1 or True/False per example (was each prediction right?)")
    a, b = a.astype(bool), b.astype(bool)
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    disagreements = only_a + only_b
    if disagreements == 0:
        return McNemarResult(only_a, only_b, 1.0)
    p_value = min(1.0, 2.0 * float(stats.binom.cdf(min(only_a, only_b), disagreements, 0.5)))
    return McNemarResult(only_a, only_b, p_value)


def paired_bootstrap(scores_a, scores_b, *, num_resamples=10_000, confidence=0.95, rng=None
                     ) -> PairedBootstrapResult:
    """Percentile bootstrap interval for mean(scores_a) − mean(scores_b), resampling examples in pairs.

    ``scores_a[i]`` and ``scores_b[i]`` must belong to the same example ``i``; each resample draws
    n example indices with replacement and uses them for both models. ``rng`` is a NumPy Generator
    (or a seed) so the interval is reproducible.
    """
    a, b = _paired(scores_a, scores_b, "scores_a", "scores_b")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1; got {confidence}")
    rng = np.random.default_rng(rng)
    differences = a.astype(float) - b.astype(float)
    indices = rng.integers(0, differences.size, size=(int(num_resamples), differences.size))
    replicates = differences[indices].mean(axis=1)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(replicates, [tail, 100 - tail])
    return PairedBootstrapResult(float(differences.mean()), float(low), float(high), replicates)
