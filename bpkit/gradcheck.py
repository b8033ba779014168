"""Gradient checking: compare backpropagation with central finite differences.

    ∂f/∂x_i ≈ (f(x + ε e_i) − f(x − ε e_i)) / 2ε        error O(ε²)

Backpropagation gets every partial derivative from one backward pass; finite differences
need two evaluations of f per parameter — far too slow to train with, but a nearly
independent check that the backward pass is right (seed 002 makes the same point).
"""
from __future__ import annotations

import inspect
import math
import numbers
from dataclasses import dataclass

import numpy as np

from . import _checks
from .network import Network


def numerical_gradient(f, x, eps: float = 1e-6) -> np.ndarray:
    """∂f/∂x by central differences, one entry of x at a time.

    f: a function of x returning a scalar, e.g. ``lambda W: net.loss(X, Y)`` with x a
    weight matrix the network reads. x: a non-empty, writable float64 array without
    NaN/inf, perturbed IN PLACE (so f sees the change through whatever holds x) and
    restored exactly afterwards, even if f fails. eps: the step ε > 0.
    Returns: an array shaped like x.
    """
    name = "numerical_gradient(f, x, eps)"
    if not callable(f):
        raise TypeError(f"{name}: f must be a function of x, got {type(f).__name__}.")
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name}: x must be a NumPy array (it is perturbed in "
                        f"place), got {type(x).__name__}.")
    eps = _checks.real("numerical_gradient", "eps", eps, 0.0, low_inclusive=False)
    if x.dtype != np.float64:
        raise TypeError(f"{name}: x has dtype {x.dtype}; it must be float64, "
                        f"or the nudges of size eps={eps} would be rounded away. Use x.astype(float).")
    if x.size == 0:
        raise ValueError(f"{name}: x has shape {x.shape}, no entries to differentiate by.")
    if not x.flags.writeable:
        raise ValueError(f"{name}: x (shape {x.shape}) is read-only, but it is nudged in "
                         f"place; pass a writable array, e.g. x.copy() (then f must read that copy).")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: x contains {'NaN' if np.isnan(x).any() else 'inf'}; "
                         f"a derivative there means nothing.")
    _takes_one_argument(f)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        try:
            values = []
            for nudged in (float(old) + eps, float(old) - eps):   # Python floats: inf, no warning
                if not math.isfinite(nudged):
                    raise ValueError(f"{name}: x{list(i)} ± eps = {old:g} ± {eps:g} overflows "
                                     f"float64; use a smaller eps.")
                x[i] = nudged
                values.append(_scalar(f(x), i))
        finally:
            x[i] = old
        grad[i] = (values[0] - values[1]) / (2 * eps)
        if not math.isfinite(grad[i]):
            raise ValueError(f"{name}: (f(x + eps) − f(x − eps)) / 2eps at x{list(i)} overflows "
                             f"float64 (f = {values[0]:.3g} and {values[1]:.3g}, eps={eps:g}); "
                             f"use a smaller eps.")
    return grad


def _takes_one_argument(f) -> None:
    """f is called as f(x): say so now if it cannot be, rather than fail inside the loop."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):   # some builtins have no signature: just try them
        return
    try:
        signature.bind(None)
    except TypeError:
        raise TypeError(f"numerical_gradient: f is called as f(x), with one argument, but it "
                        f"has the signature {getattr(f, '__name__', 'f')}{signature}.") from None


def _scalar(value, i) -> float:
    """f's value as a float, or an error that says what f returned instead."""
    where = f"numerical_gradient: f(x) with x{list(i)} nudged"
    if value is None:
        raise TypeError(f"{where} returned None — did the function forget to `return` its value?")
    if isinstance(value, (str, bytes, bool, np.bool_)) or not isinstance(value, (numbers.Real, np.ndarray, np.number)):
        raise TypeError(f"{where} returned {type(value).__name__} {str(value)[:40]!r}; "
                        f"f must return a number (a scalar cost).")
    v = np.asarray(value)
    if v.size != 1:
        raise TypeError(f"{where} returned an array of shape {v.shape}; f must return a "
                        f"scalar (e.g. a cost, or np.sum(...) of an array).")
    if v.dtype.kind not in "fiu":
        raise TypeError(f"{where} returned dtype {v.dtype}; f must return a real number.")
    v = float(v.reshape(()))
    if not math.isfinite(v):
        raise ValueError(f"{where} returned {v}; f must be finite near x.")
    return v


def relative_error(a, b) -> float:
    """||a − b|| / (||a|| + ||b||): 0 when equal, 1 when opposite, scale-free.

    For float64 gradients, ≲1e-7 means agreement; 1e-2 or more usually means a bug.
    (0 if both are all zeros.) a, b: arrays of the same shape.
    Both are first divided by their largest |entry|, which leaves the ratio unchanged and
    keeps the norms from underflowing (1e-200 vs −1e-200 is 1, not 0/0) or overflowing.
    """
    eq = "relative_error(a, b)"
    a = _checks.array(a, "a", eq, ndim=None)
    b = _checks.array(b, "b", eq, ndim=None)
    _checks.same_shape(a, b, "a, b", eq)
    scale = max(_checks.magnitude(a), _checks.magnitude(b))
    if scale == 0:
        return 0.0
    a, b = a / scale, b / scale
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


@dataclass(frozen=True)
class GradientReport:
    """Worst relative error per parameter ("W1", "b1", …) of backward vs finite differences."""
    errors: dict
    tol: float

    @property
    def worst(self) -> float:
        return max(self.errors.values())

    @property
    def ok(self) -> bool:
        """True when every parameter's relative error is below tol."""
        return self.worst < self.tol

    def __repr__(self) -> str:
        rows = "\n".join(f"  {name:>4}  {err:.2e}  {'ok' if err < self.tol else 'MISMATCH'}"
                         for name, err in self.errors.items())
        verdict = "all gradients agree" if self.ok else "backward disagrees with finite differences"
        return f"GradientReport (tol {self.tol:.0e}): {verdict}\n{rows}"


def check_gradients(net, X, Y, eps: float = 1e-6, tol: float = 1e-7) -> GradientReport:
    """Compare net.backward(X, Y) with numerical_gradient of net.loss, for every W^l, b^l.

    Slow (two forward passes per parameter): use a small network and batch.
    Returns a GradientReport; ``report.ok`` tells whether all relative errors are < tol.
    """
    if not isinstance(net, Network):
        raise TypeError(f"check_gradients: net must be a bp.Network, got {type(net).__name__}.")
    eps = _checks.real("check_gradients", "eps", eps, 0.0, low_inclusive=False)
    tol = _checks.real("check_gradients", "tol", tol, 0.0, low_inclusive=False)
    net.loss(X, Y)                        # checks the network, X and Y, and that C is finite
    grads = net.backward(X, Y)
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    loss = type(net).loss.__wrapped__     # checked just above: the formula alone
    errors = {}
    with np.errstate(over="ignore", invalid="ignore"):   # a non-finite cost is an error below
        for l, (W, b) in enumerate(zip(net.weights, net.biases), 1):
            for name, param, analytic in ((f"W{l}", W, grads.dW[l - 1]), (f"b{l}", b, grads.db[l - 1])):
                numeric = numerical_gradient(lambda _: loss(net, X, Y), param, eps)
                errors[name] = relative_error(analytic, numeric)
    return GradientReport(errors=errors, tol=tol)
