"""The Colab badge and set-up cell are generated from _config.yml, for each notebook's own path."""

import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("sync_notebooks", ROOT / "tools" / "sync_notebooks.py")
sync_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync_notebooks)


def test_repository_comes_from_config():
    repo, branch = sync_notebooks.repository()
    config = (ROOT / "_config.yml").read_text()
    assert f"https://github.com/{repo}" in config
    assert branch == "main"


def test_colab_url_points_at_the_notebook():
    url = sync_notebooks.colab_url("notebooks/01_tensors.ipynb", "someone/course", "main")
    assert url == "https://colab.research.google.com/github/someone/course/blob/main/notebooks/01_tensors.ipynb"


def test_sync_rewrites_badge_and_setup(tmp_path, monkeypatch):
    folder = ROOT / "notebooks"
    nb = nbformat.v4.new_notebook()
    badge = nbformat.v4.new_markdown_cell("old badge")
    badge.metadata["tags"] = ["colab-badge", "remove-cell"]
    setup = nbformat.v4.new_code_cell("import dlmath\ndlmath.environment.setup_notebook()")
    setup.metadata["tags"] = ["setup"]
    nb.cells = [nbformat.v4.new_markdown_cell("# T"), badge, setup]
    path = folder / "zz_sync_probe.ipynb"
    nbformat.write(nb, path)
    try:
        changes, updated = sync_notebooks.sync(path, "someone/course", "dev")
        assert changes == ["colab badge", "setup cell"]
        badge_text = updated.cells[1].source
        assert "colab.research.google.com/github/someone/course/blob/dev/notebooks/zz_sync_probe.ipynb" in badge_text
        setup_text = updated.cells[2].source
        assert '%pip install --quiet "dlmath @ git+https://github.com/someone/course@dev"' in setup_text
        assert 'if "google.colab" in sys.modules' in setup_text
        assert setup_text.endswith("import dlmath\ndlmath.environment.setup_notebook()")
        # A second pass over the synced notebook changes nothing.
        nbformat.write(updated, path)
        again, _ = sync_notebooks.sync(path, "someone/course", "dev")
        assert again == []
    finally:
        path.unlink()
