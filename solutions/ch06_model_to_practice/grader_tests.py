"""Trusted tests for chapter 6's exercises (instructor-only: never given to students).

One function per graded test cell, named as its grade_id, taking ``(student, rng)``.
Hidden inputs are drawn from ``rng`` at grade time; the expected values come from the
references written here (SciPy, scikit-learn and TensorFlow run on this side only). A
question scores its points when its function returns.

Two arguments cannot cross the sandbox's wire as data and are made in the student's kernel:

* exercise 4's ``f``: the notebook has a fixed cell, before the answer, whose functions
  (``ig_linear_function`` …) return TensorFlow functions; the trusted test asks for one and
  passes the handle on. That cell must be the instructor's, unchanged (checked here).
* exercise 7's ``model_bytes``: the TFLite model is converted here, sent as a uint8 array and
  turned into ``bytes`` in the kernel with NumPy's own ``ndarray.tobytes``.
"""

from functools import partial
import tempfile
from pathlib import Path

import nbformat
import numpy as np
from scipy import stats

from dlmath.checks import CheckFailed, call, check_array, check_dtype, check_scalar, check_shape, check_true, is_close
from dlmath.grading.rules import forbid, forbid_loops, require
from dlmath.grading.submissions import defined_names, normalise_source

HERE = Path(__file__).resolve().parent


# What each exercise asks (book/exercise_catalogue.md): apply a formula the chapter gives, predict,
# derive one it does not give, decide from evidence, or debug given code.
KINDS = {"ex1_test": "apply",
         "ex2_test": "apply",
         "ex3_test": "apply",
         "ex4_test": "apply",
         "ex5_test": "apply",
         "ex6_test": "apply",
         "ex7_test": "apply",
         "ex8_test": "derive",
         "ex9_test": "decide"}

def _fixture_intact(student, names):
    """Fail when a cell of the student's notebook defines a fixture name with code other than the instructor's."""
    nb = nbformat.read(HERE / "ch06_model_to_practice.ipynb", as_version=4)
    fixtures = {name: normalise_source(cell.source) for cell in nb.cells
                if cell.cell_type == "code" and "fixture" in cell.metadata.get("tags", [])
                for name in defined_names(cell.source)}
    for cell_id, source in student.answers().items():
        for name in defined_names(source) & set(names):
            if normalise_source(source) != fixtures.get(name):
                raise CheckFailed(f"{cell_id}: defines {name}, which belongs to the fixed cell the grader uses; "
                                  "leave that cell as it was given and do not redefine its functions.")


def _in_kernel(student, strings):
    """String labels as a list of str: an array of strings is not plain data on the wire (the answer's own
    np.asarray, given in the answer cell, turns the list into an array)."""
    return np.asarray(strings).tolist()


# --- exercise 1: the Kolmogorov–Smirnov statistic -----------------------------------------------------

def _ks(a, b):
    points = np.concatenate([a, b])
    F_a = np.array([np.sum(a <= t) for t in points]) / a.size
    F_b = np.array([np.sum(b <= t) for t in points]) / b.size
    return float(np.max(np.abs(F_a - F_b)))


def ex1_test(student, rng):
    forbid(student, "ex1_answer", ["scipy", "stats", "ks_2samp", "kstest"],
           "compute the empirical cdfs yourself: the tests compare with scipy.stats")
    ks_statistic = student.function("ks_statistic")
    hint = ("evaluate both empirical cdfs at every value of both samples (each count divided by the size of its own "
            "sample), then take the largest absolute difference.")
    a_normal, b_normal = rng.normal(size=80), rng.normal(0.4, 1.2, size=50)
    cases = [(np.array([1.0, 2.0, 3.0]), np.array([2.5, 4.0]), "[1, 2, 3], [2.5, 4]", hint),
             (np.array([4.0, 5.0, 6.0]), np.array([1.0, 2.0, 3.0, 3.5, 10.0]), "[4, 5, 6], [1, 2, 3, 3.5, 10]",
              "the gap can be F_b − F_a as well as F_a − F_b: take the absolute value, at the values of both samples, "
              "each count divided by the size of its own sample."),
             (np.array([5.0]), np.array([1.0, 2.0, 3.0, 4.0, 6.0]), "[5], [1, 2, 3, 4, 6]",
              "here the largest gap is at a value of sample_b: evaluate at the values of both samples."),
             (np.array([1.0, 1, 2, 2, 2, 3]), np.array([2.0, 2, 3, 3]), "repeated values",
              "with repeated values, F(t) counts every value at or below t: use side='right'."),
             (a_normal, b_normal, "two normal samples", hint),
             (b_normal, a_normal, "the samples swapped", "D is symmetric in the two samples."),
             (a_normal, a_normal, "the same sample twice", hint),
             (np.array([0.0, 1.0]), np.array([5.0, 6.0, 7.0]), "samples that do not overlap", hint)]
    for _ in range(5):
        n, m = (int(v) for v in rng.integers(1, 60, size=2))
        cases.append((rng.integers(0, 6, size=n).astype(float), rng.exponential(3.0, size=m).round(0),
                      f"sizes {n} and {m}, with repeated values",
                      "with repeated values, F(t) counts every value at or below t: use side='right'."))
    for a, b, description, case_hint in cases:
        expected = _ks(a, b)
        assert abs(expected - stats.ks_2samp(a, b).statistic) < 1e-12
        check_scalar(call(ks_statistic, a, b, name=f"ks_statistic({description})"), expected,
                     name=f"ks_statistic({description})", hint=case_hint, quiet=True)


# --- exercise 2: the population stability index -------------------------------------------------------

def _psi(expected, actual, bins=10, eps=1e-4):
    from scipy.special import rel_entr  # PSI is the KL divergence taken both ways
    edges = np.r_[-np.inf, np.quantile(expected, np.arange(1, bins) / bins), np.inf]
    e = np.maximum(np.histogram(expected, bins=edges)[0] / len(expected), eps)
    a = np.maximum(np.histogram(actual, bins=edges)[0] / len(actual), eps)
    return float(np.sum(rel_entr(a, e)) + np.sum(rel_entr(e, a)))


def ex2_test(student, rng):
    psi = student.function("population_stability_index")
    hint = ("bin edges from np.quantile(expected, [1/k, ..., (k-1)/k]) (the reference sample, not the live one); "
            "the fractions of each sample per bin; then the sum of (a - e) ln(a / e).")
    check_scalar(call(psi, np.arange(1.0, 11.0), [1.0, 2.0, 3.0, 9.0], bins=2, name="PSI of the worked example"),
                 0.25 * np.log(1.5) - 0.25 * np.log(0.5), name="PSI of the worked example", quiet=True,
                 hint=hint + " The worked example uses bins=2: use the bins and eps you are given.")
    reference = rng.normal(size=500)
    check_scalar(call(psi, reference, reference, name="PSI of a sample with itself"), 0.0, atol=1e-12,
                 name="PSI of a sample with itself", hint="the same sample has the same fractions in every bin.",
                 quiet=True)
    empty_hint = "floor every fraction at eps (np.maximum(fraction, eps)) before the logarithm."
    cases = [(reference, rng.normal(0.5, 1.0, size=200), {}, "a shifted sample", hint),
             (reference, rng.normal(0.0, 0.2, size=300), {}, "empty bins", empty_hint),
             (reference, rng.normal(10.0, 1.0, size=50), {"bins": 5}, "bins=5, far away", empty_hint),
             (rng.uniform(size=1000), rng.uniform(size=400) ** 2, {"bins": 20, "eps": 1e-3}, "bins=20, eps=1e-3",
              hint + " Use the bins and eps you are given.")]
    for expected, actual, options, description, case_hint in cases:
        name = f"PSI ({description})"
        check_scalar(call(psi, expected, actual, name=name, **options), _psi(expected, actual, **options),
                     name=name, hint=case_hint, quiet=True)


# --- exercise 3: int8 quantisation --------------------------------------------------------------------

def _check_quantisation(quantize_weights, W, name):
    result = call(quantize_weights, W, name=name)
    check_true(isinstance(result, tuple) and len(result) == 2, "return a pair (q, scales).", name=name,
               hint="end with `return q, scales`.")
    q, scales = result
    check_shape(q, W.shape, name=f"{name}: q", quiet=True)
    check_dtype(q, np.int8, name=f"{name}: q", quiet=True, hint="convert with .astype(np.int8) after rounding.")
    expected_scales = np.array([max(abs(W[i, j]) for i in range(W.shape[0])) for j in range(W.shape[1])]) / 127
    check_array(scales, expected_scales, name=f"{name}: scales", quiet=True,
                hint="one scale per column (output neuron): the largest absolute weight of the column divided by 127.")
    q, scales = np.asarray(q, dtype=np.float64), np.asarray(scales, dtype=np.float64)
    error = np.abs(W - q * scales)
    check_true(np.all(error <= scales / 2 * (1 + 1e-9)), "a rounding error is more than half a step.", name=name,
               hint="round W / s to the nearest integer (np.round), do not truncate.")
    check_array(q, np.round(W / expected_scales), name=f"{name}: q", quiet=True,
                hint="q = round(W / s) with the scale of each column.")
    return q, scales


def ex3_test(student, rng):
    quantize_weights = student.function("quantize_weights")
    q, _ = _check_quantisation(quantize_weights, np.array([[0.5, -1.0], [-0.3, 0.2]]), "quantize_weights(example)")
    check_array(q, np.array([[127, -127], [-76, 25]]), name="q for the example", quiet=True,
                hint="scales (0.5/127, 1.0/127); round, do not truncate.")
    for W, description in ((rng.normal(0, 0.1, size=(64, 16)), "a (64, 16) matrix"),
                           (rng.uniform(-3, 1, size=(5, 7)), "a (5, 7) matrix with mostly negative weights"),
                           (rng.normal(0, 1, size=(3, 9)) * np.logspace(-3, 2, 9), "columns of very different sizes"),
                           (np.array([[1e-6], [-2e-6], [5e-7]]), "tiny weights")):
        _check_quantisation(quantize_weights, W, f"quantize_weights({description})")


# --- exercise 4: integrated gradients -----------------------------------------------------------------

IG_FIXTURES = ["ig_linear_function", "ig_power_sum_function", "ig_network_logit_function"]


def _midpoints(x, baseline, steps):
    alphas = (np.arange(1, steps + 1) - 0.5) / steps
    return baseline + alphas[:, None] * (x - baseline)


def _network_ig(W1, b1, W2, b2, k, x, baseline, steps):
    points = _midpoints(x, baseline, steps)
    hidden = np.tanh(points @ W1 + b1)
    gradients = ((1 - hidden**2) * W2[:, k]) @ W1.T
    return (x - baseline) * gradients.mean(axis=0)


def ex4_test(student, rng):
    why = "put all m points of the path into one batch and get every gradient from one tf.GradientTape"
    _fixture_intact(student, IG_FIXTURES)
    integrated_gradients = student.function("integrated_gradients")
    linear = student.function("ig_linear_function")
    power_sum = student.function("ig_power_sum_function")
    network = student.function("ig_network_logit_function")
    hint = "the attribution of feature i is (x_i - x'_i) times the mean gradient over the m midpoints of the path."
    midpoint_hint = "use the midpoint rule: alpha_k = (k - 1/2) / m, for k = 1, ..., m (with m = 1, alpha = 1/2)."
    d = 6
    w = rng.normal(size=d).astype(np.float32)
    x, baseline = rng.uniform(size=d).astype(np.float32), np.zeros(d, dtype=np.float32)
    name = "integrated_gradients(a linear model, x, a zero baseline)"
    got = call(integrated_gradients, call(linear, w, 0.7), x, baseline, name=name,
               hint="tape.watch(path) before calling f, then tape.gradient(outputs, path).")
    # the rules are checked after a first call, so that an answer not yet written is told so first
    require(student, "ex4_answer", ["tf.GradientTape"], why)
    forbid_loops(student, "ex4_answer", why)
    check_array(got, (x - baseline) * w, rtol=1e-5, atol=1e-6, name=name, hint=hint, quiet=True)
    x_other, baseline_other = rng.normal(size=5).astype(np.float32), rng.normal(size=5).astype(np.float32)
    x64, b64 = x_other.astype(np.float64), baseline_other.astype(np.float64)
    check_array(call(integrated_gradients, call(power_sum, 2), x_other, baseline_other, steps=7,
                     name="integrated_gradients(Σx², steps=7)"), x64**2 - b64**2, rtol=1e-4, atol=1e-5,
                name="integrated gradients of a sum of squares (exactly x_i² - x'_i²)", hint=hint, quiet=True)
    for steps in (1, 4):
        expected = (x64 - b64) * 3 * np.mean(_midpoints(x64, b64, steps) ** 2, axis=0)
        check_array(call(integrated_gradients, call(power_sum, 3), x_other, baseline_other, steps=steps,
                         name=f"integrated_gradients(Σx³, steps={steps})"), expected, rtol=1e-4, atol=1e-5,
                    name=f"integrated gradients of a sum of cubes with steps={steps} (the midpoint rule)",
                    hint=midpoint_hint, quiet=True)
    W1, b1 = rng.normal(size=(d, 8)).astype(np.float32), rng.normal(size=8).astype(np.float32)
    W2, b2 = rng.normal(size=(8, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    f = call(network, W1, b1, W2, b2, 2)
    got = call(integrated_gradients, f, x, baseline, steps=200, name="integrated_gradients(a small network, steps=200)")
    check_shape(got, (d,), name="integrated_gradients(a small network, steps=200)", quiet=True)
    weights = [a.astype(np.float64) for a in (W1, b1, W2, b2)]
    check_array(got, _network_ig(*weights, 2, x.astype(np.float64), baseline.astype(np.float64), 200), rtol=1e-3,
                atol=1e-4, name="integrated gradients of a small network", hint=hint + " " + midpoint_hint, quiet=True)
    outputs = np.tanh(np.stack([x, baseline]).astype(np.float64) @ weights[0] + weights[1]) @ weights[2] + weights[3]
    check_scalar(np.sum(got), outputs[0, 2] - outputs[1, 2], rtol=1e-3, atol=1e-4,
                 name="sum of the attributions (completeness)", quiet=True,
                 hint="the attributions should add up to f(x) - f(baseline).")


# --- exercise 5: error rates per group ----------------------------------------------------------------

def _rates(y_true, y_pred, group):
    from sklearn.metrics import confusion_matrix  # counting by an independent route
    rows = []
    for g in np.unique(group):
        tn, fp, fn, tp = confusion_matrix(y_true[group == g], y_pred[group == g], labels=[0, 1]).ravel()
        rows.append([(tp + tn) / (tp + tn + fp + fn), fp / (fp + tn), tp / (tp + fn)])
    return np.array(rows)


def ex5_test(student, rng):
    group_error_rates = student.function("group_error_rates")
    hint = ("for each group: accuracy over all its examples, FPR over its y = 0 examples only, TPR over its y = 1 "
            "examples only; one row per group in the order of np.unique(group).")
    y_t, y_p = np.array([0, 0, 1, 1, 0, 1]), np.array([0, 1, 1, 0, 0, 1])
    g_t = np.array(["a", "a", "a", "a", "b", "b"])
    check_array(call(group_error_rates, y_t, y_p, _in_kernel(student, g_t)), np.array([[0.5, 0.5, 0.5], [1.0, 0.0, 1.0]]),
                name="group_error_rates(the example)", hint=hint, quiet=True)
    y_true = rng.integers(0, 2, size=300)
    y_pred = np.where(rng.random(300) < 0.8, y_true, 1 - y_true)
    group = rng.integers(0, 2, size=300)
    check_array(call(group_error_rates, y_true, y_pred, group), _rates(y_true, y_pred, group),
                name="group_error_rates(two numbered groups)", hint=hint, quiet=True)
    names = np.array(["west", "north", "south"])[rng.integers(0, 3, size=500)]
    y_true = rng.integers(0, 2, size=500)
    y_pred = np.where(rng.random(500) < np.where(names == "west", 0.6, 0.9), y_true, 1 - y_true)
    expected = _rates(y_true, y_pred, names)
    check_array(call(group_error_rates, y_true, y_pred, _in_kernel(student, names)), expected,
                name="group_error_rates for three groups with string labels", quiet=True,
                hint="order the rows as np.unique(group) does (sorted), not in the order the groups first appear.")
    check_array(call(group_error_rates, y_true.tolist(), y_pred.tolist(), names.tolist()), expected,
                name="group_error_rates for the same, given as lists", hint="convert the inputs with np.asarray.",
                quiet=True)


# --- exercise 6: one threshold per group --------------------------------------------------------------

def ex6_test(student, rng):
    thresholds_for_fpr = student.function("thresholds_for_fpr")
    hint = "np.quantile(scores of the group's NEGATIVE examples (y = 0), 1 - target_fpr), one per group."
    got = call(thresholds_for_fpr, np.linspace(0.1, 1.0, 10), np.zeros(10, dtype=int), np.zeros(10, dtype=int), 0.2,
               name="thresholds_for_fpr(the example)")
    check_array(got, [0.82], name="thresholds_for_fpr(the example)", hint=hint, quiet=True)
    names = np.array(["x", "y", "z"])[rng.integers(0, 3, size=3000)]
    y = (rng.random(3000) < 0.25).astype(int)
    scores = rng.normal(y + (names == "z"), 1.0)
    two_groups = (rng.random(3000) < 0.4).astype(int)
    for group, target in ((two_groups, 0.05), (names, 0.01), (names, 0.1), (names, 0.5), (names, 0.0)):
        name = f"thresholds_for_fpr({len(np.unique(group))} groups, target {target})"
        sent = _in_kernel(student, group) if group.dtype.kind == "U" else group  # strings go as a list
        thresholds = check_shape(call(thresholds_for_fpr, scores, y, sent, target, name=name),
                                 (len(np.unique(group)),), name=name, quiet=True,
                                 hint="one threshold per group, in the order of np.unique(group).")
        expected = np.array([np.quantile(scores[(group == g) & (y == 0)], 1 - target) for g in np.unique(group)])
        for g, threshold in zip(np.unique(group), thresholds):
            negatives = scores[(group == g) & (y == 0)]
            fpr = np.mean(negatives > threshold)  # what the threshold does, measured
            check_true(abs(fpr - target) <= 1 / len(negatives) + 1e-12,
                       f"for group {g!r} the threshold flags {fpr:.3f} of the negatives, not {target}.", name=name,
                       hint="take the (1 - target) quantile of the scores of the group's NEGATIVE examples only.")
        check_array(thresholds, expected, name=name, hint=hint, quiet=True)


# --- exercise 7: running a TensorFlow Lite model ------------------------------------------------------

def _tflite_model(rng, d, hidden, k, hidden_activation, output_activation):
    import keras
    import tensorflow as tf
    keras.utils.set_random_seed(int(rng.integers(0, 2**31)))
    model = keras.Sequential([keras.Input(shape=(d,)), keras.layers.Dense(hidden, activation=hidden_activation),
                              keras.layers.Dense(k, activation=output_activation)])
    with tempfile.TemporaryDirectory() as folder:
        model.export(folder, verbose=False)
        content = tf.lite.TFLiteConverter.from_saved_model(folder).convert()
    return model, content


def _bytes_in_kernel(student, content):
    """``content`` as a ``bytes`` object in the student's kernel (a handle), made by NumPy's ndarray.tobytes."""
    to_bytes = student.value("np").ndarray.method("tobytes")
    return to_bytes(np.frombuffer(content, dtype=np.uint8).copy())


def ex7_test(student, rng):
    tflite_predict = student.function("tflite_predict")
    hint = "resize the input to X.shape before allocate_tensors(), set the input, invoke(), then read the output tensor."
    model, content = _tflite_model(rng, 8, 16, 4, "relu", None)
    model_bytes = _bytes_in_kernel(student, content)
    X = rng.uniform(size=(25, 8)).astype(np.float32)
    for batch, description in ((X, "a batch of 25"), (X[:1], "one row")):
        name = f"tflite_predict({description})"
        check_array(call(tflite_predict, model_bytes, batch, name=name, hint=hint), model(batch).numpy(), rtol=1e-4,
                    atol=1e-5, name=name, hint=hint, quiet=True)
    other, other_content = _tflite_model(rng, 3, 5, 2, "tanh", "softmax")
    other_bytes = _bytes_in_kernel(student, other_content)
    X_other = rng.normal(size=(60, 3))
    name = "tflite_predict(another model, on float64 input)"
    check_array(call(tflite_predict, other_bytes, X_other, name=name,
                     hint="the interpreter wants float32: X.astype(np.float32). " + hint),
                other(X_other.astype(np.float32)).numpy(), rtol=1e-4, atol=1e-5, name=name, hint=hint, quiet=True)


# --- exercise 8: the worst-case error of an int8 layer (derive) ---------------------------------------

def ex8_test(student, rng):
    worst_case_output_error = student.function("worst_case_output_error")
    hint = ("the error of output j is Σ_i x_i (W_ij − s_j q_ij); with |x_i| ≤ 1 it is largest for x_i = ±1, the sign "
            "of each term, which makes every term positive: Σ_i |W_ij − s_j q_ij|, summed over the inputs i.")
    cases = [(np.array([[0.5, -1.0], [-0.3, 0.2]]), "exercise 3's example")]
    cases += [(rng.normal(0, 0.1, size=(64, 16)), "a (64, 16) matrix"), (rng.uniform(-3, 1, size=(5, 7)), "a (5, 7) matrix")]
    for W, description in cases:
        name = f"worst_case_output_error({description})"
        scales = np.abs(W).max(axis=0) / 127
        errors = W - np.round(W / scales) * scales
        expected = np.abs(errors).sum(axis=0)
        got = call(worst_case_output_error, W, name=name)
        if _close(got, W.shape[0] * scales / 2):
            check_true(False, "this is the half-step bound d_in · s_j / 2: true, but not the worst case of these "
                       "weights.", name=name, hint=hint)
        check_array(got, expected, rtol=1e-7, atol=1e-15, name=name, hint=hint, quiet=True)
        # the worst case is reached: the input x_i = sign(error_ij) makes the error of output j equal to it
        reached = np.abs(np.sign(errors).T * errors.T).sum(axis=1)
        check_true(np.allclose(reached, got, rtol=1e-7, atol=1e-15), "no input with |x_i| ≤ 1 reaches this error.",
                   name=name, hint=hint)


_close = partial(is_close, atol=1e-12)   # a known answer, recognised within tolerance


# --- exercise 9: one threshold under a fairness constraint (decide) -----------------------------------

def _fair_choice(scores, y_true, group, max_gap, *, rate="tpr", flag_ge=False, strict=False, signed=False,
                 constrained=True, objective="accuracy", tie="smallest"):
    """The threshold the exercise asks for, by brute force over the distinct scores (the defaults), and the
    answers of the typical mistakes (the options), for feedback. Accuracy is compared in whole counts."""
    groups = np.unique(group)
    best, best_key = None, None
    for t in np.unique(scores):
        flagged = scores >= t if flag_ge else scores > t
        rates = []
        for g in groups:
            among = (group == g) & {"tpr": y_true == 1, "fpr": y_true == 0, "all": np.ones_like(y_true, bool)}[rate]
            rates.append(np.sum(flagged & among) / np.sum(among))
        gap = rates[0] - rates[-1] if signed else max(rates) - min(rates)
        if constrained and not (gap < max_gap if strict else gap <= max_gap):
            continue
        key = int(np.sum(flagged == (y_true == 1))) if objective == "accuracy" else -gap
        if best_key is None or key > best_key or (tie == "largest" and key == best_key):
            best, best_key = float(t), key
    return best


def _tpr_gap_and_correct(scores, y_true, group, t):
    flagged = scores > t
    tprs = [np.mean(flagged[(group == g) & (y_true == 1)]) for g in np.unique(group)]
    return max(tprs) - min(tprs), int(np.sum(flagged == (y_true == 1)))


_FAIR_MISTAKES = (
    ({"flag_ge": True}, "this is the answer for flagging score ≥ t; the model flags a score strictly above the "
                        "threshold, score > t."),
    ({"strict": True}, "this refuses thresholds whose gap equals max_gap exactly; the constraint is gap ≤ max_gap, "
                       "so those are allowed."),
    ({"signed": True}, "this bounds the signed difference of two groups' rates; the constraint bounds the absolute "
                       "gap, max over the groups minus min, whichever group is ahead."),
    ({"rate": "fpr"}, "this bounds the gap in false-positive rates; the constraint is on the true-positive rates "
                      "(among each group's y = 1 examples)."),
    ({"rate": "all"}, "this bounds the gap in the share of each group flagged; the true-positive rate counts only "
                      "the group's y = 1 examples."),
    ({"constrained": False}, "this is the most accurate threshold when the constraint is ignored; its gap in "
                             "true-positive rates is larger than max_gap."),
    ({"objective": "gap"}, "this threshold has the smallest gap, not the highest accuracy among the thresholds "
                           "whose gap is at most max_gap."),
    ({"tie": "largest"}, "several thresholds reach the best accuracy within the constraint; return the smallest."),
)


def _fair_data(rng, n, groups, *, lower_first, rounded):
    """Scores like the chapter's: the positives of one group score lower (a score that separates worse)."""
    group_index = rng.integers(0, len(groups), size=n)
    y = (rng.random(n) < rng.uniform(0.2, 0.4)).astype(int)
    for g in range(len(groups)):          # every group has at least two positives and two negatives
        members = np.flatnonzero(group_index == g)
        y[members[:2]], y[members[2:4]] = 1, 0
    shift = np.where(group_index == (0 if lower_first else len(groups) - 1), 0.8, 1.8)
    scores = 1 / (1 + np.exp(-(rng.normal(size=n) + y * shift - 1.0)))
    if rounded:
        scores = np.round(scores, 2)      # repeated scores
    return scores, y, np.asarray(groups)[group_index]


def _safe_gap(rng, scores, y, group, low, high):
    """A max_gap in [low, high] that no threshold's gap comes within 1e-9 of (no knife edge for the float gap)."""
    gaps = np.array([_tpr_gap_and_correct(scores, y, group, t)[0] for t in np.unique(scores)])
    while True:
        max_gap = float(rng.uniform(low, high))
        if np.all(np.abs(gaps - max_gap) > 1e-9):
            return max_gap


def ex9_test(student, rng):
    fair_threshold = student.function("fair_threshold")
    hint = ("for every distinct score t: flag score > t, compute each group's true-positive rate; keep t if max − min "
            "≤ max_gap; among those, the most accurate over all examples, the smallest t on a tie.")
    s = np.array([0.8, 0.55, 0.95, 0.5, 0.05, 0.1, 0.4, 0.9, 0.2, 0.35, 0.7, 0.55, 0.25, 0.45, 0.6, 0.3])
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0] * 2)
    group = np.array(["A"] * 8 + ["B"] * 8)
    cases = [(s, y, group, 0.25, "the example, max_gap 0.25"), (s, y, group, 0.0, "the example, max_gap 0"),
             (s, y, group, 1.0, "the example, max_gap 1")]
    for n, groups, lower_first, rounded in ((300, np.array([0, 1]), False, False),
                                            (400, np.array(["north", "south"]), True, False),
                                            (250, np.array(["a", "b", "c"]), True, True),
                                            (500, np.array([3, 7]), True, True)):
        scores, labels, members = _fair_data(rng, n, groups, lower_first=lower_first, rounded=rounded)
        description = (f"{n} examples, {len(groups)} groups" + (", repeated scores" if rounded else ""))
        for low, high in ((0.02, 0.1), (0.15, 0.35)):
            max_gap = _safe_gap(rng, scores, labels, members, low, high)
            cases.append((scores, labels, members, max_gap, f"{description}, max_gap {max_gap:.3f}"))
        cases.append((scores, labels, members, 0.0, f"{description}, max_gap 0"))
    first_wrong = None          # (name, messages): kept until a case names one mistake alone
    for scores, labels, members, max_gap, description in cases:
        name = f"fair_threshold({description})"
        sent = _in_kernel(student, members) if members.dtype.kind == "U" else members
        got = call(fair_threshold, scores, labels, sent, max_gap, name=name)
        check_true(isinstance(got, (int, float, np.integer, np.floating)) and not isinstance(got, bool),
                   f"expected one number, the threshold, but got {type(got).__name__}.", name=name,
                   hint="return float(t) for the chosen t.")
        expected = _fair_choice(scores, labels, members, max_gap)
        if got == expected:
            continue
        check_true(bool(np.any(scores == got)), "this is not one of the scores: the candidate thresholds are the "
                   "distinct values of scores (np.unique(scores)).", name=name, hint=hint)
        messages = [message for options, message in _FAIR_MISTAKES
                    if got == _fair_choice(scores, labels, members, max_gap, **options)]
        if len(messages) == 1:
            check_true(False, messages[0], name=name, hint=hint)
        if not messages:
            gap, correct = _tpr_gap_and_correct(scores, labels, members, got)
            best_correct = _tpr_gap_and_correct(scores, labels, members, expected)[1]
            if gap > max_gap:
                messages = ["at this threshold the gap in true-positive rates between the groups is larger than "
                            "max_gap: the constraint is not met."]
            elif correct < best_correct:
                messages = ["another threshold within the constraint is more accurate."]
            else:
                messages = ["another threshold within the constraint is as accurate and smaller: return the smallest."]
        if first_wrong is None:
            first_wrong = (name, messages)
    if first_wrong is not None:   # no case singled out one mistake: name every one that fits
        name, messages = first_wrong
        check_true(False, messages[0] if len(messages) == 1 else
                   "this is the answer of more than one mistake: " + " Or: ".join(messages), name=name, hint=hint)
