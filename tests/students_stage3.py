"""Simulated students for stage 3 (solutions/03-two-layer-cross-entropy): answer cells by grade_id.

Plain module, no tests here; the same interface as students_stage1.py (see there). Used by
test_stage_checks.py (every right answer passes, every classic mistake is named by the visible
test cell), test_pipeline.py (the whole nbgrader pipeline) and test_grading_stage3.py.
"""
from __future__ import annotations

import json
from pathlib import Path

ASSIGNMENT, NOTEBOOK_NAME = "03-two-layer-cross-entropy", "two-layer-cross-entropy"
NOTEBOOK = Path(__file__).resolve().parents[1] / "solutions" / ASSIGNMENT / f"{NOTEBOOK_NAME}.ipynb"


def _cells():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        src = cell["source"]
        yield cell, "".join(src) if isinstance(src, list) else src


def _strip(source: str) -> str:
    return "\n".join(l for l in source.split("\n") if "### BEGIN SOLUTION" not in l
                     and "### END SOLUTION" not in l)


SETUP = "\n".join(src for cell, src in _cells() if cell["cell_type"] == "code"
                  and cell["metadata"].get("nbgrader", {}).get("locked")
                  and not cell["metadata"]["nbgrader"].get("grade"))
CORRECT: dict[str, str] = {
    cell["metadata"]["nbgrader"]["grade_id"]: _strip(src) for cell, src in _cells()
    if cell["cell_type"] == "code" and cell["metadata"].get("nbgrader", {}).get("solution")}
GRADE_IDS = list(CORRECT)


def _edit(grade_id: str, *replacements: tuple[str, str]) -> str:
    """CORRECT[grade_id] with each (old, new) replaced; old must occur exactly once."""
    source = CORRECT[grade_id]
    for old, new in replacements:
        assert source.count(old) == 1, f"{grade_id}: {old!r} occurs {source.count(old)} times"
        source = source.replace(old, new)
    return source


ALTERNATIVES: dict[str, list[str]] = {
    "cross_entropy_from_z": [
        '''\
def cross_entropy_from_z(z, Y):
    def softplus(t):                                  # ln(1 + e^t), stable: e^(−|t|) ≤ 1
        return np.maximum(t, 0) + np.log1p(np.exp(-np.abs(t)))
    return np.sum(softplus(z) - Y * z) / z.shape[1]''',
        '''\
def cross_entropy_from_z(z, Y):
    per_sample = np.sum(np.logaddexp(0, z) - Y * z, axis=0)   # sum over the outputs
    return np.mean(per_sample)                                  # mean over the samples''',
        '''\
def cross_entropy_from_z(z, Y):
    log_sig = -(np.log1p(np.exp(-np.abs(z))) + np.maximum(-z, 0))   # ln σ(z)
    log_one_minus = log_sig - z                                       # ln(1 − σ(z)) = ln σ(z) − z
    return -np.sum(Y * log_sig + (1 - Y) * log_one_minus, keepdims=True) / Y.shape[1]''',
        '''\
import math

def cross_entropy_from_z(z, Y):
    n, m = z.shape
    total = 0.0
    for j in range(n):                                # a loop is fine too
        for i in range(m):
            t = float(z[j, i])
            softplus = max(t, 0.0) + math.log1p(math.exp(-abs(t)))
            total += softplus - Y[j, i] * t
    return total / m''',
    ],
    "cross_entropy_grad": [
        "def cross_entropy_grad(a, Y):\n    return (a - Y) / (a * (1 - a) * a.shape[1])",
        "def cross_entropy_grad(a, Y):\n    return -(np.divide(Y, a) - np.divide(1 - Y, 1 - a)) / Y.shape[1]",
        '''\
def cross_entropy_grad(a, Y):
    out = np.zeros(a.shape)
    for j in range(a.shape[0]):
        for i in range(a.shape[1]):
            out[j, i] = (-Y[j, i] / a[j, i] + (1 - Y[j, i]) / (1 - a[j, i])) / a.shape[1]
    return out''',
    ],
    "forward": [
        '''\
def forward(W1, b1, W2, b2, X):
    z1 = np.dot(W1, X) + b1
    a1 = 0.5 * (1 + np.tanh(z1 / 2))
    z2 = np.dot(W2, a1) + b2
    return (z1, a1, z2, 0.5 * (1 + np.tanh(z2 / 2)))''',
        '''\
def forward(W1, b1, W2, b2, X):
    m = X.shape[1]
    z1, z2 = np.zeros((W1.shape[0], m)), np.zeros((W2.shape[0], m))
    for i in range(m):                                # one sample (column) at a time
        z1[:, i:i+1] = W1 @ X[:, i:i+1] + b1
        z2[:, i:i+1] = W2 @ bp.sigmoid(z1[:, i:i+1]) + b2
    return z1, bp.sigmoid(z1), z2, bp.sigmoid(z2)''',
        '''\
def forward(W1, b1, W2, b2, X):
    z1 = np.einsum("jk,km->jm", W1, X) + b1
    a1 = 1 / (1 + np.exp(-z1))
    z2 = np.einsum("jk,km->jm", W2, a1) + b2
    return z1, a1, z2, 1 / (1 + np.exp(-z2))''',
    ],
    "backward": [
        '''\
def backward(W1, b1, W2, b2, X, Y):
    m = Y.shape[1]
    fwd = bp.Network.from_params([W1, W2], [b1, b2]).forward(X)   # bpkit's forward is allowed
    a1, a2 = fwd.a[1], fwd.a[2]
    d2 = a2 - Y                                       # per sample; the 1/m comes at the end
    d1 = np.dot(W2.T, d2) * a1 * (1 - a1)
    return (np.dot(d1, X.T) / m, d1.sum(axis=1, keepdims=True) / m,
            np.dot(d2, a1.T) / m, d2.sum(axis=1).reshape(-1, 1) / m)''',
        '''\
def backward(W1, b1, W2, b2, X, Y):
    z1, a1, z2, a2 = forward(W1, b1, W2, b2, X)
    delta2 = (a2 - Y) / X.shape[1]
    delta1 = np.einsum("kj,km->jm", W2, delta2) * bp.sigmoid_prime(z1)
    return (np.einsum("jm,km->jk", delta1, X), np.einsum("jm->j", delta1)[:, None],
            np.einsum("jm,km->jk", delta2, a1), np.einsum("jm->j", delta2)[:, None])''',
        '''\
def backward(W1, b1, W2, b2, X, Y):
    m = X.shape[1]
    grads = [np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)]
    for i in range(m):                                # sample by sample, then added up
        x, y = X[:, i:i+1], Y[:, i:i+1]
        z1 = W1 @ x + b1
        a1 = bp.sigmoid(z1)
        a2 = bp.sigmoid(W2 @ a1 + b2)
        d2 = (a2 - y) / m
        d1 = (W2.T @ d2) * bp.sigmoid_prime(z1)
        for g, v in zip(grads, (d1 @ x.T, d1, d2 @ a1.T, d2)):
            g += v
    return tuple(grads)''',
    ],
    "update": [
        '''\
def update(W1, b1, W2, b2, dW1, db1, dW2, db2, lr):
    new = [p.copy() for p in (W1, b1, W2, b2)]
    for p, g in zip(new, (dW1, db1, dW2, db2)):
        p -= lr * g                                   # in place, but on our own copies
    return tuple(new)''',
        "def update(W1, b1, W2, b2, dW1, db1, dW2, db2, lr):\n"
        "    return [p - lr * g for p, g in zip((W1, b1, W2, b2), (dW1, db1, dW2, db2))]",
    ],
    "predict": [
        "def predict(W1, b1, W2, b2, X):\n    return (forward(W1, b1, W2, b2, X)[2] > 0).astype(int)",
        "def predict(W1, b1, W2, b2, X):\n    return np.where(forward(W1, b1, W2, b2, X)[3] > 0.5, 1, 0)",
        "def predict(W1, b1, W2, b2, X):\n    return np.round(forward(W1, b1, W2, b2, X)[3])",
        "def predict(W1, b1, W2, b2, X):\n    return forward(W1, b1, W2, b2, X)[3] > 0.5      # booleans read as 0/1",
    ],
    "train": [
        '''\
def train(X, Y, hidden, lr, epochs, seed):
    # everything inline, a standard-normal start, losses as a NumPy array
    rng = np.random.default_rng(seed)
    W1, W2 = rng.standard_normal((hidden, X.shape[0])), rng.standard_normal((1, hidden))
    b1, b2 = np.zeros((hidden, 1)), np.zeros((1, 1))
    m = X.shape[1]
    losses = np.zeros(epochs + 1)
    for k in range(epochs + 1):
        a1 = bp.sigmoid(W1 @ X + b1)
        z2 = W2 @ a1 + b2
        losses[k] = np.sum(np.logaddexp(0, z2) - Y * z2) / m
        if k == epochs:
            break
        d2 = (bp.sigmoid(z2) - Y) / m
        d1 = (W2.T @ d2) * a1 * (1 - a1)
        W1, b1 = W1 - lr * d1 @ X.T, b1 - lr * d1.sum(axis=1, keepdims=True)
        W2, b2 = W2 - lr * d2 @ a1.T, b2 - lr * d2.sum(axis=1, keepdims=True)
    return W1, b1, W2, b2, losses''',
        '''\
def train(X, Y, hidden, lr, epochs, seed):
    # a uniform start, updated in place on the function's own arrays
    rng = np.random.default_rng(seed)
    W1 = rng.uniform(-1, 1, (hidden, X.shape[0]))
    b1 = np.zeros((hidden, 1))
    W2 = rng.uniform(-1, 1, (1, hidden))
    b2 = np.zeros((1, 1))
    losses = [cross_entropy_from_z(forward(W1, b1, W2, b2, X)[2], Y)]
    for epoch in range(epochs):
        dW1, db1, dW2, db2 = backward(W1, b1, W2, b2, X, Y)
        W1 -= lr * dW1
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * db2
        losses.append(cross_entropy_from_z(forward(W1, b1, W2, b2, X)[2], Y))
    return W1, b1, W2, b2, losses''',
    ],
    "seed003_gradients": [
        '''\
def seed003_gradients(w1, b1, w2, b2, x, y):
    m = x.shape[1]
    grads = [np.zeros_like(w2), np.zeros_like(b2), np.zeros_like(w1), np.zeros_like(b1)]
    dz2, dz1 = np.zeros(y.shape), np.zeros((w1.shape[0], m))
    for i in range(m):                                # the seed's per-sample equations, one by one
        xi = x[:, i:i+1]
        a1 = bp.sigmoid(w1 @ xi + b1)
        dz2[:, i:i+1] = bp.sigmoid(w2 @ a1 + b2) - y[:, i:i+1]
        dz1[:, i:i+1] = (w2.T @ dz2[:, i:i+1]) * a1 * (1 - a1)
        for g, v in zip(grads, (dz2[:, i:i+1] @ a1.T, dz2[:, i:i+1], dz1[:, i:i+1] @ xi.T, dz1[:, i:i+1])):
            g += v / m
    dw2, db2, dw1, db1 = grads
    return dz2, dw2, db2, dz1, dw1, db1''',
        '''\
def seed003_gradients(w1, b1, w2, b2, x, y):
    z1, a1, z2, a2 = forward(w1, b1, w2, b2, x)      # the course's forward: w2 a1
    m = y.shape[1]
    dz2 = a2 - y
    dz1 = np.einsum("kj,km->jm", w2, dz2) * bp.sigmoid_prime(z1)
    return (dz2, np.einsum("km,jm->kj", dz2, a1) / m, dz2.mean(axis=1, keepdims=True),
            dz1, np.einsum("jm,nm->jn", dz1, x) / m, dz1.mean(axis=1, keepdims=True))''',
    ],
}

_NAIVE_COST = '''\
def cross_entropy_from_z(z, Y):
    a = bp.sigmoid(z)
    return float(-np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / z.shape[1])'''

# backward with its forward pass written out, for the mistakes made there
_BACKWARD_INLINE = '''\
def backward(W1, b1, W2, b2, X, Y):
    m = X.shape[1]
    z1 = W1 @ X + b1
    a1 = bp.sigmoid(z1)
    z2 = W2 @ a1 + b2
    a2 = bp.sigmoid(z2)
    delta2 = (a2 - Y) / m
    delta1 = (W2.T @ delta2) * bp.sigmoid_prime(z1)
    return (delta1 @ X.T, np.sum(delta1, axis=1, keepdims=True),
            delta2 @ a1.T, np.sum(delta2, axis=1, keepdims=True))'''


def _backward(*replacements: tuple[str, str]) -> str:
    source = _BACKWARD_INLINE
    for old, new in replacements:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


def _fd(name: str, args: str, tail: str) -> str:
    """An answer that takes its gradients from central differences of the cost."""
    return f'''\
def {name}({args}):
    w1_, b1_, w2_, b2_, x_, y_ = {args}
    params = [w1_.copy(), b1_.copy(), w2_.copy(), b2_.copy()]
    def J():
        z2 = forward(*params, x_)[2]
        return np.sum(np.logaddexp(0, z2) - y_ * z2) / x_.shape[1]
    grads = []
    for p in params:
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + 1e-6
            up = J()
            p[i] = old - 1e-6
            down = J()
            p[i] = old
            g[i] = (up - down) / 2e-6
        grads.append(g)
{tail}'''


MISTAKES: dict[str, tuple[str, str, str]] = {
    # --- the cost ------------------------------------------------------------------------------
    "cost: log of 0 at |z| = 1000": ("cross_entropy_from_z", _NAIVE_COST, r"log of 0"),
    "cost: an overflowing sigmoid, then log of 0": (
        "cross_entropy_from_z", _NAIVE_COST.replace("bp.sigmoid(z)", "1 / (1 + np.exp(-z))"),
        r"log of 0"),
    "cost: a clipped to [1e-12, 1 - 1e-12]": (
        "cross_entropy_from_z",
        _NAIVE_COST.replace("bp.sigmoid(z)", "np.clip(bp.sigmoid(z), 1e-12, 1 - 1e-12)"),
        r"clipped to \[1e-12, 1 − 1e-12\].*softplus"),
    "cost: warnings silenced": (
        "cross_entropy_from_z",
        _NAIVE_COST.replace("    return", "    with np.errstate(all='ignore'):\n        return"),
        r"silences NumPy's warnings"),
    "cost: the (1 - y) term dropped": (
        "cross_entropy_from_z", _edit("cross_entropy_from_z", (" + (1 - Y) * np.logaddexp(0, z)", "")),
        r"\(1 − y\) term is missing"),
    "cost: the squared error": (
        "cross_entropy_from_z",
        "def cross_entropy_from_z(z, Y):\n    return float(np.sum((bp.sigmoid(z) - Y) ** 2) / (2 * z.shape[1]))",
        r"squared error"),
    "cost: no 1/m": (
        "cross_entropy_from_z", _edit("cross_entropy_from_z", (") / m)", "))")), r"without dividing by m"),
    "cost: np.mean over every entry": (
        "cross_entropy_from_z", _edit("cross_entropy_from_z", ("np.sum(", "np.mean("), (") / m)", "))")),
        r"averaged over every entry"),
    "cost: mean over the wrong axis": (
        "cross_entropy_from_z",
        "def cross_entropy_from_z(z, Y):\n    return np.mean(np.logaddexp(0, z) - Y * z, axis=0)",
        r"the cost is one number"),
    "cost: sign flipped": (
        "cross_entropy_from_z", _edit("cross_entropy_from_z", ("float(np.sum(", "float(-np.sum(")),
        r"wrong sign.*positive"),

    # --- ∂C/∂a ---------------------------------------------------------------------------------
    "grad: the (1 - y) term dropped": (
        "cross_entropy_grad", _edit("cross_entropy_grad", (" + (1 - Y) / (1 - a)", "")),
        r"\(1 − y\) term is missing"),
    "grad: the second term's sign": (
        "cross_entropy_grad", _edit("cross_entropy_grad", (" + (1 - Y) / (1 - a)", " - (1 - Y) / (1 - a)")),
        r"second term has the wrong sign"),
    "grad: returned (a - y)/m": (
        "cross_entropy_grad", "def cross_entropy_grad(a, Y):\n    return (a - Y) / a.shape[1]",
        r"that is δ = ∂C/∂z"),
    "grad: no 1/m": (
        "cross_entropy_grad", _edit("cross_entropy_grad", ("(1 - a)) / m", "(1 - a))")), r"1/m of the mean is missing"),
    "grad: divided by every entry": (
        "cross_entropy_grad", _edit("cross_entropy_grad", ("m = a.shape[1]", "m = a.size")), r"every entry"),

    # --- forward -------------------------------------------------------------------------------
    "forward: the seed's z2 = W2 X": (
        "forward", _edit("forward", ("z2 = W2 @ a1 + b2", "z2 = W2 @ X + b2")), r"seed 003"),
    "forward: bias missing": (
        "forward", _edit("forward", ("z1 = W1 @ X + b1", "z1 = W1 @ X")), r"bias b is missing"),
    "forward: output activation missing": (
        "forward", _edit("forward", ("return z1, a1, z2, bp.sigmoid(z2)", "return z1, a1, z2, z2")),
        r"activation is missing"),
    "forward: elementwise product": (
        "forward", _edit("forward", ("z1 = W1 @ X + b1", "z1 = W1 * X + b1")), r"entry by entry"),

    # --- backward: the classic mistakes of this stage --------------------------------------------
    "backward: sigma' applied again after a - y": (
        "backward", _edit("backward", ("delta2 = (a2 - Y) / m ", "delta2 = (a2 - Y) / m * bp.sigmoid_prime(z2) ")),
        r"σ′ was applied again after a − y"),
    "backward: the squared error's output error": (
        "backward", _edit("backward", ("delta2 = (a2 - Y) / m ", "delta2 = (a2 - Y) * a2 * (1 - a2) / m ")),
        r"output error of the squared error"),
    "backward: the (1 - y) term dropped": (
        "backward", _edit("backward", ("delta2 = (a2 - Y) / m ", "delta2 = -Y * (1 - a2) / m ")),
        r"\(1 − y\) term of the cost is missing"),
    "backward: no 1/m": (
        "backward", _edit("backward", ("delta2 = (a2 - Y) / m ", "delta2 = (a2 - Y) ")),
        r"1/m of the mean is missing"),
    "backward: m = len(Y)": (
        "backward", _edit("backward", ("m = X.shape[1]", "m = len(Y)")), r"len\(Y\)"),
    "backward: m from the wrong axis": (
        "backward", _edit("backward", ("m = X.shape[1]", "m = X.shape[0]")), r"number of rows of X"),
    "backward: db not summed over the samples": (
        "backward", _edit("backward", ("db1 = np.sum(delta1, axis=1, keepdims=True)", "db1 = delta1")),
        r"not summed over the samples"),
    "backward: db summed over the wrong axis": (
        "backward", _edit("backward", ("db1 = np.sum(delta1, axis=1, keepdims=True)",
                                       "db1 = np.sum(delta1, axis=0, keepdims=True)")), r"wrong axis"),
    "backward: W2 instead of W2.T": (
        "backward", _edit("backward", ("(W2.T @ delta2)", "(W2 @ delta2)")), r"W2ᵀ δ²|without its transpose"),
    "backward: sigma' at a1 instead of z1": (
        "backward", _edit("backward", ("bp.sigmoid_prime(z1)", "bp.sigmoid_prime(a1)")),
        r"evaluated at a = σ\(z\) instead of z"),
    "backward: the seed's z2 = W2 X": (
        "backward", _backward(("z2 = W2 @ a1 + b2", "z2 = W2 @ X + b2")), r"seed 003"),
    "backward: the seed's 1/m on dW2 but not db2": (
        "backward", _edit("backward", ("db2 = np.sum(delta2, axis=1, keepdims=True)",
                                       "db2 = np.sum(a2 - Y, axis=1, keepdims=True)")),
        r"seed 003's slip"),
    "backward: labels flattened to (m,)": (
        "backward", _backward(("    m = X.shape[1]\n", "    m = X.shape[1]\n    Y = Y.ravel()\n")),
        r"1-D label vector"),
    "backward: dC/da times sigma', lost at saturation": (
        "backward", _edit("backward", ("delta2 = (a2 - Y) / m ",
                                       "delta2 = cross_entropy_grad(a2, Y) * bp.sigmoid_prime(z2) ")),
        r"saturates"),
    "backward: dC/da inline, 0/0 at saturation": (
        "backward", _edit("backward", ("delta2 = (a2 - Y) / m ",
                                       "delta2 = (-Y / a2 + (1 - Y) / (1 - a2)) / m * a2 * (1 - a2) ")),
        r"saturates"),
    "backward: finite differences, not backprop": (
        "backward", _fd("backward", "W1, b1, W2, b2, X, Y", "    return tuple(grads)"), r"finite differences"),

    # --- update --------------------------------------------------------------------------------
    "update: in place": (
        "update", '''\
def update(W1, b1, W2, b2, dW1, db1, dW2, db2, lr):
    for p, g in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
        p -= lr * g
    return W1, b1, W2, b2''', r"in place"),
    "update: gradient ascent": (
        "update", _edit("update", ("W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2",
                                   "W1 + lr * dW1, b1 + lr * db1, W2 + lr * dW2, b2 + lr * db2")),
        r"uphill"),

    # --- predict -------------------------------------------------------------------------------
    "predict: probabilities, not labels": (
        "predict", _edit("predict", ("return (a2 > 0.5).astype(float)", "return a2")), r"probabilities"),
    "predict: labels as a (m,) vector": (
        "predict", _edit("predict", ("return (a2 > 0.5).astype(float)", "return (a2 > 0.5).astype(float).ravel()")),
        r"1-D label vector"),
    "predict: a2 compared with 0": (
        "predict", _edit("predict", ("(a2 > 0.5)", "(a2 > 0)")), r"always positive"),
    "predict: labels flipped": (
        "predict", _edit("predict", ("(a2 > 0.5)", "(a2 < 0.5)")), r"flipped"),

    # --- train ---------------------------------------------------------------------------------
    "train: zero start (symmetric hidden units)": (
        "train", _edit("train", ("W1 = rng.normal(0.0, 1 / np.sqrt(n0), (hidden, n0))", "W1 = np.zeros((hidden, n0))"),
                       ("W2 = rng.normal(0.0, 1 / np.sqrt(hidden), (1, hidden))", "W2 = np.zeros((1, hidden))")),
        r"same weights"),
    "train: a start not drawn from the seed": (
        "train", _edit("train", ("rng = np.random.default_rng(seed)", "rng = np.random.default_rng()")),
        r"different weights"),
    "train: update's result not kept": (
        "train", _edit("train", ("W1, b1, W2, b2 = update(", "update(")), r"never updated"),
    "train: losses recorded after each step only": (
        "train", _edit("train", ("losses = [cost()]", "losses = []")), r"after each step only"),
    "train: one epoch too few": (
        "train", _edit("train", ("range(epochs)", "range(epochs - 1)")), r"one epoch too few"),
    "train: losses summed over the samples": (
        "train", _edit("train", ("return cross_entropy_from_z(forward(W1, b1, W2, b2, X)[2], Y)",
                                 "return cross_entropy_from_z(forward(W1, b1, W2, b2, X)[2], Y) * X.shape[1]")),
        r"summed over the samples"),
    "train: losses are the squared error": (
        "train", _edit("train", ("return cross_entropy_from_z(forward(W1, b1, W2, b2, X)[2], Y)",
                                 "return np.sum((forward(W1, b1, W2, b2, X)[3] - Y) ** 2) / (2 * X.shape[1])")),
        r"squared error"),

    # --- seed 003 ------------------------------------------------------------------------------
    "seed003: the printed z2 = w2 x": (
        "seed003_gradients", _edit("seed003_gradients", ("z2 = w2 @ a1 + b2", "z2 = w2 @ x + b2")),
        r"Seed 003 prints z₂ = w₂x"),
    "seed003: db2 = a2 - y as printed": (
        "seed003_gradients", _edit("seed003_gradients", ("db2 = np.sum(dz2, axis=1, keepdims=True) / m", "db2 = dz2")),
        r"as printed in seed 003's 8-15"),
    "seed003: db2 without the 1/m": (
        "seed003_gradients", _edit("seed003_gradients", ("db2 = np.sum(dz2, axis=1, keepdims=True) / m",
                                                         "db2 = np.sum(dz2, axis=1, keepdims=True)")),
        r"8-15, ∂L/∂b₂ = a₂ − y, forgets it"),
    "seed003: w2 without its transpose": (
        "seed003_gradients", _edit("seed003_gradients", ("da1 = w2.T @ dz2", "da1 = w2 @ dz2")),
        r"W2ᵀ dz2|without its transpose"),
    "seed003: dw1 without the 1/m": (
        "seed003_gradients", _edit("seed003_gradients", ("dw1 = dz1 @ x.T / m", "dw1 = dz1 @ x.T")), r"8-18 and 8-19"),
    "seed003: the course's delta for dz": (
        "seed003_gradients", _edit("seed003_gradients", ("dz2 = a2 - y ", "dz2 = (a2 - y) / m "),
                                   ("dw2 = dz2 @ a1.T / m", "dw2 = dz2 @ a1.T"),
                                   ("db2 = np.sum(dz2, axis=1, keepdims=True) / m", "db2 = np.sum(dz2, axis=1, keepdims=True)")),
        r"per sample"),
    "seed003: sigma' at a1": (
        "seed003_gradients", _edit("seed003_gradients", ("bp.sigmoid_prime(z1)", "bp.sigmoid_prime(a1)")),
        r"evaluated at a = σ\(z\) instead of z"),
    "seed003: finite differences, not backprop": (
        "seed003_gradients", _fd("seed003_gradients", "w1, b1, w2, b2, x, y", '''\
    z1, a1, z2, a2 = forward(w1, b1, w2, b2, x)
    dz2 = a2 - y
    return dz2, grads[2], grads[3], (w2.T @ dz2) * a1 * (1 - a1), grads[0], grads[1]'''),
        r"finite differences"),
}


CALLS_BPKIT: dict[str, tuple[str, str, str]] = {
    "cost via bp.cross_entropy": (
        "cross_entropy_from_z", "def cross_entropy_from_z(z, Y):\n    return bp.cross_entropy(bp.sigmoid(z), Y)",
        r"calls bpkit's own bp\.cross_entropy\b"),
    "cost via scipy's log_expit": (
        "cross_entropy_from_z", "from scipy.special import log_expit\n\ndef cross_entropy_from_z(z, Y):\n"
        "    return -np.sum(Y * log_expit(z) + (1 - Y) * log_expit(-z)) / z.shape[1]", r"log_expit"),
    "grad via bp.cross_entropy_grad": (
        "cross_entropy_grad", "def cross_entropy_grad(a, Y):\n    return bp.cross_entropy_grad(a, Y)",
        r"calls bpkit's own bp\.cross_entropy_grad"),
    "forward via Network.forward": (
        "forward", "def forward(W1, b1, W2, b2, X):\n    f = bp.Network.from_params([W1, W2], [b1, b2]).forward(X)\n"
        "    return f.z[0], f.a[1], f.z[1], f.a[2]", r"calls bpkit's own bp\.Network\.forward"),
    "backward via Network.backward": (
        "backward", "def backward(W1, b1, W2, b2, X, Y):\n"
        "    g = bp.Network.from_params([W1, W2], [b1, b2], loss='cross_entropy').backward(X, Y)\n"
        "    return g.dW[0], g.db[0], g.dW[1], g.db[1]", r"calls bpkit's own bp\.Network\.backward"),
    "backward via bp.bp2": (
        "backward", _edit("backward", ("(W2.T @ delta2) * bp.sigmoid_prime(z1)", "bp.bp2(W2, delta2, z1, 'sigmoid')")),
        r"calls bpkit's own bp\.bp2"),
    "update via Network.step": (
        "update", '''\
def update(W1, b1, W2, b2, dW1, db1, dW2, db2, lr):
    net = bp.Network.from_params([W1, W2], [b1, b2])
    net.step(bp.Gradients(dW=[dW1, dW2], db=[db1, db2], delta=[None, None]), lr)
    return net.weights[0], net.biases[0], net.weights[1], net.biases[1]''',
        r"calls bpkit's own bp\.Network\.step"),
    "predict via to_labels": (
        "predict", "def predict(W1, b1, W2, b2, X):\n"
        "    return bp.datasets.to_labels(forward(W1, b1, W2, b2, X)[3]).reshape(1, -1)", r"to_labels"),
    "train via Network.fit": (
        "train", '''\
def train(X, Y, hidden, lr, epochs, seed):
    net = bp.Network([X.shape[0], hidden, 1], loss="cross_entropy", seed=seed)
    h = net.fit(X, Y, epochs=epochs, lr=lr, progress=False)
    return net.weights[0], net.biases[0], net.weights[1], net.biases[1], h.loss''',
        r"calls bpkit's own bp\.Network\.fit"),
    "seed003 via Network.backward": (
        "seed003_gradients", '''\
def seed003_gradients(w1, b1, w2, b2, x, y):
    g = bp.Network.from_params([w1, w2], [b1, b2], loss="cross_entropy").backward(x, y)
    m = x.shape[1]
    return m * g.delta[1], g.dW[1], g.db[1], m * g.delta[0], g.dW[0], g.db[0]''',
        r"calls bpkit's own bp\.Network\.backward"),
}

POINTS = {"test_cross_entropy_from_z": 2, "test_cross_entropy_grad": 1, "sigma_prime_cancels": 3,
          "test_forward": 1, "test_backward": 3, "test_update": 1, "test_predict": 1,
          "test_train": 2, "test_seed003_gradients": 3}
