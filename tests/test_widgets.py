"""The explorers: drive every control, check the picture and its alt text follow; the static
renditions are self-contained; ``dlmath.widgets`` is the same package under its first name."""

import base64
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
