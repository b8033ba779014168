"""Backpropagation, step by step, on seed 001's drawn 3-4-2 network (stage 2's explorer).

Seed 001 numbers the nodes 1 … 9: inputs 1–3, hidden nodes 4–7, outputs 8–9, with biases
b4 … b9, sigmoid activations and the squared error E = ½[(a8 − y1)² + (a9 − y2)²]. Its
w_ij is the weight *from node j to node i* — the course's order (row = the node fed):

    w_ij (i = 4…7, j = 1…3) = W^1[i−4, j−1]        W^1 is (4, 3), b^1 (4, 1)
    w_ij (i = 8, 9, j = 4…7) = W^2[i−8, j−4]        W^2 is (2, 4), b^2 (2, 1)

One sample (m = 1), so E is the course's C. The explorer walks through it in 15 steps:

    0        the inputs a1, a2, a3 = x and the targets y1, y2
    1 – 4    forward, hidden nodes:  z_i = Σ_j w_ij a_j + b_i,  a_i = σ(z_i)
    5 – 6    forward, output nodes 8 and 9, the same way
    7        the error E
    8 – 9    output errors (BP1):  e_i = ∂E/∂a_i = a_i − y,  δ_i = ∂E/∂z_i = e_i σ′(z_i)
    10 – 13  hidden errors, node by node (BP2 in scalar form):  a_j forks to nodes 8 and 9,
             so e_j = w_8j δ8 + w_9j δ9 and δ_j = e_j σ′(z_j)
             — and with every δ_i, the links into node i:  ∂E/∂w_ij = δ_i a_j,  ∂E/∂b_i = δ_i
    14       the update, after *all* errors are known:  w ← w − η ∂E/∂w,  b ← b − η ∂E/∂b

The numbers come from a pure function, :func:`backprop_trace`, which takes them from
``bp.Network`` (forward, backward, step), so they are bpkit's BP1–BP4 exactly. The text of
each step comes from :func:`step_readout`, the picture from :func:`draw_network`; the widget,
:func:`backprop_explorer`, only wires buttons and a slider to them. ipywidgets and matplotlib
are imported inside the functions that need them.
"""
from __future__ import annotations

import math

import numpy as np

from . import _checks
from .equations import bp2
from .network import Network

__all__ = ["SIZES", "DEFAULT_PARAMS", "DEFAULT_X", "DEFAULT_Y", "DEFAULT_LR", "LR_RANGE",
           "STEPS", "node_name", "backprop_trace", "new_sample", "step_readout",
           "format_readout", "draw_network", "plot_backprop_steps", "backprop_explorer"]

SIZES = [3, 4, 2]
# Seed 001 has figures, not numbers: these are round numbers a learner can redo by hand.
def _frozen(rows) -> np.ndarray:
    array = np.array(rows, dtype=np.float64)
    array.setflags(write=False)          # module constants: copied before any use
    return array


DEFAULT_PARAMS = {
    "W1": _frozen([[0.5, -0.3, 0.8], [-0.6, 0.4, 0.2], [0.3, 0.9, -0.5], [-0.2, -0.7, 0.6]]),
    "b1": _frozen([[0.1], [-0.2], [0.0], [0.3]]),
    "W2": _frozen([[0.7, -0.4, 0.9, -0.6], [-0.5, 0.8, 0.3, 0.4]]),
    "b2": _frozen([[-0.1], [0.2]]),
}
DEFAULT_X = _frozen([[1.0], [0.5], [-1.0]])
DEFAULT_Y = _frozen([[1.0], [0.0]])
DEFAULT_LR = 2.0
LR_RANGE = (0.1, 10.0, 0.1)          # (min, max, step) of the η slider

# Seed 001's node numbers by layer.
_NODES = [[1, 2, 3], [4, 5, 6, 7], [8, 9]]
# The 15 steps: (kind, node or None).
STEPS = ([("start", None)] + [("forward", i) for i in (4, 5, 6, 7, 8, 9)] + [("loss", None)]
         + [("output_error", i) for i in (8, 9)] + [("hidden_error", i) for i in (4, 5, 6, 7)]
         + [("update", None)])
_EQ = "backprop_trace (seed 001's 3-4-2 network)"


def _layer_of(node: int) -> tuple[int, int]:
    """(layer l, 0-based row) of a seed-001 node number: 1–3 → (0, ·), 4–7 → (1, ·), 8–9 → (2, ·)."""
    for l, nodes in enumerate(_NODES):
        if node in nodes:
            return l, nodes.index(node)
    raise ValueError(f"seed 001's network has nodes 1 … 9, not {node!r}.")


def node_name(node: int) -> str:
    """The course's name of a seed-001 node's activation: node 4 is a^1_1, node 9 is a^2_2."""
    l, row = _layer_of(node)
    return f"a^{l}_{row + 1}"


# --------------------------------------------------------------------------- the numbers
def _params(params) -> dict:
    shapes = {"W1": (4, 3), "b1": (4, 1), "W2": (2, 4), "b2": (2, 1)}
    if not isinstance(params, dict) or set(params) != set(shapes):
        raise TypeError(f"{_EQ}: params must be a dict with keys W1, b1, W2, b2, got "
                        f"{sorted(params) if isinstance(params, dict) else type(params).__name__}.")
    out = {}
    for key, shape in shapes.items():
        value = _checks.array(params[key], key, _EQ)
        if value.shape != shape:
            raise ValueError(f"{_EQ}: {key} must be {shape}, got {value.shape}.")
        out[key] = value.copy()
    return out


def backprop_trace(params=None, x=None, y=None, lr=DEFAULT_LR) -> dict:
    """Every number of one forward pass, backward pass and update of seed 001's network.

    params: dict W1 (4, 3), b1 (4, 1), W2 (2, 4), b2 (2, 1) (default DEFAULT_PARAMS);
    x: the sample (3, 1); y: the targets (2, 1); lr: the learning rate η > 0.

    Returns a dict of float64 arrays (course notation, one sample):
    "x", "y", "params"; "z1", "a1" (4, 1), "z2", "a2" (2, 1); "E" (a float);
    "e2" = ∂E/∂a² = a² − y, "delta2" = ∂E/∂z² (BP1); "e1" = ∂E/∂a¹, "delta1" = ∂E/∂z¹ (BP2);
    "dW1", "db1", "dW2", "db2" (BP3, BP4); "new" — the parameters after the update, with
    every gradient computed *before* any parameter changes; "E_after" (a float), the error
    of the same sample after the update; "lr". All from ``bp.Network``.
    """
    p = _params(DEFAULT_PARAMS if params is None else params)
    x = _checks.array(DEFAULT_X if x is None else x, "x", _EQ).copy()
    y = _checks.array(DEFAULT_Y if y is None else y, "y", _EQ).copy()
    if x.shape != (3, 1) or y.shape != (2, 1):
        raise ValueError(f"{_EQ}: one sample is a column: x must be (3, 1) and y (2, 1), got "
                         f"{x.shape} and {y.shape}.")
    lr = _checks.real("backprop_trace", "lr (the learning rate η)", lr, 0.0, low_inclusive=False)
    net = Network.from_params([p["W1"], p["W2"]], [p["b1"], p["b2"]], "sigmoid", "mse")
    fwd, g = net.forward(x), net.backward(x, y)
    E = net.loss(x, y)
    net.step(g, lr)                      # all gradients first, then every parameter
    new = {"W1": net.weights[0], "b1": net.biases[0], "W2": net.weights[1], "b2": net.biases[1]}
    a2 = fwd.a[2]
    return {"x": x, "y": y, "params": p, "lr": lr,
            "z1": fwd.z[0], "a1": fwd.a[1], "z2": fwd.z[1], "a2": a2, "E": E,
            "e2": a2 - y, "delta2": g.delta[1],
            # e¹ = ∂E/∂a¹: BP2 without its σ′ factor (an identity "activation")
            "e1": bp2(p["W2"], g.delta[1], fwd.z[0], "identity"),
            "delta1": g.delta[0],
            "dW1": g.dW[0], "db1": g.db[0], "dW2": g.dW[1], "db2": g.db[1],
            "new": new, "E_after": net.loss(x, y)}


def new_sample(seed) -> tuple[np.ndarray, np.ndarray]:
    """A random sample for the explorer: x (3, 1) with entries in [−1, 1] and 0/1 targets
    y (2, 1), rounded to one decimal so the numbers stay readable. Same seed, same sample."""
    rng = np.random.default_rng(_checks.seed("new_sample", "seed", seed))
    x = np.round(rng.uniform(-1.0, 1.0, size=(3, 1)), 1)
    y = rng.integers(0, 2, size=(2, 1)).astype(float)
    return x, y


# --------------------------------------------------------------------------- the text
def _f(v) -> str:
    v = float(v)
    return f"{v:.4f}" if v == 0 or abs(v) >= 1e-3 else f"{v:.2e}"


def _p(v) -> str:
    """A number as a factor, 4 significant digits, negative ones in parentheses."""
    s = f"{float(v):.4g}"
    return f"({s})" if float(v) < 0 else s


def _value(t: dict, node: int, what: str) -> float:
    """z, a, e or δ of a seed-001 node from a trace."""
    l, row = _layer_of(node)
    if l == 0:
        return float(t["x"][row, 0])
    key = {"z": f"z{l}", "a": f"a{l}", "e": f"e{l}", "delta": f"delta{l}"}[what]
    return float(t[key][row, 0])


def _weight(t: dict, i: int, j: int, params: str = "params") -> float:
    """Seed 001's w_ij (from node j to node i)."""
    li, ri = _layer_of(i)
    _, rj = _layer_of(j)
    return float(t[params][f"W{li}"][ri, rj])


def _grad(t: dict, i: int, j: int) -> float:
    li, ri = _layer_of(i)
    _, rj = _layer_of(j)
    return float(t[f"dW{li}"][ri, rj])


def _inputs_of(node: int) -> list[int]:
    return _NODES[_layer_of(node)[0] - 1]


def step_readout(trace: dict, k: int) -> dict:
    """What step k (0 … 14, see STEPS) computes, in words and in numbers.

    Returns a dict: "title"; "rows", a list of (formula in seed 001's names, the same with
    the numbers substituted, the result as text); "course", the same step in the course's
    notation; "note", one sentence on why.
    """
    k = _checks.integer("step_readout", "k (the step)", k, 0, len(STEPS) - 1)
    kind, i = STEPS[k]
    t = trace
    if kind == "start":
        xs = ", ".join(_f(v) for v in t["x"][:, 0])
        return {"title": "the sample", "course": "a^0 = x (3, 1), y (2, 1)",
                "rows": [("a1, a2, a3 = x", "", xs),
                         ("y1, y2", "", ", ".join(_f(v) for v in t["y"][:, 0]))],
                "note": "Inputs are nodes 1–3. Press “next step” to compute the nodes one by one."}
    if kind == "forward":
        js = _inputs_of(i)
        terms = " + ".join(f"w{i}{j}·a{j}" for j in js)
        nums = " + ".join(f"{_p(_weight(t, i, j))}·{_p(_value(t, j, 'a'))}" for j in js)
        z, a = _value(t, i, "z"), _value(t, i, "a")
        l, row = _layer_of(i)
        return {"title": f"forward, node {i}",
                "course": f"z^{l}_{row + 1} = (row {row + 1} of W^{l}) a^{l - 1} + b^{l}_{row + 1};  "
                          f"a^{l}_{row + 1} = σ(z^{l}_{row + 1})",
                "rows": [(f"z{i} = {terms} + b{i}",
                          f"{nums} + {_p(t['params'][f'b{l}'][row, 0])}", _f(z)),
                         (f"a{i} = σ(z{i})", f"σ({_f(z)})", _f(a))],
                "note": "What flows into a node: each input times its link's weight, plus the bias."}
    if kind == "loss":
        a8, a9 = _value(t, 8, "a"), _value(t, 9, "a")
        y1, y2 = t["y"][:, 0]
        return {"title": "the error", "course": "C = ½ ||a^2 − y||² (m = 1)",
                "rows": [("E = ½[(a8 − y1)² + (a9 − y2)²]",
                          f"½[({_f(a8)} − {_f(y1)})² + ({_f(a9)} − {_f(y2)})²]", _f(t["E"]))],
                "note": "The forward pass is done. Now the errors, from the output backwards."}
    if kind == "output_error":
        row = _layer_of(i)[1]
        a, e, d = _value(t, i, "a"), _value(t, i, "e"), _value(t, i, "delta")
        rows = [(f"e{i} = ∂E/∂a{i} = a{i} − y{row + 1}", f"{_f(a)} − {_f(t['y'][row, 0])}", _f(e)),
                (f"δ{i} = ∂E/∂z{i} = e{i}·σ′(z{i}) = e{i}·a{i}(1 − a{i})",
                 f"{_p(e)}·{_f(a)}·{_f(1 - a)}", _f(d))]
        rows += _link_rows(t, i)
        return {"title": f"backward, output node {i}",
                "course": f"BP1: δ^2_{row + 1} = (a^2_{row + 1} − y_{row + 1}) σ′(z^2_{row + 1});  "
                          f"BP4, BP3: ∂C/∂w^2_{row + 1}k = δ^2_{row + 1} a^1_k,  ∂C/∂b^2_{row + 1} = δ^2_{row + 1}",
                "rows": rows,
                "note": "Every link into the node: its gradient is the node's δ times what "
                        "flowed in along it."}
    if kind == "hidden_error":
        row = _layer_of(i)[1]
        e, d, a = _value(t, i, "e"), _value(t, i, "delta"), _value(t, i, "a")
        terms = " + ".join(f"w{k}{i}·δ{k}" for k in (8, 9))
        nums = " + ".join(f"{_p(_weight(t, k, i))}·{_p(_value(t, k, 'delta'))}" for k in (8, 9))
        rows = [(f"e{i} = ∂E/∂a{i} = {terms}", nums, _f(e)),
                (f"δ{i} = ∂E/∂z{i} = e{i}·σ′(z{i}) = e{i}·a{i}(1 − a{i})",
                 f"{_p(e)}·{_f(a)}·{_f(1 - a)}", _f(d))]
        rows += _link_rows(t, i)
        return {"title": f"backward, hidden node {i}",
                "course": f"BP2 for one node: δ^1_{row + 1} = (Σ_k w^2_k{row + 1} δ^2_k) σ′(z^1_{row + 1});  "
                          f"∂C/∂w^1_{row + 1}k = δ^1_{row + 1} a^0_k",
                "rows": rows,
                "note": f"a{i} forks to nodes 8 and 9: going backwards, the two branches' "
                        f"gradients add."}
    # the update
    rows = []
    for (ii, jj) in ((8, 4), (4, 1)):
        g = _grad(t, ii, jj)
        rows.append((f"w{ii}{jj} ← w{ii}{jj} − η·∂E/∂w{ii}{jj}",
                     f"{_f(_weight(t, ii, jj))} − {t['lr']:.2f}·{_p(g)}",
                     _f(_weight(t, ii, jj, "new"))))
    rows.append(("… and every other w, b the same way", "", ""))
    rows.append(("E after the update (same sample)", f"was {_f(t['E'])}", _f(t["E_after"])))
    return {"title": "update every weight and bias",
            "course": "W^l ← W^l − η ∂C/∂W^l,  b^l ← b^l − η ∂C/∂b^l, for l = 1, 2 — "
                      "after all the δ are computed",
            "rows": rows,
            "note": "Two steps: first every node's error (backwards), then every update. "
                    "“next step” starts a new round with the new weights."}


def _link_rows(t: dict, i: int) -> list:
    d = _value(t, i, "delta")
    rows = [(f"∂E/∂w{i}{j} = δ{i}·a{j}", f"{_p(d)}·{_p(_value(t, j, 'a'))}", _f(_grad(t, i, j)))
            for j in _inputs_of(i)]
    rows.append((f"∂E/∂b{i} = δ{i}", "", _f(d)))
    return rows


def format_readout(trace: dict, k: int, round_: int = 1, status: str = "") -> str:
    """The explorer's readout as HTML: step k of 14 in round ``round_``, η, the equations of
    the step with their numbers (:func:`step_readout`), and a status line (what the last
    click did, when it did nothing else)."""
    r = step_readout(trace, k)
    body = "".join(
        f"<tr><td style='padding-right:1em'>{name}</td>"
        f"<td style='padding-right:1em'>{('= ' + nums) if nums else ''}</td>"
        f"<td>{('= <b>' + res + '</b>') if res else ''}</td></tr>"
        for name, nums, res in r["rows"])
    status = f"<p style='color:#a33'>{status}</p>" if status else ""
    return (f"<p><b>round {round_}, step {k} of {len(STEPS) - 1}: {r['title']}</b> "
            f"&nbsp; (learning rate η = {trace['lr']:.2f})</p>"
            f"<table style='font-family:monospace'>{body}</table>"
            f"<p><i>course notation:</i> {r['course']}</p><p>{r['note']}</p>{status}")


# --------------------------------------------------------------------------- the picture
_X = {0: 0.0, 1: 3.2, 2: 6.4}
_Y = {0: [1.6, 0.0, -1.6], 1: [2.4, 0.8, -0.8, -2.4], 2: [1.0, -1.0]}


_BOX = dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85)


def _pos(node: int) -> tuple[float, float]:
    l, row = _layer_of(node)
    return _X[l], _Y[l][row]


def _known(k: int) -> dict:
    """Which nodes have a value and which have a δ after step k."""
    done = STEPS[:k + 1]
    values = {1, 2, 3} | {i for kind, i in done if kind == "forward"}
    deltas = {i for kind, i in done if kind in ("output_error", "hidden_error")}
    return {"values": values, "deltas": deltas, "loss": any(kind == "loss" for kind, _ in done)}


def draw_network(trace: dict, k: int, ax=None):
    """Seed 001's network after step k (0 … 14): nodes 1–9 with their values a_i (forward),
    their errors δ_i (backward, red), the links' gradients ∂E/∂w_ij (width and colour by
    magnitude and sign: red positive, blue negative), the current step's links labelled.

    ax: a matplotlib Axes (a new pyplot figure when None). Returns the Axes. Artists have
    gids: "node-<i>", "value-<i>", "delta-<i>", "edge-<i>-<j>", "edge-label-<i>-<j>",
    "error-box", "title".
    """
    from matplotlib.patches import Circle, FancyBboxPatch

    k = _checks.integer("draw_network", "k (the step)", k, 0, len(STEPS) - 1)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(9.0, 5.2))
    kind, current = STEPS[k]
    known = _known(k)
    t = trace
    biggest = max(float(np.abs(t["dW1"]).max()), float(np.abs(t["dW2"]).max()), 1e-300)
    for li in (1, 2):
        for i in _NODES[li]:
            for j in _NODES[li - 1]:
                (x0, y0), (x1, y1) = _pos(j), _pos(i)
                has_grad = i in known["deltas"]
                if has_grad:
                    g = _grad(t, i, j)
                    color, width = ("C3" if g > 0 else "C0"), 0.6 + 5.0 * abs(g) / biggest
                else:
                    color, width = "0.75", 1.0
                active = current == i and kind in ("forward", "output_error", "hidden_error")
                fork = kind == "hidden_error" and j == current
                if active and kind == "forward":
                    color, width = "black", 2.0
                if fork:
                    color, width = "C1", 2.5
                ax.plot([x0, x1], [y0, y1], color=color, lw=width, zorder=1,
                        gid=f"edge-{i}-{j}", solid_capstyle="round")
                label = None
                if active and kind == "forward":
                    label = f"w{i}{j}={_weight(t, i, j):.2g}"
                elif active:
                    label = f"{_f(_grad(t, i, j))}"
                elif fork:
                    label = f"w{i}{j}·δ{i}"
                if label:
                    at = 0.5 if not fork else 0.62
                    ax.text(x0 + at * (x1 - x0), y0 + at * (y1 - y0), label, fontsize=8,
                            ha="center", va="center", color=color if color != "black" else "k",
                            gid=f"edge-label-{i}-{j}", zorder=5,
                            bbox=_BOX)
    for nodes in _NODES:
        for i in nodes:
            xy = _pos(i)
            here = current == i
            fill = "#fdf0e0" if i in known["values"] else "white"
            if i in _NODES[0]:
                fill = "#eef4fb"
            ax.add_patch(Circle(xy, 0.36, facecolor=fill, edgecolor="C3" if here else "black",
                                lw=3.0 if here else 1.3, zorder=3, gid=f"node-{i}"))
            ax.text(*xy, str(i), ha="center", va="center", fontsize=12, zorder=4)
            if i in known["values"]:
                ax.text(xy[0], xy[1] + 0.42, f"a{i}={_value(t, i, 'a'):.3f}", ha="center",
                        va="bottom", fontsize=8.5, zorder=4, gid=f"value-{i}", bbox=_BOX)
            if i in known["deltas"]:
                ax.text(xy[0], xy[1] - 0.42, f"δ{i}={_f(_value(t, i, 'delta'))}", ha="center",
                        va="top", fontsize=8.5, color="C3", zorder=4, gid=f"delta-{i}", bbox=_BOX)
    for row, i in enumerate(_NODES[2]):
        xy = _pos(i)
        ax.text(xy[0] + 0.6, xy[1], f"y{row + 1}={t['y'][row, 0]:g}", ha="left", va="center",
                fontsize=9, color="0.3")
    text = "E = ½Σ(a − y)²"
    if known["loss"]:
        text += f"\n= {_f(t['E'])}"
    if kind == "update":
        text += f"\nafter the update:\n{_f(t['E_after'])}"
    ax.add_patch(FancyBboxPatch((7.8, -0.75), 1.9, 1.5, boxstyle="round,pad=0.1",
                                fc="#f4f4f4", ec="C3" if kind in ("loss", "update") else "0.5",
                                lw=2 if kind in ("loss", "update") else 1, gid="error-box"))
    ax.text(8.75, 0.0, text, ha="center", va="center", fontsize=9)
    for l, name in enumerate(["inputs (layer 0)", "hidden (layer 1)", "outputs (layer 2)"]):
        ax.text(_X[l], -3.35, name, ha="center", va="center", fontsize=9, color="0.3")
    title = {"start": "the sample at the inputs", "forward": f"forward: node {current}",
             "loss": "the error E", "output_error": f"backward: δ{current} and its links",
             "hidden_error": f"backward: δ{current} from δ8 and δ9 (orange: the fork)",
             "update": "update: w ← w − η ∂E/∂w for every link (after all δ)"}[kind]
    ax.set_title(f"step {k}: {title}", fontsize=11, gid="title")
    ax.set_xlim(-0.8, 9.9)
    ax.set_ylim(-3.6, 3.2)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def plot_backprop_steps(steps=(6, 11, 14), params=None, x=None, y=None, lr=DEFAULT_LR):
    """The static version of the explorer: draw_network at several steps, one under the
    other (default: forward done, backward halfway, the update). Returns the pyplot Figure."""
    import matplotlib.pyplot as plt

    steps = [_checks.integer("plot_backprop_steps", "step", s, 0, len(STEPS) - 1) for s in steps]
    if not steps:
        raise ValueError("plot_backprop_steps: give at least one step (0 … 14).")
    trace = backprop_trace(params, x, y, lr)
    fig, axes = plt.subplots(len(steps), 1, figsize=(9.0, 4.6 * len(steps)),
                             layout="constrained", squeeze=False)
    for ax, s in zip(axes[:, 0], steps):
        draw_network(trace, s, ax=ax)
    return fig


class _Renderer:
    """draw_network on a plain Agg Figure (no pyplot, no GUI backend), as PNG bytes."""

    def __init__(self):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(9.0, 5.2), dpi=80)
        self.canvas = FigureCanvasAgg(self.figure)

    def render(self, trace: dict, k: int) -> bytes:
        import io

        self.figure.clear()
        ax = self.figure.add_axes((0.0, 0.0, 1.0, 0.94))
        draw_network(trace, k, ax=ax)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        return buffer.getvalue()


# --------------------------------------------------------------------------- the widget
def backprop_explorer(lr: float = DEFAULT_LR, params=None, x=None, y=None):
    """Step through backpropagation on seed 001's 3-4-2 network, one node at a time.

    Buttons: "next step ▶" (forward node by node, the error, the output errors, the hidden
    errors, then the update; after the update a new round starts from the new weights),
    "◀ step back", "to the update ⏭", "restart ⏮" (the starting weights, step 0), and
    "new sample" (another x and y; the weights and the step stay). A slider sets the
    learning rate η of the update. The readout shows the equation behind the current step
    with its numbers; the picture shows the values a_i and errors δ_i on the nodes and the
    gradients ∂E/∂w_ij on the links (width and colour by size and sign).

    Things to try: step through one round and redo two steps by hand; watch E after the
    update and play several rounds; raise η; press "new sample" in the middle of the
    backward pass — which numbers change?

    Returns an ipywidgets.VBox with attributes to drive it from code: ``.next_button``,
    ``.back_button``, ``.end_button``, ``.restart_button``, ``.sample_button``, ``.lr``
    (FloatSlider), ``.readout`` (HTML, always ``format_readout(trace(), step(), round())``
    plus a status line), ``.image`` (PNG bytes of ``draw_network(trace(), step())``),
    ``.figure``, and ``.trace()``, ``.step()``, ``.round()``, ``.params()``.
    """
    import ipywidgets as widgets

    lr = _checks.real("backprop_explorer", "lr (the learning rate η)", lr, LR_RANGE[0],
                      LR_RANGE[1])
    start = _params(DEFAULT_PARAMS if params is None else params)
    first = backprop_trace(start, x, y, lr)          # checks x and y too
    state = {"params": start, "x": first["x"], "y": first["y"], "step": 0, "round": 1,
             "samples": 0, "status": "", "trace": first}

    lr_slider = widgets.FloatSlider(value=lr, min=LR_RANGE[0], max=LR_RANGE[1],
                                    step=LR_RANGE[2], description="η (update)",
                                    readout_format=".1f", continuous_update=False,
                                    layout=widgets.Layout(width="320px"))

    def button(text, icon, tip):
        return widgets.Button(description=text, icon=icon, tooltip=tip,
                              layout=widgets.Layout(width="150px"))

    next_b = button("next step", "step-forward", "compute the next node, error or update")
    back_b = button("step back", "step-backward", "show the previous step again")
    end_b = button("to the update", "fast-forward", "compute everything up to the update")
    restart_b = button("restart", "undo", "the starting weights, step 0")
    sample_b = button("new sample", "random", "another x and y (same weights)")
    readout = widgets.HTML()
    image = widgets.Image(format="png", layout=widgets.Layout(width="720px"))
    renderer = _Renderer()
    last = len(STEPS) - 1

    def redraw() -> None:
        state["trace"] = backprop_trace(state["params"], state["x"], state["y"], lr_slider.value)
        readout.value = format_readout(state["trace"], state["step"], state["round"],
                                       state["status"])
        image.value = renderer.render(state["trace"], state["step"])

    def go(step=None, status="") -> None:
        if step is not None:
            state["step"] = step
        state["status"] = status
        redraw()

    def on_next(_=None) -> None:
        if state["step"] < last:
            go(state["step"] + 1)
        else:                           # after the update: a new round from the new weights
            state["params"] = {key: v.copy() for key, v in state["trace"]["new"].items()}
            state["round"] += 1
            go(0, f"round {state['round']}: the weights are the updated ones; E was "
                  f"{_f(state['trace']['E_after'])} after the last update.")

    def on_back(_=None) -> None:
        if state["step"] > 0:
            go(state["step"] - 1)
        else:
            go(None, f"already at step 0 of round {state['round']}: press “next step”.")

    def on_end(_=None) -> None:
        if state["step"] < last:
            go(last)
        else:
            go(None, "this is the update already: “next step” starts the next round.")

    def on_restart(_=None) -> None:
        if state["step"] == 0 and state["round"] == 1:
            go(None, "already at the start (step 0, the starting weights).")
            return
        state["params"], state["round"] = _params(start), 1
        go(0, "restarted: the starting weights, step 0.")

    def on_sample(_=None) -> None:
        state["samples"] += 1
        old = (state["x"].copy(), state["y"].copy())
        # A new draw, skipping any that repeats the current sample exactly.
        while True:
            state["x"], state["y"] = new_sample(state["samples"])
            if not (np.array_equal(state["x"], old[0]) and np.array_equal(state["y"], old[1])):
                break
            state["samples"] += 1
        go(None, f"new sample #{state['samples']}: same weights, same step.")

    next_b.on_click(on_next)
    back_b.on_click(on_back)
    end_b.on_click(on_end)
    restart_b.on_click(on_restart)
    sample_b.on_click(on_sample)
    lr_slider.observe(lambda _change: go(None, ""), names="value")

    title = widgets.HTML(
        "<b>Backpropagation, step by step</b> on seed 001's network: inputs 1–3, hidden "
        "4–7, outputs 8–9, sigmoid everywhere, E = ½Σ(a − y)². Values a on the nodes "
        "(forward), errors δ in red (backward), links coloured by ∂E/∂w "
        "(red positive, blue negative, width = size).")
    controls = widgets.VBox([lr_slider, widgets.HBox([next_b, back_b, end_b]),
                             widgets.HBox([restart_b, sample_b])])
    box = widgets.VBox([title, widgets.HBox([controls, readout]), image])
    box.next_button, box.back_button, box.end_button = next_b, back_b, end_b
    box.restart_button, box.sample_button, box.lr = restart_b, sample_b, lr_slider
    box.readout, box.image, box.figure = readout, image, renderer.figure
    box.trace = lambda: state["trace"]
    box.step = lambda: state["step"]
    box.round = lambda: state["round"]
    box.params = lambda: {key: v.copy() for key, v in state["params"].items()}
    redraw()
    return box
