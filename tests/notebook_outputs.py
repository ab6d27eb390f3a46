"""Comparing a notebook's stored outputs with a fresh run's, after the same
sanitizing nbval does (tests/nbval_sanitize.cfg)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT_TYPES = ("text/plain", "text/html", "text/latex", "text/markdown", "application/json")


def sanitize_patterns() -> list[tuple[re.Pattern, str]]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tests" / "nbval_sanitize.cfg")
    return [(re.compile(parser[s]["regex"]), parser[s].get("replace", "")) for s in parser.sections()]


PATTERNS = sanitize_patterns()


def sanitize(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def comparable(cell) -> list[str]:
    """The text a cell shows, sanitized, as nbval would compare it (images are left out)."""
    if "nbval-ignore-output" in cell.metadata.get("tags", []):
        return []
    shown = []
    streams = {"stdout": "", "stderr": ""}  # one print may arrive in several chunks: join them first
    for output in cell.get("outputs", []):
        kind = output["output_type"]
        if kind == "stream":
            streams[output["name"]] += output["text"]
            continue
        if kind in ("execute_result", "display_data"):
            for mime in TEXT_TYPES:
                if mime in output.get("data", {}):
                    value = output["data"][mime]
                    shown.append(f"{mime}: {sanitize(value if isinstance(value, str) else str(value))}")
        elif kind == "error":
            shown.append(f"error: {output['ename']}")
    shown += [f"{name}: {sanitize(text)}" for name, text in streams.items() if text]
    return shown


def differences(stored, fresh) -> list[str]:
    """Describe every code cell whose sanitized outputs differ between two notebooks."""
    problems = []
    stored_cells = [c for c in stored.cells if c.cell_type == "code"]
    fresh_cells = [c for c in fresh.cells if c.cell_type == "code"]
    for index, (a, b) in enumerate(zip(stored_cells, fresh_cells)):
        if comparable(a) != comparable(b):
            before = "\n".join(comparable(a))[:300]
            after = "\n".join(comparable(b))[:300]
            problems.append(f"code cell {index}:\n  stored: {before!r}\n  fresh:  {after!r}")
    return problems
