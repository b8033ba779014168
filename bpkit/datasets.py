"""Small datasets for the course, already in the course's layout.

Every function here returns arrays with **samples as columns**: inputs ``X`` have
shape ``(n_features, m)`` and targets ``Y`` have shape ``(n_outputs, m)``, so
``X[:, i:i+1]`` and ``Y[:, i:i+1]`` are the i-th sample and its target, each a column.
That is the layout the equations use (``z = W a + b`` with ``a`` a column), so the
arrays can go straight into a network without transposes. Everything is float64.

Two target encodings appear:

* **binary** problems (xor, moons, circles) give ``Y`` of shape ``(1, m)`` holding 0.0 or
  1.0, the natural target for a single sigmoid output neuron;
* **multi-class** problems (spiral, digits) give a *one-hot* ``Y`` of shape ``(k, m)``:
  column i is all zeros except a 1.0 in the row of sample i's class, the natural target
  for ``k`` output neurons.

:func:`one_hot` and :func:`to_labels` convert between integer class labels and these
targets. Random datasets take a ``seed``: the same seed always gives the same arrays.
Nothing here touches the network; scikit-learn's generators and its bundled digits
images are used where they exist.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import _checks

__all__ = ["xor", "moons", "circles", "spiral", "digits", "one_hot", "to_labels"]


def _sklearn_seed(func: str, seed) -> int:
    """An int seed for scikit-learn's ``random_state``, drawn from ``default_rng(seed)``.

    Going through ``np.random.default_rng`` gives every function here the same meaning
    for ``seed`` (an int >= 0, ``None`` for fresh randomness, or a ``Generator``).
    """
    return int(np.random.default_rng(_checks.seed(func, "seed", seed)).integers(2**31 - 1))


def _columns(func: str, noise: float, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's rows-are-samples (m, n) and (m,) to the course's (n, m) and (1, m)."""
    X = np.ascontiguousarray(X.T, dtype=np.float64)
    Y = np.asarray(y, dtype=np.float64).reshape(1, -1)
    _finite_points(func, noise, X)
    return X, Y


def _finite_points(func: str, noise: float, X: np.ndarray) -> None:
    """A noise so large that the points overflow float64 is a mistake: say so."""
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{func}: noise={noise:g} pushes points beyond float64's range "
                         f"(≈ 1.8e308); the data span about 1, so noise of 0.1–0.3 is typical.")


# Arrays larger than this many float64s (800 MB) are surely a typo (m=10**9): refuse them
# with the size, rather than let NumPy fail with a MemoryError that names no argument.
MAX_ENTRIES = 10**8


def _check_size(func: str, what: str, count: int, rows: int) -> None:
    if count * rows > MAX_ENTRIES:
        raise ValueError(f"{func}: {what} = {count:,} would make {count * rows:,} float64 "
                         f"entries ({8 * count * rows / 2**30:.3g} GiB); the limit is {MAX_ENTRIES:,}.")


# --------------------------------------------------------------------------- toy sets
def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR examples: the smallest problem a single neuron cannot solve.

    Returns
    -------
    X : ndarray, shape (2, 4)
        The corners of the unit square, one per column: (0,0), (0,1), (1,0), (1,1).
    Y : ndarray, shape (1, 4)
        ``x1 XOR x2`` for each column: ``[[0, 1, 1, 0]]``.

    No straight line separates the 1s from the 0s, so a network needs a hidden layer
    to fit these four points; that is why XOR is the first test of backpropagation.
    """
    X = np.array([[0.0, 0.0, 1.0, 1.0],
                  [0.0, 1.0, 0.0, 1.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    return X, Y


def moons(m: int = 200, noise: float = 0.1, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half-moons: a binary problem that needs a curved boundary.

    Parameters
    ----------
    m : int
        Number of samples (``m // 2`` on the upper moon, the rest on the lower).
    noise : float
        Standard deviation of Gaussian noise added to each coordinate (>= 0).
    seed : int, Generator or None
        Same seed, same arrays; ``None`` draws fresh randomness.

    Returns
    -------
    X : ndarray, shape (2, m)
        Points in the plane, one per column, in shuffled order.
    Y : ndarray, shape (1, m)
        1.0 for the lower moon, 0.0 for the upper one.
    """
    from sklearn.datasets import make_moons  # imported here: sklearn is slow to import

    m = _checks.integer("moons", "m", m, 1)
    _check_size("moons", "m", m, 3)
    noise = _checks.real("moons", "noise", noise, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):  # a huge noise is refused below
        return _columns("moons", noise, *make_moons(n_samples=m, noise=noise,
                                                     random_state=_sklearn_seed("moons", seed)))


def circles(m: int = 200, noise: float = 0.1, factor: float = 0.5,
            seed=0) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one: no line separates them, a ring of hidden units can.

    Parameters
    ----------
    m : int
        Number of samples (``m // 2`` on the outer circle, the rest on the inner).
    noise : float
        Standard deviation of Gaussian noise added to each coordinate (>= 0).
    factor : float
        Radius of the inner circle relative to the outer one, in [0, 1).
    seed : int, Generator or None
        Same seed, same arrays; ``None`` draws fresh randomness.

    Returns
    -------
    X : ndarray, shape (2, m)
        Points in the plane, one per column, in shuffled order.
    Y : ndarray, shape (1, m)
        1.0 for the inner circle, 0.0 for the outer one.
    """
    from sklearn.datasets import make_circles  # imported here: sklearn is slow to import

    m = _checks.integer("circles", "m", m, 1)
    _check_size("circles", "m", m, 3)
    noise = _checks.real("circles", "noise", noise, 0.0)
    factor = _checks.real("circles", "factor", factor, 0.0, 1.0, high_inclusive=False)
    with np.errstate(over="ignore", invalid="ignore"):  # a huge noise is refused below
        return _columns("circles", noise, *make_circles(n_samples=m, noise=noise, factor=factor,
                                                         random_state=_sklearn_seed("circles", seed)))


def spiral(m_per_class: int = 100, classes: int = 3, noise: float = 0.2,
           seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n spiral): a multi-class problem.

    Arm ``j`` is traced by radius ``r`` going from 0 to 1 while the angle ``t`` sweeps
    from ``4j`` to ``4(j+1)`` radians; Gaussian noise of standard deviation ``noise`` is
    added to the angle, and the point is ``(r sin t, r cos t)``.

    Parameters
    ----------
    m_per_class : int
        Points on each arm (>= 1).
    classes : int
        Number of arms, i.e. classes (>= 2).
    noise : float
        Standard deviation of the noise on the angle, in radians (>= 0).
    seed : int, Generator or None
        Same seed, same arrays; ``None`` draws fresh randomness.

    Returns
    -------
    X : ndarray, shape (2, classes * m_per_class)
        Points in the plane, one per column, grouped by class: the first
        ``m_per_class`` columns are arm 0, the next arm 1, and so on.
    Y : ndarray, shape (classes, classes * m_per_class)
        One-hot targets: ``Y[j, i] == 1.0`` exactly when column ``i`` lies on arm ``j``.
    """
    n = _checks.integer("spiral", "m_per_class", m_per_class, 1)
    k = _checks.integer("spiral", "classes", classes, 2)
    noise = _checks.real("spiral", "noise", noise, 0.0)
    rng = np.random.default_rng(_checks.seed("spiral", "seed", seed))
    _check_size("spiral", "m_per_class × classes", n * k, 2 + k)

    r = np.tile(np.linspace(0.0, 1.0, n), k)                      # radius, per arm
    t = np.concatenate([np.linspace(4.0 * j, 4.0 * (j + 1), n) for j in range(k)])
    with np.errstate(over="ignore", invalid="ignore"):            # a huge noise is refused below
        t = t + noise * rng.standard_normal(n * k)                # wobble the angle
        X = np.vstack([r * np.sin(t), r * np.cos(t)])
    _finite_points("spiral", noise, X)
    return X, one_hot(np.repeat(np.arange(k), n), k)


# --------------------------------------------------------------------------- digits
@lru_cache(maxsize=1)
def _digits_raw() -> tuple[np.ndarray, np.ndarray]:
    # Read once per session; callers get fresh copies so they may modify them freely.
    from sklearn.datasets import load_digits  # bundled in the sklearn wheel: no download

    data = load_digits()
    return data.data.astype(np.float64), data.target.astype(np.int64)


def digits(test_fraction: float = 0.25, seed=0, stratify: bool = True
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Real handwritten digits: 1,797 greyscale 8×8 images of 0–9, split for training and test.

    Each image is flattened row by row into a column of 64 pixels, scaled from the
    original 0–16 ink levels to [0, 1]. The samples are shuffled with ``seed`` and
    split so that about ``test_fraction`` of them (rounded up) are held out for
    measuring how well a trained network generalises.

    Parameters
    ----------
    test_fraction : float
        Share of the samples in the test set, strictly between 0 and 1.
    seed : int, Generator or None
        Same seed, same split; ``None`` draws a fresh one.
    stratify : bool
        If true (default), each digit is as common in the test set as in the training set.

    Returns
    -------
    X_train : ndarray, shape (64, m_train)
    Y_train : ndarray, shape (10, m_train), one-hot
    X_test : ndarray, shape (64, m_test)
    Y_test : ndarray, shape (10, m_test), one-hot
        ``m_test = ceil(test_fraction * 1797)`` and ``m_train = 1797 - m_test``
        (the defaults give 1347 and 450). ``X[:, i].reshape(8, 8)`` is image i again,
        and ``to_labels(Y)`` recovers the digits 0–9.
    """
    from sklearn.model_selection import train_test_split

    test_fraction = _checks.real("digits", "test_fraction", test_fraction, 0.0, 1.0)
    stratify = _checks.flag("digits", "stratify", stratify)
    random_state = _sklearn_seed("digits", seed)
    if test_fraction in (0.0, 1.0):
        raise ValueError(f"digits: test_fraction must be strictly between 0 and 1, "
                         f"got {test_fraction}")
    pixels, labels = _digits_raw()
    try:
        X_tr, X_te, y_tr, y_te = train_test_split(
            pixels / 16.0, labels, test_size=test_fraction,
            random_state=random_state, stratify=labels if stratify else None)
    except ValueError as err:  # e.g. a stratified test set too small to hold all 10 digits
        raise ValueError(f"digits: cannot split with test_fraction={test_fraction}, "
                         f"stratify={stratify}: {err}") from err
    return (np.ascontiguousarray(X_tr.T), one_hot(y_tr, 10),
            np.ascontiguousarray(X_te.T), one_hot(y_te, 10))


# --------------------------------------------------------------------------- encodings
def one_hot(labels, k: int | None = None) -> np.ndarray:
    """Turn integer class labels into one-hot target columns.

    ``one_hot([2, 0, 1])`` is::

        [[0., 1., 0.],
         [0., 0., 1.],
         [1., 0., 0.]]

    Column i has a single 1.0, in row ``labels[i]``: that is the output we want from
    ``k`` output neurons for sample i, so the cost compares ``a^L`` with it column by column.

    Parameters
    ----------
    labels : array_like of int, shape (m,)
        Class of each sample, each in ``0 … k-1``.
    k : int, optional
        Number of classes (rows). Defaults to ``max(labels) + 1``.

    Returns
    -------
    Y : ndarray, shape (k, m), float64
        Every column sums to 1. :func:`to_labels` inverts this.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"one_hot: labels must be a 1-D array of shape (m,), got shape "
                         f"{labels.shape}")
    if labels.size == 0 and labels.dtype != bool:
        labels = labels.astype(np.int64)  # np.asarray([]) is float64, but nothing is wrong
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype} "
                        f"(if they are whole numbers, pass labels.astype(int))")
    if k is None:
        if labels.size == 0:
            raise ValueError("one_hot: cannot infer k from empty labels; pass k explicitly")
        k = int(labels.max()) + 1
    k = _checks.integer("one_hot", "k", k, 1)
    _check_size("one_hot", "k", k, max(labels.size, 1))
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        bad = labels[(labels < 0) | (labels >= k)]
        raise ValueError(f"one_hot: labels must lie in 0 … {k - 1} (k = {k}), got "
                         f"{bad[:5].tolist()}{' …' if bad.size > 5 else ''}")
    Y = np.zeros((k, labels.size))
    Y[labels, np.arange(labels.size)] = 1.0
    return Y


def to_labels(Y) -> np.ndarray:
    """Read the class of each column of targets or network outputs.

    * ``Y`` of shape ``(1, m)``: a single sigmoid output is read as the probability of
      class 1, so the label is 1 where ``Y > 0.5`` and 0 elsewhere (an output of
      exactly 0.5 is undecided and counts as 0, as in ``Network.accuracy``).
    * ``Y`` of shape ``(k, m)`` with ``k > 1``: the label is the row holding the
      largest value (``argmax`` down each column), which inverts :func:`one_hot` and
      picks the most active output neuron for a network's output.

    Returns
    -------
    labels : ndarray of int, shape (m,)
    """
    if isinstance(Y, (list, tuple)):
        Y = np.asarray(Y)
    if not isinstance(Y, np.ndarray):
        raise TypeError(f"to_labels: Y must be a NumPy array of shape (n_outputs, m), got "
                        f"{type(Y).__name__}")
    if Y.dtype.kind not in "fiub":
        raise TypeError(f"to_labels: Y must hold real numbers (targets or outputs), got dtype "
                        f"{Y.dtype}")
    if Y.ndim != 2 or Y.shape[0] == 0:
        raise ValueError(f"to_labels: Y must be a 2-D array of shape (n_outputs, m) with "
                         f"n_outputs >= 1, got shape {Y.shape}"
                         + (" (for one sample per column, use Y.reshape(1, -1))"
                            if Y.ndim == 1 else ""))
    if Y.dtype.kind == "f" and not np.all(np.isfinite(Y)):
        raise ValueError(f"to_labels: Y {Y.shape} contains {'NaN' if np.isnan(Y).any() else 'inf'}; "
                         f"no class can be read from it")
    if Y.shape[0] == 1:
        return (Y[0] > 0.5).astype(np.int64)
    return np.argmax(Y, axis=0).astype(np.int64)
