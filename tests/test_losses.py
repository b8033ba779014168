"""Costs and their gradients, against finite differences; cross-entropy at the edges."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import bpkit as bp


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 4), m=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_gradients_match_central_differences(n, m, seed):
    rng = np.random.default_rng(seed)
    a, y = rng.uniform(0.05, 0.95, size=(n, m)), rng.uniform(size=(n, m))
    for cost, grad in ((bp.mse, bp.mse_grad), (bp.cross_entropy, bp.cross_entropy_grad)):
        numeric = bp.numerical_gradient(lambda a_: cost(a_, y), a.copy())
        assert bp.relative_error(grad(a, y), numeric) < 1e-7


def test_mse_is_seed_004s_E_for_one_sample_and_a_mean_otherwise():
    assert bp.mse(np.array([[0.75]]), np.array([[1.0]])) == pytest.approx(0.5 * 0.25 ** 2)
    a, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2))
    assert bp.mse(a, y) == pytest.approx((1 + 9 + 4 + 16) / (2 * 2))


def test_cross_entropy_is_finite_without_warnings_at_exact_0_and_1():
    a, y = np.array([[0.0, 1.0, 0.0, 1.0]]), np.array([[0.0, 1.0, 1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c, g = bp.cross_entropy(a, y), bp.cross_entropy_grad(a, y)
    assert np.isfinite(c) and np.all(np.isfinite(g))
    assert c == pytest.approx(2 * -np.log(bp.losses.EPS) / 4, rel=1e-6)   # the two wrong answers


def test_sigmoid_output_with_cross_entropy_gives_delta_a_minus_y_over_m():
    """Seed 003's dz2 = a2 − y, with the mean's 1/m, and exact even when σ saturates."""
    z = np.array([[-800.0, -2.0, 0.5, 800.0]])
    a, y = bp.sigmoid(z), np.array([[1.0, 0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(bp.delta_sigmoid_cross_entropy(a, y), (a - y) / 4)
    # the long way, bp1, agrees where a(1 − a) is representable
    mid = slice(1, 3)
    np.testing.assert_allclose(bp.bp1(bp.cross_entropy_grad(a[:, mid], y[:, mid]), z[:, mid]),
                               (a[:, mid] - y[:, mid]) / 2, rtol=1e-12)
    # ... and is why the network uses the short way: at saturation the long way loses δ
    net = bp.Network.from_params([np.array([[1.0]])], [np.array([[0.0]])], loss="cross_entropy")
    g = net.backward(np.array([[800.0]]), np.array([[0.0]]))
    assert g.delta[0].item() == 1.0


def test_no_silent_broadcasting_between_a_and_y():
    with pytest.raises(ValueError, match=r"a is \(1, 4\) but y is \(4, 1\).*transposed"):
        bp.mse(np.ones((1, 4)), np.ones((4, 1)))
    with pytest.raises(ValueError, match=r"y has shape \(4,\), a 1-D array"):
        bp.mse_grad(np.ones((1, 4)), np.ones(4))


def test_cross_entropy_checks_its_ranges():
    with pytest.raises(ValueError, match=r"outputs a must lie in \[0, 1\].*sigmoid output"):
        bp.cross_entropy(np.array([[1.5]]), np.array([[1.0]]))
    with pytest.raises(ValueError, match=r"targets y must lie in \[0, 1\]"):
        bp.cross_entropy_grad(np.array([[0.5]]), np.array([[2.0]]))


def test_integer_targets_are_fine():
    assert bp.mse(np.array([[1.0, 0.0]]), np.array([[1, 0]])) == 0.0


def test_delta_sigmoid_cross_entropy_needs_outputs_in_0_1_like_cross_entropy():
    with pytest.raises(ValueError, match=r"BP1 with sigmoid \+ cross-entropy.*outputs a must lie in \[0, 1\].*got values in \[1.5, 1.5\]"):
        bp.delta_sigmoid_cross_entropy(np.array([[1.5]]), np.array([[1.0]]))


def test_no_samples_is_refused_not_nan():
    for cost in (bp.mse, bp.mse_grad, bp.cross_entropy, bp.cross_entropy_grad):
        with pytest.raises(ValueError, match=r"a has shape \(1, 0\): no samples \(m = 0 columns\)"):
            cost(np.ones((1, 0)), np.ones((1, 0)))


def test_huge_costs_are_one_clear_error_and_large_ones_are_exact():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"mse: the result overflows float64 .*\|a\| reaches 1e\+200, \|y\| reaches 0"):
            bp.mse(np.array([[1e200]]), np.array([[0.0]]))
        assert bp.mse(np.array([[1e150]]), np.array([[0.0]])) == pytest.approx(0.5e300)


def test_each_cost_object_is_the_same_formulas_as_the_functions():
    """One definition per formula: Network's cost objects run the functions' own code."""
    mse, ce = bp.losses.get_loss("mse"), bp.losses.get_loss("cross_entropy")
    assert mse.value is bp.mse.__wrapped__ and mse.grad is bp.mse_grad.__wrapped__
    assert ce.value is bp.cross_entropy.__wrapped__ and ce.grad is bp.cross_entropy_grad.__wrapped__
    z = np.array([[-1.0, 0.5]])
    a, y = bp.sigmoid(z), np.array([[0.0, 1.0]])
    sig, tanh = bp.get_activation("sigmoid"), bp.get_activation("tanh")
    np.testing.assert_array_equal(ce.delta(a, y, z, sig), bp.delta_sigmoid_cross_entropy(a, y))
    np.testing.assert_array_equal(mse.delta(a, y, z, sig), bp.bp1(bp.mse_grad(a, y), z, "sigmoid"))
    # any other output activation: BP1 as written
    np.testing.assert_allclose(ce.delta(a, y, z, tanh), bp.cross_entropy_grad(a, y) * bp.tanh_prime(z))
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        bp.losses.get_loss("hinge")
