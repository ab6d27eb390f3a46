"""The maths of the activation explorer: activations, derivatives and softmax with temperature."""

import numpy as np
import pytest

from dlmath import activations as act

X = np.linspace(-6, 6, 241)
X = X[np.abs(X) > 1e-3]  # away from the kinks of ReLU and leaky ReLU at 0


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_derivatives_match_finite_differences(name):
    function, derivative = act.ACTIVATIONS[name]
    h = 1e-6
    numeric = (function(X + h) - function(X - h)) / (2 * h)
    np.testing.assert_allclose(derivative(X), numeric, atol=1e-7)


def test_leaky_relu_slope_and_relu_convention_at_zero():
    np.testing.assert_allclose(act.leaky_relu([-2.0, 3.0], slope=0.2), [-0.4, 3.0])
    np.testing.assert_allclose(act.leaky_relu_derivative([-2.0, 0.0, 3.0], slope=0.2), [0.2, 0.2, 1.0])
    assert act.relu_derivative(0.0) == 0.0  # the frameworks' convention at the kink
    np.testing.assert_allclose(act.relu([-1.0, 0.0, 2.5]), [0.0, 0.0, 2.5])


def test_sigmoid_is_stable_and_symmetric():
    # An overflow would raise here (an underflow to 0 is harmless).
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = act.sigmoid(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
        act.sigmoid_derivative(np.array([-1000.0, 1000.0]))
    np.testing.assert_allclose(values[[0, 2, 4]], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(act.sigmoid(X) + act.sigmoid(-X), 1.0, rtol=1e-12)
    moderate = np.linspace(-20, 20, 101)
    np.testing.assert_allclose(act.sigmoid(moderate), 1 / (1 + np.exp(-moderate)), rtol=1e-12)
    assert act.sigmoid_derivative(0.0) == pytest.approx(0.25)


def test_tanh_is_a_rescaled_sigmoid():
    np.testing.assert_allclose(act.tanh(X), 2 * act.sigmoid(2 * X) - 1, atol=1e-12)
    assert act.tanh_derivative(0.0) == pytest.approx(1.0)


def test_softmax_rows_sum_to_one_and_are_positive():
    z = np.random.default_rng(0).normal(scale=5, size=(50, 7))
    for temperature in (0.1, 1.0, 10.0):
        s = act.softmax(z, temperature)
        assert s.shape == z.shape
        np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)
        assert np.all(s > 0)
    np.testing.assert_allclose(act.softmax(z, axis=0).sum(axis=0), 1.0, rtol=1e-12)


def test_softmax_is_stable_and_shift_invariant():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = act.softmax(np.array([1000.0, 999.0, -1000.0]))
    np.testing.assert_allclose(s, act.softmax(np.array([1.0, 0.0, -1999.0])))
    z = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(act.softmax(z + 123.4), act.softmax(z), rtol=1e-12)
    np.testing.assert_allclose(act.softmax(z), np.exp(z) / np.exp(z).sum(), rtol=1e-12)


def test_temperature_sharpens_and_flattens():
    z = np.array([2.0, 1.0, 0.2, -0.6])
    np.testing.assert_allclose(act.softmax(z, 0.5), act.softmax(z / 0.5), rtol=1e-12)
    # Low temperature: nearly one-hot on the largest logit. High: nearly uniform.
    np.testing.assert_allclose(act.softmax(z, 0.01), [1, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(act.softmax(z, 1e4), 0.25, atol=1e-3)
    # The entropy grows steadily with the temperature.
    temperatures = np.geomspace(0.05, 50, 30)
    entropy = [-(p * np.log(p)).sum() for p in (act.softmax(z, t) for t in temperatures)]
    assert np.all(np.diff(entropy) > 0)
    # The two-class slice is a sigmoid: softmax([x, 0]/T)_1 = sigmoid(x/T).
    pairs = np.stack([X, np.zeros_like(X)], axis=-1)
    np.testing.assert_allclose(act.softmax(pairs, 2.0)[:, 0], act.sigmoid(X / 2.0), rtol=1e-12)


def test_log_softmax():
    z = np.array([3.0, -2.0, 0.5])
    np.testing.assert_allclose(act.log_softmax(z, 0.7), np.log(act.softmax(z, 0.7)), rtol=1e-12)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        extreme = act.log_softmax(np.array([0.0, -5000.0]))
    np.testing.assert_allclose(extreme, [0.0, -5000.0])


def test_softmax_jacobian_matches_finite_differences():
    z = np.array([1.0, -0.5, 0.3, 2.0])
    for temperature in (0.5, 1.0, 3.0):
        J = act.softmax_jacobian(z, temperature)
        h = 1e-6
        numeric = np.stack([(act.softmax(z + h * e, temperature) - act.softmax(z - h * e, temperature)) / (2 * h)
                            for e in np.eye(4)], axis=1)
        np.testing.assert_allclose(J, numeric, atol=1e-8)
        np.testing.assert_allclose(J, J.T, atol=1e-15)
        np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-15)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.inf])
def test_bad_temperature_gets_a_clear_message(bad):
    with pytest.raises(ValueError, match="temperature must be a positive number"):
        act.softmax([1.0, 2.0], bad)


def test_jacobian_needs_one_vector():
    with pytest.raises(ValueError, match=r"one vector of logits, shape \(K,\)"):
        act.softmax_jacobian(np.zeros((2, 3)))
