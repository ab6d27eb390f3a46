"""Wrong answers to the toy assignment that the trusted tests must reject."""

MUTANTS = [
    {"answer": "ex1_answer", "mistake": "averages the rows (axis=1)",
     "source": "def column_means(X):\n    return np.asarray(X).mean(axis=1)\n", "feedback": "axis=0"},
    {"answer": "ex2_answer", "mistake": "uses the forbidden np.linalg.det",
     "source": "def det2(A):\n    return float(np.linalg.det(A))\n", "feedback": "rules out"},
    {"answer": "ex2_answer", "mistake": "hides np.linalg.det behind getattr",
     "source": "def det2(A):\n    return float(getattr(np.linalg, 'de' + 't')(A))\n", "feedback": "getattr"},
    {"answer": "ex3_answer", "mistake": "returns 0 instead of raising",
     "source": "def safe_divide(a, b):\n    return a / b if b else 0.0\n", "feedback": "instead of raising"},
]
