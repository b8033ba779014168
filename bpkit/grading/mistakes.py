"""The catalogue of classic mistakes, by equation, shared by every stage.

Each :class:`Mistake` replaces one equation of the forward or backward pass (see
:func:`.engine.equations`) by a classic wrong version; :meth:`Mistake.solve` recomputes the
whole case with it, so the same entry gives the wrong δ, the wrong dW *and* the wrong
trajectory of a training loop. The description reads well after "it looks like …".

    CATALOGUE["bp2.no_transpose"].solve(case).delta[0]

Keys are "<equation>.<what went wrong>"; :func:`select` picks entries by prefix.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import bpkit as bp

__all__ = ["Mistake", "CATALOGUE", "select", "PRIME", "SIGMOID", "HINTS"]


@dataclass(frozen=True)
class Mistake:
    key: str
    description: str
    replace: dict = field(default_factory=dict)      # equation name -> wrong version
    lr_sign: float = 1.0                             # for training: -1 = gradient ascent
    per_case: Callable | None = None                 # case -> replace, when it needs the case

    def equations(self, case) -> dict:
        """The replaced equations, for this case."""
        return self.per_case(case) if self.per_case is not None else dict(self.replace)

    def solve(self, case):
        return case.solve(**self.equations(case))


def _sigma(z):
    return bp.sigmoid(z)


# How σ′ goes wrong (sigmoid), as functions of z: used on their own (exercise sigmoid_prime)
# and inside BP1 / BP2, where the same slip gives a wrong δ.
PRIME: dict[str, tuple[str, Callable]] = {
    "z(1-z)": ("you used z(1 − z): that is σ′ written in terms of a, a(1 − a), but with z "
               "where a = σ(z) belongs — compute a = σ(z) first, then a * (1 - a)",
               lambda z: z * (1 - z)),
    "at_a": ("σ′ was evaluated at a = σ(z) instead of z: the sigmoid was applied twice. σ′ "
             "takes the weighted input z: use sigmoid_prime(z), or a * (1 - a)",
             lambda z: bp.sigmoid_prime(_sigma(z))),
    "sigma": ("σ(z) itself was used instead of its derivative σ′(z) = σ(z)(1 − σ(z))", _sigma),
    "one_minus": ("the factor σ(z) is missing: σ′(z) = σ(z) · (1 − σ(z)) (and e^(−z)/(1 + e^(−z)) "
                  "is only 1 − σ(z) — in e^(−z)/(1 + e^(−z))² the denominator is squared)",
                  lambda z: 1 - _sigma(z)),
    "squared": ("σ was squared: σ′(z) = σ(z)(1 − σ(z)) = σ(z) − σ(z)², not σ(z)²",
                lambda z: _sigma(z) ** 2),
}

# How σ itself goes wrong, as functions of z.
SIGMOID: dict[str, tuple[str, Callable]] = {
    "no_minus": ("the minus sign in e^(−z) is missing: 1/(1 + e^z) is σ(−z), not "
                 "σ(z) = 1/(1 + e^(−z))", lambda z: _sigma(-np.asarray(z, dtype=float))),
    "no_reciprocal": ("you forgot to take the reciprocal: σ(z) = 1/(1 + e^(−z)), not 1 + e^(−z)",
                      lambda z: 1.0 + np.exp(-np.clip(z, -700, 700))),
    "prime": ("you returned the derivative σ′(z) instead of σ(z)", lambda z: bp.sigmoid_prime(z)),
    "tanh": ("you returned tanh(z), not σ(z) = 1/(1 + e^(−z)) (they are related: "
             "σ(z) = (1 + tanh(z/2))/2)", np.tanh),
}


def _prime_of(f):
    return lambda z, name: f(z) if name == "sigmoid" else bp.get_activation(name).prime(z)


def _act_of(f):
    return lambda z, name: f(z) if name == "sigmoid" else bp.get_activation(name).f(z)


def _build() -> dict[str, Mistake]:
    c: dict[str, Mistake] = {}

    def add(key, description, lr_sign=1.0, per_case=None, **replace):
        c[key] = Mistake(key, description, replace, lr_sign, per_case)

    # forward: z = W a + b, a = σ(z)
    add("z.no_bias", "the bias b is missing: z = W a + b",
        weighted_input=lambda W, a, b: W @ a)
    add("a.no_activation", "the activation is missing: a = σ(z), not z",
        activation=lambda z, name: z)
    add("a.twice", "the activation was applied twice: a = σ(z), not σ(σ(z))",
        activation=lambda z, name: bp.get_activation(name).f(bp.get_activation(name).f(z)))
    add("a.prime", "σ′(z), the derivative, was used instead of σ(z)",
        activation=lambda z, name: bp.get_activation(name).prime(z))

    # ∇_a C for the mean quadratic cost, (a − y)/m
    add("grad.factor2", "there is an extra factor 2: the ½ in C = 1/(2m) Σ (a − y)² cancels the 2 "
        "from differentiating the square, so ∂C/∂a = (a − y)/m",
        grad=lambda a, y, loss: 2 * (a - y) / a.shape[1])
    add("grad.m_from_rows", "you divided by the number of rows (inputs, X.shape[0]) instead of m, "
        "the number of samples (X.shape[1] — samples are columns)",
        per_case=lambda c: {"grad": lambda a, y, loss: (a - y) / c.X.shape[0]})

    # BP1: δ^L = ∇_a C ⊙ σ′(z^L)
    add("bp1.no_prime", "the σ′(z) factor is missing from the output error: δ = ∂C/∂z = "
        "∂C/∂a ⊙ σ′(z) — the chain rule passes through a = σ(z)",
        bp1=lambda g, z, name, prime: g)
    for k, (desc, f) in PRIME.items():
        add(f"bp1.prime.{k}", desc, bp1=lambda g, z, name, prime, f=f: g * _prime_of(f)(z, name))

    # BP2: δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(z^l)
    add("bp2.no_transpose", "W^(l+1) was used without its transpose in the hidden error: "
        "δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(z^l) — neuron k collects Σ_j w_jk δ_j, a sum down "
        "column k of W, which is row k of Wᵀ",
        bp2=lambda W, d, z, name, prime: (W @ d) * prime(z, name))
    add("bp2.no_prime", "the σ′(z^l) factor is missing from the hidden error: δ^l = "
        "((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(z^l)",
        bp2=lambda W, d, z, name, prime: W.T @ d)
    add("bp2.prime_twice", "σ′ of the hidden layer was multiplied in twice — the slip in seed 004, "
        "whose chain writes ∂α/∂h two times. Each link of the chain appears once: "
        "δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(z^l)",
        bp2=lambda W, d, z, name, prime: (W.T @ d) * prime(z, name) * prime(z, name))
    for k, (desc, f) in PRIME.items():
        add(f"bp2.prime.{k}", f"in the hidden error, {desc}",
            bp2=lambda W, d, z, name, prime, f=f: (W.T @ d) * _prime_of(f)(z, name))

    # BP3: ∂C/∂b = Σ_samples δ
    add("bp3.unsummed", "∂C/∂b was not summed over the samples: you returned δ itself, one value "
        "per sample. Every sample's z contains the same b, so their effects add up: "
        "∂C/∂b = Σ over the samples (the columns) of δ — np.sum(delta, axis=1, keepdims=True)",
        bp3=lambda d: d)
    add("bp3.axis0", "∂C/∂b was summed over the wrong axis: axis=0 runs over the neurons (the "
        "rows); the samples are the columns — np.sum(delta, axis=1, keepdims=True)",
        bp3=lambda d: d.sum(axis=0))
    add("bp3.axis0_keep", "∂C/∂b was summed over the wrong axis (keepdims or not): axis=0 runs "
        "over the neurons (the rows); the samples are the columns — "
        "np.sum(delta, axis=1, keepdims=True)",
        bp3=lambda d: d.sum(axis=0, keepdims=True))
    add("bp3.times_input", "∂C/∂b has a factor of the input in it, but it has none: z = W a + b "
        "grows by exactly 1 when b grows by 1 (b is like a weight whose input is always 1), so "
        "∂C/∂b = Σ δ over the samples",
        per_case=lambda c: {"bp3": lambda d: d @ c.X.T})   # the input layer's a^0 = X

    # BP4: ∂C/∂W = δ (a^(l−1))ᵀ
    add("bp4.elementwise", "you multiplied elementwise, δ ⊙ a, and did not sum over the samples: "
        "∂C/∂W = δ (a^(l−1))ᵀ, and the matrix product delta @ a_prev.T does that sum for you",
        bp4=lambda d, a: d * a)
    add("bp4.unsummed_outer", "the gradient of W was not summed over the samples",
        bp4=lambda d, a: np.einsum("jm,km->jkm", d, a))

    # the update: p ← p − lr ∂C/∂p
    add("step.ascent", "you moved uphill — gradient ascent, p + lr·dp. Gradient descent steps "
        "against the gradient: p_new = p − lr·dp", step=lambda p, dp, lr: p + lr * dp)
    add("step.no_lr", "the learning rate is missing: the step is lr·dp, not dp",
        step=lambda p, dp, lr: p - dp)
    add("step.only_step", "you returned only the step −lr·dp, not the new value p − lr·dp",
        step=lambda p, dp, lr: -lr * dp)
    add("step.unchanged", "the parameter came back unchanged: return the updated p − lr·dp",
        step=lambda p, dp, lr: p)
    add("step.divided", "you divided by the learning rate instead of multiplying: p − lr·dp",
        step=lambda p, dp, lr: p - dp / lr)
    return c


CATALOGUE: dict[str, Mistake] = _build()


def select(*prefixes: str) -> list[Mistake]:
    """The catalogue entries whose key starts with any of ``prefixes`` ("bp1", "bp3.axis0")."""
    return [m for k, m in CATALOGUE.items() if any(k == p or k.startswith(p + ".") for p in prefixes)]


# Explanations of the generic diagnoses (scale, shape slips) for each equation's result.
HINTS: dict[str, dict[str, str]] = {
    "bp3": {"1/m": "it looks like you averaged δ over the samples (np.mean): δ already carries "
                   "the 1/m of the mean cost, so ∂C/∂b = Σ δ — use np.sum, not np.mean",
            "number": "∂C/∂b must have the shape of b, (n, 1): np.sum(delta, axis=1, "
                      "keepdims=True), or .reshape(-1, 1)",
            "flat": "∂C/∂b must have the shape of b, (n, 1) — a column, never (n,): use "
                    "keepdims=True, np.sum(delta, axis=1, keepdims=True)"},
    "bp4": {"transposed": "∂C/∂W must have the shape of W: δ (a^(l−1))ᵀ is delta @ a_prev.T, "
                          "not a_prev @ delta.T",
            "flat": "∂C/∂W must have the shape of W, a 2-D array: keep δ 2-D (don't index "
                    "delta[0] or call .ravel())"},
}
