"""What autograde prints, with real nbgrader: a warning only where something is wrong.

An untouched hand-in must produce no "checksum has changed" warning (nbgrader would print one
for every test cell that holds hidden tests; bpkit.grading.overwrite fixes that), a hand-in with
an edited test cell must still produce one, and the kernel's TCP notice and SQLAlchemy's
SAWarnings on a student's first autograde must not appear. One autograde run, two students.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from conftest import assignments


def _test_cells(nb) -> list:
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


@pytest.fixture(scope="module")
def autograded(generated_course, nbgrader, tmp_path_factory):
    """A copy of the generated course (its gradebook knows the assignment), two hand-ins of the
    first assignment's first notebook, autograded once. Returns (log by student, tampered id)."""
    root = tmp_path_factory.mktemp("noise")
    for name in ("nbgrader_config.py", "gradebook.db"):
        shutil.copy2(generated_course / name, root / name)
    for folder in ("solutions", "exercises"):
        shutil.copytree(generated_course / folder, root / folder)
    assignment = assignments()[0]
    release_path = sorted((root / "exercises" / assignment).glob("*.ipynb"))[0]
    release = nbformat.read(release_path, as_version=4)
    tampered_id = _test_cells(release)[0].metadata["nbgrader"]["grade_id"]

    for student in ("untouched", "tampered"):
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nb = nbformat.read(release_path, as_version=4)
        if student == "tampered":
            cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == tampered_id)
            cell.source = "pass  # the tests are fine, honestly"
        nbformat.write(nb, folder / release_path.name)

    done = nbgrader("autograde", assignment, cwd=root)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    log = done.stdout + done.stderr
    # The log is sequential: each hand-in starts with "Sanitizing <its path>".
    chunks = re.split(r"(?=\[AutogradeApp \| INFO\] Sanitizing )", log)
    by_student = {s: "".join(c for c in chunks if f"/submitted/{s}/" in c.split("\n", 1)[0]
                             or f"\\submitted\\{s}\\" in c.split("\n", 1)[0])
                  for s in ("untouched", "tampered")}
    assert all(by_student.values()), log[-4000:]
    return log, by_student, tampered_id


def _checksum_warnings(text: str) -> list[str]:
    return re.findall(r"Attribute 'checksum' for cell (\S+) has changed", text)


def test_the_release_has_test_cells_with_hidden_tests(generated_course):
    """Otherwise the next test proves nothing: the false warning came from hidden tests."""
    solution = sorted((generated_course / "solutions" / assignments()[0]).glob("*.ipynb"))[0]
    assert any("BEGIN HIDDEN TESTS" in c.source for c in _test_cells(nbformat.read(solution, as_version=4)))


def test_an_untouched_hand_in_gets_no_checksum_warning(autograded):
    _, by_student, _ = autograded
    assert _checksum_warnings(by_student["untouched"]) == []


def test_an_edited_test_cell_is_still_reported(autograded):
    _, by_student, tampered_id = autograded
    assert _checksum_warnings(by_student["tampered"]) == [tampered_id]


def test_no_kernel_tcp_notice_and_no_sqlalchemy_warnings(autograded):
    log, _, _ = autograded
    assert "without encryption" not in log
    assert "SAWarning" not in log and "not in session" not in log


def test_released_source_removes_hidden_regions_as_nbgrader_does():
    from bpkit.grading.overwrite import released_source

    source = "a = 1\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS\nassert a == 1"
    assert released_source(source) == "a = 1\nassert a == 1"
    assert released_source("no hidden tests") == "no hidden tests"
