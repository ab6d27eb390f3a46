"""dlmath.figure_png: a figure drawn once must show the picture IPython's formatter shows.

The strict check: the pixels :func:`draw_tight` returns are identical, bit for
bit, to matplotlib's own ``savefig`` of the box it reports, and that box is
matplotlib's tight box moved by less than half a pixel, with the same size as
the PNG IPython shows. Kept wrong answers: a crop one pixel off, a margin too
small for a label outside the figure, a layout engine, a failing private helper.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from IPython.core.pylabtools import print_figure  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from PIL import Image  # noqa: E402

from dlmath import figure_png  # noqa: E402
from dlmath.plotting import use_style  # noqa: E402


@pytest.fixture(autouse=True)
def course_style():
    with matplotlib.rc_context():
        use_style()
        yield
    plt.close("all")


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def ipython_png(fig) -> bytes:
    """What IPython's own formatter shows (a tight box, drawn twice)."""
    return base64.b64decode(print_figure(fig, fmt="png", base64=True))


def saved_pixels(fig, box: Bbox) -> np.ndarray:
    """Matplotlib's own savefig of an explicit box, as RGBA pixels."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches=box, dpi=fig.dpi)
    return decode(buffer.getvalue())


def line_figure():
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([0, 1, 2, 3], [1, 3, 2, 4], label=r"$f(x)$")
    ax.set_yscale("log")
    ax.set_title(r"Loss $\mathcal{L}(\theta)$ against steps")
    ax.set_xlabel("step")
    ax.set_ylabel("loss, log scale")
    ax.legend()
    return fig


def tight_layout_figure():
    fig, axes = plt.subplots(1, 2, figsize=(7, 3))
    for index, ax in enumerate(axes):
        ax.imshow(np.arange(16.0).reshape(4, 4) * (index + 1))
        ax.set_title(f"panel {index}")
    fig.tight_layout()
    return fig


def label_outside_figure(x_axes: float = -0.35):
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1])
    ax.set_title("A note left of the axes")
    ax.text(x_axes, 0.5, "note", transform=ax.transAxes)
    return fig


FIGURES = {"line": line_figure, "tight_layout": tight_layout_figure, "label outside": label_outside_figure}


@pytest.mark.parametrize("name", FIGURES)
def test_one_drawing_paints_what_savefig_paints(name):
    fig = FIGURES[name]()
    shown = decode(ipython_png(fig))
    pixels, box = figure_png.draw_tight(fig)
    assert pixels.shape == shown.shape  # the same size as IPython's picture
    assert np.array_equal(pixels, saved_pixels(fig, box))  # bit for bit matplotlib's painting of that box
    # The box is matplotlib's padded tight box, moved by less than half a pixel.
    tight = fig.get_tightbbox(fig.canvas.get_renderer()).padded(matplotlib.rcParams["savefig.pad_inches"])
    assert np.all(np.abs(box.p0 - tight.p0) * fig.dpi <= 0.5)
    # A crop one pixel to the right is a different picture: the equality above can fail.
    shifted = Bbox.from_bounds(box.x0 + 1 / fig.dpi, box.y0, box.width, box.height)
    assert not np.array_equal(pixels, saved_pixels(fig, shifted))


def test_label_outside_the_figure_is_painted_not_clipped():
    fig = label_outside_figure()
    _, box = figure_png.draw_tight(fig)
    assert box.x0 < -0.3  # the note lies left of the figure, inside the box
    # The kept wrong answer: no margin. The note is then beyond the canvas, and
    # draw_tight must say so (None) instead of returning a picture without it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(figure_png, "MARGIN_INCHES", 0.0)
        assert figure_png.draw_tight(fig) is None


def test_content_beyond_the_margin_falls_back_to_ipython():
    fig = label_outside_figure(x_axes=-2.0)  # about 6 inches left of the axes
    assert figure_png.draw_tight(fig) is None
    assert base64.b64decode(figure_png.png_formatter(fig)) == ipython_png(fig)


def test_a_layout_engine_falls_back_to_ipython():
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.plot([0, 1], [1, 0])
    ax.set_title("constrained layout")
    assert figure_png.draw_tight(fig) is None
    assert base64.b64decode(figure_png.png_formatter(fig)) == ipython_png(fig)


def test_a_changed_private_helper_falls_back_to_ipython(monkeypatch):
    from matplotlib import _tight_bbox

    fig = line_figure()
    expected = ipython_png(fig)
    original, failed = _tight_bbox.adjust_bbox, []

    def changed_on_first_call(*args, **kwargs):
        # The first call is draw_tight's (it fails as a changed helper would);
        # the fallback, matplotlib's own savefig, then uses the real helper.
        if not failed:
            failed.append(True)
            raise AttributeError("adjust_bbox changed in this matplotlib")
        return original(*args, **kwargs)

    monkeypatch.setattr(_tight_bbox, "adjust_bbox", changed_on_first_call)
    assert base64.b64decode(figure_png.png_formatter(fig)) == expected
    assert failed == [True]


def test_the_figure_is_left_as_it_was():
    fig = tight_layout_figure()
    before = ipython_png(fig)
    size = fig.bbox.bounds
    figure_png.draw_tight(fig)
    assert fig.bbox.bounds == size
    assert all(ax.get_axes_locator() is None for ax in fig.axes)
    assert ipython_png(fig) == before


def test_an_empty_figure_shows_nothing():
    assert figure_png.png_formatter(plt.figure()) is None


def test_install_does_nothing_outside_a_kernel():
    assert figure_png.install() is False


def test_a_kernel_shows_figures_drawn_once_after_setup():
    """In a real kernel, setup_notebook installs the formatter and a shown figure goes through it."""
    source = [
        "import matplotlib.pyplot as plt\nimport dlmath.environment\n"
        "dlmath.environment.setup_notebook(seed=0, quiet=True)\n"
        "from matplotlib.figure import Figure\n"
        "print(get_ipython().display_formatter.formatters['image/png'].lookup_by_type(Figure).__module__)",
        "fig, ax = plt.subplots(figsize=(4, 3))\nax.plot([0, 1], [0, 1])\nax.set_title('shown')\n"
        "from IPython.core.pylabtools import print_figure\nexpected = print_figure(fig, fmt='png')",
        "from PIL import Image\nimport io\nprint(Image.open(io.BytesIO(expected)).size)",
        "%config InlineBackend.figure_formats = ['svg']\n"
        "print(get_ipython().display_formatter.formatters['image/png'].type_printers.get(Figure))",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(text) for text in source])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    assert nb.cells[0].outputs[0]["text"].strip() == "dlmath.figure_png"
    images = [output["data"]["image/png"] for output in nb.cells[1].outputs if "image/png" in output.get("data", {})]
    assert len(images) == 1
    expected_size = nb.cells[2].outputs[0]["text"].strip()
    assert str(Image.open(io.BytesIO(base64.b64decode(images[0]))).size) == expected_size
    # A reader's own choice of format wins: IPython's formatters come back.
    assert "dlmath" not in nb.cells[3].outputs[0]["text"]
