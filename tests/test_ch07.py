"""Chapter 7 (training deep networks): the maths of dlmath.training, and the graded exercises.

The maths is checked against independent computations (central differences, closed forms,
simulation); the exercises are checked the way the trusted grader runs them: the solution scores
full marks, every kept wrong answer (``mutants.py``) scores less with the feedback it names, and the
untouched student stubs fail every visible test with "not written yet".
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from dlmath import training
from dlmath.checks import CheckFailed
from exercise_cells import assert_answers_followed_by_tests, cells_by_id, graded, load, run

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "ch07_training_deep_networks"
SOLUTION_FOLDER = ROOT / "solutions" / ASSIGNMENT
SOLUTION = SOLUTION_FOLDER / f"{ASSIGNMENT}.ipynb"
STUDENT = ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
EXERCISES = range(1, 8)


def central_difference(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        grad[index] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


# --- initialisation -----------------------------------------------------------------------------

def test_init_std_glorot_and_he():
    assert training.init_std(8, 24, "he") == pytest.approx(0.5)
    assert training.init_std(8, 24, "glorot") == pytest.approx(0.25)
    assert training.init_std(3, 3, "small (σ = 0.01)") == 0.01
    with pytest.raises(ValueError, match="unknown initialisation"):
        training.init_std(3, 3, "xavier")
    weights = training.init_weights(400, 300, "he", np.random.default_rng(0))
    assert weights.shape == (400, 300)
    assert weights.std() == pytest.approx(np.sqrt(2 / 400), rel=0.01)


# --- Adam and AdamW -----------------------------------------------------------------------------

def test_adam_bias_correction_makes_every_step_eta_for_a_constant_gradient():
    theta, m, s = np.zeros(1), np.zeros(1), np.zeros(1)
    for t in range(1, 30):
        new, m, s = training.adam_step(theta, np.array([0.3]), m, s, t, 0.1, eps=0.0)
        assert abs(new - theta)[0] == pytest.approx(0.1, rel=1e-12)
        theta = new
    # Without the correction, the first step is 0.1 / sqrt(0.001) ≈ 3.16 times too large.
    new, _, _ = training.adam_step(np.zeros(1), np.array([0.3]), np.zeros(1), np.zeros(1), 1, 0.1, eps=0.0,
                                   bias_correction=False)
    assert abs(new[0]) == pytest.approx(0.1 * 0.1 / np.sqrt(0.001), rel=1e-12)
    with pytest.raises(ValueError, match="starts at 1"):
        training.adam_step(theta, theta, m, s, 0, 0.1)


def test_l2_penalty_passes_through_adam_scaling_but_decoupled_decay_does_not():
    theta = np.array([1.0, -2.0, 0.5])
    zero_grad = np.zeros(3)
    zeros = np.zeros(3)
    # Zero data gradient: Adam + L2 moves each weight by about η, whatever λ; AdamW by η λ θ exactly.
    l2, _, _ = training.adam_step(theta, zero_grad, zeros, zeros, 1, 0.01, weight_decay=1e-4, eps=0.0)
    np.testing.assert_allclose(theta - l2, 0.01 * np.sign(theta), rtol=1e-12)
    decoupled, _, _ = training.adam_step(theta, zero_grad, zeros, zeros, 1, 0.01, weight_decay=1e-4,
                                         decoupled=True, eps=1e-12)
    np.testing.assert_allclose(theta - decoupled, 0.01 * 1e-4 * theta, rtol=1e-9)


# --- schedules ----------------------------------------------------------------------------------

def test_learning_rate_schedules():
    rates = [training.learning_rate_at(t, 100, 0.1, "cosine") for t in range(100)]
    assert rates[0] == pytest.approx(0.1) and rates[50] == pytest.approx(0.05)
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert training.learning_rate_at(49, 100, 0.1, "step") == pytest.approx(0.1)
    assert training.learning_rate_at(50, 100, 0.1, "step") == pytest.approx(0.01)
    warm = [training.learning_rate_at(t, 100, 0.1, "warm-up + cosine", warmup_steps=10) for t in range(100)]
    np.testing.assert_allclose(warm[:10], 0.1 * np.arange(1, 11) / 10)
    assert warm[10] == pytest.approx(0.1) and warm[-1] < 0.001
    with pytest.raises(ValueError, match="step must lie"):
        training.learning_rate_at(100, 100, 0.1)
    with pytest.raises(ValueError, match="unknown schedule"):
        training.learning_rate_at(0, 100, 0.1, "linear")


# --- mini-batch noise ---------------------------------------------------------------------------

@pytest.mark.parametrize("replace", [False, True])
def test_minibatch_spread_matches_tr_sigma_over_b(replace):
    rng = np.random.default_rng(0)
    per_example = rng.normal(size=(60, 5)) * np.array([1.0, 2.0, 0.5, 3.0, 1.0]) + 0.3
    for batch_size in (1, 4, 20, 50):
        measured = training.minibatch_gradient_spread(per_example, batch_size, rng, repeats=4000, replace=replace)
        predicted = training.predicted_minibatch_spread(per_example, batch_size, replace=replace)
        assert measured == pytest.approx(predicted, rel=0.08)
    # Without replacement the full batch is exact; with replacement it is not.
    full = training.predicted_minibatch_spread(per_example, 60, replace=replace)
    assert (full == 0) == (not replace)


# --- dropout and normalisation ------------------------------------------------------------------

def test_inverted_dropout_keeps_the_expectation_and_is_the_identity_at_inference():
    rng = np.random.default_rng(0)
    A = rng.uniform(0.5, 2.0, size=(3, 4))
    outputs = [training.dropout_forward(A, 0.4, rng)[0] for _ in range(20000)]
    np.testing.assert_allclose(np.mean(outputs, axis=0), A, rtol=0.03)
    out, mask = training.dropout_forward(A, 0.4, rng, training=False)
    assert out is A and mask is None
    out, mask = training.dropout_forward(A, 0.4, rng)
    np.testing.assert_allclose(training.dropout_backward(np.ones_like(A), mask, 0.4), mask / 0.6)
    with pytest.raises(ValueError, match="dropout rate"):
        training.dropout_forward(A, 1.0, rng)


@pytest.mark.parametrize("forward, backward, axis", [
    (training.batch_norm_forward, training.batch_norm_backward, 0),
    (training.layer_norm_forward, training.layer_norm_backward, 1),
])
def test_normalisation_forward_statistics_and_backward_against_central_differences(forward, backward, axis):
    rng = np.random.default_rng(1)
    X = rng.normal(2.0, 3.0, size=(6, 4))
    gamma, beta = rng.normal(1.0, 0.3, size=4), rng.normal(size=4)
    W = rng.normal(size=(6, 4))
    Y, cache = forward(X, gamma, beta)
    X_hat = (Y - beta) / gamma
    np.testing.assert_allclose(X_hat.mean(axis=axis), 0, atol=1e-12)
    np.testing.assert_allclose(X_hat.var(axis=axis), X.var(axis=axis) / (X.var(axis=axis) + 1e-3), rtol=1e-12)
    grad_X, grad_gamma, grad_beta = backward(W, cache)
    np.testing.assert_allclose(grad_X, central_difference(lambda Z: np.sum(W * forward(Z, gamma, beta)[0]), X),
                               atol=1e-7)
    np.testing.assert_allclose(grad_gamma, central_difference(lambda g: np.sum(W * forward(X, g, beta)[0]), gamma),
                               atol=1e-7)
    np.testing.assert_allclose(grad_beta, W.sum(axis=0))
    # The wrong gradient, with the statistics treated as constants, is rejected by the same comparison.
    constants = W * gamma / np.sqrt(X.var(axis=axis, keepdims=True) + 1e-3)
    assert not np.allclose(constants, grad_X, atol=1e-7)


def test_k_fold_indices():
    folds = training.k_fold_indices(23, 5, rng=np.random.default_rng(0))
    validated = np.concatenate([val for _, val in folds])
    assert sorted(validated.tolist()) == list(range(23))
    assert sorted(len(val) for _, val in folds) == [4, 4, 5, 5, 5]
    assert all(np.intersect1d(train, val).size == 0 and len(train) + len(val) == 23 for train, val in folds)
    with pytest.raises(ValueError, match="2 ≤ k ≤ n"):
        training.k_fold_indices(3, 4)


# --- the explorer's network ---------------------------------------------------------------------

@pytest.mark.parametrize("normalisation", training.NORMALISATIONS)
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_deep_network_gradients_match_central_differences(normalisation, activation, dropout):
    X, y, _, _ = training.explorer_data()
    X, y = X[:7], y[:7]
    net = training.DeepNetwork(2, 3, 5, activation=activation, normalisation=normalisation, dropout=dropout, seed=1)
    # Non-zero biases: with zero biases, a row whose inputs are all dropped has a pre-activation of exactly 0,
    # ReLU's kink, where a central difference measures half a derivative.
    for bias in net.biases:
        bias[...] = np.random.default_rng(2).normal(0, 0.2, size=bias.shape)

    def loss_with_fixed_masks():
        net.rng = np.random.default_rng(99)       # the same dropout masks on every evaluation
        return net.logistic_loss(net.forward(X, training=True)[0], y)[0]

    net.rng = np.random.default_rng(99)
    loss, norms = net.loss_and_gradients(X, y, training=True)
    analytic = net.grads.copy()
    numeric = np.zeros_like(net.params)
    for i in range(net.params.size):
        old = net.params[i]
        net.params[i] = old + 1e-6
        up = loss_with_fixed_masks()
        net.params[i] = old - 1e-6
        down = loss_with_fixed_masks()
        net.params[i] = old
        numeric[i] = (up - down) / 2e-6
    np.testing.assert_allclose(analytic, numeric, atol=1e-8)
    assert loss == pytest.approx(loss_with_fixed_masks())
    assert norms.shape == (4,)


def test_train_run_learns_the_moons_and_records_per_layer_gradient_norms():
    result = training.train_run(training.RunConfig(depth=3, learning_rate=0.02, steps=150))
    assert not result.diverged
    assert result.gradient_norms.shape == (len(result.steps) + 1, 4)
    assert result.train_loss[-1] < 0.5 * result.train_loss[0]
    assert result.val_loss[-1] < 0.4                     # log 2 ≈ 0.693 is chance
    # Same settings, same run.
    again = training.train_run(training.RunConfig(depth=3, learning_rate=0.02, steps=150))
    np.testing.assert_array_equal(result.val_loss, again.val_loss)


def test_train_run_shows_vanishing_gradients_for_deep_sigmoid_with_small_weights():
    result = training.train_run(training.RunConfig(depth=8, activation="sigmoid", initialisation="small (σ = 0.01)",
                                                   steps=20))
    first, last = result.gradient_norms[0, 0], result.gradient_norms[0, -1]
    assert first < 1e-12 * last
    healthy = training.train_run(training.RunConfig(depth=8, activation="relu", initialisation="he", steps=20))
    assert 1e-2 < healthy.gradient_norms[0, 0] / healthy.gradient_norms[0, -1] < 1e2


def test_deep_network_refuses_bad_settings():
    with pytest.raises(ValueError, match="unknown activation"):
        training.DeepNetwork(2, 1, 3, activation="swish")
    with pytest.raises(ValueError, match="unknown normalisation"):
        training.DeepNetwork(2, 1, 3, normalisation="group norm")
    with pytest.raises(ValueError, match="dropout rate"):
        training.DeepNetwork(2, 1, 3, dropout=1.0)


def test_train_run_with_a_huge_learning_rate_ends_far_above_chance():
    # Adam's steps are about η each, so the loss grows huge but stays finite.
    result = training.train_run(training.RunConfig(depth=2, initialisation="large (σ = 1)", learning_rate=1e6,
                                                   steps=100))
    assert not result.diverged and result.val_loss[-1] > 1e6


def test_train_run_stops_and_says_so_when_the_loss_is_not_a_number():
    X_train, y_train, X_val, y_val = training.explorer_data()
    X_train = X_train.copy()
    X_train[0, 0] = np.nan
    result = training.train_run(training.RunConfig(steps=100, record_every=10), data=(X_train, y_train, X_val, y_val))
    assert result.diverged and len(result.steps) < 10


# --- the graded exercises -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def notebook():
    return load(SOLUTION)


@pytest.fixture(scope="module")
def cells(notebook):
    return cells_by_id(notebook)


def test_enough_exercises_points_and_derive_or_decide(notebook):
    tests = [c for c in graded(notebook) if c.metadata["nbgrader"].get("grade")]
    assert len(tests) >= 6 and sum(c.metadata["nbgrader"]["points"] for c in tests) >= 20
    # The new format: visible tests only, literal examples, no hidden blocks.
    assert not any("HIDDEN TESTS" in c.source for c in tests)
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    for title in ("Derive the backward pass", "The largest stable learning rate", "Find the bugs"):
        assert title in text


def test_every_answer_cell_is_followed_by_its_test(notebook):
    assert_answers_followed_by_tests(notebook)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_reference_answer_passes_the_visible_checks(notebook, cells, exercise):
    printed = run(notebook, *_cells_before_test(notebook, exercise))
    assert "\u2714" in printed and "\u2718" not in printed


@pytest.mark.parametrize("exercise", EXERCISES)
def test_untouched_stub_fails_the_visible_checks_with_not_written_yet(exercise):
    student = load(STUDENT)
    with pytest.raises(CheckFailed, match="not written yet"):
        run(student, *_cells_before_test(student, exercise))


def _cells_before_test(nb, exercise):
    """The sources of the non-graded code cells up to exercise N's answer, then its answer and test."""
    sources = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "setup" in cell.metadata.get("tags", []):
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            sources.append(cell.source)
        elif grade_id in (f"ex{exercise}_answer", f"ex{exercise}_test"):
            sources.append(cell.source)
            if grade_id.endswith("_test"):
                return sources
    raise AssertionError(f"exercise {exercise} has no test cell")


# The trusted tests, run in-process (dlmath.grading.local: the data still cross the grader's wire both
# ways, as in the sandbox) against the solution and against every kept wrong answer of mutants.py.

@pytest.fixture(scope="module")
def trusted():
    from dlmath.grading import judge, local, submissions

    return (local, judge.load_tests(SOLUTION_FOLDER), submissions.read_instructor_notebook(SOLUTION))


def test_trusted_tests_give_the_solution_full_marks(notebook, trusted):
    local, tests, instructor = trusted
    verdicts = local.judge_notebook(notebook, instructor, tests, ASSIGNMENT)
    assert sorted(verdicts) == [f"ex{n}_test" for n in EXERCISES]
    for grade_id, verdict in verdicts.items():
        assert verdict.passed, f"{grade_id}: {verdict.message}"


def _mutants():
    spec = importlib.util.spec_from_file_location("ch07_mutants", SOLUTION_FOLDER / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MUTANTS


def test_at_least_three_mutants_per_exercise():
    counts = {f"ex{n}_answer": 0 for n in EXERCISES}
    for mutant in _mutants():
        counts[mutant["answer"]] += 1
    assert min(counts.values()) >= 3, counts


@pytest.mark.parametrize("mutant", _mutants(), ids=lambda m: f"{m['answer']}: {m['mistake']}")
def test_trusted_tests_reject_each_kept_wrong_answer_with_its_feedback(notebook, trusted, mutant):
    local, tests, instructor = trusted
    grade_id = mutant["answer"].replace("_answer", "_test")
    verdict = local.judge_notebook(local.with_answer(notebook, mutant["answer"], mutant["source"]), instructor,
                                   tests, ASSIGNMENT)[grade_id]
    assert not verdict.passed, f"the mistake {mutant['mistake']!r} scored full marks"
    assert mutant["feedback"] in verdict.message, verdict.message


# --- the explorer's static frames say what their runs show --------------------------------------

def test_static_explorer_captions_match_their_runs():
    from dlmath.explorers.training import RECORD_EVERY, STATIC_STATES, STEPS

    def run(settings):
        return training.train_run(training.RunConfig(steps=STEPS, record_every=RECORD_EVERY, **settings))

    results = {label.split(":")[0]: run(settings) for label, settings in STATIC_STATES}
    ratio = {label: r.gradient_norms[0, 0] / r.gradient_norms[0, -1] for label, r in results.items()}
    assert ratio["vanishing gradients"] < 1e-10
    assert ratio["exploding gradients"] > 100
    healthy = results["a healthy start"]
    assert healthy.val_loss[-1] < 0.3
    rescued = results["8 sigmoid layers with σ = 0.01, rescued by batch normalisation"]
    assert rescued.val_loss[-1] < 0.5 < results["vanishing gradients"].val_loss[-1]
    assert results["the same with layer normalisation instead"].val_loss[-1] > 0.65     # "not rescued"
    assert results["a learning rate too small"].val_loss[-1] > 2 * healthy.val_loss[-1]
    assert results["dropout 0.5"].train_loss[-1] > healthy.train_loss[-1]


def test_the_in_place_adam_of_the_explorers_is_adam_step():
    """AdamState.step (no allocation per step, used by the explorers) gives adam_step's parameters, up to rounding."""
    rng = np.random.default_rng(3)
    params = rng.normal(size=7)
    theta, m, s = params.copy(), np.zeros(7), np.zeros(7)
    adam = training.AdamState(params)
    for t in range(1, 6):
        grads = rng.normal(size=7) * 10.0 ** rng.integers(-3, 3)
        theta, m, s = training.adam_step(theta, grads, m, s, t, 0.05)
        adam.step(params, grads, t, 0.05)
        np.testing.assert_allclose(params, theta, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(adam.m, m, rtol=1e-12, atol=1e-15)
    # and a wrong step counter (bias correction of step 1 at every step) is caught by the same comparison
    wrong = training.AdamState(start := rng.normal(size=7))
    theta, m, s = start.copy(), np.zeros(7), np.zeros(7)
    for t in range(1, 4):
        grads = rng.normal(size=7)
        theta, m, s = training.adam_step(theta, grads, m, s, t, 0.05)
        wrong.step(start, grads, 1, 0.05)
    assert not np.allclose(start, theta, rtol=1e-6, atol=0)
