"""Every chapter notebook follows the template of book/contributing.md and is stored executed.

These are structural checks; nbval (``make test-notebooks``) re-executes each
notebook and compares its outputs with the stored ones.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
ALL_STORED = CHAPTERS + SOLUTIONS
FORBIDDEN = [  # anything that would download at run time
    r"keras\.datasets", r"get_file\(", r"urlopen", r"requests\.get", r"tensorflow_hub", r"fetch_openml",
    r"fetch_\w+\(", r"wget ", r"curl ",
]
MAX_NOTEBOOK_BYTES = 5_000_000


def ids(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


def load(path):
    return nbformat.read(path, as_version=4)


def tags(cell):
    return cell.metadata.get("tags", [])


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks in notebooks/"


def test_chapter_names_follow_the_convention():
    for path in CHAPTERS:
        assert re.fullmatch(r"\d\d[a-z]?_[a-z0-9_]+\.ipynb", path.name), path.name


@pytest.mark.parametrize("path", CHAPTERS + SOLUTIONS, ids=ids(CHAPTERS + SOLUTIONS))
def test_template_opening(path):
    nb = load(path)
    cells = nb.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# "), "first cell: the '# Title'"
    badges = [c for c in cells if "colab-badge" in tags(c)]
    assert len(badges) == 1, "one 'Open in Colab' badge cell, tagged colab-badge"
    assert "remove-cell" in tags(badges[0]), "the badge cell is removed from the book (it has launch buttons)"
    code = [c for c in cells if c.cell_type == "code"]
    setup = [c for c in code if "setup" in tags(c)]
    assert len(setup) == 1 and setup[0] is code[0], "the first code cell is the one setup cell, tagged setup"
    assert "setup_notebook(" in setup[0].source, "the setup cell calls dlmath.environment.setup_notebook"
    assert "import dlmath" in setup[0].source
    if "import tensorflow" in setup[0].source:
        assert setup[0].source.index("import dlmath") < setup[0].source.index("import tensorflow"), \
            "import dlmath before TensorFlow (it quietens TensorFlow's log lines)"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_template_sections(path):
    nb = load(path)
    headings = [line.strip() for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    for required in ("## Learning objectives", "## Summary", "## Exercises"):
        assert required in headings, f"missing section {required!r}"
    order = [headings.index(h) for h in ("## Learning objectives", "## Summary", "## Exercises")]
    assert order == sorted(order), "Learning objectives, then the sections, then Summary, then Exercises"
    numbered = [h for h in headings if re.match(r"## \d+\.", h)]
    assert len(numbered) >= 3, "the body is numbered sections '## 1. …'"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids(CHAPTERS))
def test_exercises_pointer_resolves(path):
    nb = load(path)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    exercises_part = text[text.index("## Exercises"):]
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", exercises_part)
    local = [link for link in links if not link.startswith("http")]
    assert local, "the Exercises section links to the chapter's graded notebook"
    for link in local:
        target = (path.parent / link).resolve()
        assert target.exists(), f"{link} does not exist"
        assert target.relative_to(ROOT).parts[0] == "exercises"


@pytest.mark.parametrize("path", ALL_STORED, ids=ids(ALL_STORED))
def test_stored_executed_without_errors(path):
    nb = load(path)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        assert cell.execution_count is not None, f"cell {index} was never executed: run `make execute`"
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"cell {index} is stored with an error: {errors[0].get('ename')}"
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert counts == list(range(1, len(counts) + 1)), "executed top to bottom in one fresh kernel"
    assert path.stat().st_size < MAX_NOTEBOOK_BYTES, "keep the notebook (and its book page) under 5 MB"


@pytest.mark.parametrize("path", ALL_STORED, ids=ids(ALL_STORED))
def test_figures_have_alt_text(path):
    nb = load(path)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        has_image = any("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {})
                        for o in cell.outputs)
        if has_image and "remove-output" not in tags(cell):
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt.strip()) >= 15, f"cell {index}: a figure needs alt text in metadata mystnb.image.alt"


@pytest.mark.parametrize("path", ALL_STORED, ids=ids(ALL_STORED))
def test_ignored_outputs_say_why(path):
    nb = load(path)
    for index, cell in enumerate(nb.cells):
        if "nbval-ignore-output" in tags(cell):
            assert re.search(r"#.*(vary|varies|variable|timing|time|progress|differ)", cell.source, re.I), \
                f"cell {index} is tagged nbval-ignore-output: say why in a comment"
    ignored = sum("nbval-ignore-output" in tags(c) for c in nb.cells)
    code = sum(c.cell_type == "code" for c in nb.cells)
    assert ignored <= max(2, code // 10), "nbval-ignore-output must stay rare"


@pytest.mark.parametrize("path", ALL_STORED, ids=ids(ALL_STORED))
def test_nothing_downloads(path):
    nb = load(path)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for pattern in FORBIDDEN:
            assert not re.search(pattern, cell.source), f"cell {index} would download ({pattern})"


@pytest.mark.parametrize("path", ALL_STORED, ids=ids(ALL_STORED))
def test_widget_state_is_stored(path):
    nb = load(path)
    views = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    if views:
        state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
        for view in views:
            model_id = view["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
            assert model_id in state, "widget outputs need their saved state (make execute stores it)"


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return files


def test_every_chapter_is_in_the_book():
    listed = set(toc_files())
    for path in CHAPTERS:
        assert path.relative_to(ROOT).with_suffix("").as_posix() in listed, f"{path.name} is not in _toc.yml"


def test_every_toc_entry_exists():
    for entry in toc_files():
        candidates = [ROOT / (entry + suffix) for suffix in ("", ".md", ".ipynb")]
        assert any(c.is_file() for c in candidates), f"_toc.yml lists {entry}, which does not exist"


def test_generated_cells_are_in_sync_with_config():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "sync_notebooks.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
