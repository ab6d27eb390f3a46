"""Wrong answers real students write, kept to prove that the trusted tests reject them.

Each mutant replaces one answer cell's source; its question must score below full marks, and
the failed check's message must contain ``feedback``. Seeded from the typical mistakes of
tests/test_ch06.py.
"""

_KS = '''def ks_statistic(sample_a, sample_b):
    sample_a = np.asarray(sample_a, dtype=float)
    sample_b = np.asarray(sample_b, dtype=float)
{body}'''

_PSI = '''def population_stability_index(expected, actual, bins=10, eps=1e-4):
    expected = np.asarray(expected, dtype=float)
    actual = np.asarray(actual, dtype=float)
{body}'''

_QUANT = '''def quantize_weights(W):
    W = np.asarray(W, dtype=np.float64)
{body}'''

_IG = '''def integrated_gradients(f, x, baseline, steps=50):
    x = np.asarray(x, dtype=np.float32)
    baseline = np.asarray(baseline, dtype=np.float32)
{body}'''

_IG_TAPE = '''    path = tf.constant(baseline + alphas[:, None] * (x - baseline))
    with tf.GradientTape() as tape:
        tape.watch(path)
        outputs = f(path)
    gradients = tape.gradient(outputs, path).numpy()
'''

_RATES = '''def group_error_rates(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
{body}'''

_THRESH = '''def thresholds_for_fpr(scores, y_true, group, target_fpr):
    scores, y_true, group = np.asarray(scores, dtype=float), np.asarray(y_true), np.asarray(group)
{body}'''

_TFLITE = '''def tflite_predict(model_bytes, X):
{body}'''

MUTANTS = [
    # exercise 1
    {"answer": "ex1_answer", "mistake": "cdfs compared only at the first sample's values",
     "source": _KS.format(body="    F_a = np.searchsorted(np.sort(sample_a), sample_a, side='right') / sample_a.size\n"
                               "    F_b = np.searchsorted(np.sort(sample_b), sample_a, side='right') / sample_b.size\n"
                               "    return float(np.max(np.abs(F_a - F_b)))\n"),
     "feedback": "values of both samples"},
    {"answer": "ex1_answer", "mistake": "gap without the absolute value",
     "source": _KS.format(body="    points = np.concatenate([sample_a, sample_b])\n"
                               "    F_a = np.searchsorted(np.sort(sample_a), points, side='right') / sample_a.size\n"
                               "    F_b = np.searchsorted(np.sort(sample_b), points, side='right') / sample_b.size\n"
                               "    return float(np.max(F_a - F_b))\n"),
     "feedback": "absolute value"},
    {"answer": "ex1_answer", "mistake": "both cdfs divided by the size of sample_a",
     "source": _KS.format(body="    points = np.concatenate([sample_a, sample_b])\n"
                               "    F_a = np.searchsorted(np.sort(sample_a), points, side='right') / sample_a.size\n"
                               "    F_b = np.searchsorted(np.sort(sample_b), points, side='right') / sample_a.size\n"
                               "    return float(np.max(np.abs(F_a - F_b)))\n"),
     "feedback": "its own sample"},
    {"answer": "ex1_answer", "mistake": "SciPy's ks_2samp",
     "source": "from scipy import stats\n\n\n" + _KS.format(body="    return float(stats.ks_2samp(sample_a, sample_b).statistic)\n"),
     "feedback": "rules out"},
    {"answer": "ex1_answer", "mistake": "no return",
     "source": _KS.format(body="    np.max(np.abs(np.sort(sample_a)[:1] - np.sort(sample_b)[:1]))\n"), "feedback": "None"},
    # exercise 2
    {"answer": "ex2_answer", "mistake": "bins from the live sample",
     "source": _PSI.format(body="    edges = np.quantile(actual, np.arange(1, bins) / bins)\n"
                                "    e = np.maximum(np.bincount(np.searchsorted(edges, expected, side='right'), minlength=bins) / expected.size, eps)\n"
                                "    a = np.maximum(np.bincount(np.searchsorted(edges, actual, side='right'), minlength=bins) / actual.size, eps)\n"
                                "    return float(np.sum((a - e) * np.log(a / e)))\n"),
     "feedback": "not the live one"},
    {"answer": "ex2_answer", "mistake": "fractions not floored at eps",
     "source": _PSI.format(body="    edges = np.quantile(expected, np.arange(1, bins) / bins)\n"
                                "    e = np.bincount(np.searchsorted(edges, expected, side='right'), minlength=bins) / expected.size\n"
                                "    a = np.bincount(np.searchsorted(edges, actual, side='right'), minlength=bins) / actual.size\n"
                                "    return float(np.sum((a - e) * np.log(a / e)))\n"),
     "feedback": "floor every fraction at eps"},
    {"answer": "ex2_answer", "mistake": "equal-width bins instead of quantiles",
     "source": _PSI.format(body="    edges = np.linspace(expected.min(), expected.max(), bins + 1)[1:-1]\n"
                                "    e = np.maximum(np.bincount(np.searchsorted(edges, expected, side='right'), minlength=bins) / expected.size, eps)\n"
                                "    a = np.maximum(np.bincount(np.searchsorted(edges, actual, side='right'), minlength=bins) / actual.size, eps)\n"
                                "    return float(np.sum((a - e) * np.log(a / e)))\n"),
     "feedback": "np.quantile(expected"},
    {"answer": "ex2_answer", "mistake": "bins and eps fixed at their defaults",
     "source": _PSI.format(body="    edges = np.quantile(expected, np.arange(1, 10) / 10)\n"
                                "    e = np.maximum(np.bincount(np.searchsorted(edges, expected, side='right'), minlength=10) / expected.size, 1e-4)\n"
                                "    a = np.maximum(np.bincount(np.searchsorted(edges, actual, side='right'), minlength=10) / actual.size, 1e-4)\n"
                                "    return float(np.sum((a - e) * np.log(a / e)))\n"),
     "feedback": "bins"},
    # exercise 3
    {"answer": "ex3_answer", "mistake": "truncates instead of rounding",
     "source": _QUANT.format(body="    scales = np.abs(W).max(axis=0) / 127\n    return (W / scales).astype(np.int8), scales\n"),
     "feedback": "more than half a step"},
    {"answer": "ex3_answer", "mistake": "one scale for the whole matrix",
     "source": _QUANT.format(body="    scale = np.abs(W).max() / 127\n    return np.round(W / scale).astype(np.int8), np.full(W.shape[1], scale)\n"),
     "feedback": "one scale per column"},
    {"answer": "ex3_answer", "mistake": "left as floats",
     "source": _QUANT.format(body="    scales = np.abs(W).max(axis=0) / 127\n    return np.round(W / scales), scales\n"),
     "feedback": "dtype"},
    {"answer": "ex3_answer", "mistake": "scales per row (axis=1)",
     "source": _QUANT.format(body="    scales = np.abs(W).max(axis=1) / 127\n"
                                  "    return np.round(W / scales[:, None]).astype(np.int8), scales\n"),
     "feedback": "per column"},
    {"answer": "ex3_answer", "mistake": "scale by the largest weight, not the largest absolute weight",
     "source": _QUANT.format(body="    scales = W.max(axis=0) / 127\n"
                                  "    return np.clip(np.round(W / scales), -127, 127).astype(np.int8), scales\n"),
     "feedback": "largest absolute weight"},
    # exercise 4
    {"answer": "ex4_answer", "mistake": "without (x - baseline)",
     "source": _IG.format(body="    alphas = (np.arange(1, steps + 1, dtype=np.float32) - 0.5) / steps\n" + _IG_TAPE
                               + "    return gradients.mean(axis=0)\n"),
     "feedback": "(x_i - x'_i)"},
    {"answer": "ex4_answer", "mistake": "left Riemann sum instead of the midpoint rule",
     "source": _IG.format(body="    alphas = np.arange(steps, dtype=np.float32) / steps\n" + _IG_TAPE
                               + "    return (x - baseline) * gradients.mean(axis=0)\n"),
     "feedback": "midpoint"},
    {"answer": "ex4_answer", "mistake": "finite differences instead of the tape",
     "source": _IG.format(body="    alphas = (np.arange(1, steps + 1, dtype=np.float32) - 0.5) / steps\n"
                               "    path = baseline + alphas[:, None] * (x - baseline)\n"
                               "    h = 1e-2\n    eye = np.eye(x.size, dtype=np.float32) * h\n"
                               "    grads = np.stack([(f(tf.constant(path + e)).numpy() - f(tf.constant(path - e)).numpy()) / (2 * h)\n"
                               "                      for e in eye], axis=1)\n"
                               "    return (x - baseline) * grads.mean(axis=0)\n"),
     "feedback": "GradientTape"},
    {"answer": "ex4_answer", "mistake": "one tape per point in a loop",
     "source": _IG.format(body="    grads = []\n    for k in range(steps):\n"
                               "        point = tf.constant((baseline + (k + 0.5) / steps * (x - baseline))[None])\n"
                               "        with tf.GradientTape() as tape:\n            tape.watch(point)\n"
                               "            output = f(point)\n"
                               "        grads.append(tape.gradient(output, point).numpy()[0])\n"
                               "    return (x - baseline) * np.mean(grads, axis=0)\n"),
     "feedback": "one batch"},
    {"answer": "ex4_answer", "mistake": "the path not watched (tape.gradient gives None)",
     "source": _IG.format(body="    alphas = (np.arange(1, steps + 1, dtype=np.float32) - 0.5) / steps\n"
                               "    path = tf.constant(baseline + alphas[:, None] * (x - baseline))\n"
                               "    with tf.GradientTape() as tape:\n        outputs = f(path)\n"
                               "    return (x - baseline) * tape.gradient(outputs, path).numpy().mean(axis=0)\n"),
     "feedback": "tape.watch"},
    # exercise 5
    {"answer": "ex5_answer", "mistake": "FPR over all examples of the group",
     "source": _RATES.format(body="    rows = []\n    for g in np.unique(group):\n"
                                  "        t, p = y_true[group == g], y_pred[group == g]\n"
                                  "        rows.append([np.mean(t == p), np.mean((p == 1) & (t == 0)), np.mean(p[t == 1] == 1)])\n"
                                  "    return np.array(rows)\n"),
     "feedback": "y = 0 examples only"},
    {"answer": "ex5_answer", "mistake": "groups in the order they first appear",
     "source": _RATES.format(body="    rows = []\n    for g in dict.fromkeys(group.tolist()):\n"
                                  "        t, p = y_true[group == g], y_pred[group == g]\n"
                                  "        rows.append([np.mean(t == p), np.mean(p[t == 0] == 1), np.mean(p[t == 1] == 1)])\n"
                                  "    return np.array(rows)\n"),
     "feedback": "np.unique"},
    {"answer": "ex5_answer", "mistake": "FPR and TPR swapped",
     "source": _RATES.format(body="    rows = []\n    for g in np.unique(group):\n"
                                  "        t, p = y_true[group == g], y_pred[group == g]\n"
                                  "        rows.append([np.mean(t == p), np.mean(p[t == 1] == 1), np.mean(p[t == 0] == 1)])\n"
                                  "    return np.array(rows)\n"),
     "feedback": "FPR over its y = 0"},
    {"answer": "ex5_answer", "mistake": "accuracy over the whole data set",
     "source": _RATES.format(body="    rows = []\n    for g in np.unique(group):\n"
                                  "        t, p = y_true[group == g], y_pred[group == g]\n"
                                  "        rows.append([np.mean(y_true == y_pred), np.mean(p[t == 0] == 1), np.mean(p[t == 1] == 1)])\n"
                                  "    return np.array(rows)\n"),
     "feedback": "accuracy over all its examples"},
    # exercise 6
    {"answer": "ex6_answer", "mistake": "thresholds from every score of the group",
     "source": _THRESH.format(body="    return np.array([np.quantile(scores[group == g], 1 - target_fpr) for g in np.unique(group)])\n"),
     "feedback": "NEGATIVE"},
    {"answer": "ex6_answer", "mistake": "the target quantile instead of 1 - target",
     "source": _THRESH.format(body="    return np.array([np.quantile(scores[(group == g) & (y_true == 0)], target_fpr) for g in np.unique(group)])\n"),
     "feedback": "1 - target"},
    {"answer": "ex6_answer", "mistake": "one threshold for everybody",
     "source": _THRESH.format(body="    t = np.quantile(scores[y_true == 0], 1 - target_fpr)\n"
                                   "    return np.full(len(np.unique(group)), t)\n"),
     "feedback": "the group's NEGATIVE examples"},
    # exercise 7
    {"answer": "ex7_answer", "mistake": "interpreter input not resized",
     "source": _TFLITE.format(body="    X = np.asarray(X, dtype=np.float32)\n"
                                   "    interpreter = Interpreter(model_content=model_bytes)\n"
                                   "    interpreter.allocate_tensors()\n"
                                   "    interpreter.set_tensor(interpreter.get_input_details()[0]['index'], X)\n"
                                   "    interpreter.invoke()\n"
                                   "    return interpreter.get_tensor(interpreter.get_output_details()[0]['index'])\n"),
     "feedback": "resize the input"},
    {"answer": "ex7_answer", "mistake": "float64 input not converted",
     "source": _TFLITE.format(body="    X = np.asarray(X)\n"
                                   "    interpreter = Interpreter(model_content=model_bytes)\n"
                                   "    input_index = interpreter.get_input_details()[0]['index']\n"
                                   "    interpreter.resize_tensor_input(input_index, X.shape)\n"
                                   "    interpreter.allocate_tensors()\n"
                                   "    interpreter.set_tensor(input_index, X)\n"
                                   "    interpreter.invoke()\n"
                                   "    return interpreter.get_tensor(interpreter.get_output_details()[0]['index'])\n"),
     "feedback": "float32"},
    {"answer": "ex7_answer", "mistake": "one row at a time, only the first kept",
     "source": _TFLITE.format(body="    X = np.asarray(X, dtype=np.float32)\n"
                                   "    interpreter = Interpreter(model_content=model_bytes)\n"
                                   "    interpreter.allocate_tensors()\n"
                                   "    interpreter.set_tensor(interpreter.get_input_details()[0]['index'], X[:1])\n"
                                   "    interpreter.invoke()\n"
                                   "    return interpreter.get_tensor(interpreter.get_output_details()[0]['index'])\n"),
     "feedback": "wrong shape"},
]

_WORST = '''def worst_case_output_error(W):
    W = np.asarray(W, dtype=np.float64)
    scales = np.abs(W).max(axis=0) / 127
    errors = W - np.round(W / scales) * scales
{body}'''

MUTANTS += [
    {"answer": "ex8_answer", "mistake": "the half-step bound d_in · s / 2",
     "source": _WORST.format(body="    return W.shape[0] * scales / 2\n"), "feedback": "half-step bound"},
    {"answer": "ex8_answer", "mistake": "the largest single error instead of the sum",
     "source": _WORST.format(body="    return np.abs(errors).max(axis=0)\n"), "feedback": "summed over the inputs"},
    {"answer": "ex8_answer", "mistake": "signed errors summed (x = 1 for every input)",
     "source": _WORST.format(body="    return np.abs(errors.sum(axis=0))\n"), "feedback": "every term positive"},
    {"answer": "ex8_answer", "mistake": "summed over the outputs (axis=1)",
     "source": _WORST.format(body="    return np.abs(errors).sum(axis=1)\n"), "feedback": "summed over the inputs"},
]

_FAIR = '''def fair_threshold(scores, y_true, group, max_gap):
    scores, y_true, group = np.asarray(scores, dtype=np.float64), np.asarray(y_true), np.asarray(group)
    best, best_correct = None, -1
    for t in {candidates}:
        flagged = scores {flag} t
        rates = [np.mean(flagged[{among}]) for g in np.unique(group)]
        gap = {gap}
        if {keep}:
            correct = int(np.sum(flagged == (y_true == 1)))
            if correct {better} best_correct:
                best, best_correct = t, correct
    return float(best)
'''


def _fair(candidates="np.unique(scores)", flag=">", among="(group == g) & (y_true == 1)", gap="max(rates) - min(rates)",
          keep="gap <= max_gap", better=">"):
    return _FAIR.format(candidates=candidates, flag=flag, among=among, gap=gap, keep=keep, better=better)


MUTANTS += [
    {"answer": "ex9_answer", "mistake": "the constraint ignored: the most accurate threshold",
     "source": _fair(keep="True"), "feedback": "ignored"},
    {"answer": "ex9_answer", "mistake": "the gap measured on false-positive rates",
     "source": _fair(among="(group == g) & (y_true == 0)"), "feedback": "false-positive rates"},
    {"answer": "ex9_answer", "mistake": "the gap measured on the share flagged (demographic parity)",
     "source": _fair(among="group == g"), "feedback": "share of each group flagged"},
    {"answer": "ex9_answer", "mistake": "the smallest gap, whatever the accuracy",
     "source": "def fair_threshold(scores, y_true, group, max_gap):\n"
               "    scores, y_true, group = np.asarray(scores, dtype=np.float64), np.asarray(y_true), np.asarray(group)\n"
               "    best, best_gap = None, np.inf\n"
               "    for t in np.unique(scores):\n"
               "        flagged = scores > t\n"
               "        rates = [np.mean(flagged[(group == g) & (y_true == 1)]) for g in np.unique(group)]\n"
               "        if max(rates) - min(rates) < best_gap:\n"
               "            best, best_gap = t, max(rates) - min(rates)\n"
               "    return float(best)\n",
     "feedback": "smallest gap"},
    {"answer": "ex9_answer", "mistake": "flags score >= t", "source": _fair(flag=">="), "feedback": "score > t"},
    {"answer": "ex9_answer", "mistake": "gap < max_gap instead of <=", "source": _fair(keep="gap < max_gap"),
     "feedback": "equals max_gap"},
    {"answer": "ex9_answer", "mistake": "a tie goes to the largest threshold", "source": _fair(better=">="),
     "feedback": "smallest"},
    {"answer": "ex9_answer", "mistake": "the signed difference of the first and last group",
     "source": _fair(gap="rates[0] - rates[-1]"), "feedback": "absolute gap"},
    {"answer": "ex9_answer", "mistake": "thresholds from a grid of 101 values, not the scores",
     "source": _fair(candidates="np.linspace(0, 1, 101)"), "feedback": "distinct values of scores"},
]
