"""The equations of backpropagation, one small function each.

Forward, for l = 1 … L:      z^l = W^l a^(l−1) + b^l,   a^l = σ(z^l),   a^0 = X.
Backward, with δ^l = ∂C/∂z^l (the "node error" of seed 001):

    BP1   δ^L = ∇_a C ⊙ σ′(z^L)                  the output layer's error
    BP2   δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(z^l)    the error, passed one layer back
    BP3   ∂C/∂b^l = Σ_samples δ^l               (n_l, 1)
    BP4   ∂C/∂W^l = δ^l (a^(l−1))ᵀ               (n_l, n_(l−1))

Samples are columns: a^l, z^l and δ^l are (n_l, m) for a batch of m. Because the cost is a
mean, δ already carries the 1/m; BP3 and BP4 therefore *sum* over the batch.

Each function body is the equation, nothing else. The check in front of it (the
``@_checks.checked`` line) makes shapes agree exactly — nothing broadcasts — and refuses
NaN, inf and 1-D arrays. Network calls the bodies themselves (``bp2.__wrapped__``) in its
training loop, having checked its inputs once.
"""
from __future__ import annotations

import numpy as np

from . import _checks
from .activations import get_activation


def _check_weighted_input(W, a_prev, b):
    eq = "z = W a + b"
    W = _checks.array(W, "W", eq)
    a_prev = _checks.array(a_prev, "a_prev", eq)
    b = _checks.array(b, "b", eq)
    if W.shape[1] != a_prev.shape[0]:
        raise ValueError(f"{eq}: W is {W.shape} but a_prev has {a_prev.shape[0]} rows "
                         f"(shape {a_prev.shape}); W's columns must match a_prev's rows.")
    if b.shape != (W.shape[0], 1):
        raise ValueError(f"{eq}: b is {b.shape} but must be ({W.shape[0]}, 1), "
                         f"one bias per row of W {W.shape}.")
    return W, a_prev, b


@_checks.checked(_check_weighted_input)
def weighted_input(W, a_prev, b) -> np.ndarray:
    """z^l = W^l a^(l−1) + b^l, the weighted input of layer l.

    W: (n_l, n_(l−1)),  a_prev: (n_(l−1), m),  b: (n_l, 1).  Returns z: (n_l, m).
    b is added to every column (the one broadcast the math intends).
    """
    return W @ a_prev + b


def _check_bp1(grad_a, z, activation):
    eq = "BP1 δ^L = ∇_a C ⊙ σ′(z^L)"
    grad_a = _checks.array(grad_a, "grad_a", eq)
    z = _checks.array(z, "z", eq)
    _checks.same_shape(grad_a, z, "grad_a, z", eq)
    return grad_a, z, get_activation(activation)


@_checks.checked(_check_bp1)
def bp1(grad_a, z, activation="sigmoid") -> np.ndarray:
    """BP1: δ^L = ∇_a C ⊙ σ′(z^L), the error of the output layer.

    ∇_a C is how the cost changes with each output; σ′(z^L) how each output changes with
    its weighted input. ⊙ multiplies elementwise: each output neuron has its own chain.
    grad_a: (n_L, m),  z: (n_L, m),  activation: σ_L's name ("sigmoid", …) or Activation.
    Returns δ^L: (n_L, m).
    """
    return grad_a * get_activation(activation).prime(z)


def _check_bp2(W_next, delta_next, z, activation):
    eq = "BP2 δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(z^l)"
    W_next = _checks.array(W_next, "W_next", eq)
    delta_next = _checks.array(delta_next, "delta_next", eq)
    z = _checks.array(z, "z", eq)
    if W_next.shape[0] != delta_next.shape[0]:
        raise ValueError(f"{eq}: W^(l+1) is {W_next.shape} but δ^(l+1) is {delta_next.shape}; "
                         f"δ^(l+1) needs one row per row of W^(l+1).")
    expected = (W_next.shape[1], delta_next.shape[1])
    if z.shape != expected:
        raise ValueError(f"{eq}: z^l is {z.shape} but (W^(l+1))ᵀ δ^(l+1) is {expected}.")
    return W_next, delta_next, z, get_activation(activation)


@_checks.checked(_check_bp2)
def bp2(W_next, delta_next, z, activation="sigmoid") -> np.ndarray:
    """BP2: δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(z^l), the error moved one layer back.

    Neuron k of layer l fed every neuron j of layer l+1 through w^(l+1)_jk, so its error
    collects Σ_j w^(l+1)_jk δ^(l+1)_j — that sum is the transpose product — then passes
    through its own activation's slope σ′(z^l_k).
    W_next: (n_(l+1), n_l),  delta_next: (n_(l+1), m),  z: (n_l, m),  activation: σ_l.
    Returns δ^l: (n_l, m).
    """
    return (W_next.T @ delta_next) * get_activation(activation).prime(z)


def _check_bp3(delta):
    return (_checks.array(delta, "delta", "BP3 ∂C/∂b^l = Σ_samples δ^l"),)


@_checks.checked(_check_bp3)
def bp3(delta) -> np.ndarray:
    """BP3: ∂C/∂b^l = δ^l, summed over the samples of the batch.

    z^l_j = … + b^l_j, so ∂z^l_j/∂b^l_j = 1 and the bias gradient is the error itself, once
    per sample; the 1/m of the mean is already inside δ, so we sum (not average) the columns.
    delta: (n_l, m).  Returns: (n_l, 1), the shape of b^l.
    """
    return delta.sum(axis=1, keepdims=True)


def _check_bp4(delta, a_prev):
    eq = "BP4 ∂C/∂W^l = δ^l (a^(l−1))ᵀ"
    delta = _checks.array(delta, "delta", eq)
    a_prev = _checks.array(a_prev, "a_prev", eq)
    if delta.shape[1] != a_prev.shape[1]:
        raise ValueError(f"{eq}: δ^l is {delta.shape} but a^(l−1) is {a_prev.shape}; "
                         f"both need the same number of samples (columns).")
    return delta, a_prev


@_checks.checked(_check_bp4)
def bp4(delta, a_prev) -> np.ndarray:
    """BP4: ∂C/∂W^l = δ^l (a^(l−1))ᵀ, i.e. ∂C/∂w^l_jk = Σ_samples a^(l−1)_k δ^l_j.

    A weight's gradient is (error at its output end) × (activation at its input end); the
    matrix product also sums over the batch.
    delta: (n_l, m),  a_prev: (n_(l−1), m).  Returns: (n_l, n_(l−1)), the shape of W^l.
    """
    return delta @ a_prev.T
