"""bpkit.datasets: course layout (samples are columns), float64, seeding, validation."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpkit import datasets as ds

RANDOM_2D = [ds.moons, ds.circles]


def _assert_binary(X, Y, m):
    assert X.shape == (2, m) and Y.shape == (1, m)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    assert set(np.unique(Y)) <= {0.0, 1.0}


# --------------------------------------------------------------------------- shapes
def test_xor_is_the_four_corners():
    X, Y = ds.xor()
    _assert_binary(X, Y, 4)
    for x, y in zip(X.T, Y[0]):
        assert x[0] in (0, 1) and x[1] in (0, 1)
        assert y == float(int(x[0]) ^ int(x[1]))
    assert {tuple(x) for x in X.T} == {(0, 0), (0, 1), (1, 0), (1, 1)}


@pytest.mark.parametrize("make", RANDOM_2D)
@pytest.mark.parametrize("m", [1, 7, 200])
def test_two_class_sets_shapes(make, m):
    X, Y = make(m=m)
    _assert_binary(X, Y, m)
    if m > 1:
        assert set(np.unique(Y)) == {0.0, 1.0}


def test_circles_factor_sets_inner_radius():
    X, Y = ds.circles(m=400, noise=0.0, factor=0.3, seed=1)
    r = np.hypot(*X)
    np.testing.assert_allclose(r[Y[0] == 1], 0.3)
    np.testing.assert_allclose(r[Y[0] == 0], 1.0)


def test_spiral_shapes_and_one_hot():
    X, Y = ds.spiral(m_per_class=50, classes=4)
    assert X.shape == (2, 200) and Y.shape == (4, 200)
    assert X.dtype == Y.dtype == np.float64
    np.testing.assert_array_equal(Y.sum(axis=0), 1.0)
    np.testing.assert_array_equal(ds.to_labels(Y), np.repeat(np.arange(4), 50))
    assert np.all(np.hypot(*X) <= 1.0 + 1e-12)  # radius runs 0 → 1; noise moves the angle only


def test_digits_split_and_range():
    X_tr, Y_tr, X_te, Y_te = ds.digits()
    assert X_tr.shape == (64, 1347) and Y_tr.shape == (10, 1347)
    assert X_te.shape == (64, 450) and Y_te.shape == (10, 450)
    for a in (X_tr, Y_tr, X_te, Y_te):
        assert a.dtype == np.float64
    assert X_tr.min() == 0.0 and X_tr.max() == 1.0 and 0.0 <= X_te.min() <= X_te.max() <= 1.0
    np.testing.assert_array_equal(Y_tr.sum(axis=0), 1.0)
    # Stratified: every digit is in the test set in about its overall share (~10 %).
    counts = np.bincount(ds.to_labels(Y_te), minlength=10)
    assert counts.min() >= 40 and counts.max() <= 50


def test_digits_split_is_a_partition():
    X_tr, _, X_te, _ = ds.digits(test_fraction=0.5, seed=3, stratify=False)
    assert X_tr.shape[1] + X_te.shape[1] == 1797 and X_te.shape[1] == 899
    from sklearn.datasets import load_digits

    def sorted_columns(A):
        return A[:, np.lexsort(A[::-1])]

    # Same images as the original, each exactly once, only shuffled and scaled.
    np.testing.assert_array_equal(sorted_columns(np.hstack([X_tr, X_te])),
                                  sorted_columns(load_digits().data.T / 16.0))


def test_digits_returns_fresh_arrays():
    X_tr = ds.digits()[0]
    X_tr[:] = -1.0  # a student scribbling on their copy must not change the next call
    assert ds.digits()[0].min() == 0.0


# --------------------------------------------------------------------------- seeding
@pytest.mark.parametrize("make", [ds.moons, ds.circles, ds.spiral, ds.digits])
def test_same_seed_same_arrays_other_seed_differs(make):
    a, b, c = make(seed=5), make(seed=5), make(seed=6)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])


# --------------------------------------------------------------------------- one_hot / to_labels
def test_one_hot_example():
    np.testing.assert_array_equal(ds.one_hot([2, 0, 1]),
                                  [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    assert ds.one_hot(np.array([0, 1]), k=5).shape == (5, 2)
    assert ds.one_hot([], k=3).shape == (3, 0)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 12).flatmap(
    lambda k: st.tuples(st.just(k), st.lists(st.integers(0, k - 1), max_size=30))))
def test_to_labels_inverts_one_hot(k_labels):
    k, labels = k_labels
    Y = ds.one_hot(np.array(labels, dtype=np.int64), k)
    assert Y.shape == (k, len(labels)) and Y.dtype == np.float64
    np.testing.assert_array_equal(Y.sum(axis=0), 1.0)
    if k > 1:  # with one row, a (1, m) Y means "probability of class 1" instead
        np.testing.assert_array_equal(ds.to_labels(Y), labels)


def test_to_labels_thresholds_a_single_row():
    labels = ds.to_labels(np.array([[0.1, 0.5, 0.51, 0.9]]))
    np.testing.assert_array_equal(labels, [0, 0, 1, 1])
    assert np.issubdtype(labels.dtype, np.integer)


def test_to_labels_argmax_over_rows():
    np.testing.assert_array_equal(ds.to_labels(np.array([[0.2, 0.7], [0.5, 0.1], [0.3, 0.2]])),
                                  [1, 0])


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("call, error, match", [
    (lambda: ds.moons(m=0), ValueError, r"moons: m must be an integer >= 1, got 0"),
    (lambda: ds.moons(m=-3), ValueError, r"moons: m .* got -3"),
    (lambda: ds.moons(m=2.5), TypeError, r"moons: m must be an integer, got 2\.5"),
    (lambda: ds.moons(m=True), TypeError, r"moons: m must be an integer"),
    (lambda: ds.moons(noise=-0.1), ValueError, r"moons: noise must be >= 0.0, got -0\.1"),
    (lambda: ds.moons(noise=float("nan")), ValueError, r"moons: noise"),
    (lambda: ds.circles(noise="big"), TypeError, r"circles: noise must be a real number"),
    (lambda: ds.circles(factor=1.0), ValueError, r"circles: factor must be in \[0.0, 1.0\)"),
    (lambda: ds.spiral(m_per_class=0), ValueError, r"spiral: m_per_class .* got 0"),
    (lambda: ds.spiral(classes=1), ValueError, r"spiral: classes must be an integer >= 2"),
    (lambda: ds.spiral(noise=-1), ValueError, r"spiral: noise"),
    (lambda: ds.digits(test_fraction=0), ValueError, r"digits: test_fraction .* got 0\.0"),
    (lambda: ds.digits(test_fraction=1.5), ValueError, r"digits: test_fraction .* got 1\.5"),
    (lambda: ds.digits(test_fraction=0.001), ValueError, r"digits: cannot split"),
    (lambda: ds.one_hot([0.0, 1.0]), TypeError, r"one_hot: labels must be integers, got dtype float64"),
    (lambda: ds.one_hot([True, False]), TypeError, r"one_hot: labels must be integers, got dtype bool"),
    (lambda: ds.one_hot([[0, 1]]), ValueError, r"one_hot: labels must be a 1-D .* shape \(1, 2\)"),
    (lambda: ds.one_hot([0, 3], k=3), ValueError, r"one_hot: labels must lie in 0 … 2 \(k = 3\), got \[3\]"),
    (lambda: ds.one_hot([-1, 0]), ValueError, r"one_hot: labels must lie in .* got \[-1\]"),
    (lambda: ds.one_hot([], k=None), ValueError, r"one_hot: cannot infer k"),
    (lambda: ds.one_hot([0], k=0), ValueError, r"one_hot: k must be an integer >= 1"),
    (lambda: ds.to_labels(np.array([0.2, 0.9])), ValueError, r"to_labels: .* got shape \(2,\).*reshape"),
    (lambda: ds.to_labels(np.zeros((0, 3))), ValueError, r"to_labels: .* got shape \(0, 3\)"),
])
def test_bad_arguments_are_explained(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_numpy_integers_are_accepted():
    X, _ = ds.moons(m=np.int64(10), noise=np.float32(0.0))
    assert X.shape == (2, 10)


@pytest.mark.parametrize("make", [ds.moons, ds.circles, ds.spiral, ds.digits])
@pytest.mark.parametrize("seed, error, match", [
    ("abc", TypeError, r"seed must be an integer >= 0, None or a np.random.Generator, got 'abc'"),
    (-1, ValueError, r"seed must be an integer >= 0, got -1"),
    (1.5, TypeError, r"seed must be an integer >= 0, None or a np.random.Generator, got 1.5 \(type float\)"),
])
def test_seeds_are_checked(make, seed, error, match):
    with pytest.raises(error, match=f"{make.__name__}: " + match):
        make(seed=seed)


@pytest.mark.parametrize("make", [ds.moons, ds.circles, ds.spiral])
def test_noise_beyond_float64_is_an_error_not_a_warning(make):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=f"{make.__name__}: noise=1e\\+308 pushes points beyond float64"):
            make(noise=1e308)
        assert np.all(np.isfinite(make(noise=1e100)[0]))     # absurd, but representable


@pytest.mark.parametrize("Y, error, match", [
    (np.array([["a", "b"]]), TypeError, r"to_labels: Y must hold real numbers .* dtype <U1"),
    (np.array([[0.2, np.nan]]), ValueError, r"to_labels: Y \(1, 2\) contains NaN"),
    (np.array([[0.2, 1j]]), TypeError, r"to_labels: Y must hold real numbers .* dtype complex128"),
    ("0101", TypeError, r"to_labels: Y must be a NumPy array .* got str"),
])
def test_to_labels_refuses_what_has_no_class(Y, error, match):
    with pytest.raises(error, match=match):
        ds.to_labels(Y)


def test_absurd_sizes_are_refused_with_the_memory_they_would_take():
    with pytest.raises(ValueError, match=r"moons: m = 1,000,000,000,000 would make .* GiB"):
        ds.moons(m=10**12)
    with pytest.raises(ValueError, match=r"one_hot: k = 1,000,000,000,001 would make"):
        ds.one_hot([10**12])
