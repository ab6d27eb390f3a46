"""The generated parts of the notebooks come from _config.yml (the address) and pyproject.toml (the release).

The Colab badge, the set-up cell, the book's launch buttons and the course's
addresses in the README and book pages are written by tools/sync_notebooks.py;
nothing installs from a branch, and no notebook names another repository.
"""

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("sync_notebooks", ROOT / "tools" / "sync_notebooks.py")
sync_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync_notebooks)

NOTEBOOKS = sorted(p for folder in sync_notebooks.FOLDERS for p in (ROOT / folder).rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
# Any GitHub repository named in a notebook: github.com/OWNER/NAME, Colab's /github/OWNER/NAME,
# raw.githubusercontent.com/OWNER/NAME.
REPOSITORY_IN_TEXT = re.compile(r"(?:github\.com|colab\.research\.google\.com/github|githubusercontent\.com)"
                                r"/([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+)")


def make_course(tmp_path, url="https://github.com/someone/course", version="1.2.3"):
    """A minimal course folder: _config.yml, pyproject.toml, one chapter, a README and a book page."""
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    config = re.sub(r"(?m)^  url: .*$", f"  url: {url}", config)
    (tmp_path / "_config.yml").write_text(config, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "dlmath"\nversion = "{version}"\n', encoding="utf-8")
    (tmp_path / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    badge = nbformat.v4.new_markdown_cell("old badge")
    badge.metadata["tags"] = ["colab-badge", "remove-cell"]
    setup = nbformat.v4.new_code_cell("import dlmath\ndlmath.environment.setup_notebook()")
    setup.metadata["tags"] = ["setup"]
    nb.cells = [nbformat.v4.new_markdown_cell("# T"), badge, setup]
    nbformat.write(nb, tmp_path / "notebooks" / "01_probe.ipynb")
    (tmp_path / "book").mkdir()
    (tmp_path / "README.md").write_text(
        "Open `https://colab.research.google.com/github/old/name/blob/main/notebooks/01_probe.ipynb`;\n"
        'the set-up cell runs `%pip install "dlmath @ git+https://github.com/old/name@main"`.\n'
        "Keras lives at https://github.com/keras-team/keras (not ours: left alone).\n", encoding="utf-8")
    (tmp_path / "book" / "how.md").write_text("```bash\ngit clone https://github.com/old/name.git\n```\n",
                                             encoding="utf-8")
    return tmp_path


def test_repository_and_release_come_from_config_and_pyproject():
    repo, ref = sync_notebooks.repository()
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert f"https://github.com/{repo}" in config
    version = re.search(r'(?m)^version = "(.+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert ref == f"v{version}"


def test_the_package_and_pyproject_agree_on_the_version():
    init = (ROOT / "dlmath" / "__init__.py").read_text(encoding="utf-8")
    assert re.search(r'(?m)^__version__ = "(.+)"', init).group(1) == sync_notebooks.read_version()


def test_repository_rejects_an_address_that_is_not_a_github_repository(tmp_path):
    make_course(tmp_path, url="https://gitlab.com/someone/course")
    with pytest.raises(SystemExit, match="repository.url must be https://github.com/OWNER/NAME"):
        sync_notebooks.repository(tmp_path)


def test_colab_url_points_at_the_notebook():
    url = sync_notebooks.colab_url("notebooks/01_tensors.ipynb", "someone/course", "v1.2.3")
    assert url == "https://colab.research.google.com/github/someone/course/blob/v1.2.3/notebooks/01_tensors.ipynb"


def test_setup_block_installs_a_release_tag_and_never_a_branch():
    block = sync_notebooks.setup_block("someone/course", "v1.2.3")
    assert '%pip install --quiet "dlmath @ git+https://github.com/someone/course@v1.2.3"' in block
    for branch in ("main", "master", "dev", "1.2.3"):
        with pytest.raises(ValueError, match="release tag"):
            sync_notebooks.setup_block("someone/course", branch)


def run_setup_block(block: str, loaded_version: str) -> str:
    """Run the generated block outside Colab against a stand-in dlmath; return what it raised ('' if nothing)."""
    code = block.replace("%pip", "raise AssertionError('%pip ran outside Colab') #")
    fake = type(sys)("dlmath")
    fake.__version__ = loaded_version
    saved = sys.modules.get("dlmath")
    sys.modules["dlmath"] = fake
    try:
        exec(compile(code, "<setup>", "exec"), {})
        return ""
    except RuntimeError as error:
        return str(error)
    finally:
        if saved is not None:
            sys.modules["dlmath"] = saved
        else:
            del sys.modules["dlmath"]


def test_setup_block_accepts_its_own_release_and_explains_any_other():
    block = sync_notebooks.setup_block("someone/course", "v1.2.3")
    assert run_setup_block(block, "1.2.3") == ""
    message = run_setup_block(block, "1.2.2")
    assert "needs dlmath 1.2.3, but dlmath 1.2.2 is loaded" in message
    assert "Runtime > Restart session" in message
    assert 'pip install "dlmath @ git+https://github.com/someone/course@v1.2.3"' in message
    assert "needs dlmath 1.2.3" in run_setup_block(block, "1.2.30")  # compared whole, not by prefix


def test_sync_rewrites_badge_and_setup(tmp_path):
    course = make_course(tmp_path)
    path = course / "notebooks" / "01_probe.ipynb"
    changes, updated = sync_notebooks.sync(path, "someone/course", "v1.2.3", root=course)
    assert changes == ["colab badge", "setup cell"]
    badge_text = updated.cells[1].source
    assert "colab.research.google.com/github/someone/course/blob/v1.2.3/notebooks/01_probe.ipynb" in badge_text
    setup_text = updated.cells[2].source
    assert setup_text.startswith(sync_notebooks.BEGIN)
    assert '%pip install --quiet "dlmath @ git+https://github.com/someone/course@v1.2.3"' in setup_text
    assert 'if "google.colab" in sys.modules' in setup_text
    assert setup_text.endswith("import dlmath\ndlmath.environment.setup_notebook()")
    # A second pass over the synced notebook changes nothing.
    nbformat.write(updated, path)
    again, _ = sync_notebooks.sync(path, "someone/course", "v1.2.3", root=course)
    assert again == []
    # A new release replaces the block, it does not add a second one.
    _, bumped = sync_notebooks.sync(path, "someone/course", "v1.3.0", root=course)
    assert bumped.cells[2].source.count(sync_notebooks.BEGIN) == 1
    assert "@v1.3.0" in bumped.cells[2].source and "@v1.2.3" not in bumped.cells[2].source


def test_a_fork_changes_one_setting_and_sync_follows_everywhere(tmp_path):
    """Change repository.url, run the script: notebooks, launch buttons, README and book pages follow."""
    course = make_course(tmp_path, url="https://github.com/forker/my-course")
    script = [sys.executable, str(ROOT / "tools" / "sync_notebooks.py"), "--root", str(course)]
    check = subprocess.run([*script, "--check"], capture_output=True, text=True)
    assert check.returncode == 1
    for stale in ("_config.yml: repository.branch", "notebooks/01_probe.ipynb: colab badge, setup cell",
                  "README.md: course addresses", "book/how.md: course addresses"):
        assert f"stale: {stale}" in check.stdout
    assert (course / "README.md").read_text().count("old/name") == 2  # --check changed nothing

    assert subprocess.run(script, capture_output=True, text=True).returncode == 0
    readme = (course / "README.md").read_text()
    assert "colab.research.google.com/github/forker/my-course/blob/v1.2.3/notebooks/01_probe.ipynb" in readme
    assert '"dlmath @ git+https://github.com/forker/my-course@v1.2.3"' in readme
    assert "https://github.com/keras-team/keras" in readme  # another project's address is not ours to change
    assert "git clone https://github.com/forker/my-course.git" in (course / "book" / "how.md").read_text()
    config = (course / "_config.yml").read_text()
    assert re.search(r"(?m)^  branch: v1\.2\.3$", config) and "  url: https://github.com/forker/my-course" in config
    expected = re.sub(r"(?m)^  url: .*$", "  url: https://github.com/forker/my-course",
                      (ROOT / "_config.yml").read_text())
    assert config == re.sub(r"(?m)^  branch: .*$", "  branch: v1.2.3", expected), "only the branch line changed"
    nb = nbformat.read(course / "notebooks" / "01_probe.ipynb", as_version=4)
    assert "github.com/forker/my-course@v1.2.3" in nb.cells[2].source
    assert subprocess.run([*script, "--check"], capture_output=True, text=True).returncode == 0


def test_sync_config_sets_only_the_branch_line():
    text = "title: x\nrepository:\n  url: https://github.com/a/b\n  branch: main  # old\n\nhtml:\n  branch: keep\n"
    assert sync_notebooks.sync_config(text, "v2.0.0") == text.replace("branch: main  # old", "branch: v2.0.0")
    without = "repository:\n  url: https://github.com/a/b\nhtml: {}\n"
    assert sync_notebooks.sync_config(without, "v2.0.0") == (
        "repository:\n  url: https://github.com/a/b\n  branch: v2.0.0\nhtml: {}\n")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_notebook_names_another_repository(path):
    """Every GitHub address in a notebook (badges, set-up cells, links) is the course's own, from _config.yml."""
    repo, _ = sync_notebooks.repository()
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells)
    others = {f"{owner}/{name}" for owner, name in REPOSITORY_IN_TEXT.findall(text)
              if f"{owner}/{name.removesuffix('.git')}" != repo}
    assert not others, f"{path.name} names {sorted(others)}; the course's address is {repo} (_config.yml)"


def test_the_address_check_catches_another_repository():
    """The pattern above finds a stray address in each form a notebook could carry it."""
    for text in ("[![Open In Colab](x)](https://colab.research.google.com/github/other/course/blob/v1/n.ipynb)",
                 '%pip install "dlmath @ git+https://github.com/other/course@v0.2.0"',
                 "https://raw.githubusercontent.com/other/course/main/data.csv"):
        assert ("other", "course") in REPOSITORY_IN_TEXT.findall(text)


def test_sync_check_reports_a_stale_notebook_and_changes_nothing(tmp_path):
    course = make_course(tmp_path)
    shutil.copy(course / "notebooks" / "01_probe.ipynb", tmp_path / "before.ipynb")
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "sync_notebooks.py"), "--root", str(course),
                             "--check"], capture_output=True, text=True)
    assert result.returncode == 1 and "stale: notebooks/01_probe.ipynb" in result.stdout
    assert (course / "notebooks" / "01_probe.ipynb").read_bytes() == (tmp_path / "before.ipynb").read_bytes()
