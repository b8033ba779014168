"""bp1 … bp4 and z = W a + b, each checked alone against central finite differences.

For BP2–BP4 we use a cost that is linear in the next weighted input, C = Σ G ⊙ z^(l+1)
with G fixed and random, so ∂C/∂z^(l+1) = G exactly and each equation is tested in isolation.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import bpkit as bp

ACTS = ["sigmoid", "tanh", "relu", "identity"]
dims = st.integers(1, 5)
TOL = 1e-7


def rand(rng, *shape):
    return rng.standard_normal(shape)


@settings(max_examples=40, deadline=None)
@given(n=dims, m=dims, act=st.sampled_from(ACTS), seed=st.integers(0, 2**32 - 1))
def test_bp1_is_dC_dz_of_the_output_layer(n, m, act, seed):
    rng = np.random.default_rng(seed)
    z, y = rand(rng, n, m), rng.uniform(size=(n, m))
    f = bp.get_activation(act).f
    delta = bp.bp1(bp.mse_grad(f(z), y), z, act)
    numeric = bp.numerical_gradient(lambda z_: bp.mse(f(z_), y), z)
    assert delta.shape == (n, m)
    assert bp.relative_error(delta, numeric) < TOL


@settings(max_examples=40, deadline=None)
@given(n=dims, n_next=dims, m=dims, act=st.sampled_from(ACTS), seed=st.integers(0, 2**32 - 1))
def test_bp2_moves_the_error_one_layer_back(n, n_next, m, act, seed):
    rng = np.random.default_rng(seed)
    W, b, z, G = rand(rng, n_next, n), rand(rng, n_next, 1), rand(rng, n, m), rand(rng, n_next, m)
    f = bp.get_activation(act).f
    cost = lambda z_: np.sum(G * (W @ f(z_) + b))          # ∂C/∂z^(l+1) = G
    delta = bp.bp2(W, G, z, act)
    assert delta.shape == (n, m)
    assert bp.relative_error(delta, bp.numerical_gradient(cost, z)) < TOL


@settings(max_examples=40, deadline=None)
@given(n=dims, n_prev=dims, m=dims, seed=st.integers(0, 2**32 - 1))
def test_bp3_and_bp4_give_the_parameter_gradients(n, n_prev, m, seed):
    rng = np.random.default_rng(seed)
    W, b, a_prev, G = rand(rng, n, n_prev), rand(rng, n, 1), rand(rng, n_prev, m), rand(rng, n, m)
    cost = lambda _: np.sum(G * bp.weighted_input(W, a_prev, b))   # δ = G
    db, dW = bp.bp3(G), bp.bp4(G, a_prev)
    assert db.shape == (n, 1) and dW.shape == (n, n_prev)
    assert bp.relative_error(db, bp.numerical_gradient(cost, b)) < TOL
    assert bp.relative_error(dW, bp.numerical_gradient(cost, W)) < TOL


def test_weighted_input_adds_the_bias_to_every_column():
    W, a, b = np.array([[1.0, 2.0]]), np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[10.0]])
    np.testing.assert_array_equal(bp.weighted_input(W, a, b), [[11.0, 12.0]])


# -- errors that teach -----------------------------------------------------------------

def test_weighted_input_names_the_mismatched_shapes():
    with pytest.raises(ValueError, match=r"z = W a \+ b: W is \(3, 4\) but a_prev has 5 rows"):
        bp.weighted_input(np.ones((3, 4)), np.ones((5, 2)), np.ones((3, 1)))


def test_weighted_input_rejects_a_flat_bias():
    with pytest.raises(ValueError, match=r"b has shape \(3,\), a 1-D array, where a matrix.*b.reshape\(-1, 1\)"):
        bp.weighted_input(np.ones((3, 4)), np.ones((4, 2)), np.ones(3))


def test_bp1_refuses_to_broadcast():
    with pytest.raises(ValueError, match=r"BP1 .*grad_a is \(1, 4\) but z is \(3, 4\)"):
        bp.bp1(np.ones((1, 4)), np.ones((3, 4)))


def test_bp1_spots_a_transposed_argument():
    with pytest.raises(ValueError, match="looks transposed"):
        bp.bp1(np.ones((4, 3)), np.ones((3, 4)))


def test_bp2_names_W_and_delta():
    with pytest.raises(ValueError, match=r"BP2 .*W\^\(l\+1\) is \(2, 3\) but δ\^\(l\+1\) is \(4, 5\)"):
        bp.bp2(np.ones((2, 3)), np.ones((4, 5)), np.ones((3, 5)))


def test_bp2_names_z_when_it_does_not_fit():
    with pytest.raises(ValueError, match=r"z\^l is \(3, 4\) but \(W\^\(l\+1\)\)ᵀ δ\^\(l\+1\) is \(3, 5\)"):
        bp.bp2(np.ones((2, 3)), np.ones((2, 5)), np.ones((3, 4)))


def test_bp3_rejects_a_1d_delta():
    with pytest.raises(ValueError, match=r"BP3 .*delta has shape \(4,\)"):
        bp.bp3(np.ones(4))


def test_bp4_names_the_batch_mismatch():
    with pytest.raises(ValueError, match=r"BP4 .*δ\^l is \(2, 5\) but a\^\(l−1\) is \(3, 4\)"):
        bp.bp4(np.ones((2, 5)), np.ones((3, 4)))


def test_lists_are_refused_with_a_fix():
    with pytest.raises(TypeError, match=r"Python list; pass a NumPy array"):
        bp.bp3([[1.0, 2.0]])


def test_nan_is_refused():
    with pytest.raises(ValueError, match="BP4 .*contains NaN"):
        bp.bp4(np.array([[np.nan]]), np.ones((1, 1)))


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match=r"unknown activation 'softmax'; choose one of"):
        bp.bp1(np.ones((1, 1)), np.ones((1, 1)), "softmax")


def test_huge_values_give_one_clear_error_not_an_overflow_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"bp4: the result overflows float64 .*\|delta\| reaches 1e\+200, \|a_prev\| reaches 1e\+200"):
            bp.bp4(np.full((1, 2), 1e200), np.full((3, 2), 1e200))
        assert np.all(np.isfinite(bp.bp4(np.full((1, 2), 1e150), np.full((3, 2), 1e150))))


def test_no_samples_is_refused():
    with pytest.raises(ValueError, match=r"BP3 .*delta has shape \(2, 0\): no samples"):
        bp.bp3(np.ones((2, 0)))


def test_the_network_runs_these_very_functions():
    """One definition per formula: what the checked function computes is its body, which
    Network.backward calls as bp2.__wrapped__ (and so on)."""
    rng = np.random.default_rng(0)
    W, d, z = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((3, 4))
    np.testing.assert_array_equal(bp.bp2(W, d, z, "tanh"), bp.bp2.__wrapped__(W, d, z, "tanh"))
    import inspect
    assert list(inspect.signature(bp.bp2).parameters) == ["W_next", "delta_next", "z", "activation"]
