"""The course's explorers: pictures that move when you move a slider.

Four explorers, each in two renditions:

* ``gradient_descent_explorer()``, ``distribution_explorer()``,
  ``linear_map_explorer()``, ``activation_explorer()`` return an ipywidgets
  widget for a live notebook (JupyterLab or Colab): a panel of controls, each
  with a clear ``description``, next to the figure in an ``Output``. Only core
  widgets are used (no front-end extension), so they work with ipywidgets 7
  (Colab) and 8 (JupyterLab).
* ``gradient_descent_static()``, ``distribution_static()``,
  ``linear_map_static()``, ``activation_static()`` return a self-contained
  HTML/JavaScript player (pre-computed frames, a slider, play and step
  buttons) for the online book, where no Python runs. It loads nothing from
  the network and is the same on every run.

The maths lives elsewhere, in plain functions tested without widgets
(:mod:`dlmath.optimizers`, :mod:`dlmath.distributions`,
:mod:`dlmath.linear_maps`, :mod:`dlmath.activations`). Here we only draw.

Why the explorers feel instant: each figure is built once; a control change
recomputes the maths and updates the existing artists (``set_data`` and
friends). The layout is computed once, and the parts of the figure that did
not change (axes, ticks, contours, legends) are kept as cached pixels, so a
redraw paints only what moved (see :class:`_View`). The picture is a small
palette PNG. ``bench/widgets.py`` measures the time from a control change to
a new picture.

Usage in a chapter::

    dlmath.widgets.gradient_descent_explorer()   # live: JupyterLab, Colab
    dlmath.widgets.gradient_descent_static()     # the book: no kernel needed
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import io
import json
import math

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Polygon

from . import activations, distributions, linear_maps, optimizers
from .plotting import PALETTE, STYLE, label_axes

__all__ = [
    "Explorer", "StaticExplorer", "gradient_descent_explorer", "distribution_explorer", "linear_map_explorer",
    "activation_explorer", "gradient_descent_static", "distribution_static", "linear_map_static",
    "activation_static", "controls_of",
]

#: Dots per inch of the explorers' figures (the course's default).
DPI = 80
#: The static players refuse to embed more than this many MB of frames (keep chapter pages light).
EMBED_LIMIT_MB = 2.0

# The course style, with titles pinned at the top of their axes (not moved on every draw).
_VIEW_STYLE = {**STYLE, "axes.titley": 1.0, "axes.titlepad": 6.0}
_CONTROL_STYLE = {"description_width": "initial"}
_PANEL_WIDTH = "330px"
# Contour colours: viridis without its palest yellow, which vanishes on white.
_CONTOUR_CMAP = ListedColormap(mpl.colormaps["viridis"](np.linspace(0.0, 0.85, 256)), name="viridis_dark")


# ---------------------------------------------------------------------------
# Figures that are drawn once and then only updated
# ---------------------------------------------------------------------------

def _encode_png(rgba: np.ndarray, colors: int = 128) -> bytes:
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


class _View:
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
        with mpl.rc_context(_VIEW_STYLE):
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
        with mpl.rc_context(_VIEW_STYLE):
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
        with mpl.rc_context(_VIEW_STYLE):
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
        return _encode_png(self.render(), colors)


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

    def __init__(self, view: _View, controls: dict, *, help_text: str = ""):
        self.view = view
        self.controls = dict(controls)
        self.status = widgets.HTML(value="")
        self.output = widgets.Output()
        self.refresh_count = 0
        self.last_png = b""
        self._holding = 0
        self._ready = False  # no picture until the layout is fixed
        children = list(self.controls.values())
        if help_text:
            children.insert(0, widgets.HTML(value=f"<small>{html.escape(help_text)}</small>"))
        panel = widgets.VBox(children + [self.status], layout=widgets.Layout(width=_PANEL_WIDTH))
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
    def _show(self):
        """Put the new picture in the ``Output``.

        We set the Output's ``outputs`` directly (what ``Output.append_display_data``
        does) instead of ``with output: display(...)``. It sends one widget
        update and no display message, so the picture never lands in the
        cell's own outputs: a notebook re-run by nbval (which does not route
        display messages into Output widgets) sees exactly what the stored one
        holds, and nbclient still saves the picture in the widget state.
        """
        png = self.view.png()
        self.last_png = png
        self.output.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"image/png": base64.b64encode(png).decode("ascii"),
                                         "text/plain": "<explorer figure>"}},)


def controls_of(widget) -> list:
    """Every control (a widget with a ``value`` and a ``description``) inside ``widget``, in display order."""
    found = []
    if isinstance(widget, widgets.ValueWidget) and getattr(widget, "description", ""):
        found.append(widget)
    for child in getattr(widget, "children", ()):
        found.extend(controls_of(child))
    return found


def _dropdown(options, value, description):
    return widgets.Dropdown(options=options, value=value, description=description, style=_CONTROL_STYLE)


def _slider(value, low, high, step, description, fmt=".2f"):
    return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                               readout_format=fmt, continuous_update=True, style=_CONTROL_STYLE)


def _log_slider(value, low_exponent, high_exponent, description, step=0.02):
    return widgets.FloatLogSlider(value=value, base=10, min=low_exponent, max=high_exponent, step=step,
                                  description=description, readout_format=".3g", style=_CONTROL_STYLE)


def _int_slider(value, low, high, description):
    return widgets.IntSlider(value=value, min=low, max=high, description=description, style=_CONTROL_STYLE)


def _nice_ceiling(value: float) -> float:
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
# 1. Gradient descent
# ---------------------------------------------------------------------------

_OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "momentum", "adam": "Adam"}


class _GradientDescentView(_View):
    """Left: the loss surface (contours, or the curve in 1-D) with the path. Right: loss per step."""

    figsize = (9.0, 3.7)

    def _build(self):
        self.ax_surface, self.ax_loss = self.figure.subplots(1, 2, width_ratios=[1.25, 1])
        ax = self.ax_surface
        self.contours = {}  # surface name -> ContourSet, drawn once and then shown or hidden
        self.curve, = ax.plot([], [], color=PALETTE["black"], lw=1.5, zorder=1.5, label="loss $\mathcal{L}(w)$")
        self.minima_marker, = ax.plot([], [], "*", color=PALETTE["green"], ms=14, mec="white", zorder=1.8,
                                      label="minimum")
        self.path_line, = ax.plot([], [], "-o", color=PALETTE["vermillion"], lw=1.3, ms=3.5, label="path")
        self.start_marker, = ax.plot([], [], "s", color=PALETTE["black"], ms=7, label="start")
        self.legend = None
        self.loss_line, = self.ax_loss.plot([], [], "-o", color=PALETTE["blue"], lw=1.5, ms=3)
        label_axes(self.ax_loss, "loss per step", "step $t$", "loss $\mathcal{L}(w_t)$")
        self.message = self.ax_loss.text(0.97, 0.95, "", transform=self.ax_loss.transAxes, ha="right", va="top",
                                         color=PALETTE["vermillion"], fontweight="bold", fontsize=10)
        self.surface = None

    def dynamic_artists(self):
        # Only the path and the loss curve with its labels; the axes, contours
        # and legend stay in the cached background while their limits hold.
        return [self.path_line, self.start_marker, self.loss_line, self.message, self.ax_loss.title]

    def show_surface(self, surface: optimizers.Surface):
        """Switch the left panel to ``surface`` (contours are computed once per surface, then cached)."""
        if self.surface is not None and self.surface.name == surface.name:
            return
        self.surface = surface
        self.invalidate()
        ax = self.ax_surface
        for contour in self.contours.values():
            contour.set_visible(False)
        if surface.dim == 2:
            x0, x1, y0, y1 = surface.extent
            if surface.name not in self.contours:
                X, Y = np.meshgrid(np.linspace(x0, x1, 160), np.linspace(y0, y1, 160))
                Z = surface.loss(np.stack([X, Y], axis=-1))
                # Levels at quantiles of the loss: evenly spread lines on any surface.
                levels = np.unique(np.quantile(Z, np.linspace(0.01, 0.97, 16)))
                self.contours[surface.name] = ax.contour(X, Y, Z, levels=levels, cmap=_CONTOUR_CMAP,
                                                         linewidths=1.0, zorder=1)
            self.contours[surface.name].set_visible(True)
            self.curve.set_data([], [])
            ax.set_xlim(x0, x1)
            ax.set_ylim(y0, y1)
            ax.set_xlabel("$w_1$")
            ax.set_ylabel("$w_2$")
            minima = np.array(surface.minima, dtype=float).reshape(-1, 2)
            self.minima_marker.set_data(minima[:, 0], minima[:, 1])
        else:
            x0, x1 = surface.extent
            grid = np.linspace(x0, x1, 300)
            values = surface.loss(grid[:, None])
            self.curve.set_data(grid, values)
            margin = 0.08 * (values.max() - values.min())
            ax.set_xlim(x0, x1)
            ax.set_ylim(values.min() - margin, values.max() + margin)
            ax.set_xlabel("$w$")
            ax.set_ylabel("loss $\mathcal{L}(w)$")
            minima = np.array(surface.minima, dtype=float).reshape(-1)
            self.minima_marker.set_data(minima, surface.loss(minima[:, None]))
        ax.set_title(surface.formula, fontsize=11)
        self._fit_loss_axes(surface)
        if self.legend is not None:
            self.legend.remove()
        handles = ([self.curve] if surface.dim == 1 else []) + [self.path_line, self.start_marker, self.minima_marker]
        self.legend = ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.85, frameon=True)

    def _fit_loss_axes(self, surface):
        """Fixed loss axes for each surface, so runs with different settings compare at a glance.

        A loss that is never negative gets a log scale from 1e-10 to a decade
        above its largest value in the window: linear convergence is then a
        straight line. Otherwise (the saddle, the double well) a linear scale
        spanning the losses in the window. A diverging run leaves the top.
        """
        ax = self.ax_loss
        if surface.dim == 2:
            x0, x1, y0, y1 = surface.extent
            X, Y = np.meshgrid(np.linspace(x0, x1, 60), np.linspace(y0, y1, 60))
            values = surface.loss(np.stack([X, Y], axis=-1))
        else:
            values = surface.loss(np.linspace(*surface.extent, 200)[:, None])
        low, high = float(values.min()), float(values.max())
        if low >= 0:
            ax.set_yscale("log")
            # Decades only: minor ticks cost a lot of drawing and teach little here.
            ax.yaxis.set_major_locator(mpl.ticker.LogLocator(numticks=7))
            ax.yaxis.set_minor_locator(mpl.ticker.NullLocator())
            ax.set_ylim(1e-10, 10.0 ** (math.ceil(math.log10(high)) + 1))
        else:
            ax.set_yscale("linear")
            pad = 0.1 * (high - low)
            ax.set_ylim(low - pad, high + pad)

    def draw(self, surface, optimizer="sgd", learning_rate=0.1, steps=30, start=None, **hyperparameters):
        """Run :func:`dlmath.optimizers.descent_path` and draw it; returns the result."""
        surface = optimizers.get_surface(surface)
        result = optimizers.descent_path(surface, optimizer, learning_rate, steps, start, **hyperparameters)
        self.show_surface(surface)
        path, losses = result.path, result.losses
        with np.errstate(over="ignore", invalid="ignore"):
            if surface.dim == 2:
                self.path_line.set_data(path[:, 0], path[:, 1])
                self.start_marker.set_data(path[:1, 0], path[:1, 1])
            else:
                self.path_line.set_data(path[:, 0], losses)
                self.start_marker.set_data(path[:1, 0], losses[:1])
            finite = losses[np.isfinite(losses)]
            ax = self.ax_loss
            self.loss_line.set_data(np.arange(len(finite)), finite)
            # The step axis snaps to round numbers, so dragging "steps" rarely moves it.
            ax.set_xlim(-0.5, _nice_ceiling(max(steps, 1)) + 0.5)
        self.set_background_key((surface.name, ax.get_xlim()))
        label = _OPTIMIZER_LABELS[result.optimizer]
        ax.set_title(f"loss per step: {label}, η = {learning_rate:.3g}", fontsize=11)
        if result.diverged:
            self.message.set_text(f"diverged at step {result.steps_taken}")
        elif losses[-1] > losses[0]:
            self.message.set_text("the loss went up: step too large?")
        else:
            self.message.set_text("")
        return result


class _GradientDescentExplorer(Explorer):
    def __init__(self, surface="valley", optimizer="sgd", learning_rate=0.15, steps=40):
        surfaces = [(label, name) for name, (label, _) in optimizers.SURFACES.items()]
        first = optimizers.get_surface(surface)
        controls = {
            "surface": _dropdown(surfaces, first.name, "loss surface"),
            "optimizer": _dropdown([("SGD", "sgd"), ("momentum", "momentum"), ("Adam", "adam")], optimizer,
                                   "optimizer"),
            "learning_rate": _log_slider(learning_rate, -3, 0.5, "learning rate η"),
            "steps": _int_slider(steps, 1, 200, "steps"),
            "start_w1": _slider(first.start[0], -3, 3, 0.05, "start w₁"),
            "start_w2": _slider(first.start[1] if first.dim == 2 else 0.0, -3, 3, 0.05, "start w₂"),
            "momentum": _slider(0.9, 0.0, 0.99, 0.01, "momentum β"),
            "beta1": _slider(0.9, 0.0, 0.99, 0.01, "Adam β₁"),
            "beta2": _slider(0.999, 0.5, 0.999, 0.001, "Adam β₂", fmt=".3f"),
            "noise": _slider(0.0, 0.0, 3.0, 0.05, "gradient noise σ"),
        }
        self._fit_start_sliders(controls, first)
        super().__init__(_GradientDescentView(), controls,
                         help_text="Pick a surface and an optimizer; move the learning rate and the start point.")

    @staticmethod
    def _fit_start_sliders(controls, surface):
        """Give the start sliders the surface's window, and put them at its start point."""
        extent = surface.extent if surface.dim == 2 else surface.extent + (-3.0, 3.0)
        start = surface.start if surface.dim == 2 else surface.start + (0.0,)
        for key, low, high, value in (("start_w1", extent[0], extent[1], start[0]),
                                      ("start_w2", extent[2], extent[3], start[1])):
            slider = controls[key]
            slider.min, slider.max = min(slider.min, low), max(slider.max, high)  # never min > max on the way
            slider.value = value
            slider.min, slider.max = low, high

    def _on_change(self, change):
        # A new surface moves the start point at once, so that a start set right after it (in a hold) sticks.
        if change["owner"] is self.controls["surface"]:
            with self._quiet():
                self._fit_start_sliders(self.controls, optimizers.get_surface(change["new"]))
        super()._on_change(change)

    def _configure_controls(self):
        c = self.controls
        surface = optimizers.get_surface(c["surface"].value)
        optimizer = c["optimizer"].value
        self._visible(c["start_w2"], surface.dim == 2)
        self._visible(c["momentum"], optimizer == "momentum")
        self._visible(c["beta1"], optimizer == "adam")
        self._visible(c["beta2"], optimizer == "adam")

    def _hyperparameters(self) -> dict:
        c = self.controls
        optimizer = c["optimizer"].value
        settings = {"noise": c["noise"].value}
        if optimizer == "momentum":
            settings["momentum"] = c["momentum"].value
        elif optimizer == "adam":
            settings.update(beta1=c["beta1"].value, beta2=c["beta2"].value)
        return settings

    def _update(self):
        c = self.controls
        surface = optimizers.get_surface(c["surface"].value)
        start = (c["start_w1"].value, c["start_w2"].value)[: surface.dim]
        result = self.view.draw(surface, c["optimizer"].value, c["learning_rate"].value, c["steps"].value,
                                start, **self._hyperparameters())
        self.result = result
        end = ", ".join(f"{v:.3g}" for v in result.path[-1])
        if result.diverged:
            return (f"Diverged after {result.steps_taken} steps: the learning rate is too large "
                    "for this surface's curvature.")
        return f"After {result.steps_taken} steps: w = ({end}), loss {result.losses[-1]:.4g}."


def gradient_descent_explorer(surface: str = "valley", optimizer: str = "sgd", learning_rate: float = 0.15,
                              steps: int = 40) -> Explorer:
    """Gradient descent on a loss surface, live: watch the path and the loss per step.

    Controls: the loss surface (round bowl, elongated valley, banana, saddle,
    and two 1-D functions), the optimizer (SGD, momentum, Adam) with its
    hyperparameters, the learning rate (log scale), the number of steps, the
    start point, and optional gradient noise (stochastic gradients). The
    figure shows the path over the contours (or along the curve in 1-D) and
    the loss per step, and says when the run diverges — try the valley with
    learning rates just below and just above 2/10.
    """
    return _GradientDescentExplorer(surface, optimizer, learning_rate, steps)


# ---------------------------------------------------------------------------
# 2. Distributions and the central limit theorem
# ---------------------------------------------------------------------------

def _describe(dist: distributions.Distribution) -> str:
    if isinstance(dist, distributions.Gaussian):
        return f"Gaussian(μ={dist.mu:.2g}, σ={dist.sigma:.2g})"
    if isinstance(dist, distributions.Uniform):
        return f"uniform on [{dist.low:.2g}, {dist.high:.2g}]"
    if isinstance(dist, distributions.Exponential):
        return f"exponential(λ={dist.rate:.2g})"
    if isinstance(dist, distributions.Bernoulli):
        return f"Bernoulli(p={dist.p:.2g})"
    if isinstance(dist, distributions.Binomial):
        return f"binomial(n={dist.trials}, p={dist.p:.2g})"
    return f"categorical(K={dist.probabilities.size})"


class _DistributionView(_View):
    """One axes: a histogram of samples (or of sample means) against the exact pdf/pmf (or CLT Gaussian)."""

    figsize = (7.6, 3.8)
    bins = 40

    def _build(self):
        ax = self.ax = self.figure.subplots()
        self.histogram = ax.stairs([0.0], [0.0, 1.0], fill=True, color=PALETTE["sky"], alpha=0.55,
                                   label="histogram of samples")
        self.stems = LineCollection([], colors=PALETTE["blue"], linewidths=2.2)
        ax.add_collection(self.stems)
        self.curve, = ax.plot([], [], color=PALETTE["blue"], lw=2.2, label="exact pdf")
        self.heads, = ax.plot([], [], "o", color=PALETTE["blue"], ms=6, label="exact pmf")
        self.text = ax.text(0.985, 0.96, "", transform=ax.transAxes, ha="right", va="top", family="monospace",
                            fontsize=8.5, bbox={"facecolor": "white", "edgecolor": "0.8", "alpha": 0.9})
        self.legend = None

    def dynamic_artists(self):
        # The legend and the axes stay in the cached background; the numbers are in the title and text box.
        return [self.histogram, self.stems, self.curve, self.heads, self.text, self.ax.title]

    def _finish(self, low, high, heights, exact, xlabel, ylabel, title, handles):
        # The height is set by the exact curve (stable as samples change), unless the histogram needs more.
        top = _nice_ceiling(1.45 * float(np.max(exact)))
        if 1.1 * float(np.max(heights)) > top:
            top = _nice_ceiling(1.1 * float(np.max(heights)))
        self.ax.set_xlim(low, high)
        self.ax.set_ylim(0, top)
        self.ax.set_title(title)
        key = (self.ax.get_xlim(), self.ax.get_ylim(), xlabel, ylabel, tuple(h.get_label() for h in handles))
        if key != self._background_key:
            self.ax.set_xlabel(xlabel)
            self.ax.set_ylabel(ylabel)
            if self.legend is not None:
                self.legend.remove()
            self.legend = self.ax.legend(handles=handles, loc="upper left", fontsize=8.5)
            self.set_background_key(key)

    @staticmethod
    def _window(low, high):
        """Widen ``[low, high]`` to round numbers, so that nudging a parameter rarely moves the axes."""
        step = _nice_ceiling((high - low) / 4) / 2
        return step * math.floor(low / step + 1e-9), step * math.ceil(high / step - 1e-9)

    def draw_samples(self, dist: distributions.Distribution, size: int, seed: int = 0):
        """Histogram of ``size`` samples against the exact pdf/pmf; returns the samples."""
        samples = dist.sample(size, seed)
        low, high = dist.plot_range
        if dist.discrete:
            support = dist.support
            counts = np.bincount(samples, minlength=support.size)[: support.size]
            edges = np.arange(support.size + 1) - 0.5
            heights = counts / size
            exact = dist.pmf(support)
            self.stems.set_segments([[(k, 0.0), (k, p)] for k, p in zip(support, exact)])
            self.heads.set_data(support, exact)
            self.curve.set_data([], [])
            self.histogram.set_label("share of the samples")
            handles, ylabel = [self.histogram, self.heads], "probability"
        else:
            low, high = self._window(low, high)
            edges = np.linspace(low, high, self.bins + 1)
            counts, _ = np.histogram(samples, bins=edges)
            heights = counts / (size * np.diff(edges))  # a density: area = share of all samples
            grid = np.linspace(low, high, 400)
            exact = dist.pdf(grid)
            self.curve.set_data(grid, exact)
            self.curve.set_label("exact pdf")
            self.stems.set_segments([])
            self.heads.set_data([], [])
            self.histogram.set_label("histogram of the samples")
            handles, ylabel = [self.histogram, self.curve], "density"
        self.histogram.set_data(heights, edges)
        self._finish(low, high, heights, exact, "$x$", ylabel, f"{_describe(dist)}: {size} samples", handles)
        mean, var = float(np.mean(samples)), float(np.var(samples))
        self.text.set_text(f"           sample   exact\nmean     {mean:8.4f} {dist.mean:8.4f}\n"
                           f"variance {var:8.4f} {dist.variance:8.4f}")
        return samples

    def draw_means(self, dist: distributions.Distribution, n: int, repetitions: int = 1000, seed: int = 0):
        """Histogram of ``repetitions`` means of ``n`` draws against the CLT Gaussian :math:`N(\\mu, \\sigma^2/n)`."""
        if dist.variance == 0:
            raise ValueError("this distribution has zero variance (every draw is the same), "
                             "so its sample means have no Gaussian limit: move p away from 0 and 1")
        means = distributions.sample_means(dist, n, repetitions, seed)
        gaussian = distributions.clt_gaussian(dist, n)
        spread = gaussian.sigma
        low = min(gaussian.mu - 4 * spread, float(np.quantile(means, 0.002)))
        high = max(gaussian.mu + 4 * spread, float(np.quantile(means, 0.998)))
        snap = _nice_ceiling(spread) / 2  # round the window outwards, so a new seed rarely moves it
        low, high = snap * math.floor(low / snap), snap * math.ceil(high / snap)
        if dist.discrete:
            # The mean of n integers is a multiple of 1/n: bins centred on those values.
            lattice = 1.0 / n
            width = lattice * max(1, math.ceil((high - low) / (self.bins * lattice)))
            start = (math.floor(low / lattice) - 0.5) * lattice
            edges = start + width * np.arange(int((high - start) / width) + 2)
        else:
            edges = np.linspace(low, high, self.bins + 1)
        counts, _ = np.histogram(means, bins=edges)
        heights = counts / (repetitions * np.diff(edges))
        grid = np.linspace(low, high, 400)
        exact = gaussian.pdf(grid)
        self.histogram.set_data(heights, edges)
        self.histogram.set_label("histogram of the sample means")
        self.curve.set_data(grid, exact)
        self.curve.set_label("CLT: $\\mathcal{N}(\\mu, \\sigma^2/n)$")
        self.stems.set_segments([])
        self.heads.set_data([], [])
        self._finish(low, high, heights, exact, "sample mean $\\bar{x}$", "density",
                     f"{repetitions} means of n = {n} draws from {_describe(dist)}", [self.histogram, self.curve])
        self.text.set_text(f"            means    CLT\nmean     {np.mean(means):8.4f} {gaussian.mu:8.4f}\n"
                           f"variance {np.var(means):8.4f} {gaussian.variance:8.4f}")
        return means


class _DistributionExplorer(Explorer):
    def __init__(self, distribution="gaussian", mode="samples"):
        controls = {
            "distribution": _dropdown([("Gaussian", "gaussian"), ("uniform", "uniform"), ("Bernoulli", "bernoulli"),
                                       ("binomial", "binomial"), ("categorical", "categorical"),
                                       ("exponential", "exponential")], distribution, "distribution"),
            "mode": _dropdown([("samples vs exact pdf/pmf", "samples"),
                               ("sample means (central limit theorem)", "means")], mode, "show"),
            "mean": _slider(0.0, -3.0, 3.0, 0.1, "mean μ"),
            "std": _slider(1.0, 0.2, 3.0, 0.05, "standard deviation σ"),
            "interval": widgets.FloatRangeSlider(value=(0.0, 1.0), min=-3.0, max=3.0, step=0.1,
                                                 description="interval [a, b]", style=_CONTROL_STYLE),
            "p": _slider(0.3, 0.01, 0.99, 0.01, "success probability p"),
            "trials": _int_slider(10, 1, 50, "trials n"),
            "categories": _int_slider(5, 2, 10, "categories K"),
            "ratio": _slider(0.6, 0.2, 1.5, 0.05, "ratio p(k+1)/p(k)"),
            "rate": _slider(1.0, 0.2, 5.0, 0.1, "rate λ"),
            "sample_size": widgets.SelectionSlider(options=[10, 30, 100, 300, 1000, 3000, 10000, 100000],
                                                   value=1000, description="sample size", style=_CONTROL_STYLE),
            "draws_per_mean": widgets.SelectionSlider(options=[1, 2, 3, 5, 10, 20, 30, 50, 100, 300], value=5,
                                                      description="draws per mean n", style=_CONTROL_STYLE),
            "repetitions": widgets.SelectionSlider(options=[100, 300, 1000, 2000], value=1000,
                                                   description="number of means", style=_CONTROL_STYLE),
            "seed": widgets.BoundedIntText(value=0, min=0, max=10**6, description="random seed",
                                           style=_CONTROL_STYLE, layout=widgets.Layout(width="200px")),
        }
        super().__init__(_DistributionView(), controls,
                         help_text="Draw samples and compare them with the exact distribution; "
                                   "switch to sample means to watch the central limit theorem.")

    _PARAMETERS = {"gaussian": ("mean", "std"), "uniform": ("interval",), "bernoulli": ("p",),
                   "binomial": ("trials", "p"), "categorical": ("categories", "ratio"), "exponential": ("rate",)}

    def _configure_controls(self):
        c = self.controls
        wanted = self._PARAMETERS[c["distribution"].value]
        for name in ("mean", "std", "interval", "p", "trials", "categories", "ratio", "rate"):
            self._visible(c[name], name in wanted)
        means = c["mode"].value == "means"
        self._visible(c["sample_size"], not means)
        self._visible(c["draws_per_mean"], means)
        self._visible(c["repetitions"], means)

    def distribution(self) -> distributions.Distribution:
        """The distribution the controls describe (raises ValueError with a clear message if invalid)."""
        c = self.controls
        name = c["distribution"].value
        if name == "gaussian":
            return distributions.Gaussian(c["mean"].value, c["std"].value)
        if name == "uniform":
            low, high = c["interval"].value
            return distributions.Uniform(low, high)
        if name == "bernoulli":
            return distributions.Bernoulli(c["p"].value)
        if name == "binomial":
            return distributions.Binomial(c["trials"].value, c["p"].value)
        if name == "categorical":
            return distributions.Categorical.geometric(c["categories"].value, c["ratio"].value)
        return distributions.Exponential(c["rate"].value)

    def _update(self):
        c = self.controls
        dist = self.distribution()
        seed = int(c["seed"].value)
        if c["mode"].value == "samples":
            samples = self.view.draw_samples(dist, c["sample_size"].value, seed)
            return (f"Sample mean {np.mean(samples):.4f} (exact {dist.mean:.4f}), "
                    f"sample variance {np.var(samples):.4f} (exact {dist.variance:.4f}).")
        n = c["draws_per_mean"].value
        means = self.view.draw_means(dist, n, c["repetitions"].value, seed)
        return (f"The means of n = {n} draws spread with variance {np.var(means):.4f}; "
                f"σ²/n = {dist.variance / n:.4f}.")


def distribution_explorer(distribution: str = "gaussian", mode: str = "samples") -> Explorer:
    """Samples against the exact distribution, and the central limit theorem, live.

    Controls: the distribution (Gaussian, uniform, Bernoulli, binomial,
    categorical, exponential) and its parameters, the sample size and the
    random seed. In "samples" mode a histogram of the samples is drawn against
    the exact pdf or pmf, with the sample mean and variance beside the exact
    ones. In "sample means" mode it draws many samples of n draws and
    histograms their means against :math:`\\mathcal N(\\mu, \\sigma^2/n)`: even
    the skewed exponential gives a bell curve as n grows.
    """
    return _DistributionExplorer(distribution, mode)


# ---------------------------------------------------------------------------
# 3. Linear maps
# ---------------------------------------------------------------------------

class _LinearMapView(_View):
    """The plane before (grey) and after (colour) a 2×2 matrix: grid, unit square, circle, eigenvectors."""

    figsize = (7.0, 4.4)
    limit = 3.2

    def _build(self):
        ax = self.ax = self.figure.subplots()
        ax.set_aspect("equal")
        ax.set_xlim(-self.limit, self.limit)
        ax.set_ylim(-self.limit, self.limit)
        ax.add_collection(LineCollection(linear_maps.grid_lines(1.0, 5), colors="0.75", linewidths=0.8, zorder=1))
        circle = linear_maps.unit_circle()
        ax.plot(circle[:, 0], circle[:, 1], color="0.6", lw=1, ls="--", zorder=1)
        self.grid = LineCollection([], colors=PALETTE["blue"], linewidths=1.0, alpha=0.7, zorder=2,
                                   label="image of the grid")
        ax.add_collection(self.grid)
        self.square = Polygon(np.zeros((4, 2)), closed=True, facecolor=PALETTE["sky"], alpha=0.35, zorder=2,
                              edgecolor="none", label="image of the unit square\n(area |det A|)")
        ax.add_patch(self.square)
        self.circle, = ax.plot([], [], color=PALETTE["orange"], lw=2.2, zorder=3, label="image of the unit circle")
        self.eigen_lines = [ax.plot([], [], ls=(0, (5, 3)), lw=1.6, color=PALETTE["purple"], zorder=4,
                                    label="real eigenvectors")[0] for _ in range(2)]
        self.eigen_labels = [ax.text(0, 0, "", color=PALETTE["purple"], fontsize=9, ha="center", va="center",
                                     zorder=6, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8,
                                                     "pad": 1.0}) for _ in range(2)]
        self.columns = []
        for color_name, name in (("vermillion", "$Ae_1$ (column 1)"), ("green", "$Ae_2$ (column 2)")):
            arrow = FancyArrowPatch((0, 0), (1, 0), arrowstyle="-|>", mutation_scale=14, lw=2.2, zorder=5,
                                    color=PALETTE[color_name], shrinkA=0, shrinkB=0, label=name)
            ax.add_patch(arrow)
            self.columns.append(arrow)
        self.note = ax.text(0.02, 0.02, "", transform=ax.transAxes, fontsize=9, color=PALETTE["purple"], zorder=6)
        ax.legend(handles=[self.grid, self.square, self.circle, *self.columns, self.eigen_lines[0]],
                  loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8.5, borderaxespad=0.0)
        label_axes(ax, "", "$x_1$", "$x_2$")

    def dynamic_artists(self):
        return [self.grid, self.square, self.circle, *self.eigen_lines, *self.columns, *self.eigen_labels,
                self.note, self.ax.title]

    def draw(self, matrix):
        """Show the map ``matrix``; returns ``(determinant, real_eigenvectors)``."""
        A = linear_maps.as_matrix(matrix)
        self.grid.set_segments(linear_maps.transform_grid(A, 1.0, 5))
        self.square.set_xy(linear_maps.apply(A, [[0, 0], [1, 0], [1, 1], [0, 1]]))
        ellipse = linear_maps.transform_circle(A)
        self.circle.set_data(ellipse[:, 0], ellipse[:, 1])
        for arrow, column in zip(self.columns, A.T):
            arrow.set_positions((0.0, 0.0), tuple(column))
        det = linear_maps.determinant(A)
        pairs = linear_maps.real_eigenvectors(A)
        for k, (line, label) in enumerate(zip(self.eigen_lines, self.eigen_labels)):
            if k < len(pairs):
                value, vector = pairs[k]
                ends = np.outer([-2 * self.limit, 2 * self.limit], vector)
                line.set_data(ends[:, 0], ends[:, 1])
                label.set_position(0.8 * self.limit * vector * (1 if k == 0 else -1))
                label.set_text(f"$\\lambda$ = {value:.2f}")
            else:
                line.set_data([], [])
                label.set_text("")
        self.note.set_text("" if pairs else "no real eigenvector:\ncomplex eigenvalues")
        (a, b), (c, d) = A
        self.ax.set_title(f"A = [[{a:.2f}, {b:.2f}], [{c:.2f}, {d:.2f}]],  det A = {det:.2f}", fontsize=10)
        return det, pairs


class _LinearMapExplorer(Explorer):
    def __init__(self, preset="shear (k = 1)"):
        A = linear_maps.PRESETS[preset]
        names = {"a11": "a₁₁ (row 1, column 1)", "a12": "a₁₂ (row 1, column 2)",
                 "a21": "a₂₁ (row 2, column 1)", "a22": "a₂₂ (row 2, column 2)"}
        controls = {"preset": _dropdown(list(linear_maps.PRESETS) + ["custom"], preset, "matrix")}
        for (key, description), value in zip(names.items(), A.ravel()):
            controls[key] = _slider(float(value), -2.5, 2.5, 0.05, description)
        self._matrix_keys = tuple(names)
        super().__init__(_LinearMapView(), controls,
                         help_text="Choose a matrix or set its entries; the columns are where e₁ and e₂ land.")

    def _on_change(self, change):
        if self._holding:
            return
        c = self.controls
        if change["owner"] is c["preset"]:
            if change["new"] != "custom":
                with self._quiet():
                    for key, value in zip(self._matrix_keys, linear_maps.PRESETS[change["new"]].ravel()):
                        c[key].value = float(value)
        elif c["preset"].value != "custom":
            with self._quiet():
                c["preset"].value = "custom"
        self.refresh()

    def matrix(self) -> np.ndarray:
        """The matrix the sliders describe."""
        return np.array([self.controls[k].value for k in self._matrix_keys], dtype=float).reshape(2, 2)

    def _update(self):
        det, pairs = self.view.draw(self.matrix())
        area = f"areas are multiplied by |det A| = {abs(det):.2f}" + (" and the plane flips over" if det < 0 else "")
        if not pairs:
            return f"det A = {det:.2f}: {area}. Complex eigenvalues: no direction keeps its line."
        values = ", ".join(f"{value:.2f}" for value, _ in pairs)
        return f"det A = {det:.2f}: {area}. Real eigenvalue(s): {values}."


def linear_map_explorer(preset: str = "shear (k = 1)") -> Explorer:
    """A 2×2 matrix warping the plane, live: the grid, the unit square and circle, and the eigenvectors.

    Controls: a menu of named matrices (identity, stretch, shear, rotation,
    reflection, projection, a symmetric matrix) and one slider per entry. The
    figure shows the images of the grid, of the unit square (its area is
    :math:`|\\det A|`) and of the unit circle (an ellipse), the columns
    :math:`Ae_1, Ae_2`, and the real eigenvectors with their eigenvalues.
    """
    return _LinearMapExplorer(preset)


# ---------------------------------------------------------------------------
# 4. Activations
# ---------------------------------------------------------------------------

_ACTIVATION_LABELS = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "sigmoid": "sigmoid", "tanh": "tanh",
                      "softmax": "softmax"}
#: The example logits the right-hand panel applies the activation to.
EXAMPLE_LOGITS = np.array([2.0, 1.0, 0.2, -0.6, -1.6])


class _ActivationView(_View):
    """Left: the activation and its derivative. Right: the activation applied to a vector of logits."""

    figsize = (9.0, 3.6)
    #: Fixed vertical ranges, so that moving a slider moves the curve, not the axes.
    curve_limits = {"relu": (-0.6, 5.3), "leaky_relu": (-2.8, 5.3), "sigmoid": (-0.1, 1.1), "tanh": (-1.15, 1.15)}

    def _build(self):
        self.ax_curve, self.ax_bars = self.figure.subplots(1, 2)
        self.x = np.linspace(-5, 5, 401)
        self.ax_curve.axhline(0, color="0.5", lw=0.8)
        self.ax_curve.axvline(0, color="0.5", lw=0.8)
        self.function_line, = self.ax_curve.plot([], [], color=PALETTE["blue"], lw=2.2, label="$f(x)$")
        self.derivative_line, = self.ax_curve.plot([], [], color=PALETTE["orange"], lw=2, ls="--",
                                                   label="$f'(x)$")
        self.curve_legend = None
        self.ax_curve.set_xlim(-5, 5)
        positions = np.arange(EXAMPLE_LOGITS.size)
        self.ax_bars.axhline(0, color="0.5", lw=0.8)
        self.bars = self.ax_bars.bar(positions, np.zeros_like(EXAMPLE_LOGITS), width=0.6, color=PALETTE["green"],
                                     label="output $f(z_i)$")
        self.inputs, = self.ax_bars.plot(positions, EXAMPLE_LOGITS, "D", color=PALETTE["black"], ms=6,
                                         label="input $z_i$")
        self.ax_bars.set_xticks(positions, [f"$z_{i + 1}$" for i in positions])
        self.ax_bars.set_xlabel("component")
        self.bar_legend = None

    def dynamic_artists(self):
        return [self.function_line, self.derivative_line, *self.bars.patches, self.inputs,
                self.ax_curve.title, self.ax_bars.title]

    def draw(self, activation="relu", *, slope=0.1, temperature=1.0, derivative=True):
        """Draw ``activation`` (a name in :data:`dlmath.activations.ACTIVATIONS`, or ``"softmax"``)."""
        x = self.x
        if activation == "softmax":
            # The two-class slice softmax([x, 0]/T)_1 = sigmoid(x/T): temperature stretches the curve.
            t = float(temperature)
            y = activations.softmax(np.stack([x, np.zeros_like(x)], axis=-1), t)[:, 0]
            dy = activations.sigmoid_derivative(x / t) / t
            outputs = activations.softmax(EXAMPLE_LOGITS, t)
            curve_title = f"softmax$([x, 0]/T)_1$, T = {t:.3g}"
            bar_title = f"softmax$(z/T)$, T = {t:.3g}: sum = {outputs.sum():.2f}"
            # The derivative peaks at 1/(4T): raise the top only when it would not fit.
            top = _nice_ceiling(1.08 * 0.25 / t) if derivative and 0.25 / t > 1.0 else 1.1
            curve_limits, bar_limits, bar_label = (-0.1, top), (0.0, 1.05), "probability"
        else:
            if activation not in activations.ACTIVATIONS:
                raise ValueError(f"unknown activation {activation!r}; choose one of "
                                 f"{sorted(activations.ACTIVATIONS) + ['softmax']}")
            function, slope_of = activations.ACTIVATIONS[activation]
            kwargs = {"slope": slope} if activation == "leaky_relu" else {}
            y, dy = function(x, **kwargs), slope_of(x, **kwargs)
            outputs = function(EXAMPLE_LOGITS, **kwargs)
            curve_title = _ACTIVATION_LABELS[activation]
            if activation == "leaky_relu":
                curve_title += f" (α = {slope:.2f})"
            bar_title = f"{_ACTIVATION_LABELS[activation]} applied to each $z_i$"
            curve_limits, bar_limits, bar_label = self.curve_limits[activation], (-2.0, 2.5), "output $f(z_i)$"
        softmax = activation == "softmax"
        self.function_line.set_data(x, y)
        self.derivative_line.set_data(x, dy)
        self.derivative_line.set_visible(bool(derivative))
        self.inputs.set_visible(not softmax)
        for bar, height in zip(self.bars, outputs):
            bar.set_y(min(0.0, float(height)))
            bar.set_height(abs(float(height)))
        self.ax_curve.set_title(curve_title)
        self.ax_bars.set_title(bar_title)
        key = (softmax, bool(derivative), curve_limits)
        if key != self._background_key:  # the axes themselves change: limits, labels, legend
            self.ax_curve.set_ylim(*curve_limits)
            self.ax_curve.set_xlabel("$x$")
            self.ax_curve.set_ylabel("$f(x)$ and $f'(x)$" if derivative else "$f(x)$")
            self.ax_bars.set_ylim(*bar_limits)
            self.ax_bars.set_ylabel(bar_label)
            self.bars.set_label(bar_label)
            if self.curve_legend is not None:
                self.curve_legend.remove()
                self.bar_legend.remove()
            self.curve_legend = self.ax_curve.legend(
                handles=[self.function_line] + ([self.derivative_line] if derivative else []),
                loc="upper left", fontsize=9)
            handles = [self.bars] + ([] if softmax else [self.inputs])
            self.bar_legend = self.ax_bars.legend(handles=handles, loc="upper right", fontsize=8.5)
            self.set_background_key(key)
        return outputs


class _ActivationExplorer(Explorer):
    def __init__(self, activation="relu"):
        options = [(label, name) for name, label in _ACTIVATION_LABELS.items()]
        controls = {
            "activation": _dropdown(options, activation, "activation"),
            "slope": _slider(0.1, 0.0, 0.5, 0.01, "leaky slope α"),
            "temperature": _log_slider(1.0, -1.3, 1.3, "temperature T"),
            "derivative": widgets.Checkbox(value=True, description="show the derivative f′(x)", indent=False),
        }
        super().__init__(_ActivationView(), controls,
                         help_text="Each activation with its derivative; softmax turns logits into "
                                   "probabilities, sharper at low temperature.")

    def _configure_controls(self):
        c = self.controls
        self._visible(c["slope"], c["activation"].value == "leaky_relu")
        self._visible(c["temperature"], c["activation"].value == "softmax")

    def _update(self):
        c = self.controls
        outputs = self.view.draw(c["activation"].value, slope=c["slope"].value, temperature=c["temperature"].value,
                                 derivative=c["derivative"].value)
        shown = ", ".join(f"{v:.3f}" for v in outputs)
        return f"Outputs for z = {EXAMPLE_LOGITS.tolist()}: [{shown}]."


def activation_explorer(activation: str = "relu") -> Explorer:
    """Activation functions and their derivatives, live, and softmax with a temperature.

    Controls: the activation (ReLU, leaky ReLU, sigmoid, tanh, softmax), leaky
    ReLU's slope, softmax's temperature :math:`T` (log scale), and whether to
    draw the derivative. Left: :math:`f(x)` and :math:`f'(x)` (for softmax, the
    two-class slice :math:`\\operatorname{softmax}([x, 0]/T)_1 = \\sigma(x/T)`).
    Right: the activation applied to a fixed vector of logits :math:`z`.
    """
    return _ActivationExplorer(activation)


# ---------------------------------------------------------------------------
# Kernel-free renditions for the static book
# ---------------------------------------------------------------------------

# matplotlib's own player (``FuncAnimation.to_jshtml``) loads its button icons
# from a CDN and names its elements with random ids, so the book would not be
# self-contained, nor the same from run to run. The player below is small: the
# frames are palette PNGs in a JavaScript array, a range slider picks one, and
# three buttons step and play. Without JavaScript (an untrusted notebook) the
# first frame still shows.
_PLAYER = """<div data-player="{uid}" class="dlmath-player" style="background:#ffffff;color:#1a1a1a;color-scheme:light;\
display:inline-block;max-width:100%;padding:8px 10px;border:1px solid #d0d0d0;border-radius:6px;\
font-family:sans-serif">
<p style="margin:0 0 6px 0;font-size:0.95em;color:#1a1a1a">{caption}</p>
<img src="{first}" alt="{alt}" style="display:block;max-width:100%;height:auto;background:#ffffff">
<div style="display:flex;align-items:center;gap:6px;margin-top:6px;flex-wrap:wrap">
<button type="button" data-role="prev" title="previous frame" aria-label="previous frame" \
style="{button}">&#9664;&#xFE0E;</button>
<button type="button" data-role="play" title="play" aria-label="play" style="{button}">&#9654;&#xFE0E; play</button>
<button type="button" data-role="next" title="next frame" aria-label="next frame" \
style="{button}">&#9654;&#xFE0E;</button>
<input type="range" min="0" max="{last}" step="1" value="0" aria-label="frame" style="flex:1;min-width:160px">
<span data-role="label" style="font-size:0.85em;min-width:4em;text-align:right">1 / {count}</span>
</div>
<div data-role="caption" aria-live="polite" style="margin-top:4px;font-size:0.9em;color:#1a1a1a">{first_caption}</div>
<script>
(function () {{
  // The first player with this id not yet started is ours (a page may show the same player twice).
  var roots = document.querySelectorAll("div[data-player='{uid}']");
  var root = null;
  for (var k = 0; k < roots.length && !root; k++) {{
    if (!roots[k].getAttribute("data-ready")) {{ root = roots[k]; }}
  }}
  if (!root) {{ return; }}
  root.setAttribute("data-ready", "1");
  var frames = {frames};
  var captions = {captions};
  var image = root.querySelector("img");
  var slider = root.querySelector("input[type=range]");
  var play = root.querySelector("[data-role=play]");
  var label = root.querySelector("[data-role=label]");
  var caption = root.querySelector("[data-role=caption]");
  var timer = null;
  function show(i) {{
    i = (i + frames.length) % frames.length;
    image.src = frames[i];
    slider.value = i;
    label.textContent = (i + 1) + " / " + frames.length;
    caption.textContent = captions[i];
  }}
  function stop() {{
    if (timer) {{ clearInterval(timer); timer = null; }}
    play.innerHTML = "&#9654;&#xFE0E; play";
    play.setAttribute("aria-label", "play");
  }}
  slider.addEventListener("input", function () {{ stop(); show(parseInt(slider.value, 10)); }});
  root.querySelector("[data-role=prev]").addEventListener("click", function () {{
    stop(); show(parseInt(slider.value, 10) - 1); }});
  root.querySelector("[data-role=next]").addEventListener("click", function () {{
    stop(); show(parseInt(slider.value, 10) + 1); }});
  play.addEventListener("click", function () {{
    if (timer) {{ stop(); return; }}
    play.innerHTML = "&#10074;&#10074; pause";
    play.setAttribute("aria-label", "pause");
    timer = setInterval(function () {{ show(parseInt(slider.value, 10) + 1); }}, {interval});
  }});
}})();
</script>
</div>"""
_BUTTON_STYLE = ("background:#f2f2f2;color:#1a1a1a;border:1px solid #b0b0b0;border-radius:4px;"
                 "padding:2px 8px;font-size:0.9em;cursor:pointer")


class StaticExplorer:
    """A pre-rendered explorer: its frames embedded in HTML, with a slider and play buttons.

    Displays itself in a notebook and in the book (``_repr_html_``); ``html``
    is the markup, ``captions`` says what each frame shows. Nothing in it
    refers to the network, and the same call gives the same bytes on every run.
    """

    def __init__(self, markup: str, captions: list, alt: str):
        self.html = markup
        self.captions = list(captions)
        self.frames = len(self.captions)
        self.alt = alt

    def _repr_html_(self):
        return self.html

    def __repr__(self):
        return f"<StaticExplorer: {self.frames} frames, {len(self.html) / 1e6:.2f} MB>"


def _json_for_script(value) -> str:
    """JSON that is safe inside a <script> element (no "</" that could close it)."""
    return json.dumps(value, ensure_ascii=True).replace("</", "<\\/")


def _static(view: _View, states: list, draw, *, alt: str, caption: str, interval_ms: int = 1200,
            colors: int = 64) -> StaticExplorer:
    """Render ``draw(state)`` for each state into the frames of a self-contained HTML player.

    ``draw`` updates the view for one state and returns that frame's caption.
    The frames are drawn exactly as the live explorer draws them.
    """
    if not states:
        raise ValueError("a static explorer needs at least one frame")
    draw(states[0])
    view.freeze_layout()
    frames, captions = [], []
    for state in states:
        captions.append(str(draw(state)))
        frames.append("data:image/png;base64," + base64.b64encode(view.png(colors=colors)).decode("ascii"))
    size_mb = sum(len(f) for f in frames) / 1e6
    if size_mb > EMBED_LIMIT_MB:
        raise ValueError(f"the {len(frames)} frames take {size_mb:.1f} MB, more than the {EMBED_LIMIT_MB} MB "
                         "a page should carry; ask for fewer frames")
    # An id from the content: the same on every run.
    uid = "dlmath-" + hashlib.sha256("".join(frames + captions).encode()).hexdigest()[:16]
    markup = _PLAYER.format(uid=uid, caption=html.escape(caption), first=frames[0], alt=html.escape(alt),
                            button=_BUTTON_STYLE, last=len(frames) - 1, count=len(frames),
                            first_caption=html.escape(captions[0]), frames=_json_for_script(frames),
                            captions=_json_for_script(captions), interval=int(interval_ms))
    return StaticExplorer(markup, captions, alt)


def _describe_run(result: optimizers.DescentPath, curvature) -> str:
    label = _OPTIMIZER_LABELS[result.optimizer]
    settings = result.hyperparameters
    extra = ""
    if result.optimizer == "momentum":
        extra = f", β = {settings['momentum']:g}"
    elif result.optimizer == "adam":
        extra = f", β₁ = {settings['beta1']:g}, β₂ = {settings['beta2']:g}"
    text = f"{label}, learning rate η = {result.learning_rate:g}{extra}: "
    if result.optimizer == "sgd" and curvature:
        side = "below" if result.learning_rate < 2 / curvature else "above"
        text += f"η is {side} 2/L = {2 / curvature:g}, so "
    if result.diverged:
        return text + f"the run diverges (stopped after {result.steps_taken} steps)."
    if result.losses[-1] > result.losses[0]:
        return text + f"the loss grows, from {result.losses[0]:.3g} to {result.losses[-1]:.3g}."
    return (text + f"the loss falls from {result.losses[0]:.3g} to {result.losses[-1]:.3g} "
            f"in {result.steps_taken} steps.")


def gradient_descent_static(surface: str = "valley", settings=None, steps: int = 40) -> StaticExplorer:
    """Gradient descent for several learning rates and optimizers, as a kernel-free player.

    Each frame is one complete run; the slider moves through ``settings``, a
    list of ``(optimizer, learning_rate, hyperparameters)``. The default, on
    the elongated valley (largest curvature L = 10, so plain gradient descent
    is stable only for :math:`\\eta < 2/L = 0.2`), goes from a timid step
    through zig-zags to divergence, then shows momentum and Adam.
    """
    surface = optimizers.get_surface(surface)
    if settings is None:
        settings = [("sgd", lr, {}) for lr in (0.02, 0.05, 0.1, 0.15, 0.19, 0.21)]
        settings += [("momentum", 0.02, {"momentum": 0.9}), ("momentum", 0.05, {"momentum": 0.7}),
                     ("adam", 0.1, {}), ("adam", 0.3, {})]
    view = _GradientDescentView()

    def draw(setting):
        optimizer, learning_rate, hyperparameters = setting
        result = view.draw(surface, optimizer, learning_rate, steps, **hyperparameters)
        return _describe_run(result, surface.curvature)

    return _static(view, list(settings), draw,
                   alt=f"Gradient descent on the {surface.name} surface: each frame shows the path over the "
                       "contours and the loss per step for one optimizer and learning rate.",
                   caption="Gradient descent: move the slider, or press play, to step through "
                           "learning rates and optimizers.")


def distribution_static(size: int = 1000, clt_n=(1, 2, 5, 10, 30, 100)) -> StaticExplorer:
    """The six distributions with samples against their exact pdf/pmf, then the CLT, as a kernel-free player.

    The first frames show ``size`` samples from each distribution; the last
    ones show means of n draws from the (skewed) exponential distribution for
    each n in ``clt_n``, turning into a Gaussian. Seeded: the same every run.
    """
    examples = [distributions.Gaussian(0.0, 1.0), distributions.Uniform(-1.0, 2.0), distributions.Bernoulli(0.3),
                distributions.Binomial(10, 0.3), distributions.Categorical.geometric(5, 0.6),
                distributions.Exponential(1.0)]
    states = [("samples", dist, size) for dist in examples]
    states += [("means", distributions.Exponential(1.0), n) for n in clt_n]
    view = _DistributionView()

    def draw(state):
        mode, dist, n = state
        if mode == "samples":
            samples = view.draw_samples(dist, n, seed=0)
            return (f"{_describe(dist)}, {n} samples: sample mean {np.mean(samples):.3f} "
                    f"(exact {dist.mean:.3f}), sample variance {np.var(samples):.3f} (exact {dist.variance:.3f}).")
        means = view.draw_means(dist, n, repetitions=1000, seed=0)
        return (f"Means of n = {n} draws from {_describe(dist)}: their variance is {np.var(means):.4f}, "
                f"close to σ²/n = {dist.variance / n:.4f}, and their histogram looks more Gaussian as n grows.")

    return _static(view, states, draw,
                   alt="Histograms of samples against the exact pdf or pmf of six distributions, then "
                       "histograms of means of n exponential draws approaching a Gaussian as n grows.",
                   caption="Distributions, then the central limit theorem: move the slider, or press play.")


def linear_map_static(steps_between: int = 3) -> StaticExplorer:
    """A family of linear maps, morphing one into the next, as a kernel-free player.

    It moves from the identity through a stretch, a shear, a rotation, a
    reflection (the determinant passes through 0 and changes sign on the way)
    and a projection, with ``steps_between`` frames from each map to the next.
    """
    keys = ["identity", "stretch (2, 0.5)", "shear (k = 1)", "rotation 30°", "reflection (y = x)",
            "projection onto x-axis"]
    matrices = [linear_maps.PRESETS[k] for k in keys]
    states = [(keys[0], matrices[0])]
    for (start, end), name in zip(zip(matrices, matrices[1:]), keys[1:]):
        fractions = np.linspace(0, 1, int(steps_between) + 1)[1:]
        states += [(name if t == 1 else f"on the way to {name}", linear_maps.interpolate(start, end, t))
                   for t in fractions]
    view = _LinearMapView()

    def draw(state):
        name, matrix = state
        det, pairs = view.draw(matrix)
        eigen = (", ".join(f"λ = {value:.2f}" for value, _ in pairs) if pairs
                 else "complex eigenvalues, no real eigenvector")
        return f"{name}: det A = {det:.2f} ({eigen})."

    return _static(view, states, draw,
                   alt="A grid, the unit square and the unit circle transformed by a sequence of 2-by-2 matrices, "
                       "with the determinant and the real eigenvectors of each.",
                   caption="Linear maps: move the slider to morph the identity into a stretch, a shear, "
                           "a rotation, a reflection and a projection.")


def activation_static(temperatures=(0.25, 0.5, 1.0, 2.0, 4.0)) -> StaticExplorer:
    """Each activation with its derivative, then softmax at several temperatures, as a kernel-free player."""
    states = [("relu", {}), ("leaky_relu", {"slope": 0.1}), ("sigmoid", {}), ("tanh", {})]
    states += [("softmax", {"temperature": t}) for t in temperatures]
    view = _ActivationView()

    def draw(state):
        name, options = state
        outputs = view.draw(name, **options)
        shown = "[" + ", ".join(f"{v:.2f}" for v in outputs) + "]"
        if name == "softmax":
            return (f"softmax at temperature T = {options['temperature']:g}: probabilities {shown}; "
                    "a lower T sharpens them, a higher T flattens them.")
        return f"{_ACTIVATION_LABELS[name]} and its derivative; applied to z it gives {shown}."

    return _static(view, states, draw,
                   alt="ReLU, leaky ReLU, sigmoid and tanh with their derivatives and their outputs on a vector, "
                       "then softmax probabilities of the same vector at increasing temperatures.",
                   caption="Activations, then softmax with temperature: move the slider, or press play.")
