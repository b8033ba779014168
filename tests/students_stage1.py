"""Simulated students for stage 1 (solutions/01-single-neuron): answer-cell sources by grade_id.

Plain module, no tests here. Used by test_grading.py (the checks, cell by cell) and
test_pipeline.py (the whole nbgrader pipeline, on the released notebook).

SETUP        the notebook's setup cell: what every answer cell may rely on.
GRADE_IDS    the autograded answer cells, in notebook order.
CORRECT      grade_id -> a correct answer cell: the model solution, exactly as in the solution
             notebook without its ### BEGIN/END SOLUTION lines. Later answers use bpkit's
             versions of earlier exercises (allowed), so that a mistake in one exercise never
             fails another exercise's tests.
ALTERNATIVES grade_id -> other correct answer cells (equivalent formulas) that must pass too.
MISTAKES     name -> (grade_id, wrong answer cell, regex the failure message must match);
             the other cells stay correct.
CALLS_BPKIT  name -> (grade_id, answer cell that hands the exercise to bpkit, regex).
"""
from __future__ import annotations

SETUP = "import numpy as np\nimport bpkit as bp"

GRADE_IDS = ["sigmoid", "sigmoid_prime", "neuron_forward", "neuron_gradients", "train_neuron"]

CORRECT: dict[str, str] = {
    "sigmoid": '''\
def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)), elementwise.

    z: a number or a NumPy array of any shape.  Returns: the same shape, as floats.
    Must not overflow: sigmoid(-1000.0) is 0.0 and sigmoid(1000.0) is 1.0, with no warning.
    """
    z = np.asarray(z, dtype=float)      # a number becomes a 0-d array; ints become floats
    e = np.exp(-np.abs(z))              # e^(−|z|) lies in (0, 1]: it never overflows
    # z ≥ 0: σ = 1/(1 + e^(−z)).   z < 0: top and bottom times e^z give σ = e^z/(1 + e^z).
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))''',

    "sigmoid_prime": '''\
def sigmoid_prime(z):
    """σ′(z) = σ(z)(1 − σ(z)), elementwise.

    z: a number or an array — the weighted input, not the activation a = σ(z).
    Returns: the same shape.
    """
    a = bp.sigmoid(z)                   # or your own sigmoid(z) from exercise 1
    return a * (1 - a)''',

    "neuron_forward": '''\
def neuron_forward(w, b, X):
    """The forward pass of one sigmoid neuron, for a batch of m samples (the columns of X).

    w: (1, n) weights,  b: (1, 1) bias,  X: (n, m) inputs.
    Returns (z, a): the weighted input z = w X + b and the activation a = σ(z), both (1, m).
    """
    z = w @ X + b                       # (1, n) @ (n, m) + (1, 1) -> (1, m)
    a = bp.sigmoid(z)                   # or your own sigmoid(z)
    return z, a''',

    "neuron_gradients": '''\
def neuron_gradients(w, b, X, y):
    """The gradients of E = 1/(2m) Σ (a − y)² with respect to w and b.

    w: (1, n),  b: (1, 1),  X: (n, m) inputs,  y: (1, m) targets.
    Returns (dw, db): ∂E/∂w with the shape of w, (1, n), and ∂E/∂b with the shape of b, (1, 1).
    """
    m = X.shape[1]
    z = w @ X + b                                   # the forward pass (as in neuron_forward)
    a = bp.sigmoid(z)
    delta = (a - y) * bp.sigmoid_prime(z) / m       # δ = ∂E/∂z, (1, m)
    dw = delta @ X.T                                # (1, m) @ (m, n) -> (1, n)
    db = np.sum(delta, axis=1, keepdims=True)       # summed over the samples -> (1, 1)
    return dw, db''',

    "train_neuron": '''\
def gradient_step(w, b, dw, db, lr):
    """One step of gradient descent: returns new arrays (w − lr·dw, b − lr·db).

    Leaves the arrays passed in unchanged.
    """
    return w - lr * dw, b - lr * db


def train_neuron(w, b, X, y, lr, epochs):
    """Full-batch gradient descent on E = 1/(2m) Σ (a − y)², starting from w, b.

    Each epoch records E for the current w, b, then takes one gradient_step.
    Returns (w, b, losses): the trained w (1, n) and b (1, 1), and a list of `epochs`
    numbers, losses[k] = E before step k (losses[0] is E at the initial w, b).
    """
    m = X.shape[1]
    losses = []
    for epoch in range(epochs):
        z = w @ X + b
        a = bp.sigmoid(z)
        losses.append(float(np.sum((a - y) ** 2) / (2 * m)))    # E before this step
        # = neuron_gradients(w, b, X, y), written out so that this exercise is graded on its own
        delta = (a - y) * bp.sigmoid_prime(z) / m
        dw, db = delta @ X.T, np.sum(delta, axis=1, keepdims=True)
        w, b = gradient_step(w, b, dw, db, lr)
    return w, b, losses''',
}


def _edit(grade_id: str, *replacements: tuple[str, str]) -> str:
    """CORRECT[grade_id] with each (old, new) replaced; old must occur exactly once."""
    source = CORRECT[grade_id]
    for old, new in replacements:
        assert source.count(old) == 1, f"{grade_id}: {old!r} occurs {source.count(old)} times"
        source = source.replace(old, new)
    return source


ALTERNATIVES: dict[str, list[str]] = {
    "sigmoid": [
        # tanh identity: σ(z) = (1 + tanh(z/2))/2, stable by construction
        "def sigmoid(z):\n    return 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2))",
        # boolean masks: each formula only on its own entries
        '''\
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1 + ez)
    return out''',
        # log-sum-exp: σ(z) = exp(−log(1 + e^(−z)))
        "def sigmoid(z):\n    return np.exp(-np.logaddexp(0, -np.asarray(z, dtype=float)))",
        # clipping: σ(±500) is already 1 or 0 to within 1e-217
        "def sigmoid(z):\n    z = np.clip(z, -500, 500)\n    return 1 / (1 + np.exp(-z))",
    ],
    "sigmoid_prime": [
        "def sigmoid_prime(z):\n    return np.exp(-z) / (1 + np.exp(-z)) ** 2",
        "def sigmoid_prime(z):\n    s = sigmoid(z)\n    return s - s ** 2",
        "def sigmoid_prime(z):\n    s = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))\n    return s * (1 - s)",
    ],
    "neuron_forward": [
        "def neuron_forward(w, b, X):\n    z = np.dot(w, X) + b\n    return z, sigmoid(z)",
        "def neuron_forward(w, b, X):\n    z = np.matmul(w, X) + b\n    a = 1 / (1 + np.exp(-z))\n    return z, a",
        "def neuron_forward(w, b, X):\n    z = (w.T * X).sum(axis=0, keepdims=True) + b\n    return z, bp.sigmoid(z)",
        "def neuron_forward(w, b, X):\n    z = np.einsum('ij,jk->ik', w, X) + b\n    return (z, bp.sigmoid(z))",
    ],
    "neuron_gradients": [
        # the student's own earlier functions, a(1 − a), sum then divide by m
        '''\
def neuron_gradients(w, b, X, y):
    z, a = neuron_forward(w, b, X)
    delta = (a - y) * a * (1 - a)
    m = y.shape[1]
    return np.dot(delta, np.transpose(X)) / m, delta.sum(axis=1).reshape(1, 1) / m''',
        # 1/m by averaging, once
        '''\
def neuron_gradients(w, b, X, y):
    z = w @ X + b
    a = sigmoid(z)
    d = (a - y) * sigmoid_prime(z)
    return (d @ X.T) / X.shape[1], np.mean(d, axis=1, keepdims=True)''',
        # transposed product, transposed back; bpkit's versions of earlier exercises
        '''\
def neuron_gradients(w, b, X, y):
    z = bp.weighted_input(w, X, b)
    delta = (bp.sigmoid(z) - y) * bp.sigmoid_prime(z) / X.shape[1]
    return (X @ delta.T).T, delta.sum(axis=1, keepdims=True)''',
        # Network.forward (the forward pass, an earlier exercise) is allowed
        '''\
def neuron_gradients(w, b, X, y):
    fwd = bp.Network.from_params([w], [b]).forward(X)
    z, a = fwd.z[0], fwd.output
    delta = np.einsum('ij,ij->ij', a - y, a * (1 - a)) / X.shape[1]
    return np.einsum('im,nm->in', delta, X), np.sum(delta, keepdims=True)''',
    ],
    "train_neuron": [
        # the student's own earlier functions; losses recorded with np.mean
        '''\
def gradient_step(w, b, dw, db, lr):
    return np.subtract(w, lr * dw), np.subtract(b, lr * db)


def train_neuron(w, b, X, y, lr, epochs):
    losses = []
    for _ in range(epochs):
        z, a = neuron_forward(w, b, X)
        losses.append(np.mean((a - y) ** 2) / 2)
        dw, db = neuron_gradients(w, b, X, y)
        w, b = gradient_step(w, b, dw, db, lr)
    return w, b, losses''',
        # in-place updates, but on copies: the caller's arrays are untouched
        '''\
def gradient_step(w, b, dw, db, lr):
    w, b = w.copy(), b.copy()
    w -= lr * dw
    b -= lr * db
    return w, b


def train_neuron(w, b, X, y, lr, epochs):
    losses = np.zeros(epochs)
    for k in range(epochs):
        net = bp.Network.from_params([w], [b])
        losses[k] = bp.mse(net.forward(X).output, y)
        g = net.backward(X, y)
        w, b = gradient_step(w, b, g.dW[0], g.db[0], lr)
    return w, b, losses''',
    ],
}


MISTAKES: dict[str, tuple[str, str, str]] = {
    # --- sigmoid ---------------------------------------------------------------------------
    "sigmoid: overflows for large negative z": (
        "sigmoid", "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
        r"not numerically stable"),
    "sigmoid: np.where computes both branches": (
        "sigmoid",
        "def sigmoid(z):\n    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))",
        r"np\.where computes BOTH"),
    "sigmoid: minus sign missing": (
        "sigmoid", _edit("sigmoid", ("1.0 / (1.0 + e), e / (1.0 + e)", "e / (1.0 + e), 1.0 / (1.0 + e)")),
        r"minus sign in e\^\(−z\) is missing"),
    "sigmoid: forgot return": (
        "sigmoid", _edit("sigmoid", ("return np.where", "s = np.where")),
        r"forget `return`"),
    "sigmoid: integer dtype from zeros_like": (
        "sigmoid", '''\
def sigmoid(z):
    z = np.asarray(z)
    out = np.zeros_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    out[~pos] = np.exp(z[~pos]) / (1 + np.exp(z[~pos]))
    return out''',
        r"integer dtype"),
    "sigmoid: fails for a plain number": (
        "sigmoid", '''\
def sigmoid(z):
    out = np.empty(z.shape)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    out[~pos] = np.exp(z[~pos]) / (1 + np.exp(z[~pos]))
    return out''',
        r"plain number"),
    "sigmoid: overwrites z in place": (
        "sigmoid", '''\
def sigmoid(z):
    z = np.asarray(z, dtype=float)      # no copy when z already is a float array
    e = np.exp(-np.abs(z))
    pos = z >= 0
    z[pos] = 1 / (1 + e[pos])
    z[~pos] = e[~pos] / (1 + e[~pos])
    return z''',
        r"changed its argument z in place"),

    # --- sigmoid_prime ---------------------------------------------------------------------
    "sigmoid_prime: z(1 - z)": (
        "sigmoid_prime", "def sigmoid_prime(z):\n    return z * (1 - z)", r"used z\(1 − z\)"),
    "sigmoid_prime: evaluated at a = sigma(z)": (
        "sigmoid_prime", _edit("sigmoid_prime", ("return a * (1 - a)",
                                                 "return bp.sigmoid(a) * (1 - bp.sigmoid(a))")),
        r"evaluated at a = σ\(z\) instead of z"),
    "sigmoid_prime: returned sigma itself": (
        "sigmoid_prime", _edit("sigmoid_prime", ("return a * (1 - a)", "return a")),
        r"not its derivative"),
    "sigmoid_prime: sign flipped": (
        "sigmoid_prime", _edit("sigmoid_prime", ("return a * (1 - a)", "return a * (a - 1)")),
        r"wrong sign"),
    "sigmoid_prime: denominator not squared": (
        "sigmoid_prime", "def sigmoid_prime(z):\n    return np.exp(-z) / (1 + np.exp(-z))",
        r"denominator is squared"),
    "sigmoid_prime: forgot return": (
        "sigmoid_prime", _edit("sigmoid_prime", ("return a * (1 - a)", "a * (1 - a)")),
        r"forget `return`"),

    # --- neuron_forward --------------------------------------------------------------------
    "neuron_forward: bias missing": (
        "neuron_forward", _edit("neuron_forward", ("z = w @ X + b ", "z = w @ X ")),
        r"bias b is missing"),
    "neuron_forward: sigmoid missing": (
        "neuron_forward", _edit("neuron_forward", ("a = bp.sigmoid(z)", "a = z")),
        r"sigmoid is missing"),
    "neuron_forward: (a, z) swapped": (
        "neuron_forward", _edit("neuron_forward", ("return z, a", "return a, z")),
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
        "neuron_forward", _edit("neuron_forward", ("return z, a", "result = z, a")),
        r"returned None"),

    # --- neuron_gradients ------------------------------------------------------------------
    "neuron_gradients: sigma' missing": (
        "neuron_gradients", _edit("neuron_gradients", ("(a - y) * bp.sigmoid_prime(z) / m", "(a - y) / m")),
        r"σ′\(z\) factor is missing"),
    "neuron_gradients: sigma' evaluated at a": (
        "neuron_gradients", _edit("neuron_gradients", ("bp.sigmoid_prime(z)", "bp.sigmoid_prime(a)")),
        r"evaluated at a = σ\(z\) instead of z"),
    "neuron_gradients: z(1 - z) for sigma'": (
        "neuron_gradients", _edit("neuron_gradients", ("bp.sigmoid_prime(z)", "z * (1 - z)")),
        r"used z\(1 − z\)"),
    "neuron_gradients: 1/m missing": (
        "neuron_gradients", _edit("neuron_gradients", ("bp.sigmoid_prime(z) / m", "bp.sigmoid_prime(z)")),
        r"factor of m = \d+ \(too large\) — it looks like the 1/m from the mean cost is missing"),
    "neuron_gradients: 1/m twice": (
        "neuron_gradients", _edit("neuron_gradients", ("dw = delta @ X.T ", "dw = delta @ X.T / m ")),
        r"m = \d+ times too small"),
    "neuron_gradients: transpose missing": (
        "neuron_gradients", _edit("neuron_gradients", ("dw = delta @ X.T ", "dw = delta @ X ")),
        r"note the transpose on X"),
    "neuron_gradients: dw transposed": (
        "neuron_gradients", _edit("neuron_gradients", ("dw = delta @ X.T ", "dw = X @ delta.T ")),
        r"transpose of the right ones"),
    "neuron_gradients: dw 1-D": (
        "neuron_gradients", _edit("neuron_gradients", ("dw = delta @ X.T ", "dw = delta[0] @ X.T ")),
        r"a 1-D array, where the 2-D shape \(1, \d\) was expected"),
    "neuron_gradients: bias not summed": (
        "neuron_gradients", _edit("neuron_gradients", ("db = np.sum(delta, axis=1, keepdims=True)", "db = delta")),
        r"not summed over the samples"),
    "neuron_gradients: bias summed over the wrong axis": (
        "neuron_gradients", _edit("neuron_gradients", ("np.sum(delta, axis=1, keepdims=True)", "np.sum(delta, axis=0)")),
        r"summed over the wrong axis"),
    "neuron_gradients: bias a plain number": (
        "neuron_gradients", _edit("neuron_gradients", ("np.sum(delta, axis=1, keepdims=True)", "np.sum(delta)")),
        r"single number where an array of shape \(1, 1\).*keepdims=True"),
    "neuron_gradients: bias averaged": (
        "neuron_gradients", _edit("neuron_gradients", ("np.sum(delta, axis=1, keepdims=True)", "np.mean(delta, axis=1, keepdims=True)")),
        r"averaged δ over the samples"),
    "neuron_gradients: bias with a factor x": (
        "neuron_gradients", _edit("neuron_gradients", ("np.sum(delta, axis=1, keepdims=True)", "np.sum(delta * X, axis=1, keepdims=True)")),
        r"factor x"),
    "neuron_gradients: sign flipped": (
        "neuron_gradients", _edit("neuron_gradients", ("(a - y) * bp", "(y - a) * bp")),
        r"wrong sign"),
    "neuron_gradients: factor 2": (
        "neuron_gradients", _edit("neuron_gradients", ("(a - y) * bp", "2 * (a - y) * bp")),
        r"extra factor 2"),
    "neuron_gradients: m taken from the wrong axis": (
        "neuron_gradients", _edit("neuron_gradients", ("m = X.shape[1]", "m = X.shape[0]")),
        r"divided by n = \d+ \(the number of inputs"),
    "neuron_gradients: forgot return": (
        "neuron_gradients", _edit("neuron_gradients", ("return dw, db", "grads = dw, db")),
        r"returned None"),

    # --- gradient_step and train_neuron --------------------------------------------------
    "gradient_step: gradient ascent": (
        "train_neuron", _edit("train_neuron", ("return w - lr * dw, b - lr * db", "return w + lr * dw, b + lr * db")),
        r"moved uphill"),
    "gradient_step: learning rate missing": (
        "train_neuron", _edit("train_neuron", ("return w - lr * dw, b - lr * db", "return w - dw, b - db")),
        r"learning rate is missing"),
    "gradient_step: updates in place": (
        "train_neuron", _edit("train_neuron", ("return w - lr * dw, b - lr * db",
                                               "w -= lr * dw\n    b -= lr * db\n    return w, b")),
        r"changed its arguments w, b in place"),
    "gradient_step: (b, w) swapped": (
        "train_neuron", _edit("train_neuron", ("return w - lr * dw, b - lr * db", "return b - lr * db, w - lr * dw")),
        r"swapped"),
    "train_neuron: losses recorded after the step": (
        "train_neuron", _edit("train_neuron", (
            "        losses.append(float(np.sum((a - y) ** 2) / (2 * m)))    # E before this step\n", ""), (
            "        w, b = gradient_step(w, b, dw, db, lr)\n",
            "        w, b = gradient_step(w, b, dw, db, lr)\n"
            "        losses.append(float(np.sum((bp.sigmoid(w @ X + b) - y) ** 2) / (2 * m)))\n")),
        r"recorded after each step"),
    "train_neuron: one loss too many": (
        "train_neuron", _edit("train_neuron", ("    return w, b, losses",
                                               "    losses.append(float(np.sum((bp.sigmoid(w @ X + b) - y) ** 2) / (2 * m)))\n"
                                               "    return w, b, losses")),
        r"One loss too many"),
    "train_neuron: result of gradient_step not assigned": (
        "train_neuron", _edit("train_neuron", ("w, b = gradient_step(w, b, dw, db, lr)", "gradient_step(w, b, dw, db, lr)")),
        r"never updated"),
    "train_neuron: one epoch too few": (
        "train_neuron", _edit("train_neuron", ("range(epochs)", "range(epochs - 1)")),
        r"one step too few"),
    "train_neuron: loss summed, not averaged": (
        "train_neuron", _edit("train_neuron", ("np.sum((a - y) ** 2) / (2 * m)", "np.sum((a - y) ** 2) / 2")),
        r"summed over the samples instead of averaged"),
    "train_neuron: the 1/2 missing from E": (
        "train_neuron", _edit("train_neuron", ("np.sum((a - y) ** 2) / (2 * m)", "np.sum((a - y) ** 2) / m")),
        r"½ is missing"),
    "train_neuron: trains the caller's w in place": (
        "train_neuron", _edit("train_neuron", ("w, b = gradient_step(w, b, dw, db, lr)", "w -= lr * dw\n        b -= lr * db")),
        r"changed its arguments w, b in place"),
    "train_neuron: forgot return": (
        "train_neuron", _edit("train_neuron", ("    return w, b, losses", "    result = w, b, losses")),
        r"returned None"),
}


CALLS_BPKIT: dict[str, tuple[str, str]] = {
    "sigmoid": ("sigmoid", "def sigmoid(z):\n    return bp.sigmoid(z)",
                r"calls bpkit's own bp\.sigmoid\b"),
    "sigmoid_prime": ("sigmoid_prime", "def sigmoid_prime(z):\n    return bp.sigmoid_prime(z)",
                      r"calls bpkit's own bp\.sigmoid_prime"),
    "neuron_forward": ("neuron_forward", _edit("neuron_forward", ("z = w @ X + b ", "z = bp.weighted_input(w, X, b) ")),
                       r"calls bpkit's own bp\.weighted_input"),
    "neuron_gradients": ("neuron_gradients", '''\
def neuron_gradients(w, b, X, y):
    g = bp.Network.from_params([w], [b], activations="sigmoid", loss="mse").backward(X, y)
    return g.dW[0], g.db[0]''', r"calls bpkit's own bp\.Network\.backward"),
    "train_neuron": ("train_neuron", _edit("train_neuron", ("    return w - lr * dw, b - lr * db", '''\
    net = bp.Network.from_params([w], [b])
    net.step(bp.Gradients(dW=[dw], db=[db], delta=[None]), lr)
    return net.weights[0], net.biases[0]''')), r"calls bpkit's own bp\.Network\.step"),
}
