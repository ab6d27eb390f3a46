"""Training the chapter 5 network three ways: dlmath.nn, scikit-learn's MLPClassifier and Keras.

All three train the same network on the same split of the digits
(``dlmath.data.load_digits_split()``): 64-128-10 with ReLU, softmax–cross-entropy,
Adam (η = 0.001), mini-batches of 32, 30 epochs (2 with ``quick``), no L2, a
fresh shuffle every epoch. After one untimed warm-up run of each (imports,
first calls), each repeat trains a fresh model; the models are run in turn
within each repeat, so a busy machine slows them alike. We report the
median training time (``fit`` only: data loading and imports excluded; for
Keras, its graph tracing is part of ``fit`` and included), the test accuracy of
the first repeat, and the ratios of the times.

The goal (issue 10): dlmath.nn trains in no more time than MLPClassifier with
the same settings, and reaches at least 97% test accuracy. dlmath.nn runs its
small matrix products on one BLAS thread (``MLP.fit(blas_threads=1)``), so the
table also shows MLPClassifier on one BLAS thread, to separate that choice from
the rest of the implementation.
"""

from __future__ import annotations

import statistics
import time
import warnings


LAYER_SIZES = [64, 128, 10]
BATCH_SIZE = 32
LEARNING_RATE = 0.001
EPOCHS = 30
QUICK_EPOCHS = 2
GOAL_ACCURACY = 0.97


def _train_dlmath(data, epochs, seed):
    from dlmath.nn import MLP

    X_train, X_test, y_train, y_test = data
    model = MLP(LAYER_SIZES, seed=seed)
    start = time.perf_counter()
    model.fit(X_train, y_train, epochs=epochs, batch_size=BATCH_SIZE, lr=LEARNING_RATE)
    seconds = time.perf_counter() - start
    return seconds, model.score(X_test, y_test)


def _train_sklearn(data, epochs, seed, blas_threads=None):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    X_train, X_test, y_train, y_test = data
    # tol=0 and n_iter_no_change=epochs: exactly `epochs` passes, as the others do.
    model = MLPClassifier(hidden_layer_sizes=tuple(LAYER_SIZES[1:-1]), activation="relu", solver="adam",
                          alpha=0.0, batch_size=BATCH_SIZE, learning_rate_init=LEARNING_RATE, max_iter=epochs,
                          shuffle=True, tol=0.0, n_iter_no_change=epochs, random_state=seed)
    with warnings.catch_warnings(), threadpool_limits(limits=blas_threads, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)  # "max_iter reached": intended
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    assert model.n_iter_ == epochs, model.n_iter_
    return seconds, model.score(X_test, y_test)


def _train_keras(data, epochs, seed, steps_per_execution=1, dataset=False):
    """Keras's fit; ``steps_per_execution`` steps per call into the compiled graph (1 is Keras's default).

    With ``dataset=True`` the training data comes as a ``tf.data.Dataset`` built once (shuffled
    afresh every epoch, in batches), as chapter 5b feeds it, instead of NumPy arrays.
    """
    import dlmath  # noqa: F401  (quietens TensorFlow's log lines before it is imported)
    import keras
    import tensorflow as tf

    X_train, X_test, y_train, y_test = data
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(LAYER_SIZES[0],))]
                             + [keras.layers.Dense(units, activation="relu", kernel_initializer="he_normal")
                                for units in LAYER_SIZES[1:-1]]
                             + [keras.layers.Dense(LAYER_SIZES[-1])])
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
                  steps_per_execution=steps_per_execution)
    start = time.perf_counter()
    if dataset:
        train_data = tf.data.Dataset.from_tensor_slices((X_train, y_train)).shuffle(len(X_train), seed=seed)
        model.fit(train_data.batch(BATCH_SIZE), epochs=epochs, shuffle=False, verbose=0)   # the Dataset shuffles
    else:
        model.fit(X_train, y_train, epochs=epochs, batch_size=BATCH_SIZE, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(X_test, y_test, verbose=0)
    return seconds, float(accuracy)


TRAINERS = {
    "dlmath.nn (NumPy, float32)": _train_dlmath,
    "scikit-learn MLPClassifier": _train_sklearn,
    "scikit-learn MLPClassifier, 1 BLAS thread": lambda data, epochs, seed: _train_sklearn(data, epochs, seed, 1),
    "Keras (TensorFlow)": _train_keras,
    # one call into TensorFlow per epoch of 45 steps, as chapter 5b compiles it: the same training
    "Keras, steps_per_execution=45": lambda data, epochs, seed: _train_keras(data, epochs, seed, 45),
    # the same, fed a tf.data.Dataset built once instead of NumPy arrays, as chapter 5b trains it
    "Keras, steps_per_execution=45, tf.data": lambda data, epochs, seed: _train_keras(data, epochs, seed, 45, True),
}


def run(quick: bool = False, earlier: dict | None = None) -> dict:
    """Train each model ``repeats`` times on the digits; report median times, accuracies and ratios."""
    from dlmath.data import load_digits_split

    data = load_digits_split()
    epochs = QUICK_EPOCHS if quick else EPOCHS
    repeats = 1 if quick else 5
    times = {name: [] for name in TRAINERS}
    accuracy = {}
    for trainer in TRAINERS.values():  # warm-up, not timed: imports, first calls, TensorFlow's start-up
        trainer(data, 1, seed=0)
    for repeat in range(repeats):
        for name, trainer in TRAINERS.items():
            seconds, score = trainer(data, epochs, seed=0)
            times[name].append(seconds)
            accuracy.setdefault(name, score)  # the first repeat's (every repeat uses seed 0)
    median = {name: statistics.median(values) for name, values in times.items()}
    ours, sklearn, keras_name = "dlmath.nn (NumPy, float32)", "scikit-learn MLPClassifier", "Keras (TensorFlow)"
    rows = [{"model": name, "test_accuracy": round(accuracy[name], 4), "median_fit_s": round(median[name], 3),
             "time_vs_dlmath_nn": round(median[name] / median[ours], 2)} for name in TRAINERS]
    goals = [{"goal": "dlmath.nn trains in no more time than MLPClassifier (same settings)",
              "met": median[ours] <= median[sklearn],
              "value": f"{median[ours]:.3f} s vs {median[sklearn]:.3f} s ({median[sklearn] / median[ours]:.1f}× faster)"}]
    if not quick:
        goals.append({"goal": f"dlmath.nn reaches ≥ {GOAL_ACCURACY:.0%} test accuracy",
                      "met": accuracy[ours] >= GOAL_ACCURACY, "value": f"{accuracy[ours]:.4f}"})
    return {
        "title": f"Training: 64-128-10 on the digits, Adam, batch {BATCH_SIZE}, {epochs} epochs",
        "table": rows,
        "numbers": {"epochs": epochs, "repeats": repeats, "train_size": len(data[0]), "test_size": len(data[1]),
                    "sklearn_over_dlmath_time_ratio": round(median[sklearn] / median[ours], 2),
                    "keras_over_dlmath_time_ratio": round(median[keras_name] / median[ours], 2)},
        "goals": goals,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
