"""Rules on how an answer is written, checked on its syntax tree in the trusted process.

An exercise that says "without ``np.linalg.det``", "with ``tf.GradientTape``" or
"no loops" means it: the trusted test calls :func:`forbid`, :func:`require` or
:func:`forbid_loops` on the student's answer cell. The code is only parsed,
never run. A name is caught however it is written: dotted (``np.linalg.det``),
bare after ``from numpy.linalg import det``, under an alias (``import numpy.linalg
as la; la.det``) or as text (``getattr(np.linalg, "det")``). Ways of reaching a
name that cannot be read from the code (``getattr`` with a computed name,
``eval``, ``exec``, ``__import__``, ``importlib``, ``__dict__``, ``globals()``) are
refused in an answer that has a rule, with a message that says why.

A rule is checked on the answer cell and on the functions it calls that the
student defined in cells of their own, so moving the forbidden call into a
helper does not pass either.
"""

from __future__ import annotations

import ast
import re

from ..checks import CheckFailed

DYNAMIC = {"getattr", "eval", "exec", "compile", "__import__", "globals", "locals", "vars", "importlib",
           "__dict__", "__builtins__", "__getattribute__", "builtins", "sys.modules", "operator.attrgetter",
           "operator.methodcaller"}
LOOPS = (ast.For, ast.While, ast.AsyncFor, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _strip_magics(source: str) -> str:
    """IPython's ``%`` and ``!`` lines are not Python: blank them before parsing."""
    return "\n".join("" if re.match(r"\s*[%!]", line) else line for line in source.splitlines())


def _parse(source: str, label: str) -> ast.Module:
    try:
        return ast.parse(_strip_magics(source))
    except SyntaxError as error:
        raise CheckFailed(f"{label}: the answer cell is not valid Python ({error.msg}, line {error.lineno}).")


class _Names(ast.NodeVisitor):
    """Every name an answer uses, in dotted form with imports' aliases resolved, and the functions it calls."""

    def __init__(self):
        self.aliases: dict[str, str] = {}
        self.used: set[str] = set()
        self.strings: set[str] = set()
        self.called: set[str] = set()

    def visit_Import(self, node):
        for alias in node.names:
            self.aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
            self.used.add(alias.name)

    def visit_ImportFrom(self, node):
        for alias in node.names:
            full = f"{node.module}.{alias.name}" if node.module else alias.name
            self.aliases[alias.asname or alias.name] = full
            self.used.update({full, alias.name})

    def _dotted(self, node) -> str | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            parts.append(node.id)
            return ".".join(reversed(parts))
        return None

    def visit_Attribute(self, node):
        dotted = self._dotted(node)
        if dotted:
            self._use(dotted)
        self.used.add(node.attr)
        self.generic_visit(node)

    def visit_Name(self, node):
        self._use(node.id)

    def visit_Call(self, node):
        dotted = self._dotted(node.func)
        if dotted and "." not in dotted:
            self.called.add(dotted)
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str):
            self.strings.add(node.value)

    def _use(self, dotted: str) -> None:
        self.used.add(dotted)
        head, _, rest = dotted.partition(".")
        if head in self.aliases:
            self.used.add(self.aliases[head] + ("." + rest if rest else ""))


def _functions(tree: ast.Module) -> dict[str, ast.AST]:
    return {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _reach(student, answer_id: str) -> list[tuple[str, ast.AST]]:
    """The answer cell, and the student's own helper functions it calls (from cells that are no answers)."""
    label = answer_id
    tree = _parse(student.source(answer_id), label)
    helpers = {}
    for other_id, source in student.answers().items():
        if other_id.startswith("student-cell-"):
            try:
                helpers.update(_functions(ast.parse(_strip_magics(source))))
            except SyntaxError:
                pass
    reached, todo, seen = [(label, tree)], [tree], set()
    while todo:
        names = _Names()
        names.visit(todo.pop())
        for called in sorted(names.called - seen):
            seen.add(called)
            if called in helpers:
                reached.append((f"{called}() (called by your answer)", helpers[called]))
                todo.append(helpers[called])
    return reached


def _matches(forbidden: str, used: set[str]) -> bool:
    """``np.linalg.det`` matches ``np.linalg.det``, ``numpy.linalg.det`` and a bare ``det`` after an import."""
    variants = {forbidden, forbidden.replace("np.", "numpy.", 1), forbidden.replace("tf.", "tensorflow.", 1)}
    return bool(variants & used)


def forbid(student, answer_id: str, names, why: str) -> None:
    """Fail the question if the answer uses any of ``names`` (or reaches names in ways the code does not show)."""
    names = [names] if isinstance(names, str) else list(names)
    for label, tree in _reach(student, answer_id):
        found = _Names()
        found.visit(tree)
        for name in names:
            last = name.rsplit(".", 1)[-1]
            if _matches(name, found.used) or last in found.strings or (
                    "." not in name and name in found.used):
                raise CheckFailed(f"{label}: uses {name}, which this exercise rules out: {why}.")
            if "." in name and any(alias.endswith("." + last) or alias == last
                                   for alias in found.aliases.values()) and last in found.used:
                raise CheckFailed(f"{label}: uses {name} (imported under another name), which this exercise "
                                  f"rules out: {why}.")
        dynamic = sorted(d for d in DYNAMIC if _matches(d, found.used))
        if dynamic:
            raise CheckFailed(f"{label}: uses {dynamic[0]}, which hides which functions the answer calls; "
                              f"in this exercise write the calls out ({why}).")


def require(student, answer_id: str, names, why: str) -> None:
    """Fail the question unless the answer (or a helper it calls) uses one of ``names``."""
    names = [names] if isinstance(names, str) else list(names)
    for _, tree in _reach(student, answer_id):
        found = _Names()
        found.visit(tree)
        if any(_matches(name, found.used) for name in names):
            return
    raise CheckFailed(f"{answer_id}: this exercise asks you to use {' or '.join(names)}: {why}.")


def forbid_loops(student, answer_id: str, why: str) -> None:
    """Fail the question if the answer (or a helper it calls) has a Python loop or comprehension."""
    for label, tree in _reach(student, answer_id):
        for node in ast.walk(tree):
            if isinstance(node, LOOPS):
                kind = "a comprehension" if isinstance(node, LOOPS[3:]) else "a loop"
                raise CheckFailed(f"{label}: has {kind} (line {node.lineno}), but this exercise asks for none: {why}.")
        forbid(student, answer_id, ["np.vectorize", "map", "np.apply_along_axis", "np.frompyfunc"], why)
