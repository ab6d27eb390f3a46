"""Write the generated parts of every notebook from ``_config.yml`` and ``pyproject.toml``.

Two facts say where the course lives and which release a notebook belongs to:

* ``repository.url`` in ``_config.yml``: the course's GitHub repository (the
  only setting someone who forks the course changes);
* ``version`` in ``pyproject.toml``: the release, whose git tag is ``vX.Y.Z``
  (``make release`` sets it and makes the tag).

From them this script writes, in every notebook under ``notebooks/``,
``solutions/`` and ``exercises/``:

* the cell tagged ``colab-badge``: an "Open in Colab" badge for that notebook's
  own path at the release tag (removed from the book pages, which have launch
  buttons instead);
* the block between the markers in the cell tagged ``setup``: in Colab only,
  ``%pip install`` of dlmath from the repository at the release tag (never a
  branch); then, everywhere, a check that the dlmath loaded is the release the
  notebook belongs to, which says what to do if it is not;

and, outside the notebooks:

* ``repository.branch`` in ``_config.yml``: the release tag, so that the book's
  launch buttons (Colab, Binder, JupyterHub) open the notebooks of that release;
* the course's own addresses in ``README.md`` and ``book/*.md``: Colab links to
  the course's notebooks, ``pip install "dlmath @ git+..."`` and ``git clone``.

``python tools/sync_notebooks.py`` rewrites what is stale; ``--check`` only
reports it (the tests run that) and exits 1 if anything is stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "solutions", "exercises")
TEXTS = ("README.md", "book/*.md")
BEGIN = "# --- Colab set-up (written by tools/sync_notebooks.py from _config.yml) ---"
END = "# --- end of Colab set-up ---"
VERSION = re.compile(r"\d+\.\d+\.\d+")
GITHUB = re.compile(r"https://github\.com/([A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+?)(?:\.git)?")


def read_version(root: Path = ROOT) -> str:
    """The ``version`` of ``pyproject.toml``'s ``[project]`` table (``X.Y.Z``)."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'(?m)^version\s*=\s*"([^"]+)"', text)
    if not match or not VERSION.fullmatch(match.group(1)):
        raise SystemExit(f"pyproject.toml: version must be X.Y.Z, not {match.group(1) if match else None!r}")
    return match.group(1)


def release_tag(version: str) -> str:
    """The git tag of a release: ``0.2.0`` -> ``v0.2.0``."""
    return f"v{version}"


def repository(root: Path = ROOT) -> tuple[str, str]:
    """Return ``(owner/name, tag)``: the repository of ``_config.yml`` and the release tag of the version."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    url = config["repository"]["url"].rstrip("/")
    match = GITHUB.fullmatch(url)
    if not match:
        raise SystemExit(f"_config.yml: repository.url must be https://github.com/OWNER/NAME, not {url!r}")
    return match.group(1), release_tag(read_version(root))


def colab_url(path: str, repo: str, ref: str) -> str:
    """The Colab address that opens ``path`` (relative to the repository root) from GitHub at ``ref``."""
    return f"https://colab.research.google.com/github/{repo}/blob/{ref}/{path}"


def pip_url(repo: str, ref: str) -> str:
    """What the set-up cell gives ``pip install``: dlmath from the repository at ``ref``."""
    return f"dlmath @ git+https://github.com/{repo}@{ref}"


def badge_source(path: str, repo: str, ref: str) -> str:
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(path, repo, ref)})")


def setup_block(repo: str, ref: str) -> str:
    """The generated start of every set-up cell. ``ref`` is a release tag ``vX.Y.Z``, never a branch."""
    if not re.fullmatch(r"v" + VERSION.pattern, ref):
        raise ValueError(f"the set-up cell installs a release tag vX.Y.Z, not {ref!r}")
    version = ref[1:]
    return "\n".join([
        BEGIN,
        "import sys",
        'if "google.colab" in sys.modules:  # only in Colab; locally `make lab` installed dlmath',
        f'    %pip install --quiet "{pip_url(repo, ref)}"',
        "import dlmath",
        f'if dlmath.__version__ != "{version}":  # this notebook belongs to release {version} of the course',
        "    raise RuntimeError(",
        f'        f"This notebook needs dlmath {version}, but dlmath {{dlmath.__version__}} is loaded. "',
        '        "In Colab: Runtime > Restart session, then run this cell again. "',
        f'        "Elsewhere: pip install \\"{pip_url(repo, ref)}\\", then restart the kernel.")',
        END,
    ])


def sync(notebook_path: Path, repo: str, ref: str, root: Path = ROOT):
    """Return ``(changes, notebook)``: what is stale in one notebook, and the notebook brought up to date.

    The badge names the notebook's path relative to ``root`` (the course folder:
    the repository, or the temporary course in which `make exercises` works).
    """
    relative = notebook_path.relative_to(root).as_posix()
    nb = nbformat.read(notebook_path, as_version=4)
    changes = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "colab-badge" in tags:
            wanted = badge_source(relative, repo, ref)
            if cell.source != wanted:
                cell.source = wanted
                changes.append("colab badge")
        if "setup" in tags and cell.cell_type == "code":
            block = setup_block(repo, ref)
            if BEGIN in cell.source and END in cell.source:
                start = cell.source.index(BEGIN)
                stop = cell.source.index(END) + len(END)
                new = cell.source[:start] + block + cell.source[stop:]
            else:
                new = block + "\n" + cell.source
            if new != cell.source:
                cell.source = new
                changes.append("setup cell")
    return changes, nb


# The course's own addresses in Markdown: the shapes below only ever name this course.
TEXT_PATTERNS = (
    # Colab opening one of the course's notebooks
    (re.compile(r"https://colab\.research\.google\.com/github/[^/\s]+/[^/\s]+/blob/[^/\s]+/"
                r"(?=(?:notebooks|solutions|exercises)/)"),
     lambda repo, ref: f"https://colab.research.google.com/github/{repo}/blob/{ref}/"),
    # pip installing dlmath from the repository
    (re.compile(r"dlmath @ git\+https://github\.com/[^/\s]+/[^@\s\"`]+@[^\s\"`]+"),
     lambda repo, ref: pip_url(repo, ref)),
    # cloning the course
    (re.compile(r"git clone https://github\.com/[^/\s]+/[^\s`]+?\.git"),
     lambda repo, ref: f"git clone https://github.com/{repo}.git"),
)


def sync_text(text: str, repo: str, ref: str) -> str:
    """``text`` with the course's addresses (Colab links, pip install, git clone) pointing at ``repo`` and ``ref``."""
    for pattern, replacement in TEXT_PATTERNS:
        text = pattern.sub(lambda _match: replacement(repo, ref), text)
    return text


def sync_config(text: str, ref: str) -> str:
    """``_config.yml``'s text with ``repository.branch`` set to ``ref`` (the launch buttons' git ref).

    A line edit, so the file's comments and layout stay as they are.
    """
    match = re.search(r"(?m)^repository:\n((?:[ \t]+.*\n|[ \t]*#.*\n)*)", text)
    if not match:
        raise SystemExit("_config.yml has no repository: section")
    section = match.group(1)
    if re.search(r"(?m)^[ \t]+branch:", section):
        new_section = re.sub(r"(?m)^([ \t]+branch:)[ \t]*.*$", rf"\g<1> {ref}", section, count=1)
    else:
        indent = re.match(r"[ \t]+", section).group(0)
        new_section = section + f"{indent}branch: {ref}\n"
    return text[:match.start(1)] + new_section + text[match.end(1):]


def stale_files(root: Path = ROOT, paths: list[Path] | None = None):
    """Yield ``(path, what changed, new content as str or notebook)`` for every stale generated part."""
    repo, ref = repository(root)
    config = root / "_config.yml"
    text = config.read_text(encoding="utf-8")
    if sync_config(text, ref) != text:
        yield config, ["repository.branch"], sync_config(text, ref)
    notebooks = [p.resolve() for p in paths] if paths else sorted(
        p for folder in FOLDERS for p in (root / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    for path in notebooks:
        changes, nb = sync(path, repo, ref, root)
        if changes:
            yield path, changes, nb
    if not paths:
        for path in sorted(p for pattern in TEXTS for p in root.glob(pattern)):
            text = path.read_text(encoding="utf-8")
            if sync_text(text, repo, ref) != text:
                yield path, ["course addresses"], sync_text(text, repo, ref)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale files, change nothing")
    parser.add_argument("--root", type=Path, default=ROOT, help="the course folder (default: this repository)")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: every notebook in the book's "
                                                            "folders, README.md and book/*.md)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    stale = []
    for path, changes, new in stale_files(root, args.paths):
        stale.append(f"{path.relative_to(root)}: {', '.join(changes)}")
        if not args.check:
            if isinstance(new, str):
                path.write_text(new, encoding="utf-8")
            else:
                nbformat.write(new, path)
    for line in stale:
        print(("stale: " if args.check else "updated: ") + line)
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
