"""Tests of the tests, for every stage at once: each tests/students_stage<N>.py against
bpkit.grading.stage<N> and solutions/<assignment>/<notebook>.ipynb.

Every correct answer (the model solution and other formulas, loops, np.dot, …) must pass every
check; every classic mistake must fail with a message that names it — in the test cell a student
runs *while working* (the visible part), not only in the hidden tests, so `check`/validate and
grading agree; an answer that hands the exercise to a library must fail the own-work rule.

A students module provides: ASSIGNMENT, NOTEBOOK (the solution notebook's path), SETUP,
GRADE_IDS, CORRECT, ALTERNATIVES, MISTAKES, CALLS_BPKIT (see students_stage1.py) and POINTS
({graded cell: points}).
"""
from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings, strategies as st

REPO = Path(__file__).resolve().parents[1]
STAGES = {int(p.stem[len("students_stage"):]): importlib.import_module(p.stem)
          for p in sorted((REPO / "tests").glob("students_stage*.py"))}
SEEDS = (0, 1, 2)


def _stage(n: int):
    return importlib.import_module(f"bpkit.grading.stage{n}")


def namespace(students, **answers: str) -> dict:
    """The notebook's namespace after its locked cells and every answer cell: CORRECT, except
    the cells given by grade_id."""
    ns: dict = {}
    exec(students.SETUP, ns)
    for gid in students.GRADE_IDS:
        exec(compile(answers.get(gid, students.CORRECT[gid]), f"<answer {gid}>", "exec"), ns)
    return ns


def run_checks(n: int, grade_id: str, ns: dict, seed: int) -> None:
    getattr(_stage(n), f"check_{grade_id}")(ns[grade_id], seed=seed)


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _visible(source: str) -> str:
    """A test cell as the student's exercise notebook holds it: hidden tests removed."""
    return re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", source, flags=re.S)


def _notebook(students):
    raw = json.loads(Path(students.NOTEBOOK).read_text(encoding="utf-8"))
    cells = [SimpleNamespace(**{**c, "source": "".join(c["source"]) if isinstance(c["source"], list)
                                else c["source"]}) for c in raw["cells"]]
    return SimpleNamespace(metadata=raw["metadata"], nbformat=raw["nbformat"],
                           nbformat_minor=raw["nbformat_minor"], cells=cells)


def _test_cells(students) -> dict[str, str]:
    """answer grade_id -> the source of its test cell (test_<grade_id>)."""
    return {_nbgrader(c)["grade_id"][len("test_"):]: c.source for c in _notebook(students).cells
            if c.cell_type == "code" and _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")}


def run_cell(source: str, ns: dict) -> None:
    exec(compile(source, "<test cell>", "exec"), ns)


def _params(kind: str):
    out = []
    for n, s in STAGES.items():
        items = {"answers": s.GRADE_IDS,
                 "alternatives": [(g, i) for g, alts in s.ALTERNATIVES.items() for i in range(len(alts))],
                 "mistakes": list(s.MISTAKES),
                 "wrong": [*s.MISTAKES, *s.CALLS_BPKIT]}[kind]
        out += [pytest.param(n, item, id=f"stage{n}-{item}") for item in items]
    return out


# --- correct answers pass ----------------------------------------------------------------------

@pytest.mark.parametrize("n, grade_id", _params("answers"))
def test_correct_answer_passes_every_check(n, grade_id):
    ns = namespace(STAGES[n])
    for seed in (*SEEDS, 12345, 2**31 - 1):
        run_checks(n, grade_id, ns, seed)


@pytest.mark.parametrize("n, item", _params("alternatives"))
def test_every_other_correct_formula_passes(n, item):
    students = STAGES[n]
    grade_id, index = item
    ns = namespace(students, **{grade_id: students.ALTERNATIVES[grade_id][index]})
    for seed in SEEDS:
        run_checks(n, grade_id, ns, seed)
    run_cell(_test_cells(students)[grade_id], ns)


@pytest.mark.parametrize("n", list(STAGES))
def test_correct_answers_pass_the_notebooks_test_cells(n):
    students = STAGES[n]
    cells = _test_cells(students)
    assert set(cells) == set(students.GRADE_IDS)
    ns = namespace(students)
    for grade_id in students.GRADE_IDS:
        run_cell(cells[grade_id], ns)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_correct_answers_pass_for_any_seed(seed):
    for n, students in STAGES.items():
        ns = namespace(students)
        for grade_id in students.GRADE_IDS:
            run_checks(n, grade_id, ns, seed)


# --- classic mistakes are named while the student works -----------------------------------------

@pytest.mark.parametrize("n, name", _params("mistakes"))
def test_mistake_is_diagnosed_on_every_seed(n, name):
    grade_id, source, pattern = STAGES[n].MISTAKES[name]
    ns = namespace(STAGES[n], **{grade_id: source})
    for seed in SEEDS:
        with pytest.raises(AssertionError, match=pattern):
            run_checks(n, grade_id, ns, seed)


@pytest.mark.parametrize("n, name", _params("wrong"))
def test_the_visible_test_cell_names_the_mistake(n, name):
    """What a student sees while working: the visible part of the mistake's own test cell fails
    with its named hint — an AssertionError with that message, never a bare assert or a raw NumPy
    error — and every later test cell (visible and hidden) passes, since earlier exercises are
    swapped for references while a later one is checked. So `check`/validate and grading agree
    on every simulated answer."""
    students = STAGES[n]
    grade_id, source, pattern = {**students.MISTAKES, **students.CALLS_BPKIT}[name]
    ns = namespace(students, **{grade_id: source})
    later = False               # cells before the mistake's own cannot call the wrong function
    for gid, cell in _test_cells(students).items():
        if gid != grade_id:
            if later:
                run_cell(cell, ns)
            continue
        later = True
        for src in (_visible(cell), cell):
            with pytest.raises(AssertionError) as err:
                run_cell(src, ns)
            assert re.search(pattern, str(err.value), re.S), str(err.value)
            assert type(err.value) is AssertionError and str(err.value).startswith(grade_id)


@pytest.mark.parametrize("n", list(STAGES))
def test_unanswered_cells_say_so(n):
    students = STAGES[n]
    stub = {gid: re.sub(r'(""".*?"""\n)(.*)', r"\1    # YOUR CODE HERE\n    raise NotImplementedError()",
                        src, flags=re.S) for gid, src in students.CORRECT.items()}
    ns = namespace(students, **stub)
    for gid in students.GRADE_IDS:
        with pytest.raises(AssertionError, match=r"not written yet.*NotImplementedError"):
            run_checks(n, gid, ns, 0)


@pytest.mark.parametrize("n", list(STAGES))
def test_a_name_that_is_not_a_function(n):
    gid = STAGES[n].GRADE_IDS[0]
    with pytest.raises(AssertionError, match=rf"{gid} is None, not a function"):
        getattr(_stage(n), f"check_{gid}")(None)


# --- the notebook --------------------------------------------------------------------------------

@pytest.mark.parametrize("n", list(STAGES))
def test_notebook_layout_and_metadata(n):
    students = STAGES[n]
    notebook = _notebook(students)
    assert (notebook.nbformat, notebook.nbformat_minor) >= (4, 5)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    ids = [c.id for c in notebook.cells]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[a-z0-9-]{1,64}", i) for i in ids)
    graded, answers = {}, []
    for cell in notebook.cells:
        assert getattr(cell, "outputs", []) == [] and getattr(cell, "execution_count", None) is None
        md = _nbgrader(cell)
        if not md:
            continue
        assert md["schema_version"] == 3
        if md["solution"] and not md["grade"]:      # autograded answer: one function per cell
            assert cell.cell_type == "code" and md["locked"] is False
            assert len(re.findall(r"^def ", cell.source, flags=re.M)) == 1, md["grade_id"]
            answers.append(md["grade_id"])
        elif md["grade"] and not md["solution"]:    # test cell: the visible check speaks first
            assert cell.cell_type == "code" and md["locked"] is True
            fn = md["grade_id"][len("test_"):]
            assert f"stage{n}.check_{fn}({fn}, seed=" in _visible(cell.source)
            hidden = re.search(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", cell.source, re.S)
            assert hidden and len(re.findall(rf"stage{n}\.check_{fn}\(", hidden.group(1))) >= 2
            for line in _visible(cell.source).splitlines():
                if line.lstrip().startswith("assert "):     # no assert without a message
                    assert re.search(r', *f?"[^"]*" *$', line), f"{fn}: {line}"
            graded[md["grade_id"]] = md["points"]
        elif md["solution"] and md["grade"]:        # written answer, graded by hand
            assert cell.cell_type == "markdown" and md["locked"] is False
            assert "### BEGIN SOLUTION" in cell.source and "Mark scheme" in cell.source
            graded[md["grade_id"]] = md["points"]
        else:                                       # read-only
            assert md["locked"] is True
    assert answers == students.GRADE_IDS
    assert graded == students.POINTS


@pytest.mark.parametrize("n", list(STAGES))
def test_notebook_text_shows_no_error_like_strings(n):
    # The feedback of a correct submission must not look like it contains an error.
    for cell in _notebook(STAGES[n]).cells:
        assert not re.search(r"\b\w+(Error|Exception): ", cell.source), cell.id
