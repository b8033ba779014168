"""Simulated students for stage 4 (solutions/04-general-bp1-bp4): answer-cell sources by grade_id.

Plain module, no tests here. Used by test_stage_checks.py (the checks, and the notebook's visible
test cells, answer by answer) and test_pipeline.py (the whole nbgrader pipeline).

SETUP        what every answer cell may rely on: the notebook's setup and locked given cells.
GRADE_IDS    the autograded answer cells, in notebook order.
CORRECT      grade_id -> the model solution, read from the solution notebook (its
             ### BEGIN/END SOLUTION lines removed).
ALTERNATIVES grade_id -> other correct answer cells (other formulas, loops, np.dot, …).
MISTAKES     name -> (grade_id, wrong answer cell, regex its message must match);
             the other cells stay correct.
CALLS_BPKIT  name -> (grade_id, answer cell that hands the exercise to a library, regex).
"""
from __future__ import annotations

from answers import editor, load

ASSIGNMENT, NOTEBOOK_NAME = "04-general-bp1-bp4", "general-bp1-bp4"
NOTEBOOK, SETUP, CORRECT = load(ASSIGNMENT, NOTEBOOK_NAME)
GRADE_IDS = list(CORRECT)
_edit = editor(CORRECT)


ALTERNATIVES: dict[str, list[str]] = {
    "bp1": [
        "def bp1(grad_a, z, prime):\n    return np.multiply(grad_a, prime(z))",
        "def bp1(grad_a, z, prime):\n    return np.einsum('jm,jm->jm', grad_a, prime(z))",
    ],
    "bp2": [
        "def bp2(W_next, delta_next, z, prime):\n    return np.dot(W_next.T, delta_next) * prime(z)",
        "def bp2(W_next, delta_next, z, prime):\n    return (delta_next.T @ W_next).T * prime(z)",
        "def bp2(W_next, delta_next, z, prime):\n    return np.einsum('kj,km->jm', W_next, delta_next) * prime(z)",
        '''\
def bp2(W_next, delta_next, z, prime):
    delta = np.zeros(z.shape)
    for j in range(z.shape[0]):                     # index form: Σ_k w_kj δ_k σ′(z_j)
        for k in range(W_next.shape[0]):
            delta[j] += W_next[k, j] * delta_next[k]
    return delta * prime(z)''',
    ],
    "bp3": [
        "def bp3(delta):\n    return delta.sum(axis=1).reshape(-1, 1)",
        "def bp3(delta):\n    return delta @ np.ones((delta.shape[1], 1))",
    ],
    "bp4": [
        "def bp4(delta, a_prev):\n    return np.dot(delta, a_prev.T)",
        "def bp4(delta, a_prev):\n    return np.einsum('jm,km->jk', delta, a_prev)",
        '''\
def bp4(delta, a_prev):
    dW = np.zeros((delta.shape[0], a_prev.shape[0]))
    for i in range(delta.shape[1]):                 # one sample at a time, then added up
        dW += delta[:, i:i+1] @ a_prev[:, i:i+1].T
    return dW''',
    ],
    "forward_all": [
        '''\
def forward_all(weights, biases, activations, X):
    zs, As = [], [X]
    a = X
    for l in range(len(weights)):
        z = np.matmul(weights[l], a) + biases[l]
        a = bp.get_activation(activations[l]).f(z)
        zs.append(z)
        As.append(a)
    return zs, As''',
    ],
    "backward_all": [
        '''\
def backward_all(weights, biases, activations, loss, X, Y):
    zs, As = forward_all(weights, biases, activations, X)
    m = X.shape[1]
    a = As[-1]
    # the general BP1, for both costs (no simplification)
    grad_a = bp.mse_grad(a, Y) if loss == "mse" else bp.cross_entropy_grad(a, Y)
    delta = bp1(grad_a, zs[-1], ACTIVATIONS[activations[-1]][1])
    dWs, dbs = [], []
    for l in range(len(weights), 0, -1):           # l = L … 1, delta = δ^l
        dWs.insert(0, bp4(delta, As[l - 1]))
        dbs.insert(0, bp3(delta))
        if l > 1:
            delta = bp2(weights[l - 1], delta, zs[l - 2], ACTIVATIONS[activations[l - 2]][1])
    return dWs, dbs''',
    ],
    "gradient_check": [
        '''\
def gradient_check(cost, weights, biases, dWs, dbs, eps=1e-6):
    errors = {}
    L = len(weights)
    for l in range(L):
        for kind, given in (("W", dWs[l]), ("b", dbs[l])):
            params = weights if kind == "W" else biases
            numeric = np.zeros(params[l].shape)
            for i in range(params[l].size):         # nudge copies, never the caller's arrays
                step = np.zeros(params[l].size)
                step[i] = eps
                step = step.reshape(params[l].shape)
                plus, minus = list(params), list(params)
                plus[l], minus[l] = params[l] + step, params[l] - step
                c_plus = cost(plus, biases) if kind == "W" else cost(weights, plus)
                c_minus = cost(minus, biases) if kind == "W" else cost(weights, minus)
                numeric.flat[i] = (c_plus - c_minus) / (2 * eps)
            errors[f"{kind}{l + 1}"] = bp.relative_error(given, numeric)
    return errors''',
    ],
    "sgd_epoch": [
        '''\
def sgd_epoch(weights, biases, activations, loss, X, Y, lr, batch_size, rng):
    m = X.shape[1]
    idx = np.arange(m)
    rng.shuffle(idx)                                # the same permutation as rng.permutation(m)
    weights = [W.copy() for W in weights]           # our own arrays: updating them in place is fine
    biases = [b.copy() for b in biases]
    for k in range(0, m, batch_size):
        batch = idx[k:k + batch_size]
        dWs, dbs = backward_all(weights, biases, activations, loss, X[:, batch], Y[:, batch])
        for W, b, dW, db in zip(weights, biases, dWs, dbs):
            W -= lr * dW
            b -= lr * db
    return weights, biases''',
    ],
    "train_digits": [
        '''\
def train_digits(X, Y, seed):
    rng = np.random.default_rng(seed)
    sizes = [64, 40, 10]
    activations = ["tanh", "sigmoid"]
    weights = [rng.standard_normal((n, k)) / np.sqrt(k) for k, n in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros((n, 1)) for n in sizes[1:]]
    for _ in range(8):
        weights, biases = sgd_epoch(weights, biases, activations, "cross_entropy", X, Y, 0.5, 10, rng)
    return weights, biases, activations''',
    ],
    "seed002_backward": [
        '''\
def seed002_backward(weights, biases, X, Y):
    # translate to the course's layout (W^l = (V^l)ᵀ), use the course's equations, translate back
    Ws = [V.T for V in weights]
    L = len(Ws)
    zs, As = [], [X]
    for W, b in zip(Ws, biases):
        zs.append(W @ As[-1] + b)
        As.append(bp.sigmoid(zs[-1]))
    delta = (As[-1] - Y) / X.shape[1] * bp.sigmoid_prime(zs[-1])
    dVs, dbs = [None] * L, [None] * L
    for l in range(L, 0, -1):
        dVs[l - 1] = (delta @ As[l - 1].T).T
        dbs[l - 1] = delta.sum(axis=1, keepdims=True)
        if l > 1:
            delta = (Ws[l - 1].T @ delta) * bp.sigmoid_prime(zs[l - 2])
    return dVs, dbs''',
    ],
}


MISTAKES: dict[str, tuple[str, str, str]] = {
    # --- the four equations --------------------------------------------------------------------
    "bp1: @ where ⊙ belongs": ("bp1", _edit("bp1", ("grad_a * prime(z)", "grad_a @ prime(z)")),
                               r"matrix-multiplied"),
    "bp1: σ′ missing": ("bp1", _edit("bp1", ("grad_a * prime(z)", "grad_a")), r"σ′\(z\) is missing"),
    "bp2: missing transpose": ("bp2", _edit("bp2", ("W_next.T @ delta_next", "W_next @ delta_next")),
                               r"without its transpose"),
    "bp2: @ where ⊙ belongs": ("bp2", _edit("bp2", ("(W_next.T @ delta_next) * prime(z)",
                                                    "(W_next.T @ delta_next) @ prime(z)")),
                               r"matrix-multiplied"),
    "bp2: σ′ missing": ("bp2", _edit("bp2", ("(W_next.T @ delta_next) * prime(z)", "W_next.T @ delta_next")),
                        r"σ′\(z\^l\) factor is missing"),
    "bp3: summed over the wrong axis": ("bp3", _edit("bp3", ("axis=1", "axis=0")), r"wrong axis"),
    "bp3: averaged (the 1/m twice)": ("bp3", _edit("bp3", ("np.sum(", "np.mean(")), r"averaged δ"),
    "bp3: a 1-D result": ("bp3", _edit("bp3", ("axis=1, keepdims=True", "axis=1")), r"keepdims"),
    "bp4: missing transpose": ("bp4", _edit("bp4", ("delta @ a_prev.T", "delta @ a_prev")),
                               r"transpose on a\^\(l−1\) is missing"),
    "bp4: ⊙ where the matrix product belongs": ("bp4", _edit("bp4", ("delta @ a_prev.T", "delta * a_prev")),
                                                r"multiplied elementwise"),
    "bp4: transpose on the wrong factor": ("bp4", _edit("bp4", ("delta @ a_prev.T", "a_prev @ delta.T")),
                                           r"transpose is on the wrong factor"),
    "bp4: the 1/m twice": ("bp4", _edit("bp4", ("delta @ a_prev.T", "delta @ a_prev.T / delta.shape[1]")),
                           r"m = \d+ times too small"),

    # --- forward_all ---------------------------------------------------------------------------
    "forward_all: last layer hard-coded to sigmoid": (
        "forward_all", _edit("forward_all", ("        sigma, _ = ACTIVATIONS[name]\n",
                                             "        sigma, _ = ACTIVATIONS[name]\n"
                                             "        if len(zs) == len(weights) - 1:\n"
                                             "            sigma = bp.sigmoid              # the output layer\n")),
        r"output layer used the sigmoid"),
    "forward_all: a cached z mutated in place": (
        "forward_all", _edit("forward_all", ("        As.append(sigma(zs[-1]))                    # a new array: the stored z stays z\n",
                                             "        z = zs[-1]\n        z[...] = sigma(z)                           # in place\n"
                                             "        As.append(z)\n")),
        r"changed after it was stored"),
    "forward_all: bias missing": ("forward_all", _edit("forward_all", ("W @ As[-1] + b", "W @ As[-1]")),
                                  r"bias b is missing"),
    "forward_all: a^0 = X left out": ("forward_all", _edit("forward_all", ("zs, As = [], [X]", "zs, As = [], []"),
                                                           ("W @ As[-1] + b", "W @ (As[-1] if As else X) + b")),
                                      r"one per layer: \[a0, a1"),

    # --- backward_all --------------------------------------------------------------------------
    "backward_all: σ′ of the next layer in BP2": (
        "backward_all", _edit("backward_all", ("zs[l - 1], primes[l - 1])", "zs[l], primes[l])")),
        r"σ′ was taken of the next layer"),
    "backward_all: W^l for W^(l+1)": (
        "backward_all", _edit("backward_all", ("bp2(weights[l], deltas[l]", "bp2(weights[l - 1], deltas[l]")),
        r"W\^l was used where W\^\(l\+1\) belongs"),
    "backward_all: missing transpose": (
        "backward_all", _edit("backward_all", ("deltas[l - 1] = bp2(weights[l], deltas[l], zs[l - 1], primes[l - 1])",
                                               "deltas[l - 1] = (weights[l] @ deltas[l]) * primes[l - 1](zs[l - 1])")),
        r"without its transpose"),
    "backward_all: @ where ⊙ belongs": (
        "backward_all", _edit("backward_all", ("deltas[l - 1] = bp2(weights[l], deltas[l], zs[l - 1], primes[l - 1])",
                                               "deltas[l - 1] = (weights[l].T @ deltas[l]) @ primes[l - 1](zs[l - 1])")),
        r"matrix-multiplied"),
    "backward_all: δ without the 1/m": (
        "backward_all", _edit("backward_all", ("deltas[L - 1] = (a_L - Y) / m ", "deltas[L - 1] = (a_L - Y) "),
                              ("(a_L - Y) / m if loss", "(a_L - Y) if loss"), ("(m * a_L * (1 - a_L))", "(a_L * (1 - a_L))")),
        r"missing the 1/m of the mean cost"),
    "backward_all: the 1/m twice": (
        "backward_all", _edit("backward_all", ("dWs = [bp4(delta, a_prev)", "dWs = [bp4(delta, a_prev) / m"),
                              ("dbs = [bp3(delta)", "dbs = [bp3(delta) / m")),
        r"1/m was applied twice"),
    "backward_all: biases summed over the wrong axis": (
        "backward_all", _edit("backward_all", ("dbs = [bp3(delta) for", "dbs = [np.sum(delta, axis=0, keepdims=True) for")),
        r"summed over the wrong axis"),
    "backward_all: output σ′ hard-coded to sigmoid": (
        "backward_all", _edit("backward_all", ("bp1(grad_a, zs[L - 1], primes[L - 1])", "bp1(grad_a, zs[L - 1], bp.sigmoid_prime)")),
        r"BP1 used the sigmoid's σ′"),
    "backward_all: the loss's name ignored": (
        "backward_all", _edit("backward_all", ('    if loss == "cross_entropy" and activations[-1] == "sigmoid":\n'
                                               '        deltas[L - 1] = (a_L - Y) / m             # BP1 with a(1 − a) cancelled (stage 3)\n'
                                               '    else:\n'
                                               '        grad_a = (a_L - Y) / m if loss == "mse" else (a_L - Y) / (m * a_L * (1 - a_L))\n'
                                               '        deltas[L - 1] = bp1(grad_a, zs[L - 1], primes[L - 1])\n',
                                               '    deltas[L - 1] = bp1((a_L - Y) / m, zs[L - 1], primes[L - 1])\n')),
        r"quadratic cost's ∇_a C"),
    "backward_all: finite differences, not backprop": (
        "backward_all", '''\
def backward_all(weights, biases, activations, loss, X, Y):
    def cost():
        a = forward_all(weights, biases, activations, X)[1][-1]
        if loss == "mse":
            return np.sum((a - Y) ** 2) / (2 * X.shape[1])
        return -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / X.shape[1]
    grads = []
    for params in (weights, biases):
        out = []
        for p in params:
            g = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + 1e-6
                up = cost()
                p[i] = old - 1e-6
                down = cost()
                p[i] = old
                g[i] = (up - down) / 2e-6
            out.append(g)
        grads.append(out)
    return grads[0], grads[1]''', r"finite differences"),

    # --- gradient_check ------------------------------------------------------------------------
    "gradient_check: forward difference": (
        "gradient_check", _edit("gradient_check", ("                p[i] = old - eps\n                c_minus = cost(weights, biases)\n",
                                                   "                p[i] = old\n                c_minus = cost(weights, biases)\n"),
                                ("(c_plus - c_minus) / (2 * eps)", "(c_plus - c_minus) / eps")),
        r"forward difference"),
    "gradient_check: the 2 of 2ε missing": (
        "gradient_check", _edit("gradient_check", ("(c_plus - c_minus) / (2 * eps)", "(c_plus - c_minus) / eps")),
        r"2 in 2ε is missing"),
    "gradient_check: a nudge not put back": (
        "gradient_check", _edit("gradient_check", ("                p[i] = old                          # put it back\n", "")),
        r"changed the caller's weights\[0\]"),
    "gradient_check: divided by ||n|| only": (
        "gradient_check", _edit("gradient_check", ("np.linalg.norm(g - n) / size", "np.linalg.norm(g - n) / np.linalg.norm(n)")),
        r"divided by \|\|n\|\| only"),

    # --- sgd_epoch -----------------------------------------------------------------------------
    "sgd_epoch: weights updated during the backward loop": (
        "sgd_epoch", '''\
def sgd_epoch(weights, biases, activations, loss, X, Y, lr, batch_size, rng):
    m, L = X.shape[1], len(weights)
    weights, biases = list(weights), list(biases)
    order = rng.permutation(m)
    for start in range(0, m, batch_size):
        batch = order[start:start + batch_size]
        Xb, Yb = X[:, batch], Y[:, batch]
        zs, As = forward_all(weights, biases, activations, Xb)
        primes = [ACTIVATIONS[name][1] for name in activations]
        if loss == "cross_entropy":
            delta = (As[-1] - Yb) / Xb.shape[1]
        else:
            delta = bp1((As[-1] - Yb) / Xb.shape[1], zs[-1], primes[-1])
        for l in range(L, 0, -1):                   # layer l: step it at once, then go down
            weights[l - 1] = weights[l - 1] - lr * bp4(delta, As[l - 1])
            biases[l - 1] = biases[l - 1] - lr * bp3(delta)
            if l > 1:
                delta = bp2(weights[l - 1], delta, zs[l - 2], primes[l - 2])
    return weights, biases''', r"updated during the backward loop"),
    "sgd_epoch: caller's arrays changed through a copied list": (
        "sgd_epoch", _edit("sgd_epoch", ("        weights = [W - lr * dW for W, dW in zip(weights, dWs)]\n"
                                         "        biases = [b - lr * db for b, db in zip(biases, dbs)]\n",
                                         "        for W, b, dW, db in zip(weights, biases, dWs, dbs):\n"
                                         "            W -= lr * dW\n            b -= lr * db\n"),
                           ("    m = X.shape[1]\n", "    m = X.shape[1]\n    weights, biases = list(weights), list(biases)\n")),
        r"changed the caller's weights\[0\]"),
    "sgd_epoch: not shuffled": ("sgd_epoch", _edit("sgd_epoch", ("order = rng.permutation(m)", "order = np.arange(m)")),
                                r"not shuffled"),
    "sgd_epoch: X shuffled but not Y": ("sgd_epoch", _edit("sgd_epoch", ("Y[:, batch]", "Y[:, start:start + batch_size]")),
                                        r"X was shuffled but Y was not"),
    "sgd_epoch: one update per epoch": (
        "sgd_epoch", _edit("sgd_epoch", ("range(0, m, batch_size)", "range(0, m, m)"),
                           ("order[start:start + batch_size]", "order[start:start + m]")),
        r"the whole set was one batch"),
    "sgd_epoch: last batch dropped": ("sgd_epoch", _edit("sgd_epoch", ("range(0, m, batch_size)", "range(0, m - batch_size + 1, batch_size)")),
                                      r"last, smaller batch was dropped"),

    # --- train_digits --------------------------------------------------------------------------
    "train_digits: far too little training": ("train_digits", _edit("train_digits", ("range(20)", "range(1)"), ("lr=1.0", "lr=0.01")),
                                              r"held-out digits right; at least 95%"),

    # --- seed 002 ------------------------------------------------------------------------------
    "seed002_backward: the course's transpose kept": (
        "seed002_backward", _edit("seed002_backward", ("(weights[l] @ deltas[l])", "(weights[l].T @ deltas[l])")),
        r"kept the transpose"),
    "seed002_backward: the seed's superscript slip": (
        "seed002_backward", _edit("seed002_backward", ("(weights[l] @ deltas[l])", "(weights[l - 1] @ deltas[l])")),
        r"superscript slip"),
    "seed002_backward: gradients in the course's layout": (
        "seed002_backward", _edit("seed002_backward", ("v_prev @ delta.T for", "delta @ v_prev.T for")),
        r"course's layout"),
    "seed002_backward: biases not summed": (
        "seed002_backward", _edit("seed002_backward", ("dbs = [delta.sum(axis=1, keepdims=True) for", "dbs = [delta for")),
        r"not summed over the samples"),
}


CALLS_BPKIT: dict[str, tuple[str, str, str]] = {
    "bp1": ("bp1", "def bp1(grad_a, z, prime):\n    return bp.bp1(grad_a, z, 'sigmoid') * prime(z) / bp.sigmoid_prime(z)",
            r"calls bpkit's own bp\.bp1"),
    "bp2": ("bp2", "def bp2(W_next, delta_next, z, prime):\n    return bp.bp2(W_next, delta_next, z, 'identity') * prime(z)",
            r"calls bpkit's own bp\.bp2"),
    "bp3": ("bp3", "def bp3(delta):\n    return bp.bp3(delta)", r"calls bpkit's own bp\.bp3"),
    "bp4": ("bp4", "def bp4(delta, a_prev):\n    return bp.bp4(delta, a_prev)", r"calls bpkit's own bp\.bp4"),
    "forward_all": ("forward_all", '''\
def forward_all(weights, biases, activations, X):
    fwd = bp.Network.from_params(weights, biases, activations=list(activations)).forward(X)
    return fwd.z, fwd.a''', r"calls bpkit's own bp\.Network\.forward"),
    "backward_all": ("backward_all", '''\
def backward_all(weights, biases, activations, loss, X, Y):
    g = bp.Network.from_params(weights, biases, activations=list(activations), loss=loss).backward(X, Y)
    return g.dW, g.db''', r"calls bpkit's own bp\.Network\.backward"),
    "gradient_check": ("gradient_check", '''\
def gradient_check(cost, weights, biases, dWs, dbs, eps=1e-6):
    errors = {}
    for l in range(len(weights)):
        for name, p, g in ((f"W{l + 1}", weights[l], dWs[l]), (f"b{l + 1}", biases[l], dbs[l])):
            n = bp.numerical_gradient(lambda _: cost(weights, biases), p, eps)
            errors[name] = bp.relative_error(g, n)
    return errors''', r"calls bpkit's own bp\.numerical_gradient"),
    "sgd_epoch": ("sgd_epoch", '''\
def sgd_epoch(weights, biases, activations, loss, X, Y, lr, batch_size, rng):
    net = bp.Network.from_params(weights, biases, activations=list(activations), loss=loss)
    net.fit(X, Y, epochs=1, lr=lr, batch_size=batch_size, seed=rng, progress=False)
    return net.weights, net.biases''', r"calls bpkit's own bp\.Network\.fit"),
    "train_digits": ("train_digits", '''\
def train_digits(X, Y, seed):
    net = bp.Network([64, 30, 10], activations="sigmoid", loss="cross_entropy", seed=seed)
    net.fit(X, Y, epochs=10, lr=1.0, batch_size=10, seed=seed, progress=False)
    return net.weights, net.biases, net.activations''', r"calls bpkit's own bp\.Network\.fit"),
    "seed002_backward": ("seed002_backward", '''\
def seed002_backward(weights, biases, X, Y):
    g = bp.Network.from_params([V.T for V in weights], biases).backward(X, Y)
    return [dW.T for dW in g.dW], g.db''', r"calls bpkit's own bp\.Network\.backward"),
}

POINTS = {"test_bp1": 1, "test_bp2": 1, "test_bp3": 1, "test_bp4": 1, "test_forward_all": 2,
          "test_backward_all": 3, "bp2_proof": 3, "test_gradient_check": 2, "test_sgd_epoch": 2,
          "test_train_digits": 2, "test_seed002_backward": 2}
