"""Input checks shared by every public function.

Each check names the equation it guards and the shapes involved, because the message is
the first thing a student reads when something is off. NumPy broadcasts silently; these
checks are here so that bpkit never does.
"""
from __future__ import annotations

import numbers

import numpy as np


def shape_str(x) -> str:
    """(3, 4) for an array; the type name otherwise."""
    return str(tuple(x.shape)) if hasattr(x, "shape") else type(x).__name__


def array(x, name: str, equation: str, *, ndim: int | None = 2) -> np.ndarray:
    """Return ``x`` as a float64 array, or raise an error that says what is wrong.

    Rejects lists (a common slip: pass ``np.array(...)``), non-numeric dtypes, NaN/inf,
    and, when ``ndim`` is 2, 1-D arrays — the course's vectors are columns (n, 1), never (n,).
    """
    if isinstance(x, (list, tuple)):
        raise TypeError(f"{equation}: {name} is a Python {type(x).__name__}; "
                        f"pass a NumPy array, e.g. np.array({name}).")
    if isinstance(x, (numbers.Real, np.number)) and not isinstance(x, (bool, np.bool_)) and ndim is None:
        x = np.float64(x)
    if not isinstance(x, (np.ndarray, np.number)):
        raise TypeError(f"{equation}: {name} must be a NumPy array, got {type(x).__name__}.")
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{equation}: {name} has dtype {x.dtype}; expected numbers (float64).")
    if ndim is not None and x.ndim != ndim:
        if ndim == 2 and x.ndim == 1:
            raise ValueError(
                f"{equation}: {name} has shape {x.shape}, a 1-D array, where a matrix (n, m) "
                f"was meant — samples are columns. Use {name}.reshape(1, -1) for m samples of "
                f"one value each, or {name}.reshape(-1, 1) for one sample of n values.")
        raise ValueError(f"{equation}: {name} must be {ndim}-D, got shape {shape_str(x)}.")
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        bad = "NaN" if np.isnan(x).any() else "inf"
        raise ValueError(f"{equation}: {name} contains {bad}; check the learning rate "
                         f"or the inputs that produced it.")
    return x


def same_shape(a: np.ndarray, b: np.ndarray, names: str, equation: str) -> None:
    """Both arrays must have exactly the same shape: no broadcasting."""
    if a.shape != b.shape:
        first, second = (s.strip() for s in names.split(","))
        hint = ""
        if a.ndim == 2 and b.ndim == 2 and a.shape == b.shape[::-1]:
            hint = f" One of them looks transposed."
        raise ValueError(f"{equation}: {first} is {a.shape} but {second} is {b.shape}; "
                         f"they must have the same shape (nothing is broadcast).{hint}")


def integer(func: str, name: str, value, minimum: int) -> int:
    """Return ``value`` as an int, or explain what is wrong with it."""
    # bool is an Integral subclass, but moons(m=True) is surely a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: {name} must be an integer, got {value!r} "
                        f"(type {type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{func}: {name} must be an integer >= {minimum}, got {value}")
    return int(value)


def real(func: str, name: str, value, low: float, high: float | None = None,
         high_inclusive: bool = True) -> float:
    """Return ``value`` as a float in [low, high] (or [low, high)), or explain the problem."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{func}: {name} must be a real number, got {value!r} "
                        f"(type {type(value).__name__})")
    value = float(value)
    above = high is not None and (value > high if high_inclusive else value >= high)
    if not np.isfinite(value) or value < low or above:
        if high is None:
            wanted = f">= {low}"
        else:
            wanted = f"in [{low}, {high}{']' if high_inclusive else ')'}"
        raise ValueError(f"{func}: {name} must be {wanted}, got {value}")
    return value
