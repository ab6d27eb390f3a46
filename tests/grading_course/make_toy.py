"""Write the toy assignment the grading tests use (run once; the notebook is kept in the repository)."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def answer(grade_id, source):
    return new_code_cell(source, metadata={"nbgrader": {"grade_id": grade_id, "solution": True, "grade": False,
                                                        "locked": False, "schema_version": 3}})


def test(grade_id, points, source):
    return new_code_cell(source, metadata={"nbgrader": {"grade_id": grade_id, "solution": False, "grade": True,
                                                        "locked": True, "points": points, "schema_version": 3}})


cells = [
    new_markdown_cell("# Toy assignment\n\nThree small exercises for the grader's own tests."),
    new_code_cell("import numpy as np\nfrom dlmath.checks import call, check_array, check_scalar",
                  metadata={"tags": ["setup"]}),
    new_markdown_cell("## Exercise 1 — column means (2 points)\n\nWrite `column_means(X)`: the mean of each column."),
    answer("ex1_answer", "def column_means(X):\n    ### BEGIN SOLUTION\n    return np.asarray(X, dtype=float).mean(axis=0)\n    ### END SOLUTION"),
    test("ex1_test", 2, "check_array(call(column_means, np.array([[1.0, 2.0], [3.0, 4.0]])), np.array([2.0, 3.0]),\n"
                        "            name='column_means')"),
    new_markdown_cell("## Exercise 2 — a determinant by hand (3 points)\n\nWrite `det2(A)` for a 2×2 matrix, "
                      "without `np.linalg.det`."),
    answer("ex2_answer", "def det2(A):\n    ### BEGIN SOLUTION\n    return float(A[0][0] * A[1][1] - A[0][1] * A[1][0])\n    ### END SOLUTION"),
    test("ex2_test", 3, "check_scalar(call(det2, np.array([[2.0, 1.0], [1.0, 3.0]])), 5.0, name='det2')"),
    new_markdown_cell("## Exercise 3 — safe division (1 point)\n\nWrite `safe_divide(a, b)`, which raises "
                      "`ValueError` when `b` is 0."),
    answer("ex3_answer", "def safe_divide(a, b):\n    ### BEGIN SOLUTION\n    if b == 0:\n        raise ValueError('b is 0')\n    return a / b\n    ### END SOLUTION"),
    test("ex3_test", 1, "check_scalar(call(safe_divide, 6, 3), 2.0, name='safe_divide')"),
]
nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbformat.write(nb, "solutions/toy/toy.ipynb")
