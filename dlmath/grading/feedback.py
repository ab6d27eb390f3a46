"""What each student gets back: a feedback page and their graded notebook (``dlmath grade --feedback DIR``).

For every student folder, ``DIR/<student>/<assignment>/`` receives

* ``feedback.html``: each question's points and, for a failed one, the
  teaching message of the check that failed; the total, the status, and the
  late-policy line when there is one. It is one self-contained page (no script,
  nothing loaded from elsewhere), every text escaped;
* ``<notebook>.ipynb``: the student's own notebook as it ran in the sandbox,
  with its outputs, and after each answer cell a note with that question's
  points and message.

Only the student's own results go into their folder, and no trusted test code:
the messages are those of the checks, which never print their references for
hidden inputs' code, and the notebook is the student's own (test cells left out).
"""

from __future__ import annotations

import html
import zlib
from pathlib import Path

import nbformat

from . import report, submissions


def safe_folder(name: str) -> str:
    """A folder name for a student that cannot climb out of the feedback folder."""
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.@+") else "_" for ch in name).strip(".")
    if cleaned != name:  # two altered names must not meet in one folder
        cleaned = f"{cleaned or '_'}-{zlib.crc32(name.encode('utf-8', 'surrogateescape')):08x}"
    return cleaned


def page(result: report.Result, assignment) -> str:
    """The feedback page of one student, as HTML text."""
    rows = []
    for question in assignment.questions:
        got = result.scores.get(question.column, 0)
        message = result.feedback.get(question.column, "")
        verdict = "correct" if not message and got == question.points else "not yet"
        rows.append(f"<tr><th scope=\"row\">{html.escape(question.column)}</th>"
                    f"<td>{report.number(got)} / {report.number(question.points)}</td>"
                    f"<td>{verdict}</td><td><pre>{html.escape(message)}</pre></td></tr>")
    late = ""
    if result.late:
        late = (f"<p>Late policy: {html.escape(result.late.get('late', ''))}; "
                f"final points {html.escape(result.late.get('final', ''))}.</p>")
    detail = f"<p>Note: {html.escape(result.detail)}</p>" if result.detail else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Feedback: {html.escape(assignment.name)} for {html.escape(result.student)}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}}
table{{border-collapse:collapse}}th,td{{border:1px solid #888;padding:.4rem;vertical-align:top;text-align:left}}
pre{{white-space:pre-wrap;margin:0}}</style></head>
<body><main>
<h1>Feedback on {html.escape(assignment.name)}</h1>
<p>Student: {html.escape(result.student)}. Points: {report.number(result.total())} of
{report.number(assignment.maximum)}. Status: {html.escape(result.status)}.</p>
{late}{detail}
<table><caption>Points and messages, question by question</caption>
<thead><tr><th scope="col">question</th><th scope="col">points</th><th scope="col">result</th>
<th scope="col">what the checks found</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
</main></body></html>
"""


def annotated_notebook(text: str, result: report.Result, instructor) -> str | None:
    """The executed notebook with a note after each answer cell; None if it cannot be read."""
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception:
        return None
    columns = {q.grade_id: q for q in instructor.questions}
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        grade_id = submissions.nbgrader_meta(cell).get("grade_id", "")
        test_id = grade_id.replace("_answer", "_test") if isinstance(grade_id, str) else ""
        if test_id in columns:
            question = columns[test_id]
            got = result.scores.get(question.column, 0)
            message = result.feedback.get(question.column, "") or "every check passed"
            note = (f"**Grader: {report.number(got)} of {report.number(question.points)} points "
                    f"for {question.grade_id}.**\n\n```text\n{message}\n```")
            cells.append(nbformat.v4.new_markdown_cell(note, metadata={"tags": ["dlmath-feedback"]}))
    nb.cells = cells
    return nbformat.writes(nb)


def write(folder, result: report.Result, assignment) -> Path:
    """Write one student's feedback page and graded notebooks; return their folder."""
    target = Path(folder) / safe_folder(result.student) / assignment.name
    target.mkdir(parents=True, exist_ok=True)
    (target / "feedback.html").write_text(page(result, assignment), encoding="utf-8")
    for instructor in assignment.notebooks:
        text = result.notebooks.get(instructor.name)
        annotated = annotated_notebook(text, result, instructor) if text else None
        if annotated is not None:
            (target / instructor.name).write_text(annotated, encoding="utf-8")
    return target
