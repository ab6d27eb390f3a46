"""Write the generated parts of every notebook from ``_config.yml``.

``repository.url`` and ``repository.branch`` in ``_config.yml`` are the one
place that says where the course lives. This script writes, in every notebook
under ``notebooks/``, ``solutions/`` and ``exercises/``:

* the cell tagged ``colab-badge``: an "Open in Colab" badge for that notebook's
  own path (removed from the book pages, which have launch buttons instead);
* the block between the markers in the cell tagged ``setup``: in Colab only,
  ``%pip install`` of dlmath from the repository.

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
BEGIN = "# --- Colab set-up (written by tools/sync_notebooks.py from _config.yml) ---"
END = "# --- end of Colab set-up ---"


def repository() -> tuple[str, str]:
    """Return ``(owner/name, branch)`` from ``_config.yml``."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    url = config["repository"]["url"].rstrip("/")
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)(\.git)?", url)
    if not match:
        raise SystemExit(f"_config.yml: repository.url must be https://github.com/OWNER/NAME, not {url!r}")
    return match.group(1), config["repository"].get("branch", "main")


def colab_url(path: str, repo: str, branch: str) -> str:
    """The Colab address that opens ``path`` (relative to the repository root) from GitHub."""
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/{path}"


def badge_source(path: str, repo: str, branch: str) -> str:
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(path, repo, branch)})")


def setup_block(repo: str, branch: str) -> str:
    return "\n".join([
        BEGIN,
        "import sys",
        'if "google.colab" in sys.modules:  # only in Colab; locally `make lab` installed dlmath',
        f'    %pip install --quiet "dlmath @ git+https://github.com/{repo}@{branch}"',
        END,
    ])


def sync(notebook_path: Path, repo: str, branch: str, root: Path = ROOT):
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
            wanted = badge_source(relative, repo, branch)
            if cell.source != wanted:
                cell.source = wanted
                changes.append("colab badge")
        if "setup" in tags and cell.cell_type == "code":
            block = setup_block(repo, branch)
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale notebooks, change nothing")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: every notebook in the book's folders)")
    args = parser.parse_args(argv)
    repo, branch = repository()
    paths = [p.resolve() for p in args.paths] or sorted(
        p for folder in FOLDERS for p in (ROOT / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    stale = []
    for path in paths:
        changes, nb = sync(path, repo, branch)
        if changes:
            stale.append(f"{path.relative_to(ROOT)}: {', '.join(changes)}")
            if not args.check:
                nbformat.write(nb, path)
    for line in stale:
        print(("stale: " if args.check else "updated: ") + line)
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
