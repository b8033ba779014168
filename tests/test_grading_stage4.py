"""Stage 4's own grading pieces (bpkit/grading/stage4.py), beyond what test_stage_checks.py covers.

The variants of the checks are composed from the engine's equations; here they are tied to bpkit:
with nothing replaced they give bpkit's answers, and each layer-index slip really is one. The
errata exercise is checked as a learner meets it: the model gradient_check on seed 002's
transcription finds the output layer right and the others wrong.
"""
from __future__ import annotations

import numpy as np
import pytest

import bpkit as bp
from bpkit.grading import engine, stage4

from students_stage4 import CORRECT, SETUP


@pytest.fixture(scope="module")
def notebook():
    """The exercise notebook's namespace with every model answer."""
    ns: dict = {}
    exec(SETUP, ns)
    for source in CORRECT.values():
        exec(source, ns)
    return ns


@pytest.mark.parametrize("seed", range(6))
def test_an_epoch_composed_from_the_equations_is_bpkits_fit(seed):
    rng = np.random.default_rng(seed)
    case = stage4._random_case(rng, m=int(rng.integers(5, 12)))
    B, lr, s = int(rng.integers(1, 6)), 0.3, int(rng.integers(1000))
    net = case.net
    net.fit(case.X, case.Y, epochs=1, lr=lr, batch_size=B, seed=s, progress=False)
    Ws, bs = stage4._epoch(case, lr, B, np.random.default_rng(s).permutation(case.m))
    for got, want in zip([*Ws, *bs], [*net.weights, *net.biases]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_the_default_hidden_error_is_bpkits_backward(seed):
    case = stage4._random_case(np.random.default_rng(seed), L=3)
    solved = case.solve()
    for got, want in zip([*solved.dW, *solved.db], [*case.right.dW, *case.right.db]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_the_layer_index_slips_use_the_neighbouring_layer():
    case = stage4._random_case(np.random.default_rng(3), square=True, L=2,
                               acts=("tanh", "sigmoid"), loss="mse")
    W, z, d2 = case.weights, case.right.z, case.right.delta[1]
    slips = {"bp2.weights_this": (W[0].T @ d2) * bp.tanh_prime(z[0]),
             "bp2.prime_next": (W[1].T @ d2) * bp.sigmoid_prime(z[1]),
             "bp2.prime_next_z": (W[1].T @ d2) * bp.tanh_prime(z[1])}
    for key, delta1 in slips.items():
        wrong = stage4.MISTAKES[key].solve(case)
        np.testing.assert_allclose(wrong.delta[1], d2)             # δ² itself is right …
        np.testing.assert_allclose(wrong.delta[0], delta1)         # … δ¹ takes the neighbour
        assert not np.allclose(wrong.delta[0], case.right.delta[0])


def test_weights_updated_during_the_backward_loop_use_the_stepped_weights():
    case = stage4._random_case(np.random.default_rng(5), L=2, acts=("tanh", "identity"), loss="mse")
    lr = 0.4
    wrong = case.solve(hidden_error=stage4._updated_during_backward(lr))
    r = case.right
    W2_new = case.weights[1] - lr * r.dW[1]
    np.testing.assert_allclose(wrong.delta[0], (W2_new.T @ r.delta[1]) * bp.tanh_prime(r.z[0]))


def test_the_references_are_bpkits_equations():
    rng = np.random.default_rng(0)
    g, z = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    W, d = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    for name in stage4.ACTIVATIONS:
        p = stage4.PRIMES[name]
        np.testing.assert_array_equal(stage4._ref_bp1(g, z, p), bp.bp1(g, z, name))
        np.testing.assert_array_equal(stage4._ref_bp2(W, d, z, p), bp.bp2(W, d, z, name))


def test_seed002_as_transcribed_is_found_wrong_below_the_output_layer(notebook):
    ns = notebook
    check = ns["gradient_check"]
    V, b, X, T = ns["V002"], ns["b002"], ns["X002"], ns["T002"]
    cost = lambda Ws, bs: ns["seed002_cost"](Ws, bs, X, T)  # noqa: E731
    seed_errors = check(cost, V, b, *ns["seed002_as_written"](V, b, X, T))
    assert seed_errors["W3"] < 1e-7 and seed_errors["b3"] < 1e-7, seed_errors
    assert min(seed_errors[k] for k in ("W1", "b1", "W2", "b2")) > 1e-2, seed_errors
    fixed_errors = check(cost, V, b, *ns["seed002_backward"](V, b, X, T))
    assert max(fixed_errors.values()) < 1e-7, fixed_errors


@pytest.mark.parametrize("seed", [0, 7])
def test_the_model_trains_the_digits_with_its_own_sgd_epoch(notebook, seed):
    X, Y, X_test, Y_test = bp.datasets.digits()
    W, b, acts = notebook["train_digits"](X, Y, seed)
    assert bp.Network.from_params(W, b, acts).accuracy(X_test, Y_test) >= stage4.DIGITS_ACCURACY


def test_a_per_layer_output_that_is_not_a_list_is_named(notebook):
    def backward_all(weights, biases, activations, loss, X, Y):
        dWs, dbs = notebook["backward_all"](weights, biases, activations, loss, X, Y)
        return dWs[0], dbs
    with pytest.raises(AssertionError, match=r"dWs is an array of shape .* should be a list of 3 "
                                             r"arrays, one per layer: \[dW1, dW2, dW3\]"):
        stage4.check_backward_all(backward_all, seed=1)


def test_a_caller_list_entry_rebound_is_a_change_in_place(notebook):
    def sgd_epoch(weights, biases, *args):
        new_weights, new_biases = notebook["sgd_epoch"](weights, biases, *args)
        weights[0] = new_weights[0]                 # the caller's list now holds another array
        return new_weights, new_biases
    with pytest.raises(AssertionError, match=r"changed the caller's weights\[0\] in place"):
        stage4.check_sgd_epoch(sgd_epoch, seed=1)


def test_the_digits_check_reports_the_accuracy_reached():
    def train_digits(X, Y, seed):
        return [np.zeros((10, 64))], [np.zeros((10, 1))], ["sigmoid"]
    with pytest.raises(AssertionError, match=r"classifies \d+\.\d% of the 450 held-out digits"):
        stage4.check_train_digits(train_digits, seed=1)


def test_every_check_has_a_spec_with_its_name():
    for name, spec in stage4.EXERCISES.items():
        assert getattr(stage4, f"check_{name}").spec is spec
        assert isinstance(spec, engine.Exercise)
