"""Simulated students for stage 1 (solutions/01-single-neuron): answer-cell sources by grade_id.

Plain module, no tests here. Used by test_grading.py (the checks, and the notebook's visible
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

ASSIGNMENT, NOTEBOOK_NAME = "01-single-neuron", "single-neuron"
NOTEBOOK, SETUP, CORRECT = load(ASSIGNMENT, NOTEBOOK_NAME)
GRADE_IDS = list(CORRECT)
_edit = editor(CORRECT)


ALTERNATIVES: dict[str, list[str]] = {
    "sigmoid": [
        "def sigmoid(z):\n    return 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2))",
        '''\
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1 + ez)
    return out''',
        "def sigmoid(z):\n    return np.exp(-np.logaddexp(0, -np.asarray(z, dtype=float)))",
        "def sigmoid(z):\n    z = np.clip(z, -500, 500)\n    return 1 / (1 + np.exp(-z))",
    ],
    "sigmoid_prime": [
        "def sigmoid_prime(z):\n    s = sigmoid(z)\n    return s - s ** 2",
        "def sigmoid_prime(z):\n    return bp.sigmoid(z) * bp.sigmoid(-np.asarray(z, dtype=float))",
        '''\
def sigmoid_prime(z):
    e = np.exp(-np.abs(np.asarray(z, dtype=float)))
    return e / (1 + e) ** 2''',
    ],
    "neuron_forward": [
        "def neuron_forward(w, b, X):\n    z = np.dot(w, X) + b\n    return z, sigmoid(z)",
        "def neuron_forward(w, b, X):\n    z = np.matmul(w, X) + b\n    return z, bp.sigmoid(z)",
        "def neuron_forward(w, b, X):\n    z = (w.T * X).sum(axis=0, keepdims=True) + b\n    return z, sigmoid(z)",
        "def neuron_forward(w, b, X):\n    z = np.einsum('ij,jk->ik', w, X) + b\n    return (z, sigmoid(z))",
        '''\
def neuron_forward(w, b, X):
    z = np.zeros((1, X.shape[1]))
    for i in range(X.shape[1]):                 # a loop is fine too
        z[0, i] = (w @ X[:, i:i+1] + b).item()
    return z, sigmoid(z)''',
    ],
    "neuron_gradients": [
        '''\
def neuron_gradients(w, b, X, y):
    z, a = neuron_forward(w, b, X)
    delta = (a - y) * a * (1 - a)
    m = y.shape[1]
    return np.dot(delta, np.transpose(X)) / m, delta.sum(axis=1).reshape(1, 1) / m''',
        '''\
def neuron_gradients(w, b, X, y):
    z = w @ X + b
    d = (sigmoid(z) - y) * sigmoid_prime(z)
    return (d @ X.T) / X.shape[1], np.mean(d, axis=1, keepdims=True)''',
        '''\
def neuron_gradients(w, b, X, y):
    z = bp.weighted_input(w, X, b)
    delta = (bp.sigmoid(z) - y) * bp.sigmoid_prime(z) / X.shape[1]
    return (X @ delta.T).T, delta.sum(axis=1, keepdims=True)''',
        '''\
def neuron_gradients(w, b, X, y):
    fwd = bp.Network.from_params([w], [b]).forward(X)
    a = fwd.output
    delta = np.einsum('ij,ij->ij', a - y, a * (1 - a)) / X.shape[1]
    return np.einsum('im,nm->in', delta, X), np.sum(delta, keepdims=True)''',
        '''\
def neuron_gradients(w, b, X, y):
    m = X.shape[1]
    dw, db = np.zeros_like(w), np.zeros_like(b)
    for i in range(m):                              # one sample at a time, then added up
        x_i = X[:, i:i+1]
        z_i = w @ x_i + b
        delta_i = (sigmoid(z_i) - y[:, i:i+1]) * sigmoid_prime(z_i) / m
        dw += delta_i @ x_i.T
        db += delta_i
    return dw, db''',
    ],
    "train_neuron": [
        '''\
def train_neuron(w, b, X, y, lr, epochs):
    losses = np.zeros((epochs + 1, 1))              # a column of losses is fine too
    for k in range(epochs + 1):
        losses[k] = np.mean((neuron_forward(w, b, X)[1] - y) ** 2) / 2
        if k < epochs:
            w, b = gradient_step(w, b, *neuron_gradients(w, b, X, y), lr)
    return w, b, losses''',
        '''\
def train_neuron(w, b, X, y, lr, epochs):
    w, b = w.copy(), b.copy()
    losses = []
    for k in range(epochs + 1):
        net = bp.Network.from_params([w], [b])
        losses.append(np.sum((net.forward(X).output - y) ** 2, keepdims=True) / (2 * X.shape[1]))
        if k == epochs:
            break
        g = net.backward(X, y)
        w -= lr * g.dW[0]                           # in place, but on our own copies
        b -= lr * g.db[0]
    return w, b, losses''',
    ],
    "central_difference": [
        '''\
def central_difference(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = eps
        step = step.reshape(x.shape)
        grad.flat[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad''',
    ],
    "seed004_hidden_gradients": [
        '''\
def seed004_hidden_gradients(W1, b1, W2, b2, x, y):
    # the seed's scalar chain rule, each factor once, weight by weight
    h = W1 @ x + b1
    alpha = bp.sigmoid(h)
    z = (W2 @ alpha + b2).item()
    out = bp.sigmoid(z)
    dW1, db1 = np.zeros((2, 2)), np.zeros((2, 1))
    for j in range(2):
        common = (out - y[0, 0]) * out * (1 - out) * W2[0, j] * alpha[j, 0] * (1 - alpha[j, 0])
        db1[j, 0] = common
        for k in range(2):
            dW1[j, k] = common * x[k, 0]
    return dW1, db1''',
    ],
}


MISTAKES: dict[str, tuple[str, str, str]] = {
    # --- sigmoid -------------------------------------------------------------------------------
    "sigmoid: overflows for large negative z": (
        "sigmoid", "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))", r"not numerically stable"),
    "sigmoid: e^z/(1+e^z) is NaN at z = 1000": (
        "sigmoid", "def sigmoid(z):\n    e = np.exp(np.asarray(z, dtype=float))\n    return e / (1 + e)",
        r"not numerically stable"),
    "sigmoid: warnings silenced": (
        "sigmoid", "def sigmoid(z):\n    with np.errstate(all='ignore'):\n        return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))",
        r"silences NumPy's warnings"),
    "sigmoid: np.where computes both branches": (
        "sigmoid",
        "def sigmoid(z):\n    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))",
        r"np\.where computes BOTH"),
    "sigmoid: minus sign missing": (
        "sigmoid", _edit("sigmoid", ("1.0 / (1.0 + e), e / (1.0 + e)", "e / (1.0 + e), 1.0 / (1.0 + e)")),
        r"minus sign in e\^\(−z\) is missing"),
    "sigmoid: forgot return": (
        "sigmoid", _edit("sigmoid", ("return np.where", "s = np.where")), r"forget `return`"),
    "sigmoid: integer dtype from zeros_like": (
        "sigmoid", '''\
def sigmoid(z):
    z = np.asarray(z)
    out = np.zeros_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    out[~pos] = np.exp(z[~pos]) / (1 + np.exp(z[~pos]))
    return out''', r"integer dtype"),
    "sigmoid: fails for a plain number": (
        "sigmoid", '''\
def sigmoid(z):
    out = np.empty(z.shape)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    out[~pos] = np.exp(z[~pos]) / (1 + np.exp(z[~pos]))
    return out''', r"plain number"),
    "sigmoid: overwrites z in place": (
        "sigmoid", '''\
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    pos = z >= 0
    z[pos] = 1 / (1 + e[pos])
    z[~pos] = e[~pos] / (1 + e[~pos])
    return z''', r"changed its argument z in place"),
    "sigmoid: a (1,) array for a number": (
        "sigmoid", _edit("sigmoid", ("z = np.asarray(z, dtype=float)", "z = np.atleast_1d(np.asarray(z, dtype=float))")),
        r"where a single number was expected"),

    # --- sigmoid_prime -------------------------------------------------------------------------
    "sigmoid_prime: z(1 - z)": (
        "sigmoid_prime", "def sigmoid_prime(z):\n    return z * (1 - z)", r"used z\(1 − z\)"),
    "sigmoid_prime: evaluated at a = sigma(z)": (
        "sigmoid_prime", _edit("sigmoid_prime", ("a = sigmoid(z)", "a = sigmoid(sigmoid(z))")),
        r"evaluated at a = σ\(z\) instead of z"),
    "sigmoid_prime: returned sigma itself": (
        "sigmoid_prime", _edit("sigmoid_prime", ("return a * (1 - a)", "return a")),
        r"instead of its derivative"),
    "sigmoid_prime: sign flipped": (
        "sigmoid_prime", _edit("sigmoid_prime", ("return a * (1 - a)", "return a * (a - 1)")),
        r"wrong sign"),
    "sigmoid_prime: denominator not squared": (
        "sigmoid_prime", "def sigmoid_prime(z):\n    return np.exp(-z) / (1 + np.exp(-z))",
        r"denominator is squared"),
    "sigmoid_prime: the textbook form is NaN at z = -1000": (
        "sigmoid_prime", "def sigmoid_prime(z):\n    return np.exp(-z) / (1 + np.exp(-z)) ** 2",
        r"inf/inf is NaN"),
    "sigmoid_prime: forgot return": (
        "sigmoid_prime", _edit("sigmoid_prime", ("return a * (1 - a)", "a * (1 - a)")),
        r"forget `return`"),

    # --- neuron_forward ------------------------------------------------------------------------
    "neuron_forward: bias missing": (
        "neuron_forward", _edit("neuron_forward", ("z = w @ X + b ", "z = w @ X ")), r"bias b is missing"),
    "neuron_forward: sigmoid missing": (
        "neuron_forward", _edit("neuron_forward", ("return z, sigmoid(z)", "return z, z")),
        r"activation is missing"),
    "neuron_forward: (a, z) swapped": (
        "neuron_forward", _edit("neuron_forward", ("return z, sigmoid(z)", "return sigmoid(z), z")),
        r"swapped"),
    "neuron_forward: elementwise product": (
        "neuron_forward", _edit("neuron_forward", ("z = w @ X + b ", "z = w * X + b ")),
        r"multiplies entry by entry"),
    "neuron_forward: result transposed": (
        "neuron_forward", _edit("neuron_forward", ("z = w @ X + b ", "z = X.T @ w.T + b ")),
        r"transpose of the right ones"),
    "neuron_forward: 1-D result": (
        "neuron_forward", _edit("neuron_forward", ("z = w @ X + b ", "z = (w @ X + b).ravel() ")),
        r"1-D array"),
    "neuron_forward: forgot return": (
        "neuron_forward", _edit("neuron_forward", ("return z, sigmoid(z)", "result = z, sigmoid(z)")),
        r"returned None"),

    # --- neuron_gradients ----------------------------------------------------------------------
    "neuron_gradients: sigma' missing": (
        "neuron_gradients", _edit("neuron_gradients", ("(a - y) * sigmoid_prime(z) / m", "(a - y) / m")),
        r"σ′\(z\) factor is missing"),
    "neuron_gradients: sigma' evaluated at a": (
        "neuron_gradients", _edit("neuron_gradients", ("sigmoid_prime(z)", "sigmoid_prime(a)")),
        r"evaluated at a = σ\(z\) instead of z"),
    "neuron_gradients: z(1 - z) for sigma'": (
        "neuron_gradients", _edit("neuron_gradients", ("sigmoid_prime(z)", "z * (1 - z)")),
        r"used z\(1 − z\)"),
    "neuron_gradients: 1/m missing": (
        "neuron_gradients", _edit("neuron_gradients", ("sigmoid_prime(z) / m", "sigmoid_prime(z)")),
        r"factor of m = \d+ \(too large\) — it looks like the 1/m from the mean cost is missing"),
    "neuron_gradients: 1/m twice": (
        "neuron_gradients", _edit("neuron_gradients", ("dw = delta @ X.T ", "dw = delta @ X.T / m ")),
        r"m = \d+ times too small"),
    "neuron_gradients: transpose missing": (
        "neuron_gradients", _edit("neuron_gradients", ("dw = delta @ X.T ", "dw = delta @ X ")),
        r"note the transpose"),
    "neuron_gradients: dw transposed": (
        "neuron_gradients", _edit("neuron_gradients", ("dw = delta @ X.T ", "dw = X @ delta.T ")),
        r"transpose of the right ones"),
    "neuron_gradients: dw 1-D": (
        "neuron_gradients", _edit("neuron_gradients", ("dw = delta @ X.T ", "dw = delta[0] @ X.T ")),
        r"a 1-D array"),
    "neuron_gradients: bias not summed": (
        "neuron_gradients", _edit("neuron_gradients", ("db = np.sum(delta, axis=1, keepdims=True)", "db = delta")),
        r"not summed over the samples"),
    "neuron_gradients: bias summed over the wrong axis": (
        "neuron_gradients", _edit("neuron_gradients", ("np.sum(delta, axis=1, keepdims=True)", "np.sum(delta, axis=0)")),
        r"summed over the wrong axis"),
    "neuron_gradients: bias a plain number": (
        "neuron_gradients", _edit("neuron_gradients", ("np.sum(delta, axis=1, keepdims=True)", "np.sum(delta)")),
        r"single number where an array of shape \(1, 1\)"),
    "neuron_gradients: bias averaged": (
        "neuron_gradients", _edit("neuron_gradients", ("np.sum(delta, axis=1, keepdims=True)", "np.mean(delta, axis=1, keepdims=True)")),
        r"averaged δ over the samples"),
    "neuron_gradients: bias with a factor x": (
        "neuron_gradients", _edit("neuron_gradients", ("np.sum(delta, axis=1, keepdims=True)", "np.sum(delta * X, axis=1, keepdims=True)")),
        r"factor of the input"),
    "neuron_gradients: sign flipped": (
        "neuron_gradients", _edit("neuron_gradients", ("(a - y) * sigmoid_prime", "(y - a) * sigmoid_prime")),
        r"wrong sign"),
    "neuron_gradients: factor 2": (
        "neuron_gradients", _edit("neuron_gradients", ("(a - y) * sigmoid_prime", "2 * (a - y) * sigmoid_prime")),
        r"extra factor 2"),
    "neuron_gradients: m taken from the wrong axis": (
        "neuron_gradients", _edit("neuron_gradients", ("m = X.shape[1]", "m = X.shape[0]")),
        r"number of rows"),
    "neuron_gradients: finite differences, not backprop": (
        "neuron_gradients", '''\
def neuron_gradients(w, b, X, y):
    def E(w_, b_):
        return np.sum((sigmoid(w_ @ X + b_) - y) ** 2) / (2 * X.shape[1])
    dw, db, eps = np.zeros_like(w), np.zeros_like(b), 1e-6
    for k in range(w.shape[1]):
        e = np.zeros_like(w); e[0, k] = eps
        dw[0, k] = (E(w + e, b) - E(w - e, b)) / (2 * eps)
    db[0, 0] = (E(w, b + eps) - E(w, b - eps)) / (2 * eps)
    return dw, db''', r"finite differences"),
    "neuron_gradients: forgot return": (
        "neuron_gradients", _edit("neuron_gradients", ("return dw, db", "grads = dw, db")),
        r"returned None"),

    # --- gradient_step -------------------------------------------------------------------------
    "gradient_step: gradient ascent": (
        "gradient_step", _edit("gradient_step", ("return w - lr * dw, b - lr * db", "return w + lr * dw, b + lr * db")),
        r"moved uphill"),
    "gradient_step: learning rate missing": (
        "gradient_step", _edit("gradient_step", ("return w - lr * dw, b - lr * db", "return w - dw, b - db")),
        r"learning rate is missing"),
    "gradient_step: updates in place": (
        "gradient_step", _edit("gradient_step", ("return w - lr * dw, b - lr * db",
                                                 "w -= lr * dw\n    b -= lr * db\n    return w, b")),
        r"changed its arguments w, b in place"),
    "gradient_step: (b, w) swapped": (
        "gradient_step", _edit("gradient_step", ("return w - lr * dw, b - lr * db", "return b - lr * db, w - lr * dw")),
        r"swapped"),

    # --- train_neuron --------------------------------------------------------------------------
    "train_neuron: losses recorded before each step only": (
        "train_neuron", _edit("train_neuron", ("        losses.append(cost(w, b))                   # after this step\n", ""),
                              ("    losses = [cost(w, b)]                           # before any step\n", "    losses = []\n"),
                              ("        dw, db = neuron_gradients", "        losses.append(cost(w, b))\n        dw, db = neuron_gradients")),
        r"recorded before each step only"),
    "train_neuron: losses recorded after each step only": (
        "train_neuron", _edit("train_neuron", ("    losses = [cost(w, b)]                           # before any step\n", "    losses = []\n")),
        r"recorded after each step only"),
    "train_neuron: result of gradient_step not assigned": (
        "train_neuron", _edit("train_neuron", ("w, b = gradient_step(w, b, dw, db, lr)", "gradient_step(w, b, dw, db, lr)")),
        r"never updated"),
    "train_neuron: one epoch too few": (
        "train_neuron", _edit("train_neuron", ("range(epochs)", "range(epochs - 1)")), r"one epoch too few"),
    "train_neuron: loss summed, not averaged": (
        "train_neuron", _edit("train_neuron", ("/ (2 * X.shape[1])", "/ 2")),
        r"summed over the samples instead of averaged"),
    "train_neuron: the 1/2 missing from E": (
        "train_neuron", _edit("train_neuron", ("/ (2 * X.shape[1])", "/ X.shape[1]")), r"½ is missing"),
    "train_neuron: trains the caller's w in place": (
        "train_neuron", _edit("train_neuron", ("w, b = gradient_step(w, b, dw, db, lr)", "w -= lr * dw\n        b -= lr * db")),
        r"changed its arguments w, b in place"),
    "train_neuron: forgot return": (
        "train_neuron", _edit("train_neuron", ("    return w, b, losses", "    result = w, b, losses")),
        r"returned None"),

    # --- central_difference --------------------------------------------------------------------
    "central_difference: forward difference": (
        "central_difference", _edit("central_difference", ("        x[i] = old - eps\n        f_minus = f(x)\n", "        x[i] = old\n        f_minus = f(x)\n"),
                                    ("(f_plus - f_minus) / (2 * eps)", "(f_plus - f_minus) / eps")),
        r"forward difference"),
    "central_difference: the 2 of 2ε missing": (
        "central_difference", _edit("central_difference", ("(f_plus - f_minus) / (2 * eps)", "(f_plus - f_minus) / eps")),
        r"2 in 2ε is missing"),
    "central_difference: x not put back": (
        "central_difference", _edit("central_difference", ("        x[i] = old                          # put it back\n", "")),
        r"changed its argument x in place"),
    "central_difference: every entry at once": (
        "central_difference", '''\
def central_difference(f, x, eps=1e-6):
    return (f(x + eps) - f(x - eps)) / (2 * eps) * np.ones_like(x)''', r"every entry of x at once"),

    # --- seed 004 ------------------------------------------------------------------------------
    "seed004_hidden_gradients: the seed's doubled sigma'": (
        "seed004_hidden_gradients", _edit("seed004_hidden_gradients", ("* sigmoid_prime(z1)", "* sigmoid_prime(z1) * sigmoid_prime(z1)")),
        r"slip in seed 004"),
    "seed004_hidden_gradients: W2 not transposed": (
        "seed004_hidden_gradients", _edit("seed004_hidden_gradients", ("(W2.T @ delta2)", "(W2 @ delta2)")),
        r"W2ᵀ δ²"),
    "seed004_hidden_gradients: hidden sigma' missing": (
        "seed004_hidden_gradients", _edit("seed004_hidden_gradients", ("(W2.T @ delta2) * sigmoid_prime(z1)", "(W2.T @ delta2)")),
        r"σ′\(z\^l\) factor is missing"),
    "seed004_hidden_gradients: output sigma' missing": (
        "seed004_hidden_gradients", _edit("seed004_hidden_gradients", ("(a2 - y) * sigmoid_prime(z2)", "(a2 - y)")),
        r"σ′\(z\) factor is missing from the output error"),
    "seed004_fixed_gradients: the seed's unsummed biases": (
        "seed004_fixed_gradients", _edit("seed004_fixed_gradients", ("delta1.sum(axis=1, keepdims=True)", "delta1")),
        r"not summed over the samples"),
    "seed004_fixed_gradients: the seed's mask that never fires": (
        "seed004_fixed_gradients", _edit("seed004_fixed_gradients", ("(W2.T @ delta2) * (z1 > 0)", "(W2.T @ delta2) * (a1 >= 0)")),
        r"σ′\(z\^l\) factor is missing"),
    "seed004_fixed_gradients: the seed's summed cost without ½": (
        "seed004_fixed_gradients", _edit("seed004_fixed_gradients", ("delta2 = (a2 - Y) / m", "delta2 = 2 * (a2 - Y)")),
        r"extra factor 2.*factor of m"),
    "seed004_fixed_gradients: the seed's (D_in, H) layout": (
        "seed004_fixed_gradients", _edit("seed004_fixed_gradients", ("(delta1 @ X.T,", "(X @ delta1.T,")),
        r"transpose of the right ones"),
}


CALLS_BPKIT: dict[str, tuple[str, str, str]] = {
    "sigmoid": ("sigmoid", "def sigmoid(z):\n    return bp.sigmoid(z)", r"calls bpkit's own bp\.sigmoid\b"),
    "sigmoid via scipy's expit": ("sigmoid", "from scipy.special import expit\n\ndef sigmoid(z):\n    return expit(z)",
                                  r"calls scipy\.special\.expit"),
    "sigmoid via log_expit": ("sigmoid", "import scipy.special\n\ndef sigmoid(z):\n    return np.exp(scipy.special.log_expit(z))",
                              r"calls scipy\.special\.log_expit"),
    "sigmoid via scipy.stats.logistic": ("sigmoid", "from scipy import stats\n\ndef sigmoid(z):\n    return stats.logistic.cdf(z)",
                                         r"calls .*logistic"),
    "sigmoid_prime": ("sigmoid_prime", "def sigmoid_prime(z):\n    return bp.sigmoid_prime(z)",
                      r"calls bpkit's own bp\.sigmoid_prime"),
    "neuron_forward": ("neuron_forward", _edit("neuron_forward", ("z = w @ X + b ", "z = bp.weighted_input(w, X, b) ")),
                       r"calls bpkit's own bp\.weighted_input"),
    "neuron_gradients": ("neuron_gradients", '''\
def neuron_gradients(w, b, X, y):
    g = bp.Network.from_params([w], [b], activations="sigmoid", loss="mse").backward(X, y)
    return g.dW[0], g.db[0]''', r"calls bpkit's own bp\.Network\.backward"),
    "gradient_step": ("gradient_step", '''\
def gradient_step(w, b, dw, db, lr):
    net = bp.Network.from_params([w.copy()], [b.copy()])
    net.step(bp.Gradients(dW=[dw], db=[db], delta=[None]), lr)
    return net.weights[0], net.biases[0]''', r"calls bpkit's own bp\.Network\.step"),
    "train_neuron": ("train_neuron", '''\
def train_neuron(w, b, X, y, lr, epochs):
    net = bp.Network.from_params([w], [b])
    h = net.fit(X, y, epochs=epochs, lr=lr, progress=False)
    return net.weights[0], net.biases[0], h.loss''', r"calls bpkit's own bp\.Network\.fit"),
    "central_difference": ("central_difference", "def central_difference(f, x, eps=1e-6):\n    return bp.numerical_gradient(f, x.copy(), eps=eps)",
                           r"calls bpkit's own bp\.numerical_gradient"),
    "seed004_hidden_gradients": ("seed004_hidden_gradients", '''\
def seed004_hidden_gradients(W1, b1, W2, b2, x, y):
    g = bp.Network.from_params([W1, W2], [b1, b2]).backward(x, y)
    return g.dW[0], g.db[0]''', r"calls bpkit's own bp\.Network\.backward"),
}

POINTS = {"test_sigmoid": 2, "test_sigmoid_prime": 1, "input_gradient": 2,
          "test_neuron_forward": 1, "test_neuron_gradients": 3, "test_gradient_step": 1,
          "test_train_neuron": 2, "test_central_difference": 2,
          "test_seed004_hidden_gradients": 2, "test_seed004_fixed_gradients": 2,
          "summed_cost": 2}
