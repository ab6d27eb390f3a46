"""The one call every chapter's setup cell makes after its imports.

It fixes the seeds, the print precision and the plotting style, so that every
output in the book is reproducible and reads the same on any machine, and it
says which versions and devices the notebook runs on (Colab may hand you a GPU).
"""

from __future__ import annotations

import random
import sys

import numpy as np

from . import __version__
from . import figure_png
from .plotting import use_style

#: Print precision for arrays: enough digits to teach, few enough that the last
#: printed digit does not depend on the CPU or the BLAS library.
PRINT_PRECISION = 4


def in_colab() -> bool:
    """True inside Google Colab (its runtime always imports ``google.colab``)."""
    return "google.colab" in sys.modules


def setup_notebook(seed: int = 0, *, tensorflow: bool = False, quiet: bool = False) -> None:
    """Seed every random generator, set print options and the figure style.

    In a Jupyter kernel it also shows figures after one drawing instead of two
    (:mod:`dlmath.figure_png`): the same pictures, sooner.

    With ``tensorflow=True`` it also seeds TensorFlow and Keras, asks TensorFlow
    for deterministic kernels (the same numbers on every run), and reports which
    devices TensorFlow sees. Call it once, right after the imports.
    """
    random.seed(seed)
    np.random.seed(seed)  # only for libraries that still use the legacy global generator
    np.set_printoptions(precision=PRINT_PRECISION, suppress=True, linewidth=100)
    use_style()
    figure_png.install()
    versions = [f"dlmath {__version__}", f"NumPy {np.__version__}"]
    if tensorflow:
        import tensorflow as tf

        tf.keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
        devices = sorted({device.device_type for device in tf.config.list_physical_devices()})
        versions.append(f"TensorFlow {tf.__version__}")
    if not quiet:
        print("Versions:", ", ".join(versions))
        if tensorflow:
            print("TensorFlow sees:", ", ".join(devices))
