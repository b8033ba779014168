"""Reading a lesson notebook in the lesson tests (tests/test_lesson<N>.py): cells by id, code
cells, printed output, and the stage's conventions table."""
from __future__ import annotations

import re


def cell(nb, cell_id):
    matches = [c for c in nb.cells if c.get("id") == cell_id]
    assert matches, f"the lesson has no cell with id {cell_id!r}"
    return matches[0]


def index(nb, cell_id):
    """The position of the cell called ``cell_id`` (which must exist)."""
    cell(nb, cell_id)
    return next(i for i, c in enumerate(nb.cells) if c.get("id") == cell_id)


def sections(nb):
    """Numbered '## k.' sections: title → the text of their markdown cells."""
    found, current = {}, None
    for c in nb.cells:
        if c.cell_type == "markdown" and c.source.startswith("## "):
            current = c.source.splitlines()[0] if re.match(r"## \d+\.", c.source) else None
            if current:
                found[current] = ""
        if current and c.cell_type == "markdown":
            found[current] += c.source + "\n"
    return found


def graded_functions(stage: int) -> list[str]:
    """The functions the stage's assignment grades (its specs): a lesson must not define them."""
    import importlib
    return list(importlib.import_module(f"bpkit.grading.stage{stage}").EXERCISES)


def code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def output_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


def norm(shape: str) -> str:
    """'$(n_{l-1}, 1)$' and '(n_(l−1), 1)' both become '(n_(l-1),1)'."""
    s = shape.replace("$", "").replace(" ", "").replace("−", "-")
    return re.sub(r"_\{([^}]*)\}", lambda m: f"_({m.group(1)})" if len(m.group(1)) > 1
                  else f"_{m.group(1)}", s)


def conventions_rows(nb) -> list[list[str]]:
    lines = [l for l in cell(nb, "conventions").source.splitlines() if l.startswith("|")]
    header = [h.strip() for h in lines[0].strip("|").split("|")]
    assert header == ["symbol", "meaning", "shape here", "course-wide"], header
    return [[c.strip() for c in l.strip("|").split("|")] for l in lines[2:]]
