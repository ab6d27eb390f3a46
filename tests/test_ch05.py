"""Chapter 5's claims about Keras that its cells do not check themselves.

Chapters 5b and 6 compile with ``steps_per_execution`` (a whole epoch per call into
TensorFlow) to spend less time outside the arithmetic, and say the trained model is the
same as with Keras's default of one step per call. Checked here on the chapter's network,
bit for bit, with a changed batch size kept as the difference the comparison must see.
"""

import numpy as np
import pytest


def _trained_weights(steps_per_execution, batch_size=32, epochs=3):
    import keras

    from dlmath.data import load_digits_split

    X_train, _, y_train, _ = load_digits_split()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(64,)),
                              keras.layers.Dense(128, activation="relu", kernel_initializer="he_normal"),
                              keras.layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  steps_per_execution=steps_per_execution)
    history = model.fit(X_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    return model.get_weights(), history.history["loss"]


@pytest.fixture(scope="module")
def one_step_per_call():
    import dlmath.environment

    dlmath.environment.setup_notebook(seed=0, tensorflow=True, quiet=True)   # deterministic ops, as the chapters
    return _trained_weights(1)


def _same(a, b):
    weights_a, losses_a = a
    weights_b, losses_b = b
    return losses_a == losses_b and all(np.array_equal(x, y) for x, y in zip(weights_a, weights_b))


def test_a_whole_epoch_per_call_trains_the_same_model(one_step_per_call):
    assert _same(_trained_weights(45), one_step_per_call)     # 1,437 digits in batches of 32: 45 steps


def test_the_comparison_sees_a_different_training(one_step_per_call):
    assert not _same(_trained_weights(1, batch_size=33), one_step_per_call)
