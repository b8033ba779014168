"""Tests of the tests: the grading engine (bpkit.grading) and stage 1's test cells.

The engine (cases, equations, catalogue), the generic diagnoses, the own-work rule, and what
is particular to stage 1 (earlier exercises swapped in, every alias of bpkit's answer caught).
What every stage must satisfy — right answers of every form pass, each classic mistake is named
by the visible test cell — is tested for all stages at once in test_stage_checks.py.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import bpkit as bp
from bpkit.grading import check, engine, mistakes, ownwork, stage1

import students_stage1 as students

REPO = Path(__file__).resolve().parents[1]
SEEDS = (0, 1, 2)


def namespace(**answers: str) -> dict:
    """The notebook's namespace after its setup and given cells and every answer cell:
    CORRECT, except the cells given by grade_id."""
    ns: dict = {}
    exec(students.SETUP, ns)
    for gid in students.GRADE_IDS:
        exec(compile(answers.get(gid, students.CORRECT[gid]), f"<answer {gid}>", "exec"), ns)
    return ns


def run_checks(grade_id: str, ns: dict, seed: int) -> None:
    getattr(stage1, f"check_{grade_id}")(ns[grade_id], seed=seed)


def run_cell(source: str, ns: dict) -> None:
    exec(compile(source, "<test cell>", "exec"), ns)


# --- earlier mistakes don't cost twice --------------------------------------------------------

BROKEN_EARLIER = {"sigmoid": "def sigmoid(z):\n    return z", "sigmoid_prime": "def sigmoid_prime(z):\n    return z",
                  "neuron_forward": "def neuron_forward(w, b, X):\n    return None",
                  "neuron_gradients": "def neuron_gradients(w, b, X, y):\n    return 0, 0",
                  "gradient_step": "def gradient_step(w, b, dw, db, lr):\n    return w, b",
                  "central_difference": "def central_difference(f, x, eps=1e-6):\n    return 0 * x"}


def test_later_checks_swap_in_the_references_of_earlier_exercises():
    ns = namespace(**BROKEN_EARLIER)
    for gid in ("train_neuron", "seed004_hidden_gradients"):
        run_checks(gid, ns, 0)                 # they build on the broken ones, and pass
    assert ns["sigmoid"](0.0) == 0.0            # and the student's own are back afterwards


def test_the_message_says_which_earlier_functions_were_swapped():
    grade_id, source, _ = students.MISTAKES["train_neuron: one epoch too few"]
    with pytest.raises(AssertionError, match=r"your earlier functions .*neuron_gradients.* were "
                                             r"replaced by the reference versions"):
        run_checks(grade_id, namespace(**{grade_id: source}), 0)


def test_train_neuron_must_leave_the_callers_arrays_alone():
    grade_id, source, pattern = students.MISTAKES["train_neuron: trains the caller's w in place"]
    with pytest.raises(AssertionError, match=pattern):
        run_checks(grade_id, namespace(**{grade_id: source}), 0)


# --- own work ------------------------------------------------------------------------------------

ALIASES = {
    "from bpkit import sigmoid": ("sigmoid", "from bpkit import sigmoid"),
    "imported under another name": (
        "sigmoid", "from bpkit import sigmoid as s\n\ndef sigmoid(z):\n    return s(z)"),
    "through the activation table": (
        "sigmoid", "def sigmoid(z):\n    return bp.get_activation('sigmoid').f(z)"),
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
            "(a - y) * sigmoid_prime(z) / m", "bp.mse_grad(a, y) * sigmoid_prime(z)")),
    "bpkit's finite differences": (
        "neuron_gradients", '''\
def neuron_gradients(w, b, X, y):
    w, b = w.copy(), b.copy()
    E = lambda _: np.sum((bp.sigmoid(w @ X + b) - y) ** 2) / (2 * X.shape[1])
    return bp.numerical_gradient(E, w), bp.numerical_gradient(E, b)'''),
    "Network.forward": (
        "neuron_forward", "def neuron_forward(w, b, X):\n"
                          "    f = bp.Network.from_params([w], [b]).forward(X)\n"
                          "    return f.z[0], f.output"),
}


@pytest.mark.parametrize("name", list(ALIASES))
def test_every_alias_of_bpkits_answer_is_caught(name):
    grade_id, source = ALIASES[name]
    with pytest.raises(AssertionError, match=r"calls bpkit's own"):
        run_checks(grade_id, namespace(**{grade_id: source}), 0)


ALLOWED = {
    "bp.sigmoid inside sigmoid_prime": ("sigmoid_prime", students.ALTERNATIVES["sigmoid_prime"][1]),
    "bp.sigmoid inside neuron_forward": ("neuron_forward", students.ALTERNATIVES["neuron_forward"][1]),
    "bp.weighted_input and bp.sigmoid_prime inside neuron_gradients": (
        "neuron_gradients", students.ALTERNATIVES["neuron_gradients"][2]),
    "Network.forward inside neuron_gradients": (
        "neuron_gradients", students.ALTERNATIVES["neuron_gradients"][3]),
    "Network.backward inside train_neuron": ("train_neuron", students.ALTERNATIVES["train_neuron"][1]),
    "scipy's expit inside sigmoid_prime": (
        "sigmoid_prime", "from scipy.special import expit\n\ndef sigmoid_prime(z):\n"
                         "    return expit(z) * expit(-np.asarray(z, dtype=float))"),
    "a function of one's own called expit": (
        "sigmoid", "def expit(z):\n    return 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2))\n\n"
                   "def sigmoid(z):\n    return expit(z)"),
}


@pytest.mark.parametrize("name", list(ALLOWED))
def test_building_on_earlier_exercises_is_allowed(name):
    grade_id, source = ALLOWED[name]
    run_checks(grade_id, namespace(**{grade_id: source}), 0)


EXPIT = {
    "imported by name": "from scipy.special import expit\n\ndef sigmoid(z):\n    return expit(z)",
    "as an attribute": "import scipy.special\n\ndef sigmoid(z):\n    return scipy.special.expit(z)",
    "the function itself": "from scipy.special import expit as sigmoid",
    "in a closure": "from scipy.special import expit\n\ndef make():\n    f = expit\n"
                    "    def sigmoid(z):\n        return f(z)\n    return sigmoid\n\nsigmoid = make()",
}


@pytest.mark.parametrize("name", list(EXPIT))
def test_scipys_expit_is_caught(name):
    with pytest.raises(AssertionError, match=r"calls scipy\.special\.expit — a ready-made"):
        run_checks("sigmoid", namespace(sigmoid=EXPIT[name]), 0)


def test_the_monitor_restores_the_previous_profiler():
    seen = []

    def outer(frame, event, arg):
        seen.append(event)

    previous = sys.getprofile()
    sys.setprofile(outer)
    try:
        stage1.check_gradient_step(students_fn("gradient_step"), seed=0)
        assert sys.getprofile() is outer
        with pytest.raises(AssertionError, match=r"bpkit's own bp\.sigmoid"):
            stage1.check_sigmoid(lambda z: bp.sigmoid(z))
        assert sys.getprofile() is outer
    finally:
        sys.setprofile(previous)
    assert seen, "the previous profiler kept receiving events while the check ran"


def students_fn(grade_id):
    return namespace()[grade_id]


def test_trusted_references_may_call_what_the_answer_may_not():
    forbidden = ownwork.Forbidden([bp.Network.backward])
    ref = stage1.REFERENCES["neuron_gradients"]
    w, b, X, y = np.ones((1, 2)), np.zeros((1, 1)), np.ones((2, 3)), np.zeros((1, 3))
    with ownwork.Monitor(forbidden, trusted=[ref]) as mon:
        ref(w, b, X, y)
    assert mon.hit is None
    with ownwork.Monitor(forbidden) as mon:
        ref(w, b, X, y)
    assert mon.hit == "bpkit's own bp.Network.backward"


# The own-work module is standard-library only, so it can be run by every interpreter the course
# supports, numpy or not. Opcode names differ between them (LOAD_METHOD is gone in 3.12).
OWNWORK_PROBE = r'''
import importlib.util, sys
spec = importlib.util.spec_from_file_location("ownwork", sys.argv[1])
ow = importlib.util.module_from_spec(spec); spec.loader.exec_module(ow)
import math
def ready(z): return z * 2
class Lib:
    def method(self, z): return ready(z)
lib = Lib()
forbidden = ow.Forbidden([ready, math.erf], silencers={"errstate": "np.errstate"})
def direct(z): return ready(z)
def via_method(z): return lib.method(z)
def via_attribute(z): return math.erf(z)
def nested(z):
    def inner(): return [ready(v) for v in (z,)]
    return inner()
def own(z): return z + 1
def silenced(z):
    with np.errstate(all="ignore"): return z
results = {}
for f in (direct, via_method, via_attribute, nested, own, silenced, ready):
    static = ow.static_use(f, forbidden)
    with ow.Monitor(forbidden) as mon:
        try: f(1.0)
        except NameError: pass
    results[f.__name__] = (static, mon.hit)
print(repr(results))
'''


def _interpreter(version: str) -> str | None:
    """A working python<version>: on PATH, or in pyenv's versions folder (whose shims only
    answer for the selected versions)."""
    import glob
    import shutil
    import subprocess
    roots = [Path.home() / ".pyenv", Path(os.environ.get("PYENV_ROOT", "/nonexistent"))]
    if shutil.which("pyenv"):
        found = subprocess.run(["pyenv", "root"], capture_output=True, text=True)
        roots.append(Path(found.stdout.strip() or "/nonexistent"))
    candidates = [shutil.which(f"python{version}")]
    for root in roots:
        candidates += sorted(glob.glob(str(root / "versions" / f"{version}.*" / "bin" / f"python{version}")))
    for exe in filter(None, candidates):
        try:
            ok = subprocess.run([exe, "-c", "import sys; print(sys.version_info[:2])"],
                                capture_output=True, text=True, timeout=30)
        except OSError:
            continue
        if ok.returncode == 0 and ok.stdout.strip() == str(tuple(int(v) for v in version.split("."))):
            return exe
    return None


@pytest.mark.parametrize("version", ["3.10", "3.11", "3.12", "3.13"])
def test_own_work_check_on_every_supported_python(version, tmp_path):
    import subprocess
    exe = _interpreter(version)
    if exe is None:
        pytest.skip(f"python{version} is not installed here")
    probe = tmp_path / "probe.py"
    probe.write_text(OWNWORK_PROBE)
    run = subprocess.run([exe, str(probe), str(REPO / "bpkit" / "grading" / "ownwork.py")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    results = eval(run.stdout.strip())
    ready = "__main__.ready"
    assert results["direct"] == (("call", ready), ready)
    assert results["via_method"] == (None, ready)              # only the profiler sees this one
    assert results["via_attribute"] == (("call", "math.erf"), None)  # compiled: found by name
    assert results["nested"][0] == ("call", ready)              # in a nested code object
    assert results["own"] == (None, None)
    assert results["silenced"][0] == ("silence", "np.errstate")
    assert results["ready"][0] == ("call", ready)


# --- the engine: cases, equations, catalogue ---------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), layers=st.integers(1, 3), m=st.integers(1, 6),
       act=st.sampled_from(["sigmoid", "tanh", "relu", "identity"]))
def test_the_engines_equations_agree_with_bpkits_network(seed, layers, m, act):
    rng = np.random.default_rng(seed)
    sizes = [int(n) for n in rng.integers(1, 5, layers + 1)]
    acts = (act,) * (layers - 1) + ("sigmoid",)
    loss = "cross_entropy" if seed % 2 else "mse"
    case = engine.network_case(rng, sizes, m, activations=acts, loss=loss)
    right, composed = case.right, case.solve()
    for key in ("z", "delta", "dW", "db"):
        for r, c in zip(getattr(right, key), getattr(composed, key)):
            np.testing.assert_allclose(c, r, rtol=1e-9, atol=1e-12)


def test_every_catalogue_mistake_changes_some_result():
    rng = np.random.default_rng(0)
    case = engine.network_case(rng, [3, 4, 2], 5)
    right = case.right
    for key, mistake in mistakes.CATALOGUE.items():
        if key.startswith("step"):
            p, dp = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
            assert not np.allclose(mistake.replace["step"](p, dp, 0.3), p - 0.3 * dp), key
            continue
        with np.errstate(all="ignore"):
            try:
                wrong = mistake.solve(case)
            except ValueError:
                continue      # e.g. W without its transpose: shapes that cannot multiply
        changed = any(np.shape(w) != np.shape(r) or not np.allclose(w, r)
                      for k in ("z", "a", "delta", "dW", "db")
                      for w, r in zip(getattr(wrong, k), getattr(right, k)))
        assert changed, key


def test_a_stage_module_only_declares_specs():
    source = (REPO / "bpkit" / "grading" / "stage1.py").read_text()
    assert "_judge" not in source and "check.run(" not in source.replace("_check.run(fn, np.array", "")
    assert set(stage1.EXERCISES) == set(students.GRADE_IDS)
    for name, spec in stage1.EXERCISES.items():
        assert getattr(stage1, f"check_{name}").spec is spec


def test_the_references_swapped_in_are_right_answers():
    import dataclasses
    for name, ref in stage1.REFERENCES.items():       # bpkit's own, so not under the own-work rule
        spec = dataclasses.replace(stage1.EXERCISES[name], forbidden=ownwork.Forbidden())
        engine.check(spec, ref, seed=5)

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




# --- the notebook ----------------------------------------------------------------------------------

def test_the_checks_are_not_fooled_by_a_global_seterr():
    old = np.seterr(all="ignore")
    try:
        grade_id, source, pattern = students.MISTAKES["sigmoid: overflows for large negative z"]
        with pytest.raises(AssertionError, match=pattern):
            run_checks(grade_id, namespace(**{grade_id: source}), 0)
    finally:
        np.seterr(**old)
