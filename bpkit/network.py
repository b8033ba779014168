"""A fully connected network, trained by backpropagation composed from bp1 … bp4.

    net = Network([2, 3, 1], activations="sigmoid", loss="mse", seed=0)
    fwd = net.forward(X)        # every z^l and a^l, kept: backward needs them
    g = net.backward(X, Y)      # δ^l, ∂C/∂W^l, ∂C/∂b^l for every layer
    net.step(g, lr=0.5)         # W ← W − lr ∂C/∂W,  b ← b − lr ∂C/∂b

Python lists are 0-based, layers 1-based: weights[0] is W^1, fwd.z[0] is z^1, fwd.a[0] is
a^0 = X, g.dW[0] is ∂C/∂W^1. The public methods check their inputs once; the private
_forward/_backward/_step they share do no checks, which keeps `fit` fast.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from . import _checks
from .activations import ACTIVATIONS, get_activation
from .equations import bp1, bp2, bp3, bp4
from .losses import LOSSES, _delta_sigmoid_cross_entropy, check_loss_name, check_targets


@dataclass(frozen=True)
class ForwardPass:
    """What a forward pass computed: z[l−1] = z^l (l = 1 … L) and a[l] = a^l (a[0] = X)."""
    z: list
    a: list

    @property
    def output(self) -> np.ndarray:
        """a^L, the network's output: (n_L, m)."""
        return self.a[-1]


@dataclass(frozen=True)
class Gradients:
    """What backward computed: delta[l−1] = δ^l, dW[l−1] = ∂C/∂W^l, db[l−1] = ∂C/∂b^l."""
    dW: list
    db: list
    delta: list


@dataclass
class History:
    """Per-epoch record of training: loss (and accuracy, for 0/1 or one-hot targets) on the
    training set, and on the validation set when one was given."""
    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.loss)


def _accuracy(output: np.ndarray, Y: np.ndarray) -> float:
    """Fraction of samples classified right: threshold ½ for one output, argmax for several."""
    if Y.shape[0] == 1:
        return float(np.mean((output > 0.5) == (Y > 0.5)))
    return float(np.mean(np.argmax(output, axis=0) == np.argmax(Y, axis=0)))


class Network:
    """A network of L layers: sizes [n_0, n_1, …, n_L], an activation per layer, one cost.

    sizes: layer widths, input first, e.g. [2, 3, 1].
    activations: one name for every layer, or a list of L names ("sigmoid", "tanh",
        "relu", "identity"); activations[l−1] is σ_l.
    loss: "mse" (quadratic) or "cross_entropy" (needs a sigmoid output layer).
    seed: weights are drawn from N(0, 1/n_(l−1)) — the 1/n keeps z^l of order 1 whatever
        the layer's width — and biases start at 0.
    """

    def __init__(self, sizes, activations="sigmoid", loss="mse", seed=None):
        if (not isinstance(sizes, (list, tuple)) or len(sizes) < 2
                or not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0
                           for n in sizes)):
            raise ValueError(f"sizes must be a list of at least two positive integers, input "
                             f"layer first, e.g. [2, 3, 1]; got {sizes!r}.")
        rng = np.random.default_rng(seed)
        weights = [rng.standard_normal((n, n_prev)) / np.sqrt(n_prev)
                   for n_prev, n in zip(sizes[:-1], sizes[1:])]
        biases = [np.zeros((n, 1)) for n in sizes[1:]]
        self._set_params(weights, biases, activations, loss)

    @classmethod
    def from_params(cls, weights, biases, activations="sigmoid", loss="mse") -> "Network":
        """A network with the given parameters (copied, as float64): weights[l−1] = W^l
        of shape (n_l, n_(l−1)), biases[l−1] = b^l of shape (n_l, 1)."""
        net = cls.__new__(cls)
        net._set_params(weights, biases, activations, loss)
        return net

    def _set_params(self, weights, biases, activations, loss) -> None:
        for name, params in (("weights", weights), ("biases", biases)):
            if not isinstance(params, (list, tuple)) or not params:
                raise TypeError(f"{name} must be a non-empty list of arrays, one per layer; "
                                f"got {type(params).__name__}.")
        if len(weights) != len(biases):
            raise ValueError(f"got {len(weights)} weight matrices but {len(biases)} bias "
                             f"vectors; a network has one of each per layer.")
        self.weights = [_checks.array(W, f"W^{l}", f"layer {l}").copy()
                        for l, W in enumerate(weights, 1)]
        self.biases = [_checks.array(b, f"b^{l}", f"layer {l}").copy()
                       for l, b in enumerate(biases, 1)]
        L = len(self.weights)
        names = [activations] * L if isinstance(activations, str) else activations
        if not isinstance(names, (list, tuple)):
            raise TypeError(f"activations must be a name or a list of {L} names; "
                            f"got {type(activations).__name__}.")
        if len(names) != L:
            raise ValueError(f"got {len(names)} activations for {L} layers; give one per layer "
                             f"(input layer excluded) or a single name for all.")
        self.activations = [get_activation(a).name for a in names]
        self.loss_name = check_loss_name(loss)
        if self.loss_name == "cross_entropy" and self.activations[-1] != "sigmoid":
            raise ValueError(f"cross-entropy needs outputs in (0, 1): use a 'sigmoid' output "
                             f"layer, not {self.activations[-1]!r}.")
        self._check_params()

    # -- checks, once, at the public boundary ------------------------------------------

    def _check_params(self) -> None:
        """W^l must be (n_l, n_(l−1)) and b^l (n_l, 1), consistent from layer to layer."""
        for l, (W, b) in enumerate(zip(self.weights, self.biases), 1):
            if not isinstance(W, np.ndarray) or W.ndim != 2:
                raise ValueError(f"W^{l} must be a 2-D array (n_{l}, n_{l-1}), got {_checks.shape_str(W)}.")
            if l > 1 and W.shape[1] != self.weights[l - 2].shape[0]:
                raise ValueError(f"z^{l} = W^{l} a^{l-1} + b^{l}: W^{l} is {W.shape} but a^{l-1} "
                                 f"has {self.weights[l - 2].shape[0]} rows (W^{l-1} is "
                                 f"{self.weights[l - 2].shape}).")
            if not isinstance(b, np.ndarray) or b.shape != (W.shape[0], 1):
                raise ValueError(f"z^{l} = W^{l} a^{l-1} + b^{l}: b^{l} is {_checks.shape_str(b)} "
                                 f"but must be ({W.shape[0]}, 1) to match W^{l} {W.shape}.")

    def _check_X(self, X, equation: str = "z^1 = W^1 a^0 + b^1") -> np.ndarray:
        self._check_params()
        X = _checks.array(X, "X", equation)
        n0 = self.weights[0].shape[1]
        if X.shape[0] != n0:
            hint = " (samples are columns: did you pass X transposed?)" if X.shape[1] == n0 else ""
            raise ValueError(f"{equation}: W^1 is {self.weights[0].shape} but a^0 = X has "
                             f"{X.shape[0]} rows (X is {X.shape}){hint}.")
        return X

    def _check_XY(self, X, Y) -> tuple[np.ndarray, np.ndarray]:
        X = self._check_X(X)
        Y = _checks.array(Y, "Y", "C(a^L, Y)")
        expected = (self.weights[-1].shape[0], X.shape[1])
        if Y.shape != expected:
            raise ValueError(f"C(a^L, Y): Y is {Y.shape} but a^L is {expected} (n_L outputs × "
                             f"m samples); Y needs one column per column of X.")
        if self.loss_name == "cross_entropy":
            check_targets(Y, "cross-entropy C(a^L, Y)")
        return X, Y

    # -- the public API ------------------------------------------------------------------

    @property
    def sizes(self) -> list:
        """[n_0, n_1, …, n_L]."""
        return [self.weights[0].shape[1]] + [W.shape[0] for W in self.weights]

    def __repr__(self) -> str:
        return (f"Network(sizes={self.sizes}, activations={self.activations}, "
                f"loss={self.loss_name!r})")

    def forward(self, X) -> ForwardPass:
        """z^l = W^l a^(l−1) + b^l and a^l = σ_l(z^l) for l = 1 … L, from a^0 = X (n_0, m)."""
        return self._forward(self._check_X(X))

    def predict(self, X) -> np.ndarray:
        """The output a^L (n_L, m) for inputs X (n_0, m)."""
        return self.forward(X).output

    def loss(self, X, Y) -> float:
        """The cost C of the outputs for X (n_0, m) against targets Y (n_L, m)."""
        X, Y = self._check_XY(X, Y)
        return LOSSES[self.loss_name][2](self._forward(X).output, Y)

    def accuracy(self, X, Y) -> float:
        """Fraction of columns classified right (threshold ½ for one output, else argmax)."""
        X, Y = self._check_XY(X, Y)
        return _accuracy(self._forward(X).output, Y)

    def backward(self, X, Y) -> Gradients:
        """δ^l, ∂C/∂W^l and ∂C/∂b^l for every layer, by BP1 (output), BP2 (backwards),
        BP3 and BP4. X: (n_0, m), Y: (n_L, m)."""
        return self._backward(*self._check_XY(X, Y))

    def step(self, grads: Gradients, lr: float) -> None:
        """One gradient-descent step, in place: W^l ← W^l − lr ∂C/∂W^l, b^l ← b^l − lr ∂C/∂b^l."""
        lr = _check_lr(lr)
        if not isinstance(grads, Gradients):
            raise TypeError(f"step expects the Gradients returned by backward, got {type(grads).__name__}.")
        for l, (W, b, dW, db) in enumerate(zip(self.weights, self.biases, grads.dW, grads.db), 1):
            for p, dp, name in ((W, dW, "W"), (b, db, "b")):
                if not isinstance(dp, np.ndarray) or dp.shape != p.shape:
                    raise ValueError(f"{name}^{l} ← {name}^{l} − lr ∂C/∂{name}^{l}: {name}^{l} is "
                                     f"{p.shape} but its gradient is {_checks.shape_str(dp)}.")
        self._step(grads, lr)

    def fit(self, X, Y, epochs: int = 100, lr: float = 0.5, batch_size: int | None = None,
            seed=None, progress: bool = True, validation=None) -> History:
        """Mini-batch stochastic gradient descent.

        Each epoch shuffles the columns (with ``seed``), cuts them into batches of
        ``batch_size`` (default: the whole set), and for each batch runs backward and step.
        After each epoch it records the loss (and accuracy, for 0/1 or one-hot targets) on
        the whole training set, and on ``validation=(X_val, Y_val)`` if given.
        progress=True shows a progress bar; turn it off in scripts and graded notebooks.
        Returns the History.
        """
        X, Y = self._check_XY(X, Y)
        m = X.shape[1]
        lr = _check_lr(lr)
        if not isinstance(epochs, numbers.Integral) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}.")
        if batch_size is None:
            batch_size = m
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        if validation is not None:
            if not isinstance(validation, (tuple, list)) or len(validation) != 2:
                raise TypeError("validation must be a pair (X_val, Y_val).")
            Xv, Yv = self._check_XY(*validation)
        classify = bool(np.all((Y == 0) | (Y == 1)))
        loss_fn = LOSSES[self.loss_name][2]
        rng = np.random.default_rng(seed)
        history = History()
        evaluate = [(X, Y, history.loss, history.accuracy)]
        if validation is not None:
            evaluate.append((Xv, Yv, history.val_loss, history.val_accuracy))

        epoch_range = range(epochs)
        if progress:
            from tqdm.auto import tqdm
            epoch_range = tqdm(epoch_range, desc="training", unit="epoch")
        # A too-large lr overflows somewhere mid-epoch; NumPy's warnings would not say why,
        # so they are silenced for the loop (entered once: it is not free) and one clear
        # error is raised instead.
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in epoch_range:
                order = rng.permutation(m)
                Xs, Ys = X[:, order], Y[:, order]      # shuffle once; batches are then views
                for start in range(0, m, batch_size):
                    stop = start + batch_size
                    self._step(self._backward(Xs[:, start:stop], Ys[:, start:stop]), lr)
                for Xe, Ye, losses, accs in evaluate:
                    out = self._forward(Xe).output
                    losses.append(loss_fn(out, Ye))
                    if classify:
                        accs.append(_accuracy(out, Ye))
                if not math.isfinite(history.loss[-1]):
                    raise FloatingPointError(f"the loss became {history.loss[-1]} after "
                                             f"{len(history)} epochs: lower the learning rate (lr={lr}).")
                if progress:
                    epoch_range.set_postfix(loss=f"{history.loss[-1]:.4g}", refresh=False)
        return history

    # -- the unchecked core, shared by the public methods and fit ----------------------

    def _forward(self, X: np.ndarray) -> ForwardPass:
        zs, activations = [], [X]
        for W, b, name in zip(self.weights, self.biases, self.activations):
            z = W @ activations[-1] + b
            zs.append(z)
            activations.append(ACTIVATIONS[name].f_unchecked(z))
        return ForwardPass(z=zs, a=activations)

    def _backward(self, X: np.ndarray, Y: np.ndarray) -> Gradients:
        fwd = self._forward(X)
        L = len(self.weights)
        out = fwd.output
        if self.loss_name == "cross_entropy":
            # BP1 simplified: σ′(z^L) = a(1 − a) cancels ∇_a C's denominator (see losses).
            delta = _delta_sigmoid_cross_entropy(out, Y)
        else:
            delta = bp1(LOSSES[self.loss_name][3](out, Y), fwd.z[-1], ACTIVATIONS[self.activations[-1]],
                        check=False)
        deltas = [delta]
        for l in range(L - 1, 0, -1):      # 0-based l here is layer l: W^(l+1) = weights[l]
            deltas.append(bp2(self.weights[l], deltas[-1], fwd.z[l - 1],
                              ACTIVATIONS[self.activations[l - 1]], check=False))
        deltas.reverse()
        return Gradients(dW=[bp4(d, a, check=False) for d, a in zip(deltas, fwd.a[:-1])],
                         db=[bp3(d, check=False) for d in deltas],
                         delta=deltas)

    def _step(self, grads: Gradients, lr: float) -> None:
        for W, b, dW, db in zip(self.weights, self.biases, grads.dW, grads.db):
            W -= lr * dW
            b -= lr * db


def _check_lr(lr) -> float:
    if (not isinstance(lr, numbers.Real) or isinstance(lr, bool)
            or not np.isfinite(lr) or lr <= 0):
        raise ValueError(f"the learning rate lr must be a positive number, got {lr!r}.")
    return float(lr)
