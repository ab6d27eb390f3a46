"""Colab's versions of the packages the course imports, read from Colab's own ``pip freeze``.

Colab publishes what its runtime has installed (googlecolab/backend-info); a
copy sits in ``../shared/colab/pip-freeze.txt``. ``make test-colab`` builds its
environment from that file alone, through this script, so that when Colab
changes, refreshing that one file is the only step.

    python tools/colab_versions.py requirements --out DIR
        writes DIR/colab-requirements.txt (the packages the course imports, plus
        the kernel's and the test drivers', at Colab's versions),
        DIR/colab-constraints.txt (every ``==`` pin of the freeze, so that the
        packages they pull in get Colab's versions too) and DIR/colab-extras.txt
        (optional extras of dlmath that Colab lacks, e.g. nbgrader for
        ``dlmath grade``, at requirements.txt's pins), and prints the list.
        Exits 1 if the course needs a package that Colab does not have.
    python tools/colab_versions.py unchanged BEFORE AFTER
        exits 1, naming them, if any package of the freeze has a different
        version in the ``pip freeze`` AFTER than in BEFORE.
    python tools/colab_versions.py report
        prints the Python version and the versions of the main packages in the
        running interpreter (run it with the tested environment's Python).

The packages "the course imports" are found, not listed: every ``import`` in
the chapter notebooks, the instructor notebooks and ``dlmath/`` (but for the
instructor's grader, ``dlmath/grading/``, whose packages come with the
``dlmath[grading]`` extra), minus the standard library and dlmath itself. An
import inside ``try: ... except ImportError`` is optional (chapter 6 falls back
from LiteRT to TensorFlow's own interpreter) and needs no Colab version.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FREEZE = ROOT.parent / "shared" / "colab" / "pip-freeze.txt"
SOURCES = ("notebooks/*.ipynb", "solutions/*/*.ipynb", "dlmath/**/*.py")
# The instructor's side of dlmath (``dlmath grade``, ``dlmath similarity``): it needs the
# ``dlmath[grading]`` extra, not Colab's preinstalled packages, and learners never run it.
INSTRUCTOR_ONLY = ("dlmath/grading/",)

# Import names whose distribution has another name. (The others are found by
# normalising the import name: ml_dtypes -> ml-dtypes.)
DISTRIBUTION_OF = {
    "sklearn": "scikit-learn",
    "yaml": "pyyaml",
    "IPython": "ipython",
    "PIL": "pillow",
    "google.protobuf": "protobuf",
    "jupyter_client": "jupyter-client",
}
# What a notebook runs on, whether or not the course imports it.
KERNEL = ("ipykernel", "ipython", "jupyter-client", "traitlets", "ipywidgets")
# What drives the tests here (Colab's version where Colab has one, otherwise requirements.txt's pin).
DRIVERS = ("pytest", "nbval", "pytest-timeout", "nbclient", "nbformat", "pyyaml")
# Shown by `report`: the versions a reader most wants to compare.
REPORTED = ("tensorflow", "keras", "numpy", "ipywidgets", "ipython", "ipykernel", "matplotlib",
            "scikit-learn", "scipy")


def normalise(name: str) -> str:
    """PEP 503 name: ``ML_dtypes`` and ``ml.dtypes`` are both ``ml-dtypes``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_freeze(text: str) -> dict[str, tuple[str, str]]:
    """``{normalised name: (name as written, version)}`` for every ``name==version`` line.

    Lines that install from a URL or a local file (``torch @ https://...``,
    ``google-colab @ file:///...``) have no version pip could ask an index for;
    they are left out, and so are comments.
    """
    pins = {}
    for line in text.splitlines():
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9_.\-]*)==(\S+)", line.strip())
        if match:
            pins[normalise(match.group(1))] = (match.group(1), match.group(2))
    return pins


def _code_of(path: Path) -> list[str]:
    """The Python source of a ``.py`` file, or of each code cell of a notebook (magics removed)."""
    if path.suffix == ".py":
        return [path.read_text(encoding="utf-8")]
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        # %pip, !ls: IPython syntax, not Python; keep the line count.
        sources.append("\n".join(line[:len(line) - len(line.lstrip())] + "pass"
                                 if line.lstrip().startswith(("%", "!")) else line
                                 for line in source.splitlines()))
    return sources


def _optional_imports(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside a ``try`` whose handlers catch ImportError."""
    optional = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            caught = set()
            for handler in node.handlers:
                for name in ast.walk(handler.type) if handler.type is not None else []:
                    if isinstance(name, ast.Name):
                        caught.add(name.id)
            if caught & {"ImportError", "ModuleNotFoundError"}:
                optional.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return optional


def imported_modules(sources: list[str]) -> tuple[set[str], set[str]]:
    """``(required, optional)`` module names (two levels: ``google.protobuf``) that the code imports."""
    required, optional = set(), set()
    for source in sources:
        tree = ast.parse(source)
        maybe = _optional_imports(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                parts = name.split(".")
                top = ".".join(parts[:2]) if parts[0] == "google" else parts[0]
                (optional if id(node) in maybe else required).add(top)
    return required, optional - required


def course_modules(root: Path = ROOT) -> tuple[set[str], set[str]]:
    """The third-party modules the course imports: ``(required, optional)``."""
    paths = [path for pattern in SOURCES for path in sorted(root.glob(pattern))
             if ".ipynb_checkpoints" not in path.parts
             and not path.relative_to(root).as_posix().startswith(INSTRUCTOR_ONLY)]
    sources = [code for path in paths for code in _code_of(path)]
    required, optional = imported_modules(sources)
    own = {"dlmath", "__main__", "__future__"}
    third_party = lambda names: {n for n in names if n.split(".")[0] not in sys.stdlib_module_names | own}
    return third_party(required), third_party(optional)


def distribution(module: str) -> str:
    """The (normalised) distribution name that provides ``module``."""
    return normalise(DISTRIBUTION_OF.get(module, module.split(".")[0]))


def requirement_pins(pins, required: set[str], drivers_pins: dict[str, tuple[str, str]]):
    """``(lines, missing)``: ``name==version`` for what the tested environment needs, and the
    required modules Colab does not have (a notebook that imports one fails in Colab)."""
    wanted, missing = {}, []
    for module in sorted(required):
        name = distribution(module)
        if name in pins:
            wanted[name] = "{}=={}".format(*pins[name])
        else:
            missing.append(module)
    for name in KERNEL:
        if name in pins:
            wanted[name] = "{}=={}".format(*pins[name])
        else:
            missing.append(name)
    for name in DRIVERS:
        if name in pins:
            wanted.setdefault(name, "{}=={}".format(*pins[name]))
        elif name in drivers_pins:
            wanted.setdefault(name, "{}=={}".format(*drivers_pins[name]))
    return [wanted[name] for name in sorted(wanted)], missing


def extras(root: Path = ROOT) -> set[str]:
    """Distributions that pyproject.toml lists only as optional extras (``dlmath[grading]``: nbgrader)."""
    import tomllib
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = lambda reqs: {normalise(re.match(r"[A-Za-z0-9_.\-]+", r).group(0)) for r in reqs}
    optional = set().union(*map(names, project.get("optional-dependencies", {}).values()))
    return optional - names(project.get("dependencies", []))


def requirements_txt_pins(root: Path = ROOT) -> dict[str, tuple[str, str]]:
    """The ``==`` pins of the project's requirements.txt (the test drivers Colab lacks come from there)."""
    return parse_freeze((root / "requirements.txt").read_text(encoding="utf-8"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--freeze", type=Path, default=FREEZE, help=f"Colab's pip freeze (default: {FREEZE})")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("requirements", help="write colab-requirements.txt and colab-constraints.txt")
    make.add_argument("--out", type=Path, required=True, help="folder to write them to")
    make.add_argument("--root", type=Path, default=ROOT, help="the course folder to scan (default: this repository)")
    same = commands.add_parser("unchanged", help="fail if a package of the freeze changed between two pip freezes")
    same.add_argument("before", type=Path)
    same.add_argument("after", type=Path)
    commands.add_parser("report", help="print the versions of the main packages in this interpreter")
    args = parser.parse_args(argv)

    if args.command == "report":
        from importlib.metadata import PackageNotFoundError, version
        found = []
        for name in REPORTED:
            try:
                found.append(f"{name} {version(name)}")
            except PackageNotFoundError:
                found.append(f"{name} (not installed)")
        print(f"Python {sys.version.split()[0]}; " + ", ".join(found))
        return 0

    if not args.freeze.is_file():
        print(f"colab_versions: no {args.freeze}: Colab's pip freeze (googlecolab/backend-info) is needed",
              file=sys.stderr)
        return 2
    pins = parse_freeze(args.freeze.read_text(encoding="utf-8"))

    if args.command == "unchanged":
        before = parse_freeze(args.before.read_text(encoding="utf-8"))
        after = parse_freeze(args.after.read_text(encoding="utf-8"))
        changed = {name: (before[name][1], after.get(name, (None, "removed"))[1])
                   for name in before if name in pins and before[name][1] != after.get(name, (None, None))[1]}
        if changed:
            print("installing dlmath changed Colab's packages: "
                  + ", ".join(f"{before[n][0]} {old} -> {new}" for n, (old, new) in sorted(changed.items())),
                  file=sys.stderr)
            return 1
        print(f"dlmath installed; none of the {sum(n in pins for n in before)} Colab packages here changed.")
        return 0

    required, optional = course_modules(args.root)
    project_pins = requirements_txt_pins(args.root)
    lines, missing = requirement_pins(pins, required, project_pins)
    # dlmath's optional extras that Colab lacks (nbgrader, for `dlmath grade`) are added to the
    # tested environment at requirements.txt's pins, without their dependencies (below).
    extra_lines = ["{}=={}".format(*project_pins[name]) for name in sorted(extras(args.root))
                   if name not in pins and name in project_pins]
    args.out.mkdir(parents=True, exist_ok=True)
    header = f"# Generated by tools/colab_versions.py from {args.freeze}; do not edit.\n"
    (args.out / "colab-requirements.txt").write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    (args.out / "colab-constraints.txt").write_text(
        header + "\n".join("{}=={}".format(*pin) for _, pin in sorted(pins.items())) + "\n", encoding="utf-8")
    (args.out / "colab-extras.txt").write_text(header + "".join(f"{line}\n" for line in extra_lines),
                                               encoding="utf-8")
    print("Colab's versions tested:", ", ".join(lines))
    if extra_lines:
        print("Not in Colab, installed from requirements.txt's pins (optional extras):", ", ".join(extra_lines))
    if optional:
        print("Optional imports (code falls back when missing):", ", ".join(
            f"{m} ({'in Colab' if distribution(m) in pins else 'not in Colab'})" for m in sorted(optional)))
    if missing:
        print(f"colab_versions: the course imports {', '.join(missing)}, which Colab's list does not have: "
              "a notebook that imports it fails in Colab", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
