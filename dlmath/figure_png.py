"""Show notebook figures after one drawing instead of two.

Jupyter shows a matplotlib figure as a PNG cropped to the figure's *tight
box*: the smallest rectangle around everything drawn, plus a small pad. To
find that box, matplotlib lays the whole figure out once without painting it,
then lays it out again and paints it on a canvas of the box's size. Laying out
(tick labels, text sizes, mathematical labels) is most of the work, so every
figure is laid out twice.

:func:`tight_png` lays the figure out and paints it once, on a canvas with a
margin of one inch on every side, so that labels sticking out of the figure are
painted too. It measures the tight box from that same drawing and cuts it out
of the pixels. The picture is the one matplotlib saves, up to a shift of the
whole image by less than half a pixel, and showing a figure takes 0.73-0.80 of
the time (``bench/figures.py``, 2026-12-03; the pixels are checked in
``tests/test_figure_png.py``).

The margin comes from matplotlib's own helper for ``bbox_inches``,
``matplotlib._tight_bbox.adjust_bbox``, which is private. Whenever the
shortcut does not apply, :func:`png_formatter` returns exactly what IPython's
own formatter returns:

* the figure has a layout engine (constrained layout) that must run before
  the positions are fixed;
* something lies more than an inch outside the figure;
* the private helper is missing or behaves differently (another matplotlib).
"""

from __future__ import annotations

import base64
import inspect
import io
import math
import sys

import matplotlib as mpl
import numpy as np

#: How far outside the figure, in inches, labels may stick out and still be
#: painted in the single drawing (``bbox_inches="tight"`` keeps them).
MARGIN_INCHES = 1.0

INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def _has_layout_engine(fig) -> bool:
    """True if drawing runs a layout engine; ``fig.tight_layout()`` leaves only a placeholder that runs nothing."""
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    return engine is not None and not isinstance(engine, PlaceHolderLayoutEngine)


def draw_tight(fig):
    """Paint the figure once; return its tight box's pixels (RGBA) and that box in inches, or None.

    The box is given in the figure's inches (the figure spans 0..width, 0..height)
    and lies on whole pixels: it is matplotlib's padded tight box moved by less than
    half a pixel, with the same size in pixels as the PNG ``bbox_inches="tight"`` saves.
    Returns None when the shortcut does not apply (see the module docstring).
    """
    if _has_layout_engine(fig):
        return None
    from matplotlib import _tight_bbox
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.transforms import Bbox

    dpi = fig.dpi
    margin_px = math.ceil(MARGIN_INCHES * dpi)
    margin_in = margin_px / dpi
    width_in, height_in = fig.get_size_inches()
    canvas_box = Bbox.from_extents(-margin_in, -margin_in, width_in + margin_in, height_in + margin_in)
    renderer = RendererAgg(int(round(canvas_box.width * dpi)), int(round(canvas_box.height * dpi)), dpi)
    # Matplotlib 3.11 passes the renderer to axes locators; 3.10 (Colab's) has no such argument.
    if "renderer" in inspect.signature(_tight_bbox.adjust_bbox).parameters:
        restore = _tight_bbox.adjust_bbox(fig, canvas_box, renderer=renderer, fixed_dpi=None)
    else:
        restore = _tight_bbox.adjust_bbox(fig, canvas_box, fixed_dpi=None)
    try:
        fig.draw(renderer)
        # In the canvas's inches, from its lower-left corner; padded as savefig pads it.
        tight = fig.get_tightbbox(renderer).padded(mpl.rcParams["savefig.pad_inches"])
    finally:
        restore()
    pixels = np.asarray(renderer.buffer_rgba())
    canvas_height, canvas_width = pixels.shape[:2]
    # Matplotlib's tight canvas is int(size * dpi) pixels, the box's corner on its corner.
    width, height = int(tight.width * dpi), int(tight.height * dpi)
    left, bottom = round(tight.x0 * dpi), round(tight.y0 * dpi)
    top = canvas_height - bottom - height
    if left < 0 or bottom < 0 or left + width > canvas_width or top < 0:
        return None  # something lies beyond the margin: it was not painted
    box = Bbox.from_bounds((left - margin_px) / dpi, (bottom - margin_px) / dpi, width / dpi, height / dpi)
    return pixels[top:top + height, left:left + width], box


def tight_png(fig) -> bytes | None:
    """The figure as PNG bytes, cropped like ``bbox_inches="tight"``, from one drawing; or None."""
    drawn = draw_tight(fig)
    if drawn is None:
        return None
    from matplotlib import image

    buffer = io.BytesIO()
    image.imsave(buffer, drawn[0], format="png", dpi=fig.dpi)
    return buffer.getvalue()


def png_formatter(fig) -> str | None:
    """IPython's ``image/png`` formatter for a figure: base64 PNG, drawn once when possible."""
    if not fig.axes and not fig.lines:
        return None  # as IPython does: an empty figure shows nothing
    try:
        data = tight_png(fig)
    except Exception:  # another matplotlib: its private helper changed; use the public path
        data = None
    if data is None:
        from IPython.core.pylabtools import print_figure

        return print_figure(fig, fmt="png", base64=True)
    return base64.b64encode(data).decode("ascii")


def install() -> bool:
    """Show figures through :func:`png_formatter` in this IPython kernel; True if installed.

    Only for the inline backend with its default settings (PNG, ``bbox_inches="tight"``):
    a reader who chose SVG, retina or other ``print_figure`` options keeps them,
    and ``%matplotlib inline`` or ``%config InlineBackend...`` later restores IPython's formatter.
    """
    ipython = sys.modules.get("IPython")  # not imported: not in a kernel, nothing to do
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    if mpl.get_backend() not in (INLINE_BACKEND, "inline"):
        return False
    from matplotlib.figure import Figure
    # Importing the inline backend registers IPython's formatters (the first time only);
    # that must happen before ours replaces the PNG one.
    from matplotlib_inline.backend_inline import InlineBackend

    settings = InlineBackend.instance()
    if set(settings.figure_formats) != {"png"} or settings.print_figure_kwargs != {"bbox_inches": "tight"}:
        return False
    shell.display_formatter.formatters["image/png"].for_type(Figure, png_formatter)
    return True
