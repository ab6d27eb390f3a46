"""The course's explorers under their first name, ``dlmath.widgets`` (kept for the notebooks).

The explorers live in the package :mod:`dlmath.explorers`, one module per
explorer on a small shared base; this module re-exports the same names, so
``dlmath.widgets.gradient_descent_explorer()`` and
``dlmath.explorers.gradient_descent_explorer()`` are the same function::

    dlmath.widgets.gradient_descent_explorer()   # live: JupyterLab, Colab
    dlmath.widgets.gradient_descent_static()     # the book: no kernel needed

A new explorer (a new module in ``dlmath/explorers/``) appears here too.
"""

from __future__ import annotations

from . import activations, distributions, linear_maps, optimizers  # noqa: F401  (as before: widgets.linear_maps, ...)
from . import explorers as _explorers
from .explorers import *  # noqa: F401,F403

__all__ = list(_explorers.__all__)
