"""The student's loop: `course.py start` (working copies in work/), `course.py check` (run as the
grader will, a table of what fails), `course.py generate` that never loses exercises/, and
`course.py student-release` (a copy without solutions/).

Notebook executions (a few seconds each) are limited to three: the toy notebook wrong and right,
and the stage-1 exercise in a student release.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bpkit import coursework

ROOT = Path(__file__).resolve().parents[1]


# --- course.py, loaded as a module and pointed at a course in tmp_path -------------------------

@pytest.fixture
def course(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("course_for_coursework", ROOT / "course.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "ROOT", tmp_path)
    monkeypatch.setattr(mod, "setup", lambda *a, **k: None)   # no venv work in these tests
    mod.calls = []
    monkeypatch.setattr(mod, "_run", lambda *cmd, check=True: mod.calls.append([str(c) for c in cmd]) or 0)
    for name in ("01-single-neuron", "02-three-layer-mse"):
        (tmp_path / "exercises" / name).mkdir(parents=True)
        (tmp_path / "exercises" / name / "nb.ipynb").write_text(f"released {name}")
    return mod


def test_start_copies_the_release_into_work_and_prints_the_path(course, capsys):
    assert course.main(["start", "01"]) == 0
    copy = course.ROOT / "work" / "01-single-neuron" / "nb.ipynb"
    assert copy.read_text() == "released 01-single-neuron"
    assert "work/01-single-neuron/nb.ipynb" in capsys.readouterr().out


def test_start_accepts_the_number_or_the_full_name_and_rejects_others(course, capsys):
    assert course.main(["start", "2"]) == 0
    assert course.main(["start", "01-single-neuron"]) == 0
    assert sorted(p.name for p in (course.ROOT / "work").iterdir()) == [
        "01-single-neuron", "02-three-layer-mse"]
    capsys.readouterr()
    assert course.main(["start", "07"]) == 2
    assert "01-single-neuron, 02-three-layer-mse" in capsys.readouterr().out


def test_start_again_keeps_the_work_and_says_how_to_reset(course, capsys):
    course.main(["start", "01"])
    copy = course.ROOT / "work" / "01-single-neuron" / "nb.ipynb"
    copy.write_text("my answers")
    capsys.readouterr()
    assert course.main(["start", "01"]) == 0
    out = capsys.readouterr().out
    assert copy.read_text() == "my answers"
    assert "already there" in out and "start 01 --reset" in out


def test_reset_starts_over_and_keeps_every_earlier_copy_as_a_backup(course, capsys):
    course.main(["start", "01"])
    copy = course.ROOT / "work" / "01-single-neuron" / "nb.ipynb"
    copy.write_text("first try")
    assert course.main(["start", "01", "--reset"]) == 0
    copy.write_text("second try")
    assert course.main(["start", "01", "--reset"]) == 0        # twice within a second
    assert copy.read_text() == "released 01-single-neuron"
    backups = sorted((course.ROOT / "work").glob("01-single-neuron.backup-*"))
    assert sorted((b / "nb.ipynb").read_text() for b in backups) == ["first try", "second try"]
    assert "backup" in capsys.readouterr().out


def test_start_works_from_any_directory(tmp_path):
    """A real run of course.py (start needs no virtual environment) from another folder."""
    root = tmp_path / "course"
    (root / "exercises" / "01-single-neuron").mkdir(parents=True)
    (root / "exercises" / "01-single-neuron" / "nb.ipynb").write_text("{}")
    (root / "course.py").write_bytes((ROOT / "course.py").read_bytes())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([sys.executable, str(root / "course.py"), "start", "01"], cwd=elsewhere,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (root / "work" / "01-single-neuron" / "nb.ipynb").exists()
    assert not (elsewhere / "work").exists()


def test_check_resolves_paths_from_the_callers_directory_and_names_to_working_copies(
        course, tmp_path, monkeypatch, capsys):
    course.main(["start", "01"])
    monkeypatch.chdir(course.ROOT / "work" / "01-single-neuron")
    assert course.main(["check", "nb.ipynb"]) == 0
    assert course.main(["check", "01"]) == 0
    assert course.main(["check"]) == 0
    first, second, third = course.calls
    assert first[1:5] == ["-m", "bpkit.coursework", "check", f"--root={course.ROOT}"]
    assert first[5:] == [str(course.ROOT / "work" / "01-single-neuron" / "nb.ipynb")]
    assert second[5:] == [str(course.ROOT / "work" / "01-single-neuron")]
    assert third[5:] == []
    capsys.readouterr()
    assert course.main(["check", "02"]) == 2           # released, but not started
    assert "start 02" in capsys.readouterr().out
    assert len(course.calls) == 3


# --- course.py generate: nothing committed is ever lost --------------------------------------------

def _fake_nbgrader(course, behaviour):
    """Replace _run by a fake `nbgrader generate_assignment NAME --force --CourseDirectory.root=R`
    that acts on R (the temporary copy) as ``behaviour(root, name)`` says and returns its code."""
    def run(*cmd, check=True):
        cmd = [str(c) for c in cmd]
        root = Path(next(c for c in cmd if c.startswith("--CourseDirectory.root=")).split("=", 1)[1])
        course.calls.append(cmd)
        return behaviour(root, cmd[2])
    return run


def _solutions(course, *names):
    for name in names:
        (course.ROOT / "solutions" / name).mkdir(parents=True)
        (course.ROOT / "solutions" / name / "nb.ipynb").write_text(f"solution {name}")
    (course.ROOT / "nbgrader_config.py").write_text("c = get_config()\n")


def test_generate_that_fails_half_way_leaves_exercises_as_they_were(course, monkeypatch):
    _solutions(course, "01-single-neuron", "02-three-layer-mse")
    (course.ROOT / "gradebook.db").write_text("grades")

    def delete_then_fail(root, name):     # what nbgrader does without `alembic` on PATH
        out = root / "exercises" / name
        out.mkdir(parents=True, exist_ok=True)
        (out / "nb.ipynb").write_text("new")
        if name.startswith("02"):
            for p in (root / "exercises").glob("*/*"):
                p.unlink()
            (root / "gradebook.db").unlink(missing_ok=True)
            return 1
        return 0

    monkeypatch.setattr(course, "_run", _fake_nbgrader(course, delete_then_fail))
    assert course.main(["generate"]) == 1
    for name in ("01-single-neuron", "02-three-layer-mse"):
        assert (course.ROOT / "exercises" / name / "nb.ipynb").read_text() == f"released {name}"
    assert (course.ROOT / "gradebook.db").read_text() == "grades"


def test_generate_that_writes_nothing_leaves_exercises_as_they_were(course, monkeypatch):
    _solutions(course, "01-single-neuron")
    monkeypatch.setattr(course, "_run", _fake_nbgrader(course, lambda root, name: 0))
    assert course.main(["generate"]) == 1
    assert (course.ROOT / "exercises" / "01-single-neuron" / "nb.ipynb").exists()


def test_generate_that_succeeds_replaces_exercises_and_the_gradebook(course, monkeypatch):
    _solutions(course, "01-single-neuron")

    def generate(root, name):
        (root / "exercises" / name).mkdir(parents=True)
        (root / "exercises" / name / "nb.ipynb").write_text(f"generated {name}")
        (root / "gradebook.db").write_text("assignment recorded")
        return 0

    monkeypatch.setattr(course, "_run", _fake_nbgrader(course, generate))
    assert course.main(["generate"]) == 0
    assert (course.ROOT / "exercises" / "01-single-neuron" / "nb.ipynb").read_text() == \
        "generated 01-single-neuron"
    assert (course.ROOT / "exercises" / "02-three-layer-mse" / "nb.ipynb").exists()  # not in solutions/
    assert (course.ROOT / "gradebook.db").read_text() == "assignment recorded"
    assert sorted(p.name for p in (course.ROOT / "exercises").iterdir()) == [
        "01-single-neuron", "02-three-layer-mse"]                   # no staging folders left


# --- check: a toy assignment of our own, run for real -------------------------------------------

def _cell(kind, source, **nbgrader):
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False,
                                     "locked": False, "task": False, **nbgrader}
    return cell


def _answer(gid, source):
    return _cell("code", source, grade_id=gid, solution=True)


def _test(gid, source, points):
    return _cell("code", source, grade_id=gid, grade=True, locked=True, points=points)


BLANK = "    # YOUR CODE HERE\n    raise NotImplementedError()"
TOY = {  # answer grade_id -> (blank answer, test source, points, right answer)
    "double": ("def double(x):\n" + BLANK,
               'assert double(2) == 4, ("double(2) should be 4, twice 2. A longer explanation '
               'follows, and it goes on and on, well past the width of a table row.")',
               2, "def double(x):\n    return 2 * x"),
    "half": ("def half(x):\n" + BLANK, 'assert half(4) == 2, "half(4) should be 2"', 1,
             "def half(x):\n    return x / 2"),
    "spin": ("def spin():\n" + BLANK, "spin()", 1, "def spin():\n    return None"),
    "broken": ("def broken():\n" + BLANK, "assert broken() == 1", 1, "def broken():\n    return 1"),
    "triple": ("def triple(x):\n" + BLANK, "assert triple(1) == 3", 1, "def triple(x):\n    return 3 * x"),
    "bare": ("def bare():\n" + BLANK, "assert bare() == 1", 1, "def bare():\n    return 1"),
}


def _toy_release():
    cells = [_cell("code", "import math", grade_id="setup", locked=True)]
    for gid, (blank, test, points, _) in TOY.items():
        cells += [_answer(gid, blank), _test(f"test_{gid}", test, points)]
    cells.append(_cell("markdown", "YOUR ANSWER HERE", grade_id="explain", grade=True,
                       solution=True, points=2))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


TIMEOUT = 2   # the toy course's per-cell limit, set in its copy of nbgrader_config.py


@pytest.fixture
def toy_course(tmp_path):
    root = tmp_path / "course"
    config, n = re.subn(r"^TIMEOUT = \d+$", f"TIMEOUT = {TIMEOUT}",
                        (ROOT / "nbgrader_config.py").read_text(), flags=re.M)
    assert n == 1, "nbgrader_config.py should set the per-cell limit as `TIMEOUT = <seconds>`"
    root.mkdir()
    (root / "nbgrader_config.py").write_text(config)
    (root / "exercises" / "toy").mkdir(parents=True)
    nbformat.write(_toy_release(), root / "exercises" / "toy" / "toy.ipynb")
    (root / "work" / "toy").mkdir(parents=True)
    return root


def _working_copy(root, answers, written=None, tests=None, drop=()):
    nb = _toy_release()
    kept = []
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in drop:
            continue
        cell.source = {**answers, **(tests or {}), **(written or {})}.get(gid, cell.source)
        kept.append(cell)
    nb.cells = kept
    nbformat.write(nb, root / "work" / "toy" / "toy.ipynb")


def _rows(out: str) -> dict[str, tuple[str, str, str]]:
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^  (\w+)\s+(\d+)\s+(passed|FAILED|EMPTY|written|MISSING)\s*(.*)$", line)
        if m:
            rows[m[1]] = (m[2], m[3], m[4])
    return rows


def test_check_runs_as_the_grader_and_names_what_fails(toy_course, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "130")    # diagnoses are cut to the terminal's width
    _working_copy(toy_course, {
        "double": "def double(x):\n    return x + 2 if x != 2 else 5",
        "spin": "def spin():\n    while True:\n        pass",
        "broken": "def broken(:\n    return 1",
        "bare": "def bare():\n    return 2",
    }, tests={"test_double": "pass  # nothing to see"}, drop={"test_triple"})
    # A backup made by `start --reset` is not checked.
    (toy_course / "work" / "toy.backup-20300101-120000").mkdir()
    nbformat.write(_toy_release(), toy_course / "work" / "toy.backup-20300101-120000" / "toy.ipynb")

    status = coursework.main(["check", "--root", str(toy_course)])
    out = capsys.readouterr().out
    rows = _rows(out)

    assert status == 1, out
    assert out.count("work/toy/toy.ipynb") == 1 and "backup" not in out
    assert rows["test_double"] == ("2", "FAILED", "double(2) should be 4, twice 2.")  # restored test
    assert rows["test_half"] == ("1", "FAILED",
                                 "not answered yet: the answer cell still raises NotImplementedError")
    assert rows["test_spin"][1] == "FAILED"
    assert rows["test_spin"][2] == (f"ran past {TIMEOUT} seconds (the limit per cell) and was "
                                    "stopped: it may loop forever")
    assert rows["test_broken"][1] == "FAILED"
    assert rows["test_broken"][2].startswith("your answer cell failed: SyntaxError")
    assert rows["test_bare"] == ("1", "FAILED", "AssertionError in `assert bare() == 1`")
    assert rows["test_triple"][1] == "MISSING"
    assert rows["explain"] == ("2", "EMPTY", "written answer: still to write")
    assert "You changed the read-only cell(s) test_double" in out
    assert "Tests: 0 of 6 passed (0 of 7 points)" in out


def test_check_passes_a_finished_notebook_with_exit_status_zero(toy_course, capsys):
    _working_copy(toy_course, {gid: right for gid, (_, _, _, right) in TOY.items()},
                  written={"explain": "Because 2x is x + x."})
    status = coursework.main(["check", "--root", str(toy_course),
                              str(toy_course / "work" / "toy")])
    out = capsys.readouterr().out
    assert status == 0, out
    assert {gid: r[1] for gid, r in _rows(out).items()} == {
        **{f"test_{gid}": "passed" for gid in TOY}, "explain": "written"}
    assert "Tests: 6 of 6 passed (7 of 7 points)" in out


def test_check_without_working_copies_says_how_to_start(toy_course, capsys):
    assert coursework.main(["check", "--root", str(toy_course)]) == 2
    assert "start toy" in capsys.readouterr().out


def test_check_refuses_a_notebook_without_a_release(toy_course, tmp_path, capsys):
    stray = tmp_path / "mine" / "toy.ipynb"
    stray.parent.mkdir()
    nbformat.write(_toy_release(), stray)
    assert coursework.main(["check", "--root", str(toy_course), str(stray)]) == 2
    assert "no released exercise" in capsys.readouterr().out


def test_first_line_cuts_at_a_sentence_or_a_word():
    assert coursework.first_line("short\nsecond line") == "short"
    long = "sigmoid: the result is NaN at z = -1000. " + "More words here. " * 10
    assert coursework.first_line(long, 60) == "sigmoid: the result is NaN at z = -1000. More words here."
    words = "a" * 10 + " bbbbbbbbbb" * 12
    cut = coursework.first_line(words, 50)
    assert len(cut) <= 50 and cut.endswith(" …") and words.startswith(cut[:-2])


def test_the_timeout_message_reaches_feedback_and_validate_in_words():
    """The message configured for nbgrader's Execute (used by validate, autograde and check)
    is what the feedback page shows for a timed-out cell."""
    from bpkit.grading.feedback import error_summary

    config = coursework.course_config(ROOT)
    error = dict(config.Execute.error_on_timeout)
    seconds = config.ExecutePreprocessor.timeout
    assert error["ename"] == "CellTimeoutError"
    summary = error_summary(error)
    assert f"running for {seconds} seconds" in summary and "loop forever" in summary
    assert summary.startswith("CellTimeoutError: ")
    assert "loop forever" in error["traceback"][-1]


# --- student-release ------------------------------------------------------------------------

def test_student_readme_drops_the_instructor_parts():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    begin, end = "<!-- not in the student release -->", "<!-- end: not in the student release -->"
    assert text.count(begin) == text.count(end) >= 1
    student = _course_module().student_readme(text)
    for secret in ("solutions/", "nbgrader autograde", "generate_feedback", "student release -->",
                   "For instructors", "For course authors"):
        assert secret not in student, secret
    assert "course.py check" in student and "course.py start" in student


def _course_module():
    spec = importlib.util.spec_from_file_location("course_release", ROOT / "course.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def student_copy(tmp_path_factory):
    dest = tmp_path_factory.mktemp("release") / "bpkit-students"
    done = subprocess.run([sys.executable, str(ROOT / "course.py"), "student-release", str(dest)],
                          capture_output=True, text=True, timeout=120, cwd=dest.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    return dest


def test_student_release_holds_the_course_without_solutions_or_tests(student_copy):
    top = {p.name for p in student_copy.iterdir()}
    assert {"README.md", "LICENSE", "course.py", "pyproject.toml", "nbgrader_config.py",
            "bpkit", "lessons", "exercises"} <= top
    assert not top & {"solutions", "tests", ".git", "gradebook.db", "submitted", "autograded",
                      "feedback", "work", ".venv", "benchmarks"}
    assert not list(student_copy.rglob("__pycache__")) and not list(student_copy.rglob("*.egg-info"))
    assert sorted(p.name for p in (student_copy / "exercises").iterdir()) == sorted(
        p.name for p in (ROOT / "exercises").iterdir() if p.is_dir())
    assert "solutions/" not in (student_copy / "README.md").read_text(encoding="utf-8")


def test_student_release_refuses_a_folder_that_is_not_empty(student_copy, capsys):
    assert _course_module().main(["student-release", str(student_copy)]) == 2
    assert "not empty" in capsys.readouterr().out


def test_student_release_has_every_file_its_install_reads(student_copy):
    """What `pip install -e .` and `course.py setup` read: pyproject.toml's readme and licence
    files, the bpkit package, and the lock file when the course has one (the full install is
    test_student_release_installs_from_scratch, a slow test)."""
    pyproject = (student_copy / "pyproject.toml").read_text()
    named = re.findall(r'^readme = "([^"]+)"', pyproject, flags=re.M)
    named += re.findall(r'"([^"]+)"', "".join(re.findall(r"^license-files = \[(.*)\]", pyproject, flags=re.M)))
    assert named and all((student_copy / n).is_file() for n in named), named
    assert (student_copy / "bpkit" / "__init__.py").is_file()
    for lock in ("requirements-lock.txt", "uv.lock"):
        assert (student_copy / lock).exists() == (ROOT / lock).exists(), lock


def test_student_release_starts_and_checks_with_its_own_bpkit(student_copy):
    """`course.py start 01` in the copy, then its check, with the copy's bpkit first on the path
    (this environment stands in for the one `course.py setup` would make in the copy)."""
    exercise = sorted(p.name for p in (student_copy / "exercises").iterdir())[0]
    started = subprocess.run([sys.executable, str(student_copy / "course.py"), "start", exercise],
                             capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr
    env = {**os.environ, "PYTHONPATH": str(student_copy)}
    where = subprocess.run([sys.executable, "-c", "import bpkit; print(bpkit.__file__)"],
                           env=env, cwd=student_copy, capture_output=True, text=True, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(student_copy), where.stdout + where.stderr
    checked = subprocess.run([sys.executable, "-m", "bpkit.coursework", "check",
                              f"--root={student_copy}"], env=env, cwd=student_copy,
                             capture_output=True, text=True, timeout=300)
    rows = _rows(checked.stdout)
    assert checked.returncode == 1, checked.stdout + checked.stderr   # a blank exercise fails
    assert rows and all(r[1] in ("FAILED", "EMPTY") for r in rows.values()), checked.stdout


@pytest.mark.skipif(os.environ.get("BPKIT_SLOW_TESTS") != "1",
                    reason="SLOW (a new virtual environment, every dependency installed): "
                           "run with BPKIT_SLOW_TESTS=1")
def test_student_release_installs_from_scratch(student_copy):
    """SLOW. The student's own first command in the copy: `course.py setup`, then `check`."""
    exercise = sorted(p.name for p in (student_copy / "exercises").iterdir())[0]
    for cmd in (["setup"], ["start", exercise], ["check"]):
        done = subprocess.run([sys.executable, str(student_copy / "course.py"), *cmd],
                              capture_output=True, text=True, timeout=1800)
        assert done.returncode == (1 if cmd == ["check"] else 0), done.stdout + done.stderr
    rows = _rows(done.stdout)                       # a blank exercise: nothing passes yet
    assert rows and all(r[1] in ("FAILED", "EMPTY") for r in rows.values()), done.stdout
