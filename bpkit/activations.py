"""Activation functions σ and their derivatives σ′, applied elementwise: a = σ(z).

Every function takes a scalar or an array of any shape and returns the same shape, in
float64. Backpropagation needs σ′ at the weighted input z (not at the output a = σ(z)):
that is what BP1 and BP2 multiply by.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
from scipy.special import expit

from . import _checks


def _input(z, fn: str) -> np.ndarray:
    return _checks.array(z, "z", f"{fn}(z)", ndim=None)


def _out(x: np.ndarray):
    """Return a Python-friendly float64 scalar for 0-d results, the array otherwise."""
    return x[()] if x.ndim == 0 else x


def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)), the logistic function, squashing z into (0, 1).

    Computed from e^(−|z|), which never overflows: for z ≥ 0 as 1/(1 + e^(−z)) and for
    z < 0 as e^z/(1 + e^z) — the same function, rearranged. So σ(−700) and σ(700) are
    exact (0.0... and 1.0) with no overflow warning.

    z: scalar or array of any shape.  Returns: same shape.
    """
    z = _input(z, "sigmoid")
    e = np.exp(-np.abs(z))                 # in (0, 1]: never overflows
    return _out(np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)))


def sigmoid_prime(z):
    """σ′(z) = σ(z)(1 − σ(z)), the derivative of the sigmoid at z.

    Why: σ = (1 + e^(−z))^(−1), so σ′ = e^(−z)/(1 + e^(−z))² = σ · (e^(−z)/(1 + e^(−z)))
    = σ(1 − σ). It peaks at ¼ (z = 0), so each sigmoid layer shrinks the error δ at
    least fourfold — the vanishing gradient.

    z: scalar or array (the weighted input, not the activation).  Returns: same shape.
    """
    # Written as e^(−|z|)/(1 + e^(−|z|))², the same value, symmetric in z, and precise in
    # the tails where 1 − σ would round to 0.
    e = np.exp(-np.abs(_input(z, "sigmoid_prime")))
    return _out(e / ((1.0 + e) * (1.0 + e)))


def tanh(z):
    """tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z)), in (−1, 1); tanh(z) = 2σ(2z) − 1.

    z: scalar or array.  Returns: same shape.
    """
    return _out(np.tanh(_input(z, "tanh")))


def tanh_prime(z):
    """tanh′(z) = 1 − tanh²(z).   z: scalar or array.  Returns: same shape."""
    return _out(_tanh_prime(_input(z, "tanh_prime")))


def relu(z):
    """relu(z) = max(0, z).   z: scalar or array.  Returns: same shape."""
    return _out(_relu(_input(z, "relu")))


def relu_prime(z):
    """relu′(z) = 1 where z > 0, else 0 (we take 0 at the kink z = 0).

    z: scalar or array.  Returns: same shape.
    """
    return _out(_relu_prime(_input(z, "relu_prime")))


def identity(z):
    """identity(z) = z, for a linear output layer (regression).   Returns: same shape."""
    return _out(_input(z, "identity").copy())


def identity_prime(z):
    """identity′(z) = 1.   z: scalar or array.  Returns: ones of the same shape."""
    return _out(_identity_prime(_input(z, "identity_prime")))


# The unchecked kernels: float64 arrays in, arrays out. The public functions above check
# their input and call these; Network's training loop calls these directly, having checked
# its inputs once at the boundary.

def _sigmoid(z: np.ndarray) -> np.ndarray:
    # The same stable formula as sigmoid's, done in one compiled pass by SciPy (~10× faster
    # on small arrays, which is what a training loop sees).
    return expit(z)


def _sigmoid_prime(z: np.ndarray) -> np.ndarray:
    return expit(z) * expit(-z)            # σ(z)(1 − σ(z)), as 1 − σ(z) = σ(−z): exact in both tails


def _tanh_prime(z: np.ndarray) -> np.ndarray:
    t = np.tanh(z)
    return 1.0 - t * t


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def _relu_prime(z: np.ndarray) -> np.ndarray:
    return (z > 0).astype(np.float64)


def _identity(z: np.ndarray) -> np.ndarray:
    return z


def _identity_prime(z: np.ndarray) -> np.ndarray:
    return np.ones_like(z)


class Activation(NamedTuple):
    """An activation by name: its function f = σ and derivative prime = σ′ (both checked),
    and the same two without input checks for the inner loop of training."""
    name: str
    f: Callable
    prime: Callable
    f_unchecked: Callable
    prime_unchecked: Callable


ACTIVATIONS: dict[str, Activation] = {
    a.name: a for a in (
        Activation("sigmoid", sigmoid, sigmoid_prime, _sigmoid, _sigmoid_prime),
        Activation("tanh", tanh, tanh_prime, np.tanh, _tanh_prime),
        Activation("relu", relu, relu_prime, _relu, _relu_prime),
        Activation("identity", identity, identity_prime, _identity, _identity_prime),
    )
}


def get_activation(name) -> Activation:
    """The Activation called ``name`` (or ``name`` itself if it is already an Activation):
    one of "sigmoid", "tanh", "relu", "identity"."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name such as 'sigmoid', got {type(name).__name__}.")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}.")
    return ACTIVATIONS[name]
