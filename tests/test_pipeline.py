"""The whole nbgrader pipeline on every assignment, with real nbgrader and one SQLite gradebook.

In a temporary copy of the course: generate the exercises, hand in one notebook per simulated
student (built from the *released* notebook, so metadata and checksums are what a student
would submit), autograde every assignment's students in one run, export grades.csv, generate
feedback. One run of each command for the whole course is shared by the small tests below
(the session's `pipeline` fixture, seen per assignment through `graded`, parametrized by the
tests/students_stage<N>.py modules) and by tests/test_pipeline_noise.py.
"""
from __future__ import annotations

import copy
import csv
import html
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import importlib

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
# One module of simulated students per assignment: tests/students_stage<N>.py
STAGES = sorted(p.stem for p in (REPO / "tests").glob("students_stage*.py"))
TIMESTAMP = "2030-01-01 12:00:00.000000 UTC"

DERIVATION = "By the chain rule, dE/dw = (a - y) * a * (1 - a) * x."  # any non-empty text


def _nbgrader_md(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _is_answer(cell) -> bool:
    md = _nbgrader_md(cell)
    return cell.cell_type == "code" and md.get("solution", False) and not md.get("grade", False)


def _is_test(cell) -> bool:
    md = _nbgrader_md(cell)
    return cell.cell_type == "code" and md.get("grade", False) and not md.get("solution", False)


@dataclass
class Layout:
    """Autograded structure of the released notebook."""
    answers: list[str] = field(default_factory=list)          # answer grade_ids, in order
    points: dict[str, float] = field(default_factory=dict)    # test grade_id -> points
    tests_of: dict[str | None, list[str]] = field(default_factory=dict)  # answer -> its tests
    manual: list[str] = field(default_factory=list)           # manually graded answers

    @classmethod
    def of(cls, nb) -> "Layout":
        layout, current = cls(), None
        for cell in nb.cells:
            if _is_answer(cell):
                current = _nbgrader_md(cell)["grade_id"]
                layout.answers.append(current)
            elif _nbgrader_md(cell).get("solution") and _nbgrader_md(cell).get("grade"):
                layout.manual.append(_nbgrader_md(cell)["grade_id"])
            elif _is_test(cell):
                gid = _nbgrader_md(cell)["grade_id"]
                layout.points[gid] = float(_nbgrader_md(cell)["points"])
                layout.tests_of.setdefault(current, []).append(gid)
        return layout

    def expected(self, failing: set[str]) -> dict[str, float]:
        """test grade_id -> expected score when the answers in `failing` are wrong (the tests of
        an answer are the test cells between it and the next answer cell)."""
        lost = {t for a in failing for t in self.tests_of.get(a, [])}
        return {t: 0.0 if t in lost else p for t, p in self.points.items()}


@dataclass
class Student:
    answers: dict[str, str]                 # answer grade_id -> source
    failing: set[str]                       # answer grade_ids expected to score zero
    tests: dict[str, str] = field(default_factory=dict)  # test grade_id -> tampered source
    hints: dict[str, str] = field(default_factory=dict)  # what went wrong -> regex for feedback


# Each wrong answer costs a whole submission's autograde (~2.5 s: kernel start, the notebook, the
# gradebook), so wrong answers to *different* exercises share a submission (answers are graded
# independently: CORRECT uses bpkit for earlier exercises). MIXED submissions, each with one
# exercise left correct (a partial score), carry the first wrong answers of every exercise,
# bpkit callers first. The whole catalogue is checked cell by cell, in-process, by
# test_grading.py; here the point is that nbgrader scores them and feedback carries the message.
MIXED = 4
# The students who exercise nbgrader itself (tampered, looping, kernel-killing) hand in the first
# assignment only; later assignments get a correct, a blank and MIXED_LATER mixed submissions,
# enough to grade each stage's checks with real nbgrader at a fraction of the time.
MIXED_LATER = 2


def _wrong_answers(students) -> dict[str, list[tuple[str, str, str]]]:
    """answer grade_id -> [(what is wrong, source, regex)], bpkit callers first."""
    pool: dict[str, list[tuple[str, str, str]]] = {}
    for key, (grade_id, source, hint) in students.CALLS_BPKIT.items():
        pool.setdefault(grade_id, []).append((f"calls bpkit ({key})", source, hint))
    for key, (grade_id, source, hint) in students.MISTAKES.items():
        pool.setdefault(grade_id, []).append((key, source, hint))
    return pool


def _cast(layout: Layout, students, first: bool) -> dict[str, Student]:
    correct = dict(students.CORRECT)
    everything = set(layout.answers)
    last = layout.answers[-1]
    cast = {
        "correct": Student({**correct, **{g: DERIVATION for g in layout.manual}}, set()),
        "untouched": Student({}, everything, hints={"untouched": r"NotImplementedError"}),
        # Test cells replaced by `pass`: restored at autograde, so blank answers still score 0.
        "tampered": Student({}, everything, tests={t: "pass" for t in layout.points}),
        # The last answer cell loops forever before defining anything: it is interrupted after
        # the configured timeout, its exercise scores zero, the earlier ones keep their marks.
        "loop": Student({**correct, last: "while True:  # never ends\n    pass\n\n" + correct[last]},
                        {last}, hints={"loop": r"CellTimeoutError"}),
        # Kills its kernel: autograde fails this one submission and carries on with the others.
        "killer": Student({**correct, layout.answers[0]:
                           "import os\nos._exit(1)\n\n" + correct[layout.answers[0]]}, everything),
    }
    if not first:
        cast = {k: v for k, v in cast.items() if k in ("correct", "untouched")}
    pool, used = _wrong_answers(students), {g: 0 for g in layout.answers}
    assert set(pool) <= everything, f"wrong answers for unknown cells: {set(pool) - everything}"
    for k in range(MIXED if first else MIXED_LATER):
        answers, hints = dict(correct), {}
        for grade_id in layout.answers:
            if grade_id == layout.answers[k % len(layout.answers)] or used[grade_id] >= len(pool.get(grade_id, [])):
                continue
            what, source, hint = pool[grade_id][used[grade_id]]
            used[grade_id] += 1
            answers[grade_id], hints[what] = source, hint
        failing = {g for g in layout.answers if answers[g] != correct[g]}
        cast[f"mixed-{k + 1}"] = Student(answers, failing, hints=hints)
    return cast


def _submission(release, answers: dict[str, str], tests: dict[str, str]):
    nb = copy.deepcopy(release)
    ids = {_nbgrader_md(c).get("grade_id") for c in nb.cells}
    assert set(answers) | set(tests) <= ids, f"unknown grade_ids {set(answers) | set(tests) - ids}"
    for cell in nb.cells:
        gid = _nbgrader_md(cell).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
        elif gid in tests:
            cell.source = tests[gid]
    return nb


def _hidden_lines(nb) -> set[str]:
    """Every line inside a ### BEGIN/END HIDDEN TESTS region of the notebook, stripped."""
    lines, inside = set(), False
    for cell in nb.cells:
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and line.strip():
                lines.add(line.strip())
    return lines


def _text(page: str) -> str:
    """What a reader sees in an HTML page: tags (incl. syntax-highlighting spans) removed."""
    page = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@dataclass
class Graded:
    assignment: str
    notebook: str
    solution: Path
    root: Path
    layout: Layout
    cast: dict[str, Student]
    autograde: object            # CompletedProcess
    csv_rows: dict[str, dict]
    cell_scores: dict[str, dict[str, float]]
    feedback: dict[str, str]     # student -> feedback page text
    submitted: dict[str, bytes]  # student -> the notebook bytes handed in
    validation: dict[str, dict]  # student -> nbgrader.validator.Validator.validate(...)
    seconds: dict[str, float]    # step -> wall time


def grade_every_assignment(root: Path, nbgrader, elsewhere: Path) -> dict[str, Graded]:
    """Every stage's simulated students hand in to the generated course ``root``; then one run of
    each command for the whole course (`nbgrader autograde "*"`: every assignment in one
    gradebook; export; `generate_feedback "*"`). Returns {students module: Graded}. Used once
    per session by the `pipeline` fixture (tests/conftest.py): the tests below and
    tests/test_pipeline_noise.py assert on it."""
    stages = {}
    for param in STAGES:
        students = importlib.import_module(param)
        ASSIGNMENT, NOTEBOOK = students.ASSIGNMENT, students.NOTEBOOK_NAME
        release = nbformat.read(root / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
        layout = Layout.of(release)
        cast = _cast(layout, students, first=param == STAGES[0])
        submitted = {}
        for name, student in cast.items():
            folder = root / "submitted" / name / ASSIGNMENT
            folder.mkdir(parents=True)
            nbformat.write(_submission(release, student.answers, student.tests),
                           folder / f"{NOTEBOOK}.ipynb")
            (folder / "timestamp.txt").write_text(TIMESTAMP)
            submitted[name] = (folder / f"{NOTEBOOK}.ipynb").read_bytes()
        stages[param] = (students, layout, cast, submitted)

    # Autograde (a subprocess, mostly one core) while this process validates two hand-ins per
    # assignment the way a student would before submitting (`nbgrader validate` exits 0 even
    # on failure, so the Validator is used in code).
    from nbgrader.validator import Validator
    seconds, start = {}, time.perf_counter()
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(nbgrader, "autograde", "*", "--force", cwd=root, timeout=900)
        validator = Validator(config=_course_config(root))
        validation = {param: {name: validator.validate(
            str(root / "submitted" / name / s.ASSIGNMENT / f"{s.NOTEBOOK_NAME}.ipynb"))
            for name in ("correct", "untouched")} for param, (s, *_) in stages.items()}
        autograde = running.result()
    seconds["autograde + validate"] = time.perf_counter() - start

    # From another directory, naming the course on the command line: the config must follow.
    export = nbgrader("export", f"--CourseDirectory.root={root}",
                      f"--to={root / 'grades.csv'}", cwd=elsewhere)
    assert export.returncode == 0, export.stderr[-4000:]
    seconds["export"] = time.perf_counter() - start - sum(seconds.values())
    with open(root / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))

    from nbgrader.api import Gradebook
    cell_scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "bpkit") as gb:
        for param, (s, layout, cast, _) in stages.items():
            for name in cast:
                nb = gb.find_submission_notebook(s.NOTEBOOK_NAME, s.ASSIGNMENT, name)
                cell_scores[param, name] = {g.name: g.score for g in nb.grades
                                            if g.name in layout.points}

    feedback = nbgrader("generate_feedback", "*", "--force", cwd=root, timeout=900)
    assert feedback.returncode == 0, feedback.stderr[-4000:]
    seconds["feedback"] = time.perf_counter() - start - sum(seconds.values())
    print(f"{sum(len(c) for _, _, c, _ in stages.values())} hand-ins;",
          ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))

    graded = {}
    for param, (students, layout, cast, submitted) in stages.items():
        ASSIGNMENT, NOTEBOOK = students.ASSIGNMENT, students.NOTEBOOK_NAME
        # nbgrader lists every student of the gradebook under every assignment (score 0
        # where they handed nothing in): keep this assignment's simulated students
        csv_rows = {row["student_id"]: row for row in rows
                    if row["assignment"] == ASSIGNMENT and row["student_id"] in cast}
        pages = {}
        for name in cast:
            page = root / "feedback" / name / ASSIGNMENT / f"{NOTEBOOK}.html"
            if page.exists():
                pages[name] = _text(page.read_text(encoding="utf-8"))
        graded[param] = Graded(ASSIGNMENT, NOTEBOOK, students.NOTEBOOK, root, layout, cast,
                               autograde, csv_rows,
                               {name: cell_scores[param, name] for name in cast}, pages,
                               submitted, validation[param], seconds)
    return graded


@pytest.fixture(scope="module", params=STAGES)
def graded(request, pipeline) -> Graded:
    return pipeline[request.param]


def _course_config(root: Path):
    """The course's nbgrader_config.py, loaded as nbgrader loads it."""
    from traitlets.config.loader import PyFileConfigLoader
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def _graded_normally(g: Graded) -> list[str]:
    return [name for name in g.cast if name != "killer"]


# --- autograde ------------------------------------------------------------------------------------

def _needs(graded: Graded, name: str) -> None:
    if name not in graded.cast:
        pytest.skip(f"the {name!r} student hands in the first assignment only")


def test_only_the_kernel_killer_fails_autograde(graded):
    log = graded.autograde.stderr + graded.autograde.stdout
    # The run covers every assignment: it exits 1 because of the first assignment's killer.
    assert graded.autograde.returncode == 1, log[-5000:]
    failed = set(re.findall(
        rf"There was an error processing assignment '{graded.assignment}' for student '([^']+)'", log))
    if "killer" not in graded.cast:
        assert failed == set(), log[-5000:]
        return
    assert failed == {"killer"}, log[-5000:]
    assert "Kernel died" in log
    for name in _graded_normally(graded):
        assert (graded.root / "autograded" / name / graded.assignment / f"{graded.notebook}.ipynb").exists(), name


def test_the_kernel_killer_loses_nothing(graded):
    _needs(graded, "killer")
    # Its hand-in is untouched and on record (score 0 until fixed and regraded); no half-graded copy.
    handed_in = graded.root / "submitted" / "killer" / graded.assignment / f"{graded.notebook}.ipynb"
    assert handed_in.read_bytes() == graded.submitted["killer"]
    assert not (graded.root / "autograded" / "killer" / graded.assignment).exists()
    assert float(graded.csv_rows["killer"]["score"]) == 0.0


def test_the_configured_cell_timeout_stops_the_loop_once(graded):
    _needs(graded, "loop")
    timeout = _course_config(graded.root).ExecutePreprocessor.timeout
    assert 5 <= timeout <= 30, "a per-cell limit of seconds, not nbgrader's default 30 s or none"
    log = graded.autograde.stderr
    stops = re.findall(r"Timeout waiting for execute reply \((\d+)s\)", log)
    assert stops == [str(timeout)], log[-5000:]  # applied to the looping cell, and not retried


def test_tampered_tests_are_restored_from_the_gradebook(graded):
    _needs(graded, "tampered")
    autograded = nbformat.read(graded.root / "autograded" / "tampered" / graded.assignment
                               / f"{graded.notebook}.ipynb", as_version=4)
    solution = nbformat.read(graded.solution, as_version=4)
    original = {_nbgrader_md(c)["grade_id"]: c.source for c in solution.cells if _is_test(c)}
    restored = {_nbgrader_md(c)["grade_id"]: c.source for c in autograded.cells if _is_test(c)}
    assert restored == original


def test_every_test_cell_scores_exactly_as_expected(graded):
    wrong = {}
    for name in _graded_normally(graded):
        expected = graded.layout.expected(graded.cast[name].failing)
        if graded.cell_scores[name] != expected:
            wrong[name] = {t: (graded.cell_scores[name].get(t), p) for t, p in expected.items()
                           if graded.cell_scores[name].get(t) != p}
    assert not wrong, f"(got, expected) per test cell: {wrong}"


def test_grades_csv_has_every_students_exact_score(graded):
    full = sum(graded.layout.points.values())
    assert set(graded.csv_rows) == set(graded.cast)
    got = {name: float(row["score"]) for name, row in graded.csv_rows.items()}
    expected = {name: sum(graded.layout.expected(s.failing).values())
                for name, s in graded.cast.items()}
    if "killer" in expected:
        expected["killer"] = 0.0
    assert got == expected
    assert expected["correct"] == full > 0 and expected["untouched"] == 0.0
    assert all(0 < expected[n] < full for n in graded.cast if n.startswith("mixed-"))


# --- feedback -------------------------------------------------------------------------------------

def test_feedback_never_shows_hidden_test_source(graded):
    solution = nbformat.read(graded.solution, as_version=4)
    release = (graded.root / "exercises" / graded.assignment / f"{graded.notebook}.ipynb").read_text()
    answers = "\n".join(source for s in graded.cast.values() for source in s.answers.values())
    # Lines that are secret: hidden, and not also visible in the exercise or a student's answer.
    secret = {ln for ln in _hidden_lines(solution)
              if len(ln) >= 8 and ln not in release and ln not in answers}
    assert secret, f"{graded.assignment} should have hidden tests"
    instructor_copy = (graded.root / "autograded" / "correct" / graded.assignment
                       / f"{graded.notebook}.ipynb").read_text()
    assert all(ln in instructor_copy for ln in secret)  # restored at autograde, so a real risk

    assert set(graded.feedback) == set(_graded_normally(graded))
    leaks = {name: sorted(ln for ln in secret if ln in page)
             for name, page in graded.feedback.items()}
    assert not any(leaks.values()), leaks
    assert all("# (hidden tests run here)" in page for page in graded.feedback.values())


def test_feedback_names_each_mistake(graded):
    missing = {(name, what): hint for name, s in graded.cast.items() if name in graded.feedback
               for what, hint in s.hints.items() if not re.search(hint, graded.feedback[name])}
    assert not missing, f"feedback lacks the expected message: {missing}"
    mixed = sum(name.startswith("mixed-") for name in graded.cast)
    assert sum(len(s.hints) for s in graded.cast.values()) >= mixed * (len(graded.layout.answers) - 1)


def test_feedback_of_a_correct_submission_shows_no_error(graded):
    assert not re.search(r"\b\w+(Error|Exception): ", graded.feedback["correct"])


# --- validation (what students run before submitting) -------------------------------------------

def test_validator_passes_the_correct_submission_and_fails_the_blank_one(graded):
    assert graded.validation["correct"] == {}
    blank = graded.validation["untouched"]
    answer_tests = [t for a in graded.layout.answers for t in graded.layout.tests_of.get(a, [])]
    assert set(blank) == {"failed"}
    assert len(blank["failed"]) == len(answer_tests) + len(graded.layout.manual)


# --- the feedback filter on its own (no nbgrader run) ---------------------------------------------

def test_hide_hidden_tests_keeps_visible_tests_and_messages_only():
    from bpkit.grading.feedback import HideHiddenTests

    cell = nbformat.v4.new_code_cell(
        "def helper():\n"
        "    ### BEGIN HIDDEN TESTS\n"
        "    secret_check(seed=12345)\n"
        "    ### END HIDDEN TESTS\n"
        "    return 1\n"
        "assert visible_check(), 'visible message'")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr",
                               text="x.py:3: RuntimeWarning: overflow\n  secret_check(seed=12345)\nok\n"),
        nbformat.v4.new_output("error", ename="AssertionError", evalue="sigmoid: minus sign missing",
                               traceback=["\x1b[0;31m----> 3\x1b[0m secret_check(seed=12345)",
                                          "\x1b[0;31mAssertionError\x1b[0m: sigmoid: minus sign missing"]),
    ]
    timeout = nbformat.v4.new_code_cell("train()")
    timeout.outputs = [nbformat.v4.new_output(
        "error", ename="CellTimeoutError", evalue="",
        traceback=["\x1b[0;31mCellTimeoutError\x1b[0m: No reply from kernel before timeout"])]
    nb = nbformat.v4.new_notebook(cells=[cell, timeout])

    nb, _ = HideHiddenTests().preprocess(nb, {})

    assert cell.source == ("def helper():\n    # (hidden tests run here)\n    return 1\n"
                           "assert visible_check(), 'visible message'")
    assert cell.outputs[0].text == "x.py:3: RuntimeWarning: overflow\nok\n"
    assert cell.outputs[1].traceback == ["AssertionError: sigmoid: minus sign missing"]
    assert timeout.outputs[0].traceback == ["CellTimeoutError: No reply from kernel before timeout"]


def test_an_unterminated_hidden_region_is_hidden_to_the_end_of_the_cell():
    from bpkit.grading.feedback import hide_hidden_source

    source, hidden = hide_hidden_source("a = 1\n### BEGIN HIDDEN TESTS\nsecret()\nmore()")
    assert (source, hidden) == ("a = 1\n# (hidden tests run here)", ["secret()", "more()"])
