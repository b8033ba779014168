"""Checks for stage 1, a single sigmoid neuron (solutions/01-single-neuron).

The neuron is the network [n, 1]: w = W¹ (1, n), b = b¹ (1, 1), X (n, m), y (1, m),
z = w X + b, a = σ(z), E = C = 1/(2m) Σ (a − y)², δ = ∂E/∂z = (a − y) ⊙ σ′(z) / m,
∂E/∂w = δ Xᵀ, ∂E/∂b = Σ_samples δ. Seed 004's 2-2-1 network is the network [2, 2, 1].

Every ``check_<exercise>(fn, seed=…)`` runs the student's function on examples drawn from
``seed``, compares every returned value with bpkit's answer and names the likely mistake
(see :mod:`.engine`); this module only says what each exercise is.

    from bpkit.grading import stage1
    stage1.check_neuron_gradients(neuron_gradients, seed=7)
"""
from __future__ import annotations

import numpy as np

import bpkit as bp

from . import check as _check
from . import engine, ownwork
from .engine import Example, Exercise, Output
from .mistakes import HINTS, PRIME, SIGMOID, select

try:
    from scipy import special as _special
    from scipy.stats import _continuous_distns as _dists
except ImportError:  # pragma: no cover - bpkit itself needs SciPy
    _special = _dists = None

__all__ = ["EXERCISES", "REFERENCES", "check_sigmoid", "check_sigmoid_prime",
           "check_neuron_forward", "check_neuron_gradients", "check_gradient_step",
           "check_train_neuron", "check_central_difference", "check_seed004_hidden_gradients",
           "check_seed004_fixed_gradients"]


# --- reference versions of every exercise: what a later check swaps in -----------------------

def _ref_forward(w, b, X):
    fwd = bp.Network.from_params([w], [b]).forward(X)
    return fwd.z[0], fwd.output


def _ref_gradients(w, b, X, y):
    g = bp.Network.from_params([w], [b]).backward(X, y)
    return g.dW[0], g.db[0]


def _ref_step(w, b, dw, db, lr):
    return w - lr * dw, b - lr * db


def _ref_central_difference(f, x, eps=1e-6):
    return bp.numerical_gradient(f, np.array(x, dtype=float), eps=eps)


REFERENCES = {
    "sigmoid": bp.sigmoid,
    "sigmoid_prime": bp.sigmoid_prime,
    "neuron_forward": _ref_forward,
    "neuron_gradients": _ref_gradients,
    "gradient_step": _ref_step,
    "central_difference": _ref_central_difference,
}


def _earlier(*names):
    return {n: REFERENCES[n] for n in names}


def _opt(*objs):
    return tuple(o for o in objs if o is not None)


_SCIPY_SIGMOID = _opt(getattr(_special, "expit", None), getattr(_special, "log_expit", None),
                      getattr(getattr(_dists, "logistic_gen", None), "_cdf", None),
                      getattr(getattr(_dists, "logistic_gen", None), "_logcdf", None))
_BACKPROP = (bp.bp1, bp.bp2, bp.bp3, bp.bp4, bp.Network.backward, bp.numerical_gradient,
             bp.check_gradients, bp.mse_grad)


# --- exercise 1: the sigmoid ---------------------------------------------------------------------

_STABLE = ("Rearrange the formula so that np.exp only ever sees numbers ≤ 0: with "
           "e = np.exp(-np.abs(z)), σ(z) = 1/(1 + e) where z ≥ 0 and σ(z) = e/(1 + e) where z < 0 "
           "(top and bottom multiplied by e^z).")
_UNSTABLE = ("sigmoid is not numerically stable: for |z| = 1000, e^1000 is far beyond the largest "
             "float64 (about 1.8·10^308, reached near e^709) and overflows to inf. " + _STABLE)
_WHERE = ("sigmoid gives the right values for z = ±1000, but NumPy warned ({warned}) both for "
          "z = −1000 and for z = 1000: np.exp got a large positive number either way. If you used "
          "np.where(z >= 0, formula1, formula2): np.where computes BOTH formulas for EVERY entry "
          "before it chooses, so the e^z formula still overflows at z = 1000 (and e^(−z) at "
          "z = −1000). Compute exp only of −|z| (e = np.exp(-np.abs(z)); both formulas can be "
          "written with it), or apply each formula only to its own entries with a boolean mask: "
          "out[pos] = …, out[~pos] = ….")


def _explain_sigmoid_warnings(fn, ex, outcome):
    """NumPy warned: find out for which sign of z, and say why."""
    warned = "; ".join(f"“{w}”" for w in dict.fromkeys(outcome.warnings))
    at = {s: bool(_check.run(fn, np.array([[s * 1000.0]])).warnings) for s in (-1, 1)}
    if at[-1] and at[1] and _check.close(outcome.result, ex.expected[0]):
        return "sigmoid: " + _WHERE.format(warned=warned)
    return f"sigmoid: {_UNSTABLE} (NumPy warned {warned}.)"


SIGMOID_SPEC = Exercise(
    name="sigmoid", arg_names=("z",), outputs=(Output("result"),),
    examples=engine.elementwise_examples(
        bp.sigmoid, [v for v in SIGMOID.values()], {
            "values": "σ(z) = 1/(1 + e^(−z)); check your formula on single numbers first: "
                      "sigmoid(0.0) must be 0.5 and sigmoid(2.0) about 0.8808.",
            "sign": "σ(z) = 1/(1 + e^(−z)) is always positive, between 0 and 1",
            "nonfinite": "An overflow or 0/0 in your formula: " + _UNSTABLE},
        "sigmoid"),
    forbidden=ownwork.Forbidden((bp.sigmoid, *_SCIPY_SIGMOID), silencers=ownwork.SILENCERS),
    warning_hint=_UNSTABLE, explain_warnings=_explain_sigmoid_warnings,
    doc="Elementwise σ(z) for arrays of any shape and plain numbers; stable: correct and finite "
        "at z = ±1000 with no overflow (and no silencing of NumPy's warnings).")


# --- exercise 2: σ′ --------------------------------------------------------------------------------

SIGMOID_PRIME_SPEC = Exercise(
    name="sigmoid_prime", arg_names=("z",), outputs=(Output("result"),),
    examples=engine.elementwise_examples(
        bp.sigmoid_prime, [v for v in PRIME.values()], {
            "values": "σ′(z) = σ(z)(1 − σ(z)): compute a = sigmoid(z), then a * (1 - a). "
                      "Check: sigmoid_prime(0.0) must be 0.25.",
            "sign": "σ′(z) = σ(z)(1 − σ(z)) is always positive (σ only ever increases): "
                    "a * (1 - a), not a * (a - 1)",
            "nonfinite": "At |z| = 1000, e^(−z) or e^z overflows and inf/inf is NaN: write σ′ as "
                         "σ(z)(1 − σ(z)) with your stable sigmoid."},
        "sigmoid_prime"),
    forbidden=ownwork.Forbidden((bp.sigmoid_prime, bp.numerical_gradient), silencers=ownwork.SILENCERS),
    references=_earlier("sigmoid"),
    warning_hint="At |z| = 1000 a formula with e^(−z) or e^z overflows (inf/inf is NaN): write "
                 "σ′ as σ(z)(1 − σ(z)), with your stable sigmoid.",
    doc="σ′(z) = σ(z)(1 − σ(z)), elementwise, for arrays and plain numbers, finite and correct at "
        "z = ±1000.")


# --- exercises 3 and 4: forward pass and gradients of one neuron ----------------------------------

def _neuron_cases(seed):
    """A random neuron [n, 1] with n = 2…5 and m = 3…7 samples (m ≠ n, m ≠ 2n, so that a
    transposed result, a division by n and a missing 1/m are all recognisable), and one with m = 1."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    m = int(rng.choice([k for k in range(3, 8) if k not in (n, 2 * n)]))
    return [engine.network_case(rng, [n, 1], m), engine.network_case(rng, [n, 1], 1)]


def _neuron_args(c):
    return (c.weights[0], c.biases[0], c.X, c.Y)


def _forward_shape_hint(c) -> str:
    w, X = c.weights[0], c.X
    return (f"Here w is {w.shape} and X is {X.shape}: z = w X + b is the matrix product "
            f"w @ X, {w.shape} @ {X.shape} → (1, {c.m}), with b (1, 1) added to every "
            f"column. `*` multiplies entry by entry — it is not the weighted sum; use @.")


def _forward_examples(seed):
    out = []
    for c in _neuron_cases(seed):
        pick = lambda s: (s.z[0], s.a[1])  # noqa: E731
        variants = engine.variants_for(c, select("z", "a"), pick, ("z", "a"))
        variants["z"]["the sigmoid was applied to z as well: z = w X + b is the weighted input, "
                      "before the sigmoid"] = c.right.a[1]
        rows = (f"z and a are rows (1, {c.m}), one entry per sample: compute w @ X, "
                f"(1, {c.X.shape[0]}) @ ({c.X.shape[0]}, {c.m})")
        out.append(Example(args=_neuron_args(c)[:3], expected=pick(c.right), variants=variants,
                           context=c.describe(("w", "b", "X")),
                           hints={k: {"transposed": rows, "flat": rows} for k in ("z", "a")},
                           shape_hint=_forward_shape_hint(c)))
    return out


NEURON_FORWARD_SPEC = Exercise(
    name="neuron_forward", arg_names=("w", "b", "X"), outputs=(Output("z"), Output("a")),
    examples=_forward_examples,
    forbidden=ownwork.Forbidden((bp.weighted_input, bp.Network.forward, bp.Network.predict)),
    references=_earlier("sigmoid", "sigmoid_prime"),
    doc="(z, a) with z = w X + b and a = σ(z), both (1, m).")


def _gradient_examples(seed):
    out = []
    for c in _neuron_cases(seed):
        pick = lambda s: (s.dW[0], s.db[0])  # noqa: E731
        variants = engine.variants_for(c, select("grad", "bp1", "bp3", "bp4"), pick, ("dw", "db"))
        n, m = c.X.shape
        steps = ("Recompute step by step: z = w X + b, a = σ(z), δ = (a − y) ⊙ σ′(z) / m "
                 f"(1, {m}), dw = δ Xᵀ (1, {n}), db = Σ δ over the samples (1, 1).")
        hints = {"dw": {**HINTS["bp4"], "values": steps,
                        "flat": f"∂E/∂w must have the shape of w, (1, {n}) — a 2-D row, not ({n},)"},
                 "db": {**HINTS["bp3"], "values": steps}}
        out.append(Example(
            args=_neuron_args(c), expected=pick(c.right), variants=variants, m=m,
            context=c.describe(), hints=hints,
            shape_hint=(f"Here δ = ∂E/∂z is (1, {m}) and X is {c.X.shape}, so ∂E/∂w = δ Xᵀ is "
                        f"(1, {m}) @ ({m}, {n}) → (1, {n}), the shape of w: note the transpose "
                        f"on X. An elementwise product (*) needs equal shapes: write the shape "
                        f"of every factor under your formula.")))
    return out


NEURON_GRADIENTS_SPEC = Exercise(
    name="neuron_gradients", arg_names=("w", "b", "X", "y"),
    outputs=(Output("dw"), Output("db")), examples=_gradient_examples,
    forbidden=ownwork.Forbidden(_BACKPROP), references=_earlier("sigmoid", "sigmoid_prime", "neuron_forward"),
    exact=True,
    doc="(dw, db): ∂E/∂w = δ Xᵀ (1, n) and ∂E/∂b = Σ δ (1, 1), δ = (a − y) ⊙ σ′(z) / m.")


# --- exercise 5: one step of gradient descent -----------------------------------------------------

def _step_examples(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    w, dw = rng.normal(0.0, 1.0, (1, n)), rng.normal(0.0, 1.0, (1, n))
    b, db = rng.normal(0.0, 1.0, (1, 1)), rng.normal(0.0, 1.0, (1, 1))
    lr = float(np.round(rng.uniform(0.05, 0.5), 3))
    variants = {"w_new": {}, "b_new": {}}
    for mistake in select("step"):
        step = mistake.replace["step"]
        variants["w_new"][mistake.description] = step(w, dw, lr)
        variants["b_new"][mistake.description] = step(b, db, lr)
    return [Example(args=(w, b, dw, db, lr), expected=(w - lr * dw, b - lr * db), variants=variants,
                    context=f"(Inputs: w {w.shape}, b {b.shape}, dw {dw.shape}, db {db.shape}, "
                            f"lr = {lr}.)")]


GRADIENT_STEP_SPEC = Exercise(
    name="gradient_step", arg_names=("w", "b", "dw", "db", "lr"),
    outputs=(Output("w_new"), Output("b_new")), examples=_step_examples,
    forbidden=ownwork.Forbidden((bp.Network.step, bp.Network.fit)),
    doc="(w − lr·dw, b − lr·db) as new arrays; the arguments are left unchanged.")


# --- exercise 6: training -------------------------------------------------------------------------

def _train_examples(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 4)), int(rng.integers(4, 7))
    c = engine.network_case(rng, [n, 1], m, weight_scale=0.5)
    c = engine.Case(c.weights, c.biases, c.X,
                    (rng.normal(0.0, 1.0, (1, n)) @ c.X + rng.normal(0.0, 0.3, (1, m)) > 0).astype(float))
    lr = float(np.round(rng.uniform(0.5, 2.0), 2))
    epochs = int(rng.integers(12, 25))
    expected, variants = engine.training(c, lr, epochs, params=lambda Ws, bs: (Ws[0], bs[0]),
                                         names=("w", "b"), mistakes=select(
                                             "step.ascent", "step.no_lr", "grad", "bp1.no_prime"))
    hints = {"losses": {"m": "it looks like E was summed over the samples instead of averaged: "
                             "E = 1/(2m) Σ (a − y)² (np.mean((a - y)**2) / 2)",
                        "1/m": "it looks like E was divided by m twice: E = 1/(2m) Σ (a − y)²",
                        "values": "losses[k] is E = 1/(2m) Σ (a − y)² for the w, b after k epochs "
                                  "(losses[0]: the initial w, b)."}}
    return [Example(args=(*_neuron_args(c), lr, epochs), expected=expected, variants=variants,
                    m=m, hints=hints,
                    context=f"(Inputs: w {c.weights[0].shape}, b (1, 1), X {c.X.shape}, "
                            f"y {c.Y.shape}, lr = {lr}, epochs = {epochs}.)")]


TRAIN_NEURON_SPEC = Exercise(
    name="train_neuron", arg_names=("w", "b", "X", "y", "lr", "epochs"),
    outputs=(Output("w"), Output("b"), Output("losses", engine.numbers)), examples=_train_examples,
    forbidden=ownwork.Forbidden((bp.Network.fit, bp.Network.step)),
    references=_earlier("sigmoid", "sigmoid_prime", "neuron_forward", "neuron_gradients",
                        "gradient_step"),
    doc="(w, b, losses): full-batch gradient descent from w, b for `epochs` epochs; losses has "
        "epochs + 1 entries, losses[k] = E after k epochs (losses[0]: before any step). The "
        "caller's w and b are not changed.")


# --- exercise 7: central differences -------------------------------------------------------------

_FUNCTIONS = [  # (f, its exact gradient, how to describe it)
    (lambda x: float(np.sum(x ** 3)), lambda x: 3 * x ** 2, "f(x) = Σ x³"),
    (lambda x: float(np.sum(np.sin(x)) + np.sum(x) ** 2), lambda x: np.cos(x) + 2 * np.sum(x),
     "f(x) = Σ sin x + (Σ x)²"),
    (lambda x: float(np.exp(0.3 * x).sum()), lambda x: 0.3 * np.exp(0.3 * x), "f(x) = Σ e^(0.3x)"),
]


def _fd_examples(seed):
    rng = np.random.default_rng(seed)
    out = []
    for k, (f, grad, text) in enumerate(_FUNCTIONS):
        shape = [(int(rng.integers(2, 4)), int(rng.integers(2, 5))), (1, 1),
                 (int(rng.integers(2, 6)), 1)][k]
        x = rng.uniform(-2.0, 2.0, shape)
        eps = [1e-6, 1e-3, 1e-4][k]
        e_ = eps
        fwd = np.zeros_like(x)
        unhalved = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[i] += e_
            xm[i] -= e_
            fwd[i] = (f(xp) - f(x)) / e_
            unhalved[i] = (f(xp) - f(xm)) / e_
        together = (f(x + e_) - f(x - e_)) / (2 * e_) * np.ones_like(x)
        variants = {"gradient": {
            "you used the forward difference (f(x + ε) − f(x))/ε: its error shrinks like ε; the "
            "central difference (f(x + ε) − f(x − ε))/(2ε) is far more accurate (error like ε²)": fwd,
            "the 2 in 2ε is missing: (f(x + ε) − f(x − ε))/(2ε) — the two points are 2ε apart": unhalved,
            "you moved every entry of x at once: nudge ONE entry x[i] by ±ε at a time, and "
            "record f's change in gradient[i]": together}}
        # the right answer is the central difference itself (at this ε), checked against the
        # exact gradient, so a correct answer matches to rounding whatever ε is
        right = bp.numerical_gradient(f, x.copy(), eps=eps)
        assert np.allclose(right, grad(x), rtol=1e-4, atol=1e-6)
        out.append(Example(args=(f, x), kwargs={"eps": eps}, expected=(right,),
                           variants=variants,
                           context=f"({text}, x of shape {x.shape}, eps = {eps}.)"))
    return out


CENTRAL_DIFFERENCE_SPEC = Exercise(
    name="central_difference", arg_names=("f", "x"), outputs=(Output("gradient"),),
    examples=_fd_examples,
    forbidden=ownwork.Forbidden(_opt(bp.numerical_gradient, bp.check_gradients)),
    doc="The gradient of a scalar f at x by central differences, (f(x + ε e_i) − f(x − ε e_i))/(2ε) "
        "for every entry i; same shape as x; x is left unchanged.")


# --- exercises 8 and 9: seed 004 ------------------------------------------------------------------

def _seed004_examples(seed):
    """Seed 004's 2-2-1 sigmoid network, one sample (m = 1): its own numbers, and random ones."""
    rng = np.random.default_rng(seed)
    cases = [engine.Case((np.array([[0.3, -0.2], [0.8, 0.5]]), np.array([[0.7, -1.2]])),
                         (np.array([[0.1], [-0.3]]), np.array([[0.2]])),
                         np.array([[0.6], [-0.4]]), np.array([[1.0]]))]
    cases.append(engine.network_case(rng, [2, 2, 1], 1, weight_scale=1.5))
    out = []
    for c in cases:
        pick = lambda s: (s.dW[0], s.db[0])  # noqa: E731
        variants = engine.variants_for(c, select("grad", "bp1", "bp2", "bp3", "bp4"), pick,
                                       ("dW1", "db1"))
        out.append(Example(args=(c.weights[0], c.biases[0], c.weights[1], c.biases[1], c.X, c.Y),
                           expected=pick(c.right), variants=variants, m=1,
                           context=c.describe(), hints={"dW1": HINTS["bp4"], "db1": HINTS["bp3"]},
                           shape_hint="W2 is (1, 2) and δ² is (1, 1): the error sent back to the "
                                      "hidden layer is W2ᵀ δ², (2, 1) @ (1, 1) → (2, 1)."))
    return out


SEED004_HIDDEN_SPEC = Exercise(
    name="seed004_hidden_gradients", arg_names=("W1", "b1", "W2", "b2", "x", "y"),
    outputs=(Output("dW1"), Output("db1")), examples=_seed004_examples,
    forbidden=ownwork.Forbidden(_BACKPROP),
    references=_earlier("sigmoid", "sigmoid_prime", "neuron_forward", "neuron_gradients",
                        "central_difference"),
    exact=True,
    doc="(dW1, db1) of seed 004's 2-2-1 sigmoid network for one sample, E = ½(out − y)², by the "
        "chain rule (each factor once).")


def _fixed_examples(seed):
    rng = np.random.default_rng(seed)
    D, H, K = int(rng.integers(3, 6)), int(rng.integers(2, 5)), int(rng.integers(1, 3))
    m = int(rng.choice([k for k in range(3, 8) if k not in (D, H, K, 2 * D)]))
    out = []
    for mm in (m, 1):
        c = engine.network_case(rng, [D, H, K], mm, activations=("relu", "identity"))
        c = engine.Case(c.weights, c.biases, c.X, rng.normal(0.0, 1.0, (K, mm)), c.activations, "mse")
        pick = lambda s: (s.dW[0], s.db[0], s.dW[1], s.db[1])  # noqa: E731
        names = ("dW1", "db1", "dW2", "db2")
        variants = engine.variants_for(c, select("grad", "bp1", "bp2", "bp3", "bp4"), pick, names)
        out.append(Example(
            args=(c.weights[0], c.biases[0], c.weights[1], c.biases[1], c.X, c.Y),
            expected=pick(c.right), variants=variants, m=mm, context=c.describe(),
            hints={"dW1": HINTS["bp4"], "dW2": HINTS["bp4"], "db1": HINTS["bp3"], "db2": HINTS["bp3"]},
            shape_hint=(f"In the course's layout W1 is {c.weights[0].shape} (n_1, n_0) and used as "
                        f"W1 @ X — not stored (D_in, H) and used as w1.T as in the seed.")))
    return out


SEED004_FIXED_SPEC = Exercise(
    name="seed004_fixed_gradients", arg_names=("W1", "b1", "W2", "b2", "X", "Y"),
    outputs=(Output("dW1"), Output("db1"), Output("dW2"), Output("db2")),
    examples=_fixed_examples, forbidden=ownwork.Forbidden(_BACKPROP),
    references=_earlier("central_difference"), exact=True,
    doc="Seed 004's ReLU network, fixed and in the course's layout: (dW1, db1, dW2, db2) of "
        "C = 1/(2m) Σ ||a² − y||² with a¹ = relu(W1 X + b1), a² = W2 a¹ + b2.")


EXERCISES = {s.name: s for s in (
    SIGMOID_SPEC, SIGMOID_PRIME_SPEC, NEURON_FORWARD_SPEC, NEURON_GRADIENTS_SPEC,
    GRADIENT_STEP_SPEC, TRAIN_NEURON_SPEC, CENTRAL_DIFFERENCE_SPEC, SEED004_HIDDEN_SPEC,
    SEED004_FIXED_SPEC)}

check_sigmoid = engine.checker(SIGMOID_SPEC)
check_sigmoid_prime = engine.checker(SIGMOID_PRIME_SPEC)
check_neuron_forward = engine.checker(NEURON_FORWARD_SPEC)
check_neuron_gradients = engine.checker(NEURON_GRADIENTS_SPEC)
check_gradient_step = engine.checker(GRADIENT_STEP_SPEC)
check_train_neuron = engine.checker(TRAIN_NEURON_SPEC)
check_central_difference = engine.checker(CENTRAL_DIFFERENCE_SPEC)
check_seed004_hidden_gradients = engine.checker(SEED004_HIDDEN_SPEC)
check_seed004_fixed_gradients = engine.checker(SEED004_FIXED_SPEC)
