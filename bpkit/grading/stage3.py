"""Checks for stage 3, two sigmoid layers with cross-entropy (solutions/03-two-layer-cross-entropy).

The network is [n0, n1, n2]: W1 (n1, n0), b1 (n1, 1), W2 (n2, n1), b2 (n2, 1), X (n0, m) and
labels Y (n2, m) of 0s and 1s; z¹ = W1 X + b1, a¹ = σ(z¹), z² = W2 a¹ + b2, a² = σ(z²). The cost

    C = −1/m Σ [Y ln a² + (1 − Y) ln(1 − a²)] = 1/m Σ [Y softplus(−z²) + (1 − Y) softplus(z²)]

(the second form, from z, is finite for any z), and ∂C/∂a² = (−Y/a² + (1 − Y)/(1 − a²))/m.
Times σ′(z²) = a²(1 − a²) it gives δ² = ∂C/∂z² = (a² − Y)/m; then δ¹ = (W2ᵀ δ²) ⊙ σ′(z¹),
∂C/∂W = δ (a_prev)ᵀ and ∂C/∂b = Σ_samples δ.

Seed 003 writes the same backward pass per sample: its dZ = ∂L/∂z is m δ (no 1/m), and the
1/m of the mean moves into dW and db. Its slips — z₂ = w₂x, the 1/m on dW₂ but not db₂, w₂
where w₂ᵀ is meant — are mistakes here, named when a student makes them.

Every ``check_<exercise>(fn, seed=…)`` runs the student's function on examples drawn from
``seed`` and names the likely mistake (see :mod:`.engine`). The training exercise is judged by
what it must achieve, not by one reference trajectory: its first epochs must be gradient
descent from the student's *own* random start, and the trained network must reach
:data:`TRAIN_ACCURACY` on points the check draws afresh.
"""
from __future__ import annotations

from dataclasses import replace as _replace

import numpy as np

import bpkit as bp

from . import check as _check
from . import engine, ownwork
from .engine import Example, Exercise, Output
from .mistakes import CATALOGUE, HINTS, Mistake, select

try:
    from scipy import special as _special
except ImportError:  # pragma: no cover - bpkit itself needs SciPy
    _special = None

__all__ = ["EXERCISES", "REFERENCES", "TRAIN_ACCURACY", "cost_from_z", "check_cross_entropy_from_z",
           "check_cross_entropy_grad", "check_forward", "check_backward", "check_update",
           "check_predict", "check_train", "check_seed003_gradients"]

# What train must reach on fresh points of the same distribution (see _train_examples):
# correct full-batch gradient descent with the exercise's hyper-parameters reaches 99 % or more
# from any sensible start, a network whose boundary stays straight about 88 %.
TRAIN_ACCURACY = 0.95
TRAIN_LR, TRAIN_EPOCHS, TRAIN_NOISE = 10.0, 500, 0.1


# --- reference versions of every exercise (swapped in while a later one is checked) -----------

def cost_from_z(z, Y) -> float:
    """C = 1/m Σ [Y softplus(−z) + (1 − Y) softplus(z)], the cross-entropy of a = σ(z) computed
    from z: ln σ(z) = −softplus(−z), ln(1 − σ(z)) = −softplus(z), and np.logaddexp(0, t) is
    softplus(t) = ln(1 + e^t) without overflow. Equal to bp.cross_entropy(σ(z), Y) wherever that
    does not clip (tests/test_grading_stage3.py), and exact beyond: a sample with z = 1000 and
    label 0 costs 1000, not the −ln 1e-12 ≈ 27.6 a clipped a gives. z, Y: (n, m)."""
    z, Y = np.asarray(z, dtype=float), np.asarray(Y, dtype=float)
    return float(np.sum(Y * np.logaddexp(0.0, -z) + (1 - Y) * np.logaddexp(0.0, z)) / z.shape[1])


def _net(W1, b1, W2, b2):
    return bp.Network.from_params([W1, W2], [b1, b2], loss="cross_entropy")


# The references are the formulas Network itself runs, without its input checks: while a
# student's train runs they are called thousands of times, under the own-work monitor
# (tests/test_grading_stage3.py checks that they equal Network.forward/backward).
_SIGMA = bp.get_activation("sigmoid")
_CE = bp.losses.get_loss("cross_entropy")


def _ref_forward(W1, b1, W2, b2, X):
    z1 = W1 @ X + b1
    a1 = _SIGMA.f(z1)
    z2 = W2 @ a1 + b2
    return z1, a1, z2, _SIGMA.f(z2)


def _ref_backward(W1, b1, W2, b2, X, Y):
    z1, a1, z2, a2 = _ref_forward(W1, b1, W2, b2, X)
    delta2 = _CE.delta(a2, Y, z2, "sigmoid")                  # BP1: (a² − Y)/m
    delta1 = bp.bp2.__wrapped__(W2, delta2, z1, "sigmoid")     # BP2
    return (bp.bp4.__wrapped__(delta1, X), bp.bp3.__wrapped__(delta1),
            bp.bp4.__wrapped__(delta2, a1), bp.bp3.__wrapped__(delta2))


def _ref_update(W1, b1, W2, b2, dW1, db1, dW2, db2, lr):
    return W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2


def _ref_predict(W1, b1, W2, b2, X):
    return (_ref_forward(W1, b1, W2, b2, X)[3] > 0.5).astype(float)


REFERENCES = {"cross_entropy_from_z": cost_from_z, "cross_entropy_grad": _CE.grad,
              "forward": _ref_forward, "backward": _ref_backward, "update": _ref_update,
              "predict": _ref_predict}


def _earlier(*names):
    return {n: REFERENCES[n] for n in names}


def _opt(*objs):
    return tuple(o for o in objs if o is not None)


_BACKPROP = (bp.bp1, bp.bp2, bp.bp3, bp.bp4, bp.Network.backward, bp.numerical_gradient,
             bp.check_gradients, bp.delta_sigmoid_cross_entropy)


# --- the mistakes new in this stage -------------------------------------------------------------
# The engine's equations compute δ² as ∇_a C ⊙ σ′(z²) (grad, then bp1). A mistake of the output
# error either replaces ∇_a C (and keeps the σ′ of bp1), or replaces the whole δ² (bp1 = identity).

def _whole_delta(f):
    return {"grad": lambda a, y, loss: f(a, y), "bp1": lambda g, z, name, prime: g}


PRIME_AGAIN = Mistake(
    "ce.prime_again", "σ′ was applied again after a − y: for cross-entropy δ² = (a² − Y)/m "
    "already holds σ′(z²) — it cancelled the a(1 − a) in ∂C/∂a. (a² − Y)/m ⊙ σ′(z²) is the output "
    "error of the squared error",
    {"grad": lambda a, y, loss: (a - y) / a.shape[1]})
NO_ONE_MINUS_Y = Mistake(
    "ce.no_one_minus_y", "the (1 − y) term of the cost is missing: C = −1/m Σ [y ln a + (1 − y) "
    "ln(1 − a)], so ∂C/∂a = (−y/a + (1 − y)/(1 − a))/m — without the second term a sample "
    "labelled 0 never pushes its output down",
    {"grad": lambda a, y, loss: -y / (a * a.shape[1])})
M_FROM_ROWS = Mistake(
    "ce.m_from_rows", "you divided by the number of rows of X (the inputs, X.shape[0]) instead of "
    "m, the number of samples (X.shape[1] — samples are columns)",
    per_case=lambda c: _whole_delta(lambda a, y: (a - y) / c.X.shape[0]))
M_FROM_LEN = Mistake(
    "ce.len_y", "m was taken as len(Y), which is Y.shape[0], the number of outputs (rows); the "
    "number of samples is m = Y.shape[1]",
    _whole_delta(lambda a, y: (a - y) / y.shape[0]))
SEED_Z2 = Mistake(
    "seed003.z2_from_x", "z² was computed from X: z² = W2 a¹ + b2 — the output layer's input is "
    "the hidden activation a¹. Seed 003 prints z₂ = w₂x + b₂, a slip for w₂a₁ + b₂",
    per_case=lambda c: {"weighted_input": lambda W, a, b: W @ c.X + b})
_UNSIMPLIFIED = ("δ² was computed as ∂C/∂a ⊙ σ′(z²): right in exact arithmetic, but where the "
                 "output saturates (z² > 37, where a² = 1.0 exactly in float64) a²(1 − a²) is 0 and "
                 "the product loses δ² — use δ² = (a² − Y)/m, which never divides by a(1 − a)")
UNSIMPLIFIED = (
    Mistake("ce.unsimplified", _UNSIMPLIFIED,
            {"grad": lambda a, y, loss: bp.cross_entropy_grad(a, y)}),
    Mistake("ce.unsimplified_a", _UNSIMPLIFIED,
            {"grad": lambda a, y, loss: bp.cross_entropy_grad(a, y),
             "bp1": lambda g, z, name, prime: g * bp.sigmoid(z) * (1 - bp.sigmoid(z))}),
)

# The catalogue's two axis=0 sums share one description, so only the first value would be kept:
# axis=0 with keepdims=True (a row (1, m)) gets its own.
AXIS0_KEEP = Mistake(
    "bp3.axis0_keepdims", "∂C/∂b was summed over the wrong axis: axis=0 runs over the neurons "
    "(the rows) and keepdims=True keeps a row (1, m), one value per sample; the samples are the "
    "columns — np.sum(delta, axis=1, keepdims=True)", {"bp3": lambda d: d.sum(axis=0, keepdims=True)})

_HIDDEN_MISTAKES = ("bp2.no_transpose", "bp2.no_prime", "bp2.prime_twice", "bp2.prime.at_a",
                    "bp2.prime.z(1-z)")
_OUTPUT_MISTAKES = (PRIME_AGAIN, NO_ONE_MINUS_Y, M_FROM_ROWS, M_FROM_LEN, SEED_Z2, *UNSIMPLIFIED)


def _backward_mistakes():
    return [*_OUTPUT_MISTAKES, *(CATALOGUE[k] for k in _HIDDEN_MISTAKES), AXIS0_KEEP,
            *select("bp3", "bp4", "z.no_bias")]


# --- cases --------------------------------------------------------------------------------------

def _labels(rng, shape):
    """0/1 labels with both values present when there are at least two entries."""
    Y = rng.integers(0, 2, shape).astype(float)
    if Y.size > 1 and Y.min() == Y.max():
        Y.flat[0] = 1.0 - Y.flat[0]
    return Y


def _case(rng, sizes, m, weight_scale=1.0):
    c = engine.network_case(rng, sizes, m, loss="cross_entropy", weight_scale=weight_scale)
    return _replace(c, Y=_labels(rng, c.Y.shape))


def _distinct(rng, low, high, k):
    return [int(v) for v in rng.choice(np.arange(low, high), k, replace=False)]


def _m(rng, *avoid):
    return int(rng.choice([k for k in range(3, 9) if k not in avoid and k not in
                           {2 * a for a in avoid}]))


def _saturated(rng):
    """Large output weights: some z² beyond 37, where a² = σ(z²) is exactly 1.0 in float64, with
    both labels among them (one sample confidently wrong, the case cross-entropy is for), and
    some outputs far from saturation."""
    n0, n1 = _distinct(rng, 2, 6, 2)
    m = 8
    for _ in range(1000):
        c = _case(rng, [n0, n1, 1], m, weight_scale=3.0)
        W2 = rng.normal(0.0, 60.0, (1, n1))
        z2 = W2 @ c.net.forward(c.X).a[1]
        b2 = np.array([[float(20.0 - np.median(z2))]])
        z2 = z2 + b2
        high = z2 > 37.0
        if ((high & (c.Y == 0)).any() and (high & (c.Y == 1)).any()
                and int((np.abs(z2) < 20.0).sum()) >= 2):
            break
    return engine.Case((c.weights[0], W2), (c.biases[0], b2), c.X, c.Y, c.activations, c.loss)


def _params(c):
    return (c.weights[0], c.biases[0], c.weights[1], c.biases[1])


def _describe(c, names=("W1", "b1", "W2", "b2", "X", "Y"), note=""):
    """'(Inputs: W1 (3, 2), b1 (3, 1), …, X (2, 5) — m = 5 samples.)' for the named arguments."""
    values = (*_params(c), c.X, c.Y)
    parts = ", ".join(f"{n} {v.shape}" for n, v in zip(names, values))
    return f"(Inputs: {parts} — m = {c.m} sample{'s' if c.m != 1 else ''}.{note})"


def _pick_grads(s):
    return (s.dW[0], s.db[0], s.dW[1], s.db[1])


# --- exercise 1: the cost, from z -------------------------------------------------------------

_FROM_Z = ("Compute it from z, never through a = σ(z): with softplus(t) = ln(1 + e^t), "
           "ln σ(z) = −softplus(−z) and ln(1 − σ(z)) = −softplus(z), and np.logaddexp(0, t) "
           "computes softplus(t) with no overflow.")
_LOG0 = ("log of 0: at z = ±1000, σ(z) is exactly 1.0 or 0.0 in float64 (and e^1000 overflows), "
         "so ln a or ln(1 − a) is ln 0 = −inf, and 0·(−inf) is NaN. " + _FROM_Z)


def _one_number(value, name):
    """The cost as a float: any number, or an array holding exactly one number."""
    __tracebackhide__ = True
    if value is None:
        raise AssertionError(f"{name} returned None. Did you forget `return`? A function without "
                             f"a return statement returns None.")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise AssertionError(f"{name} returned {_check.describe(value)}, not a number.") from None
    if arr.size != 1:
        raise AssertionError(
            f"{name} returned {_check.describe(value)}, but the cost is one number: add up the "
            f"terms of every output (row) and every sample (column), and divide by m, the number "
            f"of samples (columns).")
    return float(arr.reshape(()))


def _cost_variants(z, Y):
    m, n = z.shape[1], z.shape[0]
    a = bp.sigmoid(z)
    out = {
        "the (1 − y) term is missing: C = −1/m Σ [y ln a + (1 − y) ln(1 − a)] — without the "
        "second term, samples labelled 0 cost nothing":
            float(np.sum(Y * np.logaddexp(0.0, -z)) / m),
        "you computed the squared error 1/(2m) Σ (a − y)², not the cross-entropy "
        "−1/m Σ [y ln a + (1 − y) ln(1 − a)]": float(np.sum((a - Y) ** 2) / (2 * m)),
        "you computed the squared error 1/m Σ (a − y)² (without even the ½), not the "
        "cross-entropy −1/m Σ [y ln a + (1 − y) ln(1 − a)]": float(np.sum((a - Y) ** 2) / m),
    }
    if n > 1:
        out[f"you averaged over every entry (np.mean), dividing by n·m = {n * m}: the cost "
            f"adds up the {n} outputs and averages over the m = {m} samples only — "
            f"np.sum(...) / m with m = Y.shape[1]"] = cost_from_z(z, Y) / n
    for eps in (1e-16, 1e-15, 1e-12, 1e-10, 1e-9, 1e-8, 1e-7):
        ac = np.clip(a, eps, 1 - eps)
        with np.errstate(all="ignore"):
            value = float(-np.sum(Y * np.log(ac) + (1 - Y) * np.log(1 - ac)) / m)
        out[f"a was clipped to [{eps:g}, 1 − {eps:g}]: that keeps ln finite but caps a sample's "
            f"cost at −ln ε ≈ {-np.log(eps):.3g}, while at z = 1000 with y = 0 the cost is "
            f"1000. " + _FROM_Z] = value
    return {k: v for k, v in out.items() if np.isfinite(v)}


def _cost_examples(seed):
    rng = np.random.default_rng(seed)
    m1, m2 = _m(rng, 1), _m(rng, 2)
    z_ext = engine.EXTREMES.copy()
    y_ext = np.array([[1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0]])
    order = rng.permutation(z_ext.shape[1])
    pairs = [(rng.normal(0.0, 3.0, (1, m1)), _labels(rng, (1, m1)), ""),
             (rng.normal(0.0, 3.0, (2, m2)), _labels(rng, (2, m2)), " Two outputs (rows): add up "
              "both rows' terms, average over the samples (columns)."),
             (z_ext[:, order], y_ext[:, order], " Entries from −1000 to 1000: a confidently wrong "
              "sample (z = 1000, y = 0) costs about 1000 — softplus(1000) = 1000.")]
    out = []
    for z, Y, note in pairs:
        hints = {"m": "it looks like the terms were summed over the samples without dividing by "
                      "m: C is the mean over the samples, −1/m Σ […]",
                 "1/m": "it looks like you divided by m twice: C = −1/m Σ […], once",
                 "sign": "C = −1/m Σ [y ln a + (1 − y) ln(1 − a)] is positive: ln of a number in "
                         "(0, 1) is negative, and the minus sign in front makes the cost positive",
                 "nonfinite": _LOG0,
                 "values": "C = −1/m Σ [y ln a + (1 − y) ln(1 − a)] with a = σ(z). " + _FROM_Z}
        out.append(Example(args=(z, Y), expected=(cost_from_z(z, Y),),
                           variants={"cost": _cost_variants(z, Y)}, m=z.shape[1],
                           context=f"(z and Y were {z.shape}, m = {z.shape[1]} samples.{note})",
                           hints={"cost": hints}))
    return out


def _explain_cost_warnings(fn, ex, outcome):
    warned = "; ".join(f"“{w}”" for w in dict.fromkeys(outcome.warnings))
    return f"cross_entropy_from_z: NumPy warned {warned}. {_LOG0}"


CROSS_ENTROPY_FROM_Z_SPEC = Exercise(
    name="cross_entropy_from_z", arg_names=("z", "Y"), outputs=(Output("cost", _one_number),),
    examples=_cost_examples,
    forbidden=ownwork.Forbidden((bp.cross_entropy, bp.Network.loss,
                                 *_opt(getattr(_special, "log_expit", None))),
                                silencers=ownwork.SILENCERS),
    warning_hint=_LOG0, explain_warnings=_explain_cost_warnings,
    doc="C = −1/m Σ [Y ln σ(z) + (1 − Y) ln(1 − σ(z))] computed from z: a float, exact and finite "
        "for z up to ±1000, with no NumPy warning; z, Y (n, m), the sum over the n outputs too.")


# --- exercise 2: ∂C/∂a ----------------------------------------------------------------------------

def _grad_examples(seed):
    rng = np.random.default_rng(seed)
    m1, m2 = _m(rng, 1), _m(rng, 2)
    out = []
    for n, m in ((1, m1), (2, m2), (1, 1)):
        a = rng.uniform(0.02, 0.98, (n, m))
        Y = _labels(rng, (n, m))
        variants = {
            "the (1 − y) term is missing: ∂C/∂a = (−y/a + (1 − y)/(1 − a))/m":
                -Y / (a * m),
            "the second term has the wrong sign: d/da ln(1 − a) = −1/(1 − a), so the term "
            "−(1 − y) ln(1 − a) of the cost gives +(1 − y)/(1 − a)":
                (-Y / a - (1 - Y) / (1 - a)) / m,
            "you returned (a − y)/m: that is δ = ∂C/∂z, after the factor σ′(z) = a(1 − a) — "
            "or ∂C/∂a of the squared error. ∂C/∂a itself is (−y/a + (1 − y)/(1 − a))/m":
                (a - Y) / m,
        }
        if n > 1:
            variants[f"you divided by n·m = {n * m} (every entry) instead of m = {m}, the number "
                     f"of samples (columns)"] = bp.cross_entropy_grad(a, Y) / n
        hints = {"m": "it looks like the 1/m of the mean is missing: C = −1/m Σ […], so every "
                      "entry of ∂C/∂a carries 1/m",
                 "values": "∂C/∂a = (−y/a + (1 − y)/(1 − a))/m, entry by entry (m = number of "
                           "columns)."}
        out.append(Example(args=(a, Y), expected=(bp.cross_entropy_grad(a, Y),),
                           variants={"dC_da": variants}, m=m, hints={"dC_da": hints},
                           context=f"(a and Y were {a.shape}, m = {m}.)"))
    return out


CROSS_ENTROPY_GRAD_SPEC = Exercise(
    name="cross_entropy_grad", arg_names=("a", "Y"), outputs=(Output("dC_da"),),
    examples=_grad_examples,
    forbidden=ownwork.Forbidden((bp.cross_entropy_grad, bp.numerical_gradient, bp.check_gradients)),
    doc="∂C/∂a = (−Y/a + (1 − Y)/(1 − a))/m, the shape of a (n, m), for outputs a in (0, 1).")


# --- exercise 3: the forward pass ---------------------------------------------------------------

def _forward_shape_hint(c) -> str:
    n1, n2, m = c.weights[0].shape[0], c.weights[1].shape[0], c.m
    return (f"Here W1 is {c.weights[0].shape}, W2 is {c.weights[1].shape} and X is {c.X.shape}: "
            f"z¹ = W1 X + b1 is ({n1}, {m}), and z² = W2 a¹ + b2 is ({n2}, {m}) — W2 multiplies "
            f"the hidden activations a¹ ({n1}, {m}), not X (seed 003 prints z₂ = w₂x + b₂: a "
            f"slip). `*` multiplies entry by entry; the weighted sums are @.")


def _forward_cases(seed):
    rng = np.random.default_rng(seed)
    n0, n1 = _distinct(rng, 2, 6, 2)
    n = int(rng.integers(2, 4))
    k = int(rng.choice([v for v in (1, 2, 4) if v != n]))
    return [_case(rng, [n0, n1, 1], _m(rng, n0, n1)),
            _case(rng, [n, n, k], _m(rng, n, k))]        # n0 = n1: seed 003's z₂ = w₂x runs


def _forward_examples(seed):
    out = []
    for c in _forward_cases(seed):
        pick = lambda s: (s.z[0], s.a[1], s.z[1], s.a[2])  # noqa: E731
        names = ("z1", "a1", "z2", "a2")
        variants = engine.variants_for(c, [*select("z", "a"), SEED_Z2], pick, names)
        variants["a2"].setdefault("the output's activation is missing: a² = σ(z²), not z²",
                                  c.right.z[1])
        out.append(Example(args=_params(c) + (c.X,), expected=pick(c.right), variants=variants,
                           context=_describe(c, ("W1", "b1", "W2", "b2", "X")),
                           shape_hint=_forward_shape_hint(c)))
    return out


FORWARD_SPEC = Exercise(
    name="forward", arg_names=("W1", "b1", "W2", "b2", "X"),
    outputs=(Output("z1"), Output("a1"), Output("z2"), Output("a2")), examples=_forward_examples,
    forbidden=ownwork.Forbidden((bp.weighted_input, bp.Network.forward, bp.Network.predict)),
    doc="(z1, a1, z2, a2): z¹ = W1 X + b1, a¹ = σ(z¹), z² = W2 a¹ + b2, a² = σ(z²).")


# --- exercise 4: the backward pass --------------------------------------------------------------

def _backward_shape_hint(c) -> str:
    (n1, n0), n2, m = c.weights[0].shape, c.weights[1].shape[0], c.m
    return (f"Here W1 is ({n1}, {n0}), W2 is ({n2}, {n1}), X is ({n0}, {m}), Y is ({n2}, {m}): "
            f"z², a², δ² are ({n2}, {m}) and z¹, a¹, δ¹ are ({n1}, {m}). z² = W2 a¹ + b2 (from a¹, "
            f"not X — seed 003's z₂ = w₂x is a slip). The error sent back is W2ᵀ δ², "
            f"({n1}, {n2}) @ ({n2}, {m}) → ({n1}, {m}), not W2 δ². ∂C/∂W = δ (a_prev)ᵀ. Keep Y "
            f"2-D, ({n2}, {m}): a 1-D label vector (Y.ravel(), Y[0]) loses the rows of several "
            f"outputs, and next to a column (m, 1) it broadcasts into an (m, m) matrix.")


def _backward_hints(c, seed003=False):
    m_hint = ("it looks like the 1/m of the mean is missing: δ² = (a² − Y)/m, and every gradient "
              "below inherits it (note that len(Y) is Y.shape[0], the number of rows, not the "
              "number of samples m = Y.shape[1])")
    hints = {"dW1": {**HINTS["bp4"], "m": m_hint}, "dW2": {**HINTS["bp4"], "m": m_hint},
             "db1": {**HINTS["bp3"], "m": m_hint},
             "db2": {**HINTS["bp3"], "m": "it looks like db2 has no 1/m while dW2 has it — seed "
                     "003's slip: its 8-14 puts 1/m on ∂L/∂w₂ but its 8-15, ∂L/∂b₂ = a₂ − y, "
                     "forgets it. Both come from the same δ² = (a² − Y)/m"}}
    if seed003:
        hints["dz2"] = {"1/m": "dz2 looks like the course's δ² = (a² − Y)/m: in seed 003's "
                               "convention dz2 = ∂L/∂z₂ = a₂ − y is per sample, without 1/m — "
                               "the 1/m belongs to dw and db (its 8-14)"}
        hints["dz1"] = {"1/m": "dz1 has a 1/m: in seed 003's convention dz1 = (w₂ᵀ dz2) ⊙ σ′(z₁) "
                               "is per sample; the 1/m belongs to dw and db"}
        for k in ("dw1", "db1"):
            hints[k] = {**HINTS["bp4" if k[1] == "w" else "bp3"],
                        "m": f"{k} is m times too large: seed 003's 8-18 and 8-19 are printed "
                             f"without the 1/m that its 8-14 has — the cost is the mean over m "
                             f"samples, so every dw and db carries 1/m"}
        hints["dw2"] = {**HINTS["bp4"], "m": hints["dw1"]["m"].replace("dw1", "dw2")}
        hints["db2"] = {**HINTS["bp3"], "m": "db2 is m times too large — seed 003's slip: its "
                        "8-14 puts 1/m on ∂L/∂w₂ but its 8-15, ∂L/∂b₂ = a₂ − y, forgets it"}
    return hints


def _backward_cases(seed):
    rng = np.random.default_rng(seed)
    n0, n1 = _distinct(rng, 2, 6, 2)
    n = int(rng.integers(2, 4))
    return [_case(rng, [n0, n1, 1], _m(rng, n0, n1)),
            _case(rng, [n, n, n], _m(rng, n)),          # square: w₂ x and W2 δ² run
            _case(rng, [n1, n0, 1], 1),
            _saturated(rng)]


def _backward_examples(seed):
    out = []
    cases = _backward_cases(seed)
    names = ("dW1", "db1", "dW2", "db2")
    for k, c in enumerate(cases):
        variants = engine.variants_for(c, _backward_mistakes(), _pick_grads, names)
        variants["db2"].setdefault(
            "∂C/∂b2 was neither summed over the samples nor divided by m — seed 003's 8-15 as "
            "printed, ∂L/∂b₂ = a₂ − y: b₂ is in every sample's z₂, so ∂C/∂b2 = Σ_samples δ² with "
            "δ² = (a² − Y)/m", c.m * c.right.delta[1])
        note = (" In this example some outputs saturate: z² > 37, where a² = σ(z²) is exactly "
                "1.0 in float64." if k == len(cases) - 1 else "")
        hints = _backward_hints(c)
        if note:
            for h in hints.values():
                h["values"] = _UNSIMPLIFIED + "."
        out.append(Example(args=_params(c) + (c.X, c.Y), expected=_pick_grads(c.right),
                           variants=variants, m=c.m, hints=hints,
                           context=_describe(c, note=note),
                           shape_hint=_backward_shape_hint(c)))
    return out


_SATURATION_WARNING = ("Where the output saturates (a² = 1.0 exactly), ∂C/∂a divides by 0 "
                       "(−y/a, (1 − y)/(1 − a)) and ∂C/∂a ⊙ σ′(z²) becomes 0·inf = NaN: compute "
                       "δ² = (a² − Y)/m directly — the σ′ has already cancelled.")

BACKWARD_SPEC = Exercise(
    name="backward", arg_names=("W1", "b1", "W2", "b2", "X", "Y"),
    outputs=(Output("dW1"), Output("db1"), Output("dW2"), Output("db2")),
    examples=_backward_examples, forbidden=ownwork.Forbidden(_BACKPROP),
    references=_earlier("cross_entropy_from_z", "cross_entropy_grad", "forward"),
    warning_hint=_SATURATION_WARNING, exact=True,
    doc="(dW1, db1, dW2, db2) of the cross-entropy C by backpropagation: δ² = (a² − Y)/m, "
        "δ¹ = (W2ᵀ δ²) ⊙ σ′(z¹), ∂C/∂W = δ (a_prev)ᵀ, ∂C/∂b = Σ_samples δ; exact to rounding, "
        "also where the output saturates.")


# --- exercise 5: the update -------------------------------------------------------------------------

def _update_examples(seed):
    rng = np.random.default_rng(seed)
    out = []
    for sizes in (_distinct(rng, 1, 6, 3), [2, 3, 1]):
        c = _case(rng, sizes, 2)
        params = _params(c)
        grads = tuple(rng.normal(0.0, 1.0, p.shape) for p in params)
        lr = float(np.round(rng.uniform(0.05, 2.0), 3))
        names = ("W1", "b1", "W2", "b2")
        variants = {n: {} for n in names}
        for mistake in select("step"):
            step = mistake.replace["step"]
            for n, p, g in zip(names, params, grads):
                variants[n][mistake.description] = step(p, g, lr)
        out.append(Example(args=(*params, *grads, lr),
                           expected=tuple(p - lr * g for p, g in zip(params, grads)),
                           variants=variants,
                           context=f"(Inputs: W1 {params[0].shape}, b1 {params[1].shape}, W2 "
                                   f"{params[2].shape}, b2 {params[3].shape}, the gradients of "
                                   f"the same shapes, lr = {lr}.)"))
    return out


UPDATE_SPEC = Exercise(
    name="update", arg_names=("W1", "b1", "W2", "b2", "dW1", "db1", "dW2", "db2", "lr"),
    outputs=(Output("W1"), Output("b1"), Output("W2"), Output("b2")), examples=_update_examples,
    forbidden=ownwork.Forbidden((bp.Network.step, bp.Network.fit)),
    doc="(W1 − lr·dW1, b1 − lr·db1, W2 − lr·dW2, b2 − lr·db2) as new arrays; no argument changes.")


# --- exercise 6: predict --------------------------------------------------------------------------

def _labels_out(value, name):
    """Labels may come back as booleans: read them as 0/1."""
    if isinstance(value, np.ndarray) and value.dtype == bool:
        return value.astype(float)
    return value


_FLAT_LABELS = ("keep the labels a row (1, m), like Y and like bpkit's functions expect: a 1-D "
                "label vector (m,) next to a column (m, 1) broadcasts silently into an (m, m) "
                "matrix — pred == y then compares every pair")


def _predict_examples(seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        n0, n1 = _distinct(rng, 2, 6, 2)
        m = int(rng.choice([6, 8, 10, 12]))
        c = _case(rng, [n0, n1, 1], m, weight_scale=2.0)
        z2 = c.net.forward(c.X).z[1]
        b2 = c.biases[1] - np.median(z2)             # about half of each label, none at ½
        c = engine.Case(c.weights, (c.biases[0], b2), c.X, c.Y, c.activations, c.loss)
        a2 = c.net.predict(c.X)
        labels = (a2 > 0.5).astype(float)
        variants = {"labels": {
            "you returned the probabilities a² = σ(z²): predict returns labels, 1 where a² > ½ "
            "and 0 elsewhere": a2,
            "the labels are flipped: label 1 where a² > ½ (the network's estimate of "
            "P(y = 1 | x) is above one half)": 1.0 - labels,
            "every label is 1: a² = σ(z²) is always positive, so compare it with ½ (or z² with 0),"
            " not with 0": np.ones_like(a2)}}
        out.append(Example(args=_params(c) + (c.X,), expected=(labels,), variants=variants,
                           hints={"labels": {"flat": _FLAT_LABELS}},
                           context=_describe(c, ("W1", "b1", "W2", "b2", "X"))))
    return out


PREDICT_SPEC = Exercise(
    name="predict", arg_names=("W1", "b1", "W2", "b2", "X"),
    outputs=(Output("labels", _labels_out),), examples=_predict_examples,
    forbidden=ownwork.Forbidden(_opt(bp.datasets.to_labels,
                                     getattr(bp.plotting, "_predict_labels", None))),
    references=_earlier("forward"),
    doc="Labels (1, m): 1 where a² > ½, else 0 (0/1 as numbers; booleans are read as 0/1).")


# --- exercise 7: training -------------------------------------------------------------------------

_TRAIN_NAMES = ("W1", "b1", "W2", "b2")
_SHORT = 3          # epochs of the run compared step by step with gradient descent


def _unpack(result, name, hidden, n0):
    """(W1, b1, W2, b2, losses) with the right shapes, or an AssertionError that says what."""
    __tracebackhide__ = True
    want = "return W1, b1, W2, b2, losses"
    if not isinstance(result, (tuple, list)) or len(result) != 5:
        raise AssertionError(f"{name} returned {_check.describe(result)}; it should return five "
                             f"values: `{want}`.")
    shapes = ((hidden, n0), (hidden, 1), (1, hidden), (1, 1))
    params = []
    for what, value, shape in zip(_TRAIN_NAMES, result[:4], shapes):
        if not isinstance(value, np.ndarray) or value.shape != shape:
            raise AssertionError(f"{name}: {what} is {_check.describe(value)}; with hidden = "
                                 f"{hidden} units and {n0} inputs it must be an array of shape "
                                 f"{shape}.")
        params.append(np.asarray(value, dtype=np.float64))
    return params, engine.numbers(result[4], name)


def _train_data(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(150, 251))
    hidden = int(rng.choice([8, 10]))
    data_seed = int(rng.integers(0, 2**31 - 2))
    X, Y = bp.datasets.moons(m, noise=TRAIN_NOISE, seed=data_seed)
    held_out = bp.datasets.moons(1000, noise=TRAIN_NOISE, seed=data_seed + 1)
    return X, Y, held_out, hidden, int(rng.integers(0, 1000))


def _train_examples(seed):
    X, Y, (Xt, Yt), hidden, s = _train_data(seed)
    m, lr, epochs = X.shape[1], TRAIN_LR, TRAIN_EPOCHS
    call_text = f"train(X, Y, hidden={hidden}, lr={lr}, epochs={{}}, seed={s})"
    data_text = f"moons: X {X.shape}, Y {Y.shape}"

    def start_of(call, name):
        __tracebackhide__ = True
        first = _unpack(call(X, Y, hidden, lr, 0, s), name, hidden, X.shape[0])
        again = _unpack(call(X, Y, hidden, lr, 0, s), name, hidden, X.shape[0])
        if not all(np.array_equal(p, q) for p, q in zip(first[0], again[0])):
            raise AssertionError(
                f"{name}: called twice with the same seed, {call_text.format(0)} started from "
                f"different weights. Draw the start from the seed you are given, "
                f"rng = np.random.default_rng(seed), then rng.normal(…): the same seed must "
                f"give the same network.")
        return first

    def judge_rule(result, call, compare):
        """The first epochs are full-batch gradient descent from train's own start."""
        __tracebackhide__ = True
        (W1, b1, W2, b2), losses0 = start_of(call, "train")
        if len(losses0) != 1:
            slip = (" It looks like the losses were recorded after each step only: losses[0] must "
                    "be the cost before any step (epochs + 1 entries in all)." if not len(losses0)
                    else "")
            raise AssertionError(f"train: with epochs = 0 (no update) losses must hold exactly one "
                                 f"number, the cost of the starting parameters; it held "
                                 f"{len(losses0)}.{slip}")
        case = engine.Case((W1, W2), (b1, b2), X, Y, ("sigmoid",), "cross_entropy")
        expected, variants = engine.training(
            case, lr, _SHORT, params=lambda Ws, bs: (Ws[0], bs[0], Ws[1], bs[1]),
            names=_TRAIN_NAMES, mistakes=[PRIME_AGAIN, NO_ONE_MINUS_Y, CATALOGUE["bp2.prime.at_a"],
                                          CATALOGUE["bp2.no_prime"], *select("step")],
            keep="W1, b1, W2, b2 = update(W1, b1, W2, b2, dW1, db1, dW2, db2, lr)")
        Ws, bs, _ = engine.train(case, lr, _SHORT)
        mse = np.array([bp.Network.from_params(W, b).loss(X, Y) for W, b in zip(Ws, bs)])
        for desc, value in (("the squared error 1/(2m) Σ (a − y)²", mse),
                            ("the squared error 1/m Σ (a − y)²", 2 * mse)):
            variants["losses"].setdefault(
                f"the losses are {desc}, not the cross-entropy C the network descends", value)
        hints = {"losses": {"m": "the losses look summed over the samples: C is the mean, "
                                 "−1/m Σ […]",
                            "values": "losses[k] is the cross-entropy C of the parameters after "
                                      "k epochs (losses[0]: the starting parameters)."}}
        compare(result, Example(
            args=(X, Y, hidden, lr, _SHORT, s), expected=expected, variants=variants, m=m,
            hints=hints,
            context=f"({call_text.format(_SHORT)} on {data_text}, compared with {_SHORT} epochs "
                    f"of full-batch gradient descent from the start {call_text.format(0)} "
                    f"returns.)"))

    def judge_goal(result, call, compare):
        """The full run: its losses, and the accuracy on points it has not seen."""
        __tracebackhide__ = True
        (W1, b1, W2, b2), losses = _unpack(result, "train", hidden, X.shape[0])
        where = f"({call_text.format(epochs)} on {data_text}.)"
        if len(losses) != epochs + 1:
            raise AssertionError(f"train: losses has {len(losses)} entries; with epochs = "
                                 f"{epochs} it must have epochs + 1 = {epochs + 1}: the cost "
                                 f"before training and after each epoch. {where}")
        net = _net(W1, b1, W2, b2)
        final = net.loss(X, Y)
        if not _check.close(losses[-1], final):
            raise AssertionError(
                f"train: losses[-1] = {losses[-1]:.6g}, but the cost of the parameters train "
                f"returned is {final:.6g}: record the cost after the last update, and return the "
                f"parameters it belongs to. {where}")
        accuracy, seen = net.accuracy(Xt, Yt), net.accuracy(X, Y)
        if accuracy >= TRAIN_ACCURACY:
            return
        (S1, _, _, _), _ = start_of(call, "train")
        why = (f"All {hidden} hidden units started with the same weights (every row of W1 is "
               f"equal — zeros, say): they get identical gradients and stay identical, so the "
               f"network acts like a single hidden unit and its boundary stays nearly straight. "
               f"Start from random weights: rng.normal(0, 1/√n_in, shape)."
               if np.allclose(S1, S1[:1]) else
               f"The cost went from {losses[0]:.4g} to {losses[-1]:.4g}. With random starting "
               f"weights of order 1/√n_in (rng.normal(0, 1/√n_in, shape)), biases 0, and "
               f"full-batch gradient descent at lr = {lr}, {epochs} epochs reach 99 %.")
        raise AssertionError(
            f"train: the trained network classifies only {100 * accuracy:.1f} % of 1000 new "
            f"points right ({100 * seen:.1f} % of the training points); at least "
            f"{100 * TRAIN_ACCURACY:.0f} % is required. {why} {where}")

    # The judges compute what they compare with from the student's own start; ``expected`` of
    # the first example shows the same for bpkit's start (Network(seed=s)), e.g. for reports.
    example_start = bp.Network([X.shape[0], hidden, 1], loss="cross_entropy", seed=s)
    example, _ = engine.training(
        engine.Case(tuple(example_start.weights), tuple(example_start.biases), X, Y,
                    ("sigmoid",), "cross_entropy"),
        lr, _SHORT, params=lambda Ws, bs: (Ws[0], bs[0], Ws[1], bs[1]), names=_TRAIN_NAMES)
    return [Example(args=(X, Y, hidden, lr, _SHORT, s), expected=example, m=m, judge=judge_rule),
            Example(args=(X, Y, hidden, lr, epochs, s), expected=(), m=m, judge=judge_goal)]


TRAIN_SPEC = Exercise(
    name="train", arg_names=("X", "Y", "hidden", "lr", "epochs", "seed"),
    outputs=(*(Output(n) for n in _TRAIN_NAMES), Output("losses", engine.numbers)),
    examples=_train_examples,
    forbidden=ownwork.Forbidden((bp.Network.fit,)),
    references=_earlier("cross_entropy_from_z", "cross_entropy_grad", "forward", "backward",
                        "update", "predict"),
    doc=f"(W1, b1, W2, b2, losses): full-batch gradient descent on the cross-entropy from a random "
        f"start drawn with `seed`; losses has epochs + 1 entries (losses[0]: the start). Judged "
        f"by what it must do: its first {_SHORT} epochs are gradient descent from its own start, "
        f"the same seed gives the same run, and with lr = {TRAIN_LR}, epochs = {TRAIN_EPOCHS} on "
        f"moons (noise {TRAIN_NOISE}) the network classifies at least "
        f"{100 * TRAIN_ACCURACY:.0f} % of 1000 fresh points right.")


# --- exercise 8: seed 003, fixed ------------------------------------------------------------------

_SEED003_NAMES = ("dz2", "dw2", "db2", "dz1", "dw1", "db1")


def _pick_seed003(c):
    m = c.m

    def pick(s):
        return (m * s.delta[1], s.dW[1], s.db[1], m * s.delta[0], s.dW[0], s.db[0])
    return pick


def _seed003_cases(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 4))
    n0, n1 = _distinct(rng, 2, 6, 2)
    return [_case(rng, [n, n, 1], _m(rng, n)),           # n0 = n1: the printed z₂ = w₂x runs
            _case(rng, [n, n, n], _m(rng, n)),           # square: w₂ dz₂ without ᵀ runs too
            _case(rng, [n0, n1, 1], _m(rng, n0, n1))]


def _seed003_examples(seed):
    out = []
    for c in _seed003_cases(seed):
        pick = _pick_seed003(c)
        mistakes = [SEED_Z2, PRIME_AGAIN, NO_ONE_MINUS_Y,
                    *(CATALOGUE[k] for k in _HIDDEN_MISTAKES), AXIS0_KEEP, *select("bp3", "bp4")]
        variants = engine.variants_for(c, mistakes, pick, _SEED003_NAMES)
        right = pick(c.right)
        variants["db2"].setdefault(
            "db2 is a₂ − y as printed in seed 003's 8-15: b₂ is in every sample's z₂, so db2 is "
            "summed over the samples, and like dw2 it carries the 1/m of the mean: "
            "db2 = (1/m) Σ dz2", right[0])
        variants["db1"].setdefault(
            "db1 is dz1 itself, as printed in seed 003's 8-19: sum it over the samples and "
            "divide by m, db1 = (1/m) Σ dz1", right[3])
        out.append(Example(
            args=_params(c) + (c.X, c.Y), expected=right, variants=variants, m=c.m,
            hints=_backward_hints(c, seed003=True),
            context=_describe(c, ("w1", "b1", "w2", "b2", "x", "y")),
            shape_hint=_backward_shape_hint(c).replace("δ²", "dz2").replace("δ¹", "dz1")))
    return out


SEED003_SPEC = Exercise(
    name="seed003_gradients", arg_names=("w1", "b1", "w2", "b2", "x", "y"),
    outputs=tuple(Output(n) for n in _SEED003_NAMES), examples=_seed003_examples,
    forbidden=ownwork.Forbidden(_BACKPROP),
    references=_earlier("cross_entropy_from_z", "cross_entropy_grad", "forward", "backward"),
    exact=True,
    doc="Seed 003's equations 8-13 … 8-19, corrected, in its own convention: dz2 = a2 − y and "
        "dz1 = (w2ᵀ dz2) ⊙ σ′(z1) per sample (no 1/m), dw = (1/m) dz a_prevᵀ, db = (1/m) Σ dz.")


EXERCISES = {s.name: s for s in (
    CROSS_ENTROPY_FROM_Z_SPEC, CROSS_ENTROPY_GRAD_SPEC, FORWARD_SPEC, BACKWARD_SPEC, UPDATE_SPEC,
    PREDICT_SPEC, TRAIN_SPEC, SEED003_SPEC)}

check_cross_entropy_from_z = engine.checker(CROSS_ENTROPY_FROM_Z_SPEC)
check_cross_entropy_grad = engine.checker(CROSS_ENTROPY_GRAD_SPEC)
check_forward = engine.checker(FORWARD_SPEC)
check_backward = engine.checker(BACKWARD_SPEC)
check_update = engine.checker(UPDATE_SPEC)
check_predict = engine.checker(PREDICT_SPEC)
check_train = engine.checker(TRAIN_SPEC)
check_seed003_gradients = engine.checker(SEED003_SPEC)
