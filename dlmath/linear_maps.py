"""Linear maps of the plane: what a 2×2 matrix does to a grid and to the unit circle.

The maths behind the linear-map explorer, usable without any widget. A matrix
:math:`A` sends the point :math:`x` to :math:`Ax`; its columns are where the
basis vectors :math:`e_1, e_2` land. The determinant is the factor by which
:math:`A` scales areas (negative when it flips the plane over), and a real
eigenvector is a direction that :math:`A` only stretches:
:math:`Av = \\lambda v`.

Points are arrays whose last axis holds the two coordinates, so one call maps
a single point ``(2,)``, a curve ``(n, 2)`` or a family of lines ``(m, n, 2)``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "as_matrix", "apply", "determinant", "eigenvalues", "real_eigenvectors", "grid_lines",
    "unit_circle", "transform_grid", "transform_circle", "identity", "rotation", "scaling",
    "shear", "reflection", "projection", "interpolate", "PRESETS",
]


def as_matrix(matrix) -> np.ndarray:
    """``matrix`` as a float 2×2 array, with a clear message if it is not one."""
    A = np.asarray(matrix, dtype=float)
    if A.shape != (2, 2):
        raise ValueError(f"a linear map of the plane is a 2×2 matrix; got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError(f"the matrix has entries that are not finite numbers: {A.tolist()}")
    return A


def apply(matrix, points) -> np.ndarray:
    """Map every point: ``points`` of shape ``(..., 2)`` to :math:`A x` for each :math:`x`, same shape."""
    return np.asarray(points, dtype=float) @ as_matrix(matrix).T


def determinant(matrix) -> float:
    """:math:`\\det A = a_{11} a_{22} - a_{12} a_{21}`: the signed factor by which :math:`A` scales areas."""
    A = as_matrix(matrix)
    return float(A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0])


def eigenvalues(matrix) -> np.ndarray:
    """Both eigenvalues, from :math:`\\lambda^2 - (\\operatorname{tr} A)\\lambda + \\det A = 0`.

    Returned as a complex array of two, the larger real part first; they are a
    complex-conjugate pair when the discriminant is negative (a rotation, say).
    """
    A = as_matrix(matrix)
    trace, det = A[0, 0] + A[1, 1], determinant(A)
    root = np.sqrt(complex(trace**2 / 4 - det))
    return np.array([trace / 2 + root, trace / 2 - root])


def real_eigenvectors(matrix, *, tol: float = 1e-9) -> list[tuple[float, np.ndarray]]:
    """The real eigenvalues with a unit eigenvector each, as a list of ``(eigenvalue, vector)``.

    * Two distinct real eigenvalues: two pairs, the larger eigenvalue first.
    * Complex eigenvalues (no direction is kept): an empty list.
    * A repeated eigenvalue: if :math:`A = \\lambda I` every direction is an
      eigenvector, and we return :math:`e_1` and :math:`e_2`; otherwise (a
      shear, say) there is only one eigen-direction, and one pair.

    Each vector solves :math:`(A - \\lambda I)v = 0`: it is perpendicular to the
    larger row of :math:`A - \\lambda I`. Its sign is chosen so that its first
    nonzero coordinate is positive, so the output does not flicker.
    """
    A = as_matrix(matrix)
    scale = max(1.0, float(np.max(np.abs(A))))
    values = eigenvalues(A)
    if abs(values[0].imag) > tol * scale:
        return []
    real_values = sorted({float(v.real) for v in values}, reverse=True)
    if len(real_values) == 2 and abs(real_values[0] - real_values[1]) <= tol * scale:
        real_values = [sum(real_values) / 2]
    pairs = []
    for value in real_values:
        shifted = A - value * np.eye(2)
        norms = np.linalg.norm(shifted, axis=1)
        if np.max(norms) <= math.sqrt(tol) * scale:  # A = λI: every vector is an eigenvector
            pairs += [(value, np.array([1.0, 0.0])), (value, np.array([0.0, 1.0]))]
            continue
        row = shifted[int(np.argmax(norms))]
        vector = np.array([-row[1], row[0]]) / np.linalg.norm(row)
        first = vector[0] if abs(vector[0]) > tol else vector[1]
        pairs.append((value, (vector if first > 0 else -vector) + 0.0))  # + 0.0 turns -0.0 into 0.0
    return pairs


def grid_lines(extent: float = 1.0, count: int = 5) -> np.ndarray:
    """A square grid on :math:`[-e, e]^2` as line segments, shape ``(2 * count, 2, 2)``.

    ``count`` vertical and ``count`` horizontal lines, each given by its two end
    points: a linear map sends straight lines to straight lines, so the ends
    are all it needs.
    """
    ticks = np.linspace(-extent, extent, int(count))
    vertical = [[(t, -extent), (t, extent)] for t in ticks]
    horizontal = [[(-extent, t), (extent, t)] for t in ticks]
    return np.array(vertical + horizontal, dtype=float)


def unit_circle(samples: int = 120) -> np.ndarray:
    """Points on the unit circle, shape ``(samples + 1, 2)``, the first repeated at the end to close it."""
    angles = np.linspace(0.0, 2 * math.pi, int(samples) + 1)
    points = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    points[-1] = points[0]  # exactly closed (sin 2π is not exactly 0 in floating point)
    return points


def transform_grid(matrix, extent: float = 1.0, count: int = 5) -> np.ndarray:
    """The image of :func:`grid_lines` under :math:`A`: a grid of parallelograms."""
    return apply(matrix, grid_lines(extent, count))


def transform_circle(matrix, samples: int = 120) -> np.ndarray:
    """The image of the unit circle under :math:`A`: an ellipse (a segment or a point if :math:`\\det A = 0`)."""
    return apply(matrix, unit_circle(samples))


# --- a few named maps, to start from ---

def identity() -> np.ndarray:
    """:math:`I`: every point stays where it is."""
    return np.eye(2)


def rotation(degrees: float) -> np.ndarray:
    """Rotation by ``degrees`` counter-clockwise.

    Lengths and areas are kept (:math:`\\det = 1`); no direction keeps its
    line, so there is no real eigenvector (unless the angle is 0° or 180°).
    """
    t = math.radians(degrees)
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


def scaling(sx: float, sy: float) -> np.ndarray:
    """Stretch by ``sx`` along :math:`e_1` and by ``sy`` along :math:`e_2`: :math:`\\det = s_x s_y`."""
    return np.array([[float(sx), 0.0], [0.0, float(sy)]])


def shear(k: float) -> np.ndarray:
    """Horizontal shear :math:`(x, y) \\mapsto (x + k y, y)`: areas kept, one eigen-direction (:math:`e_1`)."""
    return np.array([[1.0, float(k)], [0.0, 1.0]])


def reflection(degrees: float = 0.0) -> np.ndarray:
    """Reflection across the line at ``degrees`` to the :math:`x`-axis: :math:`\\det = -1` (the plane flips)."""
    t = math.radians(2 * degrees)
    return np.array([[math.cos(t), math.sin(t)], [math.sin(t), -math.cos(t)]])


def projection(degrees: float = 0.0) -> np.ndarray:
    """Orthogonal projection onto the line at ``degrees``: :math:`\\det = 0`, the plane collapses onto a line."""
    u = np.array([math.cos(math.radians(degrees)), math.sin(math.radians(degrees))])
    return np.outer(u, u)


def interpolate(start, end, t: float) -> np.ndarray:
    """The matrix a fraction ``t`` of the way from ``start`` to ``end``: :math:`(1-t)A + tB`."""
    return (1.0 - t) * as_matrix(start) + t * as_matrix(end)


#: Named matrices for the explorer's menu: each shows one kind of behaviour.
PRESETS = {
    "identity": identity(),
    "stretch (2, 0.5)": scaling(2.0, 0.5),
    "shear (k = 1)": shear(1.0),
    "rotation 30°": rotation(30.0),
    "reflection (y = x)": reflection(45.0),
    "projection onto x-axis": projection(0.0),
    "symmetric [[2, 1], [1, 2]]": np.array([[2.0, 1.0], [1.0, 2.0]]),
}
