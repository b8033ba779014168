"""Bad input, thrown at every public function and method of bpkit (widgets and grading aside).

Each call must end in a ValueError or TypeError whose message names the argument (its
shape or value follows in the message), or return a finite result without NumPy warnings.
The inputs are built deterministically — wrong shapes, 1-D where a matrix is meant, str,
object, complex and bool dtypes, NaN/inf, m = 0, wrong layer counts, bad seeds, huge finite
values, a network's lists changed after construction, bad callables, bad ``ax``, absurd
sizes — so the measured share of clear outcomes is the same on every run.

The cost and activation *objects* (``bp.losses.MSE()``, ``bp.get_activation("relu")``) hold
the formulas without checks, for code that has checked its arrays: they are not fuzzed.
"""
from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import fields, is_dataclass

import matplotlib

matplotlib.use("Agg")  # headless; must precede the pyplot import

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

import bpkit as bp  # noqa: E402
from bpkit import datasets as ds, plotting  # noqa: E402

GOAL = 0.95
rng = np.random.default_rng(0)


# --------------------------------------------------------------------------- bad values
def bad_arrays(shape):
    """(label, value) for an argument meant to be a float64 array of ``shape``."""
    n, m = shape
    nan, inf = np.ones(shape), np.ones(shape)
    nan[0, 0], inf[-1, -1] = np.nan, -np.inf
    return [
        ("list", np.ones(shape).tolist()), ("None", None), ("str", "abc"),
        ("str array", np.full(shape, "a")), ("object array", np.full(shape, 1.0, dtype=object)),
        ("complex", np.ones(shape) * 1j), ("bool", np.ones(shape, dtype=bool)),
        ("NaN", nan), ("inf", inf), ("1-D", np.ones(m)), ("3-D", np.ones(shape + (1,))),
        ("m = 0", np.ones((n, 0))), ("no rows", np.ones((0, m))),
        ("transposed", np.ones((m, n)) if m != n else np.ones((n + 1, m + 1))),
        ("extra row", np.ones((n + 1, m))), ("extra column", np.ones((n, m + 1))),
        ("huge", np.full(shape, 1e308)), ("huge negative", np.full(shape, -1e300)),
        ("scalar", 0.5), ("int beyond float64", 10**400), ("dict", {"a": 1}),
    ]


BAD_SCALARS = [("None", None), ("str", "abc"), ("-1", -1), ("0", 0), ("1.5", 1.5),
               ("nan", float("nan")), ("inf", float("inf")), ("-inf", -float("inf")),
               ("True", True), ("1e308", 1e308), ("10**400", 10**400), ("list", [1]),
               ("array", np.array([1, 2])), ("complex", 1 + 2j), ("np.int64(3)", np.int64(3))]
BAD_SEEDS = [("'abc'", "abc"), ("-1", -1), ("1.5", 1.5), ("[1, 2]", [1, 2]), ("True", True),
             ("nan", float("nan")), ("object", object())]


def says(*names):
    """Substrings any of which shows the message names the argument."""
    out = [name for name in names if len(name) >= 3]   # distinctive enough alone: "a_prev"
    for name in names:
        out += [f"{name} '", f"{name} has", f"{name} is", f"{name} must", f"{name} contains", f"|{name}|",
                f"{name} =", f"{name}=", f"outputs {name}", f"targets {name}", f"{name} (",
                f"{name}^", f"{name}[", f"{name}:"]
    return tuple(out)


# --------------------------------------------------------------------------- outcomes
def finite(value) -> bool:
    if isinstance(value, (float, np.floating, np.ndarray)):
        return bool(np.all(np.isfinite(value)))
    if isinstance(value, (list, tuple)):
        return all(finite(v) for v in value)
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    if is_dataclass(value) and not isinstance(value, type):
        return all(finite(getattr(value, f.name)) for f in fields(value))
    return True


def outcome(thunk, names) -> str:
    """'clear', 'finite', or what went wrong (raw exception, vague message, warning, nan)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = thunk()
        except (ValueError, TypeError, FloatingPointError) as err:
            # FloatingPointError: fit's "the loss became inf after k epochs" (lr, data sizes)
            message = str(err)
            if any(n in message for n in names):
                return "clear"
            return f"vague {type(err).__name__}: {message[:150]}"
        except Exception as err:  # noqa: BLE001 — anything else is what we count
            return f"raw {type(err).__name__}: {str(err)[:150]}"
        finally:
            plt.close("all")
    warned = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    if warned:
        return f"warning: {warned[0][:150]}"
    return "finite" if finite(result) else f"non-finite result {str(result)[:80]}"


# --------------------------------------------------------------------------- the cases
def cases():
    """(label, thunk, names): every bad input for every public function and method."""
    out = []

    def vary(label, fn, good: dict, arrays=None, scalars=None, extra=()):
        """Swap each bad value into each argument in turn, the others good."""
        for arg, (shape, names) in (arrays or {}).items():
            for bad_label, bad in bad_arrays(shape):
                kwargs = dict(good, **{arg: bad})
                out.append((f"{label}({arg}={bad_label})", lambda k=kwargs: fn(**k), says(*names)))
        for arg, (values, names) in (scalars or {}).items():
            for bad_label, bad in values:
                kwargs = dict(good, **{arg: bad})
                out.append((f"{label}({arg}={bad_label})", lambda k=kwargs: fn(**k), says(*names)))
        for bad_label, kwargs, names in extra:
            kwargs = dict(good, **kwargs)
            out.append((f"{label}({bad_label})", lambda k=kwargs: fn(**k), says(*names)))

    # activations
    z = rng.standard_normal((2, 3))
    for name in ("sigmoid", "tanh", "relu", "identity"):
        for fn in (getattr(bp, name), getattr(bp, name + "_prime")):
            vary(fn.__name__, fn, {"z": z}, arrays={"z": ((2, 3), ["z"])})
    vary("get_activation", bp.get_activation, {"name": "relu"},
         scalars={"name": (BAD_SCALARS + [("'softmax'", "softmax")], ["activation"])})

    # costs
    a, y = rng.uniform(0.1, 0.9, (2, 3)), rng.uniform(size=(2, 3))
    for fn in (bp.mse, bp.mse_grad, bp.cross_entropy, bp.cross_entropy_grad,
               bp.delta_sigmoid_cross_entropy):
        vary(fn.__name__, fn, {"a": a, "y": y},
             arrays={"a": ((2, 3), ["a"]), "y": ((2, 3), ["y"])})
    vary("get_loss", bp.losses.get_loss, {"loss": "mse"},
         scalars={"loss": (BAD_SCALARS + [("'hinge'", "hinge")], ["loss"])})

    # the equations
    W, a_prev, b = rng.standard_normal((3, 2)), rng.standard_normal((2, 4)), rng.standard_normal((3, 1))
    vary("weighted_input", bp.weighted_input, {"W": W, "a_prev": a_prev, "b": b},
         arrays={"W": ((3, 2), ["W"]), "a_prev": ((2, 4), ["a_prev"]), "b": ((3, 1), ["b"])})
    z3, d3 = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    acts = ([("'softmax'", "softmax"), ("None", None), ("3", 3), ("list", ["relu"])], ["activation"])
    vary("bp1", bp.bp1, {"grad_a": d3, "z": z3, "activation": "tanh"},
         arrays={"grad_a": ((3, 4), ["grad_a"]), "z": ((3, 4), ["z"])}, scalars={"activation": acts})
    W2, d2 = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    vary("bp2", bp.bp2, {"W_next": W2, "delta_next": d2, "z": z3, "activation": "relu"},
         arrays={"W_next": ((2, 3), ["W_next", "W^(l+1)"]),
                 "delta_next": ((2, 4), ["delta_next", "δ^(l+1)"]), "z": ((3, 4), ["z", "z^l"])},
         scalars={"activation": acts})
    vary("bp3", bp.bp3, {"delta": d3}, arrays={"delta": ((3, 4), ["delta"])})
    vary("bp4", bp.bp4, {"delta": d3, "a_prev": a_prev},
         arrays={"delta": ((3, 4), ["delta", "δ^l"]), "a_prev": ((2, 4), ["a_prev", "a^(l−1)"])})

    # Network: construction
    bad_sizes = [("[]", []), ("[2]", [2]), ("[2, 0]", [2, 0]), ("[2, -1]", [2, -1]),
                 ("[2.5, 1]", [2.5, 1]), ("'abc'", "abc"), ("None", None), ("[2, True]", [2, True]),
                 ("array", np.array([2, 1])), ("[10**6, 10**6]", [10**6, 10**6])]
    vary("Network", bp.Network, {"sizes": [2, 3, 1]},
         scalars={"sizes": (bad_sizes, ["sizes"]), "seed": (BAD_SEEDS, ["seed"]),
                  "activations": ([("'softmax'", "softmax"), ("3", 3), ("3 names", ["relu"] * 3),
                                   ("[None, 'relu']", [None, "relu"])], ["activation"]),
                  "loss": ([("'hinge'", "hinge"), ("3", 3), ("None", None)], ["loss"])},
         extra=[("cross-entropy, relu output", {"activations": "relu", "loss": "cross_entropy"},
                 ["sigmoid' output"])])
    W1, b1, W2, b2 = np.ones((3, 2)), np.zeros((3, 1)), np.ones((1, 3)), np.zeros((1, 1))
    bad_lists = [("one matrix short", [W1], ["weight matrices"]), ("empty", [], ["non-empty list"]),
                 ("an array", W1, ["non-empty list"]), ("None", None, ["non-empty list"])]
    for label, weights, names in bad_lists:
        out.append((f"from_params(weights={label})",
                    lambda w=weights: bp.Network.from_params(w, [b1, b2]), says(*names) + tuple(names)))
    for layer, (shape, names) in enumerate([((3, 2), ["W^1"]), ((1, 3), ["W^2"])]):
        for bad_label, bad in bad_arrays(shape):
            weights = [W1, W2]
            weights[layer] = bad
            out.append((f"from_params(W^{layer + 1}={bad_label})",
                        lambda w=weights: bp.Network.from_params(w, [b1, b2]), says(*names)))

    # Network: the public methods, with bad X, Y
    X, Y = ds.xor()
    net_args = {"X": ((2, 4), ["X", "a^0 = X"]), "Y": ((1, 4), ["Y"])}
    def method(name, loss, **kw):
        net = bp.Network([2, 3, 1], loss=loss, seed=0)
        return getattr(net, name)(**kw)
    for loss in ("mse", "cross_entropy"):
        for name in ("forward", "predict"):
            vary(f"{loss} net.{name}", lambda name=name, loss=loss, **kw: method(name, loss, **kw),
                 {"X": X}, arrays={"X": net_args["X"]})
        for name in ("loss", "accuracy", "backward"):
            vary(f"{loss} net.{name}", lambda name=name, loss=loss, **kw: method(name, loss, **kw),
                 {"X": X, "Y": Y},
                 arrays=net_args, extra=[("Y = 2", {"Y": 2 * Y}, ["y", "Y"])] if loss != "mse" else ())

    # fit: bad arrays, bad hyperparameters
    def fit(**kw):
        return bp.Network([2, 3, 1], seed=0).fit(**kw)
    good_fit = {"X": X, "Y": Y, "epochs": 2, "progress": False}
    not_huge = [s for s in BAD_SCALARS if s[0] != "10**400"]   # 10**400 epochs: runs, forever
    vary("fit", fit, good_fit, arrays=net_args,
         scalars={"epochs": (not_huge, ["epochs"]), "lr": (BAD_SCALARS, ["lr"]),
                  "batch_size": (BAD_SCALARS, ["batch_size"]), "seed": (BAD_SEEDS, ["seed"]),
                  "progress": ([("'yes'", "yes"), ("None", None), ("1", 1)], ["progress"]),
                  "validation": ([("X alone", X), ("3 items", (X, Y, Y)), ("str", "val"),
                                  ("transposed", (X.T, Y)), ("NaN", (X, Y * np.nan)),
                                  ("m = 0", (X[:, :0], Y[:, :0]))], ["validation", "X", "Y"])},
         extra=[("huge Y", {"Y": 1e200 * Y}, ["Y"]), ("huge X", {"X": 1e300 * X}, ["X"])])

    # step: bad gradients and learning rates
    def step(grads="good", lr=0.1):
        net = bp.Network([2, 3, 1], seed=0)
        g = net.backward(X, Y)
        grads = g if isinstance(grads, str) and grads == "good" else grads(g) if callable(grads) else grads
        net.step(grads, lr)
        return net.weights
    bad_grads = [
        ("fewer layers", lambda g: bp.Gradients(g.dW[:1], g.db[:1], g.delta[:1]), ["dW", "db"]),
        ("more layers", lambda g: bp.Gradients(g.dW * 2, g.db * 2, g.delta), ["dW", "db"]),
        ("NaN", lambda g: bp.Gradients([d * np.nan for d in g.dW], g.db, g.delta), ["∂C/∂W"]),
        ("transposed", lambda g: bp.Gradients([d.T for d in g.dW], g.db, g.delta), ["W^1", "W^2"]),
        ("1-D db", lambda g: bp.Gradients(g.dW, [d.ravel() for d in g.db], g.delta), ["b^1", "b^2"]),
        ("lists", lambda g: bp.Gradients([d.tolist() for d in g.dW], g.db, g.delta), ["W^1"]),
        ("int dW", lambda g: bp.Gradients([d.astype(int) for d in g.dW], g.db, g.delta), ["W^1"]),
        ("None", None, ["Gradients"]), ("a dict", {"dW": []}, ["Gradients"]),
        ("huge", lambda g: bp.Gradients([d + 1e308 for d in g.dW], g.db, g.delta), ["W^1"]),
    ]
    for label, grads, names in bad_grads:
        out.append((f"net.step(grads={label})", lambda gr=grads: step(gr), says(*names) + tuple(names)))
    vary("net.step", step, {}, scalars={"lr": (BAD_SCALARS, ["lr"])})

    # the network's lists, changed after construction, then each public method
    changes = [
        ("weights appended", lambda n: n.weights.append(np.ones((1, 1))), "net.weights"),
        ("weights popped", lambda n: n.weights.pop(), "net.weights"),
        ("biases popped", lambda n: n.biases.pop(0), "net.biases"),
        ("activations appended", lambda n: n.activations.append("relu"), "net.activations"),
        ("activations emptied", lambda n: n.activations.clear(), "net.activations"),
        ("W^2 wrong shape", lambda n: n.weights.__setitem__(1, np.ones((1, 5))), "W^2"),
        ("W^1 1-D", lambda n: n.weights.__setitem__(0, np.ones(6)), "W^1"),
        ("b^2 wrong shape", lambda n: n.biases.__setitem__(1, np.ones((3, 1))), "b^2"),
        ("W^1 int", lambda n: n.weights.__setitem__(0, np.ones((3, 2), dtype=int)), "W^1"),
        ("W^1 list", lambda n: n.weights.__setitem__(0, [[1.0, 1.0]] * 3), "W^1"),
        ("W^1 NaN", lambda n: n.weights[0].__setitem__((0, 0), np.nan), "W^1"),
        ("b^1 None", lambda n: n.biases.__setitem__(0, None), "b^1"),
        ("σ_1 unknown", lambda n: n.activations.__setitem__(0, "softmax"), "activations[0]"),
        ("σ_2 relu with cross-entropy", lambda n: n.activations.__setitem__(1, "relu"), "sigmoid"),
        ("weights an array", lambda n: setattr(n, "weights", np.ones((2, 2))), "net.weights"),
        ("weights a tuple", lambda n: setattr(n, "weights", tuple(n.weights)), "net.weights"),
    ]
    calls = [("forward", lambda n: n.forward(X)), ("predict", lambda n: n.predict(X)),
             ("loss", lambda n: n.loss(X, Y)), ("accuracy", lambda n: n.accuracy(X, Y)),
             ("backward", lambda n: n.backward(X, Y)),
             ("step", lambda n: n.step(bp.Network([2, 3, 1], seed=1).backward(X, Y), 0.1)),
             ("fit", lambda n: n.fit(X, Y, epochs=1, progress=False)),
             ("check_gradients", lambda n: bp.check_gradients(n, X, Y))]
    for change_label, change, name in changes:
        for call_label, call in calls:
            def thunk(change=change, call=call):
                net = bp.Network([2, 3, 1], loss="cross_entropy", seed=0)
                change(net)
                return call(net)
            out.append((f"net.{call_label} after {change_label}", thunk, (name,)))

    # gradient checking
    x = rng.standard_normal((2, 2))
    bad_fs = [("forgotten return", lambda v: None), ("returns an array", lambda v: v),
              ("returns str", lambda v: "cost"), ("returns NaN", lambda v: np.nan),
              ("returns complex", lambda v: 1j), ("returns a list", lambda v: [1.0, 2.0]),
              ("returns bool", lambda v: True), ("raises TypeError", lambda: 0.0),
              ("None", None), ("a number", 3.0)]
    vary("numerical_gradient", lambda **kw: bp.numerical_gradient(kw["f"], kw["x"].copy() if isinstance(kw["x"], np.ndarray) and kw["x"].flags.writeable else kw["x"], kw["eps"]),
         {"f": np.sum, "x": x, "eps": 1e-6},
         arrays={"x": ((2, 2), ["x"])},
         scalars={"f": (bad_fs, ["f", "f(x)"]), "eps": (BAD_SCALARS, ["eps"])},
         extra=[("read-only x", {"x": np.broadcast_to(np.ones(1), (3,))}, ["x"])])
    vary("relative_error", bp.relative_error, {"a": x, "b": x + 1e-9},
         arrays={"a": ((2, 2), ["a"]), "b": ((2, 2), ["b"])})
    small = bp.Network([2, 2, 1], seed=0)
    vary("check_gradients", bp.check_gradients, {"net": small, "X": X, "Y": Y},
         arrays=net_args,
         scalars={"net": ([("None", None), ("str", "net"), ("3", 3)], ["net"]),
                  "eps": (BAD_SCALARS, ["eps"]), "tol": (BAD_SCALARS, ["tol"])})

    # datasets
    counts = [("0", 0), ("-1", -1), ("1.5", 1.5), ("'abc'", "abc"), ("None", None), ("True", True),
              ("10**12", 10**12), ("nan", float("nan"))]
    noises = [("-1", -1.0), ("nan", float("nan")), ("inf", float("inf")), ("'abc'", "abc"),
              ("None", None), ("1e308", 1e308), ("10**400", 10**400), ("complex", 1j)]
    vary("moons", ds.moons, {"m": 20}, scalars={"m": (counts, ["m"]), "noise": (noises, ["noise"]),
                                                 "seed": (BAD_SEEDS, ["seed"])})
    vary("circles", ds.circles, {"m": 20},
         scalars={"m": (counts, ["m"]), "noise": (noises, ["noise"]), "seed": (BAD_SEEDS, ["seed"]),
                  "factor": (noises + [("1.0", 1.0)], ["factor"])})
    vary("spiral", ds.spiral, {"m_per_class": 5},
         scalars={"m_per_class": (counts, ["m_per_class"]), "classes": (counts, ["classes"]),
                  "noise": (noises, ["noise"]), "seed": (BAD_SEEDS, ["seed"])})
    vary("digits", ds.digits, {},
         scalars={"test_fraction": (noises + [("0", 0), ("1", 1), ("0.0001", 1e-4)], ["test_fraction"]),
                  "seed": (BAD_SEEDS, ["seed"]),
                  "stratify": ([("'yes'", "yes"), ("None", None)], ["stratify"])})
    vary("one_hot", ds.one_hot, {"labels": [0, 2, 1]},
         scalars={"labels": ([("floats", [0.5, 1.0]), ("str", ["a"]), ("2-D", [[0, 1]]), ("NaN", [np.nan]),
                              ("negative", [-1]), ("None", None), ("huge", [10**12]),
                              ("bool", [True])], ["labels", "k"]),
                  "k": (counts + [("too small", 2)], ["k"])})
    vary("to_labels", ds.to_labels, {"Y": Y}, arrays={"Y": ((1, 4), ["Y"])})

    # plotting (one Axes, cleared, keeps this fast)
    _, ax = plt.subplots()

    def on_ax(fn):
        def call(**kw):
            ax.cla()
            result = fn(**kw)
            return None if isinstance(result, Axes) else result
        return call
    bad_ax = [("'ax'", "ax"), ("3", 3), ("plt", plt), ("list", [ax]), ("a Figure", ax.figure)]
    vary("plot_activation", on_ax(plotting.plot_activation), {"name": "tanh", "ax": ax},
         scalars={"name": ([("'softmax'", "softmax"), ("None", None), ("3", 3)], ["activation"]),
                  "z": ([("2-D", np.ones((2, 2))), ("one point", np.ones(1)), ("str", "abc"),
                         ("NaN", np.array([0.0, np.nan])), ("complex", np.array([1j, 2j]))], ["z"]),
                  "ax": (bad_ax, ["ax"])})
    vary("plot_history", on_ax(plotting.plot_history), {"history": [0.5, 0.4], "ax": ax},
         scalars={"history": ([("None", None), ("3", 3), ("[]", []), ("str list", ["a"]),
                               ("2-D", [[1.0, 2.0]]), ("dict without loss", {"acc": [1.0]}),
                               ("str", "loss")], ["history"]),
                  "ax": (bad_ax, ["ax"])})
    Xm, Ym = ds.moons(m=10)
    vary("plot_decision_boundary", on_ax(plotting.plot_decision_boundary),
         {"model": bp.Network([2, 2, 1], seed=0), "X": Xm, "Y": Ym, "ax": ax, "resolution": 5},
         arrays={"X": ((2, 10), ["X"]), "Y": ((1, 10), ["Y"])},
         scalars={"model": ([("None", None), ("3", 3), ("3-input net", bp.Network([3, 1], seed=0)),
                             ("returns None", lambda G: None), ("returns str", lambda G: "a"),
                             ("returns 1-D floats", lambda G: G[0]),
                             ("returns NaN", lambda G: G[:1] * np.nan)], ["model"]),
                  "resolution": (BAD_SCALARS + [("10**5", 10**5)], ["resolution"]),
                  "padding": (BAD_SCALARS, ["padding"]), "ax": (bad_ax, ["ax"])})
    return out


# --------------------------------------------------------------------------- the tests
def test_bad_input_ends_clearly(capsys):
    results = [(label, outcome(thunk, names)) for label, thunk, names in cases()]
    tally = Counter("ok" if r in ("clear", "finite") else "unclear" for _, r in results)
    share = tally["ok"] / len(results)
    unclear = [f"{label}: {r}" for label, r in results if r not in ("clear", "finite")]
    with capsys.disabled():
        print(f"\nfuzz: {tally['ok']} of {len(results)} bad inputs end clearly or finitely "
              f"({share:.1%}); {sum(r == 'clear' for _, r in results)} clear errors")
    assert len(results) > 1000
    assert share >= GOAL, "\n".join(unclear)


GOOD_EDGES = [
    ("sigmoid of ±1e308", lambda: bp.sigmoid(np.array([[-1e308, 1e308]])), [[0.0, 1.0]]),
    ("sigmoid_prime of 1e308", lambda: bp.sigmoid_prime(1e308), 0.0),
    ("sigmoid of a 10**300 int", lambda: bp.sigmoid(10**300), 1.0),
    ("relu of a bool array", lambda: bp.relu(np.array([True, False])), [1.0, 0.0]),
    ("mse at m = 1", lambda: bp.mse(np.array([[0.75]]), np.array([[1.0]])), 0.03125),
    ("mse of 1e150", lambda: bp.mse(np.array([[1e150]]), np.array([[0.0]])), 0.5e300),
    ("cross_entropy at 0 and 1", lambda: bp.cross_entropy(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]])), None),
    ("bp4 of 1e150", lambda: bp.bp4(np.full((1, 1), 1e150), np.full((1, 1), 1e150)), [[1e300]]),
    ("bp3 at m = 1", lambda: bp.bp3(np.array([[2.0], [3.0]])), [[2.0], [3.0]]),
    ("relative_error 1e-200 vs -1e-200", lambda: bp.relative_error(np.array([1e-200]), np.array([-1e-200])), 1.0),
    ("relative_error 1e-170 vs 0", lambda: bp.relative_error(np.array([1e-170]), np.array([0.0])), 1.0),
    ("relative_error 1e200 vs 0", lambda: bp.relative_error(np.array([1e200]), np.array([0.0])), 1.0),
    ("relative_error of zeros", lambda: bp.relative_error(np.zeros(2), np.zeros(2)), 0.0),
    ("numerical_gradient of one entry", lambda: bp.numerical_gradient(lambda v: float(v[0] ** 2), np.array([3.0])), [6.0]),
    ("net.forward at m = 1", lambda: bp.Network([2, 1], seed=0).forward(np.ones((2, 1))).output, None),
    ("net.forward of 1e300 through sigmoid", lambda: bp.Network([2, 1], seed=0).predict(np.full((2, 1), 1e300)), None),
    ("fit at m = 1", lambda: bp.Network([2, 1], seed=0).fit(np.ones((2, 1)), np.ones((1, 1)), epochs=2, progress=False).loss, None),
    ("fit with batch_size > m", lambda: bp.Network([2, 1], seed=0).fit(*ds.xor(), epochs=1, batch_size=100, progress=False).loss, None),
    ("fit for 0 epochs", lambda: len(bp.Network([2, 1], seed=0).fit(*ds.xor(), epochs=0, progress=False).loss), 1),
    ("fit with a Generator seed", lambda: bp.Network([2, 1], seed=0).fit(*ds.xor(), epochs=1, seed=np.random.default_rng(1), progress=False).loss, None),
    ("check_gradients at m = 1", lambda: bp.check_gradients(bp.Network([2, 2, 1], seed=0), np.ones((2, 1)), np.ones((1, 1))).ok, True),
    ("moons with m = 1", lambda: ds.moons(m=1)[0].shape, (2, 1)),
    ("moons with noise 1e100", lambda: ds.moons(m=5, noise=1e100)[0], None),
    ("spiral with seed None", lambda: ds.spiral(m_per_class=2, seed=None)[1].shape, (3, 6)),
    ("one_hot with k = 1", lambda: ds.one_hot([0, 0], k=1), [[1.0, 1.0]]),
    ("to_labels of bool targets", lambda: ds.to_labels(np.array([[True, False]])), [1, 0]),
    ("plot_history of one loss", lambda: plotting.plot_history([0.3]).lines[0].get_xdata(), [0]),
    ("plot_decision_boundary of one point", lambda: len(plotting.plot_decision_boundary(
        bp.Network([2, 1], seed=0), np.zeros((2, 1)), np.ones((1, 1)), resolution=2).collections), 2),
]


@pytest.mark.parametrize("label, thunk, expected", GOOD_EDGES, ids=[g[0] for g in GOOD_EDGES])
def test_good_edge_inputs_work(label, thunk, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            value = thunk()
        finally:
            plt.close("all")
    assert finite(value) if not isinstance(value, (bool, tuple, int)) else True
    if expected is not None:
        if isinstance(expected, (bool, tuple, int)) and not isinstance(expected, float):
            assert value == expected
        else:
            np.testing.assert_allclose(value, expected, rtol=1e-9)   # finite differences: ~1e-10
    assert not (isinstance(value, float) and math.isnan(value))


def test_the_harness_tells_clear_from_unclear():
    """The count above can fail: each kind of unclear outcome is recognised as such."""
    def vague():
        raise ValueError("something is wrong")

    def named():
        raise TypeError("moons: noise must be a real number, got 'abc'")
    assert outcome(named, says("noise")) == "clear"
    assert outcome(vague, says("noise")).startswith("vague ValueError")
    assert outcome(lambda: [][1], says("x")).startswith("raw IndexError")
    assert outcome(lambda: np.ones(2) / 0, says("x")).startswith("warning: divide by zero")
    assert outcome(lambda: np.array([np.nan]), says("x")).startswith("non-finite")
    assert outcome(lambda: 1.0, says("x")) == "finite"
