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
``_checks.checked``). So ``fit`` checks once and then trains without checking again: for
bpkit's own activations and costs with the same equations fused into one kernel that makes
no arrays per step (``_fused.py``, tested equal to backward-then-step to 1e-12), for any
other with ``_sgd_step`` below.
"""
from __future__ import annotations

import math
import numbers
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg.blas import dgemm as _dgemm
from threadpoolctl import threadpool_limits

from . import _checks, _fused
from .activations import ACTIVATIONS, Activation, get_activation
from .equations import bp2, bp3, bp4, weighted_input
from .losses import check_targets, get_loss

# Refuse networks whose parameters alone would fill this many float64s (800 MB): sizes
# such as [10**6, 10**6] are a typo, and NumPy's MemoryError would not say which number.
MAX_PARAMETERS = 10**8

# fit computes a record's first product, W^1 X, on a second thread while the next epoch
# trains, when it takes more multiply-adds than this: about a millisecond, well above what
# handing work to a thread costs.
OVERLAP_ABOVE = 10**7


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


class _Recorder:
    """fit's bookkeeping: after each epoch, the cost (and accuracy) of the network on each
    of ``sets``, (X, Y, losses, accuracies), appended to the History's lists.

    ``record(epoch)`` measures the network as it is now. On a large set that is a forward
    pass costing a fair part of an epoch, nearly all of it the one product W^1 X. So
    ``start(epoch)`` copies the parameters and hands that product to a second thread, where
    it is one BLAS call (the thread needs Python's lock only to begin and end it) and runs
    while the next epoch trains; ``finish()``, once that epoch is done, completes the record
    from the copy. Same numbers, an epoch later. A loss that is not finite puts the copied
    parameters back before ``diverged`` raises: either way fit stops with the parameters of
    the epoch after which the loss was measured.
    """

    def __init__(self, net: "Network", sets: list, classify: bool, diverged, overlap: bool):
        self.net, self.sets, self.classify, self.diverged = net, sets, classify, diverged
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="bpkit-record") if overlap else None
        self.pending = None                        # (epoch, parameters, future of W^1 X)

    def record(self, epoch: int, params: "Network | None" = None, firsts=None) -> None:
        net = params or self.net
        for k, (X, Y, losses, accuracies) in enumerate(self.sets):
            out = net._output(X, None if firsts is None else firsts[k])
            losses.append(net.cost.value(out, Y))
            if self.classify:
                accuracies.append(_accuracy(out, Y))
        loss = self.sets[0][2][-1]
        if not math.isfinite(loss):
            if params is not None:
                for p, q in zip(self.net.weights + self.net.biases, params.weights + params.biases):
                    p[...] = q
            raise self.diverged(loss, epoch)

    def start(self, epoch: int) -> None:
        params = Network.__new__(Network)            # a copy, unchecked: it may hold an inf
        params.weights = [W.copy() for W in self.net.weights]
        params.biases = [b.copy() for b in self.net.biases]
        params.activations, params.cost = self.net.activations, self.net.cost
        self.pending = (epoch, params, self.pool.submit(self._first_products, params.weights[0]))

    def _first_products(self, W1: np.ndarray) -> list:
        with np.errstate(over="ignore", invalid="ignore"):    # errstate is per thread
            return [W1 @ X for X, *_ in self.sets]

    def finish(self) -> None:
        if self.pending:
            epoch, params, future = self.pending
            self.pending = None
            self.record(epoch, params, future.result())

    def close(self) -> None:
        if self.pool:
            self.pool.shutdown(wait=True, cancel_futures=True)


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

    def _output(self, X, first=None) -> np.ndarray:
        """a^L for X (already checked) by forward's formulas, keeping nothing else;
        ``first``, if given, is the product W^1 X computed beforehand."""
        a = X
        for l, (W, b, act) in enumerate(zip(self.weights, self.biases, self.activations)):
            a = get_activation(act).f((W @ a if l or first is None else first) + b)
        return a

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
        ``batch_size`` (default: the whole set), and for each batch runs backward and step
        (fused into one pass for bpkit's own activations and costs, with the same result).
        The History records the loss (and accuracy, for 0/1 or one-hot targets) on the
        whole training set — and on ``validation=(X_val, Y_val)`` if given — before the
        first epoch and after each one: epochs + 1 values, loss[0] being the initial cost.
        progress=True shows a progress bar; turn it off in scripts and graded notebooks.
        Returns the History.

        While fit runs, BLAS (NumPy's matrix products) runs on one thread; on a large set
        each record's first product is computed during the next epoch, on a second thread.
        """
        _, X, Y = _check_XY(self, X, Y)
        m = X.shape[1]
        lr = _check_lr("fit", lr)
        for l, (W, b) in enumerate(zip(self.weights, self.biases), 1):
            for p, name in ((W, "W"), (b, "b")):
                if not p.flags.writeable:
                    raise ValueError(f"fit: {name}^{l} is read-only; fit updates it in place "
                                     f"(assign a writable copy, {name}.copy()).")
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
        # Checked once above; from here on the methods' own bodies run, unchecked.
        # bpkit's own activations and costs train fused (no array made per step), anything
        # else by the readable composition; both keep the samples as rows.
        sgd = (_fused.FusedSGD if _fused.supports(self) else _ReadableSGD)(self, X, Y)
        first_product = self.weights[0].shape[0] * sum(Xe.size for Xe, *_ in evaluate)
        recorder = _Recorder(self, evaluate, classify,
                             lambda loss, epoch: _diverged(loss, epoch, lr, X, Y),
                             overlap=epochs > 0 and first_product > OVERLAP_ABOVE)
        rng = np.random.default_rng(seed)
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=epochs, desc="training", unit="epoch")
        # BLAS on one thread: a mini-batch's products are too small to share out, and BLAS
        # threads that spin while they wait for work slow fit down badly as soon as anything
        # else wants a core — the record's thread, or another program (measured here with
        # one core kept busy: MNIST-sized 1.4×, the digits 2–8× slower).
        # A too-large lr overflows somewhere mid-epoch; NumPy's warnings would not say why,
        # so they are silenced for the loop (entered once: it is not free) and one clear
        # error is raised instead.
        try:
            with threadpool_limits(limits=1, user_api="blas"), \
                    np.errstate(over="ignore", invalid="ignore"):
                for epoch in range(epochs + 1):
                    if epoch:
                        order = rng.permutation(m)
                        for start in range(0, m, batch_size):
                            sgd.step(order[start:start + batch_size], lr)
                        sgd.sync()
                        recorder.finish()                  # the previous epoch's, if started
                    if recorder.pool and epoch < epochs:
                        recorder.start(epoch)              # finished after the next epoch
                    else:
                        recorder.record(epoch)
                    if progress and epoch:
                        bar.set_postfix(loss=f"{history.loss[-1]:.4g}", refresh=False)
                        bar.update()
        finally:
            recorder.close()
            sgd.sync()                  # stopped mid-epoch too: the network has the last step's values
            if progress:
                bar.close()
        return history


class _ReadableSGD:
    """fit's inner loop for an activation or cost of one's own: ``_sgd_step`` on each batch.
    Samples as rows, once per fit: a shuffled batch is then a gather of whole rows, and its
    transpose the (n_0, B) column batch, contiguous for BLAS."""

    def __init__(self, net: Network, X: np.ndarray, Y: np.ndarray):
        self.net, self.XT, self.YT = net, np.ascontiguousarray(X.T), np.ascontiguousarray(Y.T)

    def step(self, batch: np.ndarray, lr: float) -> None:
        _sgd_step(self.net, self.XT.take(batch, axis=0).T, self.YT.take(batch, axis=0).T, lr)

    def sync(self) -> None:
        """Nothing to do: _sgd_step updates the network's own arrays."""


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
