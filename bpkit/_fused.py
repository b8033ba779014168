"""fit's inner loop, fused: one mini-batch step of BP1–BP4 and the update, allocating nothing.

``Network.backward`` and ``step`` show the algorithm as the lesson writes it; each call of
theirs builds new arrays (z^l, a^l, σ′(z^l), δ^l, ∂C/∂W^l, ∂C/∂b^l) and a student's fit runs
thousands of them. ``FusedSGD`` runs the same arithmetic for bpkit's own activations and
costs into buffers made once per fit, with each bias kept as the last column of its weight
matrix and each activation given a row of ones, [W^l | b^l] and [a^(l−1); 1]:

    forward   z^l = [W^l | b^l] [a^(l−1); 1] = W^l a^(l−1) + b^l       one product
              a^l = σ_l(z^l)
    BP1       δ^L = (a^L − y)/m ⊙ σ′(z^L)   (cross-entropy with a sigmoid: (a^L − y)/m)
    BP2       δ^l = (W^(l+1))ᵀ δ^(l+1) ⊙ σ′(z^l)     every δ before any parameter moves
    BP3+BP4   [W^l | b^l] ← [W^l | b^l] − lr δ^l [a^(l−1); 1]ᵀ                 one dgemm
              — the last column of δ^l [a^(l−1); 1]ᵀ is δ^l 1 = Σ_samples δ^l, BP3.

σ′ comes from the a^l already computed: a(1 − a) for the sigmoid, 1 − a² for tanh, and
[z > 0] for relu. tests/test_network.py checks that fit equals backward-then-step to 1e-12
for every activation and cost.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg.blas import dgemm as _dgemm
from scipy.special import expit

from .losses import MSE, CrossEntropy


# σ(z) into a, and δ ← δ ⊙ σ′(z) using s as scratch (a = σ(z) already computed) — in place.
def _sigmoid(z, a):
    expit(z, out=a)


def _times_sigmoid_prime(delta, z, a, s):
    np.subtract(1.0, a, out=s)
    s *= a                                   # σ′ = σ(1 − σ)
    delta *= s


def _tanh(z, a):
    np.tanh(z, out=a)


def _times_tanh_prime(delta, z, a, s):
    np.multiply(a, a, out=s)
    np.subtract(1.0, s, out=s)               # tanh′ = 1 − tanh²
    delta *= s


def _relu(z, a):
    np.maximum(z, 0.0, out=a)


def _times_relu_prime(delta, z, a, s):
    np.greater(z, 0.0, out=s)                # relu′ = [z > 0]
    delta *= s


# name: (σ into a buffer, δ ⊙= σ′); identity has neither: a^l is z^l itself, and σ′ = 1.
INPLACE = {"sigmoid": (_sigmoid, _times_sigmoid_prime),
           "tanh": (_tanh, _times_tanh_prime),
           "relu": (_relu, _times_relu_prime),
           "identity": (None, None)}
COSTS = (MSE, CrossEntropy)


def supports(net) -> bool:
    """Whether fit can run ``net`` fused: bpkit's own activations and costs (a Loss of
    another class may define another δ^L)."""
    return (type(net.cost) in COSTS
            and all(isinstance(act, str) and act in INPLACE for act in net.activations))


class _Layer:
    """One layer's parameters, operations and buffers for one batch size m (see plan)."""
    __slots__ = ("Wb", "WbT", "W_next_T", "f", "times_prime", "a_prev", "a_blas", "trans",
                 "z", "a", "delta", "deltaT", "s")


class FusedSGD:
    """Mini-batch SGD on one network and one training set X (n_0, m), Y (n_L, m):
    ``step(batch, lr)`` trains on the columns ``batch`` exactly as
    ``net.step(net.backward(X[:, batch], Y[:, batch]), lr)`` does.

    The parameters are trained in [W^l | b^l] matrices of the kernel's own: ``sync()``
    writes them into the network's W^l and b^l (in place), as fit does after every epoch
    and when it stops. Samples are kept as rows, [x; 1]ᵀ, so a shuffled batch is a gather
    of whole rows."""

    def __init__(self, net, X: np.ndarray, Y: np.ndarray):
        n0, m = X.shape
        self.XT = np.empty((m, n0 + 1))
        self.XT[:, :n0] = X.T
        self.XT[:, n0] = 1.0
        self.YT = np.ascontiguousarray(Y.T)
        self.params = list(zip(net.weights, net.biases))
        self.Wb = [np.ascontiguousarray(np.hstack([W, b])) for W, b in self.params]   # row-major
        self.ops = [INPLACE[act] for act in net.activations]
        self.simplified = type(net.cost) is CrossEntropy and net.activations[-1] == "sigmoid"
        self._plans = {}
        self.unsynced = False

    def sync(self) -> None:
        """Write the parameters trained since the last sync into the network's own W^l and
        b^l (nothing if no step was taken since: fit may have put other values there)."""
        if self.unsynced:
            for (W, b), Wb in zip(self.params, self.Wb):
                W[...] = Wb[:, :-1]
                b[...] = Wb[:, -1:]
            self.unsynced = False

    def plan(self, m: int):
        """Buffers for a batch of m samples and every operand laid out for its call, made
        once per batch size (fit has at most two: batch_size and the last, shorter batch):
        x and y gathered as rows, and per layer z^l, [a^l; 1], δ^l and a scratch for σ′."""
        if m not in self._plans:
            xs, ys = np.empty((m, self.XT.shape[1])), np.empty((m, self.YT.shape[1]))
            layers, a_prev = [], xs.T                      # [a^0; 1]: (n_0 + 1, m)
            for l, (Wb, (f, times_prime)) in enumerate(zip(self.Wb, self.ops)):
                L, n = _Layer(), Wb.shape[0]
                L.Wb, L.WbT, L.f, L.times_prime, L.a_prev = Wb, Wb.T, f, times_prime, a_prev
                L.W_next_T = self.Wb[l + 1][:, :-1].T if l + 1 < len(self.Wb) else None
                a1 = np.ones((n + 1, m))                       # [a^l; 1], the next a_prev
                L.a = a1[:-1]
                L.z = L.a if f is None else np.empty((n, m))    # identity: a^l is z^l
                L.delta, L.s = np.empty((n, m)), np.empty((n, m))
                L.deltaT = L.delta.T
                # dgemm writes C in place when C is stored column by column: a C-ordered
                # [W|b] is that for its transpose, so BP4's step runs on the transposes,
                # [W|b]ᵀ ← [W|b]ᵀ − lr [a;1] δᵀ, each operand handed over column-major.
                L.a_blas, L.trans = (a_prev, 0) if a_prev.flags.f_contiguous else (a_prev.T, 1)
                layers.append(L)
                a_prev = a1
            self._plans[m] = (xs, ys, ys.T, layers)
        return self._plans[m]

    def step(self, batch: np.ndarray, lr: float) -> None:
        self.unsynced = True
        m = len(batch)
        xs, ys, y, layers = self.plan(m)
        self.XT.take(batch, axis=0, out=xs)
        self.YT.take(batch, axis=0, out=ys)
        # Forward: z^l = [W^l | b^l] [a^(l−1); 1], a^l = σ(z^l).
        for L in layers:
            np.matmul(L.Wb, L.a_prev, out=L.z)
            if L.f is not None:
                L.f(L.z, L.a)
        # BP1: ∇_a C = (a − y)/m for both costs, times σ′(z^L) unless it cancels
        # (cross-entropy with a sigmoid).
        out = layers[-1]
        np.subtract(out.a, y, out=out.delta)
        out.delta /= m
        if out.times_prime is not None and not self.simplified:
            out.times_prime(out.delta, out.z, out.a, out.s)
        # BP2 from layer L − 1 down to 1: all δ^l before any parameter moves.
        for L, after in zip(layers[-2::-1], layers[:0:-1]):
            np.matmul(L.W_next_T, after.delta, out=L.delta)
            if L.times_prime is not None:
                L.times_prime(L.delta, L.z, L.a, L.s)
        # BP3 and BP4 with the step, one BLAS call per layer.
        for L in layers:
            _dgemm(-lr, L.a_blas, L.deltaT, beta=1.0, c=L.WbT, overwrite_c=True, trans_a=L.trans)
