"""Simulated students for stage 2 (solutions/02-three-layer-mse); see students_stage1.py."""
from __future__ import annotations

from answers import editor, load

ASSIGNMENT, NOTEBOOK_NAME = "02-three-layer-mse", "three-layer-mse"
NOTEBOOK, SETUP, CORRECT = load(ASSIGNMENT, NOTEBOOK_NAME)
GRADE_IDS = list(CORRECT)
_edit = editor(CORRECT)

POINTS = {"test_forward": 2, "test_output_error": 1, "test_hidden_error": 2, "hidden_node": 2,
          "test_gradients": 2, "test_train_step": 2, "test_train_network": 2, "test_fit_curve": 2}

ALTERNATIVES: dict[str, list[str]] = {
    "forward": [
        '''\
def forward(W1, b1, W2, b2, X):
    z1 = np.dot(W1, X) + b1
    a1 = 1 / (1 + np.exp(-z1))
    z2 = np.dot(W2, a1) + b2
    return z1, a1, z2, 1 / (1 + np.exp(-z2))''',
        '''\
def forward(W1, b1, W2, b2, X):
    zs, a = [], X
    for W, b in ((W1, b1), (W2, b2)):              # a loop over the layers
        zs.append(np.einsum("jk,km->jm", W, a) + b)
        a = bp.sigmoid(zs[-1])
        zs.append(a)
    return tuple(zs)''',
    ],
    "output_error": [
        "def output_error(a2, z2, Y):\n    return (a2 - Y) * a2 * (1 - a2) / Y.shape[1]",
        "def output_error(a2, z2, Y):\n    return np.multiply(a2 - Y, bp.sigmoid_prime(z2)) / a2.shape[1]",
    ],
    "hidden_error": [
        '''\
def hidden_error(W2, delta2, z1):
    a1 = bp.sigmoid(z1)
    return np.dot(W2.T, delta2) * a1 * (1 - a1)''',
        '''\
def hidden_error(W2, delta2, z1):
    n1, m = z1.shape
    delta1 = np.zeros((n1, m))
    for j in range(n1):                            # node by node, as in the lesson
        for i in range(m):
            delta1[j, i] = sum(W2[k, j] * delta2[k, i] for k in range(W2.shape[0]))
    return delta1 * bp.sigmoid_prime(z1)''',
        "def hidden_error(W2, delta2, z1):\n    return (delta2.T @ W2).T * bp.sigmoid_prime(z1)",
    ],
    "gradients": [
        '''\
def gradients(X, a1, delta1, delta2):
    return (np.dot(delta1, X.T), delta1.sum(axis=1).reshape(-1, 1),
            np.einsum("jm,km->jk", delta2, a1), np.sum(delta2, axis=1, keepdims=True))''',
        '''\
def gradients(X, a1, delta1, delta2):
    out = []
    for delta, a_prev in ((delta1, X), (delta2, a1)):
        dW = sum(delta[:, i:i+1] @ a_prev[:, i:i+1].T for i in range(X.shape[1]))   # per sample
        out += [dW, delta @ np.ones((X.shape[1], 1))]
    return tuple(out)''',
    ],
    "train_step": [
        '''\
def train_step(W1, b1, W2, b2, X, Y, lr):
    fwd = bp.Network.from_params([W1, W2], [b1, b2]).forward(X)
    d2 = (fwd.output - Y) / X.shape[1] * fwd.output * (1 - fwd.output)
    d1 = hidden_error(W2, d2, fwd.z[0])
    grads = gradients(X, fwd.a[1], d1, d2)
    return tuple(p - lr * g for p, g in zip((W1, b1, W2, b2), grads))''',
    ],
    "train_network": [
        '''\
def train_network(W1, b1, W2, b2, X, Y, lr, epochs):
    params = [W1.copy(), b1.copy(), W2.copy(), b2.copy()]
    losses = np.zeros(epochs + 1)
    for k in range(epochs + 1):
        a2 = forward(*params, X)[3]
        losses[k] = np.mean(np.sum((a2 - Y) ** 2, axis=0)) / 2
        if k < epochs:
            new = train_step(*params, X, Y, lr)
            for p, q in zip(params, new):
                p[...] = q                         # in place, on our own copies
    return (*params, losses)''',
    ],
}

MISTAKES: dict[str, tuple[str, str, str]] = {
    # forward
    "forward: hidden bias missing": ("forward", _edit("forward", ("z1 = W1 @ X + b1 ", "z1 = W1 @ X ")),
                                     r"bias b is missing"),
    "forward: no sigmoid on the output": ("forward", _edit("forward", ("bp.sigmoid(z2)", "z2")),
                                          r"sigmoid of layer 2 is missing"),
    "forward: elementwise product": ("forward", _edit("forward", ("z1 = W1 @ X + b1 ", "z1 = W1 * X + b1 ")),
                                     r"raised ValueError.*Use @ for the weighted sums"),
    "forward: forgot return": ("forward", _edit("forward", ("return z1, a1, z2, bp.sigmoid(z2)", "out = z1")),
                               r"returned None"),
    # output error
    "output_error: sigma' missing": ("output_error", _edit("output_error", (" * bp.sigmoid_prime(z2)", "")),
                                     r"σ′\(z\) factor is missing from the output error"),
    "output_error: sigma' at a": ("output_error", _edit("output_error", ("bp.sigmoid_prime(z2)", "bp.sigmoid_prime(a2)")),
                                  r"evaluated at a = σ\(z\) instead of z"),
    "output_error: 1/m missing": ("output_error", _edit("output_error", ("(a2 - Y) / m", "(a2 - Y)")),
                                  r"1/m from the mean cost is missing"),
    "output_error: t − v sign": ("output_error", _edit("output_error", ("(a2 - Y) / m", "(Y - a2) / m")),
                                 r"wrong sign"),
    "output_error: a (n,) array": ("output_error", _edit("output_error", ("return (a2 - Y) / m * bp.sigmoid_prime(z2)",
                                                                         "return ((a2 - Y) / m * bp.sigmoid_prime(z2)).ravel()")),
                                   r"1-D array"),
    # hidden error
    "hidden_error: W2 instead of W2ᵀ": ("hidden_error", _edit("hidden_error", ("W2.T @ delta2", "W2 @ delta2")),
                                        r"W2ᵀ δ²"),
    "hidden_error: sigma' missing": ("hidden_error", _edit("hidden_error", (" * bp.sigmoid_prime(z1)", "")),
                                     r"σ′\(z\^l\) factor is missing"),
    "hidden_error: sigma' at a": ("hidden_error", _edit("hidden_error", ("bp.sigmoid_prime(z1)", "bp.sigmoid_prime(bp.sigmoid(z1))")),
                                  r"evaluated at a = σ\(z\) instead of z"),
    "hidden_error: sigma' twice (seed 004)": ("hidden_error", _edit("hidden_error", ("* bp.sigmoid_prime(z1)", "* bp.sigmoid_prime(z1) ** 2")),
                                              r"multiplied in twice"),
    # gradients
    "gradients: seed 002's vector form a1 δ²": ("gradients", _edit("gradients", ("dW2 = delta2 @ a1.T", "dW2 = a1 @ delta2.T")),
                                               r"seed 002's 'vector form'"),
    "gradients: transpose missing": ("gradients", _edit("gradients", ("dW1 = delta1 @ X.T", "dW1 = delta1 @ X")),
                                     r"raised ValueError"),
    "gradients: biases not summed": ("gradients", _edit("gradients", ("db1 = np.sum(delta1, axis=1, keepdims=True)", "db1 = delta1")),
                                     r"not summed over the samples"),
    "gradients: biases over the wrong axis": ("gradients", _edit("gradients", ("db2 = np.sum(delta2, axis=1, keepdims=True)", "db2 = np.sum(delta2, axis=0, keepdims=True)")),
                                              r"summed over the wrong axis"),
    "gradients: biases averaged": ("gradients", _edit("gradients", ("db1 = np.sum(delta1, axis=1, keepdims=True)", "db1 = np.mean(delta1, axis=1, keepdims=True)")),
                                   r"averaged δ over the samples"),
    "gradients: (n,) bias": ("gradients", _edit("gradients", ("db2 = np.sum(delta2, axis=1, keepdims=True)", "db2 = np.sum(delta2, axis=1)")),
                             r"a column, never \(n,\)"),
    # train_step
    "train_step: stale W2": ("train_step", '''\
def train_step(W1, b1, W2, b2, X, Y, lr):
    z1, a1, z2, a2 = forward(W1, b1, W2, b2, X)
    delta2 = output_error(a2, z2, Y)
    W2 = W2 - lr * (delta2 @ a1.T)                  # updated too early
    b2 = b2 - lr * delta2.sum(axis=1, keepdims=True)
    delta1 = hidden_error(W2, delta2, z1)
    return W1 - lr * (delta1 @ X.T), b1 - lr * delta1.sum(axis=1, keepdims=True), W2, b2''',
                             r"W2 was updated before the hidden error"),
    "train_step: gradient ascent": ("train_step", _edit("train_step", ("W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2",
                                                                     "W1 + lr * dW1, b1 + lr * db1, W2 + lr * dW2, b2 + lr * db2")),
                                    r"moved uphill"),
    "train_step: updates in place": ("train_step", _edit("train_step", ("    return W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2",
                                                                      "    W1 -= lr * dW1\n    b1 -= lr * db1\n    W2 -= lr * dW2\n    b2 -= lr * db2\n    return W1, b1, W2, b2")),
                                     r"changed its arguments"),
    "train_step: sigma' of the wrong layer": ("train_step", _edit("train_step", ("delta1 = hidden_error(W2, delta2, z1)", "delta1 = (W2.T @ delta2) * bp.sigmoid_prime(z2)")),
                                              r"σ′ of the wrong layer|hidden layer's own slope"),
    # training loops
    "train_network: losses after each step only": ("train_network", _edit("train_network", ("    losses = [cost(W1, b1, W2, b2)]\n", "    losses = []\n")),
                                                   r"recorded after each step only"),
    "train_network: one epoch too few": ("train_network", _edit("train_network", ("range(epochs)", "range(epochs - 1)")),
                                         r"one epoch too few"),
    "train_network: the 1/2 missing from C": ("train_network", _edit("train_network", ("/ (2 * X.shape[1])", "/ X.shape[1]")),
                                              r"½ is missing"),
    "fit_curve: sigma' kept on the linear output": ("fit_curve", _edit("fit_curve", ("delta2 = (a2 - Y) / m ", "delta2 = (a2 - Y) / m * bp.sigmoid_prime(a2) ")),
                                                    r"kept on the linear output"),
    "fit_curve: sigmoid on the output": ("fit_curve", _edit("fit_curve", ("return z1, a1, W2 @ a1 + b2 ", "return z1, a1, bp.sigmoid(W2 @ a1 + b2) ")),
                                         r"output went through a sigmoid"),
    "fit_curve: t − v sign": ("fit_curve", _edit("fit_curve", ("delta2 = (a2 - Y) / m ", "delta2 = (Y - a2) / m ")),
                              r"moved uphill"),
}

CALLS_BPKIT: dict[str, tuple[str, str, str]] = {
    "hidden_error": ("hidden_error", "def hidden_error(W2, delta2, z1):\n    return bp.bp2(W2, delta2, z1, 'sigmoid')",
                     r"calls bpkit's own bp\.bp2"),
    "gradients": ("gradients", "def gradients(X, a1, delta1, delta2):\n    return bp.bp4(delta1, X), bp.bp3(delta1), bp.bp4(delta2, a1), bp.bp3(delta2)",
                  r"calls bpkit's own bp\.bp"),
    "train_step": ("train_step", '''\
def train_step(W1, b1, W2, b2, X, Y, lr):
    net = bp.Network.from_params([W1, W2], [b1, b2])
    net.step(net.backward(X, Y), lr)
    return net.weights[0], net.biases[0], net.weights[1], net.biases[1]''', r"calls bpkit's own bp\.Network"),
}
