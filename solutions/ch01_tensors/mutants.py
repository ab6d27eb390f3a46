"""Wrong answers to chapter 1's exercises that the trusted tests must reject (instructor-only).

Each: the answer cell it replaces, the mistake in words, its source, and a phrase the
failed check's message must contain (it names the mistake for the student).
Seeded from the typical mistakes of tests/test_ch01.py.
"""

MUTANTS = [
    # exercise 1
    {"answer": "ex1_answer", "mistake": "returns a NumPy array",
     "source": "def weekly_price_tensor(daily_prices):\n    return np.asarray(daily_prices, dtype=np.float32).reshape(-1, 5)\n",
     "feedback": "TensorFlow tensor"},
    {"answer": "ex1_answer", "mistake": "keeps NumPy's float64",
     "source": "def weekly_price_tensor(daily_prices):\n    return tf.reshape(tf.constant(daily_prices), (-1, 5))\n",
     "feedback": "float32"},
    {"answer": "ex1_answer", "mistake": "one day per row instead of one week",
     "source": "def weekly_price_tensor(daily_prices):\n"
               "    return tf.transpose(tf.reshape(tf.constant(daily_prices, dtype=tf.float32), (5, -1)))\n",
     "feedback": "one week"},
    {"answer": "ex1_answer", "mistake": "a fixed shape (2, 5): only works for two weeks",
     "source": "def weekly_price_tensor(daily_prices):\n    return tf.reshape(tf.constant(daily_prices, dtype=tf.float32), (2, 5))\n",
     "feedback": "any number of weeks"},
    # exercise 2
    {"answer": "ex2_answer", "mistake": "an integer index thought to keep its axis",
     "source": "def predicted_shapes():\n"
               "    return {\"a\": (1, 28, 28, 3), \"b\": (32, 28, 28), \"c\": (8, 28, 28, 3), \"d\": (32, 2352), \"e\": (32, 3),\n"
               "            \"f\": (32, 3, 28, 28), \"g\": (32, 1, 28, 28, 3), \"h\": (32, 28, 28, 6), \"i\": (2, 32, 28, 28, 3),\n"
               "            \"j\": (1, 28, 28, 3)}\n",
     "feedback": "integer index removes its axis"},
    {"answer": "ex2_answer", "mistake": "keepdims thought to drop the axis, concatenate thought to stack",
     "source": "def predicted_shapes():\n"
               "    return {\"a\": (28, 28, 3), \"b\": (32, 28, 28), \"c\": (8, 28, 28, 3), \"d\": (32, 2352), \"e\": (32, 3),\n"
               "            \"f\": (32, 3, 28, 28), \"g\": (32, 1, 28, 28, 3), \"h\": (2, 32, 28, 28, 3), \"i\": (2, 32, 28, 28, 3),\n"
               "            \"j\": (28, 28, 3)}\n",
     "feedback": "keepdims=True keeps the summed axis"},
    {"answer": "ex2_answer", "mistake": "a missing prediction",
     "source": "def predicted_shapes():\n    return {\"a\": (28, 28, 3)}\n",
     "feedback": "no prediction for (b)"},
    {"answer": "ex2_answer", "mistake": "not a dictionary",
     "source": "def predicted_shapes():\n    return [(28, 28, 3)]\n", "feedback": "literal dictionary"},
    {"answer": "ex2_answer", "mistake": "\"predicts\" by running the expressions",
     "source": "def predicted_shapes():\n    batch = np.zeros((32, 28, 28, 3))\n"
               "    return {\"a\": batch[0].shape, \"b\": batch[:, :, :, 0].shape, \"c\": batch[:8].shape,\n"
               "            \"d\": batch.reshape(32, -1).shape, \"e\": batch.mean(axis=(1, 2)).shape,\n"
               "            \"f\": np.transpose(batch, (0, 3, 1, 2)).shape, \"g\": batch[:, np.newaxis].shape,\n"
               "            \"h\": np.concatenate([batch, batch], axis=-1).shape, \"i\": np.stack([batch, batch]).shape,\n"
               "            \"j\": batch.sum(axis=0, keepdims=True).shape}\n",
     "feedback": "without running the expressions"},
    # exercise 3
    {"answer": "ex3_answer", "mistake": "never raises",
     "source": "def broadcast_shape(shape_a, shape_b):\n    rank = max(len(shape_a), len(shape_b))\n"
               "    a = (1,) * (rank - len(shape_a)) + tuple(shape_a)\n    b = (1,) * (rank - len(shape_b)) + tuple(shape_b)\n"
               "    return tuple(max(x, y) for x, y in zip(a, b))\n",
     "feedback": "no ValueError was raised"},
    {"answer": "ex3_answer", "mistake": "pads on the right",
     "source": "def broadcast_shape(shape_a, shape_b):\n    rank = max(len(shape_a), len(shape_b))\n"
               "    a = tuple(shape_a) + (1,) * (rank - len(shape_a))\n    b = tuple(shape_b) + (1,) * (rank - len(shape_b))\n"
               "    for x, y in zip(a, b):\n        if x != y and 1 not in (x, y):\n            raise ValueError('no')\n"
               "    return tuple(max(x, y) for x, y in zip(a, b))\n",
     "feedback": "on the left"},
    {"answer": "ex3_answer", "mistake": "fails when the shapes come as lists",
     "source": "def broadcast_shape(shape_a, shape_b):\n    rank = max(len(shape_a), len(shape_b))\n"
               "    a = (1,) * (rank - len(shape_a)) + shape_a\n    b = (1,) * (rank - len(shape_b)) + shape_b\n"
               "    for x, y in zip(a, b):\n        if x != y and 1 not in (x, y):\n            raise ValueError('no')\n"
               "    return tuple(max(x, y) for x, y in zip(a, b))\n",
     "feedback": "as lists"},
    {"answer": "ex3_answer", "mistake": "calls NumPy's np.broadcast_shapes",
     "source": "def broadcast_shape(shape_a, shape_b):\n    return np.broadcast_shapes(tuple(shape_a), tuple(shape_b))\n",
     "feedback": "rules out"},
    {"answer": "ex3_answer", "mistake": "reaches the helper as a string attribute",
     "source": "def broadcast_shape(shape_a, shape_b):\n    return getattr(np, 'broadcast_' + 'shapes')(tuple(shape_a), tuple(shape_b))\n",
     "feedback": "getattr"},
    {"answer": "ex3_answer", "mistake": "adds two empty arrays and reads the shape",
     "source": "def broadcast_shape(shape_a, shape_b):\n    return (np.empty(shape_a, dtype=np.int8) + np.empty(shape_b, dtype=np.int8)).shape\n",
     "feedback": "without creating arrays"},
    # exercise 4
    {"answer": "ex4_answer", "mistake": "reshape instead of transpose",
     "source": "def to_channels_first(batch):\n    n, h, w, c = batch.shape\n    return batch.reshape(n, c, h, w)\n\n\n"
               "def to_channels_last(batch):\n    n, c, h, w = batch.shape\n    return batch.reshape(n, h, w, c)\n",
     "feedback": "reshape"},
    {"answer": "ex4_answer", "mistake": "the wrong axis order (H and W swapped)",
     "source": "def to_channels_first(batch):\n    return np.transpose(batch, (0, 3, 2, 1))\n\n\n"
               "def to_channels_last(batch):\n    return np.transpose(batch, (0, 3, 2, 1))\n",
     "feedback": "H and W"},
    {"answer": "ex4_answer", "mistake": "the same permutation both ways",
     "source": "def to_channels_first(batch):\n    return np.transpose(batch, (0, 3, 1, 2))\n\n\n"
               "def to_channels_last(batch):\n    return np.transpose(batch, (0, 3, 1, 2))\n",
     "feedback": "(N, H, W, C)"},
    {"answer": "ex4_answer", "mistake": "copies entry by entry with loops",
     "source": "def to_channels_first(batch):\n    n, h, w, c = batch.shape\n    out = np.empty((n, c, h, w), batch.dtype)\n"
               "    for i in range(c):\n        out[:, i] = batch[..., i]\n    return out\n\n\n"
               "def to_channels_last(batch):\n    return np.transpose(batch, (0, 2, 3, 1))\n",
     "feedback": "a loop"},
    # exercise 5
    {"answer": "ex5_answer", "mistake": "one mean and deviation for all channels",
     "source": "def normalise_per_channel(batch):\n    return ((batch - batch.mean()) / batch.std()).astype(np.float32)\n",
     "feedback": "whole batch"},
    {"answer": "ex5_answer", "mistake": "per image instead of per channel",
     "source": "def normalise_per_channel(batch):\n    return ((batch - batch.mean(axis=(1, 2, 3), keepdims=True))\n"
               "            / batch.std(axis=(1, 2, 3), keepdims=True)).astype(np.float32)\n",
     "feedback": "per image"},
    {"answer": "ex5_answer", "mistake": "the sample standard deviation (ddof=1)",
     "source": "def normalise_per_channel(batch):\n"
               "    return ((batch - batch.mean(axis=(0, 1, 2))) / batch.std(axis=(0, 1, 2), ddof=1)).astype(np.float32)\n",
     "feedback": "ddof=1"},
    {"answer": "ex5_answer", "mistake": "returns float64",
     "source": "def normalise_per_channel(batch):\n    batch = batch.astype(np.float64)\n"
               "    return (batch - batch.mean(axis=(0, 1, 2))) / batch.std(axis=(0, 1, 2))\n",
     "feedback": "float32"},
    {"answer": "ex5_answer", "mistake": "changes the input in place",
     "source": "def normalise_per_channel(batch):\n    batch -= batch.mean(axis=(0, 1, 2))\n"
               "    batch /= batch.std(axis=(0, 1, 2))\n    return batch\n",
     "feedback": "in place"},
    {"answer": "ex5_answer", "mistake": "a loop over the channels",
     "source": "def normalise_per_channel(batch):\n    out = np.empty_like(batch)\n    for c in range(batch.shape[-1]):\n"
               "        out[..., c] = (batch[..., c] - batch[..., c].mean()) / batch[..., c].std()\n    return out\n",
     "feedback": "a loop"},
    # exercise 6
    {"answer": "ex6_answer", "mistake": "picks columns instead of rows",
     "source": "def embed(token_ids, table):\n    return table[:, token_ids % table.shape[1]].T\n",
     "feedback": "not a column"},
    {"answer": "ex6_answer", "mistake": "only works for a single sentence (flattens the batch)",
     "source": "def embed(token_ids, table):\n    return table[np.ravel(token_ids)]\n",
     "feedback": "token_ids.shape + (k,)"},
    {"answer": "ex6_answer", "mistake": "a loop over the tokens",
     "source": "def embed(token_ids, table):\n    return np.stack([table[i] for i in list(np.ravel(token_ids))])\n",
     "feedback": "comprehension"},
    {"answer": "ex6_answer", "mistake": "a one-hot product in float64",
     "source": "def embed(token_ids, table):\n    return (np.eye(len(table))[token_ids] @ table).astype(np.float64) + 1e-3\n",
     "feedback": "token id i selects row i"},
    # exercise 7
    {"answer": "ex7_answer", "mistake": "counts entries, not bytes",
     "source": "def tensor_nbytes(shape, dtype):\n    return math.prod(shape)\n", "feedback": "number of entries"},
    {"answer": "ex7_answer", "mistake": "cannot read a TensorFlow dtype",
     "source": "def tensor_nbytes(shape, dtype):\n    return math.prod(shape) * np.dtype(dtype).itemsize\n",
     "feedback": "as_numpy_dtype"},
    {"answer": "ex7_answer", "mistake": "creates the tensor to read its nbytes",
     "source": "def tensor_nbytes(shape, dtype):\n    dtype = getattr(dtype, 'as_numpy_dtype', dtype)\n"
               "    return int(np.broadcast_to(np.zeros((), dtype=dtype), shape).nbytes)\n",
     "feedback": "without creating the tensor"},
    {"answer": "ex7_answer", "mistake": "allocates the tensor to read nbytes",
     "source": "def tensor_nbytes(shape, dtype):\n    return np.zeros(shape, dtype=getattr(dtype, 'as_numpy_dtype', dtype)).nbytes\n",
     "feedback": "uses zeros"},
    {"answer": "ex7_answer", "mistake": "assumes 4 bytes per number",
     "source": "def tensor_nbytes(shape, dtype):\n    return math.prod(shape) * 4\n", "feedback": "itemsize"},
    # exercise 8
    {"answer": "ex8_answer", "mistake": "lets (n, 1) - (n,) broadcast to (n, n)",
     "source": "def mean_squared_error(y_true, y_pred):\n    return float(np.mean((y_pred - y_true) ** 2))\n",
     "feedback": "broadcasts to (n, n)"},
    {"answer": "ex8_answer", "mistake": "only flattens the predictions",
     "source": "def mean_squared_error(y_true, y_pred):\n    return float(np.mean((np.ravel(y_pred) - y_true) ** 2))\n",
     "feedback": "flatten both"},
    {"answer": "ex8_answer", "mistake": "silently truncates to the shorter input",
     "source": "def mean_squared_error(y_true, y_pred):\n    t, p = np.ravel(y_true), np.ravel(y_pred)\n"
               "    m = min(t.size, p.size)\n    return float(np.mean((p[:m] - t[:m]) ** 2))\n",
     "feedback": "instead of raising ValueError"},
    {"answer": "ex8_answer", "mistake": "sum instead of mean",
     "source": "def mean_squared_error(y_true, y_pred):\n"
               "    return float(np.sum((np.ravel(y_pred) - np.ravel(y_true)) ** 2))\n",
     "feedback": "mean_squared_error"},
    # exercise 9
    {"answer": "ex9_answer", "mistake": "wraps around",
     "source": "def brighten(image, amount):\n    return image + np.uint8(amount % 256)\n", "feedback": "wrapped around"},
    {"answer": "ex9_answer", "mistake": "forgets to convert back to uint8",
     "source": "def brighten(image, amount):\n    return np.clip(image.astype(np.int64) + amount, 0, 255)\n",
     "feedback": "uint8"},
    {"answer": "ex9_answer", "mistake": "only clips at the top",
     "source": "def brighten(image, amount):\n    return np.minimum(image.astype(np.int64) + amount, 255).astype(np.uint8)\n",
     "feedback": "clip at 0 too"},
    {"answer": "ex9_answer", "mistake": "modifies the input",
     "source": "def brighten(image, amount):\n    image[...] = np.clip(image.astype(np.int64) + amount, 0, 255)\n    return image\n",
     "feedback": "input image was changed"},
    # exercise 10
    {"answer": "ex10_answer", "mistake": "the colleague's function, unchanged",
     "source": "def standardise_examples(batch):\n    flat = batch.reshape(len(batch), -1)\n    flat -= flat.mean(axis=1)\n    flat /= flat.std(axis=1)\n    return flat.reshape(batch.shape)\n",
     "feedback": "keepdims"},
    {"answer": "ex10_answer", "mistake": "fixes the broadcasting only: still writes into the batch through the view",
     "source": "def standardise_examples(batch):\n    flat = batch.reshape(len(batch), -1)\n    flat -= flat.mean(axis=1, keepdims=True)\n    flat /= flat.std(axis=1, keepdims=True)\n    return flat.reshape(batch.shape)\n",
     "feedback": "batch was changed"},
    {"answer": "ex10_answer", "mistake": "converts to float32 (a copy), but the means are still (n,) vectors",
     "source": "def standardise_examples(batch):\n    flat = batch.reshape(len(batch), -1).astype(np.float32)\n    flat -= flat.mean(axis=1)\n    flat /= flat.std(axis=1)\n    return flat.reshape(batch.shape)\n",
     "feedback": "keepdims"},
    {"answer": "ex10_answer", "mistake": "keepdims on the mean, but not on the standard deviation",
     "source": "def standardise_examples(batch):\n    flat = batch.reshape(len(batch), -1).astype(np.float32)\n    centred = flat - flat.mean(axis=1, keepdims=True)\n    return (centred / flat.std(axis=1)).reshape(batch.shape)\n",
     "feedback": "keepdims"},
    {"answer": "ex10_answer", "mistake": "fixes the crash for uint8 only, and still writes into a float batch",
     "source": "def standardise_examples(batch):\n    flat = batch.reshape(len(batch), -1)\n    if flat.dtype == np.uint8:\n        flat = flat.astype(np.float32)\n    flat -= flat.mean(axis=1, keepdims=True)\n    flat /= flat.std(axis=1, keepdims=True)\n    return flat.reshape(batch.shape)\n",
     "feedback": "batch was changed"},
    {"answer": "ex10_answer", "mistake": "right values, but a float64 batch gives a float64 result",
     "source": "def standardise_examples(batch):\n    flat = batch.reshape(len(batch), -1)\n    if flat.dtype == np.uint8:\n        flat = flat.astype(np.float32)\n    flat = (flat - flat.mean(axis=1, keepdims=True)) / flat.std(axis=1, keepdims=True)\n    return flat.reshape(batch.shape)\n",
     "feedback": "float32"},
    {"answer": "ex10_answer", "mistake": "standardises each position over the examples (axis 0), as for features",
     "source": "def standardise_examples(batch):\n    flat = batch.reshape(len(batch), -1).astype(np.float64)\n    flat = (flat - flat.mean(axis=0)) / flat.std(axis=0)\n    return flat.reshape(batch.shape).astype(np.float32)\n",
     "feedback": "axis 0"},
    {"answer": "ex10_answer", "mistake": "one mean and one deviation for the whole batch",
     "source": "def standardise_examples(batch):\n    batch = batch.astype(np.float64)\n    return ((batch - batch.mean()) / batch.std()).astype(np.float32)\n",
     "feedback": "whole batch"},
    {"answer": "ex10_answer", "mistake": "returns the flattened (n, m) array",
     "source": "def standardise_examples(batch):\n    flat = batch.reshape(len(batch), -1).astype(np.float64)\n    flat = (flat - flat.mean(axis=1, keepdims=True)) / flat.std(axis=1, keepdims=True)\n    return flat.astype(np.float32)\n",
     "feedback": "reshape(batch.shape)"},
    # exercise 11
    {"answer": "ex11_answer", "mistake": "subtracts row i of Y from row i of X: pairs, not every pair",
     "source": "def pairwise_squared_distances(X, Y):\n    X, Y = X.astype(np.float64), Y.astype(np.float64)\n    return ((X - Y) ** 2).sum(axis=1)\n",
     "feedback": "every row of X with every row of Y"},
    {"answer": "ex11_answer", "mistake": "broadcasts right, but subtracts in uint8",
     "source": "def pairwise_squared_distances(X, Y):\n    return ((X[:, np.newaxis, :] - Y[np.newaxis, :, :]) ** 2).sum(axis=-1).astype(np.float64)\n",
     "feedback": "wrapped around"},
    {"answer": "ex11_answer", "mistake": "widens uint8 to int16: 255**2 does not fit",
     "source": "def pairwise_squared_distances(X, Y):\n    if X.dtype == np.uint8:\n        X, Y = X.astype(np.int16), Y.astype(np.int16)\n    return ((X[:, np.newaxis, :] - Y[np.newaxis, :, :]) ** 2).sum(axis=-1).astype(np.float64)\n",
     "feedback": "int16"},
    {"answer": "ex11_answer", "mistake": "new axes on the wrong arrays: an (m, n) table",
     "source": "def pairwise_squared_distances(X, Y):\n    X, Y = X.astype(np.float64), Y.astype(np.float64)\n    return ((Y[:, np.newaxis, :] - X[np.newaxis, :, :]) ** 2).sum(axis=-1)\n",
     "feedback": "transposed"},
    {"answer": "ex11_answer", "mistake": "the distances, not their squares",
     "source": "def pairwise_squared_distances(X, Y):\n    X, Y = X.astype(np.float64), Y.astype(np.float64)\n    return np.sqrt(((X[:, np.newaxis, :] - Y[np.newaxis, :, :]) ** 2).sum(axis=-1))\n",
     "feedback": "square root"},
    {"answer": "ex11_answer", "mistake": "squares the sum of the differences",
     "source": "def pairwise_squared_distances(X, Y):\n    X, Y = X.astype(np.float64), Y.astype(np.float64)\n    return (X[:, np.newaxis, :] - Y[np.newaxis, :, :]).sum(axis=-1) ** 2\n",
     "feedback": "sum of the squared differences"},
    {"answer": "ex11_answer", "mistake": "sums over the wrong axis of the (n, m, d) differences",
     "source": "def pairwise_squared_distances(X, Y):\n    X, Y = X.astype(np.float64), Y.astype(np.float64)\n    return ((X[:, np.newaxis, :] - Y[np.newaxis, :, :]) ** 2).sum(axis=1)\n",
     "feedback": "sum over the feature axis"},
    {"answer": "ex11_answer", "mistake": "a comprehension over the rows of X",
     "source": "def pairwise_squared_distances(X, Y):\n    X, Y = X.astype(np.float64), Y.astype(np.float64)\n    return np.array([((x - Y) ** 2).sum(axis=1) for x in X])\n",
     "feedback": "comprehension"},
    {"answer": "ex11_answer", "mistake": "SciPy's cdist",
     "source": "def pairwise_squared_distances(X, Y):\n    from scipy.spatial.distance import cdist\n    return cdist(X.astype(np.float64), Y.astype(np.float64), \"sqeuclidean\")\n",
     "feedback": "rules out"},
    {"answer": "ex11_answer", "mistake": "np.linalg.norm of the differences, squared",
     "source": "def pairwise_squared_distances(X, Y):\n    X, Y = X.astype(np.float64), Y.astype(np.float64)\n    return np.linalg.norm(X[:, np.newaxis, :] - Y[np.newaxis, :, :], axis=-1) ** 2\n",
     "feedback": "rules out"},
]
