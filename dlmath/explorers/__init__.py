"""The course's explorers: pictures that move when you move a slider.

One module per explorer, each in two renditions:

* a **live** explorer (``gradient_descent_explorer()``, ...) for JupyterLab and
  Colab: an ipywidgets box, the controls (each with a ``description``, its
  accessible name) next to the picture, whose alt text says what it shows for
  the current setting. Only core widgets (ipywidgets 7 and 8, no front-end extension);
* a **static** explorer (``gradient_descent_static()``, ...) for the online
  book, where no Python runs: pre-computed frames in a small self-contained
  HTML player (:mod:`dlmath.explorers.static`).

The maths of each explorer is a pure function elsewhere in :mod:`dlmath` (or
at the top of its module), tested without widgets; the module only draws.
The shared machinery is in :mod:`dlmath.explorers.base`.

**Adding an explorer is adding one file**: a module in this folder that
defines its view (a :class:`~dlmath.explorers.base.View`), its explorer (an
:class:`~dlmath.explorers.base.Explorer`), the two factories listed in its
``__all__``, and ``EXPLORER = ExplorerInfo(...)`` (name, factories, chapter,
and the controls to move). This package imports every module it finds and
re-exports its ``__all__``; :data:`REGISTRY` lists the ``EXPLORER`` of each,
and the widget tests and the benchmark (``bench/widgets.py``) run every
explorer of the registry.

Why the explorers feel instant: each figure is built once; a control change
recomputes the maths and updates the existing artists, and the parts of the
figure that did not change are kept as cached pixels (see
:class:`~dlmath.explorers.base.View`). ``bench/widgets.py`` measures it.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import DPI, EMBED_LIMIT_MB, Explorer, ExplorerInfo, View, controls_of, shown_picture
from .static import StaticExplorer, render_static

__all__ = ["Explorer", "ExplorerInfo", "StaticExplorer", "View", "controls_of", "shown_picture", "render_static",
           "DPI", "EMBED_LIMIT_MB", "REGISTRY"]

#: Modules of this package that are machinery, not explorers.
_MACHINERY = {"base", "static"}

#: Every explorer's ``EXPLORER`` declaration, by name, in file-name order.
REGISTRY: dict[str, ExplorerInfo] = {}

for _module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _module_info.name in _MACHINERY or _module_info.name.startswith("_"):
        continue
    _module = importlib.import_module(f"{__name__}.{_module_info.name}")
    _info = getattr(_module, "EXPLORER", None)
    if not isinstance(_info, ExplorerInfo):
        raise ImportError(f"dlmath.explorers.{_module_info.name} declares no EXPLORER = ExplorerInfo(...)")
    REGISTRY[_info.name] = _info
    for _name in _module.__all__:
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)

del _module_info, _module, _info, _name
