"""Write the student notebooks in ``exercises/`` from the nbgrader source notebooks in ``solutions/``.

    python tools/make_exercises.py                 # every assignment (what `make exercises` runs)
    python tools/make_exercises.py ch01_tensors    # one assignment
    python tools/make_exercises.py --check         # only report what is out of date (exit status 1)

For every assignment folder ``solutions/<name>/`` it runs ``nbgrader generate_assignment``
in a temporary course folder (with its own gradebook, so a run leaves nothing behind and
two runs at once do not meet), then ``tools/sync_notebooks.py``'s ``sync`` on each
generated notebook, so its Colab badge opens ``exercises/<name>/<notebook>.ipynb``. A file
in ``exercises/`` is written only when its content changes, so a second run changes
nothing; a folder of ``exercises/`` with no assignment in ``solutions/`` is removed.
The nbgrader settings (the stub that replaces a solution) come from ``nbgrader_config.py``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "solutions"
RELEASE = "exercises"
# The trusted tests and the kept wrong answers stay with the instructor: never released.
INSTRUCTOR_ONLY = ("grader_tests.py", "mutants.py", "*.py")


def _load_sync():
    """Import tools/sync_notebooks.py (a script, not a package module)."""
    spec = importlib.util.spec_from_file_location("sync_notebooks", ROOT / "tools" / "sync_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assignments(root: Path = ROOT) -> list[str]:
    """The assignment folders of ``solutions/`` that hold at least one notebook, sorted."""
    folder = root / SOURCE
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb")))


def generate(name: str, root: Path = ROOT) -> dict[str, bytes]:
    """Generate the student version of one assignment; return ``{relative path: content}``.

    Paths are relative to the repository (``exercises/<name>/<file>``). Nothing in
    the repository is written.
    """
    with tempfile.TemporaryDirectory(prefix="dlmath-exercises-") as temporary:
        course = Path(temporary)
        shutil.copytree(root / SOURCE / name, course / SOURCE / name,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", *INSTRUCTOR_ONLY))
        env = dict(os.environ)
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")  # nbgrader runs `alembic`
        command = [
            sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force",
            f"--CourseDirectory.root={course}",
            f"--CourseDirectory.source_directory={SOURCE}",
            f"--CourseDirectory.release_directory={RELEASE}",
            f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}",
        ]
        # run from the repository, so nbgrader reads its nbgrader_config.py (the command line wins over it)
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n{done.stdout}{done.stderr}")
        sync_notebooks = _load_sync()
        repo, branch = sync_notebooks.repository()
        files = {}
        generated = course / RELEASE / name
        for path in sorted(p for p in generated.rglob("*") if p.is_file()):
            relative = path.relative_to(course).as_posix()
            if path.suffix == ".ipynb":
                files[relative] = _synced(sync_notebooks, path, course, repo, branch)
            else:
                files[relative] = path.read_bytes()
        return files


def _synced(sync_notebooks, path: Path, course: Path, repo: str, branch: str) -> bytes:
    """The notebook after ``sync_notebooks.sync``, as it will be stored.

    Relative to the temporary course, the notebook's path is the one it will
    have in the repository, ``exercises/<name>/<notebook>.ipynb``: the badge's target.
    """
    _, nb = sync_notebooks.sync(path, repo, branch, root=course)
    return nbformat.writes(nb).encode("utf-8") + b"\n"


def stale(root: Path = ROOT, names: list[str] | None = None) -> tuple[dict[str, bytes | None], list[str]]:
    """What ``make exercises`` would change: ``({path: new content or None to delete}, [names])``."""
    names = names or assignments(root)
    changes: dict[str, bytes | None] = {}
    for name in names:
        files = generate(name, root)
        for relative, content in files.items():
            target = root / relative
            if not target.is_file() or target.read_bytes() != content:
                changes[relative] = content
        folder = root / RELEASE / name
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                relative = path.relative_to(root).as_posix()
                if relative not in files and ".ipynb_checkpoints" not in path.parts:
                    changes[relative] = None
    return changes, names


def orphans(root: Path = ROOT) -> list[Path]:
    """Folders of ``exercises/`` whose assignment is no longer in ``solutions/``."""
    folder = root / RELEASE
    if not folder.is_dir():
        return []
    known = set(assignments(root))
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in known)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="assignments (default: every folder of solutions/)")
    parser.add_argument("--check", action="store_true", help="report what is out of date, change nothing")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in assignments()]
    if unknown:
        print(f"no assignment in {SOURCE}/: {', '.join(unknown)}", file=sys.stderr)
        return 2
    changes, names = stale(ROOT, args.names or None)
    extra = [] if args.names else orphans()
    for relative, content in sorted(changes.items()):
        word = "stale" if args.check else ("removed" if content is None else "wrote")
        print(f"{word}: {relative}")
        if args.check:
            continue
        target = ROOT / relative
        if content is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    for folder in extra:
        print(f"{'stale' if args.check else 'removed'}: {folder.relative_to(ROOT)}/ (no {SOURCE}/{folder.name}/)")
        if not args.check:
            shutil.rmtree(folder)
    if not changes and not extra:
        print(f"{RELEASE}/ is up to date ({len(names)} assignments)")
    return 1 if args.check and (changes or extra) else 0


if __name__ == "__main__":
    sys.exit(main())
