"""Every notebook of the course runs, and is saved the way it should be.

Notebooks are discovered by glob, so new lessons and assignments are tested as soon as they
exist; each test is parametrized by the notebook's path, so a failure names the notebook.

* lessons/*.ipynb are committed *executed* (plots help offline readers): they must run top to
  bottom without errors, and be saved from a fresh run with no error outputs, no widget
  state and no frozen tqdm bars.
* solutions/*/*.ipynb (nbgrader source, instructor versions) must run top to bottom without
  errors and are committed without outputs.
* exercises/*/*.ipynb (nbgrader release, what students get) are committed without outputs.
  Run cell by cell, the only errors allowed are the ones an untouched release must raise:
  NotImplementedError (an unanswered answer cell's stub, or a test calling a stubbed
  function) and NameError for a name an answer cell would define — and only at or after the
  first unanswered answer cell.

Kernels run with cwd = the notebook's folder, the test's Python environment first on PATH
(the "python3" kernelspec launches plain `python`), and MPLBACKEND unset, so that plots
go through Jupyter's inline backend as they do for a student.
"""
from __future__ import annotations

import ast
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CELL_TIMEOUT = 60          # seconds per cell
KERNEL = "python3"

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# A tqdm bar as text: "training:  37%|███▋      | 37/100 [00:01<00:02, 30.1epoch/s]"
TQDM_BAR = re.compile(r"\d+%\|.*\|\s*\d+/\d+")
STUB = re.compile(r"raise\s+NotImplementedError")    # nbgrader's code stub in a release


def _find(pattern: str) -> list[Path]:
    """Notebooks matching pattern under the repo, skipping hidden folders (checkpoints)."""
    return sorted(p for p in ROOT.glob(pattern)
                  if not any(part.startswith(".") for part in p.relative_to(ROOT).parts))


LESSONS = _find("lessons/*.ipynb")
SOLUTIONS = _find("solutions/*/*.ipynb")
EXERCISES = _find("exercises/*/*.ipynb")


def _params(paths: list[Path]):
    return [pytest.param(p, id=str(p.relative_to(ROOT))) for p in paths]


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _where(path: Path, cell, index: int) -> str:
    return f"{path.relative_to(ROOT)} cell {index} (id {cell.get('id', '?')!r})"


def _errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


# --------------------------------------------------------------------------- execution
@pytest.fixture(scope="module")
def kernel_env() -> dict:
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _execute(path: Path, env: dict):
    """Run every cell of a fresh copy of the notebook, errors recorded in the outputs."""
    nb = _read(path)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name=KERNEL, allow_errors=True,
                            store_widget_state=False, record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)
    return nb


def _describe_errors(path: Path, nb) -> list[str]:
    return [f"{_where(path, cell, i)}: {err.ename}: {err.evalue}"
            for i, cell in enumerate(nb.cells) for err in _errors(cell)]


@pytest.mark.parametrize("path", _params(LESSONS))
def test_lesson_runs_top_to_bottom(path, kernel_env):
    problems = _describe_errors(path, _execute(path, kernel_env))
    assert not problems, "errors while running the lesson:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", _params(SOLUTIONS))
def test_solution_runs_top_to_bottom(path, kernel_env):
    problems = _describe_errors(path, _execute(path, kernel_env))
    assert not problems, "errors while running the solution:\n" + "\n".join(problems)


def _names_bound(source: str) -> set[str]:
    """Names a cell defines at top level: assignments, def, class, import, for, with."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)            # the name only: its body's locals are not global
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def _is_answer(cell) -> bool:
    return cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("solution"))


def _answer_names(solution_nb) -> set[str]:
    """Every name the instructor's answer cells define: what a release may lack."""
    return set().union(*(_names_bound(c.source) for c in solution_nb.cells if _is_answer(c)))


def exercise_problems(nb, answer_names: set[str], where=lambda cell, i: f"cell {i}") -> list[str]:
    """The errors in an executed release notebook that an untouched release must not raise.

    Allowed, and only at or after the first unanswered answer cell (one whose source still
    holds nbgrader's ``raise NotImplementedError`` stub): NotImplementedError anywhere, a
    test cell's AssertionError saying a function "is not written yet" (what the grading
    checks make of the stub), and NameError for a name in ``answer_names`` (the answer cell
    raised before defining it).
    An answer cell itself may raise only NotImplementedError.
    """
    problems, unanswered = [], False
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        answer = _is_answer(cell)
        unanswered = unanswered or (answer and bool(STUB.search(cell.source)))
        for err in _errors(cell):
            missing = re.match(r"name '(\w+)' is not defined", err.evalue)
            if not unanswered:
                why = "before any unanswered answer cell"
            elif err.ename == "NotImplementedError":
                continue
            elif err.ename == "AssertionError" and not answer and "is not written yet" in err.evalue:
                continue        # a check that found the stub says so in words
            elif err.ename == "NameError" and not answer and missing \
                    and missing.group(1) in answer_names:
                continue
            elif err.ename == "NameError":
                why = "a NameError for a name no answer cell defines"
            else:
                why = "only NotImplementedError or NameError may follow an unanswered cell"
            problems.append(f"{where(cell, i)}: {err.ename}: {err.evalue} ({why})")
    return problems


@pytest.mark.parametrize("path", _params(EXERCISES))
def test_exercise_runs_cell_by_cell(path, kernel_env):
    source = ROOT / "solutions" / path.relative_to(ROOT / "exercises")
    assert source.exists(), (f"{path.relative_to(ROOT)} has no source notebook "
                             f"{source.relative_to(ROOT)}; exercises are generated from solutions")
    nb = _execute(path, kernel_env)
    problems = exercise_problems(nb, _answer_names(_read(source)),
                                 where=lambda cell, i: _where(path, cell, i))
    assert not problems, "unexpected errors in the released exercise:\n" + "\n".join(problems)


# --------------------------------------------------------------------------- saved state
@pytest.mark.parametrize("path", _params(LESSONS + SOLUTIONS + EXERCISES))
def test_valid_with_cell_ids(path):
    nb = _read(path)
    nbformat.validate(nb)
    ids = [cell.get("id") for cell in nb.cells]
    assert all(ids), f"cells without an id: {[i for i, c in enumerate(ids) if not c]}"
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate cell ids: {duplicates}"


@pytest.mark.parametrize("path", _params(SOLUTIONS + EXERCISES))
def test_saved_without_outputs(path):
    nb = _read(path)
    dirty = [_where(path, cell, i) for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, ("these cells keep outputs or an execution count; clear them before "
                       "committing:\n" + "\n".join(dirty))


@pytest.mark.parametrize("path", _params(LESSONS))
def test_lesson_saved_clean(path):
    """Saved outputs must be what a reader can trust and render."""
    nb = _read(path)
    assert "widgets" not in nb.metadata, \
        "notebook metadata keeps widget state; execute with store_widget_state=False"
    problems = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            text = out.get("text", "") + str(data.get("text/plain", ""))
            if out.get("output_type") == "error":
                problems.append(f"{_where(path, cell, i)}: error output {out.ename}")
            if WIDGET_VIEW in data:
                # Without saved state JupyterLab shows "Error displaying widget: model not
                # found": clear the outputs of cells that display widgets.
                problems.append(f"{_where(path, cell, i)}: a widget view without its state")
            if TQDM_BAR.search(text):
                problems.append(f"{_where(path, cell, i)}: a frozen tqdm bar (pass progress=False)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", _params(LESSONS))
def test_lesson_saved_from_one_fresh_run(path):
    """Execution counts 1, 2, 3, … in cell order: the outputs come from one top-to-bottom run."""
    counts = [cell.execution_count for cell in _read(path).cells if cell.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), (
        f"execution counts {counts}: re-execute the lesson top to bottom in a fresh kernel")


# --------------------------------------------------------------------------- the checker
def _cell(source="", answer=False, error=None):
    cell = nbformat.v4.new_code_cell(source)
    if answer:
        cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False,
                                     "grade_id": "a"}
    if error:
        cell.outputs = [nbformat.v4.new_output("error", ename=error[0], evalue=error[1],
                                               traceback=[])]
    return cell


STUB_SRC = "# YOUR CODE HERE\nraise NotImplementedError()"
NIE = ("NotImplementedError", "")


@pytest.mark.parametrize("cells, ok", [
    ([_cell("import numpy"), _cell(STUB_SRC, answer=True, error=NIE),
      _cell("assert dE_dw == 1", error=("NameError", "name 'dE_dw' is not defined"))], True),
    ([_cell("def f():\n    " + STUB_SRC.replace("\n", "\n    "), answer=True),
      _cell("f()", error=NIE)], True),
    ([_cell("x = 1", answer=True), _cell("f()", error=NIE)], False),       # nothing unanswered
    ([_cell("import nump", error=("ModuleNotFoundError", "No module named 'nump'")),
      _cell(STUB_SRC, answer=True, error=NIE)], False),                    # error before
    ([_cell(STUB_SRC, answer=True, error=NIE),
      _cell("assert f() == 2", error=("AssertionError", ""))], False),     # wrong kind
    ([_cell(STUB_SRC, answer=True, error=NIE),
      _cell("check_f(f)", error=("AssertionError", "f is not written yet: …"))], True),
    ([_cell(STUB_SRC, answer=True, error=NIE),
      _cell("tpyo", error=("NameError", "name 'tpyo' is not defined"))], False),
    ([_cell(STUB_SRC, answer=True, error=("ValueError", "bad"))], False),
])
def test_exercise_checker(cells, ok):
    nb = nbformat.v4.new_notebook(cells=cells)
    problems = exercise_problems(nb, answer_names={"dE_dw", "f"})
    assert (not problems) == ok, problems


def test_answer_names():
    src = ("### BEGIN SOLUTION\nimport numpy as np\ndef sigmoid(z):\n    s = 1\n    return s\n"
           "dE_dw, dE_db = 1, 2\nclass A: pass\n### END SOLUTION\n%matplotlib inline")
    assert _names_bound(src) == {"np", "sigmoid", "dE_dw", "dE_db", "A"}   # not s: a local
