"""`make release VERSION=x.y.z` (tools/release.py), tried in throwaway clones of this repository.

Each test works in its own copy of a clone made once per module: the clone holds
this working tree's release tool, sync script, versions and CHANGELOG, its
notebooks synced and committed, so its tree is clean, as before a real release.
The tests are skipped (``--skip-tests``): this file is part of them.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What the release tool reads and writes, taken from this working tree (it may be ahead of HEAD).
OVERLAY = ("tools/release.py", "tools/sync_notebooks.py", "CHANGELOG.md", "pyproject.toml", "dlmath/__init__.py",
           "_config.yml", "Makefile", "README.md")
IDENTITY = {"GIT_AUTHOR_NAME": "Release Test", "GIT_AUTHOR_EMAIL": "release@example.org",
            "GIT_COMMITTER_NAME": "Release Test", "GIT_COMMITTER_EMAIL": "release@example.org"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env={**os.environ, **IDENTITY}).stdout


def load(repo: Path, name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_{abs(hash(repo))}", repo / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    repo = tmp_path_factory.mktemp("release") / "course"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(repo)], check=True)
    for relative in OVERLAY:
        if (ROOT / relative).exists():
            shutil.copy2(ROOT / relative, repo / relative)
    for path in (ROOT / "book").glob("*.md"):
        shutil.copy2(path, repo / "book" / path.name)
    subprocess.run([sys.executable, "tools/sync_notebooks.py"], cwd=repo, check=True, capture_output=True)
    git(repo, "add", "--all")
    if git(repo, "status", "--porcelain").strip():
        git(repo, "commit", "--quiet", "-m", "this working tree's release tooling, synced")
    assert git(repo, "status", "--porcelain") == ""
    return repo


@pytest.fixture
def repo(template, tmp_path, monkeypatch):
    copy = tmp_path / "course"
    shutil.copytree(template, copy, symlinks=True)
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)
    return copy


def release(repo: Path, version: str):
    return subprocess.run([sys.executable, "tools/release.py", version, "--skip-tests"], cwd=repo,
                          capture_output=True, text=True)


def next_minor(repo: Path) -> str:
    major, minor, _ = map(int, load(repo, "sync_notebooks").read_version(repo).split("."))
    return f"{major}.{minor + 1}.0"


def setup_sources(repo: Path) -> dict[str, str]:
    sources = {}
    for folder in ("notebooks", "solutions", "exercises"):
        for path in sorted((repo / folder).rglob("*.ipynb")):
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            for cell in cells:
                text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                if "setup" in cell["metadata"].get("tags", []) or "colab-badge" in cell["metadata"].get("tags", []):
                    sources.setdefault(str(path.relative_to(repo)), "")
                    sources[str(path.relative_to(repo))] += text + "\n"
    return sources


def test_release_bumps_rewrites_every_setup_cell_commits_and_tags(repo):
    version = next_minor(repo)
    tag = f"v{version}"
    before = git(repo, "rev-parse", "HEAD").strip()
    done = release(repo, version)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"git push origin HEAD {tag}" in done.stdout

    # One commit on top, tagged, and nothing left over.
    assert git(repo, "rev-parse", "HEAD~1").strip() == before
    assert git(repo, "log", "-1", "--format=%s").strip() == f"Release {version}"
    assert git(repo, "rev-parse", f"{tag}^{{commit}}").strip() == git(repo, "rev-parse", "HEAD").strip()
    assert git(repo, "cat-file", "-t", tag).strip() == "tag"  # annotated
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""

    assert f'version = "{version}"' in (repo / "pyproject.toml").read_text()
    assert f'__version__ = "{version}"' in (repo / "dlmath" / "__init__.py").read_text()
    changelog = (repo / "CHANGELOG.md").read_text()
    assert re.search(rf"(?m)^## Unreleased\n\n## {re.escape(version)} — \d{{4}}-\d{{2}}-\d{{2}}\n", changelog)
    assert re.search(r"(?m)^  branch: " + re.escape(tag) + "$", (repo / "_config.yml").read_text())

    # Every notebook with a set-up cell installs the tag and checks the version; none installs a branch.
    repo_name = load(repo, "sync_notebooks").repository(repo)[0]
    sources = setup_sources(repo)
    assert len(sources) >= 19, sorted(sources)  # 7 chapters, 6 instructor and 6 student notebooks at least
    for path, text in sources.items():
        assert f'"dlmath @ git+https://github.com/{repo_name}@{tag}"' in text, path
        assert f'dlmath.__version__ != "{version}"' in text, path
        assert f"/blob/{tag}/{path}" in text, path
        assert not re.search(r"git\+https://github\.com/[^@\s\"]+@(?!v\d+\.\d+\.\d+\b)", text), path
    changed = set(git(repo, "diff", "--name-only", "HEAD~1", "HEAD").split())
    assert {"pyproject.toml", "dlmath/__init__.py", "CHANGELOG.md", "_config.yml"} <= changed
    assert set(sources) <= changed
    assert not [p for p in changed if p.startswith(("tests/", "tools/"))], changed

    # The released tree is in sync: `make test`'s check passes.
    check = subprocess.run([sys.executable, "tools/sync_notebooks.py", "--check"], cwd=repo, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout


def test_make_release_runs_the_tool(repo, tmp_path):
    """The Makefile target, with the project's Python and a set-up stamp that says set-up is done."""
    stamp = tmp_path / "stamp"
    stamp.touch()
    version = next_minor(repo)
    done = subprocess.run(["make", "release", f"VERSION={version}", "RELEASE_FLAGS=--skip-tests",
                           f"PY={sys.executable}", f"STAMP={stamp}"], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(repo, "tag", "--list", f"v{version}").strip() == f"v{version}"
    # Set-up must not have run: it would pip-install this clone into the test's own environment.
    assert "pip install" not in done.stdout
    stamp.touch()  # newer than the released pyproject.toml: make must not re-run set-up into this venv
    usage = subprocess.run(["make", "release", f"PY={sys.executable}", f"STAMP={stamp}"], cwd=repo,
                           capture_output=True, text=True)
    assert usage.returncode != 0 and "usage: make release VERSION=x.y.z" in usage.stdout
    assert "pip install" not in usage.stdout  # VERSION is checked before set-up


def assert_nothing_released(repo: Path, head: str, done) -> None:
    assert done.returncode == 1
    assert git(repo, "rev-parse", "HEAD").strip() == head
    assert git(repo, "tag", "--list") == ""


def test_release_refuses_a_dirty_tree(repo):
    head = git(repo, "rev-parse", "HEAD").strip()
    with open(repo / "README.md", "a", encoding="utf-8") as readme:
        readme.write("\nan uncommitted line\n")
    done = release(repo, next_minor(repo))
    assert_nothing_released(repo, head, done)
    assert "working tree is not clean" in done.stderr and "README.md" in done.stderr
    assert "an uncommitted line" in (repo / "README.md").read_text()  # left as it was
    assert 'version = "' + next_minor(repo) not in (repo / "pyproject.toml").read_text()


def test_release_refuses_an_untracked_file(repo):
    head = git(repo, "rev-parse", "HEAD").strip()
    (repo / "notebooks" / "scratch.ipynb").write_text("{}", encoding="utf-8")
    done = release(repo, next_minor(repo))
    assert_nothing_released(repo, head, done)
    assert "notebooks/scratch.ipynb" in done.stderr


def test_release_refuses_an_existing_tag_an_older_version_and_a_bad_one(repo):
    head = git(repo, "rev-parse", "HEAD").strip()
    version = next_minor(repo)
    git(repo, "tag", f"v{version}")
    done = release(repo, version)
    assert done.returncode == 1 and f"the tag v{version} exists already" in done.stderr
    git(repo, "tag", "-d", f"v{version}")
    for bad, message in (("0.0.1", "older than the current version"), ("1.2", "must look like 1.2.3"),
                         ("v1.2.3", "must look like 1.2.3"), ("main", "must look like 1.2.3")):
        done = release(repo, bad)
        assert_nothing_released(repo, head, done)
        assert message in done.stderr, (bad, done.stderr)
    assert git(repo, "status", "--porcelain") == ""


def test_release_refuses_an_empty_changelog_section(repo):
    changelog = repo / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    emptied = re.sub(r"(?ms)^## Unreleased\n.*?(?=^## )", "## Unreleased\n\n", text)
    assert emptied != text
    changelog.write_text(emptied, encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", "empty Unreleased")
    head = git(repo, "rev-parse", "HEAD").strip()
    done = release(repo, next_minor(repo))
    assert_nothing_released(repo, head, done)
    assert "'## Unreleased' is empty" in done.stderr


def test_the_current_version_can_be_released_once(repo):
    """The first release of a version already written in pyproject.toml (as 0.2.0 is today) is allowed."""
    current = load(repo, "sync_notebooks").read_version(repo)
    done = release(repo, current)
    assert done.returncode == 0, done.stderr
    assert git(repo, "tag", "--list").split() == [f"v{current}"]
    again = release(repo, current)
    assert again.returncode == 1 and "exists already" in again.stderr
