"""Reading what students handed in: folders, names and notebooks, as data, never trusting them.

A submissions folder has nbgrader's layout, ``<student>/<assignment>/<notebook>.ipynb``.
Every student folder gets a result, whatever is in it:

* a folder name that is not valid UTF-8 text or has control characters is shown
  with a safe display name (escapes instead of the raw bytes) and status ``bad-name``;
* a symbolic link or special file (FIFO, device, socket) anywhere in the
  student's assignment folder is refused (status ``refused``): nothing is read
  through it, so a link to the instructor's own files grades as nothing;
* a missing, oversized or unreadable notebook is ``malformed``.

The notebook is read into memory once, without following links, and the
submitted files are never written. The answer cells are matched to the
assignment by their nbgrader ``grade_id``, or, when an editor stripped the
metadata, by the names the instructor's answer cell defines.
"""

from __future__ import annotations

import ast
import copy
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

MAX_NOTEBOOK_MB = 100
COLAB_BLOCK = re.compile(r"# --- Colab set-up.*?# --- end of Colab set-up ---", re.S)


class Refused(Exception):
    """The submission cannot be graded; ``status`` says how it is reported."""

    def __init__(self, status: str, detail: str):
        super().__init__(detail)
        self.status = status


@dataclass
class StudentFolder:
    """One folder of the submissions folder."""

    path: Path
    name: str           # the name as Python sees it (may hold escapes for bytes that are not UTF-8)
    display: str        # a safe name for the CSV and messages
    bad_name: bool = False


def display_name(name: str) -> tuple[str, bool]:
    """A safe, printable display name for a folder name, and whether the original was bad."""
    try:
        name.encode("utf-8")
        bad = any(ord(ch) < 32 or ord(ch) == 127 for ch in name)
    except UnicodeEncodeError:
        bad = True
    if not bad:
        return name, False
    raw = os.fsencode(name)
    safe = raw.decode("utf-8", "backslashreplace")
    safe = "".join(ch if ord(ch) >= 32 and ord(ch) != 127 else f"\\x{ord(ch):02x}" for ch in safe)
    return safe, True


def list_student_folders(submitted: Path) -> list[StudentFolder]:
    """Every entry of the submissions folder that is not hidden, sorted by display name (links included)."""
    folders = []
    with os.scandir(submitted) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if not entry.is_dir(follow_symlinks=False) and not entry.is_symlink():
                continue
            display, bad = display_name(entry.name)
            folders.append(StudentFolder(Path(entry.path), entry.name, display, bad))
    return sorted(folders, key=lambda f: f.display)


def _check_tree(folder: Path) -> None:
    """Refuse links and special files anywhere below ``folder`` (which must itself be a real folder)."""
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode):
        raise Refused("refused", f"{folder.name} is a symbolic link; hand in the files themselves")
    if not stat.S_ISDIR(info.st_mode):
        raise Refused("malformed", f"{folder.name} is not a folder")
    for root, directories, files in os.walk(folder, followlinks=False):
        for name in directories + files:
            path = Path(root) / name
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                raise Refused("refused", f"{path.relative_to(folder.parent)} is a symbolic link; "
                                         "hand in the files themselves")
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                raise Refused("refused", f"{path.relative_to(folder.parent)} is not a regular file")


def read_notebook_bytes(path: Path, limit_mb: int = MAX_NOTEBOOK_MB) -> bytes:
    """The bytes of a submitted notebook, read without following a link and up to a size limit."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise Refused("malformed", f"no notebook {path.name}") from None
    except OSError as error:
        raise Refused("refused", f"{path.name} cannot be opened as a plain file ({error.strerror})") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("refused", f"{path.name} is not a regular file")
        if info.st_size > limit_mb * 2**20:
            raise Refused("malformed", f"{path.name} is {info.st_size / 2**20:.0f} MB, over the {limit_mb} MB limit")
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            return stream.read(limit_mb * 2**20 + 1)
    finally:
        os.close(descriptor)


def read_submission(student_folder: Path, assignment: str, notebook_name: str):
    """The student's notebook as an ``nbformat`` node; :class:`Refused` says why it cannot be graded."""
    _check_tree(student_folder)
    folder = student_folder / assignment
    if not folder.exists():
        raise Refused("malformed", f"no folder {assignment}/ (expected {assignment}/{notebook_name})")
    _check_tree(folder)
    data = read_notebook_bytes(folder / notebook_name)
    try:
        text = data.decode("utf-8")
        nb = nbformat.reads(text, as_version=4)
    except Exception as error:
        raise Refused("malformed", f"{notebook_name} is not a readable notebook ({type(error).__name__})") from None
    if not isinstance(nb.get("cells"), list):
        raise Refused("malformed", f"{notebook_name} has no cells")
    for cell in nb.cells:
        if not isinstance(cell, dict) or not isinstance(cell.get("source", ""), str):
            raise Refused("malformed", f"{notebook_name} has a cell that is not a cell")
        cell.setdefault("metadata", {})
    return nb


# ---------------------------------------------------------------------------
# The instructor's notebook, and matching the student's cells to it
# ---------------------------------------------------------------------------

def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_test_cell(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_answer_cell(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("solution"))


@dataclass
class Question:
    """One autograded test cell of the assignment: what it is worth."""

    notebook: str
    grade_id: str
    points: float
    column: str = ""


@dataclass
class InstructorNotebook:
    """What the grader needs of one instructor notebook."""

    name: str
    questions: list[Question]
    answers: dict[str, set[str]] = field(default_factory=dict)   # answer grade_id -> names it defines
    test_sources: set[str] = field(default_factory=set)           # normalised test-cell sources


def normalise_source(source: str) -> str:
    """A cell's source without leading, trailing and line-end white space: what comparisons of cells use."""
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def defined_names(source: str) -> set[str]:
    """The top-level functions, classes and variables a cell defines."""
    try:
        tree = ast.parse("\n".join("" if line.lstrip().startswith(("%", "!")) else line
                                   for line in source.splitlines()))
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def read_instructor_notebook(path: Path) -> InstructorNotebook:
    nb = nbformat.read(path, as_version=4)
    questions, answers, tests = [], {}, set()
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if is_test_cell(cell):
            questions.append(Question(path.name, meta["grade_id"], float(meta.get("points", 0))))
            tests.add(normalise_source(cell.source))
        elif is_answer_cell(cell):
            answers[meta["grade_id"]] = defined_names(cell.source)
    return InstructorNotebook(path.name, questions, answers, tests)


def answer_sources(nb, instructor: InstructorNotebook) -> dict[str, str]:
    """``{grade_id: code}`` of the student's answer cells, and ``student-cell-N`` for cells of their own.

    A cell counts as answer ``exN_answer`` when its metadata says so, or else when
    it defines the names the instructor's answer cell defines.
    """
    found: dict[str, str] = {}
    unmatched = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        grade_id = nbgrader_meta(cell).get("grade_id")
        if isinstance(grade_id, str) and grade_id in instructor.answers and grade_id not in found:
            found[grade_id] = cell.source
        elif not is_test_cell(cell) and normalise_source(cell.source) not in instructor.test_sources:
            unmatched.append((index, cell.source))
    for index, source in unmatched:
        names = defined_names(source)
        match = next((gid for gid, wanted in instructor.answers.items()
                      if gid not in found and wanted and wanted <= names), None)
        if match:
            found[match] = source
        else:
            found[f"student-cell-{index}"] = source
    return found


def notebook_to_run(nb, instructor: InstructorNotebook):
    """The copy of the student's notebook that runs in the sandbox: without test cells and outputs.

    The set-up cell's generated Colab block is left out too, so a notebook
    handed out with another release of the course is graded all the same.
    Test cells (by metadata or by their text) are left out: the visible tests are
    advisory and the grade comes from the trusted tests, and nothing a test cell
    defines should be in reach of the answers when they are graded.
    """
    run = copy.deepcopy(nb)
    run.cells = [c for c in run.cells
                 if not (is_test_cell(c) or (c.get("cell_type") == "code" and normalise_source(c.source) in instructor.test_sources))]
    for cell in run.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            # the generated Colab block installs and checks one release of dlmath: grading uses its own
            cell["source"] = COLAB_BLOCK.sub("", cell["source"])
    return run
