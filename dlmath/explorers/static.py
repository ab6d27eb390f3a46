"""The kernel-free rendition of an explorer for the online book: pre-computed frames in a small
HTML/JavaScript player (a slider, step and play buttons), loading nothing from the network.

Accessibility: the player is a labelled group; its picture's alt text says what the current
frame shows, in words (the explorer's description and the frame's caption), and changes with
the frame; the frame slider is a native range input (arrow keys, Home, End) whose spoken value
is the frame's caption; the buttons are native buttons with names. Without JavaScript (an
untrusted notebook) the first frame and its alt text still show.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json

from . import base
from .base import View

# matplotlib's own player (``FuncAnimation.to_jshtml``) loads its button icons
# from a CDN and names its elements with random ids, so the book would not be
# self-contained, nor the same from run to run. The player below is small: the
# frames are palette PNGs in a JavaScript array, a range slider picks one, and
# three buttons step and play. Without JavaScript (an untrusted notebook) the
# first frame still shows.
_PLAYER = """<div data-player="{uid}" class="dlmath-player" role="group" aria-label="{name}" \
style="background:#ffffff;color:#1a1a1a;color-scheme:light;\
display:inline-block;max-width:100%;padding:8px 10px;border:1px solid #d0d0d0;border-radius:6px;\
font-family:sans-serif">
<p style="margin:0 0 6px 0;font-size:0.95em;color:#1a1a1a">{caption}</p>
<img src="{first}" alt="{first_alt}" style="display:block;max-width:100%;height:auto;background:#ffffff">
<div style="display:flex;align-items:center;gap:6px;margin-top:6px;flex-wrap:wrap">
<button type="button" data-role="prev" title="previous frame" aria-label="previous frame" \
style="{button}">&#9664;&#xFE0E;</button>
<button type="button" data-role="play" title="play" aria-label="play" style="{button}">&#9654;&#xFE0E; play</button>
<button type="button" data-role="next" title="next frame" aria-label="next frame" \
style="{button}">&#9654;&#xFE0E;</button>
<input type="range" min="0" max="{last}" step="1" value="0" aria-label="frame of the {name}" \
aria-valuetext="{first_valuetext}" style="flex:1;min-width:160px">
<span data-role="label" aria-hidden="true" style="font-size:0.85em;min-width:4em;text-align:right">1 / {count}</span>
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
  var alts = {alts};
  var image = root.querySelector("img");
  var slider = root.querySelector("input[type=range]");
  var play = root.querySelector("[data-role=play]");
  var label = root.querySelector("[data-role=label]");
  var caption = root.querySelector("[data-role=caption]");
  var timer = null;
  function show(i) {{
    i = (i + frames.length) % frames.length;
    image.src = frames[i];
    image.alt = alts[i];
    slider.value = i;
    slider.setAttribute("aria-valuetext", "frame " + (i + 1) + " of " + frames.length + ": " + captions[i]);
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
    is the markup, ``captions`` says what each frame shows, ``alts`` is each
    frame's alt text (the description ``alt`` followed by the caption).
    Nothing in it refers to the network, and the same call gives the same
    bytes on every run.
    """

    def __init__(self, markup: str, captions: list, alt: str, alts: list | None = None):
        self.html = markup
        self.captions = list(captions)
        self.frames = len(self.captions)
        self.alt = alt
        self.alts = list(alts) if alts is not None else [frame_alt(alt, c) for c in self.captions]

    def _repr_html_(self):
        return self.html

    def __repr__(self):
        return f"<StaticExplorer: {self.frames} frames, {len(self.html) / 1e6:.2f} MB>"


def frame_alt(alt: str, caption: str) -> str:
    """A frame's alt text: what the figure draws, then what this frame shows."""
    return f"{alt.rstrip()} This frame: {caption}"


def _json_for_script(value) -> str:
    """JSON that is safe inside a <script> element (no "</" that could close it)."""
    return json.dumps(value, ensure_ascii=True).replace("</", "<\\/")


def render_static(view: View, states: list, draw, *, alt: str, caption: str, name: str = "explorer",
                  interval_ms: int = 1200, colors: int = 64) -> StaticExplorer:
    """Render ``draw(state)`` for each state into the frames of a self-contained HTML player.

    ``draw`` updates the view for one state and returns that frame's caption.
    The frames are drawn exactly as the live explorer draws them. ``alt``
    describes the figure in words; each frame's alt text adds its caption.
    ``name`` names the player (its accessible name, e.g. "gradient descent explorer").
    """
    if not states:
        raise ValueError("a static explorer needs at least one frame")
    first_caption = str(draw(states[0]))
    view.freeze_layout()               # the layout of the first frame serves every frame
    frames, captions = [], []
    for index, state in enumerate(states):
        # the first state is drawn already; the others are drawn into the frozen layout
        captions.append(first_caption if index == 0 else str(draw(state)))
        frames.append("data:image/png;base64," + base64.b64encode(view.png(colors=colors)).decode("ascii"))
    size_mb = sum(len(f) for f in frames) / 1e6
    if size_mb > base.EMBED_LIMIT_MB:
        raise ValueError(f"the {len(frames)} frames take {size_mb:.1f} MB, more than the {base.EMBED_LIMIT_MB} MB "
                         "a page should carry; ask for fewer frames")
    alts = [frame_alt(alt, c) for c in captions]
    # An id from the content: the same on every run.
    uid = "dlmath-" + hashlib.sha256("".join(frames + captions).encode()).hexdigest()[:16]
    markup = _PLAYER.format(uid=uid, name=html.escape(name), caption=html.escape(caption), first=frames[0],
                            first_alt=html.escape(alts[0]), button=_BUTTON_STYLE, last=len(frames) - 1,
                            count=len(frames), first_caption=html.escape(captions[0]),
                            first_valuetext=html.escape(f"frame 1 of {len(frames)}: {captions[0]}"),
                            frames=_json_for_script(frames), captions=_json_for_script(captions),
                            alts=_json_for_script(alts), interval=int(interval_ms))
    return StaticExplorer(markup, captions, alt, alts)
