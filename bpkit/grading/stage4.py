"""Checks for stage 4, the general form: BP1–BP4 for L layers (solutions/04-general-bp1-bp4).

Any number of layers, an activation per layer, the quadratic cost or cross-entropy, a batch of m
columns. With weights[l−1] = W^l (n_l, n_(l−1)), zs[l−1] = z^l, As[l] = a^l (As[0] = X):

    BP1  δ^L = ∇_a C ⊙ σ_L′(z^L)               BP3  ∂C/∂b^l = Σ_samples δ^l     (n_l, 1)
    BP2  δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ_l′(z^l)  BP4  ∂C/∂W^l = δ^l (a^(l−1))ᵀ    (n_l, n_(l−1))

Right answers come from bpkit (Network.forward / backward / fit, numerical_gradient); the
classic mistakes of a general backward pass — an index off by one layer, a missing transpose,
@ where ⊙ belongs, the 1/m missing or twice, a sum over the wrong axis, the output layer's
activation hard-coded to the sigmoid, weights updated during the backward loop, the caller's
arrays changed through a shared reference — are the same equations with one replaced
(:meth:`.engine.Case.solve`), here or in :mod:`.mistakes`.

    from bpkit.grading import stage4
    stage4.check_backward_all(backward_all, seed=1)
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

import bpkit as bp

from . import check as _check
from . import engine, ownwork
from .engine import Case, Example, Exercise, Output
from .mistakes import CATALOGUE, HINTS, Mistake, select

__all__ = ["EXERCISES", "REFERENCES", "MISTAKES", "check_bp1", "check_bp2", "check_bp3",
           "check_bp4", "check_forward_all", "check_backward_all", "check_gradient_check",
           "check_sgd_epoch", "check_train_digits", "check_seed002_backward", "DIGITS_ACCURACY"]

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
PRIMES = {name: getattr(bp, f"{name}_prime") for name in ACTIVATIONS}
SIGMAS = {name: getattr(bp, name) for name in ACTIVATIONS}
DIGITS_ACCURACY = 0.95


# --- reference versions of every exercise: what a later check swaps in -----------------------

def _ref_bp1(grad_a, z, prime):
    return grad_a * prime(z)


def _ref_bp2(W_next, delta_next, z, prime):
    return (W_next.T @ delta_next) * prime(z)


def _ref_bp3(delta):
    return bp.bp3(delta)


def _ref_bp4(delta, a_prev):
    return bp.bp4(delta, a_prev)


def _net(weights, biases, activations, loss="mse"):
    return bp.Network.from_params(list(weights), list(biases), activations=list(activations),
                                  loss=loss)


def _ref_forward_all(weights, biases, activations, X):
    fwd = _net(weights, biases, activations).forward(X)
    return list(fwd.z), list(fwd.a)


def _ref_backward_all(weights, biases, activations, loss, X, Y):
    g = _net(weights, biases, activations, loss).backward(X, Y)
    return list(g.dW), list(g.db)


def _ref_sgd_epoch(weights, biases, activations, loss, X, Y, lr, batch_size, rng):
    net = _net(weights, biases, activations, loss)
    net.fit(X, Y, epochs=1, lr=lr, batch_size=batch_size, seed=rng, progress=False)
    return net.weights, net.biases


REFERENCES = {"bp1": _ref_bp1, "bp2": _ref_bp2, "bp3": _ref_bp3, "bp4": _ref_bp4,
              "forward_all": _ref_forward_all, "backward_all": _ref_backward_all,
              "sgd_epoch": _ref_sgd_epoch}


def _earlier(*names):
    return {n: REFERENCES[n] for n in names}


_BACKPROP = (bp.bp1, bp.bp2, bp.bp3, bp.bp4, bp.Network.backward, bp.numerical_gradient,
             bp.check_gradients)
_FORWARD = (bp.Network.forward, bp.Network.predict, bp.weighted_input)
_TRAIN = (bp.Network.fit, bp.Network.step)


# --- the mistakes new in this stage ------------------------------------------------------------
# BP2 at layer l is engine's hidden_error(weights, δ^(l+1), zs, names, l, eq): weights[l] is
# W^(l+1) and zs[l−1] is z^l (0-based lists). The off-by-one mistakes pick a neighbour.

def _prime_next(Ws, d, zs, names, l, e):
    return e.bp2(Ws[l], d, zs[l], names[l], e.prime)


def _prime_next_z(Ws, d, zs, names, l, e):
    return e.bp2(Ws[l], d, zs[l], names[l - 1], e.prime)


def _weights_this(Ws, d, zs, names, l, e):
    return e.bp2(Ws[l - 1], d, zs[l - 1], names[l - 1], e.prime)


def _last_sigmoid(case):
    """The same network with its output layer's activation replaced by the sigmoid."""
    acts = _layer_names(case)
    return Case(case.weights, case.biases, case.X, case.Y, (*acts[:-1], "sigmoid"), case.loss)


def _layer_names(case) -> tuple:
    return tuple(case.activations) * case.L if len(case.activations) == 1 else tuple(case.activations)


def _mse_grad_for_ce(case):
    if case.loss != "cross_entropy":
        return {}
    return {"grad": lambda a, y, loss: (a - y) / a.shape[1]}


def _updated_during_backward(lr):
    """BP2 with W^(l+1) already stepped: W^(l+1) − lr δ^(l+1) (a^l)ᵀ."""
    def hidden(Ws, d, zs, names, l, e):
        a_l = e.activation(zs[l - 1], names[l - 1])
        return e.bp2(Ws[l] - lr * e.bp4(d, a_l), d, zs[l - 1], names[l - 1], e.prime)
    return hidden


_ELEMENTWISE = ("⊙ is the elementwise product (*): each neuron's error is scaled by its own "
                "slope; the only matrix products in backpropagation are (W^(l+1))ᵀ δ^(l+1) "
                "and δ^l (a^(l−1))ᵀ")

MISTAKES: dict[str, Mistake] = {m.key: m for m in (
    Mistake("bp2.prime_next", "σ′ was taken of the next layer: BP2 at layer l multiplies by "
            "σ_l′(z^l), the slope of the layer whose error δ^l it computes, not σ_(l+1)′(z^(l+1)) "
            "— with 0-based lists (weights[0] = W^1, zs[0] = z^1) δ^l uses weights[l] "
            "but zs[l − 1] and activations[l − 1]", {"hidden_error": _prime_next}),
    Mistake("bp2.prime_next_z", "σ′ was taken of z^(l+1), the next layer's weighted input: BP2 "
            "at layer l multiplies by σ_l′(z^l) — with 0-based lists that is zs[l − 1] when "
            "W^(l+1) is weights[l]", {"hidden_error": _prime_next_z}),
    Mistake("bp2.weights_this", "W^l was used where W^(l+1) belongs: BP2 sends δ^(l+1) back "
            "through the weights it came through, δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(z^l) — with "
            "0-based lists (weights[0] = W^1) that is weights[l] next to zs[l − 1]",
            {"hidden_error": _weights_this}),
    Mistake("bp2.matmul_prime", "σ′(z^l) was matrix-multiplied (@) onto (W^(l+1))ᵀ δ^(l+1): "
            + _ELEMENTWISE, {"bp2": lambda W, d, z, name, prime: (W.T @ d) @ prime(z, name)}),
    Mistake("bp1.matmul_prime", "σ′(z^L) was matrix-multiplied (@) onto ∇_a C in BP1: "
            + _ELEMENTWISE, {"bp1": lambda g, z, name, prime: g @ prime(z, name)}),
    Mistake("bp4.matmul_no_transpose", "the transpose on a^(l−1) is missing: ∂C/∂W^l = "
            "δ^l (a^(l−1))ᵀ is delta @ a_prev.T", {"bp4": lambda d, a: d @ a}),
    Mistake("a.last_sigmoid", "the output layer used the sigmoid whatever its activation: σ_L is "
            "activations[-1], in the forward pass and in BP1's σ_L′(z^L) — don't hard-code "
            "sigmoid for the last layer", per_case=lambda c: {"_case": _last_sigmoid(c)}),
    Mistake("bp1.sigmoid_prime", "BP1 used the sigmoid's σ′ whatever the output layer's "
            "activation: δ^L = ∇_a C ⊙ σ_L′(z^L), with σ_L′ the derivative of activations[-1] — "
            "don't hard-code sigmoid for the last layer",
            {"bp1": lambda g, z, name, prime: g * bp.sigmoid_prime(z)}),
    Mistake("grad.mse_for_ce", "the quadratic cost's ∇_a C = (a − y)/m was used with "
            "loss='cross_entropy' (then multiplied by σ′): take the cost by its name — for "
            "cross-entropy ∇_a C = (a − y)/(m a(1 − a)), and with a sigmoid output BP1 becomes "
            "δ^L = (a − y)/m, with no σ′ left", per_case=_mse_grad_for_ce),
)}


def _solve(mistake: Mistake, case: Case):
    """A mistake's solution; '_case' swaps the network itself (a different activation)."""
    replace = dict(mistake.equations(case))
    other = replace.pop("_case", case)
    return other.solve(**replace) if replace else other.right


def _variants(case, mistakes, pick, names):
    """engine.variants_for, for catalogue and stage mistakes alike."""
    wrapped = [Mistake(m.key, m.description, per_case=(lambda c, m=m: m.equations(c)))
               for m in mistakes if "_case" not in m.equations(case)]
    out = engine.variants_for(case, wrapped, pick, names)
    right = pick(case.right)
    for m in mistakes:
        eqs = m.equations(case)
        if "_case" not in eqs:
            continue
        wrong = pick(_solve(m, case))
        for n, w, r in zip(names, wrong, right):
            if w.shape == r.shape and not np.allclose(w, r, rtol=1e-6, atol=1e-9):
                out[n].setdefault(m.description, w)
    return out


# --- cases ---------------------------------------------------------------------------------------

def _random_case(rng, square=False, L=None, loss=None, acts=None, m=None, smooth=False):
    """A random network: L = 1…4 layers of 1…5 neurons (or 3-3-…-3 with m = 3 when square),
    an activation per layer, the quadratic cost or cross-entropy (sigmoid output), m = 1…8."""
    L = int(rng.integers(1, 5)) if L is None else L
    loss = loss or ("cross_entropy" if rng.random() < 0.4 else "mse")
    pool = ("sigmoid", "tanh", "identity") if smooth else ACTIVATIONS
    if acts is None:
        acts = [str(rng.choice(pool)) for _ in range(L)]
        if loss == "cross_entropy":
            acts[-1] = "sigmoid"
    if square:
        sizes, m = [3] * (L + 1), 3 if m is None else m
    else:
        sizes = [int(rng.integers(1, 6)) for _ in range(L + 1)]
        m = int(rng.integers(1, 9)) if m is None else m
    return engine.network_case(rng, sizes, m, activations=tuple(acts), loss=loss)


def _describe(c: Case) -> str:
    acts = _layer_names(c)
    return (f"(Network {[c.X.shape[0]] + [W.shape[0] for W in c.weights]}, activations "
            f"{list(acts)}, loss {c.loss!r}, m = {c.m} sample{'s' if c.m != 1 else ''}.)")


def _backward_cases(seed):
    """A square 3-3-3-3 network first (so that a slip of layer index or transpose gives
    numbers, not a shape error), with a non-sigmoid output; then random architectures."""
    rng = np.random.default_rng([seed, 4])
    cases = [_random_case(rng, square=True, L=3, loss="mse", acts=("tanh", "sigmoid", "identity")),
             _random_case(rng, loss="cross_entropy", L=int(rng.integers(2, 4)))]
    cases += [_random_case(rng) for _ in range(2)]
    return cases


# --- exercises 1–4: the four equations on their own ---------------------------------------------

def _prime_hint(name):
    return (f"(Here prime is bp.{name}_prime, the slope of the layer's activation {name!r}: "
            f"call it on z.)")


def _bp1_examples(seed):
    rng = np.random.default_rng([seed, 1])
    out = []
    for k, name in enumerate(("sigmoid", *rng.permutation(["tanh", "relu", "identity"]))):
        n = 3 if k == 0 else int(rng.integers(1, 5))
        m = 3 if k == 0 else int(rng.choice([j for j in range(1, 8) if j != n]))
        g, z = rng.normal(0.0, 1.0, (n, m)), rng.normal(0.0, 2.0, (n, m))
        p, f = PRIMES[name], SIGMAS[name]
        wrong = {
            "∇_a C was matrix-multiplied (@) by σ′(z): " + _ELEMENTWISE: g @ p(z) if n == m else None,
            "σ′(z) is missing: δ^L = ∇_a C ⊙ σ′(z^L)": g,
            "σ(z), the activation, was used instead of its slope σ′(z)": g * f(z),
            "σ′ was evaluated at a = σ(z) instead of at z": g * p(f(z)),
        }
        out.append(Example(args=(g, z, p), expected=(bp.bp1(g, z, name),),
                           variants={"delta": {d: v for d, v in wrong.items() if v is not None}},
                           context=f"(Inputs: grad_a {g.shape}, z {z.shape}.) " + _prime_hint(name),
                           shape_hint="δ^L has the shape of z: BP1 is elementwise, "
                                      "grad_a * prime(z)."))
    return out


BP1_SPEC = Exercise(
    name="bp1", arg_names=("grad_a", "z", "prime"), outputs=(Output("delta"),),
    examples=_bp1_examples, forbidden=ownwork.Forbidden(_BACKPROP), exact=True,
    doc="BP1: δ^L = ∇_a C ⊙ σ′(z^L), (n_L, m); prime is the activation's σ′ as a function.")


def _bp2_examples(seed):
    rng = np.random.default_rng([seed, 2])
    out = []
    for k, name in enumerate(("tanh", *rng.permutation(["sigmoid", "relu", "identity"]))):
        if k == 0:
            n_next = n = m = 3
        else:
            n_next, n = int(rng.integers(1, 6)), int(rng.integers(1, 6))
            m = int(rng.choice([j for j in range(1, 8) if j not in (n, n_next)]))
        W, d, z = (rng.normal(0.0, 1.0, (n_next, n)), rng.normal(0.0, 1.0, (n_next, m)),
                   rng.normal(0.0, 2.0, (n, m)))
        prime = lambda z_, _name, p=PRIMES[name]: p(z_)  # noqa: E731
        wrong = {}
        for mistake in [*select("bp2.no_transpose", "bp2.no_prime", "bp2.prime_twice"),
                        MISTAKES["bp2.matmul_prime"]]:
            try:
                wrong[mistake.description] = mistake.replace["bp2"](W, d, z, name, prime)
            except ValueError:
                pass
        if n == n_next:
            wrong["the transpose went on δ^(l+1) instead of W^(l+1): (W^(l+1))ᵀ δ^(l+1) is "
                  "W_next.T @ delta_next"] = (W @ d) * PRIMES[name](z)
        out.append(Example(args=(W, d, z, PRIMES[name]), expected=(bp.bp2(W, d, z, name),),
                           variants={"delta": wrong},
                           context=f"(Inputs: W_next {W.shape}, delta_next {d.shape}, z {z.shape}.) "
                                   + _prime_hint(name),
                           shape_hint=(f"W_next is {W.shape} and delta_next {d.shape}: the error "
                                       f"goes back through the transpose, W_next.T @ delta_next "
                                       f"→ {(n, m)}, the shape of z; then ⊙ (*) with prime(z).")))
    return out


BP2_SPEC = Exercise(
    name="bp2", arg_names=("W_next", "delta_next", "z", "prime"), outputs=(Output("delta"),),
    examples=_bp2_examples, forbidden=ownwork.Forbidden(_BACKPROP), exact=True,
    doc="BP2: δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(z^l), (n_l, m).")


def _bp3_examples(seed):
    rng = np.random.default_rng([seed, 3])
    out = []
    for n, m in ((int(rng.integers(2, 5)), 0), (int(rng.integers(1, 5)), 1)):
        m = m or int(rng.choice([j for j in range(2, 8) if j != n]))
        d = rng.normal(0.0, 1.0, (n, m))
        wrong = {mk.description: mk.replace["bp3"](d) for mk in
                 select("bp3.unsummed", "bp3.axis0", "bp3.axis0_keep")}
        out.append(Example(args=(d,), expected=(bp.bp3(d),), variants={"db": wrong}, m=m,
                           hints={"db": HINTS["bp3"]}, context=f"(delta is {d.shape}.)"))
    return out


BP3_SPEC = Exercise(
    name="bp3", arg_names=("delta",), outputs=(Output("db"),), examples=_bp3_examples,
    forbidden=ownwork.Forbidden(_BACKPROP), exact=True,
    doc="BP3: ∂C/∂b^l = Σ_samples δ^l, (n_l, 1).")


def _bp4_examples(seed):
    rng = np.random.default_rng([seed, 5])
    out = []
    n = int(rng.integers(2, 5))
    shapes = [(n, n, n), (n, n, n + 2)]
    n_l, n_prev = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    shapes.append((n_l, n_prev, int(rng.choice([j for j in range(2, 8) if j not in (n_l, n_prev)]))))
    for n_l, n_prev, m in shapes:
        d, a = rng.normal(0.0, 1.0, (n_l, m)), rng.uniform(0.0, 1.0, (n_prev, m))
        wrong = {}
        for mk in (CATALOGUE["bp4.elementwise"], MISTAKES["bp4.matmul_no_transpose"]):
            try:
                wrong[mk.description] = mk.replace["bp4"](d, a)
            except ValueError:
                pass
        wrong["the transpose is on the wrong factor: ∂C/∂W^l = δ^l (a^(l−1))ᵀ (n_l, n_(l−1)), "
              "not a_prev @ delta.T"] = a @ d.T
        out.append(Example(args=(d, a), expected=(bp.bp4(d, a),), variants={"dW": wrong}, m=m,
                           hints={"dW": HINTS["bp4"]},
                           context=f"(Inputs: delta {d.shape}, a_prev {a.shape}.)",
                           shape_hint=(f"delta is {d.shape} and a_prev {a.shape}: "
                                       f"delta @ a_prev.T is ({n_l}, {m}) @ ({m}, {n_prev}) → "
                                       f"({n_l}, {n_prev}), the shape of W^l.")))
    return out


BP4_SPEC = Exercise(
    name="bp4", arg_names=("delta", "a_prev"), outputs=(Output("dW"),), examples=_bp4_examples,
    forbidden=ownwork.Forbidden(_BACKPROP), exact=True,
    doc="BP4: ∂C/∂W^l = δ^l (a^(l−1))ᵀ, (n_l, n_(l−1)).")


# --- exercise 5: the forward pass, every z^l and a^l kept ---------------------------------------

def _forward_examples(seed):
    rng = np.random.default_rng([seed, 6])
    cases = [_random_case(rng, L=3, acts=("relu", "tanh", "identity"), loss="mse"),
             _random_case(rng), _random_case(rng, L=1)]
    out = []
    for c in cases:
        acts = list(_layer_names(c))
        L = c.L
        names = (*(f"z{l}" for l in range(1, L + 1)), *(f"a{l}" for l in range(L + 1)))
        pick = lambda s: (*s.z, *s.a)  # noqa: E731
        variants = _variants(c, [*select("z", "a"), MISTAKES["a.last_sigmoid"]], pick, names)
        for l in range(1, L + 1):
            if not np.allclose(c.right.a[l], c.right.z[l - 1]):
                variants[f"z{l}"]["z^l was changed after it was stored: zs[l−1] holds a^l. "
                                  "Appending an array keeps a reference to it, not a copy, so "
                                  "computing a in place (z[...] = σ(z), np.maximum(z, 0, out=z), "
                                  "z *= …) changes the stored z too — compute a = sigma(z), "
                                  "a new array"] = c.right.a[l]
        out.append(Example(args=(list(c.weights), list(c.biases), acts, c.X),
                           expected=(c.right.z, c.right.a), variants=variants,
                           context=_describe(c),
                           shape_hint="z^l = W^l a^(l−1) + b^l: weights[l−1] @ As[l−1] + "
                                      "biases[l−1], (n_l, n_(l−1)) @ (n_(l−1), m) → (n_l, m)."))
    return out


FORWARD_ALL_SPEC = Exercise(
    name="forward_all", arg_names=("weights", "biases", "activations", "X"),
    outputs=(Output("zs", items="z{}", first=1), Output("As", items="a{}", first=0)),
    examples=_forward_examples, forbidden=ownwork.Forbidden(_FORWARD),
    doc="(zs, As): zs[l−1] = z^l = W^l a^(l−1) + b^l for l = 1 … L, As[l] = a^l = σ_l(z^l) "
        "with As[0] = X.")


# --- exercise 6: backward for any L ------------------------------------------------------------

_GRAD_HINTS = {"m": "it looks like δ^L is missing the 1/m of the mean cost: ∇_a C = (a − y)/m "
                    "(the same for cross-entropy); BP3 and BP4 then sum over the samples",
               "1/m": "it looks like the 1/m was applied twice: δ^L already carries it, so "
                      "BP3 and BP4 sum over the samples (no np.mean, no second / m)"}

# Stage mistakes first: where two give the same numbers (σ′ of an identity layer is 1, so
# "σ′ of the next layer" looks like "σ′ missing"), the more specific name is the one shown.
# axis0_keep before axis0: both say "the wrong axis", and (1, m) is what keepdims=True gives.
_BACKWARD_MISTAKES = [*MISTAKES.values(), CATALOGUE["bp3.axis0_keep"],
                      *select("bp1.no_prime", "bp2.no_transpose", "bp2.no_prime",
                              "bp2.prime_twice", "bp3", "bp4.elementwise",
                              "grad.factor2")]


def _backward_examples(seed):
    out = []
    for c in _backward_cases(seed):
        names = (*(f"dW{l}" for l in range(1, c.L + 1)), *(f"db{l}" for l in range(1, c.L + 1)))
        pick = lambda s: (*s.dW, *s.db)  # noqa: E731
        variants = _variants(c, _BACKWARD_MISTAKES, pick, names)
        hints = {n: {**HINTS["bp4" if n.startswith("dW") else "bp3"], **_GRAD_HINTS} for n in names}
        out.append(Example(args=(list(c.weights), list(c.biases), list(_layer_names(c)), c.loss,
                                 c.X, c.Y),
                           expected=(c.right.dW, c.right.db), variants=variants, m=c.m,
                           hints=hints, context=_describe(c),
                           shape_hint=("Write the shape of every factor: δ^l is (n_l, m); BP2 at "
                                       "layer l is (W^(l+1))ᵀ δ^(l+1) ⊙ σ_l′(z^l) with W^(l+1) = "
                                       "weights[l] and z^l = zs[l−1] (0-based lists); BP4 is "
                                       "δ^l (a^(l−1))ᵀ with a^(l−1) = As[l−1].")))
    return out


BACKWARD_ALL_SPEC = Exercise(
    name="backward_all", arg_names=("weights", "biases", "activations", "loss", "X", "Y"),
    outputs=(Output("dWs", items="dW{}"), Output("dbs", items="db{}")),
    examples=_backward_examples, forbidden=ownwork.Forbidden(_BACKPROP),
    references=_earlier("bp1", "bp2", "bp3", "bp4", "forward_all"), exact=True,
    doc="(dWs, dbs): dWs[l−1] = ∂C/∂W^l, dbs[l−1] = ∂C/∂b^l for every layer, by BP1 at the "
        "output, BP2 backwards, BP3 and BP4; the cost is 'mse' or 'cross_entropy'.")


# --- exercise 7: a whole-network gradient check -------------------------------------------------

def _cost_of(c: Case):
    acts = list(_layer_names(c))

    def cost(weights, biases):
        return _net(weights, biases, acts, c.loss).loss(c.X, c.Y)
    return cost


def _param_names(L):
    return [f"{p}{l}" for l in range(1, L + 1) for p in ("W", "b")]


def _errors_coerce(value, name):
    __tracebackhide__ = True
    if not isinstance(value, dict):
        raise AssertionError(f"{name} returned {_check.describe(value)}; return a dict "
                             f"of relative errors, one per parameter: {{'W1': …, 'b1': …, "
                             f"'W2': …, …}}.")
    L = len(value) // 2
    want = _param_names(L)
    if sorted(value) != sorted(want):
        raise AssertionError(f"{name} returned the keys {sorted(value)}; the keys must be the "
                             f"parameters' names, 'W1', 'b1', … up to 'WL', 'bL' (two per layer).")
    out = []
    for key in want:
        v = np.asarray(value[key], dtype=np.float64) if np.ndim(value[key]) == 0 or \
            np.size(value[key]) == 1 else None
        if v is None:
            raise AssertionError(f"{name}: the error for {key} is {_check.describe(value[key])}; "
                                 f"each relative error is one number, ||g − n|| / (||g|| + ||n||).")
        out.append(float(v.reshape(())))
    return np.array(out)


def _numeric(c: Case, eps: float, how: str = "central"):
    """Finite-difference gradients of the case's cost for every parameter, by bpkit."""
    cost = _cost_of(c)
    Ws, bs = [W.copy() for W in c.weights], [b.copy() for b in c.biases]
    out = []
    for l in range(c.L):
        for param in (Ws[l], bs[l]):
            f = lambda _: cost(Ws, bs)  # noqa: E731
            if how == "central":
                out.append(bp.numerical_gradient(f, param, eps=eps))
            elif how == "halved":
                out.append(2 * bp.numerical_gradient(f, param, eps=eps))
            elif how == "forward":
                base, g = f(None), np.zeros_like(param)
                for i in np.ndindex(param.shape):
                    old = param[i]
                    param[i] = old + eps
                    g[i] = (f(None) - base) / eps
                    param[i] = old
                out.append(g)
            else:  # every entry nudged at once
                old = param.copy()
                param += eps
                up = f(None)
                param -= 2 * eps
                down = f(None)
                param[...] = old
                out.append(np.full(param.shape, (up - down) / (2 * eps)))
    return out


def _rel(a, n):
    return bp.relative_error(a, n)


def _gradcheck_examples(seed):
    rng = np.random.default_rng([seed, 7])
    out = []
    for L in (2, int(rng.integers(1, 4))):
        c = _random_case(rng, L=L, smooth=True)
        c = engine.network_case(rng, [int(rng.integers(1, 4)) for _ in range(L + 1)],
                                int(rng.integers(2, 5)), activations=_layer_names(c), loss=c.loss)
        given = [g.copy() for pair in zip(c.right.dW, c.right.db) for g in pair]
        wrong = rng.permutation(len(given))[:max(1, len(given) // 2)]
        for k in wrong:     # a wrong gradient: right shape, each entry off by up to 60 %
            given[k] = given[k] * (1 + 0.6 * rng.uniform(-1.0, 1.0, given[k].shape)) + 0.05
        eps = 1e-6
        right = _numeric(c, eps)
        expected = np.array([_rel(g, n) for g, n in zip(given, right)])
        variants = {}
        for desc, nums in (
                ("you used the forward difference (C(p + ε) − C(p))/ε: its error shrinks only "
                 "like ε, so even a right gradient shows an error near 1e-6; the central "
                 "difference (C(p + ε) − C(p − ε))/(2ε) is far more accurate", _numeric(c, eps, "forward")),
                ("the 2 in 2ε is missing: (C(p + ε) − C(p − ε))/(2ε) — the two points are 2ε "
                 "apart", _numeric(c, eps, "halved")),
                ("you nudged every entry of a parameter at once: nudge ONE entry at a time and "
                 "record the change of C in that entry", _numeric(c, eps, "together"))):
            variants[desc] = np.array([_rel(g, n) for g, n in zip(given, nums)])
        with np.errstate(all="ignore"):
            variants["the relative error was divided by ||n|| only: use ||g − n|| / (||g|| + "
                     "||n||), which is symmetric and never divides by zero unless both are "
                     "zero"] = np.array([np.linalg.norm(g - n) / np.linalg.norm(n)
                                         for g, n in zip(given, right)])
            variants["you returned the absolute error ||g − n||: divide by ||g|| + ||n|| to make "
                     "it scale-free"] = np.array([np.linalg.norm(g - n) for g, n in zip(given, right)])
            variants["you returned the largest entrywise error max |g − n| / (|g| + |n|); the "
                     "course's relative error compares whole arrays: ||g − n|| / (||g|| + ||n||)"] = \
                np.array([np.max(np.abs(g - n) / (np.abs(g) + np.abs(n))) for g, n in zip(given, right)])
        variants = {k: v for k, v in variants.items() if np.all(np.isfinite(v))}
        names = _param_names(c.L)
        wrong_names = [names[k] for k in sorted(wrong)]
        out.append(Example(
            args=(_cost_of(c), [W.copy() for W in c.weights], [b.copy() for b in c.biases],
                  given[0::2], given[1::2]),
            kwargs={"eps": eps}, expected=(expected,), variants={"errors": variants},
            hints={"errors": {"values": f"errors holds {', '.join(names)} in that order. Here "
                                        f"{', '.join(wrong_names)} {'was' if len(wrong_names) == 1 else 'were'} "
                                        f"given wrong on purpose (relative errors near 0.1–1) and "
                                        f"the others right (near 1e-10).",
                              "shape": "one relative error per parameter: W1, b1, …, WL, bL."}},
            context=_describe(c)))
    return out


GRADIENT_CHECK_SPEC = Exercise(
    name="gradient_check", arg_names=("cost", "weights", "biases", "dWs", "dbs"),
    outputs=(Output("errors", _errors_coerce),), examples=_gradcheck_examples,
    forbidden=ownwork.Forbidden((bp.numerical_gradient, bp.check_gradients)),
    mutation_first=True,
    doc="{'W1': e, 'b1': e, …}: for every parameter p, the relative error ||g − n|| / (||g|| + "
        "||n||) between the given gradient g and n, p's central-difference gradient of "
        "cost(weights, biases); every nudged entry is put back.")


# --- exercise 8: one epoch of mini-batch SGD ------------------------------------------------------

def _epoch(c: Case, lr, B, order, scale_whole=False, shuffle_x_only=False, drop_last=False,
           **replace):
    """One epoch composed from the equations (with any replaced), for the wrong variants."""
    Ws, bs, m = list(c.weights), list(c.biases), c.m
    stop = m - m % B if drop_last else m
    for start in range(0, stop, B):
        idx = order[start:start + B]
        y_idx = np.arange(m)[start:start + B] if shuffle_x_only else idx
        batch = Case(tuple(Ws), tuple(bs), c.X[:, idx], c.Y[:, y_idx], c.activations, c.loss)
        s = batch.solve(**replace)
        k = len(idx) / m if scale_whole else 1.0
        Ws = [W - lr * k * dW for W, dW in zip(Ws, s.dW)]
        bs = [b - lr * k * db for b, db in zip(bs, s.db)]
    return Ws, bs


def _sgd_examples(seed):
    rng = np.random.default_rng([seed, 8])
    out = []
    for k in range(2):
        c = _random_case(rng, L=2 if k == 0 else None, m=int(rng.integers(7, 12)))
        B = int(rng.integers(2, 5)) if k == 0 else int(rng.integers(1, 9))
        if k == 0 and c.m % B == 0:
            B += 1
        lr = float(np.round(rng.uniform(0.1, 1.0), 2))
        s = int(rng.integers(0, 2**31))
        net = c.net
        net.fit(c.X, c.Y, epochs=1, lr=lr, batch_size=B, seed=s, progress=False)
        order = np.random.default_rng(s).permutation(c.m)
        L = c.L
        names = (*(f"W{l}" for l in range(1, L + 1)), *(f"b{l}" for l in range(1, L + 1)))
        variants = {n: {} for n in names}

        def add(desc, Ws_bs):
            for n, v, r in zip(names, (*Ws_bs[0], *Ws_bs[1]), (*net.weights, *net.biases)):
                if (v.shape == r.shape and np.all(np.isfinite(v))
                        and not np.allclose(v, r, rtol=1e-6, atol=1e-9)):
                    variants[n].setdefault(desc, v)

        with np.errstate(all="ignore"):      # a wrong rule may well overflow: no matter
            add("the weights were updated during the backward loop: W^(l+1) was stepped before "
                "δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(z^l) used it. Compute every δ of the batch first "
                "(backward_all), then update every layer",
                _epoch(c, lr, B, order, hidden_error=_updated_during_backward(lr)))
            add("the samples were not shuffled: take order = rng.permutation(m) once per epoch and "
                "the batches X[:, order[k:k + B]]", _epoch(c, lr, B, np.arange(c.m)))
            add("X was shuffled but Y was not: a batch's targets must be the columns of the same "
                "samples, Y[:, batch] with the same indices as X[:, batch]",
                _epoch(c, lr, B, order, shuffle_x_only=True))
            if c.m % B:
                add(f"the last, smaller batch was dropped: with m = {c.m} and batch_size = {B} the "
                    f"last batch holds {c.m % B} sample(s) and still takes its step",
                    _epoch(c, lr, B, order, drop_last=True))
            add("the whole set was one batch: the parameters must be updated after EVERY batch of "
                "batch_size samples, not once per epoch", _epoch(c, lr, c.m, order))
            add("each batch's gradient was divided by the whole set's m instead of the batch's: the "
                "cost of a batch is its own mean, so δ^L carries 1/(number of samples in the batch)",
                _epoch(c, lr, B, order, scale_whole=True))
            add(CATALOGUE["step.ascent"].description,
                _epoch(c, -lr, B, order))
        out.append(Example(
            args=(list(c.weights), list(c.biases), list(_layer_names(c)), c.loss, c.X, c.Y, lr, B,
                  np.random.default_rng(s)),
            expected=(net.weights, net.biases), variants=variants, context=(
                _describe(c)[:-2] + f", lr = {lr}, batch_size = {B}; rng = "
                f"np.random.default_rng({s}).)")))
    return out


SGD_EPOCH_SPEC = Exercise(
    name="sgd_epoch", arg_names=("weights", "biases", "activations", "loss", "X", "Y", "lr",
                                 "batch_size", "rng"),
    outputs=(Output("weights", items="W{}"), Output("biases", items="b{}")),
    examples=_sgd_examples, forbidden=ownwork.Forbidden((*_TRAIN, bp.Network.backward)),
    references=_earlier("bp1", "bp2", "bp3", "bp4", "forward_all", "backward_all"),
    doc="(weights, biases) after one epoch: order = rng.permutation(m); for each batch "
        "order[k:k + B], backward on X[:, batch], Y[:, batch], then W ← W − lr dW, b ← b − lr db "
        "for every layer. New arrays; the caller's are unchanged.")


# --- exercise 9: the digits --------------------------------------------------------------------

@lru_cache(maxsize=1)
def _digits():
    return bp.datasets.digits(seed=0)


def _accuracy_coerce(value, name):
    """The held-out accuracy of the returned network: 1.0 when ≥ DIGITS_ACCURACY, else an
    AssertionError saying what it reached."""
    __tracebackhide__ = True
    want = "`return weights, biases, activations`"
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise AssertionError(f"{name} returned {_check.describe(value)}; it should return "
                             f"three things, {want}.")
    weights, biases, activations = value
    X_test, Y_test = _digits()[2:]
    try:
        net = bp.Network.from_params(list(weights), list(biases), activations=activations)
        acc = net.accuracy(X_test, Y_test)
    except (TypeError, ValueError) as err:
        raise AssertionError(f"{name}: the network you returned cannot be evaluated: {err}") from None
    if acc < DIGITS_ACCURACY:
        raise AssertionError(
            f"{name}: your network classifies {acc:.1%} of the {X_test.shape[1]} held-out digits "
            f"right; at least {DIGITS_ACCURACY:.0%} is needed. Try a hidden layer of 30–60 "
            f"neurons, a sigmoid output with cross-entropy, mini-batches of 10–30 and a "
            f"learning rate around 0.5–3, for 20–60 epochs — and watch the training loss fall.")
    return np.array(1.0)


def _digits_examples(seed):
    X, Y = _digits()[:2]
    return [Example(args=(X.copy(), Y.copy(), int(seed)), expected=(np.array(1.0),),
                    context=f"(X {X.shape}, Y {Y.shape}, seed = {seed}.)")]


TRAIN_DIGITS_SPEC = Exercise(
    name="train_digits", arg_names=("X", "Y", "seed"),
    outputs=(Output("accuracy", _accuracy_coerce),), examples=_digits_examples,
    forbidden=ownwork.Forbidden((*_TRAIN, bp.Network.backward)),
    references=_earlier("bp1", "bp2", "bp3", "bp4", "forward_all", "backward_all", "sgd_epoch"),
    doc=f"(weights, biases, activations) of a network trained on the digits' training set that "
        f"classifies ≥ {DIGITS_ACCURACY:.0%} of the held-out set right.")


# --- exercise 10: seed 002's own convention -------------------------------------------------------

def _seed002_examples(seed):
    rng = np.random.default_rng([seed, 9])
    cases = [_random_case(rng, square=True, L=3, loss="mse", acts=("sigmoid",) * 3)]
    L = int(rng.integers(2, 4))
    cases.append(_random_case(rng, L=L, loss="mse", acts=("sigmoid",) * L))
    out = []
    for c in cases:
        L = c.L
        names = (*(f"dV{l}" for l in range(1, L + 1)), *(f"db{l}" for l in range(1, L + 1)))

        def pick(s):
            return (*(dW.T for dW in s.dW), *s.db)
        mistakes = [
            Mistake("k", "you kept the transpose of the course's BP2: in seed 002's layout V^(l+1) "
                    "already has one row per neuron of layer l, so the corrected index form "
                    "δ^l_j = Σ_k w^(l+1)_jk δ^(l+1)_k σ′(u^l_j) is (V^(l+1) δ^(l+1)) ⊙ σ′(u^l), "
                    "with no transpose", dict(CATALOGUE["bp2.no_transpose"].replace)),
            Mistake("k", "you kept seed 002's superscript slip: the weights between layers l and "
                    "l + 1 are V^(l+1) (weights[l]), not V^l", {"hidden_error": _weights_this_seed}),
            CATALOGUE["bp3.unsummed"], CATALOGUE["bp3.axis0_keep"]]
        variants = engine.variants_for(c, mistakes, pick, names)
        for l in range(1, L + 1):
            W = c.right.dW[l - 1]
            if W.shape == W.T.shape and not np.allclose(W, W.T):
                variants[f"dV{l}"].setdefault(
                    "you returned the gradients in the course's layout, δ^l (v^(l−1))ᵀ: in seed "
                    "002's layout V^l is (n_(l−1), n_l), so ∂C/∂V^l = v^(l−1) (δ^l)ᵀ", W)
        hints = {n: {"transposed": "in seed 002's layout V^l is (n_(l−1), n_l) — one row per "
                                   "neuron it comes FROM — so ∂C/∂V^l = v^(l−1) (δ^l)ᵀ has that "
                                   "shape; δ^l (v^(l−1))ᵀ is the course's layout"} for n in names}
        for n in names:
            if n.startswith("db"):
                hints[n] = HINTS["bp3"]
        seed_weights = [W.T.copy() for W in c.weights]
        out.append(Example(args=(seed_weights, list(c.biases), c.X, c.Y),
                           expected=(tuple(dW.T for dW in c.right.dW), c.right.db),
                           variants=variants, m=c.m, hints=hints,
                           context=(f"(Seed 002's layout: V^l is weights[l−1] of shape "
                                    f"{[V.shape for V in seed_weights]}; X {c.X.shape}, "
                                    f"Y {c.Y.shape}; sigmoid layers, quadratic cost.)"),
                           shape_hint=("In seed 002's layout u^l = (V^l)ᵀ v^(l−1) + b^l, so the "
                                       "error goes back as V^(l+1) δ^(l+1): (n_l, n_(l+1)) @ "
                                       "(n_(l+1), m) → (n_l, m).")))
    return out


def _weights_this_seed(Ws, d, zs, names, l, e):
    # In the course's terms V^l = (W^l)ᵀ, so seed 002's V^l δ^(l+1) is (W^l)ᵀ δ^(l+1).
    return e.bp2(Ws[l - 1], d, zs[l - 1], names[l - 1], e.prime)


SEED002_BACKWARD_SPEC = Exercise(
    name="seed002_backward", arg_names=("weights", "biases", "X", "Y"),
    outputs=(Output("dVs", items="dV{}"), Output("dbs", items="db{}")),
    examples=_seed002_examples, forbidden=ownwork.Forbidden(_BACKPROP),
    references=_earlier("bp1", "bp3", "forward_all", "backward_all"), exact=True,
    doc="(dVs, dbs) in seed 002's layout: weights[l−1] = V^l (n_(l−1), n_l), entry (i, j) from "
        "neuron i of layer l−1 to neuron j of layer l; u^l = (V^l)ᵀ v^(l−1) + b^l, sigmoid "
        "layers, C = 1/(2m) Σ ||v^L − t||²; dVs[l−1] = ∂C/∂V^l, dbs[l−1] = ∂C/∂b^l.")


EXERCISES = {s.name: s for s in (
    BP1_SPEC, BP2_SPEC, BP3_SPEC, BP4_SPEC, FORWARD_ALL_SPEC, BACKWARD_ALL_SPEC,
    GRADIENT_CHECK_SPEC, SGD_EPOCH_SPEC, TRAIN_DIGITS_SPEC, SEED002_BACKWARD_SPEC)}

check_bp1 = engine.checker(BP1_SPEC)
check_bp2 = engine.checker(BP2_SPEC)
check_bp3 = engine.checker(BP3_SPEC)
check_bp4 = engine.checker(BP4_SPEC)
check_forward_all = engine.checker(FORWARD_ALL_SPEC)
check_backward_all = engine.checker(BACKWARD_ALL_SPEC)
check_gradient_check = engine.checker(GRADIENT_CHECK_SPEC)
check_sgd_epoch = engine.checker(SGD_EPOCH_SPEC)
check_train_digits = engine.checker(TRAIN_DIGITS_SPEC)
check_seed002_backward = engine.checker(SEED002_BACKWARD_SPEC)
