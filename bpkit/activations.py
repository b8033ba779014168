"""Activation functions σ and their derivatives σ′, applied elementwise: a = σ(z).

Every function takes a scalar or an array of any shape and returns the same shape, in
float64 (a scalar for a scalar). Backpropagation needs σ′ at the weighted input z (not at
the output a = σ(z)): that is what BP1 and BP2 multiply by.

Each function below is the formula itself behind an input check (see ``_checks.checked``);
``get_activation(name)`` gives the formulas without the check, which is how bp1, bp2 and
Network's training loop call them once their inputs are checked.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
from scipy.special import expit

from . import _checks


def _scalar_if_0d(value):
    """A 0-d array back to a NumPy float: scalars in, scalars out."""
    return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value


def elementwise(formula):
    """The public version of an activation formula: z must be a real scalar or array
    without NaN/inf (the message names the function); a scalar in gives a scalar out."""
    def check(z):
        return (_checks.array(z, "z", f"{formula.__name__}(z)", ndim=None),)
    return _checks.checked(check, result=_scalar_if_0d)(formula)


@elementwise
def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)), the logistic function, squashing z into (0, 1).

    Computed by SciPy's ``expit``, which never lets e^(…) overflow: for z ≥ 0 it takes
    1/(1 + e^(−z)) and for z < 0 the same function rearranged, e^z/(1 + e^z) — so e only
    ever sees −|z| ≤ 0. σ(−700) ≈ 1e−304 and σ(700) = 1.0 come out exact, with no warning.
    (The one-line 1/(1 + np.exp(−z)) overflows, with a warning, for z < −709.)

    z: scalar or array of any shape.  Returns: same shape.
    """
    return expit(z)


@elementwise
def sigmoid_prime(z):
    """σ′(z) = σ(z)(1 − σ(z)), the derivative of the sigmoid at z.

    Why: σ = (1 + e^(−z))^(−1), so σ′ = e^(−z)/(1 + e^(−z))² = σ · (e^(−z)/(1 + e^(−z)))
    = σ(1 − σ). It peaks at ¼ (z = 0): every sigmoid layer multiplies δ by a factor
    σ′ ≤ ¼ in BP2. That bounds one factor only — the other, Wᵀ, can grow δ — but with
    weights of order 1 deep sigmoid stacks tend to shrink δ layer after layer: the
    vanishing gradient.

    Computed as σ(z)·σ(−z), the same value since 1 − σ(z) = σ(−z): symmetric in z, and
    precise in the tails, where 1 − σ(z) would round to 0 for z > 37.

    z: scalar or array (the weighted input, not the activation).  Returns: same shape.
    """
    return expit(z) * expit(-z)


@elementwise
def tanh(z):
    """tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z)), in (−1, 1); tanh(z) = 2σ(2z) − 1.

    z: scalar or array.  Returns: same shape.
    """
    return np.tanh(z)


@elementwise
def tanh_prime(z):
    """tanh′(z) = 1 − tanh²(z).   z: scalar or array.  Returns: same shape."""
    t = np.tanh(z)
    return 1.0 - t * t


@elementwise
def relu(z):
    """relu(z) = max(0, z).   z: scalar or array.  Returns: same shape."""
    return np.maximum(z, 0.0)


@elementwise
def relu_prime(z):
    """relu′(z) = 1 where z > 0, else 0 (we take 0 at the kink z = 0).

    z: scalar or array.  Returns: same shape.
    """
    return np.greater(z, 0.0).astype(np.float64)


@elementwise
def identity(z):
    """identity(z) = z, for a linear output layer (regression).   Returns: same shape.

    A copy, like every other activation's result: changing it never changes z.
    """
    return np.array(z, dtype=np.float64)


@elementwise
def identity_prime(z):
    """identity′(z) = 1.   z: scalar or array.  Returns: ones of the same shape."""
    return np.ones_like(z)


class Activation(NamedTuple):
    """An activation by name: f = σ and prime = σ′ as formulas — the functions above
    without their input check (``f is bp.sigmoid.__wrapped__``). They expect float64 arrays
    that are already checked (inside bp1, bp2 and Network); for anything else call the
    checked functions, ``bp.sigmoid(z)`` etc."""
    name: str
    f: Callable
    prime: Callable


ACTIVATIONS: dict[str, Activation] = {
    fn.__name__: Activation(fn.__name__, fn.__wrapped__, prime.__wrapped__)
    for fn, prime in ((sigmoid, sigmoid_prime), (tanh, tanh_prime), (relu, relu_prime),
                      (identity, identity_prime))
}


def get_activation(name) -> Activation:
    """The Activation called ``name`` (or ``name`` itself if it is already an Activation):
    one of "sigmoid", "tanh", "relu", "identity"."""
    if type(name) is str and name in ACTIVATIONS:   # the common case first: fit calls this per layer
        return ACTIVATIONS[name]
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name such as 'sigmoid', got "
                        f"{_checks.shape_str(name) if hasattr(name, 'shape') else repr(name)[:40]} "
                        f"(type {type(name).__name__}).")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}.")
    return ACTIVATIONS[name]
