"""How fast is Network.fit's inner loop? Run:  .venv/bin/python benchmarks/bench_fit.py

Reports mini-batch steps per second for a tiny network (XOR: where Python overhead is
everything) and a digits-sized one, and compares with the same training done through the
public, input-checking API (backward + step per batch) — the cost fit avoids by checking
its inputs once at the boundary.
"""
import time

import numpy as np

import bpkit as bp


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def case(name, sizes, X, Y, batch_size, epochs, loss="mse"):
    m = X.shape[1]
    steps = epochs * -(-m // batch_size)

    def with_fit():
        bp.Network(sizes, loss=loss, seed=0).fit(X, Y, epochs=epochs, lr=0.5, batch_size=batch_size,
                                                  seed=0, progress=False)

    def with_public_api():
        net, rng = bp.Network(sizes, loss=loss, seed=0), np.random.default_rng(0)
        for _ in range(epochs):
            order = rng.permutation(m)
            for start in range(0, m, batch_size):
                idx = order[start:start + batch_size]
                net.step(net.backward(X[:, idx], Y[:, idx]), 0.5)
            net.loss(X, Y)

    t_fit, t_api = best_of(with_fit), best_of(with_public_api)
    print(f"{name:<28} {steps:>6} steps   fit: {steps / t_fit:>9,.0f} steps/s "
          f"({1e6 * t_fit / steps:6.1f} µs/step)   checked API: {steps / t_api:>9,.0f} steps/s   "
          f"fit is {t_api / t_fit:.1f}× faster")


if __name__ == "__main__":
    X, Y = bp.datasets.xor()
    case("XOR 2-3-1, batch 4", [2, 3, 1], X, Y, batch_size=4, epochs=2000)
    X, Y = bp.datasets.moons(m=256, seed=0)
    case("moons 2-8-1, batch 8", [2, 8, 1], X, Y, batch_size=8, epochs=20)
    X, Y, _, _ = bp.datasets.digits(seed=0)
    case("digits 64-32-10, batch 16", [64, 32, 10], X, Y, batch_size=16, epochs=5, loss="cross_entropy")
