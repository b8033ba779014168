"""Checks for stage 2, the three-layer network with squared error (solutions/02-three-layer-mse).

The network is [n0, n1, n2]: W1 (n1, n0), b1 (n1, 1), W2 (n2, n1), b2 (n2, 1), X (n0, m),
Y (n2, m); z¹ = W1 X + b1, a¹ = σ(z¹), z² = W2 a¹ + b2, a² = σ(z²) (or a² = z² for a linear
output); C = 1/(2m) Σ ||a² − y||²; δ² = (a² − Y)/m ⊙ σ′(z²) (BP1), δ¹ = (W2ᵀ δ²) ⊙ σ′(z¹) (BP2),
∂C/∂b = Σ_samples δ (BP3), ∂C/∂W = δ (a_prev)ᵀ (BP4).

Every ``check_<exercise>(fn, seed=…)`` runs the student's function on examples drawn from
``seed`` and names the likely mistake (see :mod:`.engine`); this module says what each
exercise is, and adds the mistakes new in this stage (a stale W², σ′ of the wrong layer,
σ′ kept on a linear output).
"""
from __future__ import annotations

import numpy as np

import bpkit as bp

from . import engine, ownwork
from .engine import Example, Exercise, Output
from .mistakes import HINTS, Mistake, select

__all__ = ["EXERCISES", "REFERENCES", "check_forward", "check_output_error", "check_hidden_error",
           "check_gradients", "check_train_step", "check_train_network", "check_fit_curve"]


# --- reference versions of every exercise (swapped in while a later one is checked) -----------

def _net(W1, b1, W2, b2, output="sigmoid"):
    return bp.Network.from_params([W1, W2], [b1, b2], activations=["sigmoid", output])


def _ref_forward(W1, b1, W2, b2, X):
    fwd = _net(W1, b1, W2, b2).forward(X)
    return fwd.z[0], fwd.a[1], fwd.z[1], fwd.a[2]


def _ref_output_error(a2, z2, Y):
    return bp.bp1(bp.mse_grad(a2, Y), z2, "sigmoid")


def _ref_hidden_error(W2, delta2, z1):
    return bp.bp2(W2, delta2, z1, "sigmoid")


def _ref_gradients(X, a1, delta1, delta2):
    return bp.bp4(delta1, X), bp.bp3(delta1), bp.bp4(delta2, a1), bp.bp3(delta2)


def _ref_train_step(W1, b1, W2, b2, X, Y, lr):
    net = _net(W1, b1, W2, b2)
    net.step(net.backward(X, Y), lr)
    return net.weights[0], net.biases[0], net.weights[1], net.biases[1]


REFERENCES = {"forward": _ref_forward, "output_error": _ref_output_error,
              "hidden_error": _ref_hidden_error, "gradients": _ref_gradients,
              "train_step": _ref_train_step}


def _earlier(*names):
    return {n: REFERENCES[n] for n in names}


_BACKPROP = (bp.bp1, bp.bp2, bp.bp3, bp.bp4, bp.Network.backward, bp.numerical_gradient,
             bp.check_gradients, bp.mse_grad)


# --- the mistakes new in this stage -------------------------------------------------------------

# σ′ taken at the output layer's z² in the hidden error (visible by value only when n1 = n2;
# otherwise the shapes clash, and the shape hint says the same).
PRIME_WRONG_LAYER = Mistake(
    "bp2.prime_next_layer", "σ′ of the wrong layer: the hidden error needs σ′ of the hidden "
    "layer's own weighted input, σ′(z¹), not σ′(z²)",
    per_case=lambda c: {"bp2": lambda W, d, z, name, prime: (W.T @ d) * prime(c.right.z[1], name)})

# A linear output has σ′ = 1: keeping the sigmoid's σ′(z²) there is seed 002's slip.
PRIME_ON_LINEAR = Mistake(
    "bp1.prime_on_linear", "σ′ was kept on the linear output: with a² = z², ∂a²/∂z² = 1, so "
    "δ² = (a² − Y)/m — seed 002 calls its output layer linear yet keeps σ′(u^J)",
    {"bp1": lambda g, z, name, prime: g * bp.sigmoid_prime(z)})

# A sigmoid left on the output of a regression network: a² is squashed into (0, 1).
SIGMOID_ON_LINEAR = Mistake(
    "a.sigmoid_on_linear", "the output went through a sigmoid: a linear output is a² = z², any "
    "real number — a sigmoid squashes it into (0, 1), which the curve leaves",
    {"activation": lambda z, name: bp.sigmoid(z), "bp1": lambda g, z, name, prime: g})

_HIDDEN_SHAPE = ("W2 is (n2, n1) and δ² is (n2, m): the error sent back to the hidden layer is "
                 "W2ᵀ δ², (n1, n2) @ (n2, m) → (n1, m), which is then multiplied entry by entry by "
                 "σ′(z¹), the hidden layer's own slope (n1, m).")


def _sizes(rng):
    """[n0, n1, n2] and m, all different (so a transpose, a wrong layer or a missing 1/m is
    visible in the shapes or the values), or n1 = n2 when a wrong layer must be visible by value."""
    n0, n1, n2 = (int(v) for v in rng.choice(np.arange(2, 7), 3, replace=False))
    m = int(rng.choice([k for k in range(3, 9) if k not in (n0, n1, n2)]))
    return [n0, n1, n2], m


def _cases(seed, output="sigmoid"):
    rng = np.random.default_rng(seed)
    sizes, m = _sizes(rng)
    acts = ("sigmoid", output)
    cases = [engine.network_case(rng, sizes, m, activations=acts),
             engine.network_case(rng, [sizes[0], 3, 3], 1, activations=acts)]
    if output == "identity":    # regression targets: any real number
        cases = [engine.Case(c.weights, c.biases, c.X, rng.normal(0.0, 1.0, c.Y.shape), acts)
                 for c in cases]
    return cases


def _params(c):
    return (c.weights[0], c.biases[0], c.weights[1], c.biases[1])


_GRADIENT_MISTAKES = ("grad", "bp1", "bp2", "bp3", "bp4")


def _examples(pick, names, mistakes, args, hints=None, shape_hint=None, m=True, extra=(),
              more=None):
    def examples(seed):
        out = []
        for c in _cases(seed):
            variants = engine.variants_for(c, [*select(*mistakes), *extra], pick, names)
            for name, found in (more(c) if more else {}).items():
                variants[name].update(found)
            out.append(Example(args=args(c), expected=pick(c.right), variants=variants,
                               m=c.m if m else None, context=c.describe(), hints=hints or {},
                               shape_hint=shape_hint))
        return out
    return examples


FORWARD_SPEC = Exercise(
    name="forward", arg_names=("W1", "b1", "W2", "b2", "X"),
    outputs=tuple(Output(n) for n in ("z1", "a1", "z2", "a2")),
    examples=_examples(lambda s: (s.z[0], s.a[1], s.z[1], s.a[2]), ("z1", "a1", "z2", "a2"),
                       ("z", "a"), lambda c: (*_params(c), c.X), m=False,
                       more=lambda c: {f"a{l}": {f"the sigmoid of layer {l} is missing: "
                                                 f"a{l} = σ(z{l}), not z{l}": c.right.z[l - 1]}
                                       for l in (1, 2)},
                       shape_hint="z¹ = W1 X + b1 is (n1, n0) @ (n0, m) → (n1, m); z² = W2 a¹ + b2 "
                                  "is (n2, n1) @ (n1, m) → (n2, m). Use @ for the weighted sums."),
    forbidden=ownwork.Forbidden((bp.Network.forward, bp.Network.predict, bp.weighted_input)),
    doc="(z1, a1, z2, a2) of the three-layer sigmoid network, every one (n_l, m).")

OUTPUT_ERROR_SPEC = Exercise(
    name="output_error", arg_names=("a2", "z2", "Y"), outputs=(Output("delta2"),),
    examples=_examples(lambda s: (s.delta[1],), ("delta2",), ("grad", "bp1"),
                       lambda c: (c.right.a[2], c.right.z[1], c.Y)),
    forbidden=ownwork.Forbidden(_BACKPROP), exact=True,
    doc="δ² = (a² − Y)/m ⊙ σ′(z²), (n2, m) — BP1 for the mean squared error.")

HIDDEN_ERROR_SPEC = Exercise(
    name="hidden_error", arg_names=("W2", "delta2", "z1"), outputs=(Output("delta1"),),
    examples=_examples(lambda s: (s.delta[0],), ("delta1",), ("bp2",),
                       lambda c: (c.weights[1], c.right.delta[1], c.right.z[0]), m=False,
                       shape_hint=_HIDDEN_SHAPE, extra=(PRIME_WRONG_LAYER,)),
    forbidden=ownwork.Forbidden(_BACKPROP), exact=True,
    doc="δ¹ = (W2ᵀ δ²) ⊙ σ′(z¹), (n1, m) — BP2, the error passed one layer back.")

_GRAD_NAMES = ("dW1", "db1", "dW2", "db2")
_GRAD_HINTS = {"dW1": HINTS["bp4"], "dW2": {
    **HINTS["bp4"], "transposed": "∂C/∂W2 must have the shape of W2: δ² (a¹)ᵀ, not a¹ (δ²)ᵀ — "
                                  "the order and transpose of seed 002's 'vector form' "
                                  "∂C/∂w = v^(l−1) δ^l are wrong"},
               "db1": HINTS["bp3"], "db2": HINTS["bp3"]}

GRADIENTS_SPEC = Exercise(
    name="gradients", arg_names=("X", "a1", "delta1", "delta2"),
    outputs=tuple(Output(n) for n in _GRAD_NAMES),
    examples=_examples(lambda s: (s.dW[0], s.db[0], s.dW[1], s.db[1]), _GRAD_NAMES, ("bp3", "bp4"),
                       lambda c: (c.X, c.right.a[1], c.right.delta[0], c.right.delta[1]),
                       hints=_GRAD_HINTS),
    forbidden=ownwork.Forbidden(_BACKPROP), exact=True,
    doc="(dW1, db1, dW2, db2): BP4 δ (a_prev)ᵀ and BP3 Σ_samples δ, for both layers.")


# --- the two-step update ---------------------------------------------------------------------------

def _step_examples(seed):
    out = []
    rng = np.random.default_rng(seed + 7)
    for c in _cases(seed):
        lr = float(np.round(rng.uniform(0.2, 2.0), 2))
        names = ("W1", "b1", "W2", "b2")

        def stepped(sol, lr_sign=1.0, step=lambda p, dp, lr: p - lr * dp):
            return (step(c.weights[0], sol.dW[0], lr), step(c.biases[0], sol.db[0], lr),
                    step(c.weights[1], sol.dW[1], lr), step(c.biases[1], sol.db[1], lr))

        right = _ref_train_step(*_params(c), c.X, c.Y, lr)
        variants = {n: {} for n in names}
        for mistake in [*select(*_GRADIENT_MISTAKES, "step"), PRIME_WRONG_LAYER]:
            eqs = mistake.equations(c)
            try:
                with np.errstate(all="ignore"):
                    sol = c.solve(**{k: v for k, v in eqs.items() if k != "step"})
                    wrong = stepped(sol, step=eqs.get("step", lambda p, dp, lr: p - lr * dp))
            except ValueError:
                continue
            for n, w in zip(names, wrong):
                variants[n].setdefault(mistake.description, w)
        # updating W2 before the hidden error is computed: δ¹ then uses the NEW W2
        sol = c.right
        W2_new = c.weights[1] - lr * sol.dW[1]
        d1 = (W2_new.T @ sol.delta[1]) * bp.sigmoid_prime(sol.z[0])
        stale = ("W2 was updated before the hidden error was computed, so δ¹ used the new W2: "
                 "first propagate every layer's error backwards with the current weights, then "
                 "update every layer (seed 001's two steps)")
        variants["W1"][stale] = c.weights[0] - lr * (d1 @ c.X.T)
        variants["b1"][stale] = c.biases[0] - lr * d1.sum(axis=1, keepdims=True)
        out.append(Example(args=(*_params(c), c.X, c.Y, lr), expected=right, variants=variants,
                           m=c.m, context=c.describe()[:-2] + f", lr = {lr}.)",
                           shape_hint=_HIDDEN_SHAPE))
    return out


TRAIN_STEP_SPEC = Exercise(
    name="train_step", arg_names=("W1", "b1", "W2", "b2", "X", "Y", "lr"),
    outputs=tuple(Output(n) for n in ("W1", "b1", "W2", "b2")), examples=_step_examples,
    forbidden=ownwork.Forbidden((*_BACKPROP, bp.Network.step, bp.Network.fit)),
    references=_earlier("forward", "output_error", "hidden_error", "gradients"), exact=True,
    doc="One step of gradient descent on the whole batch: every error first, then every update; "
        "new arrays, the arguments unchanged.")


# --- training loops -------------------------------------------------------------------------------

def _training_examples(output):
    def examples(seed):
        rng = np.random.default_rng(seed)
        if output == "sigmoid":
            X, Y = bp.datasets.xor()
            sizes = [2, int(rng.integers(2, 5)), 1]
        else:
            X = np.linspace(-2.0, 2.0, int(rng.integers(5, 9))).reshape(1, -1)
            Y = np.sin(1.5 * X) + 0.1 * rng.normal(size=X.shape)
            sizes = [1, int(rng.integers(3, 7)), 1]
        c0 = engine.network_case(rng, sizes, X.shape[1], activations=("sigmoid", output))
        c = engine.Case(c0.weights, c0.biases, X, Y, ("sigmoid", output))
        lr = float(np.round(rng.uniform(0.5, 2.0), 2)) if output == "sigmoid" else 0.2
        epochs = int(rng.integers(15, 30))
        mistakes = select("step.ascent", "step.no_lr", "grad", "bp1.no_prime", "bp2.no_prime",
                          "bp2.no_transpose")
        if output == "identity":
            mistakes += [PRIME_ON_LINEAR, SIGMOID_ON_LINEAR]
        expected, variants = engine.training(
            c, lr, epochs, params=lambda Ws, bs: (Ws[0], bs[0], Ws[1], bs[1]),
            names=("W1", "b1", "W2", "b2"), mistakes=mistakes)
        return [Example(args=(*_params(c), X, Y, lr, epochs), expected=expected, variants=variants,
                        m=X.shape[1], context=c.describe()[:-2] + f", lr = {lr}, epochs = {epochs}.)",
                        shape_hint=_HIDDEN_SHAPE)]
    return examples


_TRAIN_OUTPUTS = (*(Output(n) for n in ("W1", "b1", "W2", "b2")), Output("losses", engine.numbers))

TRAIN_NETWORK_SPEC = Exercise(
    name="train_network", arg_names=("W1", "b1", "W2", "b2", "X", "Y", "lr", "epochs"),
    outputs=_TRAIN_OUTPUTS, examples=_training_examples("sigmoid"),
    forbidden=ownwork.Forbidden((bp.Network.fit, bp.Network.step)),
    references=_earlier("forward", "output_error", "hidden_error", "gradients", "train_step"),
    doc="Full-batch gradient descent for `epochs` steps; losses has epochs + 1 entries (the "
        "cost before training, then after each step).")

FIT_CURVE_SPEC = Exercise(
    name="fit_curve", arg_names=("W1", "b1", "W2", "b2", "X", "Y", "lr", "epochs"),
    outputs=_TRAIN_OUTPUTS, examples=_training_examples("identity"),
    forbidden=ownwork.Forbidden((bp.Network.fit, bp.Network.step, *_BACKPROP)),
    references=_earlier("forward", "hidden_error", "gradients"),
    doc="As train_network, with a linear output a² = z² (σ′ = 1 there), fitting a 1-D curve.")


EXERCISES = {s.name: s for s in (FORWARD_SPEC, OUTPUT_ERROR_SPEC, HIDDEN_ERROR_SPEC, GRADIENTS_SPEC,
                                 TRAIN_STEP_SPEC, TRAIN_NETWORK_SPEC, FIT_CURVE_SPEC)}

check_forward = engine.checker(FORWARD_SPEC)
check_output_error = engine.checker(OUTPUT_ERROR_SPEC)
check_hidden_error = engine.checker(HIDDEN_ERROR_SPEC)
check_gradients = engine.checker(GRADIENTS_SPEC)
check_train_step = engine.checker(TRAIN_STEP_SPEC)
check_train_network = engine.checker(TRAIN_NETWORK_SPEC)
check_fit_curve = engine.checker(FIT_CURVE_SPEC)
