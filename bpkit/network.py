"""A fully connected network, trained by backpropagation composed from bp1 … bp4.

    net = Network([2, 3, 1], activations="sigmoid", loss="mse", seed=0)
    fwd = net.forward(X)        # every z^l and a^l, kept: backward needs them
    g = net.backward(X, Y)      # δ^l, ∂C/∂W^l, ∂C/∂b^l for every layer
    net.step(g, lr=0.5)         # W ← W − lr ∂C/∂W,  b ← b − lr ∂C/∂b

Python lists are 0-based, layers 1-based: weights[0] is W^1, fwd.z[0] is z^1, fwd.a[0] is
a^0 = X, g.dW[0] is ∂C/∂W^1.

Every public method checks its inputs — and the network's own lists, which anyone may
have changed — then runs its body. Inside, the bodies call each other and the equations
without checking again: ``bp2.__wrapped__`` is bp2's formula without its input check (see
``_checks.checked``). So ``fit`` checks once and then trains with the code shown here —
for bpkit's own activations and costs in a fused form, ``_FusedSGD``: the same equations
with fewer NumPy calls, checked equal to backward-then-step by tests/test_network.py.
"""
from __future__ import annotations

import contextlib
import itertools
import math
import numbers
import os
import threading
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg.blas import dgemm as _dgemm
from scipy.special import expit
from threadpoolctl import ThreadpoolController

from . import _checks
from .activations import ACTIVATIONS, Activation, get_activation
from .equations import bp2, bp3, bp4, weighted_input
from .losses import CrossEntropy, MSE, check_targets, get_loss

# Refuse networks whose parameters alone would fill this many float64s (800 MB): sizes
# such as [10**6, 10**6] are a typo, and NumPy's MemoryError would not say which number.
MAX_PARAMETERS = 10**8


@dataclass(slots=True)   # created twice per training step: slots, not frozen, keep that cheap
class ForwardPass:
    """What a forward pass computed: z[l−1] = z^l (l = 1 … L) and a[l] = a^l (a[0] = X)."""
    z: list
    a: list

    @property
    def output(self) -> np.ndarray:
        """a^L, the network's output: (n_L, m)."""
        return self.a[-1]


@dataclass(slots=True)
class Gradients:
    """What backward computed: delta[l−1] = δ^l, dW[l−1] = ∂C/∂W^l, db[l−1] = ∂C/∂b^l."""
    dW: list
    db: list
    delta: list


@dataclass
class History:
    """The record of a training run, one entry per epoch *completed*, starting from 0.

    loss[k] is the cost on the training set after k epochs of updates: loss[0] is the cost
    of the initial parameters, before any step, and loss[-1] that of the parameters fit
    returns — so a run of E epochs records E + 1 values. accuracy (for 0/1 or one-hot
    targets), val_loss and val_accuracy (with ``validation=``) follow the same rule.
    """
    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """How many epochs of updates the record covers: len(loss) − 1."""
        return max(len(self.loss) - 1, 0)


def _accuracy(output: np.ndarray, Y: np.ndarray) -> float:
    """Fraction of samples classified right: threshold ½ for one output, argmax for several."""
    if Y.shape[0] == 1:
        return float(np.mean((output > 0.5) == (Y > 0.5)))
    return float(np.mean(np.argmax(output, axis=0) == np.argmax(Y, axis=0)))


# --------------------------------------------------------------------------- the checks
def _check_params(net: "Network") -> None:
    """The network's own lists, checked at every public call: anyone may have appended,
    removed or replaced an entry since construction. W^l must be a finite float64
    (n_l, n_(l−1)) array, b^l (n_l, 1), consistent from layer to layer; one activation
    per layer; a cost that suits the output layer. Cheap: no copies, one pass each."""
    lists = {"weights": net.weights, "biases": net.biases, "activations": net.activations}
    for name, value in lists.items():
        if not isinstance(value, list):
            raise TypeError(f"net.{name} must be a list (one entry per layer), got "
                            f"{type(value).__name__}.")
    counts = {name: len(value) for name, value in lists.items()}
    if len(set(counts.values())) != 1 or counts["weights"] == 0:
        raise ValueError(f"the network's lists disagree on the number of layers: "
                         f"{', '.join(f'net.{n} has {c}' for n, c in counts.items())}; "
                         f"each needs one entry per layer (was one appended or removed?).")
    for l, (W, b) in enumerate(zip(net.weights, net.biases), 1):
        for p, name, want in ((W, f"W^{l}", f"(n_{l}, n_{l - 1})"), (b, f"b^{l}", f"(n_{l}, 1)")):
            where = f"net.{'weights' if name[0] == 'W' else 'biases'}[{l - 1}] ({name})"
            if not isinstance(p, np.ndarray):
                raise TypeError(f"{where} must be a NumPy array {want}, got {type(p).__name__}.")
            if p.dtype != np.float64:
                raise TypeError(f"{where} has dtype {p.dtype}; it must be float64 "
                                f"(assign {name[0]}.astype(float)).")
            if p.ndim != 2 or p.size == 0:
                raise ValueError(f"{where} must be a non-empty 2-D array {want}, got shape {p.shape}.")
            if not np.all(np.isfinite(p)):
                raise ValueError(f"{where} contains NaN or inf: a step with too large a "
                                 f"learning rate, or an assignment, put it there.")
        if l > 1 and W.shape[1] != net.weights[l - 2].shape[0]:
            raise ValueError(f"z^{l} = W^{l} a^{l-1} + b^{l}: W^{l} is {W.shape} but a^{l-1} "
                             f"has {net.weights[l - 2].shape[0]} rows (W^{l-1} is "
                             f"{net.weights[l - 2].shape}).")
        if b.shape != (W.shape[0], 1):
            raise ValueError(f"z^{l} = W^{l} a^{l-1} + b^{l}: b^{l} is {b.shape} "
                             f"but must be ({W.shape[0]}, 1) to match W^{l} {W.shape}.")
    for l, act in enumerate(net.activations, 1):
        try:
            get_activation(act)
        except (TypeError, ValueError) as err:
            raise type(err)(f"net.activations[{l - 1}] (σ_{l}): {err}") from None
    if net.cost.needs_unit_outputs and get_activation(net.activations[-1]).name != "sigmoid":
        raise ValueError(f"{net.loss_name.replace('_', '-')} needs outputs in (0, 1): use a 'sigmoid' output "
                         f"layer, not {get_activation(net.activations[-1]).name!r}.")


def _check_X(net, X, equation: str = "z^1 = W^1 a^0 + b^1"):
    _check_params(net)
    X = _checks.array(X, "X", equation)
    n0 = net.weights[0].shape[1]
    if X.shape[0] != n0:
        hint = " (samples are columns: did you pass X transposed?)" if X.shape[1] == n0 else ""
        raise ValueError(f"{equation}: W^1 is {net.weights[0].shape} but a^0 = X has "
                         f"{X.shape[0]} rows (X is {X.shape}){hint}.")
    return net, X


def _check_XY(net, X, Y):
    net, X = _check_X(net, X)
    Y = _checks.array(Y, "Y", "C(a^L, Y)")
    expected = (net.weights[-1].shape[0], X.shape[1])
    if Y.shape != expected:
        raise ValueError(f"C(a^L, Y): Y is {Y.shape} but a^L is {expected} (n_L outputs × "
                         f"m samples, as X is {X.shape}); Y needs one column per column of X.")
    if net.cost.needs_unit_outputs:
        check_targets(Y, f"{net.loss_name.replace('_', '-')} C(a^L, Y)", "Y")
    return net, X, Y


def _check_lr(func: str, lr) -> float:
    return _checks.real(func, "the learning rate lr", lr, 0.0, low_inclusive=False)


def _check_step(net, grads, lr):
    _check_params(net)
    lr = _check_lr("step", lr)
    if not isinstance(grads, Gradients):
        raise TypeError(f"step expects the Gradients returned by backward, got "
                        f"{type(grads).__name__}.")
    L = len(net.weights)
    for name, values in (("dW", grads.dW), ("db", grads.db)):
        if not isinstance(values, (list, tuple)) or len(values) != L:
            got = f"{len(values)} entries" if isinstance(values, (list, tuple)) else type(values).__name__
            raise ValueError(f"step: grads.{name} must hold one gradient per layer ({L}), got {got}.")
    for l, (W, b, dW, db) in enumerate(zip(net.weights, net.biases, grads.dW, grads.db), 1):
        for p, dp, name in ((W, dW, "W"), (b, db, "b")):
            eq = f"{name}^{l} ← {name}^{l} − lr ∂C/∂{name}^{l}"
            if not isinstance(dp, np.ndarray) or dp.shape != p.shape:
                raise ValueError(f"{eq}: {name}^{l} is {p.shape} but its gradient is "
                                 f"{_checks.shape_str(dp)}.")
            dp = _checks.array(dp, f"∂C/∂{name}^{l}", eq)
            if not p.flags.writeable:
                raise ValueError(f"{eq}: {name}^{l} is read-only; step updates it in place.")
            if not math.isfinite(_checks.magnitude(p) + lr * _checks.magnitude(dp)):
                raise ValueError(f"{eq}: lr·|∂C/∂{name}^{l}| reaches lr={lr:g} × "
                                 f"{_checks.magnitude(dp):.3g}, beyond float64: lower lr.")
    return net, grads, lr


# --------------------------------------------------------------------------- the network
class Network:
    """A network of L layers: sizes [n_0, n_1, …, n_L], an activation per layer, one cost.

    sizes: layer widths, input first, e.g. [2, 3, 1].
    activations: one name for every layer, or a list of L names ("sigmoid", "tanh",
        "relu", "identity"); activations[l−1] is σ_l.
    loss: "mse" (quadratic) or "cross_entropy" (needs a sigmoid output layer), or a cost
        object such as bp.losses.MSE(); kept as ``net.cost``, which knows its δ^L.
    seed: weights are drawn from N(0, 1/n_(l−1)) — the 1/n keeps z^l of order 1 whatever
        the layer's width — and biases start at 0.
    """

    def __init__(self, sizes, activations="sigmoid", loss="mse", seed=None):
        if (not isinstance(sizes, (list, tuple)) or len(sizes) < 2
                or not all(isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_))
                           and n > 0 for n in sizes)):
            raise ValueError(f"sizes must be a list of at least two positive integers, input "
                             f"layer first, e.g. [2, 3, 1]; got {sizes!r}.")
        count = sum((int(n_prev) + 1) * int(n) for n_prev, n in zip(sizes[:-1], sizes[1:]))
        if count > MAX_PARAMETERS:
            raise ValueError(f"sizes {list(sizes)} make {count:,} parameters "
                             f"({8 * count / 2**30:.3g} GiB); bpkit allows up to {MAX_PARAMETERS:,}.")
        rng = np.random.default_rng(_checks.seed("Network", "seed", seed))
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
        names = [activations] * L if isinstance(activations, (str, Activation)) else activations
        if not isinstance(names, (list, tuple)):
            raise TypeError(f"activations must be a name or a list of {L} names; "
                            f"got {type(activations).__name__}.")
        if len(names) != L:
            raise ValueError(f"got {len(names)} activations for {L} layers; give one per layer "
                             f"(input layer excluded) or a single name for all.")
        # Built-in activations are kept by name (readable in repr); others as the object.
        self.activations = [a if isinstance(a, Activation) and ACTIVATIONS.get(a.name) is not a
                            else get_activation(a).name for a in names]
        self.cost = get_loss(loss)
        _check_params(self)

    # -- the public API ------------------------------------------------------------------

    @property
    def loss_name(self) -> str:
        """The cost's name: "mse" or "cross_entropy"."""
        return self.cost.name

    @property
    def sizes(self) -> list:
        """[n_0, n_1, …, n_L]."""
        return [self.weights[0].shape[1]] + [W.shape[0] for W in self.weights]

    def __repr__(self) -> str:
        return (f"Network(sizes={self.sizes}, activations={self.activations}, "
                f"loss={self.loss_name!r})")

    @_checks.checked(_check_X)
    def forward(self, X) -> ForwardPass:
        """z^l = W^l a^(l−1) + b^l and a^l = σ_l(z^l) for l = 1 … L, from a^0 = X (n_0, m)."""
        z_of = weighted_input.__wrapped__            # z = W a + b, the formula itself
        zs, a = [], [X]
        for W, b, act in zip(self.weights, self.biases, self.activations):
            zs.append(z_of(W, a[-1], b))
            a.append(get_activation(act).f(zs[-1]))
        return ForwardPass(z=zs, a=a)

    @_checks.checked(_check_X)
    def predict(self, X) -> np.ndarray:
        """The output a^L (n_L, m) for inputs X (n_0, m)."""
        return type(self).forward.__wrapped__(self, X).output

    @_checks.checked(_check_XY)
    def loss(self, X, Y) -> float:
        """The cost C of the outputs for X (n_0, m) against targets Y (n_L, m)."""
        return self.cost.value(type(self).forward.__wrapped__(self, X).output, Y)

    @_checks.checked(_check_XY)
    def accuracy(self, X, Y) -> float:
        """Fraction of columns classified right (threshold ½ for one output, else argmax)."""
        return _accuracy(type(self).forward.__wrapped__(self, X).output, Y)

    @_checks.checked(_check_XY)
    def backward(self, X, Y) -> Gradients:
        """δ^l, ∂C/∂W^l and ∂C/∂b^l for every layer: BP1 at the output (the cost's own
        δ^L), BP2 backwards, then BP3 and BP4. X: (n_0, m), Y: (n_L, m)."""
        fwd, deltas = self._errors(X, Y)
        dW_of, db_of = bp4.__wrapped__, bp3.__wrapped__
        return Gradients(dW=[dW_of(d, a) for d, a in zip(deltas, fwd.a[:-1])],
                         db=[db_of(d) for d in deltas],
                         delta=deltas)

    def _errors(self, X, Y):
        """The forward pass and every δ^l = ∂C/∂z^l (deltas[l−1] = δ^l): BP1 at the output,
        then BP2 from layer L − 1 down to 1. Shared by backward and fit; inputs already checked."""
        fwd = type(self).forward.__wrapped__(self, X)
        sigma = self.activations                      # σ_l = sigma[l−1]
        deltas = [self.cost.delta(fwd.output, Y, fwd.z[-1], sigma[-1])]       # BP1
        for l in range(len(self.weights) - 1, 0, -1):   # 0-based l is layer l: W^(l+1) = weights[l]
            deltas.append(bp2.__wrapped__(self.weights[l], deltas[-1], fwd.z[l - 1], sigma[l - 1]))
        deltas.reverse()
        return fwd, deltas

    @_checks.checked(_check_step)
    def step(self, grads: Gradients, lr: float) -> None:
        """One gradient-descent step, in place: W^l ← W^l − lr ∂C/∂W^l, b^l ← b^l − lr ∂C/∂b^l."""
        for W, b, dW, db in zip(self.weights, self.biases, grads.dW, grads.db):
            W -= lr * dW
            b -= lr * db

    def fit(self, X, Y, epochs: int = 100, lr: float = 0.5, batch_size: int | None = None,
            seed=None, progress: bool = True, validation=None) -> History:
        """Mini-batch stochastic gradient descent.

        Each epoch shuffles the columns (with ``seed``), cuts them into batches of
        ``batch_size`` (default: the whole set), and for each batch runs backward and step.
        The History records the loss (and accuracy, for 0/1 or one-hot targets) on the
        whole training set — and on ``validation=(X_val, Y_val)`` if given — before the
        first epoch and after each one: epochs + 1 values, loss[0] being the initial cost.
        progress=True shows a progress bar; turn it off in scripts and graded notebooks.
        Returns the History.

        Mini-batch steps run BLAS on one thread (faster for small products, and far faster
        on a busy machine). On a large set, the loss after epoch k is computed during epoch
        k + 1, from the samples that epoch gathers anyway, and the last one (and a
        validation set's) in blocks shared among a few threads: the same values, to
        rounding; a loss that is not finite still stops fit with the parameters it was
        computed for.
        """
        _, X, Y = _check_XY(self, X, Y)
        m = X.shape[1]
        lr = _check_lr("fit", lr)
        epochs = _checks.integer("fit", "epochs", epochs, 0)
        batch_size = m if batch_size is None else _checks.integer("fit", "batch_size", batch_size, 1)
        seed = _checks.seed("fit", "seed", seed)
        progress = _checks.flag("fit", "progress", progress)
        if validation is not None:
            if not isinstance(validation, (tuple, list)) or len(validation) != 2:
                raise TypeError(f"fit: validation must be a pair (X_val, Y_val), got "
                                f"{type(validation).__name__}"
                                f"{f' of length {len(validation)}' if isinstance(validation, (tuple, list)) else ''}.")
            _, Xv, Yv = _check_XY(self, *validation)
        classify = bool(np.all((Y == 0) | (Y == 1)))
        history = History()
        evaluate = [(X, Y, history.loss, history.accuracy)]
        if validation is not None:
            evaluate.append((Xv, Yv, history.val_loss, history.val_accuracy))
        # The labels of one-hot targets, found once: accuracy compares argmax(a^L) with them.
        labels = [np.argmax(Ye, axis=0) if classify and Ye.shape[0] > 1 else None
                  for _, Ye, _, _ in evaluate]

        def measure(along=None) -> list:
            """(loss, accuracy) on each evaluated set, for the parameters in net.weights —
            on the training set, a^L computed along the next epoch if given."""
            values = []
            for (Xe, Ye, _, _), label in zip(evaluate, labels):
                out = trainer.output(Xe) if along is None or Xe is not X else along
                accuracy = None
                if classify:
                    accuracy = (_accuracy(out, Ye) if label is None
                                else float(np.mean(np.argmax(out, axis=0) == label)))
                values.append((self.cost.value(out, Ye), accuracy))
            return values

        def record(epoch: int, values: list) -> None:
            for (_, _, losses, accs), (loss, accuracy) in zip(evaluate, values):
                losses.append(loss)
                if classify:
                    accs.append(accuracy)
            if not math.isfinite(history.loss[-1]):
                trainer.discard()    # back to the parameters of that epoch, kept in net.weights
                raise _diverged(history.loss[-1], epoch, lr, X, Y)
            if progress and epoch:
                epoch_range.set_postfix(loss=f"{history.loss[-1]:.4g}", refresh=False)

        small_steps = batch_size * sum(W.size for W in self.weights) <= _SMALL_STEP
        trainer = (_FusedSGD if _FusedSGD.handles(self) else _ReadableSGD)(self, X, Y, batch_size)
        # On a large set, epoch k's loss is computed during epoch k + 1, from the samples it
        # gathers anyway (see _FusedSGD.epoch): one pass over X per epoch instead of two.
        along = trainer.can_record_along(m)
        rng = np.random.default_rng(seed)
        epoch_range = range(1, epochs + 1)
        if progress:
            from tqdm.auto import tqdm
            epoch_range = tqdm(epoch_range, desc="training", unit="epoch")
        # A too-large lr overflows somewhere mid-epoch; NumPy's warnings would not say why,
        # so they are silenced for the loop (entered once: it is not free) and one clear
        # error is raised instead. Mini-batch steps run BLAS on one thread (_one_blas_thread).
        try:
            with (np.errstate(over="ignore", invalid="ignore"),
                  _one_blas_thread() if small_steps else contextlib.nullcontext()):
                for epoch in itertools.chain([0], epoch_range):
                    if epoch:
                        out = trainer.epoch(rng.permutation(m), lr, record_along=along)
                        if along:
                            record(epoch - 1, measure(out))
                    trainer.write_back()             # net.weights: this epoch's parameters
                    if not along or epoch == epochs:
                        record(epoch, measure())
        finally:
            trainer.close()              # evaluation threads stopped, then
            trainer.write_back()         # the parameters, also when interrupted mid-epoch
        return history


class _ReadableSGD:
    """fit's epoch as the readable composition: one ``_sgd_step`` (backward's code, then
    the step) per shuffled mini-batch. Used for activations or costs that are not
    bpkit's own, which _FusedSGD does not know."""

    def __init__(self, net: Network, X: np.ndarray, Y: np.ndarray, batch_size: int):
        self.net, self.batch_size = net, batch_size
        # Samples as rows, once per fit: a shuffled mini-batch is then a gather of whole
        # rows, and its transpose the (n_0, B) column batch, contiguous for BLAS.
        self.XT, self.YT = np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T)

    def epoch(self, order: np.ndarray, lr: float, record_along: bool = False) -> None:
        net, XT, YT, B = self.net, self.XT, self.YT, self.batch_size
        for start in range(0, len(order), B):
            batch = order[start:start + B]
            _sgd_step(net, XT.take(batch, axis=0).T, YT.take(batch, axis=0).T, lr)

    def output(self, X: np.ndarray) -> np.ndarray:
        """a^L for X: forward's own body (checked once, by fit)."""
        return Network.forward.__wrapped__(self.net, X).output

    def can_record_along(self, m: int) -> bool:
        """No: _sgd_step moves net.weights themselves."""
        return False

    def write_back(self) -> None:
        """Nothing to do: _sgd_step updates net.weights and net.biases themselves."""

    def discard(self) -> None:
        """Nothing to do (see write_back)."""

    def close(self) -> None:
        """Nothing to release."""


def _sgd_step(net: Network, X: np.ndarray, Y: np.ndarray, lr: float) -> None:
    """One step of gradient descent on the batch X (n_0, m), Y (n_L, m), in place: the same
    as ``net.step(net.backward(X, Y), lr)``, the way fit runs it.

    The errors come from the same code as backward's (forward pass, BP1, BP2: every δ^l
    is computed before any parameter moves). Only the last two equations are fused with
    the step, so that no gradient array is built just to be subtracted: BP3 and the step,
    b^l ← b^l − lr Σ_samples δ^l; BP4 and the step, W^l ← W^l − lr δ^l (a^(l−1))ᵀ, as one
    BLAS call (``_descend``). tests/test_network.py checks that fit equals the readable
    backward-then-step loop to 1e-12.
    """
    fwd, deltas = net._errors(X, Y)
    db_of = bp3.__wrapped__
    for W, b, delta, a_prev in zip(net.weights, net.biases, deltas, fwd.a):
        b -= lr * db_of(delta)                      # BP3, then the step
        _descend(W, lr, delta, a_prev)              # BP4 and the step in one


def _descend(W: np.ndarray, lr: float, delta: np.ndarray, a_prev: np.ndarray) -> None:
    """W ← W − lr δ (a_prev)ᵀ in place (BP4 and the step): W (n_l, n_(l−1)), δ (n_l, m),
    a_prev (n_(l−1), m).

    BLAS's dgemm computes C ← α op(A) op(B) + β C and writes C in place when C is stored
    column by column. A C-ordered W is exactly that for Wᵀ, so the update runs on the
    transposes, Wᵀ ← Wᵀ − lr a_prev δᵀ: one call, no temporary (n_l, n_(l−1)) arrays.
    A W stored otherwise (e.g. assigned as a transposed view) takes the two-step route.
    """
    if not (W.flags.c_contiguous and W.flags.writeable):
        W -= lr * bp4.__wrapped__(delta, a_prev)
        return
    # Hand BLAS each operand in the column-major layout it wants, transposing the flag
    # instead of copying: op(A) must be a_prev and op(B) must be δᵀ.
    a, trans_a = (a_prev, 0) if a_prev.flags.f_contiguous else (a_prev.T, 1)
    d, trans_d = (delta.T, 0) if delta.flags.c_contiguous else (delta, 1)
    _dgemm(-lr, a, d, beta=1.0, c=W.T, overwrite_c=True, trans_a=trans_a, trans_b=trans_d)


# --------------------------------------------------------------------------- fit's fused loop
# σ applied in place, and g ← g ⊙ σ′(z) from a = σ(z), for bpkit's own activations: each
# σ′ is a function of the output a, so the backward pass needs no z. Sigmoid: σ′ = a(1 − a);
# tanh: 1 − a²; relu: 1 where a > 0 (exactly where z > 0); identity: 1, nothing to do.
def _sigmoid_in_place(v):
    expit(v, out=v)


def _tanh_in_place(v):
    np.tanh(v, out=v)


def _relu_in_place(v):
    np.maximum(v, 0.0, out=v)


def _times_sigmoid_prime(g, a):
    s = 1.0 - a
    s *= a
    g *= s


def _times_tanh_prime(g, a):
    s = a * a
    np.subtract(1.0, s, out=s)
    g *= s


def _times_relu_prime(g, a):
    g *= a > 0.0


_IN_PLACE = {"sigmoid": (_sigmoid_in_place, _times_sigmoid_prime),
             "tanh": (_tanh_in_place, _times_tanh_prime),
             "relu": (_relu_in_place, _times_relu_prime),
             "identity": (None, None)}


class _FusedSGD:
    """fit's epoch for bpkit's own activations and costs: backward then step, fused.

    The same arithmetic as ``net.step(net.backward(X, Y), lr)`` per mini-batch — every δ^l
    from BP1 and BP2 before W^l moves — arranged so that Python makes as few NumPy calls
    as possible (a 784-30-10 step with batches of 10 is ~30 µs of BLAS, and each NumPy
    call costs ~0.5 µs more):

    * each layer's parameters are one matrix [W^l | b^l] and each activation carries a
      row of ones, [a^(l−1); 1]: z^l = [W^l | b^l] [a^(l−1); 1] is one product, and
      BP3 and BP4 with the step, [W^l | b^l] ← [W^l | b^l] − lr δ^l [a^(l−1); 1]ᵀ, one
      in-place BLAS call (dgemm, as in ``_descend``);
    * σ′ comes from the kept a^l (see _IN_PLACE), activations are applied in place in
      preallocated buffers, and the 1/m every δ carries is left in the step's factor
      (lr/m instead of lr);
    * the shuffled samples are gathered a few batches at a time — and, on a large set,
      each gathered block also goes through the forward pass of the parameters the epoch
      started from: the previous epoch's loss without a pass over X of its own (epoch).

    The parameters live in these matrices during fit; ``write_back`` copies them into
    net.weights and net.biases, in place, after each epoch and at the end (also when
    interrupted). Rounding differs from the readable loop in the last bits (sums taken in
    another order; σ′ = a(1 − a) is 0 where a sigmoid saturates to 1.0, |z| > 37, where
    σ(z)σ(−z) keeps a value below 1e-16): tests/test_network.py checks fit against that
    loop to 1e-12 for every activation and both costs.
    """

    @staticmethod
    def handles(net: Network) -> bool:
        """Whether every activation and the cost are bpkit's own (not subclasses)."""
        return (all(ACTIVATIONS.get(get_activation(a).name) is get_activation(a)
                    for a in net.activations)
                and type(net.cost) in (MSE, CrossEntropy))

    def __init__(self, net: Network, X: np.ndarray, Y: np.ndarray, batch_size: int):
        for l, p in enumerate(net.weights + net.biases):
            if not p.flags.writeable:
                L = len(net.weights)
                name = f"{'W' if l < L else 'b'}^{l % L + 1}"
                raise ValueError(f"fit updates {name} in place, but it is read-only "
                                 f"(assign a writable copy: {name[0]}.copy()).")
        self.net, self.batch_size = net, batch_size
        self.params = []                             # [W^l | b^l], C-ordered: its
        for W, b in zip(net.weights, net.biases):    # transpose is dgemm's in-place C
            P = np.empty((W.shape[0], W.shape[1] + 1))
            P[:, :-1], P[:, -1:] = W, b
            self.params.append(P)
        self.macs = sum(W.size for W in net.weights)   # multiply-adds per sample
        self.width = max(64, _BLOCK // self.macs)       # columns per block (see output)
        self.pool = None
        n0, m = X.shape
        self.XT1 = np.empty((m, n0 + 1))             # samples as rows, each ending in a 1
        self.XT1[:, :n0] = X.T
        self.XT1[:, n0] = 1.0
        self.YT = np.ascontiguousarray(Y.T)
        acts = [_IN_PLACE[get_activation(a).name] for a in net.activations]
        self.sigma = [f for f, _ in acts]
        self.sigma_prime = [p for _, p in acts]
        # BP1: the quadratic cost's δ^L = (a − y) ⊙ σ′ (÷ m); cross-entropy's, with its
        # sigmoid output, (a − y) (÷ m): the sigmoid's σ′ cancels.
        self.output_prime = self.sigma_prime[-1] if type(net.cost) is MSE else None
        self.plans = {}
        # Gather about 1 MB of shuffled rows at a time, a whole number of batches.
        self.chunk = batch_size * max(1, (2**17 // (n0 + 1)) // batch_size)

    def _plan(self, B: int):
        """The buffers for batches of B samples, and the per-layer work that uses them.

        [a^l; 1] (n_l + 1, B) has its row of ones set once (the output layer has none).
        Forward, layers 2 … L: ([W | b], [a^(l−1); 1], a^l, σ_l in place). Backward,
        layers L … 2: ((W^l)ᵀ for BP2, [W^l | b^l]ᵀ for dgemm, a^(l−1), [a^(l−1); 1]ᵀ,
        σ′_(l−1)). Layer 1's input, the batch itself, changes with every step.
        """
        L, params = len(self.params), self.params
        full, act = [], []
        for l, P in enumerate(params):
            n = P.shape[0]
            buffer = np.empty((n + (l < L - 1), B))
            buffer[n:] = 1.0
            full.append(buffer)
            act.append(buffer[:n])
        forward = [(params[l], full[l - 1], act[l], self.sigma[l]) for l in range(1, L)]
        backward = [(params[l][:, :-1].T, params[l].T, act[l - 1], full[l - 1].T,
                     self.sigma_prime[l - 1]) for l in range(L - 1, 0, -1)]
        plan = self.plans[B] = (act[0], forward, act[-1], backward)
        return plan

    def epoch(self, order: np.ndarray, lr: float, record_along: bool = False):
        """One epoch: a step for each batch of ``batch_size`` samples taken in ``order``.

        record_along: also a^L of every sample for the parameters the epoch starts from
        (those in net.weights after write_back), computed from each gathered block of
        samples before it trains — one pass over X instead of two. Returns that a^L,
        (n_L, m) in the samples' own order, or None."""
        XT1, YT, B, chunk = self.XT1, self.YT, self.batch_size, self.chunk
        P1, P1T, sigma1, output_prime = self.params[0], self.params[0].T, self.sigma[0], self.output_prime
        plans, matmul, subtract, dgemm = self.plans, np.matmul, np.subtract, _dgemm
        if record_along:                              # the starting parameters, as rows
            start = [(P.T.copy(), sigma) for P, sigma in zip(self.params, self.sigma)]
            along = np.empty((len(order), self.params[-1].shape[0]))
        for c in range(0, len(order), chunk):
            rows = order[c:c + chunk]
            Xc, Yc = XT1.take(rows, axis=0), YT.take(rows, axis=0)
            if record_along:                          # z = [a; 1]ᵀ [W | b]ᵀ, row by row
                a = Xc
                for l, (PT, sigma) in enumerate(start):
                    if l:
                        a = matmul(a, PT[:-1])
                        a += PT[-1]
                    else:
                        a = matmul(a, PT)
                    if sigma is not None:
                        sigma(a)
                along[rows] = a
            for s in range(0, len(rows), B):
                x, y = Xc[s:s + B].T, Yc[s:s + B].T   # (n_0 + 1, m), (n_L, m): column-major
                m = x.shape[1]
                a1, forward, out, backward = plans.get(m) or self._plan(m)
                # Forward: z^l = [W^l | b^l] [a^(l−1); 1], a^l = σ_l(z^l), in the buffers.
                matmul(P1, x, out=a1)
                if sigma1 is not None:
                    sigma1(a1)
                for P, a_prev, a, sigma in forward:
                    matmul(P, a_prev, out=a)
                    if sigma is not None:
                        sigma(a)
                delta = subtract(out, y)                  # BP1, times m (see above)
                if output_prime is not None:
                    output_prime(delta, out)
                scale = -lr / m
                # Layers L … 2: δ^(l−1) from W^l (BP2) before W^l moves (BP3, BP4, step:
                # [W|b]ᵀ ← [W|b]ᵀ − (lr/m) [a^(l−1); 1] (m δ^l)ᵀ, one dgemm in place).
                for WT, PT, a_prev, a_prevT, prime in backward:
                    below = matmul(WT, delta)
                    if prime is not None:
                        prime(below, a_prev)
                    dgemm(scale, a_prevT, delta.T, 1.0, PT, 1, 0, True)
                    delta = below
                dgemm(scale, x, delta.T, 1.0, P1T, 0, 0, True)
        return along.T if record_along else None

    def output(self, X: np.ndarray) -> np.ndarray:
        """a^L for X, after write_back: forward's arithmetic (z = W a + b, then σ) done in
        place, with fewer large temporaries — for a small X, the very operations of
        net.loss's forward pass, so the same numbers to the bit.

        A large X goes by blocks of ``self.width`` columns (~2^24 multiply-adds each) that
        a few threads share, each taking the next block as it finishes one, with BLAS on
        one thread: a core that another process holds then slows one thread, not the whole
        pass, as it does OpenBLAS's own threads, which wait for each other (784-30-10 on
        20,000 samples, 2 CPUs, one other busy process: 40 ms with OpenBLAS's two threads,
        31 ms on one thread, 21 ms in blocks). A column's a^L is the same sums either way;
        with OpenBLAS the same to the bit."""
        m, width = X.shape[1], self.width
        if m < 2 * width or _CPUS < 2:
            return self._forward_in_place(X)
        out = np.empty((self.params[-1].shape[0], m))

        def block(start: int) -> None:
            with np.errstate(over="ignore", invalid="ignore"):   # per thread, as in fit
                out[:, start:start + width] = self._forward_in_place(X[:, start:start + width])

        with _one_blas_thread():
            try:
                for _ in self._pool().map(block, range(0, m, width)):
                    pass
            except RuntimeError as err:               # no thread to be had (a process limit)
                if "thread" not in str(err):
                    raise
                return self._forward_in_place(X)
        return out

    def can_record_along(self, m: int) -> bool:
        """Whether epoch k's loss is computed along epoch k + 1 (see epoch): for a large
        set (a pass of ≥ 2^25 multiply-adds). A small one keeps net.loss's exact pass."""
        return m >= 2 * self.width

    def _pool(self):
        if self.pool is None:
            from concurrent.futures import ThreadPoolExecutor
            self.pool = ThreadPoolExecutor(min(_CPUS, 4), thread_name_prefix="bpkit-fit")
        return self.pool

    def _forward_in_place(self, X: np.ndarray) -> np.ndarray:
        a = X
        for W, b, sigma in zip(self.net.weights, self.net.biases, self.sigma):
            a = W @ a
            a += b
            if sigma is not None:
                sigma(a)
        return a

    def close(self) -> None:
        """Stop the evaluation threads, if any were started."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def write_back(self) -> None:
        """net.weights[l−1] ← W^l and net.biases[l−1] ← b^l, in place."""
        for W, b, P in zip(self.net.weights, self.net.biases, self.params):
            W[...] = P[:, :-1]
            b[...] = P[:, -1:]

    def discard(self) -> None:
        """The other way: [W^l | b^l] ← net.weights and net.biases (the steps since the
        last write_back are dropped)."""
        for W, b, P in zip(self.net.weights, self.net.biases, self.params):
            P[:, :-1], P[:, -1:] = W, b


# Mini-batch steps whose products take at most this many multiply-adds run BLAS on one
# thread: OpenBLAS splits a product among threads that wait for one another, which costs
# more than it saves on small products, and far more when another process holds a core.
_SMALL_STEP = 2**22
# fit evaluates its loss in blocks of about this many multiply-adds.
_BLOCK = 2**24
_CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
_BLAS = {"controller": None, "users": 0, "limiter": None, "lock": threading.Lock()}


@contextlib.contextmanager
def _one_blas_thread():
    """A context in which BLAS runs on one thread (through threadpoolctl).

    Nested or concurrent uses (a fit inside another thread's fit) share one limit, set by
    the first to enter and lifted by the last to leave."""
    state = _BLAS
    with state["lock"]:
        if state["controller"] is None:
            state["controller"] = ThreadpoolController()   # finds the BLAS libraries: ~3 ms
        if state["users"] == 0:
            state["limiter"] = state["controller"].limit(limits=1, user_api="blas")
        state["users"] += 1
    try:
        yield
    finally:
        with state["lock"]:
            state["users"] -= 1
            if state["users"] == 0 and state["limiter"] is not None:
                state["limiter"].restore_original_limits()
                state["limiter"] = None


def _diverged(loss: float, epoch: int, lr: float, X: np.ndarray, Y: np.ndarray) -> Exception:
    """The error for a loss that stopped being finite: blame what most likely caused it."""
    sizes = f"|X| reaches {_checks.magnitude(X):.3g} and |Y| {_checks.magnitude(Y):.3g}"
    large = max(_checks.magnitude(X), _checks.magnitude(Y)) > 1e6
    rescale = "scale the data to order 1 (e.g. divide by their standard deviation)"
    if epoch == 0:
        return ValueError(f"fit: the cost of the initial parameters is already {loss}, before "
                          f"any step: {sizes}, too large for float64 arithmetic; {rescale}.")
    advice = f"{rescale}, or lower the learning rate" if large else "lower the learning rate"
    return FloatingPointError(f"the loss became {loss} after {epoch} epochs (lr={lr:g}; {sizes}): "
                              f"{advice}.")
