"""Offline datasets: everything the course trains on ships with scikit-learn
or is generated in code, so no notebook downloads anything at run time."""

from __future__ import annotations

import numpy as np

#: The split every chapter uses for the digits, so results compare across chapters.
DIGITS_TEST_SIZE = 0.2
DIGITS_SEED = 0


def load_digits_split(*, test_size: float = DIGITS_TEST_SIZE, seed: int = DIGITS_SEED, scale: bool = True,
                      dtype=np.float32):
    """The 8×8 handwritten digits (1,797 images, bundled with scikit-learn), split stratified.

    Returns ``X_train, X_test, y_train, y_test`` with each image flattened to 64
    pixel values. With ``scale=True`` the pixels (0–16 in the raw data) are
    divided by 16 so they lie in [0, 1], and stored as ``dtype`` (float32, as
    deep learning computes). Labels are ``int64`` digits 0–9.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = digits.data.astype(dtype)
    if scale:
        X = X / dtype(16.0)
    y = digits.target.astype(np.int64)
    return train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)


def one_hot(labels, num_classes: int | None = None, dtype=np.float32) -> np.ndarray:
    """Encode integer labels as one-hot rows: label ``k`` becomes a row with a 1 in column ``k``."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"one_hot expects a 1-D array of integer labels; got dtype {labels.dtype}, shape {labels.shape}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must lie in 0..{num_classes - 1}; got {labels.min()}..{labels.max()}")
    encoded = np.zeros((labels.size, num_classes), dtype=dtype)
    encoded[np.arange(labels.size), labels] = 1
    return encoded
