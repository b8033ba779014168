"""Tests of the tests: the grading checks (bpkit.grading) and stage 1's test cells.

Every correct answer (the model solution and equivalent formulas) must pass every check; every
classic mistake must fail with a message that names it; an answer that hands the exercise to
bpkit must fail the own-work check, while calling bpkit's versions of earlier exercises is
fine. The solution notebook's real test cells (visible + hidden) are run the same way.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import bpkit as bp
from bpkit.grading import check, stage1

import students_stage1 as students

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "solutions" / "01-single-neuron" / "single-neuron.ipynb"

# answer grade_id -> the checks its test cell runs: (check, name of the function it checks)
CHECKS = {
    "sigmoid": [(stage1.check_sigmoid, "sigmoid")],
    "sigmoid_prime": [(stage1.check_sigmoid_prime, "sigmoid_prime")],
    "neuron_forward": [(stage1.check_neuron_forward, "neuron_forward")],
    "neuron_gradients": [(stage1.check_neuron_gradients, "neuron_gradients")],
    "train_neuron": [(stage1.check_gradient_step, "gradient_step"),
                     (stage1.check_train_neuron, "train_neuron")],
}
SEEDS = (0, 1, 2, 3)


def namespace(**answers: str) -> dict:
    """The notebook's namespace after its setup cell and every answer cell: CORRECT, except
    the cells given by grade_id."""
    ns: dict = {}
    exec(students.SETUP, ns)
    for gid in students.GRADE_IDS:
        exec(compile(answers.get(gid, students.CORRECT[gid]), f"<answer {gid}>", "exec"), ns)
    return ns


def run_checks(grade_id: str, ns: dict, seed: int) -> None:
    for check_fn, name in CHECKS[grade_id]:
        check_fn(ns[name], seed=seed)


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _cell(raw: dict) -> SimpleNamespace:
    source = raw["source"]
    return SimpleNamespace(**{**raw, "source": "".join(source) if isinstance(source, list) else source})


@pytest.fixture(scope="module")
def notebook():
    """The solution notebook, read as plain JSON (nbformat's import costs over a second; the
    notebook tests validate it with nbformat and run it with nbclient)."""
    raw = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return SimpleNamespace(metadata=raw["metadata"], nbformat=raw["nbformat"],
                           nbformat_minor=raw["nbformat_minor"],
                           cells=[_cell(c) for c in raw["cells"]])


@pytest.fixture(scope="module")
def test_cells(notebook) -> dict[str, list[str]]:
    """answer grade_id -> sources of the test cells after it (before the next answer)."""
    tests, current = {}, None
    for cell in notebook.cells:
        md = _nbgrader(cell)
        if cell.cell_type == "code" and md.get("solution") and not md.get("grade"):
            current = md["grade_id"]
        elif cell.cell_type == "code" and md.get("grade") and not md.get("solution"):
            tests.setdefault(current, []).append(cell.source)
    return tests


def run_test_cell(source: str, ns: dict) -> None:
    exec(compile(source, "<test cell>", "exec"), ns)


# --- correct answers pass ----------------------------------------------------------------------

@pytest.mark.parametrize("grade_id", students.GRADE_IDS)
def test_correct_answer_passes_every_check(grade_id):
    ns = namespace()
    for seed in (*SEEDS, 12345, 2**31 - 1):
        run_checks(grade_id, ns, seed)


@pytest.mark.parametrize("grade_id, index", [(g, i) for g, alts in students.ALTERNATIVES.items()
                                             for i in range(len(alts))])
def test_equivalent_correct_formula_passes(grade_id, index):
    ns = namespace(**{grade_id: students.ALTERNATIVES[grade_id][index]})
    for seed in SEEDS:
        run_checks(grade_id, ns, seed)


def test_correct_answers_pass_the_notebooks_test_cells(test_cells):
    assert set(test_cells) == set(students.GRADE_IDS)
    ns = namespace()
    for grade_id in students.GRADE_IDS:
        for source in test_cells[grade_id]:
            run_test_cell(source, ns)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_correct_answers_pass_for_any_seed(seed):
    ns = namespace()
    for grade_id in students.GRADE_IDS:
        run_checks(grade_id, ns, seed)


# --- classic mistakes are named ----------------------------------------------------------------

@pytest.mark.parametrize("name", list(students.MISTAKES))
def test_mistake_is_diagnosed(name):
    grade_id, source, pattern = students.MISTAKES[name]
    ns = namespace(**{grade_id: source})
    for seed in SEEDS:
        with pytest.raises(AssertionError, match=pattern):
            run_checks(grade_id, ns, seed)


@pytest.mark.parametrize("name", list(students.MISTAKES))
def test_mistake_fails_only_its_own_test_cell(name, test_cells):
    """As nbgrader will see it: the mistake's test cell fails with the message (hidden tests
    run first, so the diagnosis is what the student reads), every other test cell passes."""
    grade_id, source, pattern = students.MISTAKES[name]
    ns = namespace(**{grade_id: source})
    for gid in students.GRADE_IDS:
        for cell in test_cells[gid]:
            if gid == grade_id:
                with pytest.raises(AssertionError, match=pattern):
                    run_test_cell(cell, ns)
            else:
                run_test_cell(cell, ns)


KEY_MISTAKES = ["neuron_gradients: 1/m missing", "neuron_gradients: dw transposed",
                "neuron_gradients: sigma' missing", "neuron_gradients: bias not summed",
                "neuron_forward: bias missing", "sigmoid_prime: z(1 - z)",
                "train_neuron: losses recorded after the step"]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(KEY_MISTAKES))
def test_diagnosis_does_not_depend_on_the_seed(seed, name):
    grade_id, source, pattern = students.MISTAKES[name]
    with pytest.raises(AssertionError, match=pattern):
        run_checks(grade_id, namespace(**{grade_id: source}), seed)


def test_unanswered_cells_say_so():
    stub = {gid: re.sub(r'(""".*?"""\n)(.*?)(?=\n\n\ndef |\Z)',
                        r"\1    # YOUR CODE HERE\n    raise NotImplementedError()",
                        src, flags=re.S)
            for gid, src in students.CORRECT.items()}
    ns = namespace(**stub)
    for gid in students.GRADE_IDS:
        with pytest.raises(AssertionError, match=r"not written yet.*NotImplementedError"):
            run_checks(gid, ns, 0)


def test_a_name_that_is_not_a_function():
    with pytest.raises(AssertionError, match=r"sigmoid is None, not a function"):
        stage1.check_sigmoid(None)


# --- own work ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(students.CALLS_BPKIT))
def test_calling_bpkit_for_the_exercise_earns_nothing(name, test_cells):
    grade_id, source, pattern = students.CALLS_BPKIT[name]
    ns = namespace(**{grade_id: source})
    with pytest.raises(AssertionError, match=pattern):
        run_checks(grade_id, ns, 0)
    for cell in test_cells[grade_id]:
        with pytest.raises(AssertionError, match=pattern):
            run_test_cell(cell, ns)


ALIASES = {
    "from bpkit import sigmoid": ("sigmoid", "from bpkit import sigmoid"),
    "imported under another name": (
        "sigmoid", "from bpkit import sigmoid as s\n\ndef sigmoid(z):\n    return s(z)"),
    "the private kernel": (
        "sigmoid", "from bpkit.activations import _sigmoid\n\n"
                   "def sigmoid(z):\n    return _sigmoid(np.asarray(z, dtype=float))"),
    "through the activation table": (
        "sigmoid", "sigmoid = lambda z: bp.activations.ACTIVATIONS['sigmoid'].f(z)"),
    "through get_activation": (
        "sigmoid_prime", "def sigmoid_prime(z):\n    return bp.get_activation('sigmoid').prime(z)"),
    "a decorated wrapper": (
        "sigmoid_prime", "import functools\n\n@functools.wraps(bp.sigmoid_prime)\n"
                         "def sigmoid_prime(z):\n    return bp.sigmoid_prime(z)"),
    "bp1, bp3, bp4": (
        "neuron_gradients", '''\
def neuron_gradients(w, b, X, y):
    z = w @ X + b
    a = bp.sigmoid(z)
    delta = bp.bp1((a - y) / X.shape[1], z, "sigmoid")
    return bp.bp4(delta, X), bp.bp3(delta)'''),
    "mse_grad": (
        "neuron_gradients", students.CORRECT["neuron_gradients"].replace(
            "(a - y) * bp.sigmoid_prime(z) / m", "bp.mse_grad(a, y) * bp.sigmoid_prime(z)")),
    "finite differences": (
        "neuron_gradients", '''\
def neuron_gradients(w, b, X, y):
    w, b = w.copy(), b.copy()
    E = lambda _: np.sum((bp.sigmoid(w @ X + b) - y) ** 2) / (2 * X.shape[1])
    return bp.numerical_gradient(E, w), bp.numerical_gradient(E, b)'''),
    "Network.forward": (
        "neuron_forward", "def neuron_forward(w, b, X):\n"
                          "    f = bp.Network.from_params([w], [b]).forward(X)\n"
                          "    return f.z[0], f.output"),
    "Network.fit": (
        "train_neuron", students.CORRECT["train_neuron"].split("\n\n\ndef train_neuron")[0] + '''


def train_neuron(w, b, X, y, lr, epochs):
    net = bp.Network.from_params([w], [b])
    losses = [net.loss(X, y)]
    losses += net.fit(X, y, epochs=epochs, lr=lr, progress=False).loss[:-1]
    return net.weights[0], net.biases[0], losses'''),
}


@pytest.mark.parametrize("name", list(ALIASES))
def test_every_alias_of_bpkits_answer_is_caught(name):
    grade_id, source = ALIASES[name]
    assert "bpkit" in source or "bp." in source
    with pytest.raises(AssertionError, match=r"calls bpkit's own"):
        run_checks(grade_id, namespace(**{grade_id: source}), 0)


ALLOWED = {
    "bp.sigmoid inside neuron_forward": ("neuron_forward", students.CORRECT["neuron_forward"]),
    "bp.sigmoid inside sigmoid_prime": ("sigmoid_prime", students.CORRECT["sigmoid_prime"]),
    "bp.weighted_input and bp.sigmoid_prime inside neuron_gradients": (
        "neuron_gradients", students.ALTERNATIVES["neuron_gradients"][2]),
    "Network.forward inside neuron_gradients": (
        "neuron_gradients", students.ALTERNATIVES["neuron_gradients"][3]),
    "bp.mse and Network.backward inside train_neuron": (
        "train_neuron", students.ALTERNATIVES["train_neuron"][1]),
}


@pytest.mark.parametrize("name", list(ALLOWED))
def test_bpkit_versions_of_earlier_exercises_are_allowed(name):
    grade_id, source = ALLOWED[name]
    assert "bp." in source
    run_checks(grade_id, namespace(**{grade_id: source}), 0)


def test_own_work_restores_the_previous_profiler():
    seen = []

    def outer(frame, event, arg):
        seen.append(event)

    previous = sys.getprofile()
    sys.setprofile(outer)
    try:
        assert check.own_work(lambda z: z * 2, 3, forbidden=[bp.sigmoid]) == 6
        assert sys.getprofile() is outer
        with pytest.raises(AssertionError, match=r"bpkit's own bp\.sigmoid"):
            check.own_work(lambda z: bp.sigmoid(z), 0.0, forbidden=[bp.sigmoid], name="sigmoid")
        assert sys.getprofile() is outer
        with pytest.raises(ZeroDivisionError):
            check.own_work(lambda z: 1 / z, 0, forbidden=[bp.sigmoid])
        assert sys.getprofile() is outer
        with pytest.raises(AssertionError):
            stage1.check_sigmoid(bp.sigmoid)
        assert sys.getprofile() is outer
    finally:
        sys.setprofile(previous)
    assert seen, "the previous profiler kept receiving events while the check ran"


def test_own_work_catches_the_function_itself_and_passes_results_through():
    with pytest.raises(AssertionError, match=r"calls bpkit's own bp\.sigmoid"):
        check.own_work(bp.sigmoid, 0.0, forbidden=stage1.FORBIDDEN["sigmoid"], name="sigmoid")
    assert check.own_work(np.tanh, 0.0, forbidden=stage1.FORBIDDEN["sigmoid"]) == 0.0
    f = lambda z: bp.sigmoid(z) * 2  # noqa: E731 -- allowed here: sigmoid is not forbidden
    assert check.own_work(f, 0.0, forbidden=stage1.FORBIDDEN["sigmoid_prime"]) == 1.0


# --- generic diagnoses (check.py) ---------------------------------------------------------------

E = np.array([[0.1, -0.2, 0.35]])          # expected, (1, 3)


def diag(got, expected=E, **kw):
    return check.diagnose(got, expected, what="dw", **kw)


def test_right_answers_are_accepted():
    assert diag(E.copy()) is None
    assert diag(E * (1 + 1e-9)) is None                    # float noise
    assert check.diagnose(0.5, np.float64(0.5)) is None    # numbers for numbers
    assert check.diagnose(np.array(0.5), 0.5) is None
    assert diag(E + 1e-5) is not None                      # but the tolerance is tight


def test_none_list_and_other_types():
    assert "forget `return`" in diag(None)
    assert "Python list" in diag(E.tolist()) and "numbers are right" in diag(E.tolist())
    assert "a str" in diag("0.1")
    assert "dtype object" in diag(np.array([E, None], dtype=object))


def test_shape_slips():
    assert "transpose of the right ones" in diag(E.T)
    msg = diag(E.ravel())
    assert "1-D array" in msg and "(3,)" in msg and "(1, 3)" in msg
    assert "2-D shape (1, 3) where the 1-D shape (3,)" in check.diagnose(E, E.ravel())
    assert "single number where an array of shape (1, 1)" in diag(np.float64(0.25), np.array([[0.25]]))
    msg = diag(np.zeros((2, 5)))
    assert "has shape (2, 5) but should have shape (1, 3)" in msg


def test_nonfinite_and_integer_results():
    assert "contains NaN" in diag(np.array([[0.1, np.nan, 0.35]]))
    assert "contains inf" in diag(np.array([[0.1, np.inf, 0.35]]))
    assert "integer dtype" in diag(np.array([[0, 0, 1]]))


def test_sign_and_factor_m():
    assert "wrong sign" in diag(-E)
    assert "factor of m = 5 (too large)" in diag(5 * E, m=5)
    assert "m = 5 times too small" in diag(E / 5, m=5)
    assert diag(5 * E).startswith("dw has the right shape")  # no m given: no m diagnosis
    assert "factor of m" not in diag(E, m=1) if diag(E, m=1) else True


def test_named_variants_and_combinations():
    variant = {"the σ′ factor is missing": 3 * E}
    assert "it looks like the σ′ factor is missing" in diag(3 * E, variants=variant)
    msg = diag(-(5 * E).T, m=5)
    assert "wrong in 3 ways" in msg and "transpose" in msg and "wrong sign" in msg and "m = 5" in msg
    msg = diag((3 * E).T, variants=variant)
    assert "wrong in 2 ways" in msg and "σ′ factor" in msg and "transpose" in msg
    # a variant may have its own shape (e.g. an unsummed gradient)
    assert "not summed" in diag(np.ones((1, 4)), variants={"it was not summed": np.ones((1, 4))})
    # pairs work as well as a dict; a variant equal to the answer is ignored
    assert diag(E, variants=[("same as right", E)]) is None
    assert "same as right" not in diag(2 * E, variants=[("same as right", E)])


def test_hints_replace_the_generic_explanations():
    assert "use delta @ X.T" in diag(E.T, hints={"transposed": "use delta @ X.T"})
    assert "recompute δ" in diag(E + 1, hints={"values": "recompute δ"})
    assert "shape advice" in diag(np.zeros((4, 4)), hints={"shape": "shape advice"})


def test_fallback_shows_entries_and_the_largest_error():
    msg = diag(np.array([[0.1, -0.2, 0.95]]))
    assert "largest difference from the correct answer is 0.6" in msg
    assert "Expected [0.1, -0.2, 0.35], got [0.1, -0.2, 0.95]" in msg


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), m=st.integers(2, 9),
       seed=st.integers(0, 2**32 - 1))
def test_generic_diagnoses_on_random_arrays(rows, cols, m, seed):
    x = np.random.default_rng(seed).uniform(0.5, 2.0, (rows, cols)) * np.where(
        np.random.default_rng(seed + 1).random((rows, cols)) < 0.5, -1, 1)
    assert check.diagnose(x.copy(), x) is None
    assert "wrong sign" in check.diagnose(-x, x)
    assert "factor of m" in check.diagnose(m * x, x, m=m)
    assert "times too small" in check.diagnose(x / m, x, m=m)
    if rows != cols:
        assert "transpose of the right ones" in check.diagnose(x.T, x)
    if rows == 1 and cols > 1:
        assert "1-D array" in check.diagnose(x.ravel(), x)


def test_check_outputs_diagnoses_the_tuple():
    a, b = np.ones((1, 3)), np.zeros((1, 1))
    with pytest.raises(AssertionError, match=r"returned None\. Did you forget `return dw, db`"):
        check.check_outputs(None, (a, b), name="f", names=("dw", "db"))
    with pytest.raises(AssertionError, match=r"returned an array of shape \(1, 3\), but it should return 2"):
        check.check_outputs(a, (a, b), name="f", names=("dw", "db"))
    with pytest.raises(AssertionError, match=r"returned 3 values but should return 2"):
        check.check_outputs((a, b, b), (a, b), name="f", names=("dw", "db"))
    with pytest.raises(AssertionError, match=r"swapped"):
        check.check_outputs((b, a), (a, b), name="f", names=("dw", "db"))
    with pytest.raises(AssertionError, match=r"^f: db has the right shape"):
        check.check_outputs((a, b + 1), (a, b), name="f", names=("dw", "db"))
    check.check_outputs([a, b], (a, b), name="f", names=("dw", "db"))


def test_call_explains_what_went_wrong():
    def shapes(w, X):
        return w @ X

    with pytest.raises(AssertionError, match=r"f\(w \(1, 3\), X \(4, 5\)\) raised ValueError.*transpose"):
        check.call(shapes, np.ones((1, 3)), np.ones((4, 5)), name="f", arg_names=["w", "X"])

    def overflow(z):
        return np.exp(z)

    with pytest.raises(AssertionError, match=r"made NumPy warn “overflow encountered in exp”"):
        check.call(overflow, np.array([1000.0]), name="f", arg_names=["z"])

    def in_place(w):
        w *= 2
        return w

    with pytest.raises(AssertionError, match=r"f changed its argument w in place"):
        check.call(in_place, np.ones(3), name="f", arg_names=["w"])
    assert check.call(in_place, np.ones(3), name="f", allow_mutation=True).tolist() == [2, 2, 2]

    def todo(z):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match=r"f is not written yet"):
        check.call(todo, 1, name="f")
    with pytest.raises(AssertionError, match=r"not a function"):
        check.call(3, name="f")


def test_call_is_not_fooled_by_a_global_seterr():
    old = np.seterr(all="ignore")
    try:
        grade_id, source, pattern = students.MISTAKES["sigmoid: overflows for large negative z"]
        with pytest.raises(AssertionError, match=pattern):
            run_checks(grade_id, namespace(**{grade_id: source}), 0)
    finally:
        np.seterr(**old)


# --- the notebook --------------------------------------------------------------------------------

def _solution_code(source: str) -> str:
    """An answer cell without its ### BEGIN/END SOLUTION lines."""
    return "\n".join(line for line in source.split("\n")
                     if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)


def test_model_solutions_are_the_correct_answers(notebook):
    answers = {_nbgrader(c)["grade_id"]: c.source for c in notebook.cells
               if c.cell_type == "code" and _nbgrader(c).get("solution")}
    assert list(answers) == students.GRADE_IDS
    for gid, source in answers.items():
        assert "### BEGIN SOLUTION" in source and "### END SOLUTION" in source
        assert _solution_code(source) == students.CORRECT[gid], gid


def test_notebook_layout_and_metadata(notebook):
    assert (notebook.nbformat, notebook.nbformat_minor) >= (4, 5)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    ids = [c.id for c in notebook.cells]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[a-z0-9-]{1,64}", i) for i in ids)
    graded = {}
    for cell in notebook.cells:
        assert getattr(cell, "outputs", []) == [] and getattr(cell, "execution_count", None) is None
        md = _nbgrader(cell)
        if not md:
            continue
        assert md["schema_version"] == 3 and cell.id.replace("-", "_") == md["grade_id"]
        if md["solution"] and not md["grade"]:      # autograded answer
            assert cell.cell_type == "code" and md["locked"] is False
        elif md["grade"] and not md["solution"]:    # test cell
            assert cell.cell_type == "code" and md["locked"] is True
            assert "### BEGIN HIDDEN TESTS" in cell.source and "### END HIDDEN TESTS" in cell.source
            assert cell.source.startswith("### BEGIN HIDDEN TESTS")  # the diagnosis speaks first
            graded[md["grade_id"]] = md["points"]
        elif md["solution"] and md["grade"]:        # written answer, graded by hand
            assert cell.cell_type == "markdown" and md["locked"] is False
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
            graded[md["grade_id"]] = md["points"]
        else:                                       # read-only
            assert md["locked"] is True
    assert graded == {"test_sigmoid": 2, "test_sigmoid_prime": 1, "derive_sigmoid_prime": 2,
                      "test_neuron_forward": 2, "test_neuron_gradients": 3,
                      "explain_bias_gradient": 2, "test_train_neuron": 2}


def test_notebook_text_shows_no_error_like_strings(notebook):
    # The feedback of a correct submission must not look like it contains an error.
    for cell in notebook.cells:
        assert not re.search(r"\b\w+(Error|Exception): ", cell.source), cell.id


EXPIT = {
    "imported by name": "from scipy.special import expit\n\ndef sigmoid(z):\n    return expit(z)",
    "as an attribute": "import scipy.special\n\ndef sigmoid(z):\n    return scipy.special.expit(z)",
    "the function itself": "from scipy.special import expit as sigmoid",
    "in a closure": "from scipy.special import expit\n\ndef make():\n    f = expit\n"
                    "    def sigmoid(z):\n        return f(z)\n    return sigmoid\n\nsigmoid = make()",
}


@pytest.mark.parametrize("name", list(EXPIT))
def test_scipys_expit_the_kernel_behind_bp_sigmoid_is_caught(name):
    with pytest.raises(AssertionError, match=r"calls scipy\.special\.expit — a ready-made"):
        run_checks("sigmoid", namespace(sigmoid=EXPIT[name]), 0)


def test_expit_is_fine_where_sigmoid_is_an_earlier_exercise():
    source = "from scipy.special import expit\n\ndef sigmoid_prime(z):\n    return expit(z) * expit(-z)"
    run_checks("sigmoid_prime", namespace(sigmoid_prime=source), 0)
    # a student's own function that happens to be called expit is their own work
    own = "def expit(z):\n    return 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2))\n\n" \
          "def sigmoid(z):\n    return expit(z)"
    run_checks("sigmoid", namespace(sigmoid=own), 0)
