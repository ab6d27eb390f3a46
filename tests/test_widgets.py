"""The explorers: drive every control, check the picture and its alt text follow; the static
renditions are self-contained; ``dlmath.widgets`` is the same package under its first name."""

import base64
import html
import io
import re

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from dlmath import explorers, widgets
from dlmath.explorers import static as static_module

#: Every explorer of the package (a new module in dlmath/explorers/ is tested here without edits).
EXPLORERS = {name: info.live for name, info in explorers.REGISTRY.items()}
# For each explorer: (settings that make the control matter, control, values to set in turn).
PLANS = {name: info.test_plan for name, info in explorers.REGISTRY.items()}


def _apply(explorer, settings):
    with explorer.hold():
        for key, value in settings.items():
            explorer.controls[key].value = value


def _shown_png(explorer) -> bytes:
    return explorers.shown_picture(explorer)[0]


@pytest.fixture(scope="module", params=sorted(EXPLORERS))
def explorer_name(request):
    return request.param


def test_explorer_is_a_core_widget_box_with_described_controls(explorer_name):
    explorer = EXPLORERS[explorer_name]()
    assert isinstance(explorer, ipywidgets.Box)
    assert isinstance(explorer.output, ipywidgets.Output)
    assert explorer.output in explorer.children
    found = widgets.controls_of(explorer)
    assert set(map(id, explorer.controls.values())) <= set(map(id, found))
    for name, control in explorer.controls.items():
        assert control.description.strip(), f"{explorer_name}.{name} has no description"
    # Only core widgets: every model comes from @jupyter-widgets/controls or /output.
    for control in found:
        assert control._model_module in ("@jupyter-widgets/controls", "@jupyter-widgets/output")
    # The first picture is already shown.
    assert _shown_png(explorer) == explorer.last_png and explorer.last_png.startswith(b"\x89PNG")


def test_every_control_changes_the_picture(explorer_name):
    explorer = EXPLORERS[explorer_name]()
    for settings, key, values in PLANS[explorer_name]:
        _apply(explorer, settings)
        control = explorer.controls[key]
        for value in values:
            before_png, before_count = explorer.last_png, explorer.refresh_count
            control.value = value
            where = f"{explorer_name}: {control.description} = {value!r} with {settings}"
            assert explorer.refresh_count == before_count + 1, where
            assert "color:#D55E00" not in explorer.status.value, f"{where}: {explorer.status.value}"
            assert explorer.last_png != before_png, f"{where}: the picture did not change"
            assert _shown_png(explorer) == explorer.last_png, where
            # The fast path (cached background + changed artists) draws exactly what a full redraw draws.
            assert explorer.view.png(full=True) == explorer.last_png, f"{where}: stale picture"


def test_explorers_do_not_leave_pyplot_figures():
    plt.close("all")
    for factory in EXPLORERS.values():
        factory()
    assert plt.get_fignums() == [], "an explorer's figure would show twice in a notebook"


def test_hold_refreshes_once():
    explorer = widgets.gradient_descent_explorer()
    before = explorer.refresh_count
    _apply(explorer, {"surface": "banana", "optimizer": "adam", "learning_rate": 0.05, "steps": 100})
    assert explorer.refresh_count == before + 1
    assert explorer.result.optimizer == "adam" and explorer.result.steps_taken == 100


def test_gradient_descent_says_when_the_run_diverges():
    explorer = widgets.gradient_descent_explorer()
    _apply(explorer, {"surface": "valley", "optimizer": "sgd", "learning_rate": 0.21, "steps": 200})
    assert explorer.result.diverged
    assert "Diverged" in explorer.status.value
    assert explorer.view.message.get_text().startswith("diverged at step")
    _apply(explorer, {"learning_rate": 0.19})
    assert not explorer.result.diverged and explorer.view.message.get_text() == ""


def test_gradient_descent_draws_the_path_it_computed():
    explorer = widgets.gradient_descent_explorer()
    _apply(explorer, {"surface": "bowl", "optimizer": "momentum", "learning_rate": 0.1, "steps": 30,
                      "start_w1": 1.5, "start_w2": -1.0})
    path = np.column_stack(explorer.view.path_line.get_data())
    np.testing.assert_allclose(path, explorer.result.path)
    np.testing.assert_allclose(path[0], [1.5, -1.0])
    np.testing.assert_allclose(explorer.view.loss_line.get_ydata(), explorer.result.losses)


def test_controls_that_do_not_apply_are_hidden():
    explorer = widgets.gradient_descent_explorer()
    c = explorer.controls
    shown = lambda key: c[key].layout.display != "none"  # noqa: E731
    _apply(explorer, {"optimizer": "sgd"})
    assert not shown("momentum") and not shown("beta1") and not shown("beta2")
    _apply(explorer, {"optimizer": "momentum"})
    assert shown("momentum") and not shown("beta1")
    _apply(explorer, {"optimizer": "adam", "surface": "parabola"})
    assert shown("beta1") and shown("beta2") and not shown("start_w2")
    # A new surface moves the start sliders into its window, at its start point.
    _apply(explorer, {"surface": "banana"})
    assert (c["start_w1"].min, c["start_w1"].max, c["start_w2"].min, c["start_w2"].max) == (-2, 2, -1, 3)
    assert (c["start_w1"].value, c["start_w2"].value) == (-1.5, 2.5)

    dist = widgets.distribution_explorer()
    _apply(dist, {"distribution": "binomial", "mode": "means"})
    visible = {k for k, w in dist.controls.items() if w.layout.display != "none"}
    assert {"trials", "p", "draws_per_mean", "repetitions"} <= visible
    assert not visible & {"mean", "std", "interval", "rate", "sample_size"}


def test_distribution_reports_sample_and_exact_moments():
    explorer = widgets.distribution_explorer()
    _apply(explorer, {"distribution": "exponential", "rate": 2.0, "sample_size": 100000, "seed": 0})
    dist = explorer.distribution()
    samples = dist.sample(100000, 0)
    assert f"{samples.mean():.4f}" in explorer.status.value and f"{dist.mean:.4f}" in explorer.status.value
    assert f"{dist.variance:8.4f}" in explorer.view.text.get_text()


def test_bad_input_shows_a_message_and_keeps_the_picture():
    explorer = widgets.distribution_explorer()
    _apply(explorer, {"distribution": "uniform"})
    before = explorer.last_png
    explorer.controls["interval"].value = (1.0, 1.0)
    assert "low &lt; high" in explorer.status.value and "#D55E00" in explorer.status.value
    assert explorer.last_png == before
    explorer.controls["interval"].value = (0.0, 2.0)
    assert "#D55E00" not in explorer.status.value


def test_linear_map_presets_and_sliders_stay_in_step():
    explorer = widgets.linear_map_explorer()
    c = explorer.controls
    c["preset"].value = "rotation 30°"
    np.testing.assert_allclose(explorer.matrix(), widgets.linear_maps.rotation(30))
    assert "Complex eigenvalues" in explorer.status.value
    c["a12"].value = 0.0
    assert c["preset"].value == "custom"
    c["preset"].value = "reflection (y = x)"
    assert "det A = -1.00" in explorer.status.value and "flips" in explorer.status.value
    assert explorer.view.ax.get_title().endswith("det A = -1.00")


def test_activation_explorer_shows_softmax_probabilities():
    explorer = widgets.activation_explorer()
    _apply(explorer, {"activation": "softmax", "temperature": 0.5})
    heights = [bar.get_height() for bar in explorer.view.bars]
    np.testing.assert_allclose(heights, widgets.activations.softmax(widgets.EXAMPLE_LOGITS, 0.5))
    np.testing.assert_allclose(sum(heights), 1.0)


# --- the static renditions for the book ---

STATICS = {name: info.static for name, info in explorers.REGISTRY.items()}


@pytest.fixture(scope="module")
def statics():
    return {name: factory() for name, factory in STATICS.items()}


@pytest.mark.parametrize("name", sorted(STATICS))
def test_static_rendition_is_self_contained(statics, name):
    static = statics[name]
    markup = static._repr_html_()
    assert markup == static.html
    assert not re.search(r"https?:", markup), "no address outside the page"
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*//""", markup)
    assert "<link" not in markup and "@import" not in markup
    assert len(markup) < 1_500_000, f"{len(markup) / 1e6:.2f} MB is too much for one figure"
    frames = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", markup)
    assert len(frames) == static.frames + 1  # each frame once, plus the first as the <img>'s own src
    assert static.frames >= 5 and len(set(frames)) == static.frames, "every frame differs"
    sizes = set()
    for frame in frames:
        image = Image.open(io.BytesIO(base64.b64decode(frame)))
        sizes.add(image.size)
        # Opaque white figure background: legible in the book's dark mode.
        assert image.convert("RGB").getpixel((1, 1)) == (255, 255, 255)
    assert len(sizes) == 1
    assert re.search(r'<img src="data:image/png;base64,[^"]+" alt="[^"]{20,}"', markup)
    assert 'type="range"' in markup and "<script>" in markup and "background:#ffffff" in markup
    assert len(static.captions) == static.frames and all(static.captions)


@pytest.mark.parametrize("name", sorted(STATICS))
def test_static_rendition_is_the_same_every_time(statics, name):
    assert STATICS[name]().html == statics[name].html


def test_static_gradient_descent_tells_converging_from_diverging(statics):
    captions = statics["gradient_descent"].captions
    assert any("below 2/L = 0.2" in c and "falls" in c for c in captions)
    assert any("above 2/L = 0.2" in c for c in captions)


def test_static_rejects_an_empty_frame_list():
    with pytest.raises(ValueError, match="at least one frame"):
        widgets.gradient_descent_static(settings=[])


def test_static_refuses_to_embed_more_than_the_limit(monkeypatch):
    monkeypatch.setattr(explorers.base, "EMBED_LIMIT_MB", 0.05)
    with pytest.raises(ValueError, match="more than the 0.05 MB"):
        widgets.activation_static()


# --- the package: one module per explorer, dlmath.widgets kept under its first name ---

def test_every_module_of_the_package_is_a_registered_explorer():
    from pathlib import Path

    folder = Path(explorers.__file__).parent
    modules = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")} - {"base", "static"}
    assert set(explorers.REGISTRY) == modules
    assert modules >= {"activation", "distribution", "fairness", "gradient_descent", "linear_map", "network",
                       "shapes", "training"}
    for name, info in explorers.REGISTRY.items():
        assert info.bench_plan and info.test_plan, f"{name} declares no controls to move"
        assert info.chapter.startswith("notebooks/")


def test_widgets_is_the_same_package_under_its_first_name():
    for name in explorers.__all__:
        assert getattr(widgets, name) is getattr(explorers, name)
    # The names the chapter notebooks call.
    for name in ("gradient_descent_explorer", "gradient_descent_static", "distribution_explorer",
                 "distribution_static", "linear_map_explorer", "linear_map_static", "activation_explorer",
                 "activation_static", "shapes_explorer", "shapes_static", "fairness_explorer", "fairness_static",
                 "network_explorer", "network_static", "training_explorer", "training_static"):
        assert callable(getattr(widgets, name)), name


def test_every_chapter_page_has_an_explorer_live_and_static():
    """Issue 23: each chapter notebook shows at least one explorer, live (for Jupyter) and static (for the book)."""
    import nbformat
    from pathlib import Path

    notebooks = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 8
    declared = {info.chapter for info in explorers.REGISTRY.values()}
    for path in notebooks:
        assert f"notebooks/{path.stem}" in declared, f"{path.name}: no explorer declares this chapter"
        code = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")
        infos = [info for info in explorers.REGISTRY.values() if info.chapter == f"notebooks/{path.stem}"]
        assert any(f"{info.name}_explorer(" in code and f"{info.name}_static(" in code for info in infos), \
            f"{path.name} does not call its explorer both live and static"


# --- alt text: what the picture shows for the current setting, in words ---

def test_live_picture_has_alt_text_that_follows_the_setting():
    explorer = widgets.gradient_descent_explorer()
    png, alt = explorers.shown_picture(explorer)
    assert png == explorer.last_png and alt == explorer.last_alt
    assert alt.startswith("Left: the contours of the loss surface")
    assert "learning rate η: 0.15" in alt and "After 40 steps" in alt
    _apply(explorer, {"optimizer": "adam", "learning_rate": 0.05})
    png, new_alt = explorers.shown_picture(explorer)
    assert "optimizer: Adam" in new_alt and "learning rate η: 0.05" in new_alt and new_alt != alt
    # Hidden controls are not read out: momentum's β only for momentum.
    assert "momentum β" not in new_alt and "Adam β₁: 0.9" in new_alt
    # A menu says its label, a checkbox on or off.
    activation = widgets.activation_explorer()
    _apply(activation, {"activation": "leaky_relu", "derivative": False})
    assert "activation: leaky ReLU" in activation.last_alt and "show the derivative f′(x): off" in activation.last_alt


def test_alt_text_is_escaped_in_the_markup():
    explorer = widgets.shapes_explorer(operation="index", index="1:3, None")
    (output,) = explorer.output.outputs
    markup = output["data"]["text/html"]
    assert markup.startswith('<img src="data:image/png;base64,') and 'alt="' in markup
    assert "a[1:3, None] has shape (2, 1, 3)" in explorers.shown_picture(explorer)[1]
    assert "<" not in explorers.shown_picture(explorer)[1]


@pytest.mark.parametrize("name", sorted(STATICS))
def test_static_frames_each_have_their_own_alt_text(statics, name):
    static = statics[name]
    assert len(static.alts) == static.frames and len(set(static.alts)) == static.frames
    for alt, caption in zip(static.alts, static.captions):
        assert alt.startswith(static.alt.rstrip()) and alt.endswith(caption)
    first_alt = re.search(r'<img src="data:image/png;base64,[^"]+" alt="([^"]+)"', static.html).group(1)
    assert html.unescape(first_alt) == static.alts[0]
    assert "var alts = " in static.html and "image.alt = alts[i]" in static.html
    assert re.search(r'<input type="range"[^>]*aria-label="frame of the [a-z ]+explorer"', static.html)


# --- chapter 1: shapes ---

from dlmath.explorers import shapes as shape_maths  # noqa: E402

SHAPE_PAIRS = [((4, 3), (3,)), ((4, 3), (4, 1)), ((4, 1), (1, 3)), ((4, 3), (4,)), ((2, 4, 3), (4, 3)),
               ((2, 1, 3), (5, 1)), ((), (3,)), ((0, 3), (1, 3)), ((2, 3), (3, 2)), ((5, 4), (1,)), ((2, 3), (0,))]


@pytest.mark.parametrize("a, b", SHAPE_PAIRS)
def test_broadcast_agrees_with_numpy(a, b):
    result = shape_maths.broadcast(a, b)
    try:
        expected = np.broadcast_shapes(a, b)
    except ValueError:
        expected = None
    assert result.shape == expected, (a, b, result)
    if expected is None:
        assert "could not be broadcast" in result.error and result.bad_axis is not None
    else:
        assert result.error == "" and len(result.roles) == len(expected)


@pytest.mark.parametrize("a, new", [((4, 3), (2, -1)), ((4, 3), (-1,)), ((4, 3), (5, -1)), ((4, 3), (3, 4)),
                                    ((4, 3), (2, 5)), ((2, 3, 4), (-1, 4)), ((4, 3), (-1, -1)), ((0, 3), (3, -1))])
def test_reshape_agrees_with_numpy(a, new):
    result = shape_maths.reshape(a, new)
    try:
        expected = np.empty(a).reshape(new).shape
    except ValueError:
        expected = None
    assert result.shape == expected, (a, new, result)
    assert bool(result.error) == (expected is None)


@pytest.mark.parametrize("text", [":, 0", "0", "1:3", "None, ...", "..., 0", "9, 0", "::2, None, -1", "0, 0, 0",
                                  "..., ...", "-5", "1:3, None, :", "-1:, 1", "5:1", ""])
def test_index_agrees_with_numpy(text):
    a = (4, 3)
    items = shape_maths.parse_index(text)
    result = shape_maths.index(a, items)
    try:
        expected = np.empty(a)[items].shape
    except IndexError:
        expected = None
    assert result.shape == expected, (text, result)
    assert bool(result.error) == (expected is None)


def test_shape_texts_are_parsed_or_refused_with_a_message():
    assert shape_maths.parse_shape("(4, 3)") == (4, 3) == shape_maths.parse_shape("4,3,")
    assert shape_maths.parse_shape("") == () and shape_maths.parse_shape("2, -1", allow_minus_one=True) == (2, -1)
    with pytest.raises(ValueError, match="not a whole number"):
        shape_maths.parse_shape("4, x")
    with pytest.raises(ValueError, match="cannot have length -1"):
        shape_maths.parse_shape("2, -1")
    with pytest.raises(ValueError, match="step cannot be zero"):
        shape_maths.parse_index("::0")
    with pytest.raises(ValueError, match="not an index"):
        shape_maths.parse_index("a")


def test_shapes_explorer_draws_the_error_and_says_why():
    explorer = widgets.shapes_explorer()
    _apply(explorer, {"operation": "broadcast", "a": "4, 3", "b": "4"})
    assert explorer.result.shape is None and "axis -1 has lengths 3 and 4" in explorer.status.value
    assert explorer.view.title.get_text() == "a + b: error" and "#D55E00" not in explorer.status.value
    # A refusal is a picture, not a broken explorer; a text that is no shape keeps the last picture.
    before = explorer.last_png
    explorer.controls["a"].value = "4, three"
    assert "not a whole number" in explorer.status.value and "#D55E00" in explorer.status.value
    assert explorer.last_png == before


# --- chapter 6: fairness ---

from dlmath.explorers import fairness as fairness_maths  # noqa: E402


def test_rates_at_counts_as_the_confusion_matrix_does():
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(1)
    scores, y_true, group = rng.random(500), rng.integers(0, 2, 500), rng.integers(0, 2, 500)
    rates = fairness_maths.rates_at(scores, y_true, group, (0.4, 0.6))
    for g, (name, threshold) in enumerate(zip(fairness_maths.GROUPS, (0.4, 0.6))):
        members = group == g
        tn, fp, fn, tp = confusion_matrix(y_true[members], scores[members] > threshold, labels=[0, 1]).ravel()
        np.testing.assert_allclose([rates[name]["FPR"], rates[name]["TPR"], rates[name]["selection"],
                                    rates[name]["accuracy"]],
                                   [fp / (fp + tn), tp / (tp + fn), (fp + tp) / members.sum(),
                                    (tp + tn) / members.sum()])
    assert fairness_maths.fairness_gap(rates, "TPR") == rates["group B"]["TPR"] - rates["group A"]["TPR"]


def test_rate_curves_equal_the_rates_at_each_threshold():
    scores, y_true, group = fairness_maths.screening_scores()
    grid = [0.0, 0.1, 0.37, 0.5, 0.9, 1.0]
    curves = fairness_maths.rate_curves(scores, y_true, group, grid)
    for k, t in enumerate(grid):
        rates = fairness_maths.rates_at(scores, y_true, group, t)
        for name in fairness_maths.GROUPS:
            for rate in fairness_maths.RATES:
                assert curves[name][rate][k] == pytest.approx(rates[name][rate], abs=1e-12), (t, name, rate)


def test_fairness_data_are_chapter_6s():
    """Threshold 0.5 for both groups: chapter 6's test customers, FPR 0.010 against 0.168."""
    scores, y_true, group = fairness_maths.screening_scores()
    assert scores.size == 8000 and abs(group.mean() - 0.25) < 0.02
    rates = fairness_maths.rates_at(scores, y_true, group, 0.5)
    assert f"{rates['group A']['FPR']:.3f}" == "0.010" and f"{rates['group B']['FPR']:.3f}" == "0.168"
    explorer = widgets.fairness_explorer()
    assert "gap (B − A) is +0.158" in explorer.status.value
    _apply(explorer, {"same": False, "threshold_b": 0.8})
    assert explorer.thresholds() == (0.5, 0.8) and abs(explorer.gap) < 0.05


def test_fairness_refuses_data_without_both_classes_in_a_group():
    with pytest.raises(ValueError, match="group B .* needs both positives and negatives"):
        fairness_maths.rates_at([0.1, 0.9, 0.4], [0, 1, 1], [0, 0, 1], 0.5)
    with pytest.raises(ValueError, match="1-D arrays of one length"):
        fairness_maths.rates_at([0.1, 0.9], [0, 1, 1], [0, 0, 1], 0.5)
    with pytest.raises(ValueError, match="unknown rate"):
        fairness_maths.fairness_gap({"group A": {}, "group B": {}}, "AUC")


def test_the_run_cache_reuses_recent_settings_and_forgets_old_ones():
    from dlmath.explorers.base import RunCache

    calls = []
    cache = RunCache(lambda setting: calls.append(setting) or setting * 2, size=2)
    assert [cache(1), cache(2), cache(1)] == [2, 4, 2] and calls == [1, 2]     # 1 came from the cache
    cache(3)                                                                     # evicts 2, the least recent
    cache(2)
    assert calls == [1, 2, 3, 2]
