"""A copying report for a human to judge: pairs of submissions ranked by similar answer code.

    dlmath similarity ASSIGNMENT SUBMITTED_DIR --out REPORT.html [--source solutions]

For every student folder of ``SUBMITTED_DIR`` (nbgrader's layout,
``<student>/<ASSIGNMENT>/<notebook>.ipynb``) the report takes the code of the
answer cells, normalises it, and ranks

* every pair of students by how much of their answer code they share, and
* every student against the instructor's solution (for when solutions were
  published, or have leaked).

It is a list of places to look, **never a mark**: short exercises have few
right answers, and two students who both wrote ``return max(scores) -
min(scores)`` did not copy each other. The pages show the shared passages side by side
for the instructor to judge.

How the code is compared:

* **Answer cells** are found by their nbgrader ``grade_id`` (the instructor's
  answer cells, ``exN_answer``); when an editor stripped the metadata, by
  position: the student's cells are aligned with the assignment's fixed cells
  (set-up and check cells, as released), and the code cells that are neither
  fixed ones nor fixed ones with a little added are the answers.
* **Normalised**: magics dropped, comments and docstrings removed, the layout
  rewritten by Python's own parser (``ast``); then copydetect tokenises it,
  replacing every name by one letter, so renamed variables and reworded comments
  change nothing.
* **Fingerprints** (copydetect, the winnowing algorithm of MOSS): every run of 25
  normalised characters is hashed. The code the assignment gives every student
  (signatures, ``raise NotImplementedError()``) is ignored, and so is code that
  more than ``--max-shared`` students have in common (by default the larger of 10
  and a tenth of the class), as MOSS does: the usual right answer to a short task
  is not evidence.
* **Similarity** of a pair is the share of one student's fingerprinted code found
  in the other's (both directions are shown; the pairs are ranked by the larger).

Student notebooks are read as data and never run. A student folder, assignment
folder or notebook that is a symbolic link, or a special file, is refused and
listed; every folder name gets a row, shown with escapes where it is not text.
"""

from __future__ import annotations

import ast
import html
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .submissions import Refused, is_answer_cell, list_student_folders, nbgrader_meta, read_submission

NOISE = 25                 # copydetect's noise threshold: the shortest shared run of normalised characters
MAX_CODE_CHARS = 200_000   # answer code kept per student (a notebook full of pasted data is cut, and says so)
DEFAULT_TOP = 50           # pairs shown with their code side by side
SOLUTION = "the solution"
STUB = "raise NotImplementedError()"


@dataclass
class Submission:
    """One student's answer code, or why it was not compared."""

    student: str               # the folder name
    display: str               # a safe name to show
    code: str = ""             # normalised answer code
    found_by: str = ""         # "metadata" or "position"
    problem: str = ""          # why the student is not compared ("" if compared)


@dataclass
class Pair:
    """Two compared documents and what they share."""

    first: Submission
    second: Submission
    similarity: tuple          # (share of first's code found in second, share of second's found in first)
    shared: int                # shared normalised characters (first's side)
    in_solution: float | None  # share of the shared fingerprints that are also the solution's
    slices: tuple = field(default=(), repr=False)

    @property
    def score(self) -> float:
        return max(self.similarity)


# ---------------------------------------------------------------------------
# Reading the answer code, as data
# ---------------------------------------------------------------------------

def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


def _fixed(source: str) -> str:
    """A cell's text for matching: trailing spaces and blank lines do not count."""
    return "\n".join(line.rstrip() for line in source.splitlines() if line.strip())


def release_text(source: str) -> str:
    """What a student receives of an instructor cell: hidden tests removed, solutions replaced by the stub.

    The same regions nbgrader's ``generate_assignment`` rewrites
    (``### BEGIN/END SOLUTION``, ``### BEGIN/END HIDDEN TESTS``).
    """
    lines, out, skipping = source.splitlines(), [], None
    for line in lines:
        marker = line.strip()
        if skipping is None and marker == "### BEGIN SOLUTION":
            indent = line[: len(line) - len(line.lstrip())]
            out.extend([f"{indent}# YOUR CODE HERE", f"{indent}{STUB}"])
            skipping = "### END SOLUTION"
        elif skipping is None and marker == "### BEGIN HIDDEN TESTS":
            skipping = "### END HIDDEN TESTS"
        elif skipping is not None:
            if marker == skipping:
                skipping = None
        else:
            out.append(line)
    return "\n".join(out)


def normalise_code(source: str) -> str:
    """Answer code without magics, comments or docstrings, laid out by Python's parser.

    Code that does not parse is kept as written (copydetect's tokenizer still
    drops its comments).
    """
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    text = "\n".join(lines)
    try:
        tree = ast.parse(text)
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body
                    and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
        return ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text


def instructor_cells(path: Path) -> list:
    """The code cells of an instructor notebook: ``(grade_id or "", is_answer, source)``, in order."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [(str(nbgrader_meta(c).get("grade_id") or ""), is_answer_cell(c), _text(c.get("source")))
            for c in nb.cells if c.get("cell_type") == "code"]


def answer_code(nb, instructor: list) -> tuple[list[str], str]:
    """The student's answer code (one text per answer, or per cell of their own) and how it was found.

    By nbgrader ``grade_id`` when the notebook has the instructor's answer ids;
    otherwise by position: the student's code cells are aligned with the
    assignment's fixed cells (in their released form), and those that are not
    fixed cells are answers.
    """
    import difflib

    answer_ids = [gid for gid, is_answer, _ in instructor if is_answer and gid]
    cells = [c for c in nb.cells if c.get("cell_type") == "code"]
    by_id: dict[str, list[str]] = {}
    for cell in cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if isinstance(gid, str) and gid in answer_ids:
            by_id.setdefault(gid, []).append(_text(cell.get("source")))
    if by_id:
        return ["\n".join(by_id[gid]) for gid in answer_ids if gid in by_id], "metadata"
    fixed = [_fixed(release_text(source)) if not is_answer else None for _, is_answer, source in instructor]
    student = [_fixed(_text(c.get("source"))) for c in cells]
    matcher = difflib.SequenceMatcher(None, fixed, student, autojunk=False)
    matched = set()
    for block in matcher.get_matching_blocks():
        matched.update(range(block.b, block.b + block.size))
    # A fixed cell the student touched (a print added to a check cell) is still a fixed cell.
    given = [text for text in fixed if text]
    for i, text in enumerate(student):
        if i not in matched and any(_close(text, other) for other in given):
            matched.add(i)
    return [_text(c.get("source")) for i, c in enumerate(cells) if i not in matched], "position"


def _close(student: str, fixed: str) -> bool:
    """Whether a student's cell is a fixed cell with little changed: it keeps at least 80 % of the
    fixed cell's text, and that is at least half of the student's cell."""
    import difflib

    if not student or not fixed or len(student) > 2 * len(fixed) + 200:
        return False
    matcher = difflib.SequenceMatcher(None, student, fixed, autojunk=False)
    kept = sum(block.size for block in matcher.get_matching_blocks())
    return kept >= 0.8 * len(fixed) and kept >= 0.5 * len(student)


def read_answers(submitted: Path, assignment: str, notebooks: dict) -> list[Submission]:
    """Every student folder's normalised answer code, or the reason it cannot be compared.

    ``notebooks`` maps each notebook name of the assignment to its
    :func:`instructor_cells`. Nothing in ``submitted`` is run or written.
    """
    result = []
    for folder in list_student_folders(submitted):
        submission = Submission(folder.name, folder.display)
        texts, methods = [], set()
        try:
            for name, instructor in notebooks.items():
                nb = read_submission(folder.path, assignment, name)
                answers, method = answer_code(nb, instructor)
                texts.extend(normalise_code(answer[:MAX_CODE_CHARS]) for answer in answers)
                methods.add(method)
        except Refused as refused:
            submission.problem = f"{refused.status}: {refused}"
            result.append(submission)
            continue
        code = "\n".join(t for t in texts if t.strip())
        if len(code) > MAX_CODE_CHARS:
            code = code[:MAX_CODE_CHARS]
            methods.add(f"cut at {MAX_CODE_CHARS} characters")
        submission.code, submission.found_by = code, ", ".join(sorted(methods))
        result.append(submission)
    return result


# ---------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------

def _fingerprint(code: str, label: str, ignore: set = frozenset()):
    """copydetect's fingerprints of ``code``, without those in ``ignore`` (given or common code)."""
    from copydetect import CodeFingerprint

    return _drop(CodeFingerprint(f"{label}.py", NOISE, 1, fp=io.StringIO(code)), ignore)


def _drop(fingerprint, ignore: set):
    """Remove the fingerprints in ``ignore`` from a copydetect fingerprint, in place; return it."""
    from copydetect.utils import get_token_coverage

    dropped = fingerprint.hashes & ignore
    if dropped:
        fingerprint.hashes -= dropped
        for value in dropped:
            del fingerprint.hash_idx[value]
        fingerprint.token_coverage = get_token_coverage(fingerprint.hash_idx, NOISE, len(fingerprint.filtered_code))
    return fingerprint


def default_max_shared(count: int) -> int:
    """Code shared by more students than this is common knowledge, not evidence: max(10, 10 % of the class)."""
    return max(10, count // 10)


def compare(submissions: list[Submission], solution_code: str, boilerplate_code: str,
            max_shared: int | None = None):
    """Rank every pair of compared students, and every student against the solution.

    Returns ``(pairs, against_solution, common)``: both lists sorted from the
    most similar, and the number of fingerprints dropped as common to more than
    ``max_shared`` students.
    """
    from copydetect import compare_files

    compared = [s for s in submissions if not s.problem]
    given = _fingerprint(boilerplate_code, "given").hashes
    prints = {s.student: _fingerprint(s.code, "student", given) for s in compared}
    own = {student for student, fingerprint in prints.items() if fingerprint.hashes}
    counts: dict = {}
    for fingerprint in prints.values():
        for value in fingerprint.hashes:
            counts[value] = counts.get(value, 0) + 1
    limit = default_max_shared(len(compared)) if max_shared is None else max_shared
    common = {value for value, count in counts.items() if count > limit}
    for fingerprint in prints.values():
        _drop(fingerprint, common)
    solution = _fingerprint(solution_code, "solution", given | common)
    for s in compared:
        if not prints[s.student].hashes:
            s.problem = "only code that many students share" if s.student in own else "no answer code of their own"
    compared = [s for s in compared if not s.problem]

    def pair(a: Submission, b: Submission, fa, fb) -> Pair | None:
        if not fa.hashes & fb.hashes:
            return None
        overlap, similarity, slices = compare_files(fa, fb)
        shared = fa.hashes & fb.hashes
        in_solution = len(shared & solution.hashes) / len(shared) if shared and solution.hashes else None
        return Pair(a, b, (float(similarity[0]), float(similarity[1])), int(overlap), in_solution, slices)

    pairs = []
    for i, a in enumerate(compared):
        for b in compared[i + 1:]:
            found = pair(a, b, prints[a.student], prints[b.student])
            if found is not None:
                pairs.append(found)
    pairs.sort(key=lambda p: (-p.score, -p.shared, p.first.display, p.second.display))
    reference = Submission(SOLUTION, SOLUTION, solution_code)
    against = []
    for s in compared:
        found = pair(s, reference, prints[s.student], solution)
        against.append(found or Pair(s, reference, (0.0, 0.0), 0, None))
    against.sort(key=lambda p: (-p.similarity[0], -p.shared, p.first.display))
    return pairs, against, len(common)


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 80rem; margin: 2rem auto; padding: 0 1rem; color: #111; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #999; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.code { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; font-size: 0.85rem; white-space: pre-wrap; }
.shared { background: #F0E442; outline: 1px solid #B8AE00; }
.note { border-left: 4px solid #0072B2; padding: 0.2rem 0.8rem; }
"""


def _percent(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f} %"


def _highlight(code: str, slices) -> str:
    from copydetect.utils import highlight_overlap

    if len(slices) == 0 or slices.shape[-1] == 0:
        return html.escape(code)
    text, _ = highlight_overlap(code, slices, "<mark class='shared'>", "</mark>", escape_html=True)
    return text


def render_report(assignment: str, submissions: list[Submission], pairs: list[Pair], against: list[Pair],
                  common: int, max_shared: int, top: int = DEFAULT_TOP) -> str:
    """The report as one self-contained HTML page (no scripts, nothing loaded from elsewhere)."""
    e = html.escape
    compared = [s for s in submissions if not s.problem]
    skipped = [s for s in submissions if s.problem]
    out = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
           f"<title>Similarity of answer code: {e(assignment)}</title><style>{STYLE}</style></head><body>",
           f"<h1>Similarity of answer code: {e(assignment)}</h1>",
           "<p class='note'><strong>For a person to judge, never a mark.</strong> A high rank says where to "
           "look: short exercises have few right answers. Read the shared passages (highlighted) and the "
           "students' notebooks before concluding anything.</p>",
           f"<p>{len(submissions)} student folders; {len(compared)} compared; {len(skipped)} not compared "
           f"(listed at the end). Code shared by more than {max_shared} students is ignored as common "
           f"({common} fingerprints); so is the code every student was given. Comments, docstrings, names "
           f"and layout do not count. Compared with copydetect's fingerprints of {NOISE} normalised "
           "characters.</p>"]
    out.append("<h2>Pairs of students, most similar first</h2>")
    if not pairs:
        out.append("<p>No two students share any answer code beyond the common code.</p>")
    else:
        out.append(f"<p>{len(pairs)} pairs share some code; the first {min(top, len(pairs))} are shown, with "
                   "their code below. <em>A in B</em>: the share of A's answer code also found in B's. "
                   "<em>Also in the solution</em>: the share of what they share that is in the instructor's "
                   "solution too.</p>")
        out.append("<table><thead><tr><th>Rank</th><th>Student A</th><th>Student B</th><th>A in B</th>"
                   "<th>B in A</th><th>Shared characters</th><th>Also in the solution</th></tr></thead><tbody>")
        for rank, p in enumerate(pairs[:top], start=1):
            out.append(f"<tr><td class='n'><a href='#pair-{rank}'>{rank}</a></td><td>{e(p.first.display)}</td>"
                       f"<td>{e(p.second.display)}</td><td class='n'>{_percent(p.similarity[0])}</td>"
                       f"<td class='n'>{_percent(p.similarity[1])}</td><td class='n'>{p.shared}</td>"
                       f"<td class='n'>{_percent(p.in_solution)}</td></tr>")
        out.append("</tbody></table>")
    out.append("<h2>Each student against the solution</h2>")
    out.append("<p>The share of the student's answer code found in the instructor's solution: high for a "
               "right answer written the usual way, so look at it together with when the solution was "
               "published.</p><table><thead><tr><th>Student</th><th>In the solution</th>"
               "<th>Shared characters</th><th>Answers found by</th></tr></thead><tbody>")
    for p in against:
        out.append(f"<tr><td>{e(p.first.display)}</td><td class='n'>{_percent(p.similarity[0])}</td>"
                   f"<td class='n'>{p.shared}</td><td>{e(p.first.found_by)}</td></tr>")
    out.append("</tbody></table>")
    if skipped:
        out.append("<h2>Not compared</h2><table><thead><tr><th>Student folder</th><th>Why</th></tr></thead><tbody>")
        for s in skipped:
            out.append(f"<tr><td>{e(s.display)}</td><td>{e(s.problem)}</td></tr>")
        out.append("</tbody></table>")
    if pairs:
        out.append("<h2>Shared code of the pairs above</h2><p>The answer code as compared: normalised, so "
                   "without comments and docstrings, in Python's layout.</p>")
        for rank, p in enumerate(pairs[:top], start=1):
            out.append(f"<h3 id='pair-{rank}'>{rank}. {e(p.first.display)} and {e(p.second.display)}: "
                       f"{_percent(p.similarity[0])} and {_percent(p.similarity[1])}</h3><div class='code'>"
                       f"<pre aria-label='answer code of {e(p.first.display)}'>"
                       f"{_highlight(p.first.code, p.slices[0])}</pre>"
                       f"<pre aria-label='answer code of {e(p.second.display)}'>"
                       f"{_highlight(p.second.code, p.slices[1])}</pre></div>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------

class SimilarityError(ValueError):
    """The report cannot be made; the message says why."""


def similarity_report(assignment: str, submitted, source="solutions", top: int = DEFAULT_TOP,
                      max_shared: int | None = None):
    """Read, compare and render: returns ``(html, submissions, pairs, against_solution)``."""
    source_folder = Path(source) / assignment
    if not source_folder.is_dir():
        raise SimilarityError(f"no assignment folder {source_folder} (give the instructor's folder with --source)")
    submitted = Path(submitted)
    if not submitted.is_dir():
        raise SimilarityError(f"no submissions folder {submitted}")
    notebooks = {path.name: instructor_cells(path) for path in sorted(source_folder.glob("*.ipynb"))}
    if not notebooks:
        raise SimilarityError(f"{source_folder} has no notebook")
    solution, given = [], []
    for cells in notebooks.values():
        for _, is_answer, text in cells:
            if is_answer:
                solution.append(normalise_code(text))
                given.append(normalise_code(release_text(text)))
    submissions = read_answers(submitted, assignment, notebooks)
    if not submissions:
        raise SimilarityError(f"{submitted} has no student folders")
    compared = sum(not s.problem for s in submissions)
    limit = default_max_shared(compared) if max_shared is None else max_shared
    pairs, against, common = compare(submissions, "\n".join(solution), "\n".join(given), limit)
    page = render_report(assignment, submissions, pairs, against, common, limit, top)
    return page, submissions, pairs, against


def add_arguments(parser) -> None:
    """The options of ``dlmath similarity``."""
    parser.add_argument("assignment", help="the assignment's name, e.g. ch01_tensors")
    parser.add_argument("submitted", help="nbgrader's submitted folder: <student>/<assignment>/<notebook>.ipynb")
    parser.add_argument("--out", required=True, help="the HTML report to write")
    parser.add_argument("--source", default="solutions", help="the instructor notebooks' folder (default: solutions)")
    parser.add_argument("--top", type=int, default=DEFAULT_TOP, help="pairs shown with their code (default: 50)")
    parser.add_argument("--max-shared", type=int, default=None,
                        help="ignore code shared by more students than this (default: max(10, a tenth of the class))")


def main(args) -> int:
    """Run ``dlmath similarity``: 0 when the report is written, 2 when it cannot be."""
    try:
        page, submissions, pairs, _ = similarity_report(args.assignment, args.submitted, args.source, args.top,
                                                        args.max_shared)
    except SimilarityError as error:
        print(f"dlmath similarity: {error}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    skipped = sum(bool(s.problem) for s in submissions)
    print(f"dlmath similarity: {out}: {len(submissions) - skipped} students compared, {skipped} not compared, "
          f"{len(pairs)} pairs share code. A list for a person to read, not a mark.", file=sys.stderr)
    return 0
