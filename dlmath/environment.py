"""The one call every chapter's setup cell makes after its imports.

It fixes the seeds, the print precision and the plotting style, so that every
output in the book is reproducible and reads the same on any machine, and it
says which versions and devices the notebook runs on (Colab may hand you a GPU).
"""

from __future__ import annotations

import gc
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


def in_kernel() -> bool:
    """True inside an IPython kernel (Jupyter, Colab), False in a script or a test run."""
    ipython = sys.modules.get("IPython")  # not imported: certainly not a kernel
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def freeze_imports() -> int:
    """Hide every object alive now from Python's cyclic garbage collector; return how many.

    After the setup cell's imports a kernel holds over 400,000 objects
    (TensorFlow alone creates most of them), and they live as long as the kernel.
    Python's full collections still walk all of them, each time: about 0.1 s per
    pass, several passes per chapter, and one more when the kernel exits.
    :func:`gc.freeze` moves them to a permanent generation that collections skip,
    so a full pass looks only at what the chapter itself creates
    (``bench/collector.py`` measures the difference). Reference counting still
    frees objects as before, and cycles made later are still collected; results
    are the same, except that a float sum may round differently in its last digit,
    as it can whenever arrays land elsewhere in memory (and a long training run can
    carry such a digit into a slightly different curve). The price: a reference
    cycle that is already garbage at this moment is never collected.
    """
    gc.freeze()
    return gc.get_freeze_count()


def setup_notebook(seed: int = 0, *, tensorflow: bool = False, quiet: bool = False) -> None:
    """Seed every random generator, set print options and the figure style.

    In a Jupyter kernel it also shows figures after one drawing instead of two
    (:mod:`dlmath.figure_png`): the same pictures, sooner; and it takes the
    imported libraries out of the garbage collector's full passes
    (:func:`freeze_imports`), which would otherwise revisit them again and again.

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
    if in_kernel():
        freeze_imports()   # last, so that it covers everything the setup created
    if not quiet:
        print("Versions:", ", ".join(versions))
        if tensorflow:
            print("TensorFlow sees:", ", ".join(devices))
