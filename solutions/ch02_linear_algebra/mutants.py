"""Wrong answers to chapter 2's exercises that the trusted tests must reject (instructor-only).

Each: the answer cell it replaces, the mistake in words, its source, and a phrase the
failed check's message must contain (it names the mistake for the student).
"""

_ex1 = "def matmul_loops(A, B):\n    A = np.asarray(A, dtype=float)\n    B = np.asarray(B, dtype=float)\n"
_ex2 = "def cosine_similarity_matrix(E):\n    E = np.asarray(E, dtype=float)\n"
_ex3 = "def sales_totals(units, prices):\n    units = np.asarray(units, dtype=float)\n    prices = np.asarray(prices, dtype=float)\n"
_ex6 = "def pca_2d(X):\n    X = np.asarray(X, dtype=float)\n"
_ex7 = "def transformed_area(A, area):\n    A = np.asarray(A, dtype=float)\n"
_check = ("    if A.shape[1] != B.shape[0]:\n"
          "        raise ValueError(f'A has shape {A.shape}, B has shape {B.shape}')\n")

MUTANTS = [
    # exercise 1
    {"answer": "ex1_answer", "mistake": "uses the @ operator",
     "source": _ex1 + _check + "    return A @ B\n", "feedback": "@ operator"},
    {"answer": "ex1_answer", "mistake": "np.dot inside one loop",
     "source": _ex1 + _check + "    return np.array([np.dot(A[i], B) for i in range(A.shape[0])])\n",
     "feedback": "rules out"},
    {"answer": "ex1_answer", "mistake": "no loops: a broadcast product summed",
     "source": _ex1 + _check + "    return (A[:, :, None] * B[None, :, :]).sum(axis=1)\n", "feedback": "no loop"},
    {"answer": "ex1_answer", "mistake": "skips the shape check (the loops fail with IndexError or run on)",
     "source": _ex1 + "    C = np.zeros((A.shape[0], B.shape[1]))\n    for i in range(A.shape[0]):\n"
               "        for j in range(B.shape[1]):\n            for l in range(A.shape[1]):\n"
               "                C[i, j] += A[i, l] * B[l, j]\n    return C\n",
     "feedback": "where ValueError was expected"},
    {"answer": "ex1_answer", "mistake": "B's indices swapped",
     "source": _ex1 + _check + "    C = np.zeros((A.shape[0], B.shape[1]))\n    for i in range(A.shape[0]):\n"
               "        for j in range(B.shape[1]):\n            for l in range(A.shape[1]):\n"
               "                C[i, j] += A[i, l] * B[j % B.shape[0], l % B.shape[1]]\n    return C\n",
     "feedback": "sum over l of A[i, l] * B[l, j]"},
    {"answer": "ex1_answer", "mistake": "a ValueError that does not name the shapes",
     "source": _ex1 + "    if A.shape[1] != B.shape[0]:\n        raise ValueError('the inner sizes differ')\n"
               "    C = np.zeros((A.shape[0], B.shape[1]))\n    for i in range(A.shape[0]):\n"
               "        for j in range(B.shape[1]):\n            for l in range(A.shape[1]):\n"
               "                C[i, j] += A[i, l] * B[l, j]\n    return C\n",
     "feedback": "name both shapes"},
    # exercise 2
    {"answer": "ex2_answer", "mistake": "forgets to normalise (dot products)",
     "source": _ex2 + "    return E @ E.T\n", "feedback": "cosine 1 with itself"},
    {"answer": "ex2_answer", "mistake": "normalises the columns (axis=0)",
     "source": _ex2 + "    U = E / np.linalg.norm(E, axis=0, keepdims=True)\n    return U @ U.T\n", "feedback": "axis=1"},
    {"answer": "ex2_answer", "mistake": "divides by the norm of the whole matrix",
     "source": _ex2 + "    U = E / np.linalg.norm(E)\n    return U @ U.T\n", "feedback": "own length"},
    {"answer": "ex2_answer", "mistake": "the (d, d) product E.T @ E of normalised rows",
     "source": _ex2 + "    U = E / np.linalg.norm(E, axis=1, keepdims=True)\n    return U.T @ U\n",
     "feedback": "one row and one column per row of E"},
    # exercise 3
    {"answer": "ex3_answer", "mistake": "multiplies in the wrong order",
     "source": _ex3 + "    return prices @ units.T if prices.ndim == 1 else prices.T @ units.T\n", "feedback": "units @ prices"},
    {"answer": "ex3_answer", "mistake": "an element-wise product summed: fails for price lists",
     "source": _ex3 + "    return (units * prices).sum(axis=1)\n", "feedback": "price lists as columns"},
    {"answer": "ex3_answer", "mistake": "a loop over the regions",
     "source": _ex3 + "    return np.array([row @ prices for row in units])\n", "feedback": "comprehension"},
    {"answer": "ex3_answer", "mistake": "sums over the regions instead of the products",
     "source": _ex3 + "    return (units.T @ units @ prices) / units.sum()\n", "feedback": "units @ prices"},
    # exercise 4
    {"answer": "ex4_answer", "mistake": "turns clockwise (the signs of sin swapped)",
     "source": "def rotation_matrix(angle):\n    return np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])\n",
     "feedback": "clockwise"},
    {"answer": "ex4_answer", "mistake": "converts the angle from degrees",
     "source": "def rotation_matrix(angle):\n    a = np.radians(angle)\n"
               "    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])\n",
     "feedback": "radians"},
    {"answer": "ex4_answer", "mistake": "cos and sin swapped",
     "source": "def rotation_matrix(angle):\n    return np.array([[np.sin(angle), -np.cos(angle)], [np.cos(angle), np.sin(angle)]])\n",
     "feedback": "(cos, sin)"},
    {"answer": "ex4_answer", "mistake": "a flat list instead of a 2x2 matrix",
     "source": "def rotation_matrix(angle):\n    return [np.cos(angle), -np.sin(angle), np.sin(angle), np.cos(angle)]\n",
     "feedback": "(2, 2)"},
    # exercise 5
    {"answer": "ex5_answer", "mistake": "no max-subtraction: overflows on large scores",
     "source": "def attention_head(X, W_Q, W_K, W_V):\n    Q, K, V = X @ W_Q, X @ W_K, X @ W_V\n"
               "    weights = np.exp(Q @ K.T / np.sqrt(W_K.shape[1]))\n"
               "    return weights / weights.sum(axis=1, keepdims=True) @ V\n",
     "feedback": "maximum score"},
    {"answer": "ex5_answer", "mistake": "scales by sqrt(d_v)",
     "source": "def attention_head(X, W_Q, W_K, W_V):\n    Q, K, V = X @ W_Q, X @ W_K, X @ W_V\n"
               "    S = Q @ K.T / np.sqrt(W_V.shape[1])\n    S = S - S.max(axis=1, keepdims=True)\n"
               "    A = np.exp(S)\n    return A / A.sum(axis=1, keepdims=True) @ V\n",
     "feedback": "sqrt(d_v)"},
    {"answer": "ex5_answer", "mistake": "no scaling",
     "source": "def attention_head(X, W_Q, W_K, W_V):\n    Q, K, V = X @ W_Q, X @ W_K, X @ W_V\n"
               "    S = Q @ K.T\n    S = S - S.max(axis=1, keepdims=True)\n"
               "    A = np.exp(S)\n    return A / A.sum(axis=1, keepdims=True) @ V\n",
     "feedback": "not divided by sqrt(d_k)"},
    {"answer": "ex5_answer", "mistake": "softmax down the columns (axis=0)",
     "source": "def attention_head(X, W_Q, W_K, W_V):\n    Q, K, V = X @ W_Q, X @ W_K, X @ W_V\n"
               "    S = Q @ K.T / np.sqrt(W_K.shape[1])\n    S = S - S.max(axis=0, keepdims=True)\n"
               "    A = np.exp(S)\n    return A / A.sum(axis=0, keepdims=True) @ V\n",
     "feedback": "axis=0"},
    # exercise 6
    {"answer": "ex6_answer", "mistake": "forgets to centre the data",
     "source": _ex6 + "    _, _, Vt = np.linalg.svd(X, full_matrices=False)\n    return X @ Vt[:2].T\n",
     "feedback": "not centred"},
    {"answer": "ex6_answer", "mistake": "takes columns of Vt instead of rows",
     "source": _ex6 + "    Xc = X - X.mean(axis=0)\n    _, _, Vt = np.linalg.svd(Xc, full_matrices=False)\n    return Xc @ Vt[:, :2]\n",
     "feedback": "ROWS of Vt"},
    {"answer": "ex6_answer", "mistake": "the last two components (smallest variance)",
     "source": _ex6 + "    Xc = X - X.mean(axis=0)\n    _, _, Vt = np.linalg.svd(Xc, full_matrices=False)\n    return Xc @ Vt[-2:].T\n",
     "feedback": "largest variance first"},
    {"answer": "ex6_answer", "mistake": "returns U's first columns (scaled coordinates)",
     "source": _ex6 + "    Xc = X - X.mean(axis=0)\n    U, S, Vt = np.linalg.svd(Xc, full_matrices=False)\n    return U[:, :2]\n",
     "feedback": "X_c @ Vt[:2].T"},
    # exercise 7
    {"answer": "ex7_answer", "mistake": "uses the forbidden np.linalg.det",
     "source": _ex7 + "    return abs(np.linalg.det(A)) * area\n", "feedback": "rules out"},
    {"answer": "ex7_answer", "mistake": "imports det under another name",
     "source": "from numpy.linalg import det as d\n\n\n" + _ex7 + "    return abs(d(A)) * area\n", "feedback": "np.linalg.det"},
    {"answer": "ex7_answer", "mistake": "forgets the absolute value",
     "source": _ex7 + "    (a, b), (c, d) = A\n    return (a * d - b * c) * area\n", "feedback": "never negative"},
    {"answer": "ex7_answer", "mistake": "ad + bc",
     "source": _ex7 + "    (a, b), (c, d) = A\n    return abs(a * d + b * c) * area\n", "feedback": "a*d - b*c"},
    {"answer": "ex7_answer", "mistake": "ignores the area",
     "source": _ex7 + "    (a, b), (c, d) = A\n    return abs(a * d - b * c)\n", "feedback": "does not depend on the area"},
]

_ex8 = "def least_squares(X, y):\n    X = np.asarray(X, dtype=float)\n    y = np.asarray(y, dtype=float)\n"
MUTANTS += [
    # exercise 8 (decide)
    {"answer": "ex8_answer", "mistake": "the normal equations with solve",
     "source": _ex8 + "    return np.linalg.solve(X.T @ X, X.T @ y)\n", "feedback": "squares the condition number"},
    {"answer": "ex8_answer", "mistake": "the inverse of XᵀX",
     "source": _ex8 + "    return np.linalg.inv(X.T @ X) @ X.T @ y\n", "feedback": "squares the condition number"},
    {"answer": "ex8_answer", "mistake": "a Cholesky factorisation of XᵀX",
     "source": _ex8 + "    L = np.linalg.cholesky(X.T @ X)\n    return np.linalg.solve(L.T, np.linalg.solve(L, X.T @ y))\n",
     "feedback": "normal equations"},
    {"answer": "ex8_answer", "mistake": "solves with the first d rows only",
     "source": _ex8 + "    d = X.shape[1]\n    return np.linalg.solve(X[:d], y[:d])\n", "feedback": "not the least-squares solution"},
]

_ex9 = ("def project_onto_columns(A, b):\n    A = np.asarray(A, dtype=float)\n    b = np.asarray(b, dtype=float)\n")
MUTANTS += [
    # exercise 9 (derive)
    {"answer": "ex9_answer", "mistake": "the chapter's projector X (XᵀX)⁻¹ Xᵀ: needs independent columns",
     "source": _ex9 + "    projection = A @ np.linalg.solve(A.T @ A, A.T @ b)\n    return projection, b - projection\n",
     "feedback": "singular"},
    {"answer": "ex9_answer", "mistake": "adds the projections onto each column (right only for orthogonal columns)",
     "source": _ex9 + "    projection = sum((A[:, j] @ b) / (A[:, j] @ A[:, j]) * A[:, j] for j in range(A.shape[1]))\n"
               "    return projection, b - projection\n",
     "feedback": "orthogonal to one another"},
    {"answer": "ex9_answer", "mistake": "every column of U (full_matrices=True): projects onto all of R^m",
     "source": _ex9 + "    U, s, Vt = np.linalg.svd(A)\n    projection = U @ (U.T @ b)\n    return projection, b - projection\n",
     "feedback": "non-zero singular values"},
    {"answer": "ex9_answer", "mistake": "QR of A: Q spans more than the columns when they are dependent",
     "source": _ex9 + "    Q, R = np.linalg.qr(A)\n    projection = Q @ (Q.T @ b)\n    return projection, b - projection\n",
     "feedback": "non-zero singular values"},
    {"answer": "ex9_answer", "mistake": "counts the singular values that are > 0 (no tolerance)",
     "source": _ex9 + "    U, s, Vt = np.linalg.svd(A, full_matrices=False)\n    U_r = U[:, s > 0]\n"
               "    projection = U_r @ (U_r.T @ b)\n    return projection, b - projection\n",
     "feedback": "tolerance"},
    {"answer": "ex9_answer", "mistake": "a fixed tolerance of 1e-10, whatever the units of A",
     "source": _ex9 + "    U, s, Vt = np.linalg.svd(A, full_matrices=False)\n    U_r = U[:, s > 1e-10]\n"
               "    projection = U_r @ (U_r.T @ b)\n    return projection, b - projection\n",
     "feedback": "relative to the largest singular value"},
    {"answer": "ex9_answer", "mistake": "the forbidden pseudo-inverse",
     "source": _ex9 + "    projection = A @ (np.linalg.pinv(A) @ b)\n    return projection, b - projection\n",
     "feedback": "rules out"},
    {"answer": "ex9_answer", "mistake": "returns (residual, projection)",
     "source": _ex9 + "    U, s, Vt = np.linalg.svd(A, full_matrices=False)\n"
               "    U_r = U[:, s > s.max(initial=0.0) * max(A.shape) * np.finfo(float).eps]\n"
               "    projection = U_r @ (U_r.T @ b)\n    return b - projection, projection\n",
     "feedback": "other order"},
]
