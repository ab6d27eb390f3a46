"""The shared base of the explorers: a figure drawn once and then only updated, the explorer
widget (controls beside the picture), and small helpers for controls and axis limits.

An explorer module (one per explorer, in this package) builds on three things here:

* :class:`View` — a matplotlib figure outside pyplot whose unchanged parts are cached as pixels;
  a subclass builds its artists in ``_build`` and updates them in a ``draw`` method.
* :class:`Explorer` — an ipywidgets box: the controls (each with a ``description``, its
  accessible name), a status line, and the picture, shown as an ``<img>`` whose alt text says
  in words what the picture shows for the current setting (:meth:`Explorer.alt_text`).
* the control makers :func:`dropdown`, :func:`float_slider`, :func:`log_slider`,
  :func:`int_slider`, and :func:`nice_ceiling` for axis limits that rarely move.

The kernel-free player for the book is in :mod:`dlmath.explorers.static`.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from ..plotting import PALETTE, STYLE

#: Dots per inch of the explorers' figures (the course's default).
DPI = 80
#: The static players refuse to embed more than this many MB of frames (keep chapter pages light).
EMBED_LIMIT_MB = 2.0

# The course style, with titles pinned at the top of their axes (not moved on every draw).
VIEW_STYLE = {**STYLE, "axes.titley": 1.0, "axes.titlepad": 6.0}
CONTROL_STYLE = {"description_width": "initial"}
PANEL_WIDTH = "330px"
# Contour colours: viridis without its palest yellow, which vanishes on white.
CONTOUR_CMAP = ListedColormap(mpl.colormaps["viridis"](np.linspace(0.0, 0.85, 256)), name="viridis_dark")


# ---------------------------------------------------------------------------
# Figures that are drawn once and then only updated
# ---------------------------------------------------------------------------

def encode_png(rgba: np.ndarray, colors: int = 128) -> bytes:
    """Encode an RGBA image as a palette PNG.

    A figure of lines and flat colours needs far fewer than 256 colours, and a
    palette PNG is about a third of the size of a full-colour one and quicker
    to write: it travels to the browser faster and keeps the book small. No
    dithering, so lines stay crisp, and no metadata, so the bytes are the same
    on every run.
    """
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(rgba[..., :3]))
    image = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    # The quantiser may average the white background with its anti-aliased
    # neighbours into an off-white; snap such entries back to pure white.
    palette = np.array(image.getpalette(), dtype=np.uint8).reshape(-1, 3)
    palette[np.all(palette >= 250, axis=1)] = 255
    image.putpalette(palette.ravel().tolist())
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=6)
    return buffer.getvalue()


class RunCache:
    """The last ``size`` results of a slow pure function of a hashable setting (a training run, say):
    going back to a setting the reader has seen is instant. One per explorer, so each starts empty."""

    def __init__(self, compute: Callable, size: int = 64):
        self.compute, self.size, self._results = compute, size, OrderedDict()

    def __call__(self, setting):
        if setting in self._results:
            self._results.move_to_end(setting)
            return self._results[setting]
        result = self._results[setting] = self.compute(setting)
        if len(self._results) > self.size:
            self._results.popitem(last=False)
        return result


class View:
    """A figure with its artists, outside pyplot (so a notebook never shows it twice).

    Subclasses build their artists in ``_build`` and update them in ``draw``.
    Everything happens inside the course style, whatever the notebook's own
    matplotlib settings, so every explorer looks the same everywhere.

    Why it is fast: most of a redraw is text (tick labels, legends, titles),
    and most of the text does not change when a slider moves. So the figure is
    split in two. The *background* — axes, ticks, labels, everything not listed
    in ``dynamic_artists()`` — is drawn once and cached as pixels; it is
    redrawn only after ``invalidate()`` or when the key given to
    ``set_background_key`` (what it depends on, such as the axis limits)
    changes. Each update restores those pixels and draws just the dynamic
    artists on top, in the order listed. The tests check that this always
    gives exactly the picture of a full redraw.
    """

    figsize = (6.4, 4.0)

    def __init__(self):
        with mpl.rc_context(VIEW_STYLE):
            self.figure = Figure(figsize=self.figsize, dpi=DPI, facecolor="white", layout="constrained")
            FigureCanvasAgg(self.figure)
            self._build()
        self._background = None
        self._background_key = None
        self.background_draws = 0

    def _build(self):
        raise NotImplementedError

    def dynamic_artists(self) -> list:
        """The artists that change on every update, drawn in this order over the cached background."""
        return []

    def set_background_key(self, key):
        """Note what the background depends on; a new ``key`` means it must be redrawn."""
        if key != self._background_key:
            self._background_key = key
            self._background = None

    def invalidate(self):
        """Forget the cached background (the next render draws everything)."""
        self._background = None

    def freeze_layout(self):
        """Lay the figure out once for its current content, then keep that layout.

        Matplotlib normally re-lays out a figure on every draw: constrained
        layout, and axis labels placed from the measured size of every tick
        label. The explorers' axes do not move, so we measure once and pin
        the axes and their labels.
        """
        with mpl.rc_context(VIEW_STYLE):
            self.figure.canvas.draw()
        self.figure.set_layout_engine("none")
        for ax in self.figure.axes:
            for axis, pad in ((ax.xaxis, (0.0, -4.0)), (ax.yaxis, (-4.0, 0.0))):
                label = axis.label
                display = label.get_transform().transform(label.get_position()) + np.array(pad)
                axis.set_label_coords(*ax.transAxes.inverted().transform(display))
        self.invalidate()

    def render(self) -> np.ndarray:
        """Draw the figure (cached background + dynamic artists); return its RGBA pixels."""
        canvas = self.figure.canvas
        dynamic = self.dynamic_artists()
        with mpl.rc_context(VIEW_STYLE):
            if self._background is None:
                shown = [artist.get_visible() for artist in dynamic]
                for artist in dynamic:
                    artist.set_visible(False)
                canvas.draw()
                self._background = canvas.copy_from_bbox(self.figure.bbox)
                self.background_draws += 1
                for artist, visible in zip(dynamic, shown):
                    artist.set_visible(visible)
            else:
                canvas.restore_region(self._background)
            renderer = canvas.get_renderer()
            for artist in dynamic:
                if artist.get_visible():
                    artist.draw(renderer)
        return np.asarray(canvas.buffer_rgba())

    def png(self, *, full: bool = False, colors: int = 128) -> bytes:
        """The figure as PNG bytes; ``full=True`` redraws the background too (for comparison)."""
        if full:
            self.invalidate()
        return encode_png(self.render(), colors)


# ---------------------------------------------------------------------------
# The explorer widget: controls panel + figure in an Output
# ---------------------------------------------------------------------------

class Explorer(widgets.HBox):
    """An explorer: a panel of controls (each with a ``description``) beside the figure.

    ``controls`` maps a short name to each control widget (``explorer.controls["learning_rate"]``);
    ``view`` holds the matplotlib figure and its artists; ``output`` is the
    ``Output`` widget the picture is shown in; ``status`` is a line of text
    under the controls (results, warnings, messages about bad input).

    Any control change calls :meth:`refresh`, which updates the figure's
    artists and shows the new picture. :meth:`hold` groups several changes
    into one refresh.
    """

    def __init__(self, view: View, controls: dict, *, help_text: str = ""):
        self.view = view
        self.controls = dict(controls)
        self.status = widgets.HTML(value="")
        self.output = widgets.Output()
        self.refresh_count = 0
        self.last_png = b""
        self.last_alt = ""
        self._holding = 0
        self._ready = False  # no picture until the layout is fixed
        children = list(self.controls.values())
        if help_text:
            children.insert(0, widgets.HTML(value=f"<small>{html.escape(help_text)}</small>"))
        panel = widgets.VBox(children + [self.status], layout=widgets.Layout(width=PANEL_WIDTH))
        super().__init__([panel, self.output],
                         layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"))
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()
        self.view.freeze_layout()
        self._ready = True
        self._show()

    def __repr__(self):
        # Short and the same on every run: it is the text a stored notebook shows for the widget.
        return f"<{type(self).__name__.lstrip('_')}: {len(self.controls)} controls and a figure>"

    # -- reacting to controls --
    def _on_change(self, change):
        if not self._holding:
            self.refresh()

    @contextlib.contextmanager
    def hold(self):
        """Change several controls at once and refresh once at the end."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
        if not self._holding:
            self.refresh()

    def refresh(self):
        """Recompute and redraw from the current control values (called on every change)."""
        with self._quiet():
            self._configure_controls()
        try:
            message = self._update()
        except ValueError as error:  # bad input: say so, keep the last good picture
            self._set_status(str(error), error=True)
        except Exception as error:  # a bug: say so where the learner looks, and let it propagate
            self._set_status(f"Sorry, the explorer failed: {type(error).__name__}: {error}", error=True)
            raise
        else:
            self._set_status(message or "")
        self.refresh_count += 1
        if self._ready:
            self._show()

    @contextlib.contextmanager
    def _quiet(self):
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1

    def _configure_controls(self):
        """Show only the controls that apply (e.g. momentum's β only for momentum)."""

    def _update(self) -> str:
        """Read the controls, update the artists; return a status message."""
        raise NotImplementedError

    @staticmethod
    def _visible(control, visible: bool):
        control.layout.display = None if visible else "none"

    def _set_status(self, message: str, *, error: bool = False):
        color = PALETTE["vermillion"] if error else "inherit"
        self.status.value = f'<span style="color:{color}">{html.escape(message)}</span>' if message else ""

    # -- showing the picture --
    # -- what the picture shows, in words --
    #: One sentence on what the figure draws (set by each explorer); the alt text starts with it.
    figure_text = "An explorer's figure."

    def setting_text(self) -> str:
        """The current setting in words: every visible control's name and value."""
        parts = []
        for control in self.controls.values():
            if control.layout.display == "none":
                continue
            parts.append(f"{control.description}: {describe_value(control)}")
        return "Setting: " + "; ".join(parts) + "." if parts else ""

    def alt_text(self) -> str:
        """The picture's alt text: what the figure draws, the current setting, and what it shows."""
        status = html.unescape(_strip_tags(self.status.value)).strip()
        return " ".join(part for part in (self.figure_text, self.setting_text(), status) if part)

    # -- showing the picture --
    def _show(self):
        """Put the new picture in the ``Output``, as an ``<img>`` with alt text.

        The picture is an HTML output (a PNG in a data URL), not a bare
        ``image/png``: a bare image has no place for alt text, and a screen
        reader would announce only "image". The alt text describes the
        current setting (:meth:`alt_text`).

        We set the Output's ``outputs`` directly (what ``Output.append_display_data``
        does) instead of ``with output: display(...)``. It sends one widget
        update and no display message, so the picture never lands in the
        cell's own outputs: a notebook re-run by nbval (which does not route
        display messages into Output widgets) sees exactly what the stored one
        holds, and nbclient still saves the picture in the widget state.
        """
        png = self.view.png()
        self.last_png = png
        self.last_alt = self.alt_text()
        source = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        markup = (f'<img src="{source}" alt="{html.escape(self.last_alt, quote=True)}" '
                  'style="max-width:100%;height:auto;background:#ffffff">')
        self.output.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"text/html": markup, "text/plain": "<explorer figure>"}},)


def _strip_tags(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", markup)


def describe_value(control) -> str:
    """A control's value as a reader would say it: the menu label, the slider's number, yes or no."""
    if isinstance(control, widgets.Checkbox):
        return "on" if control.value else "off"
    label = getattr(control, "label", None)  # menus and selection sliders: the shown label
    if isinstance(label, str):
        return label
    value = control.value
    if isinstance(value, tuple):
        return "from " + " to ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def shown_picture(explorer) -> tuple[bytes, str]:
    """The PNG and the alt text the explorer's ``Output`` shows now (for tests and checks)."""
    (output,) = explorer.output.outputs
    markup = output["data"]["text/html"]
    source = re.search(r'src="data:image/png;base64,([^"]+)"', markup).group(1)
    alt = html.unescape(re.search(r'alt="([^"]*)"', markup).group(1))
    return base64.b64decode(source), alt


def controls_of(widget) -> list:
    """Every control (a widget with a ``value`` and a ``description``) inside ``widget``, in display order."""
    found = []
    if isinstance(widget, widgets.ValueWidget) and getattr(widget, "description", ""):
        found.append(widget)
    for child in getattr(widget, "children", ()):
        found.extend(controls_of(child))
    return found


def dropdown(options, value, description):
    """A menu whose ``description`` is its label (and its accessible name)."""
    return widgets.Dropdown(options=options, value=value, description=description, style=CONTROL_STYLE)


def float_slider(value, low, high, step, description, fmt=".2f"):
    """A slider of floats, updating while it is dragged."""
    return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                               readout_format=fmt, continuous_update=True, style=CONTROL_STYLE)


def log_slider(value, low_exponent, high_exponent, description, step=0.02):
    """A slider on a log scale (base 10) between ``10**low_exponent`` and ``10**high_exponent``."""
    return widgets.FloatLogSlider(value=value, base=10, min=low_exponent, max=high_exponent, step=step,
                                  description=description, readout_format=".3g", style=CONTROL_STYLE)


def int_slider(value, low, high, description):
    """A slider of integers."""
    return widgets.IntSlider(value=value, min=low, max=high, description=description, style=CONTROL_STYLE)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is at least ``value``.

    Axis limits that snap to these values change only now and then as the
    data move, so the axes (and the cached background) stay put.
    """
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10.0 * power  # pragma: no cover - the loop always returns


# ---------------------------------------------------------------------------
# What a module of this package declares
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ExplorerInfo:
    """What an explorer module declares as ``EXPLORER``, so the package, the tests and the
    benchmark find it without being edited.

    ``live`` and ``static`` are the two public factories; ``bench_plan`` lists
    ``(control, values)`` that the benchmark moves in turn, as a learner dragging a slider
    would; ``test_plan`` lists ``(settings, control, values)``: the tests apply the settings,
    then set each value and check that the picture changes (``tests/test_widgets.py``).
    """

    name: str
    live: Callable
    static: Callable
    chapter: str
    bench_plan: list
    test_plan: list = field(default_factory=list)
