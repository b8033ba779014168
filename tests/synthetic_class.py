"""A synthetic class of hand-ins for the class grader's tests and benchmark (plain module, no tests).

make_course(root)       a copy of the course (nbgrader_config.py + solutions/) with every
                        assignment generated, as `python3 course.py generate` does
hand_in(...)            write submitted/<student>/<assignment>/<notebook>.ipynb from the released
                        notebook with some answer (and test) cells replaced, as a student would
stage1_class(kinds)     student id -> Submission for stage 1: correct, every classic mistake of
                        tests/students_stage1.py, blank, loops, kernel killers, garbage, tampering

Each Submission says what a grader should find: which answers fail (so the expected score per
test cell), which test cells were edited, whether it loops, crashes, is not a notebook, and
whether the written answers are empty.
"""
from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
TIMESTAMP = "2030-01-01 12:00:00.000000 UTC"
WRITTEN = "By the chain rule, dE/dx = w^T delta: each input feeds z through its weight."
IGNORED = shutil.ignore_patterns(".*", "__pycache__", "*.pyc", "feedback")


def nbgrader_env(root: Path) -> dict[str, str]:
    """The venv's bin/ first on PATH (nbgrader shells out to `alembic`), only the course's config."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["JUPYTER_CONFIG_DIR"] = str(root / ".jupyter-config")
    return env


def nbgrader(root: Path, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=nbgrader_env(root),
                          capture_output=True, text=True, timeout=timeout)


def assignments(solutions: Path = REPO / "solutions") -> list[str]:
    return sorted(p.name for p in solutions.iterdir() if p.is_dir() and not p.name.startswith("."))


def make_course(root: Path, only: list[str] | None = None) -> Path:
    """Copy the course's config and solutions/ to ``root`` and generate the assignments."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions", root / "solutions", ignore=IGNORED)
    for name in only or assignments():
        done = nbgrader(root, "generate_assignment", name, "--force")
        assert done.returncode == 0, done.stderr[-4000:]
    return root


def _md(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


@dataclass
class Submission:
    answers: dict[str, str] = field(default_factory=dict)   # grade_id -> source of the cell
    failing: set[str] = field(default_factory=set)          # answer grade_ids expected to score 0
    tests: dict[str, str] = field(default_factory=dict)     # test grade_id -> tampered source
    mistake: str | None = None        # the students_stage1 MISTAKES key it carries
    loops: bool = False               # one cell never ends (stopped at the cell time limit)
    crashes: bool = False             # kills its kernel: nbgrader cannot grade it
    garbage: bool = False             # not a notebook at all
    written_empty: bool = True        # the written answers left as released


def hand_in(root: Path, assignment: str, notebook: str, student: str, sub: Submission) -> Path:
    """Write the student's notebook (built from the *released* one) and a timestamp."""
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.ipynb"
    (folder / "timestamp.txt").write_text(TIMESTAMP)
    if sub.garbage:
        path.write_text("this is not a notebook {\n")
        return path
    nb = nbformat.read(root / "exercises" / assignment / f"{notebook}.ipynb", as_version=4)
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        gid = _md(cell).get("grade_id")
        if gid in sub.answers:
            cell.source = sub.answers[gid]
        elif gid in sub.tests:
            cell.source = sub.tests[gid]
    nbformat.write(nb, path)
    return path


def layout(release) -> tuple[list[str], list[str], dict[str, list[str]], dict[str, float]]:
    """(answer ids, written ids, answer id -> its test ids, test id -> points) of a notebook."""
    answers, written, tests_of, points, current = [], [], {}, {}, None
    for cell in release.cells:
        md = _md(cell)
        if md.get("solution") and not md.get("grade") and cell.cell_type == "code":
            current = md["grade_id"]
            answers.append(current)
        elif md.get("solution") and md.get("grade"):
            written.append(md["grade_id"])
        elif md.get("grade") and cell.cell_type == "code":
            points[md["grade_id"]] = float(md["points"])
            tests_of.setdefault(current, []).append(md["grade_id"])
    return answers, written, tests_of, points


def expected_scores(release, sub: Submission) -> dict[str, float]:
    """test grade_id -> the score nbgrader should give it for ``sub``."""
    _, _, tests_of, points = layout(release)
    lost = {t for a in sub.failing for t in tests_of.get(a, [])}
    return {t: 0.0 if t in lost else p for t, p in points.items()}


def stage1_class(correct: int = 1, mistakes: int | None = None, blank: int = 1, loops: int = 0,
                 crashes: int = 0, garbage: int = 0, tampered: int = 0,
                 written_by_correct: bool = True) -> dict[str, Submission]:
    """Stage-1 students: ``correct`` right ones, the first ``mistakes`` classic mistakes (all when
    None), each in a submission otherwise right, ``blank`` untouched, ``loops`` whose training
    loops forever, ``crashes`` that call os._exit, ``garbage`` that are not notebooks, and
    ``tampered`` blank ones whose test cells were replaced by `pass`."""
    import students_stage1 as s

    right = dict(s.CORRECT)
    every = set(right)
    last = s.GRADE_IDS[-1]
    written = {"input_gradient": WRITTEN, "summed_cost": WRITTEN}
    cast: dict[str, Submission] = {}
    for k in range(correct):
        cast[f"correct-{k + 1:03d}"] = Submission(
            {**right, **(written if written_by_correct else {})}, set(),
            written_empty=not written_by_correct)
    chosen = list(s.MISTAKES.items())[:mistakes]
    for k, (name, (gid, source, _)) in enumerate(chosen):
        cast[f"mistake-{k + 1:03d}"] = Submission({**right, gid: source}, {gid}, mistake=name)
    for k in range(blank):
        cast[f"blank-{k + 1:03d}"] = Submission({}, every)
    for k in range(loops):
        cast[f"loop-{k + 1:03d}"] = Submission(
            {**right, last: "while True:  # never ends\n    pass\n\n" + right[last]}, {last}, loops=True)
    for k in range(crashes):
        first = s.GRADE_IDS[0]
        cast[f"crash-{k + 1:03d}"] = Submission(
            {**right, first: "import os\nos._exit(1)\n\n" + right[first]}, every, crashes=True)
    for k in range(garbage):
        cast[f"garbage-{k + 1:03d}"] = Submission(failing=every, garbage=True)
    for k in range(tampered):
        tests = {t: "pass" for t in s.POINTS if t.startswith("test_")}
        cast[f"tampered-{k + 1:03d}"] = Submission({}, every, tests=tests)
    return cast


def sandbox_args() -> list[str]:
    """Arguments for `course.py grade` in tests: none where a sandbox can be made; where not
    (a student's machine without bubblewrap), ``--unsafe`` with a visible warning — the class
    grader's own logic is still tested, only not its isolation (tests/test_hostile.py skips).
    Under CI=true a missing sandbox is a failure instead."""
    import warnings

    from bpkit.grading import sandbox
    why = sandbox.probe()
    if why is None:
        return []
    if os.environ.get("CI") == "true":
        raise AssertionError(f"CI=true but no grading sandbox can be made: {why}")
    warnings.warn(f"grading without the sandbox (--unsafe): {why}")
    return ["--unsafe"]
