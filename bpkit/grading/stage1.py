"""Checks for stage 1, a single sigmoid neuron (solutions/01-single-neuron).

Notation (samples are columns): w (1, n), b (1, 1), X (n, m), y (1, m);
z = w X + b, a = σ(z), E = 1/(2m) Σ (a − y)²  (m = 1: seed 004's E = ½(out − y)²);
δ = ∂E/∂z = (a − y) ⊙ σ′(z) / m,  ∂E/∂w = δ Xᵀ (1, n),  ∂E/∂b = Σ_samples δ (1, 1).

Each ``check_<exercise>(fn, seed=…)`` runs the student's function on random inputs drawn from
``seed`` (shapes included), compares with bpkit's reference, and raises an AssertionError that
names the likely mistake. Every call also checks that the answer is the student's own work:
an answer that calls bpkit's version of the very function asked for (see ``FORBIDDEN``)
fails. bpkit's versions of *earlier* exercises are allowed (bp.sigmoid inside
neuron_forward, bp.sigmoid_prime inside neuron_gradients, …).

    from bpkit.grading import stage1
    stage1.check_neuron_gradients(neuron_gradients, seed=7)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .. import activations as _act
from .. import equations as _eq
from .. import gradcheck as _gc
from .. import losses as _losses
from ..network import Network
from . import check

try:  # bpkit's sigmoid kernel: as ready-made as bp.sigmoid itself
    from scipy.special import expit as _expit
except ImportError:  # pragma: no cover - bpkit itself needs SciPy
    _expit = None

__all__ = [
    "FORBIDDEN", "NeuronCase", "neuron_case", "reference_train",
    "check_sigmoid", "check_sigmoid_prime", "check_neuron_forward",
    "check_neuron_gradients", "check_gradient_step", "check_train_neuron",
]

# Exercise -> bpkit functions an answer may not call (public function, its private kernel, and
# whatever computes the answer wholesale). Earlier exercises' bpkit versions stay allowed.
FORBIDDEN: dict[str, tuple] = {  # (None entries, if SciPy were missing, are skipped)
    "sigmoid": (_act.sigmoid, _act._sigmoid, _expit),
    "sigmoid_prime": (_act.sigmoid_prime, _act._sigmoid_prime, _gc.numerical_gradient),
    "neuron_forward": (_eq.weighted_input, Network.forward, Network._forward, Network.predict),
    "neuron_gradients": (_eq.bp1, _eq.bp2, _eq.bp3, _eq.bp4, Network.backward,
                         Network._backward, _losses.mse_grad, _losses._mse_grad,
                         _gc.numerical_gradient, _gc.check_gradients),
    "gradient_step": (Network.step, Network._step, Network.fit),
    "train_neuron": (Network.fit, Network.step, Network._step),
}


def _sigma(z):
    return _act._sigmoid(np.asarray(z, dtype=np.float64))


def _sigma_prime(z):
    return _act._sigmoid_prime(np.asarray(z, dtype=np.float64))


# --- fixtures ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class NeuronCase:
    """One neuron and a batch: w (1, n), b (1, 1), X (n, m), y (1, m), with everything the
    reference computes from them (a consistent forward pass: a = σ(z) holds exactly)."""
    w: np.ndarray
    b: np.ndarray
    X: np.ndarray
    y: np.ndarray

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def m(self) -> int:
        return self.X.shape[1]

    @cached_property
    def z(self) -> np.ndarray:
        return self.w @ self.X + self.b

    @cached_property
    def a(self) -> np.ndarray:
        return _sigma(self.z)

    @cached_property
    def delta(self) -> np.ndarray:
        """δ = ∂E/∂z = (a − y) ⊙ σ′(z) / m, (1, m)."""
        return (self.a - self.y) * _sigma_prime(self.z) / self.m

    @cached_property
    def dw(self) -> np.ndarray:
        return self.delta @ self.X.T

    @cached_property
    def db(self) -> np.ndarray:
        return self.delta.sum(axis=1, keepdims=True)

    @property
    def E(self) -> float:
        return float(np.sum((self.a - self.y) ** 2) / (2 * self.m))

    def args(self) -> tuple:
        """Fresh copies of (w, b, X, y), so that a student's in-place change can't leak."""
        return self.w.copy(), self.b.copy(), self.X.copy(), self.y.copy()

    def context(self, with_y: bool = True) -> str:
        """'(Inputs: w (1, 3), b (1, 1), X (3, 5), y (1, 5) — n = 3 inputs, m = 5 samples.)'"""
        y = f", y {self.y.shape}" if with_y else ""
        return (f"(Inputs: w {self.w.shape}, b {self.b.shape}, X {self.X.shape}{y}"
                f" — n = {self.n} inputs, m = {self.m} samples.)")


def neuron_case(seed, n: int | None = None, m: int | None = None) -> NeuronCase:
    """A random neuron and batch from ``seed``. Unless given, n is 2…5 and m is 3…7 with
    m ≠ n and m ≠ 2n, so that a transposed or 1-D result and a missing 1/m are all recognisable.
    Targets y lie in [0, 1] and keep |a − y| ≥ 0.05, so no entry of δ is nearly zero."""
    rng = np.random.default_rng(seed)
    if n is None:
        n = int(rng.integers(2, 6))
    if m is None:
        # m ≠ n keeps transposes visible; m ≠ 2n keeps "divided by n" apart from "factor 2"
        m = int(rng.choice([k for k in range(3, 8) if k not in (n, 2 * n)]))
    w = rng.normal(0.0, 1.0, (1, n))
    b = rng.normal(0.0, 0.5, (1, 1))
    X = rng.normal(0.0, 1.0, (n, m))
    a = _sigma(w @ X + b)
    y = rng.uniform(0.0, 1.0, (1, m))
    for _ in range(100):
        near = np.abs(a - y) < 0.05
        if not near.any():
            break
        y[near] = rng.uniform(0.0, 1.0, int(near.sum()))
    return NeuronCase(w, b, X, y)


def reference_train(w, b, X, y, lr: float, epochs: int, grad_scale: float = 1.0):
    """Full-batch gradient descent, the reference for train_neuron.

    Returns (ws, bs, losses): ws[k], bs[k] are w, b after k steps (k = 0 … epochs) and
    losses[k] is E at ws[k], bs[k] — so train_neuron's losses are losses[:epochs], E
    *before* each step. grad_scale multiplies the gradients (to build wrong variants).
    """
    w, b = np.array(w, dtype=np.float64), np.array(b, dtype=np.float64)
    ws, bs, losses = [w], [b], []
    for k in range(epochs + 1):
        case = NeuronCase(w, b, X, y)
        losses.append(case.E)
        if k == epochs:
            break
        w = w - lr * grad_scale * case.dw
        b = b - lr * grad_scale * case.db
        ws.append(w)
        bs.append(b)
    return ws, bs, losses


# --- messages ---------------------------------------------------------------------------------

_STABILITY = (
    "sigmoid is not numerically stable: for z = {z}, {expr} = e^1000 is far beyond the largest "
    "float64 (about 1.8·10^308, reached near e^709), so it overflows to inf. Rearrange the "
    "formula so that exp only ever sees numbers ≤ 0: with e = np.exp(-np.abs(z)), "
    "σ(z) = 1/(1 + e) where z ≥ 0 and σ(z) = e/(1 + e) where z < 0 (top and bottom "
    "multiplied by e^z).")
_UNSTABLE = _STABILITY.format(z="−1000", expr="np.exp(−z)")

_WHERE = (
    "sigmoid gives the right values for z = ±1000, but NumPy warned ({warned}) both for "
    "z = −1000 and for z = 1000: np.exp got a large positive number either way. If you used "
    "np.where(z >= 0, formula1, formula2): np.where computes BOTH formulas for EVERY entry "
    "before it chooses, so the e^z formula still overflows at z = 1000 (and e^(−z) at "
    "z = −1000). Compute exp only of −|z| (e = np.exp(-np.abs(z)); both formulas can be "
    "written with it), or apply each formula only to its own entries with a boolean mask: "
    "out[pos] = …, out[~pos] = ….")

_SCALAR = ("sigmoid must also work for a plain number, e.g. sigmoid(0.5): start with "
           "z = np.asarray(z, dtype=float), which turns a number into a 0-d array that "
           "supports the same operations (boolean masks included).")

_SIGMOID_VARIANTS = lambda z: {  # noqa: E731
    "the minus sign in e^(−z) is missing: 1/(1 + e^z) is σ(−z), not σ(z) = 1/(1 + e^(−z))":
        _sigma(-z),
    "you forgot to take the reciprocal: σ(z) = 1/(1 + e^(−z)), not 1 + e^(−z)":
        1.0 + np.exp(-np.clip(z, -700, 700)),
    "you returned the derivative σ′(z) instead of σ(z)": _sigma_prime(z),
    "you returned tanh(z), not σ(z) = 1/(1 + e^(−z)) (they are related: σ(z) = (1 + tanh(z/2))/2)":
        np.tanh(z),
}

_SIGMOID_HINTS = {
    "values": "σ(z) = 1/(1 + e^(−z)); check your formula on single numbers first: "
              "sigmoid(0.0) must be 0.5 and sigmoid(2.0) about 0.8808.",
    "sign": "σ(z) = 1/(1 + e^(−z)) is always positive, between 0 and 1",
    "nonfinite": "An overflow or 0/0 in your formula: " + _UNSTABLE,
}


def _sigmoid_prime_variants(z):
    a = _sigma(z)
    return {
        "you used z(1 − z): that's σ′ written in terms of a, a(1 − a), but you were given z. "
        "Compute a = sigmoid(z) first, then return a * (1 - a)": z * (1 - z),
        "σ′ was evaluated at a = σ(z) instead of z: the sigmoid was applied twice, "
        "σ(σ(z))(1 − σ(σ(z))). sigmoid_prime receives z: compute a = sigmoid(z) once, then "
        "a * (1 - a)": _sigma_prime(a),
        "you returned σ(z) itself, not its derivative σ′(z) = σ(z)(1 − σ(z))": a,
        "the factor σ(z) is missing: σ′(z) = σ(z) · (1 − σ(z)) (and e^(−z)/(1 + e^(−z)) is only "
        "1 − σ(z) — in e^(−z)/(1 + e^(−z))² the denominator is squared)": 1 - a,
        "the factor (1 − σ(z)) is missing: σ′(z) = σ(z) · (1 − σ(z))": a,
        "you squared σ: σ′(z) = σ(z)(1 − σ(z)) = σ(z) − σ(z)², not σ(z)²": a * a,
    }


_SIGMOID_PRIME_HINTS = {
    "values": "σ′(z) = σ(z)(1 − σ(z)): compute a = sigmoid(z), then a * (1 - a). "
              "Check: sigmoid_prime(0.0) must be 0.25.",
    "sign": "σ′(z) = σ(z)(1 − σ(z)) is always positive (σ only ever increases): "
            "a * (1 - a), not a * (a - 1)",
}


def _forward_shape_hint(c: NeuronCase) -> str:
    return (f"Here w is {c.w.shape} and X is {c.X.shape}: z = w X + b is the matrix product "
            f"w @ X, {c.w.shape} @ {c.X.shape} → (1, {c.m}), with b (1, 1) added to every "
            f"column. `*` multiplies entry by entry — it is not the weighted sum; use @.")


def _gradients_shape_hint(c: NeuronCase) -> str:
    return (f"Here δ = ∂E/∂z is (1, {c.m}) and X is {c.X.shape}, so ∂E/∂w = δ Xᵀ is "
            f"(1, {c.m}) @ ({c.m}, {c.n}) → (1, {c.n}), the shape of w: note the transpose on X "
            f"(delta @ X.T). An elementwise product (*) needs equal shapes: write the shape of "
            f"every factor under your formula.")


def _gradient_variants(c: NeuronCase) -> tuple[dict, dict]:
    a, z, y, X, m, n = c.a, c.z, c.y, c.X, c.m, c.n
    wrong_delta = {
        "the σ′(z) factor is missing: δ = ∂E/∂z = (a − y) ⊙ σ′(z) / m — the chain rule passes "
        "through a = σ(z), so multiply by sigmoid_prime(z)": (a - y) / m,
        "σ′ was evaluated at a = σ(z) instead of z: use sigmoid_prime(z) (or a * (1 - a)), "
        "not sigmoid_prime(a)": (a - y) * _sigma_prime(a) / m,
        "you used z(1 − z): that's σ′ written in terms of a, a(1 − a), but you gave it z — "
        "use a * (1 - a) or sigmoid_prime(z)": (a - y) * z * (1 - z) / m,
        "you multiplied by σ(z) = a instead of σ′(z) = a(1 − a)": (a - y) * a / m,
        "there is an extra factor 2: the ½ in E = 1/(2m) Σ (a − y)² cancels the 2 from "
        "differentiating the square, so ∂E/∂a = (a − y)/m": 2 * c.delta,
    }
    dw = {desc: d @ X.T for desc, d in wrong_delta.items()}
    if n != m:
        dw[f"you divided by n = {n} (the number of inputs, X.shape[0]) instead of m = {m} "
           f"(the number of samples, X.shape[1])"] = c.dw * m / n
    dw["you multiplied elementwise, δ ⊙ X, and did not sum over the samples: ∂E/∂w = δ Xᵀ, "
       "and the matrix product delta @ X.T does that sum for you"] = c.delta * X
    db = {desc: d.sum(axis=1, keepdims=True) for desc, d in wrong_delta.items()}
    db.update({
        "∂E/∂b was not summed over the samples: you returned δ itself, one value per "
        "sample. ∂E/∂b = Σ over the samples of δ: np.sum(delta, axis=1, keepdims=True). "
        "(summing over axis=0, the rows, changes nothing for a single neuron: it has only "
        "one row)": c.delta,
        "∂E/∂b was summed over the wrong axis: axis=0 runs over the rows — a single neuron "
        "has only one — so nothing was added up. The samples are the columns: "
        "np.sum(delta, axis=1, keepdims=True)": c.delta.ravel(),
        "∂E/∂b has a factor x in it, but it has none: z = w X + b grows by exactly 1 when b "
        "grows by 1, so ∂E/∂b = Σ δ over the samples (b is like a weight whose input is "
        "always 1)": c.dw,
        "∂E/∂b has a factor x in it (one value per input), but it has none: ∂E/∂b = Σ δ "
        "over the samples, shape (1, 1)": c.dw.T,
    })
    return dw, db


def _gradient_hints(c: NeuronCase) -> dict:
    steps = ("Recompute step by step: z = w X + b, a = σ(z), δ = (a − y) ⊙ σ′(z) / m "
             f"(1, {c.m}), dw = δ Xᵀ (1, {c.n}), db = Σ δ over the samples (1, 1).")
    return {
        "dw": {"transposed": f"∂E/∂w must have the shape of w, (1, {c.n}): δ Xᵀ is "
                             f"delta @ X.T, not X @ delta.T",
               "flat": f"∂E/∂w must have the shape of w, (1, {c.n}) — a 2-D row, not "
                       f"({c.n},): compute delta @ X.T with delta of shape (1, {c.m}), not "
                       f"delta[0] or delta.ravel()",
               "values": steps},
        "db": {"1/m": "it looks like you averaged δ over the samples (np.mean): δ already "
                      "carries the 1/m, so ∂E/∂b = Σ δ — use np.sum, not np.mean",
               "number": "∂E/∂b must have the shape of b, (1, 1): "
                         "np.sum(delta, axis=1, keepdims=True), or .reshape(1, 1)",
               "flat": "∂E/∂b must have the shape of b, (1, 1): use keepdims=True, "
                       "np.sum(delta, axis=1, keepdims=True)",
               "values": steps},
    }


# --- the checks --------------------------------------------------------------------------------

def check_sigmoid(sigmoid, seed=0) -> None:
    """sigmoid(z): elementwise σ(z) for arrays of any shape and plain numbers (int or float),
    numerically stable (z = ±700, ±1000 give the right values and no NumPy warning)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    forbidden = FORBIDDEN["sigmoid"]
    rows = int(rng.integers(2, 5))
    shape = (rows, int(rng.integers(rows + 1, 8)))
    tests = [rng.normal(0.0, 3.0, shape), rng.normal(0.0, 3.0, (int(rng.integers(2, 7)),))]
    for z in tests:
        got = check.call(sigmoid, z.copy(), name="sigmoid", arg_names=["z"], forbidden=forbidden,
                         warning_hint=_UNSTABLE)
        check.check_array(got, _sigma(z), name="sigmoid", what="sigmoid(z)",
                          variants=_SIGMOID_VARIANTS(z), hints=_SIGMOID_HINTS,
                          context=f"(z was an array of shape {z.shape}; the result must have "
                                  f"the same shape.)")

    for z in (float(np.round(rng.normal(0.0, 2.0), 3)), 0.0, 0):
        got = check.call(sigmoid, z, name="sigmoid", arg_names=["z"], forbidden=forbidden,
                         hint=_SCALAR, warning_hint=_UNSTABLE)
        check.check_array(got, _sigma(float(z)), name="sigmoid", what=f"sigmoid({z!r})",
                          variants=_SIGMOID_VARIANTS(np.float64(z)), hints=_SIGMOID_HINTS,
                          context="(For a single number, return a single number.)")

    z = np.array([[-3, -1, 0, 2, 5]])
    got = check.call(sigmoid, z.copy(), name="sigmoid", arg_names=["z"], forbidden=forbidden,
                     warning_hint=_UNSTABLE)
    check.check_array(got, _sigma(z), name="sigmoid", what="sigmoid(z) for integer z",
                      variants=_SIGMOID_VARIANTS(z.astype(float)), hints=_SIGMOID_HINTS,
                      context="(z was np.array([[-3, -1, 0, 2, 5]]), an integer array.)")

    z = np.array([[-1000.0, -700.0, -50.0, -1.0, 0.0, 1.0, 50.0, 700.0, 1000.0]])
    expected = _sigma(z)
    outcome = check.run(sigmoid, z.copy(), forbidden=forbidden, arg_names=["z"])
    if outcome.forbidden:
        raise AssertionError(check.own_work_message("sigmoid", outcome.forbidden))
    if outcome.error is not None:
        raise AssertionError(check.exception_message(
            "sigmoid", outcome.error, "z of shape (1, 9) with entries from −1000 to 1000",
            hint=_UNSTABLE)) from outcome.error
    if outcome.warnings:
        _explain_instability(sigmoid, outcome, expected)
    check.check_array(outcome.result, expected, name="sigmoid", what="sigmoid(z)",
                      hints={**_SIGMOID_HINTS, "values": _UNSTABLE},
                      context=f"(z = {z.tolist()[0]}.)")
    if outcome.mutated:
        raise AssertionError(check.mutation_message("sigmoid", outcome.mutated))


def _explain_instability(sigmoid, outcome: check.Outcome, expected) -> None:
    """NumPy warned for z = ±1000: find out for which sign, and say why."""
    __tracebackhide__ = True
    warned = "; ".join(f"“{w}”" for w in dict.fromkeys(outcome.warnings))
    at = {sign: bool(check.run(sigmoid, np.array([[sign * 1000.0]])).warnings) for sign in (-1, 1)}
    if at[-1] and at[1] and check.close(outcome.result, expected):
        raise AssertionError(_WHERE.format(warned=warned))
    if at[1] and not at[-1]:
        message = _STABILITY.format(z="1000", expr="np.exp(z)")
    else:
        message = _UNSTABLE
    raise AssertionError(f"{message} (NumPy warned {warned}.)")


def check_sigmoid_prime(sigmoid_prime, seed=0) -> None:
    """sigmoid_prime(z) = σ(z)(1 − σ(z)), elementwise, for arrays and plain numbers."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    forbidden = FORBIDDEN["sigmoid_prime"]
    rows = int(rng.integers(2, 5))
    shape = (rows, int(rng.integers(rows + 1, 8)))
    for z in (rng.normal(0.0, 2.5, shape), np.array([[-30.0, -10.0, -2.5, 0.0, 2.5, 10.0, 30.0]])):
        got = check.call(sigmoid_prime, z.copy(), name="sigmoid_prime", arg_names=["z"],
                         forbidden=forbidden)
        check.check_array(got, _sigma_prime(z), name="sigmoid_prime", what="sigmoid_prime(z)",
                          variants=_sigmoid_prime_variants(z), hints=_SIGMOID_PRIME_HINTS,
                          context=f"(z was an array of shape {z.shape}; the result must have "
                                  f"the same shape.)")
    for z in (0.0, float(np.round(rng.normal(0.0, 2.0), 3))):
        got = check.call(sigmoid_prime, z, name="sigmoid_prime", arg_names=["z"],
                         forbidden=forbidden,
                         hint="sigmoid_prime must also work for a plain number, e.g. "
                              "sigmoid_prime(0.5).")
        check.check_array(got, _sigma_prime(z), name="sigmoid_prime",
                          what=f"sigmoid_prime({z!r})", variants=_sigmoid_prime_variants(np.float64(z)),
                          hints=_SIGMOID_PRIME_HINTS,
                          context="(For a single number, return a single number.)")


def check_neuron_forward(neuron_forward, seed=0) -> None:
    """neuron_forward(w, b, X) -> (z, a): z = w X + b and a = σ(z), both (1, m)."""
    __tracebackhide__ = True
    for c in (neuron_case(seed), neuron_case(seed + 1, m=1)):
        result = check.call(neuron_forward, *c.args()[:3], name="neuron_forward",
                            arg_names=["w", "b", "X"], forbidden=FORBIDDEN["neuron_forward"],
                            shape_hint=_forward_shape_hint(c))
        no_bias = c.w @ c.X
        variants = {
            "z": {"the bias b is missing: z = w X + b": no_bias,
                  "the sigmoid was applied to z as well: z = w X + b is the weighted input, "
                  "before the sigmoid": c.a},
            "a": {"the sigmoid is missing: a = σ(z), not z": c.z,
                  "the sigmoid was applied twice: a = σ(z), not σ(σ(z))": _sigma(c.a),
                  "you used σ′(z), the derivative, instead of σ(z)": _sigma_prime(c.z),
                  "the bias b is missing: z = w X + b": _sigma(no_bias)},
        }
        rows = (f"z and a are rows (1, {c.m}), one entry per sample: compute w @ X, "
                f"(1, {c.n}) @ ({c.n}, {c.m})")
        hints = {"z": {"transposed": rows, "flat": rows}, "a": {"transposed": rows, "flat": rows}}
        check.check_outputs(result, (c.z, c.a), name="neuron_forward", names=("z", "a"),
                            variants=variants, hints=hints, context=c.context(with_y=False))


def check_neuron_gradients(neuron_gradients, seed=0) -> None:
    """neuron_gradients(w, b, X, y) -> (dw, db): ∂E/∂w = δ Xᵀ (1, n), ∂E/∂b = Σ δ (1, 1),
    with δ = (a − y) ⊙ σ′(z) / m and E = 1/(2m) Σ (a − y)²."""
    __tracebackhide__ = True
    for c in (neuron_case(seed), neuron_case(seed + 1, m=1)):
        result = check.call(neuron_gradients, *c.args(), name="neuron_gradients",
                            arg_names=["w", "b", "X", "y"],
                            forbidden=FORBIDDEN["neuron_gradients"],
                            shape_hint=_gradients_shape_hint(c))
        dw_variants, db_variants = _gradient_variants(c)
        check.check_outputs(result, (c.dw, c.db), name="neuron_gradients", names=("dw", "db"),
                            m=c.m, variants={"dw": dw_variants, "db": db_variants},
                            hints=_gradient_hints(c), context=c.context())


def check_gradient_step(gradient_step, seed=0) -> None:
    """gradient_step(w, b, dw, db, lr) -> (w − lr·dw, b − lr·db), new arrays: the arguments
    are left unchanged."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    w, dw = rng.normal(0.0, 1.0, (1, n)), rng.normal(0.0, 1.0, (1, n))
    b, db = rng.normal(0.0, 1.0, (1, 1)), rng.normal(0.0, 1.0, (1, 1))
    lr = float(np.round(rng.uniform(0.05, 0.5), 3))
    result = check.call(gradient_step, w.copy(), b.copy(), dw.copy(), db.copy(), lr,
                        name="gradient_step", arg_names=["w", "b", "dw", "db", "lr"],
                        forbidden=FORBIDDEN["gradient_step"])

    def wrong(p, dp, P, dP):
        return {
            f"you moved uphill — gradient ascent, {P} + lr·{dP}. Gradient descent steps "
            f"against the gradient: {P}_new = {P} − lr·{dP}": p + lr * dp,
            f"the learning rate is missing: the step is lr·{dP}, not {dP}": p - dp,
            f"you returned only the step −lr·{dP}, not the new value {P} − lr·{dP}": -lr * dp,
            f"{P} came back unchanged: return the updated {P} − lr·{dP}": p,
            f"you divided by the learning rate instead of multiplying: {P} − lr·{dP}": p - dp / lr,
        }

    check.check_outputs(result, (w - lr * dw, b - lr * db), name="gradient_step",
                        names=("w_new", "b_new"),
                        variants={"w_new": wrong(w, dw, "w", "dw"), "b_new": wrong(b, db, "b", "db")},
                        context=f"(Inputs: w {w.shape}, b {b.shape}, dw {dw.shape}, "
                                f"db {db.shape}, lr = {lr}.)")


def check_train_neuron(train_neuron, seed=0) -> None:
    """train_neuron(w, b, X, y, lr, epochs) -> (w, b, losses): full-batch gradient descent
    from the given w, b; losses[k] is E before step k (len(losses) == epochs)."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 4)), int(rng.integers(4, 7))
    X = rng.normal(0.0, 1.0, (n, m))
    y = (rng.normal(0.0, 1.0, (1, n)) @ X + rng.normal(0.0, 0.3, (1, m)) > 0).astype(float)
    w0, b0 = rng.normal(0.0, 0.5, (1, n)), rng.normal(0.0, 0.5, (1, 1))
    lr = float(np.round(rng.uniform(0.5, 2.0), 2))
    epochs = int(rng.integers(12, 25))

    result = check.call(train_neuron, w0.copy(), b0.copy(), X.copy(), y.copy(), lr, epochs,
                        name="train_neuron", arg_names=["w", "b", "X", "y", "lr", "epochs"],
                        forbidden=FORBIDDEN["train_neuron"])
    context = (f"(Inputs: w {w0.shape}, b {b0.shape}, X {X.shape}, y {y.shape}, lr = {lr}, "
               f"epochs = {epochs}.)")
    ws, bs, losses = reference_train(w0, b0, X, y, lr, epochs + 1)
    asc_w, asc_b, _ = reference_train(w0, b0, X, y, -lr, epochs)
    big_w, big_b, _ = reference_train(w0, b0, X, y, lr, epochs, grad_scale=m)

    def trajectory_variants(traj, asc, big, P):
        return {
            f"gradient ascent: {P} moved uphill ({P} + lr·d{P} instead of {P} − lr·d{P}) — "
            f"check gradient_step": asc[epochs],
            f"one step too few: {epochs - 1} updates instead of epochs = {epochs} — loop "
            f"`for epoch in range(epochs):`": traj[epochs - 1],
            f"one step too many: {epochs + 1} updates instead of epochs = {epochs} — loop "
            f"`for epoch in range(epochs):`": traj[epochs + 1],
            f"{P} was never updated: it is still the initial {P}. Calling gradient_step(...) "
            f"changes nothing by itself — assign its result: "
            f"`w, b = gradient_step(w, b, dw, db, lr)`": traj[0],
            f"the gradients used were m = {m} times too large (the 1/m of the mean is missing) — "
            f"make sure neuron_gradients passes its test": big[epochs],
        }

    values = ("Make sure neuron_gradients and gradient_step pass their tests, and that each "
              "epoch (1) appends E for the current w, b, (2) computes dw, db at the current "
              "w, b, (3) replaces w, b by gradient_step(w, b, dw, db, lr).")
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        check.check_outputs(result, (ws[epochs], bs[epochs], losses[:epochs]),
                            name="train_neuron", names=("w", "b", "losses"), context=context)
    got_w, got_b, got_losses = result
    check.check_array(got_w, ws[epochs], name="train_neuron", what="the final w",
                      variants=trajectory_variants(ws, asc_w, big_w, "w"),
                      hints={"values": values}, context=context)
    check.check_array(got_b, bs[epochs], name="train_neuron", what="the final b",
                      variants=trajectory_variants(bs, asc_b, big_b, "b"),
                      hints={"values": values}, context=context)
    _check_losses(got_losses, losses, epochs, m, context)


def _check_losses(got, losses: list, epochs: int, m: int, context: str) -> None:
    __tracebackhide__ = True
    if got is None:
        raise AssertionError(f"train_neuron: losses is None — return the list of losses as the "
                             f"third value: `return w, b, losses`. {context}")
    if not isinstance(got, (list, tuple, np.ndarray)) or np.ndim(got) == 0:
        raise AssertionError(f"train_neuron: losses is {check.describe(got)}; it should be a "
                             f"list of {epochs} numbers, E before each step. {context}")
    values = []
    for k, item in enumerate(got):
        try:
            arr = np.asarray(item, dtype=np.float64)
        except (TypeError, ValueError):
            raise AssertionError(f"train_neuron: losses[{k}] is {check.describe(item)}, not a "
                                 f"number. {context}") from None
        if arr.size != 1:
            raise AssertionError(
                f"train_neuron: losses[{k}] is {check.describe(item)}, but each loss is one "
                f"number: E = 1/(2m) Σ (a − y)² adds up all m samples (np.mean or np.sum over "
                f"everything). {context}")
        values.append(float(arr.reshape(())))
    if len(values) != epochs:
        extra = ""
        if len(values) == epochs + 1:
            extra = (" One loss too many: record E before each of the epochs steps (losses[0] is "
                     "the loss of the initial w, b) and not again after the last step.")
        elif len(values) == 0:
            extra = " Did you forget `losses.append(...)` inside the loop?"
        raise AssertionError(f"train_neuron: len(losses) is {len(values)} but epochs = {epochs}: "
                             f"one loss per epoch, E before that epoch's step.{extra} {context}")
    expected = np.array(losses[:epochs])
    check.check_array(
        np.array(values), expected, name="train_neuron", what="losses", m=m,
        variants={
            "the losses were recorded after each step; this course records E before each "
            "step, so losses[0] is the loss of the initial w, b": np.array(losses[1:epochs + 1]),
            "the ½ is missing from E = 1/(2m) Σ (a − y)²": 2 * expected,
        },
        hints={"m": "it looks like E was summed over the samples instead of averaged: "
                    "E = 1/(2m) Σ (a − y)² (np.mean((a - y)**2) / 2)",
               "1/m": "it looks like E was divided by m twice: E = 1/(2m) Σ (a − y)²",
               "values": "losses[k] is E = 1/(2m) Σ (a − y)² for the w, b of epoch k, computed "
                         "before that epoch's step."},
        context=context)
