"""Trusted tests of the toy assignment (the grader's own tests use it)."""

import numpy as np

from dlmath.checks import call, check_array, check_raises, check_scalar
from dlmath.grading.rules import forbid


def ex1_test(student, rng):
    column_means = student.function("column_means")
    for shape in [(2, 2), (5, 3), (1, 4)]:
        X = rng.normal(size=shape)
        expected = np.array([sum(X[:, j]) / shape[0] for j in range(shape[1])])
        check_array(call(column_means, X), expected, name=f"column_means(shape {shape})", quiet=True,
                    hint="average down each column: axis=0.")


def ex2_test(student, rng):
    forbid(student, "ex2_answer", ["np.linalg.det"], "compute the determinant from its formula")
    det2 = student.function("det2")
    for _ in range(3):
        A = rng.normal(size=(2, 2))
        check_scalar(call(det2, A), A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0], name="det2", quiet=True,
                     hint="ad - bc.")


def ex3_test(student, rng):
    safe_divide = student.function("safe_divide")
    check_scalar(call(safe_divide, 7.0, 2.0), 3.5, name="safe_divide(7, 2)", quiet=True)
    check_raises(safe_divide, (1.0, 0), ValueError, name="safe_divide(1, 0)")
