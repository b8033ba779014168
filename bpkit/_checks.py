"""Input checks shared by every public function, and the decorator that applies them.

Each formula in bpkit is written once, as a plain function of float64 arrays. Its public,
checked version is made with :func:`checked`: check the arguments, run the formula, refuse
a result that overflowed. The formula itself stays reachable as ``fn.__wrapped__`` (the
Python convention for decorated functions), which is what Network's training loop runs
once it has checked its inputs — so the code a reader sees is the code that trains.

Each check names the equation it guards and the shapes or values involved, because the
message is the first thing a student reads when something is off. NumPy broadcasts
silently; these checks are here so that bpkit never does.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import numbers

import numpy as np


def shape_str(x) -> str:
    """(3, 4) for an array; the type name otherwise."""
    return str(tuple(x.shape)) if hasattr(x, "shape") else type(x).__name__


# --------------------------------------------------------------------------- the decorator
def checked(check, result=None):
    """Decorator: the public function checks its arguments, then runs the formula.

    ``check`` receives the arguments bound to the formula's parameters, in order, defaults
    filled in, and returns them checked (as float64 arrays, names resolved to objects).
    The formula runs with NumPy's overflow warnings off; a result that is not finite
    although every input was becomes a ValueError naming the inputs' magnitudes — huge
    but finite inputs end in one clear message, not a warning and an inf. ``result``, if
    given, post-processes the value (e.g. a 0-d array to a scalar).

    The formula is ``public.__wrapped__``; help() and inspect show its signature and doc.
    """
    def decorate(formula):
        signature = inspect.signature(formula)
        names = list(signature.parameters)

        @functools.wraps(formula)
        def public(*args, **kwargs):
            if kwargs or len(args) != len(names):  # else every argument is already in place
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                args = bound.args
            args = check(*args)
            with np.errstate(over="ignore", invalid="ignore"):
                value = formula(*args)
                ok = _finite(value)
            if not ok:
                raise ValueError(overflow_message(f"{formula.__qualname__}", names, args))
            return value if result is None else result(value)
        return public
    return decorate


def _finite(value) -> bool:
    """True unless value holds a NaN or ±inf (arrays, floats, and lists/dataclasses of them)."""
    if isinstance(value, (float, np.floating)):
        return bool(np.isfinite(value))
    if isinstance(value, np.ndarray):
        # A NaN or inf anywhere makes the sum NaN or inf: one cheap reduction usually decides.
        return bool(np.isfinite(value.sum()) or np.all(np.isfinite(value)))
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(_finite(getattr(value, f.name)) for f in dataclasses.fields(value))
    return True


def magnitude(x) -> float:
    """The largest |entry| of an array (0 for an empty one)."""
    return float(np.max(np.abs(x))) if np.size(x) else 0.0


def overflow_message(func: str, names, args) -> str:
    """Finite inputs, non-finite result: say how large the inputs were."""
    sizes = ", ".join(f"|{n}| reaches {magnitude(a):.3g}" for n, a in zip(names, args)
                      if isinstance(a, np.ndarray) and a.size)
    return (f"{func}: the result overflows float64 (largest finite number ≈ 1.8e308) although "
            f"every input is finite ({sizes}). Rescale the inputs to order 1.")


# --------------------------------------------------------------------------- arrays
def array(x, name: str, equation: str, *, ndim: int | None = 2) -> np.ndarray:
    """Return ``x`` as a float64 array, or raise an error that says what is wrong.

    Rejects lists (a common slip: pass ``np.array(...)``), non-numeric dtypes, NaN/inf,
    and, when ``ndim`` is 2, 1-D arrays — the course's vectors are columns (n, 1), never
    (n,) — and empty matrices (m = 0 samples: every cost is a mean over m).
    With ``ndim=None`` a Python or NumPy scalar is accepted too.
    """
    if isinstance(x, (list, tuple)):
        raise TypeError(f"{equation}: {name} is a Python {type(x).__name__}; "
                        f"pass a NumPy array, e.g. np.array({name}).")
    if ndim is None and isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_)):
        try:
            x = np.float64(x)
        except OverflowError:  # a Python int beyond float64's range, e.g. 10**400
            raise ValueError(f"{equation}: {name} = {_short(x)} is too large for a float64 "
                             f"(largest ≈ 1.8e308).") from None
    if not isinstance(x, (np.ndarray, np.number, np.bool_)):
        raise TypeError(f"{equation}: {name} must be a NumPy array, got {type(x).__name__}.")
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{equation}: {name} has dtype {x.dtype}; expected real numbers (float64)"
                        + (", not complex." if x.dtype.kind == "c" else "."))
    if ndim is not None and x.ndim != ndim:
        if ndim == 2 and x.ndim == 1:
            raise ValueError(
                f"{equation}: {name} has shape {x.shape}, a 1-D array, where a matrix (n, m) "
                f"was meant — samples are columns. Use {name}.reshape(1, -1) for m samples of "
                f"one value each, or {name}.reshape(-1, 1) for one sample of n values.")
        raise ValueError(f"{equation}: {name} must be {ndim}-D, got shape {shape_str(x)}.")
    if ndim == 2 and x.shape[1] == 0:
        raise ValueError(f"{equation}: {name} has shape {x.shape}: no samples (m = 0 columns). "
                         f"Costs and gradients are means over the batch, so they need m >= 1.")
    if ndim == 2 and x.shape[0] == 0:
        raise ValueError(f"{equation}: {name} has shape {x.shape}: no rows (a layer of 0 "
                         f"neurons); every layer needs n >= 1.")
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
            hint = " One of them looks transposed."
        raise ValueError(f"{equation}: {first} is {a.shape} but {second} is {b.shape}; "
                         f"they must have the same shape (nothing is broadcast).{hint}")


def in_unit_interval(x: np.ndarray, what: str, equation: str, hint: str = "") -> None:
    """Raise unless every entry of x lies in [0, 1] (probabilities, 0/1 targets)."""
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"{equation}: {what} must lie in [0, 1]{hint}, got values in "
                         f"[{x.min():g}, {x.max():g}].")


# --------------------------------------------------------------------------- scalars
def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}…({len(text)} characters)"


def integer(func: str, name: str, value, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` as an int in [minimum, maximum], or explain what is wrong with it."""
    # bool is an Integral subclass, but moons(m=True) is surely a mistake.
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: {name} must be an integer, got {_short(value)} "
                        f"(type {type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{func}: {name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{func}: {name} must be an integer <= {maximum}, got {_short(value)}")
    return int(value)


def real(func: str, name: str, value, low: float, high: float | None = None,
         high_inclusive: bool = True, *, low_inclusive: bool = True) -> float:
    """Return ``value`` as a finite float in [low, high] (open ends as asked), or explain."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{func}: {name} must be a real number, got {_short(value)} "
                        f"(type {type(value).__name__})")
    try:
        value = float(value)
    except OverflowError:  # a Python int beyond float64's range
        raise ValueError(f"{func}: {name} = {_short(value)} is too large for a float "
                         f"(largest ≈ 1.8e308).") from None
    below = value < low if low_inclusive else value <= low
    above = high is not None and (value > high if high_inclusive else value >= high)
    if not np.isfinite(value) or below or above:
        opening = "[" if low_inclusive else "("
        if high is None:
            wanted = f"{'>=' if low_inclusive else '>'} {low}"
        else:
            wanted = f"in {opening}{low}, {high}{']' if high_inclusive else ')'}"
        raise ValueError(f"{func}: {name} must be {wanted}, got {value}")
    return value


def flag(func: str, name: str, value) -> bool:
    """Return ``value`` if it is True or False, else raise (a truthy string is a mistake)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{func}: {name} must be True or False, got {_short(value)} "
                        f"(type {type(value).__name__})")
    return bool(value)


def seed(func: str, name: str, value):
    """Return ``value`` if it can seed ``np.random.default_rng``, else explain.

    Accepted: None (fresh randomness), an integer >= 0, or a ``np.random.Generator`` /
    ``SeedSequence`` (used as is). The same seed always gives the same numbers.
    """
    if value is None or isinstance(value, (np.random.Generator, np.random.SeedSequence)):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: {name} must be an integer >= 0, None or a "
                        f"np.random.Generator, got {_short(value)} (type {type(value).__name__})")
    if value < 0:
        raise ValueError(f"{func}: {name} must be an integer >= 0, got {value}")
    return int(value)
