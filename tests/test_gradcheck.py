"""numerical_gradient, relative_error and check_gradients — and that the check catches bugs."""
import numpy as np
import pytest

import bpkit as bp


def test_numerical_gradient_of_a_quadratic_is_exact_and_x_is_restored():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([[1.0], [-2.0]])
    x0 = x.copy()
    g = bp.numerical_gradient(lambda v: 0.5 * (v.T @ A @ v).item(), x)
    np.testing.assert_allclose(g, A @ x0, rtol=1e-9)
    assert np.array_equal(x, x0)


def test_x_is_restored_even_when_f_fails():
    x = np.ones((2, 2))
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return v.sum()
    with pytest.raises(RuntimeError):
        bp.numerical_gradient(f, x)
    assert np.array_equal(x, np.ones((2, 2)))


def test_numerical_gradient_explains_bad_arguments():
    with pytest.raises(TypeError, match="dtype int64; it must be float64"):
        bp.numerical_gradient(lambda v: v.sum(), np.array([1, 2]))
    with pytest.raises(TypeError, match="x must be a NumPy array"):
        bp.numerical_gradient(lambda v: 0.0, [1.0])
    with pytest.raises(TypeError, match="f must return a scalar"):
        bp.numerical_gradient(lambda v: v, np.ones(2))


def test_relative_error():
    assert bp.relative_error(np.ones(3), np.ones(3)) == 0.0
    assert bp.relative_error(np.ones(3), -np.ones(3)) == 1.0
    assert bp.relative_error(np.zeros(2), np.zeros(2)) == 0.0
    with pytest.raises(ValueError, match=r"a is \(2,\) but b is \(3,\)"):
        bp.relative_error(np.ones(2), np.ones(3))


def test_check_gradients_passes_on_a_correct_network():
    rng = np.random.default_rng(0)
    net = bp.Network([3, 4, 2], activations=["tanh", "sigmoid"], loss="cross_entropy", seed=0)
    report = bp.check_gradients(net, rng.standard_normal((3, 5)), rng.uniform(size=(2, 5)))
    assert report.ok and set(report.errors) == {"W1", "b1", "W2", "b2"}
    assert "all gradients agree" in repr(report)


def test_check_gradients_catches_a_missing_sigma_prime(monkeypatch):
    """A test that can fail: break BP2 the classic way and the report must say so."""
    rng = np.random.default_rng(1)
    net = bp.Network([3, 4, 1], seed=1)
    X, Y = rng.standard_normal((3, 6)), rng.uniform(size=(1, 6))
    monkeypatch.setattr(bp.bp2, "__wrapped__", lambda W, d, z, act: W.T @ d)   # BP2 without σ′
    report = bp.check_gradients(net, X, Y)
    assert not report.ok
    assert report.errors["W2"] < 1e-7 and report.errors["W1"] > 1e-2
    assert "MISMATCH" in repr(report)
