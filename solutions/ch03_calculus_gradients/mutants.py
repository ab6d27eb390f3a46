"""Wrong answers to chapter 3's exercises that the trusted tests must reject (instructor-only).

Each: the answer cell it replaces, the mistake in words, its source, and a phrase the
failed check's message must contain (it names the mistake for the student).
Seeded from the typical mistakes of tests/test_ch03.py.
"""

_cd = "def central_difference(f, x, h=1e-5):\n"
_mse = ("def mse_gradient(X, y, w, b):\n"
        "    X, y, w = np.asarray(X, dtype=float), np.asarray(y, dtype=float), np.asarray(w, dtype=float)\n")
_gc = "def gradient_check(f, grad_f, x, h=1e-5):\n"
_gd = "def gradient_descent(grad_f, x0, learning_rate, num_steps):\n"
_mo = "def momentum_step(theta, velocity, gradient, learning_rate, beta):\n"
_ad = "def adam_step(theta, m, s, gradient, t, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):\n"
_ls = "def largest_stable_learning_rate(A):\n    A = np.asarray(A, dtype=float)\n"
_lg = ("def logistic_loss_gradient(X, y, w, b):\n    X = tf.constant(X, dtype=tf.float64)\n"
       "    y = tf.constant(y, dtype=tf.float64)\n")


def _tape(variables="w_v = tf.Variable(w, dtype=tf.float64); b_v = tf.Variable(float(b), dtype=tf.float64)",
          loss="-tf.reduce_mean(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))", X="X", y=""):
    return (_lg + f"    {variables}\n" + (f"    {y}\n" if y else "") + "    with tf.GradientTape() as tape:\n"
            f"        p = tf.sigmoid(tf.linalg.matvec({X}, w_v) + b_v)\n        loss = {loss}\n"
            "    gw, gb = tape.gradient(loss, [w_v, b_v])\n    return gw.numpy(), float(gb.numpy())\n")


MUTANTS = [
    # exercise 1
    {"answer": "ex1_answer", "mistake": "forward difference",
     "source": _cd + "    return (f(x + h) - f(x)) / h\n", "feedback": "forward difference"},
    {"answer": "ex1_answer", "mistake": "ignores the h it is given",
     "source": _cd + "    return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5\n", "feedback": "the h you were given"},
    {"answer": "ex1_answer", "mistake": "forgets to return",
     "source": _cd + "    (f(x + h) - f(x - h)) / (2 * h)\n", "feedback": "the answer is None"},
    {"answer": "ex1_answer", "mistake": "divides by h instead of 2h",
     "source": _cd + "    return (f(x + h) - f(x - h)) / h\n", "feedback": "2h"},
    {"answer": "ex1_answer", "mistake": "loops over x with float(): fails for arrays",
     "source": _cd + "    x = float(x)\n    return (f(x + h) - f(x - h)) / (2 * h)\n", "feedback": "element-wise"},
    # exercise 2
    {"answer": "ex2_answer", "mistake": "forgets the factor 2",
     "source": _mse + "    r = X @ w + b - y\n    return X.T @ r / len(y), r.mean()\n", "feedback": "factor 2"},
    {"answer": "ex2_answer", "mistake": "returns only grad_w",
     "source": _mse + "    r = X @ w + b - y\n    return 2 * X.T @ r / len(y)\n", "feedback": "a pair"},
    {"answer": "ex2_answer", "mistake": "forgets the bias in the residuals",
     "source": _mse + "    r = X @ w - y\n    return 2 * X.T @ r / len(y), 2 * r.mean()\n", "feedback": "include b"},
    {"answer": "ex2_answer", "mistake": "sums instead of averaging",
     "source": _mse + "    r = X @ w + b - y\n    return 2 * X.T @ r, 2 * r.sum()\n", "feedback": "factor 1/n"},
    {"answer": "ex2_answer", "mistake": "finite differences instead of the derived formula",
     "source": _mse + "    def loss(w, b):\n        return np.mean((X @ w + b - y) ** 2)\n    h = 1e-5\n"
               "    grad_w = np.array([(loss(w + h * e, b) - loss(w - h * e, b)) / (2 * h) for e in np.eye(len(w))])\n"
               "    return grad_w, (loss(w, b + h) - loss(w, b - h)) / (2 * h)\n",
     "feedback": "finite differences"},
    {"answer": "ex2_answer", "mistake": "asks TensorFlow for the gradient",
     "source": _mse + "    w_v, b_v = tf.Variable(w), tf.Variable(float(b), dtype=tf.float64)\n"
               "    with tf.GradientTape() as tape:\n        loss = tf.reduce_mean((tf.linalg.matvec(tf.constant(X), w_v) + b_v - y) ** 2)\n"
               "    gw, gb = tape.gradient(loss, [w_v, b_v])\n    return gw.numpy(), float(gb)\n",
     "feedback": "rules out"},
    # exercise 3
    {"answer": "ex3_answer", "mistake": "divides by one norm only",
     "source": _gc + "    x = np.array(x, dtype=float); g = grad_f(x)\n"
               "    n = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.size)])\n"
               "    return np.linalg.norm(g - n) / np.linalg.norm(g)\n",
     "feedback": "sum of both norms"},
    {"answer": "ex3_answer", "mistake": "changes the caller's array",
     "source": _gc + "    n = np.zeros(x.shape)\n    for i in range(x.size):\n"
               "        old = x.flat[i]; x.flat[i] = old + h; up = f(x); x.flat[i] = old - h; down = f(x)\n"
               "        x.flat[i] = old + 1e-3\n        n.flat[i] = (up - down) / (2 * h)\n    g = grad_f(x)\n"
               "    s = np.linalg.norm(g) + np.linalg.norm(n)\n    return 0.0 if s == 0 else float(np.linalg.norm(g - n) / s)\n",
     "feedback": "changed the array x"},
    {"answer": "ex3_answer", "mistake": "perturbs every entry at once (np.ones instead of e_i)",
     "source": _gc + "    x = np.array(x, dtype=np.float64)\n    n = np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))\n"
               "    g = np.asarray(grad_f(x), dtype=float)\n    s = np.linalg.norm(g) + np.linalg.norm(n)\n"
               "    return 0.0 if s == 0 else float(np.linalg.norm(g - n) / s)\n",
     "feedback": "one entry at a time"},
    {"answer": "ex3_answer", "mistake": "divides by zero for a constant function",
     "source": _gc + "    x = np.array(x, dtype=np.float64)\n    n = np.zeros_like(x)\n    for i in range(x.size):\n"
               "        e = np.zeros_like(x); e.flat[i] = h\n        n.flat[i] = (f(x + e) - f(x - e)) / (2 * h)\n"
               "    g = np.asarray(grad_f(x), dtype=float)\n"
               "    return float(np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n)))\n",
     "feedback": "both norms are zero"},
    # exercise 4
    {"answer": "ex4_answer", "mistake": "steps uphill",
     "source": _gd + "    x = np.array(x0, float)\n    for _ in range(num_steps):\n        x = x + learning_rate * grad_f(x)\n    return x\n",
     "feedback": "uphill"},
    {"answer": "ex4_answer", "mistake": "updates x0 in place",
     "source": _gd + "    x = x0\n    for _ in range(num_steps):\n        x -= learning_rate * grad_f(x)\n    return x\n",
     "feedback": "in place"},
    {"answer": "ex4_answer", "mistake": "one step too many",
     "source": _gd + "    x = np.array(x0, float)\n    for _ in range(num_steps + 1):\n        x = x - learning_rate * grad_f(x)\n    return x\n",
     "feedback": "off-by-one"},
    {"answer": "ex4_answer", "mistake": "stops when the iterates grow",
     "source": _gd + "    x = np.array(x0, float)\n    for _ in range(num_steps):\n        new = x - learning_rate * grad_f(x)\n"
               "        if np.linalg.norm(new) > np.linalg.norm(x):\n            break\n        x = new\n    return x\n",
     "feedback": "num_steps times"},
    # exercise 5
    {"answer": "ex5_answer", "mistake": "moves with the old velocity",
     "source": _mo + "    return theta + velocity, beta * velocity - learning_rate * gradient\n", "feedback": "new velocity, not the old"},
    {"answer": "ex5_answer", "mistake": "adds the gradient",
     "source": _mo + "    v = beta * velocity + learning_rate * gradient\n    return theta + v, v\n", "feedback": "new_velocity"},
    {"answer": "ex5_answer", "mistake": "returns the pair in the wrong order",
     "source": _mo + "    v = beta * velocity - learning_rate * gradient\n    return v, theta + v\n", "feedback": "wrong order"},
    {"answer": "ex5_answer", "mistake": "(1 - beta) weighting of the gradient, as in an average",
     "source": _mo + "    v = beta * velocity - (1 - beta) * learning_rate * gradient\n    return theta + v, v\n",
     "feedback": "beta * velocity - learning_rate * gradient"},
    # exercise 6
    {"answer": "ex6_answer", "mistake": "no bias correction",
     "source": _ad + "    m = beta1 * m + (1 - beta1) * gradient\n    s = beta2 * s + (1 - beta2) * gradient**2\n"
               "    return theta - learning_rate * m / (np.sqrt(s) + eps), m, s\n", "feedback": "bias corrections"},
    {"answer": "ex6_answer", "mistake": "returns the corrected averages",
     "source": _ad + "    m = beta1 * m + (1 - beta1) * gradient\n    s = beta2 * s + (1 - beta2) * gradient**2\n"
               "    m, s = m / (1 - beta1**t), s / (1 - beta2**t)\n"
               "    return theta - learning_rate * m / (np.sqrt(s) + eps), m, s\n", "feedback": "raw average"},
    {"answer": "ex6_answer", "mistake": "ignores the betas it is given",
     "source": _ad + "    m = 0.9 * m + 0.1 * gradient\n    s = 0.999 * s + 0.001 * gradient**2\n"
               "    mh, sh = m / (1 - 0.9**t), s / (1 - 0.999**t)\n"
               "    return theta - learning_rate * mh / (np.sqrt(sh) + eps), m, s\n", "feedback": "the beta1 you were given"},
    {"answer": "ex6_answer", "mistake": "forgets to square the gradient in s",
     "source": _ad + "    m = beta1 * m + (1 - beta1) * gradient\n    s = beta2 * s + (1 - beta2) * np.abs(gradient)\n"
               "    mh, sh = m / (1 - beta1**t), s / (1 - beta2**t)\n"
               "    return theta - learning_rate * mh / (np.sqrt(sh) + eps), m, s\n", "feedback": "gradient**2"},
    # exercise 7
    {"answer": "ex7_answer", "mistake": "uses the largest diagonal entry",
     "source": _ls + "    return 2 / np.max(np.diag(A))\n", "feedback": "diagonal"},
    {"answer": "ex7_answer", "mistake": "uses 1/L",
     "source": _ls + "    return 1 / np.linalg.eigvalsh(A)[-1]\n", "feedback": "1/L"},
    {"answer": "ex7_answer", "mistake": "uses the smallest eigenvalue",
     "source": _ls + "    return 2 / np.linalg.eigvalsh(A)[0]\n", "feedback": "smallest eigenvalue"},
    {"answer": "ex7_answer", "mistake": "uses the trace (the sum of the eigenvalues)",
     "source": _ls + "    return 2 / np.trace(A)\n", "feedback": "largest eigenvalue"},
    # exercise 8
    {"answer": "ex8_answer", "mistake": "the closed form instead of the tape",
     "source": _lg + "    p = tf.sigmoid(tf.linalg.matvec(X, tf.constant(w, dtype=tf.float64)) + b)\n"
               "    return (tf.linalg.matvec(X, p - y, transpose_a=True) / len(w) * len(w) / X.shape[0]).numpy(), "
               "float(tf.reduce_mean(p - y))\n",
     "feedback": "tf.GradientTape"},
    {"answer": "ex8_answer", "mistake": "sums instead of averaging",
     "source": _tape(loss="-tf.reduce_sum(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))"), "feedback": "not their sum"},
    {"answer": "ex8_answer", "mistake": "float32 variables",
     "source": _tape(variables="w_v = tf.Variable(w, dtype=tf.float32); b_v = tf.Variable(float(b), dtype=tf.float32)",
                     X="tf.cast(X, tf.float32)", y="y = tf.cast(y, tf.float32)"),
     "feedback": "float64"},
    {"answer": "ex8_answer", "mistake": "forgets the minus sign of the cross-entropy",
     "source": _tape(loss="tf.reduce_mean(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))"), "feedback": "wrong sign"},
]

_mg = ("def margin_loss_gradient(X, y, w):\n"
       "    X, y, w = np.asarray(X, dtype=float), np.asarray(y, dtype=float), np.asarray(w, dtype=float)\n")
MUTANTS += [
    # exercise 9 (derive)
    {"answer": "ex9_answer", "mistake": "the wrong sign",
     "source": _mg + "    return X.T @ (y / (1 + np.exp(y * (X @ w)))) / len(y)\n", "feedback": "wrong sign"},
    {"answer": "ex9_answer", "mistake": "σ(m) instead of σ(−m)",
     "source": _mg + "    return -(X.T @ (y / (1 + np.exp(-y * (X @ w))))) / len(y)\n", "feedback": "instead of σ(−m_i)"},
    {"answer": "ex9_answer", "mistake": "forgets the labels in the chain rule",
     "source": _mg + "    return -(X.T @ (1 / (1 + np.exp(y * (X @ w))))) / len(y)\n", "feedback": "labels y_i are missing"},
    {"answer": "ex9_answer", "mistake": "e^(−m) / (1 + e^(−m)): nan for huge margins",
     "source": _mg + "    e = np.exp(-y * (X @ w))\n    return -(X.T @ (y * e / (1 + e))) / len(y)\n", "feedback": "nan"},
    {"answer": "ex9_answer", "mistake": "central differences of the loss",
     "source": _mg + "    def loss(v):\n        return np.mean(np.logaddexp(0, -y * (X @ v)))\n    h = 1e-5\n"
               "    return np.array([(loss(w + h * e) - loss(w - h * e)) / (2 * h) for e in np.eye(len(w))])\n",
     "feedback": "finite differences"},
    {"answer": "ex9_answer", "mistake": "TensorFlow's tape instead of a derivation",
     "source": _mg + "    v = tf.Variable(w)\n    with tf.GradientTape() as tape:\n"
               "        loss = tf.reduce_mean(tf.math.softplus(-y * tf.linalg.matvec(tf.constant(X), v)))\n"
               "    return tape.gradient(loss, v).numpy()\n",
     "feedback": "rules out"},
]
