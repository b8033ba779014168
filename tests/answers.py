"""Read a solution notebook's answer cells, for the simulated students of tests/students_stage<N>.py."""
from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load(assignment: str, notebook: str):
    """(path, SETUP, CORRECT): the notebook's path; its locked, ungraded code cells (setup and
    given code) joined; and {grade_id: model answer without its ### BEGIN/END SOLUTION lines}."""
    path = REPO / "solutions" / assignment / f"{notebook}.ipynb"
    cells = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        src = cell["source"]
        cells.append((cell, "".join(src) if isinstance(src, list) else src))
    setup = "\n".join(src for cell, src in cells if cell["cell_type"] == "code"
                      and cell["metadata"].get("nbgrader", {}).get("locked")
                      and not cell["metadata"]["nbgrader"].get("grade"))
    correct = {cell["metadata"]["nbgrader"]["grade_id"]: _strip(src) for cell, src in cells
               if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution")}
    return path, setup, correct


def _strip(source: str) -> str:
    return "\n".join(line for line in source.split("\n")
                     if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)


def editor(correct: dict[str, str]):
    """edit(grade_id, (old, new), …): the model answer with each old replaced (exactly once)."""
    def edit(grade_id: str, *replacements: tuple[str, str]) -> str:
        source = correct[grade_id]
        for old, new in replacements:
            assert source.count(old) == 1, f"{grade_id}: {old!r} occurs {source.count(old)} times"
            source = source.replace(old, new)
        return source
    return edit
