"""The maths of the gradient-descent explorer: surfaces, gradients and optimizers (no widgets)."""

import numpy as np
import pytest

from dlmath import optimizers
from dlmath.optimizers import SURFACES, descent_path, get_surface, quadratic


# --- surfaces ---

@pytest.mark.parametrize("name", sorted(SURFACES))
def test_gradient_matches_finite_differences(name):
    surface = get_surface(name)
    rng = np.random.default_rng(0)
    low, high = np.array(surface.extent[0::2]), np.array(surface.extent[1::2])
    points = low + (high - low) * rng.random((20, surface.dim))
    h = 1e-6
    for point in points:
        numeric = np.array([(surface(point + h * e) - surface(point - h * e)) / (2 * h)
                            for e in np.eye(surface.dim)])
        np.testing.assert_allclose(surface.gradient(point), numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_listed_minima_are_stationary_and_lowest_nearby(name):
    surface = get_surface(name)
    assert surface.minima, "every surface names at least one minimum"
    for minimum in surface.minima:
        np.testing.assert_allclose(surface.gradient(np.array(minimum)), 0.0, atol=1e-9)
    # The lowest listed minimum is at least as low as anything on a grid over the window.
    if surface.dim == 2:
        x0, x1, y0, y1 = surface.extent
        X, Y = np.meshgrid(np.linspace(x0, x1, 201), np.linspace(y0, y1, 201))
        grid_min = surface.loss(np.stack([X, Y], axis=-1)).min()
    else:
        grid_min = surface.loss(np.linspace(*surface.extent, 2001)[:, None]).min()
    assert min(surface(m) for m in surface.minima) <= grid_min + 1e-12


def test_surfaces_evaluate_grids_in_one_call():
    surface = get_surface("banana")
    grid = np.zeros((7, 5, 2))
    assert surface.loss(grid).shape == (7, 5)
    assert surface.gradient(grid).shape == (7, 5, 2)


def test_quadratic_curvature_and_formula():
    surface = quadratic((1.0, 10.0))
    assert surface.curvature == 10.0
    np.testing.assert_allclose(surface([1.0, 1.0]), 5.5)
    assert "10" in surface.formula
    with pytest.raises(ValueError, match="positive"):
        quadratic((1.0, -2.0))


def test_get_surface_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown surface 'donut'"):
        get_surface("donut")


# --- gradient descent: the 2/L threshold ---

@pytest.mark.parametrize("curvature", [0.5, 2.0, 10.0])
def test_gradient_descent_on_quadratic_follows_the_exact_formula(curvature):
    # On L(w) = curvature/2 * w^2, each step multiplies w by (1 - lr * curvature).
    surface = quadratic((curvature,))
    learning_rate = 0.7 / curvature
    path, losses = descent_path(surface, "sgd", learning_rate, 25, start=(3.0,))
    expected = 3.0 * (1 - learning_rate * curvature) ** np.arange(26)
    np.testing.assert_allclose(path[:, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(losses, 0.5 * curvature * expected**2, rtol=1e-12)


@pytest.mark.parametrize("curvatures", [(1.0,), (4.0,), (1.0, 10.0), (2.0, 0.5, 8.0)])
def test_gradient_descent_converges_below_2_over_L_and_diverges_above(curvatures):
    surface = quadratic(curvatures, start=[1.0] * len(curvatures))
    L = surface.curvature
    below = descent_path(surface, "sgd", 0.95 * 2 / L, 400)
    above = descent_path(surface, "sgd", 1.05 * 2 / L, 400)
    assert not below.diverged
    assert below.losses[-1] < 1e-6 * below.losses[0]
    assert above.diverged, "a learning rate above 2/L must be flagged as diverging"
    assert above.steps_taken < 400
    # Above 2/L the loss grows at every step (the steep direction overshoots by more each time).
    assert np.all(np.diff(above.losses) > 0)


def test_valley_threshold_is_two_tenths():
    assert not descent_path("valley", "sgd", 0.19, 300).diverged
    assert descent_path("valley", "sgd", 0.21, 300).diverged


def test_divergence_stops_at_the_limit_and_keeps_the_first_point_past_it():
    result = descent_path(quadratic((1.0,)), "sgd", 3.0, 1000, start=(1.0,), divergence_limit=1e3)
    # |w_t| = 2^t: the first t with 2^t > 1000 is 10.
    assert result.diverged and result.steps_taken == 10
    assert abs(result.path[-1, 0]) > 1e3 >= abs(result.path[-2, 0])
    assert len(result.losses) == len(result.path) == 11


def test_overflow_counts_as_divergence_without_warnings():
    with np.errstate(all="raise"):
        result = descent_path("banana", "sgd", 5.0, 500)
    assert result.diverged
    assert np.all(np.isfinite(result.path[:-1]))


# --- momentum and Adam ---

def test_momentum_with_beta_zero_is_plain_gradient_descent():
    plain = descent_path("banana", "sgd", 0.01, 50)
    heavy = descent_path("banana", "momentum", 0.01, 50, momentum=0.0)
    np.testing.assert_allclose(heavy.path, plain.path, rtol=1e-12)


def test_momentum_follows_the_heavy_ball_update():
    surface = get_surface("valley")
    beta, lr = 0.8, 0.05
    w, v = np.array(surface.start), np.zeros(2)
    expected = [w.copy()]
    for _ in range(5):
        v = beta * v - lr * surface.gradient(w)
        w = w + v
        expected.append(w.copy())
    result = descent_path(surface, "momentum", lr, 5, momentum=beta)
    np.testing.assert_allclose(result.path, np.array(expected), rtol=1e-12)


def test_adam_first_step_has_length_lr_in_every_coordinate():
    # Gradients of very different sizes (curvatures 1 and 100): Adam's first step ignores the size.
    surface = quadratic((1.0, 100.0), start=(3.0, -2.0))
    gradient = surface.gradient(np.array(surface.start))
    assert abs(gradient[1]) / abs(gradient[0]) > 50
    for learning_rate in (0.001, 0.01, 0.1):
        path, _ = descent_path(surface, "adam", learning_rate, 1)
        step = path[1] - path[0]
        np.testing.assert_allclose(np.abs(step), learning_rate, rtol=1e-6)
        np.testing.assert_array_equal(np.sign(step), -np.sign(gradient))


def test_adam_matches_the_bias_corrected_update():
    surface = get_surface("banana")
    lr, b1, b2, eps = 0.05, 0.8, 0.99, 1e-8
    w, m, s = np.array(surface.start), np.zeros(2), np.zeros(2)
    expected = [w.copy()]
    for t in range(1, 8):
        g = surface.gradient(w)
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(s / (1 - b2**t)) + eps)
        expected.append(w.copy())
    result = descent_path(surface, "adam", lr, 7, beta1=b1, beta2=b2, epsilon=eps)
    np.testing.assert_allclose(result.path, np.array(expected), rtol=1e-12)


def test_optimizers_reach_the_banana_minimum():
    for optimizer, lr, steps in (("sgd", 0.01, 3000), ("momentum", 0.002, 3000), ("adam", 0.02, 2000)):
        result = descent_path("banana", optimizer, lr, steps)
        assert not result.diverged
        np.testing.assert_allclose(result.path[-1], [1.0, 1.0], atol=0.02, err_msg=optimizer)


# --- saddle and double well: where a run ends up ---

def test_saddle_stalls_on_the_axis_and_escapes_off_it():
    on_axis = descent_path("saddle", "sgd", 0.1, 300, start=(1.8, 0.0))
    np.testing.assert_allclose(on_axis.path[-1], [0.0, 0.0], atol=1e-6)
    off_axis = descent_path("saddle", "sgd", 0.1, 300, start=(1.8, 0.01))
    np.testing.assert_allclose(off_axis.path[-1], [0.0, 1.0], atol=1e-4)


def test_double_well_end_depends_on_the_start():
    surface = get_surface("double_well")
    local, global_ = max(surface.minima), min(surface.minima)
    assert surface(global_) < surface(local)
    right = descent_path(surface, "sgd", 0.05, 500, start=(1.8,))
    left = descent_path(surface, "sgd", 0.05, 500, start=(-1.8,))
    np.testing.assert_allclose(right.path[-1], local, atol=1e-6)
    np.testing.assert_allclose(left.path[-1], global_, atol=1e-6)


# --- noise, results and bad input ---

def test_gradient_noise_is_seeded():
    a = descent_path("bowl", "sgd", 0.1, 20, noise=0.5, seed=3)
    b = descent_path("bowl", "sgd", 0.1, 20, noise=0.5, seed=3)
    c = descent_path("bowl", "sgd", 0.1, 20, noise=0.5, seed=4)
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.allclose(a.path, c.path)
    assert not np.allclose(a.path, descent_path("bowl", "sgd", 0.1, 20).path)


def test_result_unpacks_and_records_its_settings():
    result = descent_path("bowl", "momentum", 0.1, 12, start=(1.0, -1.0), momentum=0.5)
    path, losses = result
    assert path.shape == (13, 2) and losses.shape == (13,)
    np.testing.assert_array_equal(path[0], [1.0, -1.0])
    assert result.optimizer == "momentum" and result.learning_rate == 0.1
    assert result.hyperparameters["momentum"] == 0.5
    assert result.steps_taken == 12 and not result.diverged


@pytest.mark.parametrize("kwargs, message", [
    ({"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'"),
    ({"optimizer": "adam", "momentum": 0.9}, "momentum does not apply"),
    ({"learning_rate": 0.0}, "learning_rate must be a positive number"),
    ({"steps": 2.5}, "steps must be a whole number"),
    ({"start": (1.0, 2.0, 3.0)}, "start must have 2 coordinate"),
    ({"optimizer": "momentum", "momentum": 1.0}, r"momentum must be in \[0, 1\)"),
])
def test_bad_input_gets_a_clear_message(kwargs, message):
    arguments = {"surface": "bowl", "optimizer": "sgd", "learning_rate": 0.1, "steps": 5, **kwargs}
    with pytest.raises(ValueError, match=message):
        descent_path(**arguments)


def test_optimizer_table_lists_the_three_optimizers():
    assert set(optimizers.OPTIMIZERS) == {"sgd", "momentum", "adam"}


def _follows_the_notation(formula: str, dim: int) -> bool:
    """A surface's title names the loss 𝓛 (book/notation.md), of a bold vector w in 2-D, plain w in 1-D."""
    argument = r"\mathbf{w}" if dim > 1 else "w"
    return formula.startswith(rf"$\mathcal{{L}}({argument}) = ") and formula.endswith("$")


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_surface_titles_follow_the_notation_and_render(name):
    from matplotlib.mathtext import MathTextParser

    surface = get_surface(name)
    assert _follows_the_notation(surface.formula, surface.dim), surface.formula
    MathTextParser("agg").parse(surface.formula)   # raises on a formula matplotlib cannot typeset


def test_the_notation_check_rejects_the_old_titles():
    assert not _follows_the_notation(r"$L(w) = \frac{1}{2}(w_1^2 + w_2^2)$", 2)    # the old, generic L
    assert not _follows_the_notation(r"$\mathcal{L}(\mathbf{w}) = w^2$", 1)        # a scalar in bold
    assert _follows_the_notation(quadratic((2.0,)).formula, 1)
