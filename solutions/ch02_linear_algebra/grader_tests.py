"""Trusted tests for chapter 2's exercises (instructor-only: never given to students).

One function per graded test cell, named as its grade_id, taking ``(student, rng)``.
Inputs are drawn from ``rng`` at grade time; expected values come from the references
written here. A question scores its points when its function returns.
"""

import ast

import numpy as np

from dlmath.checks import CheckFailed, call, check_array, check_scalar, check_shape, check_true
from dlmath.grading.rules import forbid, forbid_loops


# What each exercise asks (book/exercise_catalogue.md): apply a formula the chapter gives, predict,
# derive one it does not give, decide from evidence, or debug given code.
KINDS = {"ex1_test": "apply",
         "ex2_test": "apply",
         "ex3_test": "apply",
         "ex4_test": "apply",
         "ex5_test": "apply",
         "ex6_test": "apply",
         "ex7_test": "apply",
         "ex8_test": "decide",
         "ex9_test": "derive"}

def _same(a, b, rtol=1e-6, atol=1e-9):
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _raised(function, *args):
    """The exception function(*args) raised, or None (with what it returned)."""
    try:
        return None, function(*args)
    except Exception as error:  # the student's exception is what we look at
        return error, None


# --- exercise 1: matrix product with loops ----------------------------------------------------------

def _matmul_by_definition(A, B):
    m, p = A.shape
    C = np.zeros((m, B.shape[1]))
    for i in range(m):
        for j in range(B.shape[1]):
            C[i, j] = sum(A[i, l] * B[l, j] for l in range(p))
    return C


def ex1_test(student, rng):
    why = "write the sum over l of A[i, l] * B[l, j] yourself, with loops"
    forbid(student, "ex1_answer", ["np.matmul", "np.dot", "np.einsum", "np.tensordot", "np.inner", "np.vdot",
                                   "np.outer", "np.linalg.multi_dot", "tf.matmul", "tf.linalg.matmul", "tf.tensordot",
                                   "tf.einsum", "__matmul__"], why)
    matmul_loops = student.function("matmul_loops")
    call(matmul_loops, np.ones((1, 1)), np.ones((1, 1)), name="matmul_loops(a 1x1 by a 1x1 matrix)")
    tree = ast.parse(student.source("ex1_answer"))
    if any(isinstance(node, (ast.MatMult,)) for node in ast.walk(tree)):
        raise CheckFailed(f"ex1_answer: uses the @ operator, which this exercise rules out: {why}.")
    if not any(isinstance(node, (ast.For, ast.While)) for node in ast.walk(tree)):
        raise CheckFailed(f"ex1_answer: has no loop, but this exercise asks for the product computed with Python "
                          f"loops from its definition: {why}.")
    matmul_loops = student.function("matmul_loops")
    hint = "entry (i, j) is the sum over l of A[i, l] * B[l, j]; the result has shape (A.shape[0], B.shape[1])."
    cases = [(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0], [6.0]])), (np.array([[3.0]]), np.array([[-2.0]]))]
    for m, p, q in [(4, 3, 5), (1, 6, 1), (6, 1, 4), (3, 7, 2)]:
        cases.append((rng.normal(size=(m, p)), rng.normal(size=(p, q))))
    cases.append((rng.integers(-5, 5, size=(3, 4)), rng.integers(-5, 5, size=(4, 2))))
    for A, B in cases:
        label = f"matmul_loops(A {A.shape}, B {B.shape})"
        got = call(matmul_loops, A, B, name=label, hint=hint)
        check_array(got, _matmul_by_definition(np.asarray(A, float), np.asarray(B, float)), name=label, quiet=True,
                    hint=hint)
    for a_shape, b_shape in [((2, 3), (2, 3)), ((4, 2), (3, 4)), ((3, 5), (4, 5))]:
        label = f"matmul_loops(A {a_shape}, B {b_shape})"
        error, got = _raised(matmul_loops, np.ones(a_shape), np.ones(b_shape))
        if error is None:
            raise CheckFailed(f"{label}: the inner sizes differ, but no ValueError was raised. hint: compare "
                              "A.shape[1] with B.shape[0] before the loops, and `raise ValueError(...)`.")
        if not isinstance(error, ValueError):
            raise CheckFailed(f"{label}: raised {type(error).__name__} where ValueError was expected (the loops "
                              "failed before any check). hint: compare A.shape[1] with B.shape[0] before the loops.")
        if str(a_shape) not in str(error) or str(b_shape) not in str(error):
            raise CheckFailed(f"{label}: the ValueError's message does not name both shapes {a_shape} and "
                              f"{b_shape}. hint: put A.shape and B.shape into the message.")


# --- exercise 2: cosine similarity ------------------------------------------------------------------

def _cosines(E):
    n = len(E)
    return np.array([[E[i] @ E[j] / (np.linalg.norm(E[i]) * np.linalg.norm(E[j])) for j in range(n)] for i in range(n)])


def ex2_test(student, rng):
    cosine_similarity_matrix = student.function("cosine_similarity_matrix")
    hint = "divide each row by its L2 norm (np.linalg.norm(E, axis=1, keepdims=True)), then multiply by the transpose."
    E_big = rng.normal(size=(9, 16))
    cases = [np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]]), rng.normal(size=(5, 4)) * [1, 2, 3, 4], E_big,
             E_big * rng.uniform(0.1, 10.0, size=(9, 1)), np.array([[1.0, 2.0, 3.0], [-2.0, -4.0, -6.0]])]
    for E in cases:
        label = f"cosine_similarity_matrix(E of shape {E.shape})"
        got = call(cosine_similarity_matrix, E, name=label, hint=hint)
        check_shape(got, (len(E), len(E)), name=label, quiet=True, hint="one row and one column per row of E: E @ E.T.")
        if not _same(np.diag(np.asarray(got, dtype=float)), np.ones(len(E))):
            check_true(False, "a row does not have cosine 1 with itself: the rows are not normalised by their own "
                              "length.", name=label,
                       hint="divide each row by its own L2 norm: np.linalg.norm(E, axis=1, keepdims=True) (axis=1: "
                            "along the row).")
        check_array(got, _cosines(E), name=label, quiet=True, hint=hint)


# --- exercise 3: sales totals -----------------------------------------------------------------------

def ex3_test(student, rng):
    forbid_loops(student, "ex3_answer", "one matrix product gives every region's total")
    sales_totals = student.function("sales_totals")
    regions, products = int(rng.integers(3, 7)), int(rng.integers(2, 6))
    units = rng.integers(0, 200, size=(regions, products)).astype(float)
    prices = np.round(rng.uniform(0.5, 9.0, size=products), 2)
    lists = np.stack([prices, 0.8 * prices, prices + 1.0], axis=1)
    for u, p in [(np.array([[1.0, 2.0], [3.0, 0.0]]), np.array([10.0, 5.0])), (units, prices), (units, lists),
                 (units.T[:1].T, prices[:1])]:
        label = f"sales_totals(units {u.shape}, prices {p.shape})"
        expected = np.array([sum(u[i, j] * p[j] for j in range(u.shape[1])) for i in range(u.shape[0])])
        got = call(sales_totals, u, p, name=label,
                   hint="region i's revenue is the dot product of row i of units with the prices: units @ prices; "
                        "with price lists as columns (products, k), the same product gives one column per list.")
        check_array(got, expected, name=label, quiet=True,
                    hint="units @ prices: with prices of shape (products,) the result has shape (regions,), with price "
                         "lists as columns (products, k) it has shape (regions, k).")


# --- exercise 4: rotation ---------------------------------------------------------------------------

def ex4_test(student, rng):
    rotation_matrix = student.function("rotation_matrix")
    angles = [np.pi / 2, 0.3, 0.0, -1.3, 2.2, 10.0] + list(rng.uniform(-4, 4, size=3))
    for angle in angles:
        label = f"rotation_matrix({angle:.4g})"
        R = np.asarray(check_shape(call(rotation_matrix, float(angle), name=label), (2, 2), name=label, quiet=True,
                                   hint="return a (2, 2) array."), dtype=float)
        expected = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        if not _same(R, expected, atol=1e-12):
            if _same(R, expected.T, atol=1e-12):
                check_true(False, "this matrix turns clockwise: the transpose of the counter-clockwise rotation.",
                           name=label, hint="the first column is where (1, 0) goes: (cos, sin); the second is where "
                                            "(0, 1) goes: (-sin, cos).")
            d = np.radians(angle)
            if _same(R, [[np.cos(d), -np.sin(d)], [np.sin(d), np.cos(d)]], atol=1e-12):
                check_true(False, "the angle was treated as degrees; it is given in radians.", name=label,
                           hint="np.cos and np.sin take radians: use the angle as it is.")
        point = rng.normal(size=2)
        z = (point[0] + 1j * point[1]) * np.exp(1j * angle)
        check_array(R @ point, [z.real, z.imag], atol=1e-12, name=f"{label} @ {np.round(point, 3)}", quiet=True,
                    hint="the first column is where (1, 0) goes: (cos, sin); the second is where (0, 1) goes: "
                         "(-sin, cos). A counter-clockwise turn by a positive angle.")


# --- exercise 5: one attention head -----------------------------------------------------------------

def _softmax_rows(S):
    S = S - S.max(axis=1, keepdims=True)
    E = np.exp(S)
    return E / E.sum(axis=1, keepdims=True)


def _attention(X, W_Q, W_K, W_V, scale=None, axis=1):
    S = (X @ W_Q) @ (X @ W_K).T / np.sqrt(W_K.shape[1] if scale is None else scale)
    A = _softmax_rows(S) if axis == 1 else _softmax_rows(S.T).T
    return A @ (X @ W_V)


def ex5_test(student, rng):
    attention_head = student.function("attention_head")
    hint = ("scores = Q @ K.T / sqrt(d_k); the softmax runs along each row (axis=1, keepdims=True); "
            "the output is weights @ V.")
    X_long = rng.normal(size=(7, 5))
    W_Q, W_K, W_V = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    W_V_wide = rng.normal(size=(5, 6))
    cases = [("3 tokens", rng.normal(size=(3, 5)), W_Q, W_K, W_V), ("7 tokens", X_long, W_Q, W_K, W_V),
             ("d_v = 6, d_k = 3", X_long, W_Q, W_K, W_V_wide), ("one token", rng.normal(size=(1, 5)), W_Q, W_K, W_V),
             ("scores in the thousands", 60.0 * X_long, W_Q, W_K, W_V)]
    for what, X, Wq, Wk, Wv in cases:
        label = f"attention_head({what})"
        got = call(attention_head, X, Wq, Wk, Wv, name=label, hint=hint)
        check_shape(got, (len(X), Wv.shape[1]), name=label, quiet=True,
                    hint="the output has one row per token and d_v columns: weights (t, t) @ V (t, d_v).")
        got = np.asarray(got, dtype=float)
        expected = _attention(X, Wq, Wk, Wv)
        if not np.all(np.isfinite(got)):
            check_true(False, "the output holds nan or inf: the exponentials of large scores overflow.", name=label,
                       hint="subtract each row's maximum score before np.exp (it does not change the softmax).")
        if not _same(got, expected, rtol=1e-6, atol=1e-9):
            mistakes = {"the scores are scaled by sqrt(d_v), the width of W_V; scale by sqrt(d_k), the width of W_K":
                        _attention(X, Wq, Wk, Wv, scale=Wv.shape[1]),
                        "the scores are not divided by sqrt(d_k)": _attention(X, Wq, Wk, Wv, scale=1.0),
                        "the softmax runs down each column (axis=0); it must run along each row (axis=1)":
                        _attention(X, Wq, Wk, Wv, axis=0)}
            for mistake, values in mistakes.items():
                if _same(got, values):
                    check_true(False, f"{mistake}.", name=label, hint=hint)
        check_array(got, expected, name=label, quiet=True, hint=hint)


# --- exercise 6: PCA --------------------------------------------------------------------------------

def _pca_reference(X):
    centred = X - X.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(centred, rowvar=False))
    return centred @ eigenvectors[:, ::-1][:, :2]


def _check_projection(pca_2d, X, name):
    expected = _pca_reference(X)
    got = check_shape(call(pca_2d, X, name=name), expected.shape, name=name, quiet=True,
                      hint="return one row per example and one column per component: shape (n, 2).")
    got = np.asarray(got, dtype=float)
    signs = np.where(np.sum(got * expected, axis=0) < 0, -1.0, 1.0)
    if not _same(got * signs, expected, rtol=1e-6, atol=1e-6):
        if not _same(got.mean(axis=0), np.zeros(2), atol=1e-6):
            check_true(False, "the projected data is not centred: subtract the mean of each column "
                              "(X.mean(axis=0)) before the SVD and the projection.", name=name,
                       hint="X_c = X - X.mean(axis=0); project X_c, not X.")
        check_array(got * signs, expected, atol=1e-6, rtol=1e-6, name=name, quiet=True,
                    hint="the principal components are the first two ROWS of Vt (columns of Vt.T), largest "
                         "variance first; project the centred data: X_c @ Vt[:2].T.")


def ex6_test(student, rng):
    pca_2d = student.function("pca_2d")
    direction = np.array([3.0, 4.0]) / 5.0
    cloud = np.outer(rng.normal(scale=5.0, size=400), direction) + rng.normal(scale=0.3, size=(400, 2))
    cloud = np.hstack([cloud, rng.normal(scale=0.1, size=(400, 3))]) + 7.0
    mixed = rng.normal(size=(60, 6)) @ rng.normal(size=(6, 6)) + rng.uniform(-20, 20, size=6)
    toy = np.array([[3.0, 0.0], [-3.0, 0.0], [0.0, 1.0], [0.0, -1.0]]) + 10.0
    for X, name in [(toy, "pca_2d(toy data shifted by 10)"), (cloud, "pca_2d(a cloud stretched along (3, 4, 0, 0, 0) / 5)"),
                    (mixed, "pca_2d(60 correlated examples in 6-D)")]:
        _check_projection(pca_2d, X, name)
    Z = np.asarray(call(pca_2d, cloud), dtype=float)
    check_array(Z.var(axis=0, ddof=1), np.linalg.eigvalsh(np.cov(cloud, rowvar=False))[::-1][:2], rtol=1e-6,
                name="variances of the two columns = the top two eigenvalues of the covariance", quiet=True)


# --- exercise 7: areas ------------------------------------------------------------------------------

def _polygon_area(corners):
    x, y = corners[:, 0], corners[:, 1]
    return abs(0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def ex7_test(student, rng):
    forbid(student, "ex7_answer", ["np.linalg.det", "np.linalg.slogdet", "scipy.linalg.det", "tf.linalg.det",
                                   "tf.linalg.logdet", "np.linalg.eigvals", "np.linalg.eig", "np.linalg.svd",
                                   "np.cross"],
           "compute the determinant yourself from the entries, ad - bc")
    transformed_area = student.function("transformed_area")
    hint = "multiply the area by the absolute value of a*d - b*c."
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    cases = [(np.array([[2.0, 0.0], [0.0, 3.0]]), 1.5), (np.array([[0.0, 1.0], [1.0, 0.0]]), 2.0),
             (np.array([[1.0, 0.0], [0.0, 0.0]]), 3.0), (np.array([[1.5, 0.8], [0.3, 1.0]]), 4.0)]
    cases += [(rng.normal(size=(2, 2)), float(rng.uniform(0.1, 5))) for _ in range(6)]
    for A, area in cases:
        label = f"transformed_area({np.round(A, 3).tolist()}, {area:.4g})"
        expected = _polygon_area(square @ A.T) * area
        got = call(transformed_area, A, area, name=label)
        try:
            value = float(got)
        except (TypeError, ValueError):
            value = None
        a, b, c, d = A.ravel()
        if value is not None and not np.isclose(value, expected) and np.isclose(value, (a * d - b * c) * area):
            check_true(False, "the answer is negative for a map that flips the plane: an area is never negative.",
                       name=label, hint="take the absolute value of the determinant: abs(a*d - b*c).")
        if value is not None and not np.isclose(value, expected) and np.isclose(value, abs(a * d - b * c)):
            check_true(False, "the result does not depend on the area you are given.", name=label,
                       hint="multiply |det A| by `area`.")
        check_scalar(got, expected, atol=1e-12, rtol=1e-9, name=label, quiet=True, hint=hint)


# --- exercise 8: least squares you can trust (decide) -----------------------------------------------

def _ill_conditioned(rng, n, d, condition, residual_scale=1.0):
    """X = U diag(s) Vᵀ with singular values from 1 down to 1/condition, and y = X w + a residual ⟂ range(X).

    With a residual, even the best method's error grows like cond² · ‖r‖ (Golub and Van Loan, 5.3.8): the
    nearly parallel cases are fitted exactly (residual_scale=0), where a backward-stable method loses
    about cond · eps and the normal equations about cond² · eps.
    """
    U, _ = np.linalg.qr(rng.normal(size=(n, n)))
    V, _ = np.linalg.qr(rng.normal(size=(d, d)))
    s = np.geomspace(1.0, 1.0 / condition, d)
    X = U[:, :d] * s @ V.T
    w = rng.normal(size=d)
    residual = residual_scale * U[:, d:] @ rng.normal(size=n - d)          # orthogonal to every column: w stays the solution
    return X, X @ w + residual, w


def ex8_test(student, rng):
    least_squares = student.function("least_squares")
    cases = [("a well-conditioned X", *_ill_conditioned(rng, 30, 3, 10.0)),
             ("a (5, 2) X, condition 1e3", *_ill_conditioned(rng, 5, 2, 1e3)),
             ("nearly parallel columns, condition 1e6", *_ill_conditioned(rng, 40, 4, 1e6, 0.0)),
             ("nearly parallel columns, condition 1e7", *_ill_conditioned(rng, 60, 5, 1e7, 0.0))]
    for what, X, y, w in cases:
        label = f"least_squares({what})"
        got = call(least_squares, X, y, name=label)
        got = check_shape(got, w.shape, name=label, quiet=True, hint="return one weight per column of X: shape (d,).")
        error = np.linalg.norm(np.asarray(got, dtype=float) - w) / np.linalg.norm(w)
        if error > 1e-6 and np.linalg.cond(X) < 1e4:
            check_true(False, f"w is off by a relative {error:.1e}: it is not the least-squares solution, where "
                              "Xᵀ(Xw − y) = 0 (use every row of X).", name=label,
                       hint="np.linalg.lstsq(X, y, rcond=None) returns it.")
        if error > 1e-6:
            residual_ok = np.linalg.norm(X.T @ (X @ np.asarray(got, dtype=float) - y)) < 1e-6 * np.linalg.norm(X.T @ y)
            check_true(False, f"w is off by a relative {error:.1e} (6 digits asked){' although Xᵀ(Xw − y) is small' if residual_ok else ''}: "
                              "the method loses digits when cond(X) is large. Forming Xᵀ X (the normal equations, "
                              "or its inverse) squares the condition number.", name=label,
                       hint="use a method that works on X itself, such as np.linalg.lstsq (SVD) or a QR factorisation.")


# --- exercise 9: project onto the column space of any matrix (derive) ----------------------------------

def _column_space_basis(A):
    """Orthonormal columns spanning the column space of A: the left singular vectors with σ_i > tolerance."""
    U, singular_values, _ = np.linalg.svd(A, full_matrices=False)
    tolerance = singular_values.max(initial=0.0) * max(A.shape) * np.finfo(float).eps
    return U, singular_values, int(np.sum(singular_values > tolerance))


def _projection_cases(rng):
    """(what, A, b, rank): tall and wide matrices of full and deficient rank, at several scales."""
    x1, x2 = rng.normal(size=(2, 9))
    dependent = rng.normal(size=(10, 2)) @ rng.normal(size=(2, 4))                    # 4 columns, rank 2
    cases = [("the chapter's M, columns a1, a2, a1 + 2 a2", np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 2.0], [1.0, 1.0, 3.0]]),
              np.array([0.0, 0.0, 1.0]), 2),
             ("the chapter's tiny regression", np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]), np.array([1.0, 0.5, 2.5]), 2),
             ("independent columns, (8, 3)", rng.normal(size=(8, 3)), rng.normal(size=8), 3),
             ("dependent columns, (10, 4) of rank 2", dependent, rng.normal(size=10), 2),
             ("a feature recorded twice and one in other units, (9, 4) of rank 2",
              np.stack([x1, x2, x1, 2.54 * x2], axis=1), rng.normal(size=9), 2),
             ("a wide (3, 5) matrix of rank 2", rng.normal(size=(3, 2)) @ rng.normal(size=(2, 5)), rng.normal(size=3), 2),
             ("a wide (3, 5) matrix of rank 3", rng.normal(size=(3, 5)), rng.normal(size=3), 3),
             ("dependent columns with entries about 1e-12 (rank 2)", 1e-12 * dependent, rng.normal(size=10), 2),
             ("dependent columns with entries about 1e12 (rank 2)", 1e12 * dependent, rng.normal(size=10), 2),
             ("b already in the column space", dependent, dependent @ rng.normal(size=4), 2),
             ("the zero matrix (rank 0)", np.zeros((4, 3)), rng.normal(size=4), 0)]
    return cases


def ex9_test(student, rng):
    forbid(student, "ex9_answer", ["np.linalg.lstsq", "np.linalg.pinv", "scipy.linalg.lstsq", "scipy.linalg.pinv",
                                   "scipy.linalg.orth", "scipy.linalg.null_space", "sklearn"],
           "derive the projection yourself: a least-squares solver or a pseudo-inverse would hand it to you")
    project_onto_columns = student.function("project_onto_columns")
    singular = ("with dependent columns AᵀA is singular: the chapter's P = X(XᵀX)⁻¹Xᵀ (the normal equations) needs "
                "full column rank, so it cannot be used here; the SVD A = U Σ Vᵀ works for every rank.")
    for what, A, b, rank in _projection_cases(rng):
        label = f"project_onto_columns({what})"
        m, p = A.shape
        hint = singular if rank < p else ("the projection is the point of the column space nearest to b; the residual "
                                          "b − projection is at a right angle to every column.")
        result = call(project_onto_columns, A, b, name=label, hint=hint)
        check_true(isinstance(result, (tuple, list, np.ndarray)) and len(result) == 2,
                   "return the pair (projection, residual).",
                   name=label, hint="end with `return projection, residual`.")
        projection = np.asarray(check_shape(result[0], (m,), name=f"{label}: the projection", quiet=True,
                                            hint="the projection is a vector like b: shape (m,)."), dtype=float)
        residual = np.asarray(check_shape(result[1], (m,), name=f"{label}: the residual", quiet=True,
                                          hint="the residual is a vector like b: shape (m,)."), dtype=float)
        if not np.all(np.isfinite(projection)) or not np.all(np.isfinite(residual)):
            check_true(False, "the answer holds nan or inf.", name=label, hint=hint)
        scale = np.linalg.norm(b)
        check_true(np.linalg.norm(projection + residual - b) <= 1e-9 * scale,
                   "projection + residual is not b: the residual is what the projection leaves over, b − projection.",
                   name=label, hint="residual = b - projection.")
        U, singular_values, r = _column_space_basis(A)
        assert r == rank, (what, singular_values)  # the cases are what they say
        basis = U[:, :r]
        expected = basis @ (basis.T @ b)
        if np.linalg.norm(projection - expected) <= 1e-8 * scale:
            continue
        if np.linalg.norm(projection - (b - expected)) <= 1e-8 * scale:
            check_true(False, "the first vector returned is the residual and the second the projection: return them in "
                              "the other order, (projection, residual).", name=label, hint="end with "
                       "`return projection, residual`.")
        if r < m and np.linalg.norm(projection - b) <= 1e-8 * scale:
            check_true(False, "the projection is b itself, but b is not in the column space of A: the directions you "
                              "projected onto span all of R^m, more than the columns of A do.", name=label,
                       hint="keep only the directions of A's non-zero singular values (the columns of U with "
                            "σ_i above a tolerance).")
        column_norms = np.linalg.norm(A, axis=0)
        if np.all(column_norms > 0):
            one_by_one = sum((A[:, j] @ b) / (A[:, j] @ A[:, j]) * A[:, j] for j in range(p))
            if np.linalg.norm(projection - one_by_one) <= 1e-8 * scale:
                check_true(False, "this adds the projections of b onto each column separately; that is the projection "
                                  "onto their span only when the columns are orthogonal to one another, and these "
                                  "are not.", name=label,
                           hint="find orthonormal directions that span the same space as the columns (the SVD gives "
                                "them), then add the projections onto those.")
        for k in range(min(m, p) + 1):
            wrong = U[:, :k] @ (U[:, :k].T @ b)
            if k != r and np.linalg.norm(projection - wrong) <= 1e-8 * scale:
                if k > r:
                    check_true(False, f"the projection uses {k} directions, but A has only {r} independent columns: "
                                      "a singular value that rounding left at about 1e-16 · σ₁ instead of 0 was counted as non-zero.", name=label,
                               hint="count σ_i as non-zero only above a tolerance relative to the largest, σ₁ · "
                                    "max(m, p) · ε, as np.linalg.matrix_rank does; a fixed tolerance such as 1e-10 "
                                    "is too small when A's entries are large.")
                check_true(False, f"the projection uses {k} directions, but A has {r} independent columns: "
                                  "real directions of the column space were dropped.", name=label,
                           hint="a fixed tolerance such as 1e-10 throws away every direction when A's entries are "
                                "tiny: make the tolerance relative to the largest singular value, σ₁ · max(m, p) · ε.")
        outside = np.linalg.norm(projection - basis @ (basis.T @ projection))
        if outside > 1e-8 * scale:
            check_true(False, "the projection has a part outside the column space of A (the span of its columns): "
                              "with dependent columns, p orthonormal vectors (all of Q, or all of U) span more than "
                              "the columns do.", name=label,
                       hint="use only the left singular vectors whose singular values are non-zero (above a tolerance "
                            "relative to σ₁). " + (singular if rank < p else ""))
        check_true(np.linalg.norm(A.T @ residual) <= 1e-8 * np.linalg.norm(A) * scale,
                   "the residual is not at a right angle to every column of A (Aᵀ r ≠ 0): the projection is not the "
                   "nearest point of the column space.", name=label, hint=hint)
        check_array(projection, expected, atol=1e-8 * scale, rtol=1e-8, name=f"{label}: the projection", quiet=True,
                    hint=hint)
    # Projecting twice changes nothing (P P = P), and what is left over has nothing to project.
    _, A, b, _ = _projection_cases(rng)[3]
    once, _ = call(project_onto_columns, A, b, name="project_onto_columns(dependent columns)")
    twice, left = call(project_onto_columns, A, np.asarray(once, dtype=float),
                       name="project_onto_columns(A, its own projection)")
    check_array(twice, once, atol=1e-9 * np.linalg.norm(b), name="projecting the projection again (P P = P)",
                quiet=True, hint="a vector already in the column space is its own projection.")
    check_array(left, np.zeros_like(b), atol=1e-9 * np.linalg.norm(b), rtol=0, quiet=True,
                name="the residual of a vector already in the column space", hint="it is 0.")
