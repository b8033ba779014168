"""Gradient checking: compare backpropagation with central finite differences.

    ∂f/∂x_i ≈ (f(x + ε e_i) − f(x − ε e_i)) / 2ε        error O(ε²)

Backpropagation gets every partial derivative from one backward pass; finite differences
need two evaluations of f per parameter — far too slow to train with, but a nearly
independent check that the backward pass is right (seed 002 makes the same point).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from . import _checks


def numerical_gradient(f, x, eps: float = 1e-6) -> np.ndarray:
    """∂f/∂x by central differences, one entry of x at a time.

    f: a function of x returning a scalar, e.g. ``lambda W: net.loss(X, Y)`` with x a
    weight matrix the network reads. x: a float64 array, perturbed IN PLACE (so f sees the
    change through whatever holds x) and restored exactly afterwards, even if f fails.
    Returns: an array shaped like x.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"numerical_gradient: x must be a NumPy array (it is perturbed in "
                        f"place), got {type(x).__name__}.")
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient: x has dtype {x.dtype}; it must be float64, "
                        f"or the nudges of size eps={eps} would be rounded away. Use x.astype(float).")
    if not callable(f):
        raise TypeError(f"numerical_gradient: f must be a function of x, got {type(f).__name__}.")
    if not isinstance(eps, numbers.Real) or not eps > 0:
        raise ValueError(f"numerical_gradient: eps must be a small positive number, got {eps!r}.")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        try:
            x[i] = old + eps
            f_plus = _scalar(f(x))
            x[i] = old - eps
            f_minus = _scalar(f(x))
        finally:
            x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _scalar(value) -> float:
    v = np.asarray(value)
    if v.size != 1:
        raise TypeError(f"numerical_gradient: f must return a scalar, got shape {v.shape}.")
    return float(v.reshape(()))


def relative_error(a, b) -> float:
    """||a − b|| / (||a|| + ||b||): 0 when equal, 1 when opposite, scale-free.

    For float64 gradients, ≲1e-7 means agreement; 1e-2 or more usually means a bug.
    (0 if both are all zeros.) a, b: arrays of the same shape.
    """
    eq = "relative_error(a, b)"
    a = _checks.array(a, "a", eq, ndim=None)
    b = _checks.array(b, "b", eq, ndim=None)
    _checks.same_shape(a, b, "a, b", eq)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


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
    grads = net.backward(X, Y)            # checks X and Y
    errors = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases), 1):
        for name, param, analytic in ((f"W{l}", W, grads.dW[l - 1]), (f"b{l}", b, grads.db[l - 1])):
            numeric = numerical_gradient(lambda _: net.loss(X, Y), param, eps)
            errors[name] = relative_error(analytic, numeric)
    return GradientReport(errors=errors, tol=tol)
