"""`course.py grade`: parallel autograde, checked against serial `nbgrader autograde`.

Two copies of one course get the same hand-ins from a small synthetic class (correct, two
classic mistakes, blank, tampered test cells, a loop, a kernel killer, a file that is not a
notebook, a folder without a notebook). Copy A is graded by plain serial `nbgrader autograde`;
copy B by the class grader, interrupted with Ctrl-C after a few students and run again with more
workers than cores. Both gradebooks and both CSV exports must be identical, and the grader's
records must say what happened to each student.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

import synthetic_class as sc

ASSIGNMENT, NOTEBOOK = "01-single-neuron", "single-neuron"
REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 5     # the per-cell limit in both copies: the looping student costs this, not 10 s


def _grade(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bpkit.grading.classgrade", ASSIGNMENT,
                             f"--root={root}", *args, *sc.sandbox_args()], cwd=root, env=sc.nbgrader_env(root),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def grade(root: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    process = _grade(root, *args)
    out, _ = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, out, "")


def gradebook(root: Path) -> dict:
    """Everything autograde writes, per student: submission, and per cell scores and comments."""
    from nbgrader.api import Gradebook

    state = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "bpkit") as gb:
        for student in gb.students:
            for sub in student.submissions:
                state[student.id] = {
                    "timestamp": str(sub.timestamp), "late": sub.late_submission_penalty,
                    "score": sub.score, "max": sub.max_score,
                    "cells": {(nb.name, g.name): (g.auto_score, g.manual_score, g.max_score,
                                                  g.needs_manual_grade)
                              for nb in sub.notebooks for g in nb.grades},
                    "comments": {(nb.name, c.name): c.auto_comment
                                 for nb in sub.notebooks for c in nb.comments}}
    return state


def export(root: Path) -> dict[str, dict]:
    done = sc.nbgrader(root, "export", f"--to={root / 'grades.csv'}")
    assert done.returncode == 0, done.stderr[-3000:]
    with open(root / "grades.csv", newline="") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


@dataclass
class Run:
    serial: Path
    parallel: Path
    cast: dict
    first: subprocess.CompletedProcess     # interrupted
    before: dict                           # records on disk after the interruption
    second: subprocess.CompletedProcess    # resumed, many workers
    third: subprocess.CompletedProcess     # nothing left to do


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    base = sc.make_course(tmp_path_factory.mktemp("classgrade") / "course", [ASSIGNMENT])
    config = base / "nbgrader_config.py"
    text = config.read_text()
    assert text.count("TIMEOUT = 10\n") == 1
    config.write_text(text.replace("TIMEOUT = 10\n", f"TIMEOUT = {TIMEOUT}\n"))
    cast = sc.stage1_class(correct=1, mistakes=None, blank=1, loops=1, crashes=1, garbage=1,
                           tampered=1)
    keep = {"mistake-001", "mistake-040"}        # a sigmoid and a neuron_gradients mistake
    cast = {k: v for k, v in cast.items() if not k.startswith("mistake-") or k in keep}
    for name, sub in cast.items():
        sc.hand_in(base, ASSIGNMENT, NOTEBOOK, name, sub)
    (base / "submitted" / "nothing-001" / ASSIGNMENT).mkdir(parents=True)
    (base / "submitted" / "nothing-001" / ASSIGNMENT / "timestamp.txt").write_text(sc.TIMESTAMP)
    serial, parallel = base.with_name("serial"), base.with_name("parallel")
    shutil.copytree(base, serial)
    shutil.copytree(base, parallel)

    records = parallel / "reports" / ASSIGNMENT / "records"
    process = _grade(parallel, "--jobs=2")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(records.glob("*.json"))) < 3:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=120)
    first = subprocess.CompletedProcess(process.args, process.returncode, out, "")
    before = {p.stem: p.read_bytes() for p in records.glob("*.json")}

    # Serial nbgrader while nothing else runs; then the resumed run with 6 workers on 2 cores.
    done = sc.nbgrader(serial, "autograde", ASSIGNMENT)
    assert "error processing assignment" in done.stderr        # the crash and the garbage
    second = grade(parallel, "--jobs=6")
    third = grade(parallel)
    return Run(serial, parallel, cast, first, before, second, third)


def _records(root: Path) -> dict[str, dict]:
    from bpkit.grading.classgrade import read_records
    return read_records(root, ASSIGNMENT)


# --- the same grades as serial nbgrader -----------------------------------------------------------

def test_gradebook_is_exactly_that_of_serial_nbgrader(run):
    serial, parallel = gradebook(run.serial), gradebook(run.parallel)
    assert set(serial) == set(run.cast)           # the folder without a notebook: no entry
    differ = {name: {key: (parallel.get(name, {}).get(key), value) for key, value in serial[name].items()
                     if parallel.get(name, {}).get(key) != value} for name in serial}
    assert parallel == serial, {name: d for name, d in differ.items() if d}


def test_csv_export_is_exactly_that_of_serial_nbgrader(run):
    serial, parallel = export(run.serial), export(run.parallel)
    assert parallel == serial
    release = nbformat.read(run.parallel / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    for name, sub in run.cast.items():            # and those are the right scores
        expected = 0.0 if sub.crashes or sub.garbage else sum(sc.expected_scores(release, sub).values())
        assert float(parallel[name]["score"]) == expected, name


def test_autograded_notebooks_match_serial_ones(run):
    """Same cells, same sources, same errors (outputs may differ only in timing metadata)."""
    def shape(root, name):
        path = root / "autograded" / name / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        if not path.exists():
            return None
        nb = nbformat.read(path, as_version=4)
        return [(c.cell_type, c.source, [o.get("ename") for o in c.get("outputs", [])
                                         if o.get("output_type") == "error"]) for c in nb.cells]
    for name in run.cast:
        assert shape(run.parallel, name) == shape(run.serial, name), name


# --- what cannot be graded is recorded, and stops nothing --------------------------------------

def test_each_student_is_recorded_with_what_happened(run):
    records = _records(run.parallel)
    status = {name: r["status"] for name, r in records.items()}
    assert status == {
        "correct-001": "graded", "mistake-001": "graded", "mistake-040": "graded",
        "blank-001": "graded", "tampered-001": "graded", "loop-001": "timed out",
        "crash-001": "crashed", "garbage-001": "not a notebook", "nothing-001": "no notebook"}
    assert "Kernel died" in records["crash-001"]["error"]
    assert "JSON" in records["garbage-001"]["error"]


def test_a_crash_leaves_the_hand_in_and_no_half_graded_copy(run):
    sub = run.parallel / "submitted" / "crash-001" / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
    assert sub.read_bytes() == (run.serial / "submitted" / "crash-001" / ASSIGNMENT
                                / f"{NOTEBOOK}.ipynb").read_bytes()
    assert not (run.parallel / "autograded" / "crash-001" / ASSIGNMENT).exists()


def test_the_loop_is_stopped_at_the_cell_limit_and_the_rest_graded(run):
    record = _records(run.parallel)["loop-001"]
    nb = record["notebooks"][NOTEBOOK]
    last = sc.layout(nbformat.read(run.parallel / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                                   as_version=4))[0][-1]
    assert nb["stopped"] == [last]
    assert {t: f["kind"] for t, f in nb["failing"].items()} == {f"test_{last}": "timed out"}
    assert record["timeout"] == TIMEOUT
    assert sum(g["score"] for g in nb["grades"].values()) > 0


def test_diagnoses_come_from_the_checks(run):
    import students_stage1 as s

    records = _records(run.parallel)
    for name in ("mistake-001", "mistake-040"):
        mistake = run.cast[name].mistake
        grade_id, _, hint = s.MISTAKES[mistake]
        failing = records[name]["notebooks"][NOTEBOOK]["failing"]
        assert list(failing) == [f"test_{grade_id}"], (name, failing)
        found = failing[f"test_{grade_id}"]
        assert found["kind"] == "mistake" and found["exercise"] == grade_id
        assert found["message"].startswith(f"AssertionError: {grade_id}: "), found
        import re
        assert re.search(hint, found["diagnosis"]) or re.search(hint, found["message"]), found


def test_tampering_and_empty_written_answers_are_recorded(run):
    records = _records(run.parallel)
    release = nbformat.read(run.parallel / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    _, written, _, points = sc.layout(release)
    tampered = records["tampered-001"]["notebooks"][NOTEBOOK]["tampered"]
    assert set(tampered) == set(points) and all("checksum" in v for v in tampered.values())
    assert not any(r["notebooks"].get(NOTEBOOK, {}).get("tampered")
                   for n, r in records.items() if n != "tampered-001")
    empty = {n: r["notebooks"].get(NOTEBOOK, {}).get("empty") for n, r in records.items()}
    assert empty["correct-001"] == [] and empty["blank-001"] == written
    assert empty["crash-001"] == written and empty["garbage-001"] is None


# --- interrupt, resume, force --------------------------------------------------------------------

def test_interrupting_stops_cleanly_and_keeps_what_was_graded(run):
    assert run.first.returncode == 130, run.first.stdout[-3000:]
    assert "Interrupted" in run.first.stdout
    assert 3 <= len(run.before) < len(run.cast) + 1, sorted(run.before)


def test_rerunning_resumes_and_grades_only_the_rest(run):
    assert f"skipping {len(run.before)} already graded" in run.second.stdout, run.second.stdout
    after = {p.stem: p.read_bytes() for p in (run.parallel / "reports" / ASSIGNMENT / "records").glob("*.json")}
    assert {k: after[k] for k in run.before} == run.before     # untouched
    assert set(after) == set(run.cast) | {"nothing-001"}
    assert run.second.returncode == 1           # the crash and the garbage failed to run
    summary = run.second.stdout.strip().splitlines()[-1]
    assert "failed to run" in summary and "timed out" in summary and "graded" in summary


def test_a_third_run_has_nothing_to_do(run):
    assert "grading 0" in run.third.stdout and run.third.returncode == 0, run.third.stdout


def test_force_regrades_one_student_with_the_same_result(run, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(run.parallel, copy)
    old = _records(copy)["mistake-001"]
    done = grade(copy, "--student=mistake-001", "--force")
    assert done.returncode == 0, done.stdout
    assert "grading 1 " in done.stdout
    new = _records(copy)["mistake-001"]
    assert new["notebooks"] == old["notebooks"]
    assert gradebook(copy) == gradebook(run.serial)


def test_a_new_hand_in_is_graded_again(run, tmp_path):
    from bpkit.grading.classgrade import fingerprint

    folder = run.parallel / "submitted" / "correct-001" / ASSIGNMENT
    copy = tmp_path / "hand-in"
    shutil.copytree(folder, copy)
    assert fingerprint(copy) == _records(run.parallel)["correct-001"]["fingerprint"]
    (copy / "timestamp.txt").write_text("2030-01-02 12:00:00.000000 UTC")
    assert fingerprint(copy) != _records(run.parallel)["correct-001"]["fingerprint"]


# --- small parts, no nbgrader run -------------------------------------------------------------------

def test_progress_without_a_terminal_prints_plain_lines_with_eta():
    from bpkit.grading.classgrade import Progress

    out = io.StringIO()
    progress = Progress(20, out)
    for _ in range(20):
        progress.step("someone: graded")
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert len(lines) == 11 and lines[-1].startswith("[" + "#" * 28 + "] 20/20")   # first, each 10 %
    assert all("ETA" in line for line in lines)


def test_summary_counts_graded_failed_and_timed_out():
    from bpkit.grading.classgrade import Progress, summary

    records = {"a": {"status": "graded", "timeout": 10}, "b": {"status": "timed out", "timeout": 10},
               "c": {"status": "crashed", "timeout": 10}, "d": {"status": "not a notebook"},
               "e": {"status": "graded", "timeout": 10}}
    line = summary(records, Progress(5, io.StringIO()), ["f", "g"])
    assert "2 graded, 2 failed to run (crashed: c; not a notebook: d), 1 timed out" in line
    assert "after 10 s" in line and "2 skipped" in line


def test_replay_refuses_outputs_of_another_notebook(tmp_path):
    from bpkit.grading.classgrade import ReplayExecute, WorkerError

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 2")])
    folder = tmp_path / "ann"
    folder.mkdir()
    nbformat.write(other, folder / "nb.ipynb")
    result = {"notebooks": [{"notebook": "nb", "status": "executed", "executed": str(folder / "nb.ipynb")}]}
    (folder / "result.json").write_text(json.dumps(result))
    ReplayExecute.executed_dir = str(tmp_path)
    resources = {"nbgrader": {"student": "ann", "notebook": "nb"}}
    with pytest.raises(RuntimeError, match="another version"):
        ReplayExecute().preprocess(nb, resources)
    result["notebooks"][0] = {"notebook": "nb", "status": "error", "error": {
        "kind": "crashed", "type": "nbclient.exceptions.DeadKernelError", "message": "Kernel died"}}
    (folder / "result.json").write_text(json.dumps(result))
    with pytest.raises(WorkerError, match="DeadKernelError: Kernel died"):
        ReplayExecute().preprocess(nb, resources)


def test_course_py_grade_and_report_need_an_assignment(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_script", REPO / "course.py")
    course = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course)
    assert course.main(["grade"]) == 2 and "usage:" in capsys.readouterr().out
    assert course.main(["report", "no-such-assignment"]) == 2
    assert "No exercise called" in capsys.readouterr().out
