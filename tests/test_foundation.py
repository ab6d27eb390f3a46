"""The helpers every chapter relies on: data, plotting style, the setup call."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from dlmath import data, environment, plotting  # noqa: E402


def test_digits_split_shapes_range_and_stratification():
    X_train, X_test, y_train, y_test = data.load_digits_split()
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0
    # stratified: every class has about a tenth of the test set
    counts = np.bincount(y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37


def test_digits_split_is_reproducible():
    first = data.load_digits_split()
    second = data.load_digits_split()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_one_hot():
    encoded = data.one_hot(np.array([2, 0, 1]), 3)
    np.testing.assert_array_equal(encoded, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert encoded.dtype == np.float32
    with pytest.raises(ValueError, match="labels must lie in 0..1"):
        data.one_hot(np.array([0, 2]), 2)
    with pytest.raises(ValueError, match="integer labels"):
        data.one_hot(np.array([0.5]))


def test_palette_is_the_okabe_ito_set():
    assert len(set(plotting.COLOR_CYCLE)) == 8
    assert plotting.color("blue") == "#0072B2"
    with pytest.raises(KeyError, match="unknown colour 'red'"):
        plotting.color("red")


def test_heatmap_writes_each_value():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    plotting.heatmap(ax, np.arange(6).reshape(2, 3))
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["0", "1", "2", "3", "4", "5"]
    with pytest.raises(ValueError, match="2-D array"):
        plotting.heatmap(ax, np.zeros(3))
    plt.close(fig)


def test_setup_notebook_fixes_seed_precision_and_style(capsys):
    environment.setup_notebook(seed=3)
    first = np.random.rand()
    environment.setup_notebook(seed=3)
    assert np.random.rand() == first
    assert np.get_printoptions()["precision"] == environment.PRINT_PRECISION
    assert matplotlib.rcParams["figure.facecolor"] == "white"
    assert "Versions: dlmath" in capsys.readouterr().out


def test_setup_notebook_freezes_nothing_outside_a_kernel():
    import gc

    before = gc.get_freeze_count()
    environment.setup_notebook(seed=0, quiet=True)
    assert not environment.in_kernel()
    assert gc.get_freeze_count() == before   # a test run or a script keeps its collector as it was


def test_setup_notebook_takes_the_imports_out_of_full_collections_in_a_kernel():
    """In a kernel, what the setup cell imported is frozen; what the chapter creates later is not."""
    import nbformat
    from nbclient import NotebookClient

    source = [
        "import gc\nimport numpy, matplotlib.pyplot\nimport dlmath.environment\n"
        "tracked_before = len(gc.get_objects())\n"
        "dlmath.environment.setup_notebook(seed=0, quiet=True)\n"
        "print(dlmath.environment.in_kernel(), gc.get_freeze_count() >= tracked_before, len(gc.get_objects()) < tracked_before // 10)",
        "later = [[i] for i in range(50_000)]   # objects the chapter creates: the collector still sees them\n"
        "print(len(gc.get_objects()) >= 50_000)",
        "import weakref\nclass Node: pass\n"
        "node = Node(); node.self = node; alive = weakref.ref(node); del node\n"
        "gc.collect()\nprint(alive() is None)   # a cycle made after the setup is still collected",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(text) for text in source])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    printed = [cell.outputs[0]["text"].strip() for cell in nb.cells]
    assert printed == ["True True True", "True", "True"]


def test_setup_notebook_reports_tensorflow_devices(capsys):
    pytest.importorskip("tensorflow")
    environment.setup_notebook(seed=0, tensorflow=True)
    out = capsys.readouterr().out
    assert "TensorFlow sees: CPU" in out or "TensorFlow sees: CPU, GPU" in out


def test_importing_dlmath_quietens_tensorflow(monkeypatch):
    import importlib
    import os

    import dlmath

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    importlib.reload(dlmath)
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"


def test_heatmap_text_is_legible_on_a_diverging_map():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    plotting.heatmap(ax, np.array([[-1.0, 0.0, 1.0]]), cmap=plotting.DIVERGING_CMAP)
    colours = [t.get_color() for t in ax.texts]
    assert colours[1] == "black"  # the pale middle of RdBu_r gets dark text
    assert colours[0] == "white" and colours[2] == "white"  # the saturated ends get light text
    plt.close(fig)
