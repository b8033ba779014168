"""σ, σ′ and friends: values, stability, and each derivative against finite differences."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import bpkit as bp

NAMES = ["sigmoid", "tanh", "relu", "identity"]
finite = st.floats(-10, 10, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(name=st.sampled_from(NAMES), z=arrays(np.float64, array_shapes(max_dims=2, max_side=3), elements=finite))
def test_each_derivative_matches_central_differences(name, z):
    act = bp.get_activation(name)
    if name == "relu":                               # finite differences are wrong at the kink
        z = np.where(np.abs(z) < 1e-3, 1.0, z)
    numeric = bp.numerical_gradient(lambda z_: np.sum(act.f(z_)), z.copy(), 1e-6)
    assert act.prime(z).shape == z.shape
    # atol: central differences of a sum of ≤ 9 terms of size ≤ 10 carry ~1e-8 of roundoff
    np.testing.assert_allclose(act.prime(z), numeric, rtol=1e-6, atol=1e-7)


def test_sigmoid_values_and_the_identity_sigma_prime_is_sigma_times_one_minus_sigma():
    z = np.linspace(-8, 8, 33)
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(bp.sigmoid(z), s, rtol=1e-15)
    np.testing.assert_allclose(bp.sigmoid_prime(z), s * (1 - s), rtol=1e-12)
    assert bp.sigmoid(0.0) == 0.5 and bp.sigmoid_prime(0.0) == 0.25


def test_sigmoid_is_stable_to_700_and_beyond_without_warnings():
    z = np.array([-1000.0, -700.0, -40.0, 40.0, 700.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            s, ds = bp.sigmoid(z), bp.sigmoid_prime(z)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ds))
    np.testing.assert_allclose(s[[0, -1]], [0.0, 1.0])
    np.testing.assert_allclose(s[1], np.exp(-700.0), rtol=1e-12)      # no cancellation
    np.testing.assert_allclose(ds[1], np.exp(-700.0), rtol=1e-12)      # tails keep precision
    assert ds[1] == ds[4]                                             # σ′ is even


def test_scalars_in_scalars_out_arrays_keep_their_shape():
    for name in NAMES:
        act = bp.get_activation(name)
        assert np.ndim(act.f(0.3)) == 0 and np.ndim(act.prime(0.3)) == 0
        assert act.f(np.ones((2, 3))).shape == (2, 3)
        assert act.f(np.ones((2, 3))).dtype == np.float64


def test_relu_and_identity():
    z = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(bp.relu(z), [[0, 0, 3]])
    np.testing.assert_array_equal(bp.relu_prime(z), [[0, 0, 1]])
    np.testing.assert_array_equal(bp.identity(z), z)
    np.testing.assert_array_equal(bp.identity_prime(z), [[1, 1, 1]])
    np.testing.assert_allclose(bp.tanh_prime(z), 1 - np.tanh(z) ** 2)


def test_bad_inputs_are_explained():
    with pytest.raises(TypeError, match=r"sigmoid\(z\): z is a Python list; pass a NumPy array"):
        bp.sigmoid([0.0, 1.0])
    with pytest.raises(TypeError, match=r"sigmoid\(z\): z has dtype <U1; expected real numbers"):
        bp.sigmoid(np.array(["a"]))
    with pytest.raises(ValueError, match=r"sigmoid_prime\(z\): z contains NaN"):
        bp.sigmoid_prime(np.array([np.nan]))
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        bp.get_activation("softplus")


def test_one_definition_per_formula():
    """Network trains with the activation formulas themselves: the public functions are
    those formulas behind an input check, not a second copy."""
    for name in NAMES:
        act = bp.get_activation(name)
        assert act.f is getattr(bp, name).__wrapped__
        assert act.prime is getattr(bp, name + "_prime").__wrapped__
    z = np.concatenate([np.linspace(-750, 750, 3001), [-1e-9, 0.0, 1e-9]])
    np.testing.assert_array_equal(bp.get_activation("sigmoid").f(z), bp.sigmoid(z))


def test_sigmoid_of_numbers_beyond_float64_is_refused_clearly():
    with pytest.raises(ValueError, match=r"sigmoid\(z\): z = 1000+…\(401 characters\) is too large for a float64"):
        bp.sigmoid(10**400)
    assert bp.sigmoid(10**300) == 1.0                 # a big int that float64 holds is fine
    assert bp.sigmoid(-1e308) == 0.0 and bp.sigmoid_prime(1e308) == 0.0


def test_complex_and_bool_inputs():
    with pytest.raises(TypeError, match=r"tanh\(z\): z has dtype complex128; expected real numbers .*not complex"):
        bp.tanh(np.array([1j]))
    np.testing.assert_array_equal(bp.relu(np.array([True, False])), [1.0, 0.0])
