"""Wrong answers real students write, kept to prove that the trusted tests reject them.

Each mutant replaces one answer cell's source; its question must score below full marks, and
the failed check's message must contain ``feedback``.
"""

_RELU = '''def relu(z):
    z = np.asarray(z)
{relu}


def relu_derivative(z):
    z = np.asarray(z)
{derivative}
'''

_SCE = '''def softmax_cross_entropy(logits, y):
    logits, y = np.asarray(logits, dtype=np.float64), np.asarray(y)
    n = logits.shape[0]
    rows = np.arange(n)
{body}'''

_DENSE = '''def dense_backward(G, X, W):
    G, X, W = np.asarray(G, dtype=np.float64), np.asarray(X, dtype=np.float64), np.asarray(W, dtype=np.float64)
{body}'''

_NUMGRAD = '''def numerical_gradient(loss, param, h=1e-5):
    grad = np.zeros(param.shape, dtype=np.float64)
    for index in np.ndindex(param.shape):
{body}
    return grad
'''

_STEP = '''def training_step(params, X, y, learning_rate):
    W1, b1, W2, b2 = (np.asarray(p, dtype=np.float64) for p in params)
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    n = X.shape[0]
    rows = np.arange(n)
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    logits = A1 @ W2 + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    sums = exp.sum(axis=1)
    loss = np.mean(np.log(sums) - shifted[rows, y])
    G2 = exp / sums[:, None]
    G2[rows, y] -= 1
{body}'''

_MODEL = '''def build_model():
    model = keras.Sequential([
        keras.Input(shape=(64,)),
        keras.layers.Dense({first}, activation="relu", kernel_initializer="{init}"),
        keras.layers.Dense(32, activation="relu", kernel_initializer="he_normal"),
        keras.layers.Dense(10{output}),
    ])
    {compile}
    return model
'''
_COMPILE = ('model.compile(optimizer=keras.optimizers.Adam(learning_rate={lr}), '
            'loss=keras.losses.SparseCategoricalCrossentropy(from_logits={logits}), metrics=["accuracy"])')


def _model(first=64, init="he_normal", output="", lr=0.005, logits=True, compile=True):
    return _MODEL.format(first=first, init=init, output=output,
                         compile=_COMPILE.format(lr=lr, logits=logits) if compile else "pass")


MUTANTS = [
    # exercise 1
    {"answer": "ex1_answer", "mistake": "derivative 1 at z = 0",
     "source": _RELU.format(relu="    return np.maximum(z, 0)", derivative="    return (z >= 0).astype(z.dtype)"),
     "feedback": "including at z = 0"},
    {"answer": "ex1_answer", "mistake": "derivative as float64 whatever the input (dtype lost)",
     "source": _RELU.format(relu="    return np.maximum(z, 0)", derivative="    return (z > 0).astype(float)"),
     "feedback": "dtype"},
    {"answer": "ex1_answer", "mistake": "ReLU written into z in place",
     "source": _RELU.format(relu="    z[z < 0] = 0\n    return z", derivative="    return (z > 0).astype(z.dtype)"),
     "feedback": "z was changed"},
    {"answer": "ex1_answer", "mistake": "derivative returned as True/False",
     "source": _RELU.format(relu="    return np.maximum(z, 0)", derivative="    return z > 0"),
     "feedback": "dtype"},
    # exercise 2
    {"answer": "ex2_answer", "mistake": "no max-subtraction: overflows at logits of 1000",
     "source": _SCE.format(body="    exp = np.exp(logits)\n    P = exp / exp.sum(axis=1, keepdims=True)\n"
                                "    loss = -np.mean(np.log(P[rows, y]))\n    grad = P.copy()\n"
                                "    grad[rows, y] -= 1\n    return float(loss), grad / n\n"),
     "feedback": "largest logit"},
    {"answer": "ex2_answer", "mistake": "log of the softmax: log(0) for an extreme logit",
     "source": _SCE.format(body="    exp = np.exp(logits - logits.max(axis=1, keepdims=True))\n"
                                "    P = exp / exp.sum(axis=1, keepdims=True)\n"
                                "    loss = -np.mean(np.log(P[rows, y]))\n    grad = P.copy()\n"
                                "    grad[rows, y] -= 1\n    return float(loss), grad / n\n"),
     "feedback": "take logs before dividing"},
    {"answer": "ex2_answer", "mistake": "gradient not divided by n",
     "source": _SCE.format(body="    shifted = logits - logits.max(axis=1, keepdims=True)\n    exp = np.exp(shifted)\n"
                                "    sums = exp.sum(axis=1)\n    loss = np.mean(np.log(sums) - shifted[rows, y])\n"
                                "    grad = exp / sums[:, None]\n    grad[rows, y] -= 1\n    return float(loss), grad\n"),
     "feedback": "not divided by n"},
    {"answer": "ex2_answer", "mistake": "loss summed instead of averaged",
     "source": _SCE.format(body="    shifted = logits - logits.max(axis=1, keepdims=True)\n    exp = np.exp(shifted)\n"
                                "    sums = exp.sum(axis=1)\n    loss = np.sum(np.log(sums) - shifted[rows, y])\n"
                                "    grad = exp / sums[:, None]\n    grad[rows, y] -= 1\n    return float(loss), grad / n\n"),
     "feedback": "the mean"},
    {"answer": "ex2_answer", "mistake": "one-hot not subtracted from the gradient",
     "source": _SCE.format(body="    shifted = logits - logits.max(axis=1, keepdims=True)\n    exp = np.exp(shifted)\n"
                                "    sums = exp.sum(axis=1)\n    loss = np.mean(np.log(sums) - shifted[rows, y])\n"
                                "    return float(loss), exp / sums[:, None] / n\n"),
     "feedback": "subtract 1 at each row's true class"},
    # exercise 3
    {"answer": "ex3_answer", "mistake": "grad_W transposed (Gᵀ X)",
     "source": _DENSE.format(body="    return G @ W.T, G.T @ X, G.sum(axis=0)\n"), "feedback": "transposed"},
    {"answer": "ex3_answer", "mistake": "grad_b summed along the wrong axis",
     "source": _DENSE.format(body="    return G @ W.T, X.T @ G, G.sum(axis=1)\n"),
     "feedback": "sums G over the rows"},
    {"answer": "ex3_answer", "mistake": "grad_b as the mean over the rows",
     "source": _DENSE.format(body="    return G @ W.T, X.T @ G, G.mean(axis=0)\n"), "feedback": "their sum"},
    {"answer": "ex3_answer", "mistake": "grad_X = G W (no transpose)",
     "source": _DENSE.format(body="    return G @ W, X.T @ G, G.sum(axis=0)\n"), "feedback": "check the shapes"},
    # exercise 4
    {"answer": "ex4_answer", "mistake": "forward difference instead of central",
     "source": _NUMGRAD.format(body="        saved = param[index]\n        base = loss()\n"
                                    "        param[index] = saved + h\n        plus = loss()\n"
                                    "        param[index] = saved\n        grad[index] = (plus - base) / h"),
     "feedback": "one-sided difference"},
    {"answer": "ex4_answer", "mistake": "the original value not put back",
     "source": _NUMGRAD.format(body="        saved = param[index]\n        param[index] = saved + h\n"
                                    "        plus = loss()\n        param[index] = saved - h\n"
                                    "        minus = loss()\n        grad[index] = (plus - minus) / (2 * h)"),
     "feedback": "left changed"},
    {"answer": "ex4_answer", "mistake": "divided by h instead of 2h",
     "source": _NUMGRAD.format(body="        saved = param[index]\n        param[index] = saved + h\n"
                                    "        plus = loss()\n        param[index] = saved - h\n"
                                    "        minus = loss()\n        param[index] = saved\n"
                                    "        grad[index] = (plus - minus) / h"),
     "feedback": "2h"},
    {"answer": "ex4_answer", "mistake": "a fixed step that ignores h",
     "source": _NUMGRAD.format(body="        saved = param[index]\n        param[index] = saved + 1e-5\n"
                                    "        plus = loss()\n        param[index] = saved - 1e-5\n"
                                    "        minus = loss()\n        param[index] = saved\n"
                                    "        grad[index] = (plus - minus) / 2e-5"),
     "feedback": "the h you are given"},
    {"answer": "ex4_answer", "mistake": "the fixed cell's helper redefined to skip the differences",
     "source": "def numerical_gradient(loss, param, h=1e-5):\n    return np.zeros(param.shape)\n\n\n"
               "def gradient_check_cube(gradient_function, theta, **options):\n"
               "    theta = np.array(theta, dtype=np.float64)\n"
               "    return 3 * theta**2 + options.get('h', 1e-5) ** 2, theta\n",
     "feedback": "gradient_check_cube"},
    # exercise 5
    {"answer": "ex5_answer", "mistake": "ReLU mask forgotten in the backward pass",
     "source": _STEP.format(body="    G2 /= n\n    grad_W2, grad_b2 = A1.T @ G2, G2.sum(axis=0)\n    G1 = G2 @ W2.T\n"
                                 "    grad_W1, grad_b1 = X.T @ G1, G1.sum(axis=0)\n"
                                 "    return float(loss), tuple(p - learning_rate * g for p, g in zip((W1, b1, W2, b2), "
                                 "(grad_W1, grad_b1, grad_W2, grad_b2)))\n"),
     "feedback": "ReLU mask"},
    {"answer": "ex5_answer", "mistake": "W2 updated before G1 is computed",
     "source": _STEP.format(body="    G2 /= n\n    grad_W2, grad_b2 = A1.T @ G2, G2.sum(axis=0)\n"
                                 "    W2_new = W2 - learning_rate * grad_W2\n    G1 = (G2 @ W2_new.T) * (Z1 > 0)\n"
                                 "    grad_W1, grad_b1 = X.T @ G1, G1.sum(axis=0)\n"
                                 "    return float(loss), (W1 - learning_rate * grad_W1, b1 - learning_rate * grad_b1, "
                                 "W2_new, b2 - learning_rate * grad_b2)\n"),
     "feedback": "before its update"},
    {"answer": "ex5_answer", "mistake": "G2 not divided by n",
     "source": _STEP.format(body="    grad_W2, grad_b2 = A1.T @ G2, G2.sum(axis=0)\n    G1 = (G2 @ W2.T) * (Z1 > 0)\n"
                                 "    grad_W1, grad_b1 = X.T @ G1, G1.sum(axis=0)\n"
                                 "    return float(loss), tuple(p - learning_rate * g for p, g in zip((W1, b1, W2, b2), "
                                 "(grad_W1, grad_b1, grad_W2, grad_b2)))\n"),
     "feedback": "divided by n"},
    {"answer": "ex5_answer", "mistake": "parameters updated in place (p -= ...)",
     "source": _STEP.format(body="    G2 /= n\n    grad_W2, grad_b2 = A1.T @ G2, G2.sum(axis=0)\n"
                                 "    G1 = (G2 @ W2.T) * (Z1 > 0)\n    grad_W1, grad_b1 = X.T @ G1, G1.sum(axis=0)\n"
                                 "    for p, g in zip((W1, b1, W2, b2), (grad_W1, grad_b1, grad_W2, grad_b2)):\n"
                                 "        p -= learning_rate * g\n"
                                 "    return float(loss), (W1, b1, W2, b2)\n"),
     "feedback": "params were changed"},
    # exercise 6
    {"answer": "ex6_answer", "mistake": "biases forgotten",
     "source": "def count_parameters(layer_sizes):\n"
               "    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))\n",
     "feedback": "weights only"},
    {"answer": "ex6_answer", "mistake": "one bias per input instead of per output",
     "source": "def count_parameters(layer_sizes):\n"
               "    return sum(a * (b + 1) for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))\n",
     "feedback": "d_out biases"},
    {"answer": "ex6_answer", "mistake": "only the first layer counted",
     "source": "def count_parameters(layer_sizes):\n    return (layer_sizes[0] + 1) * layer_sizes[1]\n",
     "feedback": "consecutive pairs"},
    {"answer": "ex6_answer", "mistake": "a tuple of sizes not accepted",
     "source": "def count_parameters(layer_sizes):\n    sizes = layer_sizes + [0]\n"
               "    return sum((a + 1) * b for a, b in zip(sizes[:-2], sizes[1:-1]))\n",
     "feedback": "tuple"},
    # exercise 7
    {"answer": "ex7_answer", "mistake": "softmax in the output layer",
     "source": _model(output=', activation="softmax"'), "feedback": "no activation"},
    {"answer": "ex7_answer", "mistake": "from_logits left False",
     "source": _model(logits=False), "feedback": "from_logits=True"},
    {"answer": "ex7_answer", "mistake": "the default learning rate",
     "source": _model(lr=0.001), "feedback": "learning rate"},
    {"answer": "ex7_answer", "mistake": "not compiled",
     "source": _model(compile=False), "feedback": "not compiled"},
    {"answer": "ex7_answer", "mistake": "Glorot initialisation in a hidden layer",
     "source": _model(init="glorot_uniform"), "feedback": "he_normal"},
    {"answer": "ex7_answer", "mistake": "hidden layers in the wrong order (32 then 64)",
     "source": _model(first=32).replace('Dense(32, activation="relu", kernel_initializer="he_normal"),\n        '
                                         'keras.layers.Dense(10',
                                         'Dense(64, activation="relu", kernel_initializer="he_normal"),\n        '
                                         'keras.layers.Dense(10'),
     "feedback": "Dense(64), Dense(32)"},
]

_BCE = '''def bce_logit_gradient(z, y):
    z, y = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
{body}'''

MUTANTS += [
    {"answer": "ex8_answer", "mistake": "not divided by n (the gradient of the sum)",
     "source": _BCE.format(body="    p = np.exp(-np.logaddexp(0.0, -z))\n    return p - y\n"), "feedback": "mean over the n"},
    {"answer": "ex8_answer", "mistake": "σ'(z) multiplied in again after simplifying",
     "source": _BCE.format(body="    p = np.exp(-np.logaddexp(0.0, -z))\n    return (p - y) * p * (1 - p) / z.shape[0]\n"),
     "feedback": "cancel"},
    {"answer": "ex8_answer", "mistake": "sign flipped (y − p)",
     "source": _BCE.format(body="    p = np.exp(-np.logaddexp(0.0, -z))\n    return (y - p) / z.shape[0]\n"),
     "feedback": "(σ(z_i) − y_i) / n"},
    {"answer": "ex8_answer", "mistake": "unsimplified chain rule: 0/0 at extreme logits",
     "source": _BCE.format(body="    p = 1 / (1 + np.exp(-z))\n"
                                "    return (-y / p + (1 - y) / (1 - p)) * p * (1 - p) / z.shape[0]\n"),
     "feedback": "stays finite"},
    {"answer": "ex8_answer", "mistake": "GradientTape instead of a derivation",
     "source": _BCE.format(body="    zt = tf.Variable(z)\n    with tf.GradientTape() as tape:\n"
                                "        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=zt))\n"
                                "    return tape.gradient(loss, zt).numpy()\n"),
     "feedback": "rules out"},
]

_GRADS = '''def network_gradients(X, y, W1, b1, W2, b2):
    X, W1, b1, W2, b2 = (np.asarray(a, dtype=np.float64) for a in (X, W1, b1, W2, b2))
    y = np.asarray(y)
    n = X.shape[0]
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    logits = A1 @ W2 + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    P = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    G2 = P.copy()
    G2[np.arange(n), y] -= 1
{body}    return grad_W1, grad_b1, grad_W2, grad_b2
'''


def _grads(divide="    G2 /= n\n", W2="A1.T @ G2", b2="G2.sum(axis=0)", G1="(G2 @ W2.T) * (Z1 > 0)"):
    return _GRADS.format(body=f"{divide}    grad_W2 = {W2}\n    grad_b2 = {b2}\n    G1 = {G1}\n"
                              "    grad_W1 = X.T @ G1\n    grad_b1 = G1.sum(axis=0)\n")


MUTANTS += [
    {"answer": "ex9_answer", "mistake": "ReLU mask still missing (three bugs fixed)",
     "source": _grads(G1="G2 @ W2.T"), "feedback": "ReLU mask"},
    {"answer": "ex9_answer", "mistake": "G2 still not divided by n (three bugs fixed)",
     "source": _grads(divide=""), "feedback": "not divided by n"},
    {"answer": "ex9_answer", "mistake": "the 1/n put on the layer-2 gradients only",
     "source": _grads(divide="", W2="A1.T @ G2 / n", b2="G2.sum(axis=0) / n"), "feedback": "reach layer 1"},
    {"answer": "ex9_answer", "mistake": "grad_b2 still summed over the wrong axis (three bugs fixed)",
     "source": _grads(b2="G2.sum(axis=1)"), "feedback": "over the rows (axis=0)"},
    {"answer": "ex9_answer", "mistake": "W2 still not transposed (three bugs fixed)",
     "source": _grads(G1="(G2 @ W2) * (Z1 > 0)"), "feedback": "G2 W2ᵀ"},
    {"answer": "ex9_answer", "mistake": "the bias bug 'fixed' with a mean: divided by n twice",
     "source": _grads(b2="G2.mean(axis=0)"), "feedback": "twice"},
    {"answer": "ex9_answer", "mistake": "gradients taken with tf.GradientTape instead of repairing the code",
     "source": "def network_gradients(X, y, W1, b1, W2, b2):\n"
               "    variables = [tf.Variable(np.asarray(a, dtype=np.float64)) for a in (W1, b1, W2, b2)]\n"
               "    with tf.GradientTape() as tape:\n"
               "        hidden = tf.nn.relu(np.asarray(X, dtype=np.float64) @ variables[0] + variables[1])\n"
               "        logits = hidden @ variables[2] + variables[3]\n"
               "        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))\n"
               "    return tuple(g.numpy() for g in tape.gradient(loss, variables))\n",
     "feedback": "rules out"},
]

MUTANTS += [
    {"answer": "ex9_answer", "mistake": "the buggy function handed in unchanged (it ran on the all-3 sizes)",
     "source": _GRADS.format(body="    grad_W2 = A1.T @ G2\n    grad_b2 = G2.sum(axis=1)\n    G1 = G2 @ W2\n"
                                  "    grad_W1 = X.T @ G1\n    grad_b1 = G1.sum(axis=0)\n"),
     "feedback": "G2 W2ᵀ"},
]
