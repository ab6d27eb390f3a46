"""Explorer (chapter 1): the shapes of tensors under indexing, reshaping and broadcasting.

Pick an operation and the shapes; the figure draws each shape as a row of boxes,
one per axis, and the resulting shape, or, when NumPy would refuse, the error and
the axis that causes it.

* **Broadcasting** ``a + b`` lines the shapes up from the right; a missing axis counts as
  length 1. Two lengths are compatible when they are equal or one of them is 1, and the
  result takes the larger: :math:`n_k = \\max(a_k, b_k)`.
* **Reshaping** ``a.reshape(new)`` keeps the number of elements, :math:`\\prod_k a_k =
  \\prod_k n_k`; one length may be ``-1``, which is then computed.
* **Indexing** ``a[i, j, ...]``: an integer removes its axis, a slice ``start:stop:step``
  keeps it with the length of ``range(start, stop, step)`` clipped to the axis, ``None``
  inserts an axis of length 1, and ``...`` stands for all the axes not named.

The maths is the pure functions at the top (:func:`parse_shape`, :func:`broadcast`,
:func:`reshape`, :func:`index`), which give the same shapes and refusals as NumPy
(the tests compare them), without widgets. The rest draws.

Live: :func:`shapes_explorer`; in the book: :func:`shapes_static`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ipywidgets as widgets
from matplotlib.patches import Rectangle

from ..plotting import PALETTE
from .base import CONTROL_STYLE, Explorer, ExplorerInfo, View, dropdown
from .static import StaticExplorer, render_static

__all__ = ["shapes_explorer", "shapes_static"]

#: Explorer limits: axes per shape and length per axis (a picture of boxes stays legible).
MAX_AXES = 6
MAX_LENGTH = 10_000


# ---------------------------------------------------------------------------
# The maths: plain functions on tuples
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ShapeResult:
    """The outcome of one operation on shapes.

    ``shape`` is the result (``None`` when NumPy refuses); ``error`` says why it
    refuses; ``rows`` are the shapes to draw, aligned as the rule aligns them
    (``None`` for a padded axis); ``roles`` says, for each axis of the result,
    what happened to it (for the colours of the figure); ``bad_axis`` is the
    result axis at fault, counted from the right for broadcasting.
    """

    operation: str
    shape: tuple | None
    error: str = ""
    rows: tuple = ()
    roles: tuple = ()
    bad_axis: int | None = None

    @property
    def ok(self) -> bool:
        return self.shape is not None


def parse_shape(text: str, *, allow_minus_one: bool = False) -> tuple:
    """``"4, 3"`` or ``"(4, 3)"`` -> ``(4, 3)``; ``""`` or ``"()"`` -> ``()`` (a scalar).

    Raises ``ValueError`` with a message for a learner on anything else.
    """
    cleaned = str(text).strip().strip("()[]").strip()
    if not cleaned:
        return ()
    parts = [part.strip() for part in cleaned.split(",")]
    if parts[-1] == "":
        parts = parts[:-1]
    shape = []
    for part in parts:
        try:
            length = int(part)
        except ValueError:
            raise ValueError(f"{part!r} is not a whole number: write a shape as lengths separated by "
                             "commas, like 4, 3") from None
        if length < 0 and not (allow_minus_one and length == -1):
            raise ValueError(f"an axis cannot have length {length}" +
                             (" (only -1, 'work it out', is allowed)" if allow_minus_one else ""))
        if length > MAX_LENGTH:
            raise ValueError(f"keep lengths at most {MAX_LENGTH} here")
        shape.append(length)
    if len(shape) > MAX_AXES:
        raise ValueError(f"this explorer draws at most {MAX_AXES} axes, not {len(shape)}")
    return tuple(shape)


def broadcast(a: tuple, b: tuple) -> ShapeResult:
    """The shape of ``a + b`` for arrays of shapes ``a`` and ``b``, or why NumPy refuses."""
    a, b = tuple(a), tuple(b)
    width = max(len(a), len(b))
    padded_a = (None,) * (width - len(a)) + a
    padded_b = (None,) * (width - len(b)) + b
    shape, roles = [], []
    for k, (m, n) in enumerate(zip(padded_a, padded_b)):
        m1, n1 = 1 if m is None else m, 1 if n is None else n
        if m1 != n1 and 1 not in (m1, n1):
            from_right = width - k
            return ShapeResult("broadcast", None,
                               f"operands could not be broadcast together with shapes {a} and {b}: "
                               f"axis {-from_right} has lengths {m1} and {n1}, neither equal nor 1",
                               (padded_a, padded_b), tuple(roles), k)
        shape.append(max(m1, n1) if 0 not in (m1, n1) else 0)
        roles.append("same" if m1 == n1 else "stretched")
    return ShapeResult("broadcast", tuple(shape), "", (padded_a, padded_b), tuple(roles))


def reshape(a: tuple, new: tuple) -> ShapeResult:
    """The shape of ``x.reshape(new)`` for an array ``x`` of shape ``a`` (one ``-1`` allowed), or why not."""
    a, new = tuple(a), tuple(new)
    size = math.prod(a)
    unknown = [k for k, n in enumerate(new) if n == -1]
    if len(unknown) > 1:
        return ShapeResult("reshape", None, "can only specify one unknown dimension (-1)", (a, new))
    known = math.prod(n for n in new if n != -1)
    if unknown:
        if known == 0 or size % known:
            return ShapeResult("reshape", None,
                               f"cannot reshape array of size {size} into shape {new}: {size} is not a "
                               f"multiple of {known}", (a, new), bad_axis=unknown[0])
        shape = tuple(size // known if n == -1 else n for n in new)
    else:
        if known != size:
            return ShapeResult("reshape", None,
                               f"cannot reshape array of size {size} into shape {new}: it has "
                               f"{known} elements, not {size}", (a, new))
        shape = new
    roles = tuple("computed" if k in unknown else "same" for k in range(len(shape)))
    return ShapeResult("reshape", shape, "", (a, shape), roles)


def parse_index(text: str) -> tuple:
    """``":, 0"`` -> ``(slice(None), 0)``; understands integers, ``start:stop:step``, ``None`` and ``...``."""
    cleaned = str(text).strip().strip("[]").strip()
    if not cleaned:
        return ()
    items = []
    for part in (p.strip() for p in cleaned.split(",")):
        if part in ("...", "Ellipsis"):
            items.append(Ellipsis)
        elif part in ("None", "np.newaxis"):
            items.append(None)
        elif ":" in part:
            pieces = part.split(":")
            if len(pieces) > 3:
                raise ValueError(f"{part!r} is not a slice: use start:stop or start:stop:step")
            try:
                numbers = [int(p) if p.strip() else None for p in pieces]
            except ValueError:
                raise ValueError(f"{part!r} is not a slice of whole numbers") from None
            if len(numbers) == 3 and numbers[2] == 0:
                raise ValueError("slice step cannot be zero")
            items.append(slice(*numbers))
        else:
            try:
                items.append(int(part))
            except ValueError:
                raise ValueError(f"{part!r} is not an index: use whole numbers, slices like 1:3, None or ...") \
                    from None
    return tuple(items)


def index(a: tuple, items: tuple) -> ShapeResult:
    """The shape of ``x[items]`` for an array ``x`` of shape ``a`` (basic indexing), or why NumPy refuses."""
    a, items = tuple(a), tuple(items)
    if sum(item is Ellipsis for item in items) > 1:
        return ShapeResult("index", None, "an index can only have a single ellipsis ('...')", (a,))
    named = sum(item is not None and item is not Ellipsis for item in items)
    if named > len(a):
        return ShapeResult("index", None, f"too many indices for array: array is {len(a)}-dimensional, "
                                          f"but {named} were indexed", (a,))
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + (slice(None),) * (len(a) - named) + items[at + 1:]
    else:
        items = items + (slice(None),) * (len(a) - named)
    shape, roles, axis = [], [], 0
    for item in items:
        if item is None:
            shape.append(1)
            roles.append("new")
            continue
        length = a[axis]
        if isinstance(item, slice):
            shape.append(len(range(*item.indices(length))))
            roles.append("same" if shape[-1] == length else "sliced")
        elif not -length <= item < length:
            return ShapeResult("index", None, f"index {item} is out of bounds for axis {axis} with size {length}",
                               (a,), tuple(roles), axis)
        axis += 1
    return ShapeResult("index", tuple(shape), "", (a, tuple(shape)), tuple(roles))


def compute(operation: str, a_text: str, b_text: str = "", reshape_text: str = "", index_text: str = "") \
        -> ShapeResult:
    """Parse the explorer's texts and apply ``operation`` (``"broadcast"``, ``"reshape"`` or ``"index"``)."""
    a = parse_shape(a_text)
    if operation == "broadcast":
        return broadcast(a, parse_shape(b_text))
    if operation == "reshape":
        return reshape(a, parse_shape(reshape_text, allow_minus_one=True))
    if operation == "index":
        return index(a, parse_index(index_text))
    raise ValueError(f"unknown operation {operation!r}; choose broadcast, reshape or index")


def _format_index(items: tuple) -> str:
    def one(item):
        if item is Ellipsis:
            return "..."
        if isinstance(item, slice):
            text = ":".join("" if v is None else str(v) for v in (item.start, item.stop))
            return text + (f":{item.step}" if item.step is not None else "")
        return str(item)
    return "[" + ", ".join(one(item) for item in items) + "]"


# ---------------------------------------------------------------------------
# The picture: each shape a row of boxes, one box per axis
# ---------------------------------------------------------------------------

_ROLE_COLORS = {"same": PALETTE["sky"], "stretched": PALETTE["yellow"], "computed": PALETTE["green"],
                "sliced": PALETTE["yellow"], "new": PALETTE["purple"], "padded": "white", "bad": PALETTE["vermillion"]}


class _ShapesView(View):
    """Rows of boxes (one per axis, aligned on the right for broadcasting), and the result or the error."""

    figsize = (8.0, 3.6)
    rows = 3

    def _build(self):
        self.figure.set_layout_engine("none")  # boxes at fixed places: nothing to lay out
        ax = self.ax = self.figure.add_axes((0.02, 0.02, 0.96, 0.86))
        ax.set_xlim(-0.5, MAX_AXES + 2.2)
        ax.set_ylim(-0.6, self.rows + 0.1)
        ax.set_axis_off()
        self.boxes, self.box_texts, self.labels = [], [], []
        for row in range(self.rows):
            y = self.rows - 1 - row
            self.labels.append(ax.text(-0.4, y + 0.4, "", ha="left", va="center", fontsize=11,
                                       family="monospace"))
            boxes, texts = [], []
            for column in range(MAX_AXES):
                box = Rectangle((2.0 + column, y), 0.9, 0.8, facecolor="white", edgecolor=PALETTE["black"], lw=1.2)
                ax.add_patch(box)
                boxes.append(box)
                texts.append(ax.text(2.45 + column, y + 0.4, "", ha="center", va="center", fontsize=12))
            self.boxes.append(boxes)
            self.box_texts.append(texts)
        self.message = ax.text(-0.4, -0.35, "", ha="left", va="center", fontsize=10)
        self.title = self.figure.suptitle("", fontsize=12)

    def dynamic_artists(self):
        return [*self.labels, *(b for row in self.boxes for b in row), *(t for row in self.box_texts for t in row),
                self.message, self.title]

    def _row(self, row, label, shape, roles=None, bad=None, right=True):
        self.labels[row].set_text(label)
        shape = tuple(shape) if shape is not None else ()
        # Broadcasting lines the axes up from the right; reshaping and indexing read them from the left.
        start = MAX_AXES - len(shape) if right else 0
        for column in range(MAX_AXES):
            box, text = self.boxes[row][column], self.box_texts[row][column]
            k = column - start
            if not 0 <= k < len(shape):
                box.set_visible(False)
                text.set_visible(False)
                continue
            text.set_visible(True)
            length = shape[k]
            role = "padded" if length is None else (roles[k] if roles else "same")
            if bad is not None and k == bad:
                role = "bad"
            box.set_visible(True)
            box.set_facecolor(_ROLE_COLORS[role])
            box.set_linestyle("--" if length is None else "-")
            text.set_text("(1)" if length is None else str(length))
            text.set_color("white" if role in ("bad", "new") else PALETTE["black"])

    def _clear(self, row):
        self._row(row, "", ())
        self.labels[row].set_visible(False)

    def draw(self, result: ShapeResult, names: tuple):
        """Draw ``result``; ``names`` labels its rows (e.g. ``("a", "b", "a + b")``)."""
        for label in self.labels:
            label.set_visible(True)
        if result.operation == "broadcast":
            a, b = result.rows
            bad = result.bad_axis
            self._row(0, names[0], a, bad=bad)
            self._row(1, names[1], b, bad=bad)
            if result.ok:
                self._row(2, names[2], result.shape, result.roles)
            else:
                self._clear(2)
        elif result.operation == "reshape":
            self._row(0, names[0], result.rows[0], right=False)
            if result.ok:
                self._row(1, names[2], result.shape, result.roles, right=False)
            else:
                self._row(1, names[1], result.rows[1], bad=result.bad_axis, right=False)
            self._clear(2)
        else:
            self._row(0, names[0], result.rows[0], bad=None if result.ok else result.bad_axis, right=False)
            if result.ok:
                self._row(1, names[2], result.shape, result.roles, right=False)
            else:
                self._clear(1)
            self._clear(2)
        if result.ok:
            self.title.set_text(f"{names[2]} has shape {result.shape}")
            self.title.set_color(PALETTE["black"])
            legend = {"broadcast": "yellow: an axis of length 1 (or missing) stretched to match",
                      "reshape": "green: the length -1 stands for",
                      "index": "yellow: a sliced axis; purple: a new axis (None); integers remove their axis"}
            self.message.set_text(legend[result.operation])
            self.message.set_color(PALETTE["black"])
        else:
            self.title.set_text(f"{names[2]}: error")
            self.title.set_color(PALETTE["vermillion"])
            self.message.set_text("\n".join(_wrap(result.error, 95)))
            self.message.set_color(PALETTE["vermillion"])
        return result


def _wrap(text, width):
    import textwrap

    return textwrap.wrap(text, width) or [""]


def _names(operation, b_text="", reshape_text="", index_text=""):
    if operation == "broadcast":
        return ("a", "b", "a + b")
    if operation == "reshape":
        return ("a", "new", f"a.reshape({reshape_text.strip().strip('()')})")
    return ("a", "", f"a{_format_index(parse_index(index_text))}")


def _describe(result: ShapeResult, a_text, b_text, reshape_text, index_text) -> str:
    names = _names(result.operation, b_text, reshape_text, index_text)
    a = parse_shape(a_text)
    if result.operation == "broadcast":
        what = f"a of shape {a} plus b of shape {parse_shape(b_text)}"
    elif result.operation == "reshape":
        what = f"a of shape {a} ({math.prod(a)} elements) reshaped to {reshape_text.strip()}"
    else:
        what = f"a of shape {a} indexed by {_format_index(parse_index(index_text))}"
    if result.ok:
        return f"{what}: {names[2]} has shape {result.shape}."
    return f"{what}: error, {result.error}."


class _ShapesExplorer(Explorer):
    figure_text = ("Each shape drawn as a row of boxes, one box per axis with its length, lined up from the right; "
                   "the result's row below, or the error in red with the axis at fault.")

    def __init__(self, operation="broadcast", a="4, 3", b="3", new_shape="2, -1", index_text=":, 0"):
        def text(value, description, placeholder):
            return widgets.Text(value=value, description=description, placeholder=placeholder,
                                continuous_update=False, style=CONTROL_STYLE)

        controls = {
            "operation": dropdown([("broadcasting a + b", "broadcast"), ("reshaping a", "reshape"),
                                   ("indexing a[...]", "index")], operation, "operation"),
            "a": text(a, "shape of a", "e.g. 4, 3"),
            "b": text(b, "shape of b", "e.g. 3 or 4, 1"),
            "new_shape": text(new_shape, "new shape", "e.g. 2, -1"),
            "index": text(index_text, "index a[…]", "e.g. :, 0 or None, ..."),
        }
        super().__init__(_ShapesView(), controls,
                         help_text="Type shapes as lengths separated by commas; press Enter or Tab to apply.")

    def _configure_controls(self):
        c = self.controls
        operation = c["operation"].value
        self._visible(c["b"], operation == "broadcast")
        self._visible(c["new_shape"], operation == "reshape")
        self._visible(c["index"], operation == "index")

    def _update(self):
        c = self.controls
        texts = (c["a"].value, c["b"].value, c["new_shape"].value, c["index"].value)
        result = compute(c["operation"].value, *texts)
        self.result = result
        self.view.draw(result, _names(result.operation, texts[1], texts[2], texts[3]))
        return _describe(result, *texts)


def shapes_explorer(operation: str = "broadcast", a: str = "4, 3", b: str = "3", new_shape: str = "2, -1",
                    index: str = ":, 0") -> Explorer:
    """Shapes under broadcasting, reshaping and indexing, live; the result's shape or NumPy's refusal, drawn.

    Controls: the operation, and text boxes for the shape of ``a``, of ``b``
    (broadcasting), the new shape (reshaping; one ``-1`` allowed) and the index
    (``:, 0``, ``1:3``, ``None, ...``).
    """
    return _ShapesExplorer(operation, a, b, new_shape, index)


#: The book's frames: (operation, a, b, new shape, index).
STATIC_CASES = (
    ("broadcast", "4, 3", "3", "", ""),
    ("broadcast", "4, 3", "4, 1", "", ""),
    ("broadcast", "4, 1", "1, 3", "", ""),
    ("broadcast", "4, 3", "4", "", ""),
    ("reshape", "4, 3", "", "2, -1", ""),
    ("reshape", "4, 3", "", "5, -1", ""),
    ("index", "4, 3", "", "", ":, 0"),
    ("index", "4, 3", "", "", "1:3, None, :"),
    ("index", "2, 4, 3", "", "", "..., 0"),
    ("index", "4, 3", "", "", "4, 0"),
)


def shapes_static(cases=STATIC_CASES) -> StaticExplorer:
    """The same as a kernel-free player: one frame per ``(operation, a, b, new shape, index)`` case."""
    view = _ShapesView()

    def draw(case):
        operation, a, b, new_shape, index_text = case
        result = compute(operation, a, b, new_shape, index_text)
        view.draw(result, _names(operation, b, new_shape, index_text))
        return _describe(result, a, b, new_shape, index_text)

    return render_static(view, list(cases), draw, name="tensor shapes explorer", alt=_ShapesExplorer.figure_text,
                         caption="Shapes: move the slider, or press play, to step through broadcasting, "
                                 "reshaping and indexing, with NumPy's errors.")


EXPLORER = ExplorerInfo(
    name="shapes", live=shapes_explorer, static=shapes_static,
    chapter="notebooks/01_tensors",
    bench_plan=[
        ("b", ["3", "4, 1", "1, 3", "4", "2, 4, 3", "1"]),
        ("a", ["4, 3", "2, 4, 3", "4, 1", "5, 4, 3"]),
        ("operation", ["broadcast", "reshape", "index"]),
        ("new_shape", ["2, -1", "-1", "3, 4", "5, -1", "12, 1"]),
        ("index", [":, 0", "0", "1:3", "None, ...", "..., 0", "9, 0"]),
    ],
    test_plan=[
        ({}, "operation", ["reshape", "index", "broadcast"]),
        ({"operation": "broadcast"}, "a", ["2, 4, 3", "4, 1", "5"]),
        ({"operation": "broadcast", "a": "4, 3"}, "b", ["4, 1", "4", "1, 3"]),
        ({"operation": "reshape"}, "new_shape", ["-1", "3, 4", "5, -1"]),
        ({"operation": "index"}, "index", ["0", "1:3", "None, ...", "..., 0"]),
    ],
)
