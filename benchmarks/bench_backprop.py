"""What backpropagation costs, and what the matrix form buys. Run:

    .venv/bin/python benchmarks/bench_backprop.py            all three parts
    .venv/bin/python benchmarks/bench_backprop.py --part fit  (or loop, fd)

1. **loop** — per-example loop vs one matrix product per layer: the gradient of a mini-batch
   of m columns by m calls of ``Network.backward`` on one column each (summed, ÷ m) against
   one call on the (n_0, m) batch. Same numbers, very different times.
2. **fd** — finite differences vs backpropagation as the parameter count n grows: the full
   gradient by central differences (2n cost evaluations; forward differences need n + 1)
   against one backward pass. Finite differences grow like n², backprop like n.
3. **fit** — ``Network.fit`` against two loops of the *same* network as in Nielsen's book
   (784-30-10 sigmoid, quadratic cost, mini-batches of 10, lr 3.0, float64) on random data
   of MNIST's shape (20,000 samples): his network.py's ``update_mini_batch`` (backprop one
   example at a time, gradients summed over the batch) and a plain hand-written NumPy loop
   that takes each batch as one matrix. Reports seconds per epoch: the best of a few
   rounds after one to warm up, the contenders taking turns (see part_fit). fit's figure is
   that of whole calls divided by the epochs: it includes checking its inputs, laying the
   samples out as rows, and the History's epochs + 1 records of the cost on the whole set
   (the loops record nothing); the cost of one further epoch, its record included, is
   printed too. Nielsen's list of (x, y) columns is built once, outside the timing.
   ``--epochs N`` (default 3) sets the epochs per run: the more epochs, the less fit's
   once-per-call work weighs.

Every part runs with BLAS (NumPy's matrix products) on one thread, as fit runs: these
products are small, and BLAS threads waiting on each other made single calls hundreds of times
slower whenever other work shared the machine (seen here: one backward pass of 784-30-10 on
100 columns, 0.1 ms alone, 212 ms beside a test run). ``--blas-threads N`` lifts that.

No downloads: the data are random arrays of the right shapes. Times depend on the machine
(and on what else runs on it); the ratios are what to read.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

import bpkit as bp


def best_of(fn, repeat=3):
    """The fastest of ``repeat`` runs of fn(), in seconds (the least disturbed one)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# --------------------------------------------------------------------------- 1. per-example vs matrix
def per_example_gradient(net, X, Y):
    """∂C/∂W^l, ∂C/∂b^l of the batch mean, one column at a time: the mean cost's gradient is
    the mean of the per-sample gradients, so sum the m one-column gradients and divide by m."""
    m = X.shape[1]
    dW = [np.zeros_like(W) for W in net.weights]
    db = [np.zeros_like(b) for b in net.biases]
    for i in range(m):
        g = net.backward(X[:, i:i + 1], Y[:, i:i + 1])
        for l in range(len(dW)):
            dW[l] += g.dW[l] / m
            db[l] += g.db[l] / m
    return dW, db


def part_loop():
    print("1. The gradient of one mini-batch: m per-example backward passes vs one matrix pass")
    print(f"   {'network':<14} {'m':>5} {'per-example':>13} {'matrix':>10} {'ratio':>7}  same?")
    rng = np.random.default_rng(0)
    for sizes in ([64, 32, 10], [784, 30, 10]):
        for m in (10, 100, 1000):
            net = bp.Network(sizes, seed=0)
            X = rng.uniform(size=(sizes[0], m))
            Y = rng.uniform(size=(sizes[-1], m))
            t_loop = best_of(lambda: per_example_gradient(net, X, Y))
            t_mat = best_of(lambda: net.backward(X, Y))
            dW, _ = per_example_gradient(net, X, Y)
            same = max(bp.relative_error(a, b) for a, b in zip(dW, net.backward(X, Y).dW))
            name = "-".join(map(str, sizes))
            print(f"   {name:<14} {m:>5} {1e3 * t_loop:>10.2f} ms {1e3 * t_mat:>7.2f} ms "
                  f"{t_loop / t_mat:>6.0f}×  rel. err {same:.0e}")


# --------------------------------------------------------------------------- 2. finite differences
def full_numerical_gradient(net, X, Y):
    """Every ∂C/∂W^l and ∂C/∂b^l by central differences: 2 cost evaluations per parameter."""
    return [bp.numerical_gradient(lambda _: net.loss(X, Y), p)
            for W, b in zip(net.weights, net.biases) for p in (W, b)]


def part_fd():
    print("2. The full gradient: central finite differences (2n costs) vs backpropagation")
    print(f"   {'network':<12} {'n params':>9} {'finite diff.':>13} {'backprop':>10} {'ratio':>8}")
    rng = np.random.default_rng(1)
    m = 32
    for hidden in (2, 4, 8, 16, 32, 64):
        sizes = [16, hidden, hidden, 4]
        net = bp.Network(sizes, seed=0)
        X, Y = rng.uniform(size=(16, m)), rng.uniform(size=(4, m))
        n = sum(W.size + b.size for W, b in zip(net.weights, net.biases))
        t_fd = best_of(lambda: full_numerical_gradient(net, X, Y), repeat=1)
        t_bp = best_of(lambda: net.backward(X, Y), repeat=20)
        print(f"   {'-'.join(map(str, sizes)):<12} {n:>9,} {t_fd:>11.3f} s {1e3 * t_bp:>7.3f} ms "
              f"{t_fd / t_bp:>7.0f}×")


# --------------------------------------------------------------------------- 3. fit vs loops
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class NielsenNetwork:
    """The training part of Nielsen's network.py (Neural Networks and Deep Learning, ch. 1),
    ported to Python 3: biases[l] (n, 1), weights[l] (n_out, n_in), and update_mini_batch
    backpropagating ONE example (x, y) of shape (784, 1), (10, 1) at a time."""

    def __init__(self, sizes, weights, biases):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.weights = [w.copy() for w in weights]
        self.biases = [b.copy() for b in biases]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = _sigmoid(np.dot(w, a) + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, rng):
        n = len(training_data)
        for _ in range(epochs):
            order = rng.permutation(n)
            training_data = [training_data[i] for i in order]
            mini_batches = [training_data[k:k + mini_batch_size]
                            for k in range(0, n, mini_batch_size)]
            for mini_batch in mini_batches:
                self.update_mini_batch(mini_batch, eta)

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = _sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return nabla_b, nabla_w

    def cost_derivative(self, output_activations, y):
        return output_activations - y


def sigmoid_prime(z):
    return _sigmoid(z) * (1 - _sigmoid(z))


def plain_numpy_epoch(W1, b1, W2, b2, X, Y, lr, batch_size, rng):
    """One epoch of the same training, written by hand for this one network: each mini-batch
    of m columns is one matrix, δ carries the 1/m, parameters updated in place."""
    m_all = X.shape[1]
    order = rng.permutation(m_all)
    for start in range(0, m_all, batch_size):
        idx = order[start:start + batch_size]
        x, y = X[:, idx], Y[:, idx]
        m = x.shape[1]
        a1 = _sigmoid(W1 @ x + b1)
        a2 = _sigmoid(W2 @ a1 + b2)
        d2 = (a2 - y) / m * a2 * (1 - a2)                 # BP1, σ′ = a(1 − a)
        d1 = (W2.T @ d2) * a1 * (1 - a1)                  # BP2
        W2 -= lr * (d2 @ a1.T)                            # BP4
        b2 -= lr * d2.sum(axis=1, keepdims=True)          # BP3
        W1 -= lr * (d1 @ x.T)
        b1 -= lr * d1.sum(axis=1, keepdims=True)


def part_fit(m=20_000, epochs=3, repeat=3):
    sizes, batch, lr = [784, 30, 10], 10, 3.0
    print(f"3. One epoch of mini-batch SGD, {'-'.join(map(str, sizes))} sigmoid, quadratic cost, "
          f"batch {batch}, lr {lr}, float64, {m:,} random samples, {epochs} epochs per run")
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(784, m))
    Y = bp.datasets.one_hot(rng.integers(0, 10, m), 10)
    start = bp.Network(sizes, seed=0)
    data = [(X[:, i:i + 1].copy(), Y[:, i:i + 1].copy()) for i in range(m)]   # not timed

    def with_fit(n_epochs=epochs):
        net = bp.Network.from_params(start.weights, start.biases)
        net.fit(X, Y, epochs=n_epochs, lr=lr, batch_size=batch, seed=0, progress=False)

    def with_nielsen():
        net = NielsenNetwork(sizes, start.weights, start.biases)
        net.SGD(data, epochs, batch, lr, np.random.default_rng(0))

    def with_plain():
        W1, W2 = (W.copy() for W in start.weights)
        b1, b2 = (b.copy() for b in start.biases)
        r = np.random.default_rng(0)
        for _ in range(epochs):
            plain_numpy_epoch(W1, b1, W2, b2, X, Y, lr, batch, r)

    def matmuls_only():
        """The matrix products of the epochs and nothing else: the floor for any loop."""
        W1, W2 = start.weights
        for _ in range(epochs):
            for s in range(0, m, batch):
                x = X[:, s:s + batch]
                a1 = W1 @ x
                a2 = W2 @ a1
                d1 = W2.T @ a2
                _ = a2 @ a1.T, d1 @ x.T

    # Contenders take turns, round after round, and each keeps its best run: a burst of
    # load elsewhere on the machine then slows one round of each, not one contender. Each
    # runs twice in a row per round: a first run may pay for touching memory the system has
    # not handed out lately (on a virtual machine, seen here at up to 2 ms per MB — a
    # quarter of a second for fit's copy of X), which the second does not. One round before
    # all warms up (libraries loaded) and is not kept.
    contenders = {"nielsen": with_nielsen, "plain": with_plain, "fit": with_fit,
                  "fit0": lambda: with_fit(0), "matmuls": matmuls_only}
    for fn in contenders.values():
        fn()
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(repeat):
        for name, fn in contenders.items():
            best[name] = min(best[name], best_of(fn, 2))
    t = {name: best[name] / epochs for name in ("nielsen", "plain", "fit", "matmuls")}
    marginal = (best["fit"] - best["fit0"]) / epochs     # an epoch and its record, nothing else
    print(f"   Nielsen network.py-style per-example loop {t['nielsen']:7.3f} s/epoch")
    print(f"   plain NumPy loop, one matrix per batch    {t['plain']:7.3f} s/epoch")
    print(f"   bp.Network.fit, whole calls               {t['fit']:7.3f} s/epoch "
          f"(epochs + 1 = {epochs + 1} loss records included)")
    print(f"     of which once per call                  {best['fit0']:7.3f} s "
          f"(checks, samples as rows, loss[0]: fit with epochs=0)")
    print(f"     so each further epoch                   {marginal:7.3f} s (and its record)")
    print(f"   the matrix products alone                 {t['matmuls']:7.3f} s/epoch")
    print(f"   fit is {t['nielsen'] / t['fit']:.1f}× faster than the per-example loop "
          f"({t['nielsen'] / marginal:.1f}× per further epoch) and "
          f"{t['plain'] / t['fit']:.2f}× the speed of the plain NumPy loop")


PARTS = {"loop": part_loop, "fd": part_fd, "fit": part_fit}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=sorted(PARTS), action="append",
                        help="run only this part (repeatable); default: all")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run in part 3 (3)")
    parser.add_argument("--blas-threads", type=int, default=1, help="BLAS threads (1)")
    args = parser.parse_args()
    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        for name in args.part or PARTS:
            PARTS[name](**({"epochs": args.epochs} if name == "fit" else {}))
            print()
