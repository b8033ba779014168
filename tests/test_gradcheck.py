"""numerical_gradient, relative_error and check_gradients — and that the check catches bugs."""
import warnings

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


# -- issue: good inputs that used to give wrong answers, bad ones that gave raw errors ------

@pytest.mark.parametrize("a, b", [(1e-200, -1e-200), (1e-170, 0.0), (1e200, 0.0), (0.0, -1e308),
                                  (1e308, -1e308)])
def test_relative_error_is_right_at_any_scale(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # and no overflow warning
        assert bp.relative_error(np.array([a]), np.array([b])) == 1.0


def test_relative_error_is_scale_free():
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.5])
    for scale in (1e-300, 1e-150, 1.0, 1e150, 1e300):
        assert bp.relative_error(scale * a, scale * b) == pytest.approx(bp.relative_error(a, b), rel=1e-12)


@pytest.mark.parametrize("f, x, eps, error, match", [
    (lambda v: None, np.ones(2), 1e-6, TypeError, r"returned None — did the function forget to `return`"),
    (lambda v: "cost", np.ones(2), 1e-6, TypeError, r"returned str 'cost'; f must return a number"),
    (lambda v: np.nan, np.ones(2), 1e-6, ValueError, r"returned nan; f must be finite"),
    (lambda v: v.sum(), np.array([1.0, np.nan]), 1e-6, ValueError, r"x contains NaN"),
    (lambda v: v.sum(), np.ones(2), np.inf, ValueError, r"eps must be > 0.0, got inf"),
    (lambda v: v.sum(), np.ones(2), 0.0, ValueError, r"eps must be > 0.0, got 0.0"),
    (lambda v: v.sum(), np.ones(2), -1e-6, ValueError, r"eps must be > 0.0, got -1e-06"),
    (lambda v: v.sum(), np.ones(2), None, TypeError, r"eps must be a real number, got None"),
    (lambda v: v.sum(), np.ones((2, 0)), 1e-6, ValueError, r"x has shape \(2, 0\), no entries"),
    (lambda v: v.sum(), np.broadcast_to(np.ones(1), (3,)), 1e-6, ValueError, r"x \(shape \(3,\)\) is read-only"),
    (None, np.ones(2), 1e-6, TypeError, r"f must be a function of x, got NoneType"),
    (lambda v: v.sum(), np.full(2, 1e308), 1e308, ValueError, r"x\[0\] ± eps = 1e\+308 ± 1e\+308 overflows"),
])
def test_numerical_gradient_explains_every_bad_input(f, x, eps, error, match):
    with pytest.raises(error, match=r"numerical_gradient.*" + match):
        bp.numerical_gradient(f, x, eps)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"tol": None}, TypeError, r"check_gradients: tol must be a real number, got None"),
    ({"tol": -1}, ValueError, r"check_gradients: tol must be > 0.0, got -1.0"),
    ({"tol": 0}, ValueError, r"check_gradients: tol must be > 0.0, got 0.0"),
    ({"tol": float("nan")}, ValueError, r"check_gradients: tol must be > 0.0, got nan"),
    ({"eps": 0}, ValueError, r"check_gradients: eps must be > 0.0"),
])
def test_check_gradients_explains_bad_tolerances(kwargs, error, match):
    net = bp.Network([2, 1], seed=0)
    with pytest.raises(error, match=match):
        bp.check_gradients(net, np.ones((2, 3)), np.ones((1, 3)), **kwargs)


def test_check_gradients_needs_a_network_and_samples():
    with pytest.raises(TypeError, match=r"check_gradients: net must be a bp.Network, got NoneType"):
        bp.check_gradients(None, np.ones((2, 3)), np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"X has shape \(2, 0\): no samples \(m = 0 columns\)"):
        bp.check_gradients(bp.Network([2, 1], seed=0), np.ones((2, 0)), np.ones((1, 0)))
