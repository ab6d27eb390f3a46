"""The maths of the linear-map explorer: determinants, eigenvectors, images of grids and circles."""

import math

import numpy as np
import pytest

from dlmath import linear_maps as lm

RNG = np.random.default_rng(0)
RANDOM_MATRICES = [RNG.uniform(-2, 2, (2, 2)) for _ in range(25)]


def _signed_area(polygon):
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


@pytest.mark.parametrize("A", RANDOM_MATRICES)
def test_determinant_is_the_signed_area_of_the_image_of_the_unit_square(A):
    det = lm.determinant(A)
    np.testing.assert_allclose(det, np.linalg.det(A), atol=1e-12)
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
    np.testing.assert_allclose(_signed_area(lm.apply(A, square)), det, atol=1e-12)


@pytest.mark.parametrize("A", RANDOM_MATRICES)
def test_eigenvalues_solve_the_characteristic_equation(A):
    values = lm.eigenvalues(A)
    np.testing.assert_allclose(sorted(values, key=lambda v: (v.real, v.imag)),
                               sorted(np.linalg.eigvals(A).astype(complex), key=lambda v: (v.real, v.imag)),
                               atol=1e-9)
    np.testing.assert_allclose(values.sum(), np.trace(A), atol=1e-12)
    np.testing.assert_allclose(np.prod(values), lm.determinant(A), atol=1e-12)


@pytest.mark.parametrize("A", RANDOM_MATRICES)
def test_real_eigenvectors_are_unit_and_only_stretched(A):
    pairs = lm.real_eigenvectors(A)
    real = np.isreal(np.linalg.eigvals(A)).all()
    assert (len(pairs) > 0) == real
    for value, vector in pairs:
        np.testing.assert_allclose(np.linalg.norm(vector), 1.0)
        np.testing.assert_allclose(A @ vector, value * vector, atol=1e-9)


def test_symmetric_matrices_have_two_perpendicular_eigenvectors():
    for _ in range(20):
        B = RNG.normal(size=(2, 2))
        S = B + B.T
        (v1, e1), (v2, e2) = lm.real_eigenvectors(S)
        assert v1 >= v2
        np.testing.assert_allclose(e1 @ e2, 0.0, atol=1e-9)


def test_special_cases():
    assert lm.real_eigenvectors(lm.rotation(30)) == []
    np.testing.assert_allclose(lm.eigenvalues(lm.rotation(30)),
                               [complex(math.cos(math.pi / 6), math.sin(math.pi / 6)),
                                complex(math.cos(math.pi / 6), -math.sin(math.pi / 6))])
    # A shear keeps only one direction: e1.
    (value, vector), = lm.real_eigenvectors(lm.shear(1.0))
    assert value == pytest.approx(1.0)
    np.testing.assert_allclose(vector, [1.0, 0.0])
    # A multiple of the identity keeps every direction: we return e1 and e2.
    pairs = lm.real_eigenvectors(2.5 * np.eye(2))
    assert [v for v, _ in pairs] == [2.5, 2.5]
    np.testing.assert_allclose([u for _, u in pairs], np.eye(2))
    # A rotation by 180 degrees is -I.
    assert [v for v, _ in lm.real_eigenvectors(lm.rotation(180))] == pytest.approx([-1.0, -1.0])
    # No negative zeros in the output (they would print as -0.).
    for _, vector in lm.real_eigenvectors(lm.scaling(2, 0.5)):
        assert not np.any(np.signbit(vector) & (vector == 0))


def test_named_maps_behave_as_named():
    R = lm.rotation(40)
    np.testing.assert_allclose(R.T @ R, np.eye(2), atol=1e-12)
    assert lm.determinant(R) == pytest.approx(1.0)
    F = lm.reflection(25)
    assert lm.determinant(F) == pytest.approx(-1.0)
    np.testing.assert_allclose(F @ F, np.eye(2), atol=1e-12)
    P = lm.projection(60)
    np.testing.assert_allclose(P @ P, P, atol=1e-12)
    assert lm.determinant(P) == pytest.approx(0.0, abs=1e-12)
    assert lm.determinant(lm.shear(3.0)) == 1.0
    assert lm.determinant(lm.scaling(2.0, 0.5)) == 1.0
    for name, matrix in lm.PRESETS.items():
        assert lm.as_matrix(matrix).shape == (2, 2), name


def test_grid_and_circle_images():
    A = np.array([[2.0, 1.0], [0.5, 1.5]])
    lines = lm.grid_lines(1.0, 5)
    assert lines.shape == (10, 2, 2)
    np.testing.assert_allclose(lm.transform_grid(A, 1.0, 5), lines @ A.T)
    circle = lm.unit_circle(90)
    assert circle.shape == (91, 2)
    np.testing.assert_allclose(circle[0], circle[-1])
    np.testing.assert_allclose(np.linalg.norm(circle, axis=1), 1.0)
    ellipse = lm.transform_circle(A, 90)
    # Every image point y = Ax comes back to the unit circle under A^-1.
    np.testing.assert_allclose(np.linalg.norm(ellipse @ np.linalg.inv(A).T, axis=1), 1.0)
    # apply works on any leading shape.
    assert lm.apply(A, np.zeros((3, 4, 2))).shape == (3, 4, 2)


def test_interpolate_runs_from_one_map_to_the_other():
    A, B = lm.identity(), lm.reflection(45)
    np.testing.assert_allclose(lm.interpolate(A, B, 0.0), A)
    np.testing.assert_allclose(lm.interpolate(A, B, 1.0), B)
    # Halfway from I to a reflection the determinant passes through zero.
    assert lm.determinant(lm.interpolate(A, B, 0.5)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("bad, message", [
    (np.eye(3), r"2×2 matrix; got shape \(3, 3\)"),
    ([[1.0, np.nan], [0.0, 1.0]], "not finite"),
])
def test_bad_matrices_get_a_clear_message(bad, message):
    with pytest.raises(ValueError, match=message):
        lm.determinant(bad)
