"""What autograde prints, with real nbgrader: a warning only where something is wrong.

An untouched hand-in must produce no "checksum has changed" warning (nbgrader would print one
for every test cell that holds hidden tests; bpkit.grading.overwrite fixes that), a hand-in with
an edited test cell must still produce one, and the kernel's TCP notice and SQLAlchemy's
SAWarnings on a student's first autograde must not appear. The first assignment's part of the
session's one autograde run (tests/test_pipeline.py): its untouched and tampered students.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from conftest import assignments


def _test_cells(nb) -> list:
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


@pytest.fixture(scope="module")
def autograded(pipeline):
    """The first assignment's part of the session's one autograde run (tests/test_pipeline.py):
    its "untouched" student hands in the released notebook as it is, its "tampered" one with
    every test cell replaced by `pass`. Returns (log, log by student, the edited test cells)."""
    assignment = assignments()[0]
    graded = next(g for g in pipeline.values() if g.assignment == assignment)
    release = nbformat.read(graded.root / "exercises" / assignment / f"{graded.notebook}.ipynb",
                            as_version=4)
    tampered = graded.cast["tampered"].tests
    assert set(tampered) == {c.metadata["nbgrader"]["grade_id"] for c in _test_cells(release)}
    edited = sorted(gid for gid, source in tampered.items()
                    if source != next(c.source for c in _test_cells(release)
                                      if c.metadata["nbgrader"]["grade_id"] == gid))
    log = graded.autograde.stdout + graded.autograde.stderr
    # The log is sequential: each hand-in starts with "Sanitizing <its path>".
    chunks = re.split(r"(?=\[AutogradeApp \| INFO\] Sanitizing )", log)
    by_student = {s: "".join(c for c in chunks
                             if f"/submitted/{s}/{assignment}/" in c.split("\n", 1)[0]
                             or f"\\submitted\\{s}\\{assignment}\\" in c.split("\n", 1)[0])
                  for s in ("untouched", "tampered")}
    assert all(by_student.values()), log[-4000:]
    return log, by_student, edited


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
    _, by_student, edited = autograded
    assert edited, "the tampered hand-in should edit test cells"
    assert sorted(_checksum_warnings(by_student["tampered"])) == edited


def test_no_kernel_tcp_notice_and_no_sqlalchemy_warnings(autograded):
    log, _, _ = autograded
    assert "without encryption" not in log
    assert "SAWarning" not in log and "not in session" not in log


def test_released_source_removes_hidden_regions_as_nbgrader_does():
    from bpkit.grading.overwrite import released_source

    source = "a = 1\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS\nassert a == 1"
    assert released_source(source) == "a = 1\nassert a == 1"
    assert released_source("no hidden tests") == "no hidden tests"
