"""Trusted verdicts (bpkit/grading/record.py): a test cell judged in the grader's process from
what the student's kernel recorded must agree with the cell run in the kernel — for every
simulated student of every stage (right answers, other right formulas, classic mistakes,
delegation to a library) — and a recording that was tampered with must never pass."""
from __future__ import annotations

import json

import numpy as np
import pytest

from bpkit.grading import record
from test_stage_checks import STAGES, _test_cells, namespace, run_cell


def kernel_side(source: str, ns: dict) -> tuple[bool, str, list]:
    """Run a test cell as the kernel does, recording: (passed, message, recording as it
    crosses the boundary — JSON text and back)."""
    record.begin()
    try:
        run_cell(source, ns)
        passed, message = True, ""
    except AssertionError as err:
        passed, message = False, str(err)
    finally:
        tape, record._active = record._active, None
    return passed, message, json.loads(json.dumps({"entries": tape.entries}))["entries"]


def _students():
    out = []
    for n, s in STAGES.items():
        out.append(pytest.param(n, None, None, id=f"stage{n}-correct"))
        out += [pytest.param(n, g, src, id=f"stage{n}-alt-{g}-{i}")
                for g, alts in s.ALTERNATIVES.items() for i, src in enumerate(alts)]
        out += [pytest.param(n, g, src, id=f"stage{n}-{name}")
                for name, (g, src, _) in {**s.MISTAKES, **s.CALLS_BPKIT}.items()]
    return out


@pytest.mark.parametrize("n, grade_id, source", _students())
def test_trusted_verdict_agrees_with_the_kernel(n, grade_id, source):
    students = STAGES[n]
    ns = namespace(students, **({grade_id: source} if grade_id else {}))
    cells = _test_cells(students)
    for gid, cell in cells.items():
        if grade_id and gid != grade_id:
            continue                    # the other cells are the model answers
        passed, message, entries = kernel_side(cell, ns)
        verdict = record.verdict(cell, entries)
        assert not verdict.tampered, verdict.message
        assert verdict.passed == passed, (gid, verdict.message, message)
        if not passed:
            assert verdict.message == message


def _recorded(n=1, gid="sigmoid"):
    students = STAGES[n]
    ns = namespace(students)
    cell = _test_cells(students)[gid]
    passed, _, entries = kernel_side(cell, ns)
    assert passed
    return cell, entries


def test_a_recording_cannot_be_replaced_by_a_shorter_one():
    cell, entries = _recorded()
    for cut in (entries[:1], [], [{**entries[0], "outcomes": entries[0]["outcomes"][:2]}]):
        verdict = record.verdict(cell, cut)
        assert not verdict.passed and verdict.tampered


def test_a_recording_of_another_seed_or_check_is_rejected():
    cell, entries = _recorded()
    for bad in ({**entries[0], "seed": 7}, {**entries[0], "check": "sigmoid_prime"}):
        verdict = record.verdict(cell, [bad, *entries[1:]])
        assert not verdict.passed and verdict.tampered


def test_forged_values_are_judged_not_believed():
    """A kernel that records 'right-looking' values still meets the trusted comparison: zeros
    where σ(z) was asked fail with the usual diagnosis."""
    cell, entries = _recorded()
    forged = json.loads(json.dumps(entries))
    for outcome in forged[0]["outcomes"]:
        value = record.from_data(outcome["result"])
        if isinstance(value, np.ndarray):
            outcome["result"] = record.to_data(np.zeros_like(value))
    verdict = record.verdict(cell, forged)
    assert not verdict.passed and not verdict.tampered
    assert verdict.message.startswith("sigmoid")


@pytest.mark.parametrize("bad", [
    {"t": "array", "dtype": "|O", "shape": [1], "data": ""},
    {"t": "array", "dtype": "<f8", "shape": [3], "data": "AAAA"},
    {"t": "array", "dtype": "<f8", "shape": [-1], "data": ""},
    {"t": "pickle", "v": "gASV"},
    {"t": "int", "v": "1"},
    "not a dict",
])
def test_malformed_data_is_refused(bad):
    with pytest.raises(record.RecordError):
        record.from_data(bad)


def test_an_object_that_is_not_data_scores_zero_with_a_message():
    class Anything:
        def __eq__(self, other):
            return True
    cell, entries = _recorded()
    forged = json.loads(json.dumps(entries))
    forged[0]["outcomes"][0]["result"] = record.to_data(Anything())
    verdict = record.verdict(cell, forged)
    assert not verdict.passed
    assert "Anything object" in verdict.message and "plain arrays" in verdict.message


def test_values_cross_the_boundary_exactly():
    values = [None, True, 3, -2.5, float("nan"), 1 + 2j, "relu", np.float64(0.1), np.int32(7),
              np.arange(6.0).reshape(2, 3) / 7, np.array([[True, False]]), np.zeros((0, 3)),
              np.arange(4, dtype=">f8"), [np.ones((2, 1)), (1, 2.0)], {"W1": np.eye(2)}]
    for v in values:
        back = record.from_data(json.loads(json.dumps(record.to_data(v))))
        if isinstance(v, np.ndarray):
            assert back.shape == v.shape and np.array_equal(back, v) and back.flags.writeable
        elif isinstance(v, float) and v != v:
            assert back != back
        elif isinstance(v, (list, dict)):
            assert json.dumps(record.to_data(back)) == json.dumps(record.to_data(v))
        else:
            assert back == v and type(back) is type(v) or isinstance(v, np.generic)


def test_cell_checks_reads_the_test_cells_calls():
    src = ("stage1.check_sigmoid(sigmoid, seed=1)\nassert True\n"
           "### BEGIN HIDDEN TESTS\nstage1.check_sigmoid(sigmoid, seed=101)\n"
           "stage2.check_forward(forward)\n### END HIDDEN TESTS\n")
    assert record.cell_checks(src) == [("stage1", "check_sigmoid", "sigmoid", 1),
                                       ("stage1", "check_sigmoid", "sigmoid", 101),
                                       ("stage2", "check_forward", "forward", 0)]


def test_every_graded_test_cell_of_the_course_has_checks():
    for n, students in STAGES.items():
        for gid, cell in _test_cells(students).items():
            assert record.cell_checks(cell), f"stage {n}: test_{gid} runs no check"
