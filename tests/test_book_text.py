"""The chapters' text: in-text self-checks with solutions, and links to the glossary.

- every chapter page has at least ``MIN_EXERCISES`` sphinx-exercise ``{exercise}`` directives, each with
  a ``:label:`` unique across the book and a ``{solution}`` for that label shown as a drop-down;
- every ``{term}`` reference in a chapter names a term of ``book/glossary.md``, spelt as the glossary
  spells it;
- every glossary term is linked from at least one chapter.

Each check is a function of text, so the tests below also show that it rejects a broken text.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*.ipynb"))
GLOSSARY = ROOT / "book" / "glossary.md"
MIN_EXERCISES = 4

DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>exercise|solution)\}[ \t]*(?P<argument>[^\n]*)\n"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
TERM_ROLE = re.compile(r"\{term\}`(?P<inner>[^`]+)`")


def chapter_markdown(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def glossary_terms(text: str) -> list[str]:
    """The terms of the ``{glossary}`` directive: its unindented lines that are not options."""
    start = text.index("```{glossary}")
    end = text.index("\n```", start + 3)
    lines = text[start:end].splitlines()[1:]
    return [line.strip() for line in lines if line.strip() and not line[0].isspace() and not line.startswith(":")]


def _options(body: str) -> dict[str, str]:
    options = {}
    for line in body.splitlines():
        match = re.match(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$", line)
        if not match:
            break
        options[match["key"]] = match["value"].strip()
    return options


def exercises(text: str) -> tuple[list[str], list[str], list[str]]:
    """``(exercise labels, solution targets, problems)`` of a Markdown text."""
    labels, targets, problems = [], [], []
    for match in DIRECTIVE.finditer(text):
        options = _options(match["body"])
        if match["name"] == "exercise":
            if not options.get("label"):
                problems.append(f"an exercise without a :label: ({match['argument'] or match['body'][:40]!r})")
                continue
            labels.append(options["label"])
        else:
            target = match["argument"].strip()
            if not target:
                problems.append("a solution that names no exercise")
                continue
            targets.append(target)
            if "dropdown" not in options.get("class", "").split():
                problems.append(f"the solution of {target!r} is not a drop-down (:class: dropdown)")
    for label in labels:
        if labels.count(label) > 1 and f"label {label!r} is used twice" not in problems:
            problems.append(f"label {label!r} is used twice")
        if label not in targets:
            problems.append(f"exercise {label!r} has no solution")
    for target in targets:
        if target not in labels:
            problems.append(f"a solution for {target!r}, which is no exercise here")
        if targets.count(target) > 1 and f"two solutions for {target!r}" not in problems:
            problems.append(f"two solutions for {target!r}")
    return labels, targets, problems


def chapter_problems(text: str) -> list[str]:
    """What is wrong with a chapter's self-checks: the problems of ``exercises`` and too few of them."""
    labels, _, problems = exercises(text)
    if len(labels) < MIN_EXERCISES:
        problems.append(f"{len(labels)} exercises, at least {MIN_EXERCISES} wanted")
    return problems


def term_targets(text: str) -> list[str]:
    """The glossary term each ``{term}`` role points to: ``text <Term>`` points to ``Term``."""
    targets = []
    for match in TERM_ROLE.finditer(text):
        inner = match["inner"].strip()
        explicit = re.fullmatch(r"(?s).*<(?P<target>[^<>]+)>", inner)
        targets.append(explicit["target"].strip() if explicit else inner)
    return targets


def unknown_terms(text: str, terms: list[str]) -> list[str]:
    """The ``{term}`` targets that are not glossary terms exactly as the glossary spells them."""
    return [target for target in term_targets(text) if target not in terms]


def unused_terms(texts: list[str], terms: list[str]) -> list[str]:
    linked = {target for text in texts for target in term_targets(text)}
    return [term for term in terms if term not in linked]


# --------------------------------------------------------------------------- the book


@pytest.fixture(scope="module")
def terms():
    return glossary_terms(GLOSSARY.read_text(encoding="utf-8"))


def test_the_glossary_is_read():
    terms = glossary_terms(GLOSSARY.read_text(encoding="utf-8"))
    assert len(terms) >= 80 and len(set(terms)) == len(terms)
    assert {"Gradient", "dtype", "KL divergence", "Weight", "Accuracy"} <= set(terms)
    assert ":sorted:" not in terms


def test_there_are_chapters():
    assert len(CHAPTERS) >= 8


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_each_chapter_has_self_checks_with_drop_down_solutions(path):
    assert not chapter_problems(chapter_markdown(path))


def test_exercise_labels_are_unique_across_the_book():
    labels = [label for path in CHAPTERS for label in exercises(chapter_markdown(path))[0]]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    assert not duplicates, duplicates


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_term_link_names_a_glossary_term(path, terms):
    text = chapter_markdown(path)
    assert term_targets(text), f"{path.name} links no glossary term"
    assert not unknown_terms(text, terms)


def test_every_glossary_term_is_linked_from_a_chapter(terms):
    assert not unused_terms([chapter_markdown(path) for path in CHAPTERS], terms)


# --------------------------------------------------------------------------- the checks reject broken text

GOOD = """
```{exercise} A title
:label: demo-one

What is 1 + 1?
```

```{solution} demo-one
:class: dropdown

2.
```
"""


def test_a_complete_exercise_passes():
    assert exercises(GOOD) == (["demo-one"], ["demo-one"], [])


def test_an_exercise_without_its_solution_is_rejected():
    text = GOOD + "\n```{exercise}\n:label: demo-two\n\nAnd 2 + 2?\n```\n"
    assert exercises(text)[2] == ["exercise 'demo-two' has no solution"]


def test_a_solution_that_is_not_a_drop_down_is_rejected():
    text = GOOD.replace(":class: dropdown", ":class: tip")
    assert exercises(text)[2] == ["the solution of 'demo-one' is not a drop-down (:class: dropdown)"]


def test_an_exercise_without_a_label_and_a_stray_solution_are_rejected():
    text = GOOD.replace(":label: demo-one\n", "")
    problems = exercises(text)[2]
    assert any("without a :label:" in p for p in problems)
    assert "a solution for 'demo-one', which is no exercise here" in problems


def test_a_label_used_twice_is_rejected():
    assert "label 'demo-one' is used twice" in exercises(GOOD + GOOD)[2]


def test_colon_fences_are_read_too():
    text = GOOD.replace("```", ":::")
    assert exercises(text) == (["demo-one"], ["demo-one"], [])


def test_an_unknown_or_miscapitalised_term_is_rejected():
    terms = ["Gradient", "KL divergence", "dtype"]
    text = ("the {term}`gradient <Gradient>`, the {term}`KL divergence`, a {term}`dtype`, "
            "a {term}`tensor <Tensor>` and the {term}`kl divergence`")
    assert term_targets(text) == ["Gradient", "KL divergence", "dtype", "Tensor", "kl divergence"]
    assert unknown_terms(text, terms) == ["Tensor", "kl divergence"]


def test_a_term_no_chapter_links_is_reported():
    terms = ["Gradient", "Hessian"]
    assert unused_terms(["a {term}`gradient <Gradient>`", "the Hessian, not linked"], terms) == ["Hessian"]
    assert unused_terms(["{term}`Hessian`", "{term}`steps <Gradient>`"], terms) == []


def test_too_few_exercises_are_rejected():
    assert chapter_problems(GOOD) == [f"1 exercises, at least {MIN_EXERCISES} wanted"]
    four = "".join(GOOD.replace("demo-one", f"demo-{i}") for i in range(MIN_EXERCISES))
    assert chapter_problems(four) == []
