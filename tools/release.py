"""Make a release of the course: ``make release VERSION=x.y.z``.

A release is a git tag ``vX.Y.Z`` that a learner's notebook installs dlmath
from, so that every notebook of a release gets the dlmath it was written for,
and an instructor can freeze the course for a term. The steps, in order (the
first failing one stops the release, before anything is committed):

1. the version is ``X.Y.Z``, no older than the current one, and its tag does
   not exist yet; the working tree is clean (nothing modified, nothing untracked);
   CHANGELOG.md has an ``## Unreleased`` section that says what changed;
2. the version is written to ``pyproject.toml`` and ``dlmath/__init__.py``, and
   CHANGELOG.md's ``## Unreleased`` becomes ``## X.Y.Z — date``;
3. ``tools/sync_notebooks.py`` rewrites every set-up cell to install the tag
   ``vX.Y.Z`` (never a branch) and check that version, the Colab badges and the
   book's launch buttons (``repository.branch`` in ``_config.yml``) to open the
   tag's notebooks, and the course's addresses in the README and book pages;
4. unless ``--skip-tests``: ``make execute`` (the stored set-up outputs name the
   new version) and ``make test`` on exactly what will be committed;
5. one commit, "Release X.Y.Z", and the annotated tag ``vX.Y.Z`` on it.

Nothing is pushed: the last line printed is the command that publishes it.
``--skip-tests`` exists to test this tool in a throwaway clone quickly; a real
release runs the tests. Run ``make test-colab`` before a release as well
(README, "Releases").
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")
UNRELEASED = "## Unreleased"


class ReleaseError(Exception):
    """A reason not to release; nothing has been committed."""


def _sync_module(root: Path):
    spec = importlib.util.spec_from_file_location("sync_notebooks", root / "tools" / "sync_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def parse(version: str) -> tuple[int, int, int]:
    match = VERSION.fullmatch(version)
    if not match:
        raise ReleaseError(f"VERSION must look like 1.2.3, not {version!r}")
    return tuple(map(int, match.groups()))


def set_version(root: Path, version: str) -> None:
    """Write ``version`` to pyproject.toml's ``version =`` and dlmath/__init__.py's ``__version__ =``."""
    for relative, pattern in (("pyproject.toml", r'(?m)^version\s*=\s*"[^"]*"'),
                              ("dlmath/__init__.py", r'(?m)^__version__\s*=\s*"[^"]*"')):
        path = root / relative
        text = path.read_text(encoding="utf-8")
        key = "version" if relative == "pyproject.toml" else "__version__"
        new, count = re.subn(pattern, f'{key} = "{version}"', text, count=1)
        if count != 1:
            raise ReleaseError(f"{relative}: found no {key} line to set")
        path.write_text(new, encoding="utf-8")


def close_changelog(text: str, version: str, date: str) -> str:
    """CHANGELOG.md with ``## Unreleased`` renamed ``## X.Y.Z — date`` and a new empty one above it."""
    match = re.search(rf"(?m)^{re.escape(UNRELEASED)}[ \t]*\n(.*?)(?=^## |\Z)", text, flags=re.S)
    if not match:
        raise ReleaseError(f"CHANGELOG.md has no '{UNRELEASED}' section")
    if not re.search(r"\S", match.group(1)):
        raise ReleaseError(f"CHANGELOG.md: '{UNRELEASED}' is empty: write what changed in {version} first")
    if re.search(rf"(?m)^## {re.escape(version)}\b", text):
        raise ReleaseError(f"CHANGELOG.md already has a section for {version}")
    return (text[:match.start()] + f"{UNRELEASED}\n\n## {version} — {date}\n" + match.group(1).lstrip("\n")
            + text[match.end():])


def release(root: Path, version: str, *, run_tests: bool = True, date: str | None = None, log=print) -> str:
    """Make the release; return its tag. Raises ReleaseError (nothing committed) when it must not happen."""
    sync_notebooks = _sync_module(root)
    new = parse(version)
    current = sync_notebooks.read_version(root)
    tag = sync_notebooks.release_tag(version)
    if new < parse(current):
        raise ReleaseError(f"{version} is older than the current version {current}")
    if git(root, "tag", "--list", tag).strip():
        raise ReleaseError(f"the tag {tag} exists already: choose a new version")
    dirty = git(root, "status", "--porcelain", "--untracked-files=all")
    if dirty.strip():
        raise ReleaseError("the working tree is not clean (commit or remove these first):\n" + dirty.rstrip())
    changelog = root / "CHANGELOG.md"
    closed = close_changelog(changelog.read_text(encoding="utf-8"), version,
                             date or datetime.date.today().isoformat())

    log(f"Releasing {version} (was {current}) as {tag}")
    set_version(root, version)
    changelog.write_text(closed, encoding="utf-8")
    if sync_notebooks.main(["--root", str(root)]) != 0:
        raise ReleaseError("tools/sync_notebooks.py failed")
    if run_tests:
        for target in ("execute", "test"):
            log(f"make {target} ...")
            if subprocess.run(["make", target], cwd=root).returncode != 0:
                raise ReleaseError(f"make {target} failed: nothing is committed; the version change is left in "
                                   "the working tree (`git diff`), `git restore .` undoes it")
    else:
        log("Tests skipped (--skip-tests)")
    # Exactly what the steps above changed (the tree was clean before them).
    changed = [line[3:] for line in git(root, "status", "--porcelain", "--untracked-files=all").splitlines()]
    git(root, "add", "--", *changed)
    git(root, "commit", "--quiet", "-m", f"Release {version}", "--", *changed)
    git(root, "tag", "-a", tag, "-m", f"dlmath {version}")
    log(f"Committed 'Release {version}' ({len(changed)} files) and tagged it {tag}.")
    log(f"Publish it with: git push origin HEAD {tag}")
    return tag


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", metavar="VERSION", help="the new version, X.Y.Z")
    parser.add_argument("--skip-tests", action="store_true",
                        help="do not run make execute and make test (only to test this tool)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    args = parser.parse_args(argv)
    try:
        release(args.root.resolve(), args.version, run_tests=not args.skip_tests)
    except ReleaseError as error:
        print(f"make release: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
