"""Wrong answers real students write, kept to prove that the trusted tests reject them.

Each mutant replaces one answer cell's source; its question must score below full marks, and
the failed check's message must contain ``feedback``.
"""

_DROPOUT = '''def inverted_dropout(A, keep_mask, rate, training=True):
    A = np.asarray(A, dtype=float)
    keep_mask = np.asarray(keep_mask, dtype=bool)
{body}'''

_INIT = '''def init_std(fan_in, fan_out, activation):
{body}'''

_ADAM = '''def adam_step(theta, grad, m, s, t, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
    theta, grad = np.asarray(theta, dtype=float), np.asarray(grad, dtype=float)
    m, s = np.asarray(m, dtype=float), np.asarray(s, dtype=float)
{body}'''

_SCHEDULE = '''def warmup_cosine(step, total_steps, warmup_steps, base_lr):
{body}'''

_LAYER_NORM = '''def layer_norm_backward(grad_Y, X, gamma, eps=1e-3):
    grad_Y, X, gamma = np.asarray(grad_Y, dtype=float), np.asarray(X, dtype=float), np.asarray(gamma, dtype=float)
    mean = X.mean(axis={axis}, keepdims=True)
    inv_std = 1 / np.sqrt(X.var(axis={axis}, keepdims=True) + eps)
    X_hat = (X - mean) * inv_std
    g = grad_Y * gamma
{body}'''

_STABLE = '''def largest_stable_learning_rate(H, weight_decay=0.0):
    H = np.asarray(H, dtype=float)
{body}'''

_SGD = '''def sgd_epochs(X, y, w, learning_rate, batch_size, epochs, seed):
    X, y, w = np.asarray(X, dtype=float), np.asarray(y, dtype=float), np.array(w, dtype=float)
    n = len(y)
{body}'''

_SGD_LOOP = '''    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        order = rng.permutation(n)
        for start in range({stop}):
            rows = order[start:start + batch_size]
            X_batch, y_batch = X[rows], {labels}
            gradient = 2 * X_batch.T @ (X_batch @ w - y_batch) / {divisor}
            w = w - learning_rate * gradient
    return w
'''

MUTANTS = [
    # --- exercise 1 ---
    {"answer": "ex1_answer", "mistake": "keeps the units but does not rescale them",
     "source": _DROPOUT.format(body="    if not training:\n        return A\n    return A * keep_mask\n"),
     "feedback": "1 - rate"},
    {"answer": "ex1_answer", "mistake": "divides by the rate instead of the keep probability",
     "source": _DROPOUT.format(body="    if not training:\n        return A\n    return A * keep_mask / rate\n"),
     "feedback": "1 - rate"},
    {"answer": "ex1_answer", "mistake": "multiplies by the keep probability (old-style dropout) in training",
     "source": _DROPOUT.format(body="    if not training:\n        return A\n    return A * keep_mask * (1 - rate)\n"),
     "feedback": "1 - rate"},
    {"answer": "ex1_answer", "mistake": "scales at inference as well",
     "source": _DROPOUT.format(body="    if not training:\n        return A * (1 - rate)\n    return A * keep_mask / (1 - rate)\n"),
     "feedback": "at inference"},
    {"answer": "ex1_answer", "mistake": "applies the mask at inference too",
     "source": _DROPOUT.format(body="    return A * keep_mask / (1 - rate)\n"),
     "feedback": "at inference"},
    # --- exercise 2 ---
    {"answer": "ex2_answer", "mistake": "returns the variance, not the standard deviation",
     "source": _INIT.format(body="    if activation == 'relu':\n        return 2 / fan_in\n    if activation == 'tanh':\n"
                                 "        return 2 / (fan_in + fan_out)\n    raise ValueError(activation)\n"),
     "feedback": "standard deviation"},
    {"answer": "ex2_answer", "mistake": "He with fan_out",
     "source": _INIT.format(body="    if activation == 'relu':\n        return np.sqrt(2 / fan_out)\n    if activation == 'tanh':\n"
                                 "        return np.sqrt(2 / (fan_in + fan_out))\n    raise ValueError(activation)\n"),
     "feedback": "2 / fan_in"},
    {"answer": "ex2_answer", "mistake": "Glorot without the factor 2",
     "source": _INIT.format(body="    if activation == 'relu':\n        return np.sqrt(2 / fan_in)\n    if activation == 'tanh':\n"
                                 "        return np.sqrt(1 / (fan_in + fan_out))\n    raise ValueError(activation)\n"),
     "feedback": "2 / (fan_in + fan_out)"},
    {"answer": "ex2_answer", "mistake": "He and Glorot swapped",
     "source": _INIT.format(body="    if activation == 'tanh':\n        return np.sqrt(2 / fan_in)\n    if activation == 'relu':\n"
                                 "        return np.sqrt(2 / (fan_in + fan_out))\n    raise ValueError(activation)\n"),
     "feedback": "He initialisation"},
    {"answer": "ex2_answer", "mistake": "falls back to Glorot for any other activation",
     "source": _INIT.format(body="    if activation == 'relu':\n        return np.sqrt(2 / fan_in)\n"
                                 "    return np.sqrt(2 / (fan_in + fan_out))\n"),
     "feedback": "ValueError"},
    # --- exercise 3 ---
    {"answer": "ex3_answer", "mistake": "no bias correction",
     "source": _ADAM.format(body="    m = beta1 * m + (1 - beta1) * grad\n    s = beta2 * s + (1 - beta2) * grad ** 2\n"
                                 "    return theta - learning_rate * m / (np.sqrt(s) + eps), m, s\n"),
     "feedback": "bias correction"},
    {"answer": "ex3_answer", "mistake": "returns the bias-corrected averages as the state",
     "source": _ADAM.format(body="    m = beta1 * m + (1 - beta1) * grad\n    s = beta2 * s + (1 - beta2) * grad ** 2\n"
                                 "    m = m / (1 - beta1 ** t)\n    s = s / (1 - beta2 ** t)\n"
                                 "    return theta - learning_rate * m / (np.sqrt(s) + eps), m, s\n"),
     "feedback": "not its bias-corrected form"},
    {"answer": "ex3_answer", "mistake": "eps inside the square root",
     "source": _ADAM.format(body="    m = beta1 * m + (1 - beta1) * grad\n    s = beta2 * s + (1 - beta2) * grad ** 2\n"
                                 "    m_hat, s_hat = m / (1 - beta1 ** t), s / (1 - beta2 ** t)\n"
                                 "    return theta - learning_rate * m_hat / np.sqrt(s_hat + eps), m, s\n"),
     "feedback": "outside the square root"},
    {"answer": "ex3_answer", "mistake": "bias correction with t + 1 (counts steps from 0)",
     "source": _ADAM.format(body="    m = beta1 * m + (1 - beta1) * grad\n    s = beta2 * s + (1 - beta2) * grad ** 2\n"
                                 "    m_hat, s_hat = m / (1 - beta1 ** (t + 1)), s / (1 - beta2 ** (t + 1))\n"
                                 "    return theta - learning_rate * m_hat / (np.sqrt(s_hat) + eps), m, s\n"),
     "feedback": "counting from 1"},
    {"answer": "ex3_answer", "mistake": "squares the momentum instead of the gradient",
     "source": _ADAM.format(body="    m = beta1 * m + (1 - beta1) * grad\n    s = beta2 * s + (1 - beta2) * m ** 2\n"
                                 "    m_hat, s_hat = m / (1 - beta1 ** t), s / (1 - beta2 ** t)\n"
                                 "    return theta - learning_rate * m_hat / (np.sqrt(s_hat) + eps), m, s\n"),
     "feedback": "g²"},
    # --- exercise 4 ---
    {"answer": "ex4_answer", "mistake": "warm-up starts at zero (t / W)",
     "source": _SCHEDULE.format(body="    if step < warmup_steps:\n        return base_lr * step / warmup_steps\n"
                                     "    progress = (step - warmup_steps) / (total_steps - warmup_steps)\n"
                                     "    return base_lr * (1 + np.cos(np.pi * progress)) / 2\n"),
     "feedback": "the first step (t = 0)"},
    {"answer": "ex4_answer", "mistake": "cosine over all T steps, ignoring the warm-up",
     "source": _SCHEDULE.format(body="    if step < warmup_steps:\n        return base_lr * (step + 1) / warmup_steps\n"
                                     "    return base_lr * (1 + np.cos(np.pi * step / total_steps)) / 2\n"),
     "feedback": "(t − W)/(T − W)"},
    {"answer": "ex4_answer", "mistake": "cosine without the shift: cos goes negative",
     "source": _SCHEDULE.format(body="    if step < warmup_steps:\n        return base_lr * (step + 1) / warmup_steps\n"
                                     "    progress = (step - warmup_steps) / (total_steps - warmup_steps)\n"
                                     "    return base_lr * np.cos(np.pi * progress)\n"),
     "feedback": "after the warm-up"},
    # --- exercise 5 ---
    {"answer": "ex5_answer", "mistake": "treats the mean and variance as constants",
     "source": _LAYER_NORM.format(axis=1, body="    return g * inv_std, (grad_Y * X_hat).sum(axis=0), grad_Y.sum(axis=0)\n"),
     "feedback": "constants"},
    {"answer": "ex5_answer", "mistake": "forgets the path through the variance",
     "source": _LAYER_NORM.format(axis=1, body="    grad_X = inv_std * (g - g.mean(axis=1, keepdims=True))\n"
                                                "    return grad_X, (grad_Y * X_hat).sum(axis=0), grad_Y.sum(axis=0)\n"),
     "feedback": "variance is missing"},
    {"answer": "ex5_answer", "mistake": "batch normalisation's backward pass (means over axis 0)",
     "source": _LAYER_NORM.format(axis=0, body="    grad_X = inv_std * (g - g.mean(axis=0, keepdims=True) - X_hat * (g * X_hat).mean(axis=0, keepdims=True))\n"
                                                "    return grad_X, (grad_Y * X_hat).sum(axis=0), grad_Y.sum(axis=0)\n"),
     "feedback": "each row"},
    {"answer": "ex5_answer", "mistake": "grad_gamma summed over the features instead of the examples",
     "source": _LAYER_NORM.format(axis=1, body="    grad_X = inv_std * (g - g.mean(axis=1, keepdims=True) - X_hat * (g * X_hat).mean(axis=1, keepdims=True))\n"
                                                "    return grad_X, (grad_Y * X_hat).sum(axis=1), grad_Y.sum(axis=0)\n"),
     "feedback": "grad_gamma"},
    {"answer": "ex5_answer", "mistake": "forgets gamma in the gradient with respect to X",
     "source": _LAYER_NORM.format(axis=1, body="    g = grad_Y\n    grad_X = inv_std * (g - g.mean(axis=1, keepdims=True) - X_hat * (g * X_hat).mean(axis=1, keepdims=True))\n"
                                                "    return grad_X, (grad_Y * X_hat).sum(axis=0), grad_Y.sum(axis=0)\n"),
     "feedback": "grad_X"},
    # --- exercise 6 ---
    {"answer": "ex6_answer", "mistake": "1 / L, the step that lands on the minimum",
     "source": _STABLE.format(body="    return float(1 / (np.linalg.eigvalsh(H).max() + weight_decay))\n"),
     "feedback": "half the boundary"},
    {"answer": "ex6_answer", "mistake": "ignores the weight decay",
     "source": _STABLE.format(body="    return float(2 / np.linalg.eigvalsh(H).max())\n"),
     "feedback": "weight decay is missing"},
    {"answer": "ex6_answer", "mistake": "uses the smallest eigenvalue",
     "source": _STABLE.format(body="    return float(2 / (np.linalg.eigvalsh(H).min() + weight_decay))\n"),
     "feedback": "smallest eigenvalue"},
    {"answer": "ex6_answer", "mistake": "uses the largest diagonal entry",
     "source": _STABLE.format(body="    return float(2 / (np.diag(H).max() + weight_decay))\n"),
     "feedback": "diagonal"},
    {"answer": "ex6_answer", "mistake": "uses the trace",
     "source": _STABLE.format(body="    return float(2 / (np.trace(H) + weight_decay))\n"),
     "feedback": "eigenvector"},
    # --- exercise 7 ---
    {"answer": "ex7_answer", "mistake": "hands in the buggy loop unchanged",
     "source": _SGD.format(body=_SGD_LOOP.format(stop="0, n - batch_size, batch_size", labels="y[start:start + batch_size]",
                                                 divisor="n")),
     "feedback": "own label"},
    {"answer": "ex7_answer", "mistake": "fixes the labels only",
     "source": _SGD.format(body=_SGD_LOOP.format(stop="0, n - batch_size, batch_size", labels="y[rows]", divisor="n")),
     "feedback": "skipped"},
    {"answer": "ex7_answer", "mistake": "fixes labels and batches, still divides by n",
     "source": _SGD.format(body=_SGD_LOOP.format(stop="0, n, batch_size", labels="y[rows]", divisor="n")),
     "feedback": "batch's own size"},
    {"answer": "ex7_answer", "mistake": "divides by batch_size, wrong for the last, smaller batch",
     "source": _SGD.format(body=_SGD_LOOP.format(stop="0, n, batch_size", labels="y[rows]", divisor="batch_size")),
     "feedback": "batch's own size"},
    {"answer": "ex7_answer", "mistake": "a new generator every epoch (the same shuffle each time)",
     "source": _SGD.format(body=_SGD_LOOP.format(stop="0, n, batch_size", labels="y[rows]", divisor="len(rows)").replace(
         "    rng = np.random.default_rng(seed)\n    for epoch in range(epochs):\n",
         "    for epoch in range(epochs):\n        rng = np.random.default_rng(seed)\n")),
     "feedback": "new permutation"},
]
