"""Chapter 5b's network explorer: the maths (:mod:`dlmath.boundary`) without widgets, then what is
specific to the explorer. The checks every explorer gets (described controls, every control changes
the picture, fast path = full redraw, static rendition self-contained and stable, per-frame alt
text) run in ``tests/test_widgets.py`` for every module of the registry, this one included."""

import math

import numpy as np
import pytest

from dlmath import boundary, explorers, training
from dlmath.explorers import network


def _run(**settings):
    return boundary.train_boundary(boundary.BoundaryConfig(**settings))


# --- the data ---

@pytest.mark.parametrize("name", boundary.DATASETS)
def test_toy_data_are_fixed_standardised_and_split_two_to_one(name):
    X_train, y_train, X_val, y_val = boundary.toy_data(name)
    again = boundary.toy_data(name)
    for a, b in zip((X_train, y_train, X_val, y_val), again):
        np.testing.assert_array_equal(a, b)
    assert X_train.shape == (160, 2) and X_val.shape == (80, 2)
    X = np.vstack([X_train, X_val])
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1, atol=1e-12)
    # Both classes in both sets, in about equal numbers, and every point inside the drawn square.
    for y in (y_train, y_val):
        assert set(np.unique(y)) == {0.0, 1.0} and 0.35 < y.mean() < 0.65
    assert np.all((boundary.EXTENT[0] < X) & (X < boundary.EXTENT[1]))
    # The caller may change the arrays it gets; the next call is not affected.
    X_train[:] = 0
    assert boundary.toy_data(name)[0].std() > 0.5


def test_xor_labels_are_the_signs_agreeing():
    """Before the jitter, class 1 is exactly 'both coordinates have the same sign'; after it, nearly."""
    X_train, y_train, _, _ = boundary.toy_data("XOR")
    agree = (X_train[:, 0] * X_train[:, 1] > 0) == (y_train == 1)
    assert 0.85 < agree.mean() < 1.0


def test_unknown_settings_are_refused():
    with pytest.raises(ValueError, match="unknown data set"):
        boundary.toy_data("spirals")
    with pytest.raises(ValueError, match="unknown activation"):
        _run(activation="softsign")
    with pytest.raises(ValueError, match="must be positive"):
        _run(learning_rate=0.0)


# --- training ---

def test_the_recorded_losses_are_the_networks_losses():
    """Step 0 is the untrained network: the loss DeepNetwork computes with the same seed and initialisation."""
    result = _run(steps=5, activation="tanh", width=4, depth=1)
    X_train, y_train, X_val, y_val = boundary.toy_data("two moons")
    net = training.DeepNetwork(2, 1, 4, activation="tanh", initialisation="glorot", seed=0)
    assert result.train_loss[0] == pytest.approx(net.loss(X_train, y_train), rel=1e-12)
    assert result.val_loss[0] == pytest.approx(net.loss(X_val, y_val), rel=1e-12)
    np.testing.assert_array_equal(result.steps, np.arange(6))


def test_training_lowers_the_loss_and_is_reproducible():
    result = _run()
    assert result.train_loss[-1] < 0.5 * result.train_loss[0]
    assert not result.diverged and result.train_accuracy > 0.9
    again = _run()
    np.testing.assert_array_equal(result.train_loss, again.train_loss)
    np.testing.assert_array_equal(result.probability, again.probability)


def test_probability_grid_is_the_networks_prediction_on_the_grid():
    result = _run(width=3, depth=1, steps=20)
    assert result.probability.shape == (boundary.GRID, boundary.GRID)
    assert np.all((0 <= result.probability) & (result.probability <= 1))
    np.testing.assert_allclose(result.grid[[0, -1]], boundary.EXTENT)


STRAIGHT_OR_NONE = ("a straight line", "no boundary in view: the network predicts one class everywhere")


@pytest.mark.parametrize("dataset", boundary.DATASETS)
@pytest.mark.parametrize("activation", boundary.ACTIVATIONS)
def test_one_hidden_unit_draws_at_most_a_straight_line(dataset, activation):
    """With one unit per layer the output is a monotone function of one projection w·x, whatever
    the depth: its boundary p = ½ is one straight line, or there is none."""
    for depth in (1, 3):
        result = _run(dataset=dataset, activation=activation, width=1, depth=depth)
        assert boundary.boundary_shape(result) in STRAIGHT_OR_NONE, (dataset, activation, depth)


def test_a_wider_network_fits_xor_and_one_unit_cannot():
    """XOR's quadrants need a bent boundary: one unit fits no better than chance, eight fit them."""
    narrow, wide = _run(dataset="XOR", width=1), _run(dataset="XOR", width=8)
    assert narrow.train_accuracy < 0.6 and narrow.train_loss[-1] > 0.9 * boundary.CHANCE_LOSS
    assert wide.train_accuracy > 0.9 and wide.val_accuracy > 0.8
    assert wide.train_loss[-1] < 0.2 * narrow.train_loss[-1]
    assert boundary.boundary_shape(wide).startswith("curved")
    # The wrong claim is rejected: a curved boundary is not called straight.
    assert boundary.boundary_shape(wide) not in STRAIGHT_OR_NONE


def test_the_boundary_shape_is_judged_on_the_grid():
    grid = np.linspace(*boundary.EXTENT, boundary.GRID)
    xx, yy = np.meshgrid(grid, grid)
    fake = _run(steps=1)
    for probability, expected in [((xx + 0.5 * yy > 0.3) * 1.0, "a straight line"),
                                  ((xx ** 2 + yy ** 2 < 1.5) * 1.0, "curved, splitting the plane into 2 regions"),
                                  (((xx - 0.05) * (yy - 0.05) > 0) * 1.0, "curved, splitting the plane into 4 regions"),
                                  (np.full_like(xx, 0.9), "no boundary in view: the network predicts one class "
                                                          "everywhere")]:
        fake.probability = probability
        assert boundary.boundary_shape(fake) == expected


def test_a_huge_learning_rate_diverges_and_says_so():
    result = _run(learning_rate=10.0)
    assert result.diverged
    last = result.train_loss[-1]
    assert result.limit == pytest.approx(boundary.BLOW_UP * max(result.train_loss[0], boundary.CHANCE_LOSS))
    assert not (math.isfinite(last) and last <= result.limit)
    assert np.all(result.train_loss[:-1] <= result.limit)  # it stopped at the first step past the limit
    assert len(result.steps) < 121  # it stopped early
    text = boundary.describe(result)
    assert text.startswith("Training diverged") and "too large" in text
    fine = boundary.describe(_run())
    assert "diverged" not in fine and fine.startswith("After 120 steps: training loss")


def test_a_tiny_learning_rate_barely_moves():
    slow, default = _run(learning_rate=0.001), _run()
    assert slow.train_loss[-1] > 0.7 * slow.train_loss[0]
    assert default.train_loss[-1] < slow.train_loss[-1]


# --- the explorer ---

def test_the_explorer_is_registered_for_chapter_5b():
    info = explorers.REGISTRY["network"]
    assert info.chapter == "notebooks/05b_neural_network_keras"
    assert info.live is explorers.network_explorer and info.static is explorers.network_static
    assert {key for key, _ in info.bench_plan} == {key for _, key, _ in info.test_plan} == \
        set(network.network_explorer().controls)


def test_every_control_has_a_name_and_is_read_out():
    explorer = network.network_explorer()
    names = {key: control.description for key, control in explorer.controls.items()}
    assert names == {"dataset": "data set", "width": "width (hidden units per layer)",
                     "depth": "depth (hidden layers)", "activation": "activation",
                     "learning_rate": "learning rate η"}
    alt = explorer.last_alt
    for description in names.values():
        assert f"{description}: " in alt


@pytest.mark.parametrize("key, value", [("width", 1), ("width", 32), ("depth", 4), ("activation", "tanh"),
                                        ("activation", "sigmoid"), ("learning_rate", 0.001),
                                        ("dataset", "XOR"), ("dataset", "circles")])
def test_each_control_trains_the_network_it_names(key, value):
    explorer = network.network_explorer()
    explorer.controls[key].value = value
    config = explorer.result.config
    assert getattr(config, key) == pytest.approx(value) if key == "learning_rate" else getattr(config, key) == value
    expected = boundary.train_boundary(config)
    np.testing.assert_array_equal(explorer.result.train_loss, expected.train_loss)
    # The picture draws the run: the loss curves and the probability map are the result's.
    np.testing.assert_allclose(explorer.view.train_line.get_ydata(),
                               np.clip(expected.train_loss, *network.LOSS_LIMITS))
    np.testing.assert_array_equal(np.asarray(explorer.view.image.get_array()), expected.probability)
    assert boundary.describe(expected) in explorer.last_alt


def test_the_alt_text_follows_the_setting_and_reports_divergence():
    explorer = network.network_explorer()
    alt = explorer.last_alt
    assert alt.startswith("Left: a small network's predicted probability of class 1")
    assert "data set: two moons" in alt and "activation: ReLU" in alt and "After 120 steps" in alt
    assert "Decision boundary: curved" in alt
    explorer.controls["width"].value = 1
    assert "width (hidden units per layer): 1" in explorer.last_alt
    assert "Decision boundary: a straight line" in explorer.last_alt
    explorer.controls["learning_rate"].value = 10.0
    assert "Training diverged" in explorer.last_alt and "too large" in explorer.last_alt
    assert explorer.view.message.get_text().startswith("diverged at step")
    # A diverged run is a result, not an error: the status is not drawn as a failure.
    assert "#D55E00" not in explorer.status.value
    explorer.controls["learning_rate"].value = 0.03
    assert "diverged" not in explorer.last_alt and explorer.view.message.get_text() == ""


def test_going_back_to_a_setting_reuses_its_run():
    explorer = network.network_explorer()
    first = explorer.result
    explorer.controls["width"].value = 4
    explorer.controls["width"].value = 8
    assert explorer.result is first


def test_the_static_rendition_shows_the_telling_cases_and_stays_small():
    static = network.network_static()
    assert static.frames == len(network.STATIC_STATES)
    assert len(static.html) < 0.6 * explorers.EMBED_LIMIT_MB * 1e6
    captions = static.captions
    assert any("straight line" in c and "Decision boundary: a straight line" in c for c in captions)
    assert any(c.startswith("XOR with one tanh unit") and "Decision boundary: a straight line" in c for c in captions)
    assert any(c.startswith("A learning rate too large") and "Training diverged" in c for c in captions)
    assert sum("Training diverged" in c for c in captions) == 1
