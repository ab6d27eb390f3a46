"""Chapter 5's claims about Keras that its cells do not check themselves.

Chapters 5b and 6 compile with ``steps_per_execution`` (a whole epoch per call into
TensorFlow) to spend less time outside the arithmetic, and say the trained model is the
same as with Keras's default of one step per call. Checked here on the chapter's network,
bit for bit, with a changed batch size kept as the difference the comparison must see:
for NumPy arrays (chapter 6) and for the ``tf.data.Dataset`` chapter 5b feeds ``fit``.
"""

import numpy as np
import pytest


def _trained_weights(steps_per_execution, batch_size=32, epochs=3, dataset=False):
    import keras
    import tensorflow as tf

    from dlmath.data import load_digits_split

    X_train, _, y_train, _ = load_digits_split()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(64,)),
                              keras.layers.Dense(128, activation="relu", kernel_initializer="he_normal"),
                              keras.layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  steps_per_execution=steps_per_execution)
    if dataset:   # as chapter 5b: a new full shuffle every epoch, then batches
        train_data = tf.data.Dataset.from_tensor_slices((X_train, y_train)).shuffle(len(X_train), seed=0)
        history = model.fit(train_data.batch(batch_size), epochs=epochs, shuffle=False, verbose=0)   # the Dataset shuffles
    else:
        history = model.fit(X_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    return model.get_weights(), history.history["loss"]


@pytest.fixture(scope="module")
def one_step_per_call():
    import dlmath.environment

    dlmath.environment.setup_notebook(seed=0, tensorflow=True, quiet=True)   # deterministic ops, as the chapters
    return _trained_weights(1)


@pytest.fixture(scope="module")
def dataset_one_step_per_call():
    import dlmath.environment

    dlmath.environment.setup_notebook(seed=0, tensorflow=True, quiet=True)
    return _trained_weights(1, dataset=True)


def _same(a, b):
    weights_a, losses_a = a
    weights_b, losses_b = b
    return losses_a == losses_b and all(np.array_equal(x, y) for x, y in zip(weights_a, weights_b))


def test_a_whole_epoch_per_call_trains_the_same_model(one_step_per_call):
    assert _same(_trained_weights(45), one_step_per_call)     # 1,437 digits in batches of 32: 45 steps


def test_the_comparison_sees_a_different_training(one_step_per_call):
    assert not _same(_trained_weights(1, batch_size=33), one_step_per_call)


def test_a_whole_epoch_per_call_trains_the_same_model_from_a_dataset(dataset_one_step_per_call):
    assert _same(_trained_weights(45, dataset=True), dataset_one_step_per_call)


def test_the_dataset_comparison_sees_a_different_training(dataset_one_step_per_call):
    assert not _same(_trained_weights(1, batch_size=33, dataset=True), dataset_one_step_per_call)


def test_a_dataset_trains_the_same_network_as_well_as_arrays(one_step_per_call, dataset_one_step_per_call):
    # A different order of the examples, so different weights; but a loss of the same size after 3 epochs.
    _, losses_arrays = one_step_per_call
    _, losses_dataset = dataset_one_step_per_call
    assert losses_arrays != losses_dataset
    assert abs(losses_dataset[-1] - losses_arrays[-1]) < 0.2 * losses_arrays[-1]
