"""One grading engine for every stage: cases, exercise specs, and the runner.

A stage's neuron, three-layer net and L-layer net are all :class:`bpkit.Network`\\ s, and
their classic mistakes are mistakes *of an equation* (BP1 without σ′, BP2 without the
transpose, BP3 over the wrong axis, a step uphill …). So grading is declarative:

* a :class:`Case` is a network and a batch drawn from a seed; its right answers come from
  bpkit itself (``Network.forward``/``backward``/``fit``), never a hand re-derivation;
* :meth:`Case.solve` recomputes the same quantities with *one equation replaced by a wrong
  one* — that is how every mistake of the catalogue (:mod:`.mistakes`) gets its value;
* an :class:`Exercise` says what the student's function takes and returns, which mistakes
  apply, what it may not call, and which earlier exercises it may build on;
* :func:`check` runs the student's function on every example of a seed, compares every
  returned value (name, shape, exact / close / max |difference|) and names the likely
  mistake. A stage module is its specs plus the mistakes new in that stage.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace as _dc_replace
from functools import cached_property
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

import bpkit as bp

from . import check as _check
from . import ownwork
from . import record as _record

__all__ = ["Case", "Example", "Output", "Exercise", "network_case", "check", "checker",
           "equations", "train", "training", "variants_for", "elementwise_examples", "numbers", "EXTREMES"]


# --- the equations, composable ----------------------------------------------------------------
# The defaults are the course's equations; a mistake replaces one of them. Right answers never
# come from here but from bpkit's Network (tests check that the defaults agree with it).

def _act(z, name):
    return bp.get_activation(name).f(z)


def _prime(z, name):
    return bp.get_activation(name).prime(z)


def equations(**replace) -> SimpleNamespace:
    """The equations of a forward and backward pass, with any of them replaced::

        weighted_input(W, a_prev, b)      z = W a + b
        activation(z, name)               a = σ(z)
        grad(a, y, loss)                  ∇_a C
        prime(z, name)                    σ′(z), used by bp1 and bp2
        bp1(grad_a, z, name, prime)       δ^L = ∇_a C ⊙ σ′(z^L)
        bp2(W_next, delta_next, z, name, prime)   δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(z^l)
        hidden_error(weights, delta_next, zs, names, l, eq)   BP2 at layer l (1 ≤ l < L), with
                                          the layer's own arguments picked from the lists
                                          (weights[l] = W^(l+1), zs[l−1] = z^l): replace it
                                          for a mistake of the layer index, e.g. W^l for W^(l+1)
        bp3(delta)                        Σ_samples δ
        bp4(delta, a_prev)                δ (a^(l−1))ᵀ
        step(p, dp, lr)                   p − lr dp
    """
    eq = SimpleNamespace(
        weighted_input=lambda W, a, b: W @ a + b,
        activation=_act,
        grad=lambda a, y, loss: (a - y) / a.shape[1] if loss == "mse"
        else (a - y) / (a * (1 - a) * a.shape[1]),
        prime=_prime,
        bp1=lambda g, z, name, prime: g * prime(z, name),
        bp2=lambda W, d, z, name, prime: (W.T @ d) * prime(z, name),
        bp3=lambda d: d.sum(axis=1, keepdims=True),
        bp4=lambda d, a: d @ a.T,
        step=lambda p, dp, lr: p - lr * dp,
    )
    eq.hidden_error = lambda Ws, d, zs, names, l, e: e.bp2(Ws[l], d, zs[l - 1], names[l - 1], e.prime)
    for key, f in replace.items():
        if not hasattr(eq, key):
            raise KeyError(f"no equation called {key!r}")
        setattr(eq, key, f)
    return eq


@dataclass(frozen=True)
class Case:
    """A network and a batch: weights[l−1] = W^l, biases[l−1] = b^l, X (n_0, m), Y (n_L, m)."""
    weights: tuple
    biases: tuple
    X: np.ndarray
    Y: np.ndarray
    activations: tuple = ("sigmoid",)
    loss: str = "mse"

    @property
    def m(self) -> int:
        return self.X.shape[1]

    @property
    def L(self) -> int:
        return len(self.weights)

    @cached_property
    def net(self) -> bp.Network:
        acts = self.activations[0] if len(self.activations) == 1 else list(self.activations)
        return bp.Network.from_params(list(self.weights), list(self.biases),
                                      activations=acts, loss=self.loss)

    @cached_property
    def right(self) -> SimpleNamespace:
        """bpkit's answers: z, a, delta, dW, db (lists, as Network names them) and cost."""
        fwd, g = self.net.forward(self.X), self.net.backward(self.X, self.Y)
        return SimpleNamespace(z=list(fwd.z), a=list(fwd.a), delta=list(g.delta), dW=list(g.dW),
                               db=list(g.db), cost=self.net.loss(self.X, self.Y))

    def solve(self, **replace) -> SimpleNamespace:
        """The same quantities as :attr:`right`, computed with equations replaced."""
        return _solve(self.weights, self.biases, self.X, self.Y, self.activations, self.loss,
                      equations(**replace))

    def describe(self, names: Sequence[str] | None = None) -> str:
        """'(Inputs: W (1, 3), b (1, 1), X (3, 5), Y (1, 5) — m = 5 samples.)'"""
        parts = []
        if self.L == 1 and names is None:
            names = ("w", "b", "X", "y")
        if names is not None:
            shapes = [self.weights[0].shape, self.biases[0].shape, self.X.shape, self.Y.shape]
            parts = [f"{n} {s}" for n, s in zip(names, shapes)]
        else:
            for l, (W, b) in enumerate(zip(self.weights, self.biases), 1):
                parts += [f"W{l} {W.shape}", f"b{l} {b.shape}"]
            parts += [f"X {self.X.shape}", f"Y {self.Y.shape}"]
        return f"(Inputs: {', '.join(parts)} — m = {self.m} sample{'s' if self.m != 1 else ''}.)"


def _solve(weights, biases, X, Y, activations, loss, eq) -> SimpleNamespace:
    acts = [activations[0]] * len(weights) if len(activations) == 1 else list(activations)
    z, a = [], [X]
    for W, b, name in zip(weights, biases, acts):
        z.append(eq.weighted_input(W, a[-1], b))
        a.append(eq.activation(z[-1], name))
    deltas = [eq.bp1(eq.grad(a[-1], Y, loss), z[-1], acts[-1], eq.prime)]
    for l in range(len(weights) - 1, 0, -1):
        deltas.insert(0, eq.hidden_error(weights, deltas[0], z, acts, l, eq))
    with np.errstate(all="ignore"):         # a wrong equation may well overflow
        cost = float(bp.losses.get_loss(loss).value(a[-1], Y))
    return SimpleNamespace(z=z, a=a, delta=deltas, dW=[eq.bp4(d, ap) for d, ap in zip(deltas, a)],
                           db=[eq.bp3(d) for d in deltas], cost=cost)


def network_case(rng: np.random.Generator, sizes: Sequence[int], m: int,
                 activations=("sigmoid",), loss: str = "mse", weight_scale: float = 1.0,
                 min_error: float = 0.05) -> Case:
    """A random network with the given sizes and a batch of m samples. Targets lie in [0, 1]
    and keep |a^L − y| ≥ min_error, so no entry of δ^L is nearly zero (a mistake that zeroes
    or scales one entry stays visible)."""
    weights = tuple(rng.normal(0.0, weight_scale, (n, k)) for k, n in zip(sizes[:-1], sizes[1:]))
    biases = tuple(rng.normal(0.0, 0.5, (n, 1)) for n in sizes[1:])
    X = rng.normal(0.0, 1.0, (sizes[0], m))
    case = Case(weights, biases, X, np.zeros((sizes[-1], m)), tuple(activations), loss)
    out = case.net.predict(X)
    Y = rng.uniform(0.0, 1.0, out.shape)
    for _ in range(100):
        near = np.abs(out - Y) < min_error
        if not near.any():
            break
        Y[near] = rng.uniform(0.0, 1.0, int(near.sum()))
    return _dc_replace(case, Y=Y)


def train(case: Case, lr: float, epochs: int, **replace) -> tuple[list, list, list]:
    """Full-batch gradient descent composed from the equations (with any replaced), for the
    wrong variants of a training exercise. Returns (weights, biases, costs): the parameters
    after each epoch k = 0 … epochs and the cost at each of them (costs[0]: before any step)."""
    eq = equations(**{k: v for k, v in replace.items() if k != "train"})
    W, b = list(case.weights), list(case.biases)
    Ws, bs, costs = [list(W)], [list(b)], []
    for k in range(epochs + 1):
        sol = _solve(W, b, case.X, case.Y, case.activations, case.loss, eq)
        costs.append(sol.cost)
        if k == epochs:
            break
        W = [eq.step(p, dp, lr) for p, dp in zip(W, sol.dW)]
        b = [eq.step(p, dp, lr) for p, dp in zip(b, sol.db)]
        Ws.append(list(W))
        bs.append(list(b))
    return Ws, bs, costs


def training(case: Case, lr: float, epochs: int, params: Callable, names: Sequence[str],
             mistakes: Iterable = (),
             keep: str = "w, b = gradient_step(w, b, dw, db, lr)") -> tuple[tuple, dict]:
    """The right results of a full-batch training exercise and their classic wrong variants.

    The right answer is bpkit's own ``Network.fit`` (batch = the whole set): the parameters
    ``params(weights, biases)`` it ends with, and its history of losses — epochs + 1 values,
    the cost before training and after each epoch. Variants: the catalogue ``mistakes`` (a wrong
    equation used at every step), one epoch too few or too many, parameters never updated, the
    1/m missing, and the losses recorded at the wrong time or (quadratic cost) without the ½.
    Returns (expected, variants), with the losses last, named "losses". ``keep``: how the
    exercise's own update step is called, for the hint when the parameters never change.
    """
    net = case.net
    history = net.fit(case.X, case.Y, epochs=epochs, lr=lr, batch_size=case.m, seed=0,
                      progress=False)
    expected = (*params(net.weights, net.biases), np.array(history.loss, dtype=float))
    variants: dict = {k: {} for k in (*names, "losses")}
    Ws, bs, costs = train(case, lr, epochs + 1)
    ok = np.array(costs[:epochs + 1])
    variants["losses"].update({  # first: they win over equal values added below
        "the losses were recorded before each step only: with the course's convention losses has "
        "epochs + 1 entries — losses[0] is the cost before training and losses[k] the cost after "
        "k epochs, so record once before the loop and once after every step": ok[:epochs],
        "the losses were recorded after each step only: losses[0] must be the cost before any "
        "step (epochs + 1 entries in all)": ok[1:],
    })
    if case.loss == "mse":
        variants["losses"]["the ½ is missing from the cost C = 1/(2m) Σ ||a − y||²"] = 2 * ok

    def add(desc, Ws, bs, costs, k=epochs):
        for n, v in zip(names, params(Ws[k], bs[k])):
            variants[n].setdefault(desc, v)
        variants["losses"].setdefault(desc, np.array(costs))

    add(f"one epoch too few: {epochs - 1} updates instead of epochs = {epochs} — loop "
        f"`for epoch in range(epochs):`", Ws, bs, costs[:epochs], k=epochs - 1)
    add(f"one epoch too many: {epochs + 1} updates instead of epochs = {epochs}", Ws, bs,
        costs[:epochs + 2], k=epochs + 1)
    add("the parameters were never updated: a function that returns new arrays changes nothing "
        f"by itself — keep what it returns, e.g. `{keep}`",
        Ws, bs, [costs[0]] * (epochs + 1), k=0)
    for mistake in mistakes:
        try:
            with np.errstate(all="ignore"):
                add(mistake.description, *train(case, lr, epochs, **mistake.equations(case)))
        except (ValueError, FloatingPointError):
            continue    # the mistake fails on these shapes: the student sees a shape error
    # ∇_a C without the mean's 1/m (for the quadratic cost: a − y)
    grad_no_m = ((lambda a, y, loss: a - y) if case.loss == "mse"
                 else (lambda a, y, loss: equations().grad(a, y, loss) * a.shape[1]))
    with np.errstate(all="ignore"):         # m times the step may well overflow
        add(f"the gradients were m = {case.m} times too large (the 1/m of the mean is missing)",
            *train(case, lr, epochs, grad=grad_no_m))
    return expected, variants


# --- example builders that several stages share ------------------------------------------------

_SCALAR = ("{name} must also work for a plain number, e.g. {name}(0.5): start with "
           "z = np.asarray(z, dtype=float), which turns a number into a 0-d array that supports "
           "the same operations (boolean masks included).")
EXTREMES = np.array([[-1000.0, -700.0, -50.0, -1.0, 0.0, 1.0, 50.0, 700.0, 1000.0]])


def elementwise_examples(f_right, variants, hints, name):
    """Examples for an elementwise function of z: random arrays (2-D and 1-D, whose shape must
    be kept), plain numbers (a number back), an integer array, and the extremes ±1000."""
    def examples(seed):
        rng = np.random.default_rng(seed)
        rows = int(rng.integers(2, 5))
        zs = [rng.normal(0.0, 3.0, (rows, int(rng.integers(rows + 1, 8)))),
              rng.normal(0.0, 3.0, (int(rng.integers(2, 7)),)),
              float(np.round(rng.normal(0.0, 2.0), 3)), 0.0, 0,
              np.array([[-3, -1, 0, 2, 5]]), EXTREMES.copy()]
        out = []
        for z in zs:
            zf = np.asarray(z, dtype=float)
            if isinstance(z, (int, float)):
                ctx, err = "(For a single number, return a single number.)", _SCALAR.format(name=name)
            elif np.asarray(z).dtype.kind == "i":
                ctx, err = f"(z was {np.asarray(z).tolist()}, an integer array.)", None
            else:
                ctx, err = (f"(z was an array of shape {zf.shape} with entries from {zf.min():.4g} "
                            f"to {zf.max():.4g}; the result must have the same shape.)"), None
            wrong = {}
            with np.errstate(all="ignore"):
                for desc, f in variants:
                    v = np.asarray(f(zf), dtype=float)
                    if np.all(np.isfinite(v)) and not _check.close(v, f_right(zf)):
                        wrong[desc] = v
            out.append(Example(args=(z,), expected=(f_right(zf),), variants={"result": wrong},
                               context=ctx, hints={"result": hints}, error_hint=err))
        return out
    return examples



def numbers(value, name):
    """Coerce a list or array of numbers (a history of losses: one per epoch + 1) to a float
    array (N,); each item may be a number or any array holding one number."""
    __tracebackhide__ = True
    if value is None:
        raise AssertionError(f"{name}: losses is None — return the list of losses too, e.g. "
                             f"`return w, b, losses`.")
    if not isinstance(value, (list, tuple, np.ndarray)) or np.ndim(value) == 0:
        raise AssertionError(f"{name}: losses is {_check.describe(value)}; it should be a list "
                             f"of numbers, the cost before training and after each epoch.")
    values = []
    for k, item in enumerate(value):
        try:
            arr = np.asarray(item, dtype=np.float64)
        except (TypeError, ValueError):
            raise AssertionError(f"{name}: losses[{k}] is {_check.describe(item)}, not a "
                                 f"number.") from None
        if arr.size != 1:
            raise AssertionError(
                f"{name}: losses[{k}] is {_check.describe(item)}, but each loss is one number: "
                f"the cost adds up all m samples (np.mean or np.sum over everything).")
        values.append(float(arr.reshape(())))
    return np.array(values)


# --- exercise specs ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Output:
    """One value an exercise returns. ``coerce`` turns what the student returned into an
    array (or raises AssertionError with a message), for outputs that may legitimately be
    lists, e.g. a list of losses.

    ``items``: the value is a list with one array per layer (weights, zs, …), each compared
    and reported on its own under the name ``items.format(k)`` for k = first, first + 1, …
    (e.g. "dW{}" → dW1, dW2, …). The example's expected value for it is that list, and its
    variants and hints are keyed by the item names."""
    name: str
    coerce: Callable[[Any], np.ndarray] | None = None
    items: str | None = None
    first: int = 1


@dataclass
class Example:
    """One call of the student's function: its arguments, the right results, and the wrong
    results each named mistake would give (per output: {description: value})."""
    args: tuple
    expected: tuple
    variants: dict = field(default_factory=dict)
    m: int | None = None
    context: str = ""
    hints: dict = field(default_factory=dict)      # per output: {generic kind: hint}
    shape_hint: str | None = None
    error_hint: str | None = None                  # what to add when the function raises
    kwargs: dict = field(default_factory=dict)
    # A verdict that fixed expected values cannot express (e.g. a training run, whose right
    # result depends on the student's own random start): judge(result, call, compare) raises
    # AssertionError or returns. call(*args, **kwargs) runs the student's function once more
    # under the check's rules (own work, errors, warnings, references swapped in) and returns
    # what it returned; compare(result, example) judges a result against another Example's
    # expected values and variants the usual way. None: compare with ``expected``.
    judge: Callable | None = None


def variants_for(case: Case, mistakes: Iterable, outputs: Callable[[SimpleNamespace], tuple],
                 names: Sequence[str]) -> dict:
    """{output name: {description: wrong value}} for every mistake that can be told apart from
    the right answer on this case. ``outputs`` picks the exercise's results from a solution
    (as computed by :meth:`Case.solve`); a mistake is a :class:`.mistakes.Mistake`."""
    right = outputs(case.right)
    out: dict = {n: {} for n in names}
    for mistake in mistakes:
        try:
            with np.errstate(all="ignore"):
                wrong = outputs(mistake.solve(case))
        except (ValueError, IndexError, FloatingPointError, ZeroDivisionError):
            continue    # the mistake fails on these shapes: the student sees a shape error
        for n, w, r in zip(names, wrong, right):
            w = np.asarray(w, dtype=np.float64)
            if not (np.all(np.isfinite(w)) and not _check.close(w, r)):
                continue
            out[n].setdefault(mistake.description, w)
    return out


@dataclass(frozen=True)
class Exercise:
    """What a check needs to know about one graded function.

    name, arg_names: the function and its parameters, as the notebook defines them.
    outputs: what it returns; one Output means a single value, several mean a tuple.
    examples: seed -> the examples to run (see :class:`Example`).
    forbidden: what the answer may not use (the own-work rule, see :mod:`.ownwork`).
    references: {name: reference} for earlier exercises: while the check runs, the student's
        own versions of these are replaced, so an earlier slip does not cost twice.
    warning_hint / error_hint: what to say when NumPy warns / the function raises.
    explain_warnings: (fn, example, outcome) -> message, for a warning that needs a
        stage-specific explanation (e.g. np.where evaluating both branches).
    exact: the answer is a derivative computed by backpropagation, so it must agree with
        bpkit's to rounding (relative 1e-11), far tighter than finite differences can.
    mutation_first: report arguments changed in place before comparing the values (for an
        exercise whose wrong values are only a consequence, e.g. a nudge not put back).
    """
    name: str
    arg_names: tuple
    outputs: tuple
    examples: Callable[[int], list]
    forbidden: ownwork.Forbidden = field(default_factory=ownwork.Forbidden)
    references: Mapping[str, Callable] = field(default_factory=dict)
    warning_hint: str | None = None
    error_hint: str | None = None
    explain_warnings: Callable | None = None
    allow_mutation: bool = False
    exact: bool = False
    doc: str = ""
    mutation_first: bool = False


def _swap_note(names: list[str]) -> str:
    if not names:
        return ""
    listed = ", ".join(names)
    return (f"\n(While this check ran, your earlier function{'s' if len(names) > 1 else ''} "
            f"{listed} {'were' if len(names) > 1 else 'was'} replaced by the reference "
            f"version{'s' if len(names) > 1 else ''}, so the problem above is in {{name}} "
            f"itself.)")


def check(spec: Exercise, fn: Callable, seed: int = 0) -> None:
    """Run ``fn`` on every example of ``seed`` and raise an AssertionError that names the
    likely mistake and shows every returned value against the right one."""
    __tracebackhide__ = True
    tape = _record.active()
    if tape is None:
        return _check_examples(spec, fn, seed)
    fn = tape.start(spec.name, seed, fn)    # replaying: the recorded function's stand-in
    try:
        return _check_examples(spec, fn, seed)
    finally:
        tape.stop()


def _check_examples(spec: Exercise, fn: Callable, seed: int) -> None:
    __tracebackhide__ = True
    if fn is None or not callable(fn):
        raise AssertionError(f"{spec.name} is {_check.describe(fn)}, not a function. Run the "
                             f"cell that defines `def {spec.name}(...)`, and don't assign "
                             f"anything else to the name {spec.name} afterwards.")
    examples = spec.examples(seed)
    for ex in examples:
        outcome = _check.run(fn, *[_copy(a) for a in ex.args], forbidden=spec.forbidden,
                             arg_names=spec.arg_names, references=spec.references, **ex.kwargs)
        unwritten = isinstance(outcome.error, NotImplementedError)
        note = "" if unwritten else _swap_note(outcome.swapped).format(name=spec.name)
        try:
            _judge(spec, fn, ex, outcome)
        except AssertionError as err:
            raise AssertionError(f"{err}{note}") from err.__cause__
    print(f"✓ {spec.name} is right on all {len(examples)} examples of seed {seed}.")


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def _judge(spec: Exercise, fn, ex: Example, outcome: _check.Outcome) -> None:
    __tracebackhide__ = True
    name = spec.name
    args_desc = _check.argument_shapes(ex.args, spec.arg_names)
    if outcome.forbidden is not None:
        raise AssertionError(ownwork.message(name, *outcome.forbidden)) from outcome.error
    if outcome.error is not None:
        raise AssertionError(_check.exception_message(
            name, outcome.error, args_desc, ex.shape_hint, ex.error_hint or spec.error_hint)
            + (f" {ex.context}" if ex.context else "")) from outcome.error
    if outcome.warnings:
        special = spec.explain_warnings(fn, ex, outcome) if spec.explain_warnings else None
        raise AssertionError(special or _check.warning_message(
            name, outcome.warnings, args_desc, spec.warning_hint))
    if outcome.mutated and spec.mutation_first and not spec.allow_mutation:
        raise AssertionError(_check.mutation_message(name, outcome.mutated))
    if ex.judge is not None:
        ex.judge(outcome.result, _caller(spec, fn, ex), _comparer(spec, fn))
        if outcome.mutated and not spec.allow_mutation:
            raise AssertionError(_check.mutation_message(name, outcome.mutated))
        return
    result = outcome.result
    names = tuple(o.name for o in spec.outputs)
    expected = ex.expected
    if any(o.items for o in spec.outputs):
        result, expected, names = _items(spec, result, ex)
        _check.check_outputs(result, expected, name=name, names=names, m=ex.m,
                             variants=ex.variants, hints=ex.hints, context=ex.context)
    elif len(spec.outputs) == 1:
        got = _coerce(spec.outputs[0], result, name)
        _check.check_array(got, ex.expected[0], name=name, what=names[0], m=ex.m,
                           variants=ex.variants.get(names[0]), hints=ex.hints.get(names[0]),
                           context=ex.context)
    else:
        if isinstance(result, (tuple, list)) and len(result) == len(names):
            result = tuple(_coerce(o, r, name) for o, r in zip(spec.outputs, result))
        _check.check_outputs(result, ex.expected, name=name, names=names, m=ex.m,
                             variants=ex.variants, hints=ex.hints, context=ex.context)
    if outcome.mutated and not spec.allow_mutation:
        raise AssertionError(_check.mutation_message(name, outcome.mutated))
    if spec.exact:
        got = result if len(names) > 1 or any(o.items for o in spec.outputs) else (result,)
        for what, g, e in zip(names, got, expected):
            g, e = np.asarray(g, dtype=np.float64), np.asarray(e, dtype=np.float64)
            rel = float(np.max(np.abs(g - e))) / max(float(np.max(np.abs(e))), 1e-300)
            if rel > EXACT:
                raise AssertionError(
                    f"{name}: {what} agrees with the exact gradient only to a relative "
                    f"{rel:.1e}. That is what finite differences give (their error is about "
                    f"ε² or rounding/ε), not backpropagation, whose chain rule is exact up to "
                    f"rounding (about 1e-15). Compute the gradient with the chain rule; keep "
                    f"finite differences for checking it. {ex.context}".rstrip())


def _accept(result, call, compare) -> None:
    return None


def _caller(spec: Exercise, fn, ex: Example) -> Callable:
    """call(*args, **kwargs) for an Example's judge: run ``fn`` again as the check does and
    return its result, or raise the AssertionError the check would (forbidden call, error,
    warning, argument changed in place)."""
    def call(*args, **kwargs):
        __tracebackhide__ = True
        outcome = _check.run(fn, *[_copy(a) for a in args], forbidden=spec.forbidden,
                             arg_names=spec.arg_names, references=spec.references, **kwargs)
        _judge(spec, fn, _dc_replace(ex, args=tuple(args), kwargs=dict(kwargs), judge=_accept),
               outcome)
        return outcome.result
    return call


def _comparer(spec: Exercise, fn) -> Callable:
    """compare(result, example) for an Example's judge: the usual comparison of a result
    with ``example.expected`` (and its variants, hints, exactness)."""
    def compare(result, example: Example) -> None:
        __tracebackhide__ = True
        _judge(spec, fn, example, _check.Outcome(result=result))
    return compare


def _items(spec: Exercise, result, ex: Example) -> tuple[tuple, tuple, tuple]:
    """Spread the per-layer lists of a result into one value per layer: (values, expected,
    names), e.g. (dWs, dbs) → dW1, dW2, db1, db2. Raises AssertionError if the result is not
    shaped as a tuple of such lists."""
    __tracebackhide__ = True
    name, outs = spec.name, spec.outputs
    want = ", ".join(o.name for o in outs)
    if len(outs) == 1:
        result = (result,)
    elif result is None:
        raise AssertionError(f"{name} returned None. Did you forget `return {want}`? "
                             f"{ex.context}".rstrip())
    elif not isinstance(result, (tuple, list)) or len(result) != len(outs):
        got = (f"{len(result)} values" if isinstance(result, (tuple, list))
               else _check.describe(result))
        raise AssertionError(f"{name} returned {got}, but it should return {len(outs)} "
                             f"values: `return {want}`. {ex.context}".rstrip())
    values, expected, names = [], [], []
    for out, value, exp in zip(outs, result, ex.expected):
        if not out.items:
            values.append(_coerce(out, value, name))
            expected.append(exp)
            names.append(out.name)
            continue
        labels = [out.items.format(k) for k in range(out.first, out.first + len(exp))]
        listed = ", ".join(labels)
        if not isinstance(value, (list, tuple)):
            raise AssertionError(f"{name}: {out.name} is {_check.describe(value)}, but it should "
                                 f"be a list of {len(exp)} arrays, one per layer: [{listed}]. "
                                 f"{ex.context}".rstrip())
        if len(value) != len(exp):
            raise AssertionError(f"{name}: {out.name} holds {len(value)} entr"
                                 f"{'y' if len(value) == 1 else 'ies'}, but it should hold "
                                 f"{len(exp)}, one per layer: [{listed}]. {ex.context}".rstrip())
        values += list(value)
        expected += list(exp)
        names += labels
    return tuple(values), tuple(expected), tuple(names)


# A backpropagated gradient, however it is written (loops, einsum, a(1 − a)), agrees with
# bpkit's to about 1e-14 relative on the checks' cases; central differences reach 1e-10 at best.
EXACT = 1e-11


def _coerce(output: Output, value, name: str):
    __tracebackhide__ = True
    return output.coerce(value, name) if output.coerce is not None else value


def checker(spec: Exercise) -> Callable:
    """``check_<name>(fn, seed=0)``: the spec's check as a plain function for test cells."""
    def check_fn(fn, seed=0):
        __tracebackhide__ = True
        check(spec, fn, seed)
    check_fn.__name__ = check_fn.__qualname__ = f"check_{spec.name}"
    check_fn.__doc__ = (f"Check {spec.name}({', '.join(spec.arg_names)}) on the examples drawn "
                        f"from ``seed``; raise an AssertionError naming the likely mistake.\n\n"
                        f"{spec.doc}")
    check_fn.spec = spec
    return check_fn
