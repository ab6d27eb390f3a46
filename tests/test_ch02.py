"""Chapter 2 (linear algebra): what the chapter promises, and its exercises' reference answers.

The generic checks (template, stored outputs, alt text, nbval) live in
test_notebooks.py and the nbval run. Here: the chapter shows both renditions of
the linear-map explorer and keeps its timings out of the compared outputs; the
graded notebook has the exercises, points and hidden tests it should; the
instructor's answers agree with independent implementations on many random
inputs (so the tests students are graded with rest on right answers); and the
untouched stubs fail every visible test with a self-check message, not a traceback.
"""

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from dlmath.checks import CheckFailed

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "02_linear_algebra.ipynb"
SOLUTIONS = ROOT / "solutions" / "ch02_linear_algebra" / "ch02_linear_algebra.ipynb"
STUDENT = ROOT / "exercises" / "ch02_linear_algebra" / "ch02_linear_algebra.ipynb"


def code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def python(source: str) -> str:
    """Cell source as plain Python (IPython's %magics turned into calls)."""
    return TransformerManager().transform_cell(source)


def run_cells(cells) -> dict:
    """Execute cells in one fresh namespace, as a kernel would, and return the namespace."""
    namespace = {"__name__": "__main__"}
    for cell in cells:
        exec(compile(python(cell.source), "<cell>", "exec"), namespace)
    return namespace


# --------------------------------------------------------------------------- the chapter

def test_chapter_shows_the_live_explorer_and_its_kernel_free_rendition():
    cells = code_cells(CHAPTER)
    live = [c for c in cells if "linear_map_explorer()" in c.source]
    static = [c for c in cells if "linear_map_static()" in c.source]
    assert len(live) == 1 and len(static) == 1
    outputs = [o for o in static[0].outputs if "text/html" in o.get("data", {})]
    assert outputs, "the static explorer is stored as HTML, for the book"
    html = outputs[0]["data"]["text/html"]
    assert not re.search(r"""(src|href)=["']https?://""", html), "the book's explorer must load nothing from outside"


def test_timings_are_not_compared_and_the_prose_quotes_none():
    cells = nbformat.read(CHAPTER, as_version=4).cells
    timing_table = [c for c in cells if c.cell_type == "code" and "GFLOP/s" in c.source and "print(" in c.source]
    assert len(timing_table) == 1
    assert "nbval-ignore-output" in timing_table[0].metadata.get("tags", [])
    # The cells that measure print nothing, so their (compared) output cannot vary.
    for cell in cells:
        if cell.cell_type == "code" and "best_time(" in cell.source and cell is not timing_table[0]:
            assert not [o for o in cell.outputs if o.output_type == "stream"], "a timing cell prints"
    start = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## 8."))
    prose = "\n".join(c.source for c in cells[start:] if c.cell_type == "markdown")
    machine_numbers = re.findall(r"\d[\d.,]*\s*(?:GFLOP|FLOP/s|ms\b|µs|seconds?\b|times faster|×)", prose)
    assert not machine_numbers, f"machine-specific numbers in the prose: {machine_numbers}"


def test_only_the_timings_are_ignored_by_nbval():
    ignored = [c for c in code_cells(CHAPTER) if "nbval-ignore-output" in c.metadata.get("tags", [])]
    assert len(ignored) == 1
    assert "Timings vary" in ignored[0].source
    # The live explorer's output is compared like any other cell.
    explorer = [c for c in code_cells(CHAPTER) if "linear_map_explorer()" in c.source]
    assert explorer and "nbval-ignore-output" not in explorer[0].metadata.get("tags", [])


# --------------------------------------------------------------------------- the graded notebook

def test_exercise_counts_points_and_hidden_tests():
    cells = code_cells(SOLUTIONS)
    tests = [c for c in cells if nbgrader(c).get("grade")]
    answers = [c for c in cells if nbgrader(c).get("solution")]
    ids = [nbgrader(c)["grade_id"] for c in tests + answers]
    assert len(ids) == len(set(ids)), "grade_ids are unique"
    assert len(tests) == len(answers) == 9
    points = sum(nbgrader(c)["points"] for c in tests)
    assert points == 29
    # The notebook's first cell states both numbers: they must be the ones the metadata gives.
    intro = nbformat.read(SOLUTIONS, as_version=4).cells[0].source
    assert "Nine graded exercises" in intro and f"{points} points in all" in intro
    # The stronger tests are hidden in the notebook, or (trusted grading) in the instructor-only
    # grader_tests.py, with one function per graded test cell.
    trusted = SOLUTIONS.parent / "grader_tests.py"
    if trusted.exists():
        import ast

        functions = {n.name for n in ast.parse(trusted.read_text()).body if isinstance(n, ast.FunctionDef)}
        assert {nbgrader(c)["grade_id"] for c in tests} <= functions
    else:
        assert sum("### BEGIN HIDDEN TESTS" in c.source for c in tests) >= 2
    for cell in tests:
        assert nbgrader(cell)["locked"] and nbgrader(cell)["schema_version"] == 3
        assert re.search(r"\b(check_\w+|call)\(", cell.source), f"{nbgrader(cell)['grade_id']} uses dlmath.checks"
    for cell in answers:
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source


@pytest.fixture(scope="module")
def reference():
    """The instructor's answers, defined by running the solution notebook's cells up to the first test."""
    cells = code_cells(SOLUTIONS)
    setup = [c for c in cells if "setup" in c.metadata.get("tags", [])]
    return run_cells(setup + [c for c in cells if nbgrader(c).get("solution")])


def test_reference_matmul_and_cosine_agree_with_numpy_and_sklearn(reference):
    from sklearn.metrics.pairwise import cosine_similarity

    rng = np.random.default_rng(200)
    for _ in range(20):
        m, p, q = rng.integers(1, 7, size=3)
        A, B = rng.normal(size=(m, p)), rng.normal(size=(p, q))
        np.testing.assert_allclose(reference["matmul_loops"](A, B), A @ B, atol=1e-12)
        E = rng.normal(size=(m + 1, p))
        np.testing.assert_allclose(reference["cosine_similarity_matrix"](E), cosine_similarity(E), atol=1e-12)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 3\)"):
        reference["matmul_loops"](np.ones((2, 3)), np.ones((2, 3)))


def test_reference_sales_rotation_and_area(reference):
    rng = np.random.default_rng(201)
    units = rng.integers(0, 200, size=(5, 4)).astype(float)
    prices = rng.uniform(1, 10, size=4)
    np.testing.assert_allclose(reference["sales_totals"](units, prices), [sum(u * prices) for u in units])
    lists = rng.uniform(1, 10, size=(4, 3))
    np.testing.assert_allclose(reference["sales_totals"](units, lists),
                               [[sum(u * lists[:, k]) for k in range(3)] for u in units])
    for angle in rng.uniform(-10, 10, size=10):
        turned = (1.5 - 0.5j) * np.exp(1j * angle)
        np.testing.assert_allclose(reference["rotation_matrix"](angle) @ [1.5, -0.5], [turned.real, turned.imag])
    for _ in range(10):
        A = rng.normal(size=(2, 2))
        assert np.isclose(reference["transformed_area"](A, 3.0), 3.0 * abs(np.linalg.det(A)))


def test_reference_attention_matches_keras_multi_head_attention(reference):
    """One head of Keras's MultiHeadAttention (no biases, no output mixing) is the same computation."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    rng = np.random.default_rng(202)
    t, d_model, d_k = 5, 6, 4
    X = rng.normal(size=(t, d_model)).astype(np.float32)
    W_Q, W_K, W_V = (rng.normal(size=(d_model, d_k)).astype(np.float32) for _ in range(3))
    layer = tf.keras.layers.MultiHeadAttention(num_heads=1, key_dim=d_k, use_bias=False, output_shape=d_k)
    layer(X[None], X[None])  # builds the weights: query, key, value and output kernels
    weights = [W_Q[:, None, :], W_K[:, None, :], W_V[:, None, :], np.eye(d_k, dtype=np.float32)[None]]
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in weights]
    layer.set_weights(weights)  # the output projection is the identity: nothing mixes the head's output
    keras_output = layer(X[None], X[None]).numpy()[0]
    np.testing.assert_allclose(reference["attention_head"](X, W_Q, W_K, W_V), keras_output, rtol=1e-4, atol=1e-5)


def test_reference_pca_matches_sklearn_up_to_sign(reference):
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(203)
    for n, d in [(50, 3), (200, 10), (30, 30)]:
        X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + 5.0
        got = reference["pca_2d"](X)
        expected = PCA(n_components=2, svd_solver="full").fit_transform(X)
        signs = np.sign(np.sum(got * expected, axis=0))
        np.testing.assert_allclose(got * signs, expected, atol=1e-8)


def test_reference_projection_agrees_with_pinv_and_lstsq_for_every_rank_and_scale(reference):
    """Exercise 9's answer: b split into its part in the column space and a residual at a right angle to it."""
    project_onto_columns = reference["project_onto_columns"]
    rng = np.random.default_rng(204)
    for m, p, rank in [(8, 3, 3), (10, 4, 2), (6, 6, 1), (3, 5, 2), (3, 5, 3), (5, 2, 0)]:
        for scale in (1e-12, 1.0, 1e12):
            A = scale * rng.normal(size=(m, rank)) @ rng.normal(size=(rank, p))
            b = rng.normal(size=m)
            projection, residual = project_onto_columns(A, b)
            np.testing.assert_allclose(projection, A @ np.linalg.pinv(A) @ b, atol=1e-10)
            np.testing.assert_allclose(projection, A @ np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-10)
            np.testing.assert_allclose(projection + residual, b, atol=1e-12)
            assert np.linalg.norm(A.T @ residual) <= 1e-10 * max(np.linalg.norm(A), 1e-300) * np.linalg.norm(b)
            np.testing.assert_allclose(project_onto_columns(A, projection)[0], projection, atol=1e-10)  # P P = P
    # The chapter's own projector needs independent columns: on the chapter's M (rank 2) it has no inverse to use.
    M = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 2.0], [1.0, 1.0, 3.0]])
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.inv(M.T @ M)
    np.testing.assert_allclose(project_onto_columns(M, np.array([0.0, 0.0, 1.0]))[0], [1 / 3, 1 / 3, 2 / 3])


def test_two_exercises_derive_or_decide():
    """Issue 18: at least two exercises ask for more than the formula the page prints (KINDS in grader_tests.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ch02_grader_tests", SOLUTIONS.parent / "grader_tests.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kinds = module.KINDS
    assert kinds["ex8_test"] == "decide" and kinds["ex9_test"] == "derive"
    assert sum(kind in ("derive", "decide", "debug") for kind in kinds.values()) >= 2


# --------------------------------------------------------------------------- the student notebook

def test_every_visible_test_fails_kindly_on_the_untouched_stubs():
    if not STUDENT.exists():
        pytest.skip("exercises/ch02_linear_algebra is generated by `make exercises`")
    cells = code_cells(STUDENT)
    namespace = run_cells([c for c in cells if "setup" in c.metadata.get("tags", [])])
    tests = 0
    for cell in cells:
        if "setup" in cell.metadata.get("tags", []):
            continue
        if nbgrader(cell).get("grade"):
            assert "### BEGIN HIDDEN TESTS" not in cell.source, "hidden tests leaked into the student notebook"
            with pytest.raises(CheckFailed):
                exec(compile(python(cell.source), "<cell>", "exec"), namespace)
            tests += 1
        else:
            exec(compile(python(cell.source), "<cell>", "exec"), namespace)
    assert tests == 9


# --------------------------------------------------------------------------- the chapter's new claims

def chapter_outputs(cell_id):
    cell = next(c for c in nbformat.read(CHAPTER, as_version=4).cells if c.get("id") == cell_id)
    return "".join(o.get("text", "") for o in cell.outputs)


def test_diagonalisation_is_stated_with_its_condition_and_fails_for_the_shear():
    prose = "\n".join(c.source for c in nbformat.read(CHAPTER, as_version=4).cells if c.cell_type == "markdown")
    assert "diagonalisable" in prose and "defective" in prose
    shear = np.array([[1.0, 0.8], [0.0, 1.0]])
    values, vectors = np.linalg.eig(shear)
    assert np.linalg.matrix_rank(vectors) == 1                  # one eigen-direction only
    rebuilt = vectors @ np.diag(values) @ np.linalg.inv(vectors)
    assert not np.allclose(rebuilt, shear)
    assert "A = V Lambda V^-1 fails" in chapter_outputs("ch02-059b")


def test_the_svd_factors_shown_are_reflections_and_the_text_says_so():
    A = np.array([[1.5, 0.8], [0.3, 1.0]])
    U, _, Vt = np.linalg.svd(A)
    assert np.isclose(np.linalg.det(U), -1) and np.isclose(np.linalg.det(Vt), -1)
    assert "det U = -1.0000, det V = -1.0000: both reflections" in chapter_outputs("ch02-061")
    source = next(c.source for c in nbformat.read(CHAPTER, as_version=4).cells if c.get("id") == "ch02-062")
    assert "(rotate)" not in source and "orthogonal" in source


def test_least_squares_numbers_in_the_chapter():
    """The fit the chapter prints is the least-squares fit of its data (normal equations = lstsq = sklearn)."""
    from sklearn.linear_model import LinearRegression

    out = chapter_outputs("ch02-lsq-01")
    w = [float(v) for v in re.search(r"lstsq: \[([-\d. ]+)\]", out).group(1).split()]
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 10, size=30)
    y = 1.5 + 0.8 * x + rng.normal(size=30)
    X = np.stack([np.ones(30), x], axis=1)
    np.testing.assert_allclose(np.linalg.solve(X.T @ X, X.T @ y), np.linalg.lstsq(X, y, rcond=None)[0])
    fit = LinearRegression().fit(x[:, None], y)
    np.testing.assert_allclose([fit.intercept_, fit.coef_[0]], np.linalg.lstsq(X, y, rcond=None)[0])
    assert len(w) == 2 and 0.5 < w[1] < 1.1                      # slope near the 0.8 the data were made with


def test_normal_equations_square_the_condition_number():
    t = np.linspace(0, 1, 30)
    X = np.vander(t, 8, increasing=True)
    np.testing.assert_allclose(np.linalg.cond(X.T @ X), np.linalg.cond(X) ** 2, rtol=1e-3)
    assert "lstsq recovers w more than 1000 times more accurately" in chapter_outputs("ch02-cond-01")


def test_rank_is_defined_and_distinguished_from_ndim():
    prose = "\n".join(c.source for c in nbformat.read(CHAPTER, as_version=4).cells if c.cell_type == "markdown")
    assert "**rank** of a matrix is the number of its linearly independent columns" in prose
    assert "Rank is not the number of axes" in prose
    assert "ndim of M: 2   rank of M: 2" in chapter_outputs("ch02-rank-03")


def test_variance_explained_matches_sklearn_on_the_digits():
    from sklearn.decomposition import PCA

    from dlmath.data import load_digits_split

    X_train = load_digits_split()[0].astype(np.float64)
    ratios = PCA().fit(X_train).explained_variance_ratio_
    cumulative = np.cumsum(ratios)
    out = chapter_outputs("ch02-pca-var")
    for share in (0.5, 0.8, 0.95):
        needed = int(np.argmax(cumulative >= share)) + 1
        assert f"{share:.0%} of the variance needs {needed} components" in out
