"""Depth and the size of the error: how big ∂C/∂b^l is in each layer of a deep network.

BP2 moves the error one layer back,

    δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ σ′(z^l),

so the error reaching layer 1 of an L-layer network has been multiplied by L − 1 transposed
weight matrices and L − 1 factors σ′. For the sigmoid every σ′ is at most ¼; with weights of
moderate size the early layers' errors — and with them, by BP3, ∂C/∂b^l = Σ_samples δ^l —
come out orders of magnitude smaller than the last layer's: the early layers barely learn
(the *vanishing gradient*). tanh (σ′ ≤ 1) and relu (σ′ ∈ {0, 1}) lose less per layer; large
initial weights can make the errors grow instead (exploding gradients).

The numbers come from pure functions (:func:`make_network`, :func:`bias_gradient_sizes`,
:func:`depth_profile`, :func:`depth_sweep`), the pictures from pure plotting functions
(:func:`plot_profile`, :func:`plot_depth_sweep`), and the widget, :func:`depth_explorer`, only
wires controls to them — so each piece is tested, and used in the lesson, without a browser.

The task is fixed: 200 of the 8×8 handwritten digits (64 inputs, 10 one-hot outputs), hidden
layers of one width and one activation, a sigmoid output layer, the quadratic cost.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from . import _checks
from .datasets import digits
from .network import Network

__all__ = ["ACTIVATIONS", "RANGES", "DEFAULTS", "LEARNING_RATE", "depth_data", "make_network",
           "bias_gradient_sizes", "depth_profile", "depth_sweep", "plot_profile",
           "plot_depth_sweep", "format_readout", "depth_explorer"]

ACTIVATIONS = ("sigmoid", "tanh", "relu")
# (min, max, step) of each slider. layers is L, the number of weight layers (L − 1 hidden).
RANGES = {"layers": (2, 10, 1), "width": (4, 64, 4), "weight_scale": (0.25, 4.0, 0.25),
          "epochs": (0, 60, 5)}
DEFAULTS = {"layers": 6, "width": 16, "activation": "sigmoid", "weight_scale": 1.0,
            "epochs": 20, "seed": 0}
LEARNING_RATE = 0.5        # mini-batch SGD, batches of 20, for "after training"
BATCH_SIZE = 20
SAMPLES = 200
# Sizes below this are drawn at this height on the log axis (a relu layer can be exactly 0).
FLOOR = 1e-30


@lru_cache(maxsize=1)
def _data() -> tuple[np.ndarray, np.ndarray]:
    X, Y, _, _ = digits(seed=0)
    X, Y = X[:, :SAMPLES].copy(), Y[:, :SAMPLES].copy()
    X.flags.writeable = Y.flags.writeable = False
    return X, Y


def depth_data() -> tuple[np.ndarray, np.ndarray]:
    """The explorer's task: X (64, 200) pixels in [0, 1] and Y (10, 200) one-hot digits
    (copies; the same every call)."""
    X, Y = _data()
    return X.copy(), Y.copy()


def _settings(layers, width, activation, weight_scale, seed) -> tuple:
    func = "depth explorer"
    layers = _checks.integer(func, "layers", layers, 1)
    width = _checks.integer(func, "width", width, 1)
    weight_scale = _checks.real(func, "weight_scale", weight_scale, 0.0, low_inclusive=False)
    if activation not in ACTIVATIONS:
        raise ValueError(f"{func}: activation must be one of {ACTIVATIONS}, got {activation!r}.")
    return layers, width, activation, weight_scale, _checks.seed(func, "seed", seed)


def make_network(layers: int, width: int, activation: str, weight_scale: float = 1.0,
                 seed=0) -> Network:
    """The network of L = ``layers`` weight layers: sizes [64, width, …, width, 10], the
    hidden layers σ = ``activation``, a sigmoid output, the quadratic cost.

    Weights are bpkit's usual N(0, 1/n_(l−1)) multiplied by ``weight_scale``: scale 1 keeps
    every z^l of order 1; scale √n_(l−1) gives N(0, 1), the weights of Nielsen's vanishing-
    gradient experiment. Biases start at 0.
    """
    layers, width, activation, weight_scale, seed = _settings(layers, width, activation,
                                                              weight_scale, seed)
    sizes = [64] + [width] * (layers - 1) + [10]
    net = Network(sizes, activations=[activation] * (layers - 1) + ["sigmoid"], loss="mse",
                  seed=seed)
    for W in net.weights:
        W *= weight_scale
    return net


def bias_gradient_sizes(net: Network, X, Y) -> np.ndarray:
    """The mean size of one bias's gradient in each layer: entry l − 1 is the mean over the
    n_l neurons of |∂C/∂b^l_j|, where ∂C/∂b^l = Σ_samples δ^l (BP3). Shape (L,).

    How fast layer l's biases move under gradient descent (Nielsen calls ‖δ^l‖ the speed
    at which layer l learns); the weights' gradients δ^l (a^(l−1))ᵀ (BP4) follow the same δ^l.
    """
    return np.array([float(np.mean(np.abs(db))) for db in net.backward(X, Y).db])


def depth_profile(layers=DEFAULTS["layers"], width=DEFAULTS["width"],
                  activation=DEFAULTS["activation"], weight_scale=DEFAULTS["weight_scale"],
                  epochs=DEFAULTS["epochs"], seed=DEFAULTS["seed"]) -> dict:
    """Per-layer gradient sizes at initialisation and after ``epochs`` epochs of mini-batch
    SGD (batches of 20, learning rate 0.5) on the explorer's task.

    Returns a dict: the settings; "before" and "after", arrays (L,) from
    :func:`bias_gradient_sizes` (``after`` is None when training diverged); "loss_before",
    "loss_after" (None if diverged); "diverged", a message or None. Pure: the same
    arguments always give the same numbers.
    """
    layers, width, activation, weight_scale, seed = _settings(layers, width, activation,
                                                              weight_scale, seed)
    epochs = _checks.integer("depth explorer", "epochs", epochs, 0)
    X, Y = _data()
    net = make_network(layers, width, activation, weight_scale, seed)
    profile = {"layers": layers, "width": width, "activation": activation,
               "weight_scale": weight_scale, "epochs": epochs, "seed": seed,
               "before": bias_gradient_sizes(net, X, Y), "loss_before": net.loss(X, Y),
               "after": None, "loss_after": None, "diverged": None}
    try:
        history = net.fit(X, Y, epochs=epochs, lr=LEARNING_RATE, batch_size=BATCH_SIZE,
                          seed=seed, progress=False)
        profile["after"] = bias_gradient_sizes(net, X, Y)
        profile["loss_after"] = history.loss[-1]
    except (FloatingPointError, ValueError) as err:     # too large weights: overflow
        profile["diverged"] = str(err)
    return profile


def depth_sweep(depths=range(2, 9), activations=ACTIVATIONS, width: int = 16,
                weight_scale: float = 1.0, seed=0) -> dict:
    """bias_gradient_sizes at initialisation for every depth and activation:
    ``sweep[activation][L]`` is an array (L,). The lesson's plot of 2 … 8 layers."""
    X, Y = _data()
    return {act: {L: bias_gradient_sizes(make_network(L, width, act, weight_scale, seed), X, Y)
                  for L in depths}
            for act in activations}


# --------------------------------------------------------------------------- pictures
def _shown(values) -> np.ndarray:
    return np.maximum(np.asarray(values, dtype=float), FLOOR)


def plot_profile(profile: dict, ax=None):
    """Draw a depth_profile: mean |∂C/∂b^l| against the layer l on a log scale, at
    initialisation (solid) and after training (dashed), with the line a factor ¼ per layer
    back from the output would give (dotted: σ′ ≤ ¼ alone, for comparison).

    Returns the Axes; its lines have gids "before", "after" (when not diverged), "quarter".
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.5, 4.0))
    L = profile["layers"]
    l = np.arange(1, L + 1)
    before = profile["before"]
    ax.semilogy(l, _shown(before), "o-", color="C0", label="at initialisation", gid="before")
    if profile["after"] is not None:
        ax.semilogy(l, _shown(profile["after"]), "s--", color="C1",
                    label=f"after {profile['epochs']} epochs", gid="after")
    quarter = max(before[-1], FLOOR) * 0.25 ** (L - l)
    ax.semilogy(l, _shown(quarter), ":", color="gray", label="×¼ per layer back", gid="quarter")
    ax.set_xticks(l)
    ax.set_xlabel("layer l  (1 = first hidden layer, L = output)")
    ax.set_ylabel("mean |∂C/∂b^l_j|")
    title = (f"L = {L} layers of width {profile['width']}, {profile['activation']}, "
             f"weight scale {profile['weight_scale']:g}")
    if profile["diverged"]:
        title += "\n(training diverged: no 'after' curve)"
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small", loc="lower right")
    return ax


def plot_depth_sweep(sweep: dict, fig=None):
    """One panel per activation: mean |∂C/∂b^l| against l for each depth L, log scale.
    Returns the Figure."""
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(12.0, 3.8), layout="constrained")
    axes = fig.subplots(1, len(sweep), sharey=True, squeeze=False)[0]
    for ax, (act, by_depth) in zip(axes, sweep.items()):
        colors = _depth_colors(len(by_depth))
        for color, (L, sizes) in zip(colors, by_depth.items()):
            ax.semilogy(np.arange(1, L + 1), _shown(sizes), "o-", ms=3, color=color,
                        label=f"L = {L}")
        ax.set_title(f"hidden layers: {act}", fontsize=10)
        ax.set_xlabel("layer l")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("mean |∂C/∂b^l_j| at initialisation")
    axes[-1].legend(fontsize="x-small", loc="lower right", ncol=2)
    return fig


def _depth_colors(n: int):
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    return [cmap(0.9 * i / max(n - 1, 1)) for i in range(n)]


def format_readout(profile: dict) -> str:
    """The explorer's readout as HTML: per layer, the two sizes; then how many times smaller
    layer 1's gradient is than layer L's, and the cost before and after training."""
    def fmt(v):
        return "—" if v is None else f"{v:.2e}"

    after = profile["after"]
    pad = "style='padding:0 1em 0 0'"
    rows = "".join(
        f"<tr><td {pad}>{l}</td><td {pad}>{fmt(b)}</td>"
        f"<td {pad}>{fmt(None if after is None else after[l - 1])}</td></tr>"
        for l, b in enumerate(profile["before"], 1))
    before = profile["before"]
    ratio = before[-1] / before[0] if before[0] > 0 else math.inf
    lines = [f"at initialisation, layer 1's gradient is <b>{ratio:.3g}×</b> smaller than "
             f"layer {profile['layers']}'s" if ratio >= 1 else
             f"at initialisation, layer 1's gradient is <b>{1 / ratio:.3g}×</b> larger than "
             f"layer {profile['layers']}'s"]
    if profile["diverged"]:
        lines.append("training diverged (try a smaller weight scale)")
    else:
        lines.append(f"cost C: {profile['loss_before']:.4f} → {profile['loss_after']:.4f} after "
                     f"{profile['epochs']} epochs")
    return (f"<table style='font-family:monospace'><tr><th {pad}>l</th>"
            f"<th {pad}>mean |∂C/∂b| at start</th><th {pad}>after training</th></tr>{rows}"
            f"</table><p>{'<br>'.join(lines)}</p>")


# --------------------------------------------------------------------------- the widget
def _render(profile: dict) -> bytes:
    """plot_profile on a plain Agg Figure (no pyplot), as PNG bytes."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 4.0), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    plot_profile(profile, ax=fig.subplots())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def depth_explorer(**settings):
    """An interactive deep network: choose the number of layers L, the width of the hidden
    layers, their activation, the initial weight scale and how many epochs to train, and
    see mean |∂C/∂b^l| per layer (log scale) at initialisation and after training.

    Things to try: sigmoid with 2, 4, 6, 8 layers — how much smaller is layer 1's gradient
    each time? Switch to tanh, then relu. Raise the weight scale to 3 or 4: do the errors
    still shrink going back, or grow? Train longer: does the profile flatten?

    Returns an ipywidgets.VBox with, for driving it from code: ``.controls`` (dict "layers",
    "width", "activation", "weight_scale", "epochs" → widget), ``.new_weights`` (a Button:
    draws new initial weights), ``.readout`` (HTML, always ``format_readout(.profile())``),
    ``.image`` (PNG of ``plot_profile(.profile())``), ``.profile()`` (depth_profile of the
    current settings).
    """
    import ipywidgets as widgets

    start = {**DEFAULTS, **settings}
    unknown = set(start) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"depth_explorer: unknown settings {sorted(unknown)}; choose from "
                        f"{sorted(DEFAULTS)}.")
    _settings(start["layers"], start["width"], start["activation"], start["weight_scale"],
              start["seed"])
    style = {"description_width": "110px"}
    layout = widgets.Layout(width="360px")

    def int_slider(name, description):
        low, high, step = RANGES[name]
        return widgets.IntSlider(value=start[name], min=low, max=high, step=step,
                                 description=description, continuous_update=False,
                                 style=style, layout=layout)

    controls = {
        "layers": int_slider("layers", "layers L"),
        "width": int_slider("width", "width"),
        "activation": widgets.Dropdown(options=list(ACTIVATIONS), value=start["activation"],
                                       description="hidden σ", style=style, layout=layout),
        "weight_scale": widgets.FloatSlider(
            value=start["weight_scale"], min=RANGES["weight_scale"][0],
            max=RANGES["weight_scale"][1], step=RANGES["weight_scale"][2],
            description="weight scale", readout_format=".2f", continuous_update=False,
            style=style, layout=layout),
        "epochs": int_slider("epochs", "train epochs"),
    }
    new_weights = widgets.Button(description="new random weights", icon="refresh",
                                 tooltip="draw the initial weights again (another seed)")
    readout = widgets.HTML()
    image = widgets.Image(format="png", layout=widgets.Layout(width="520px"))
    state = {"seed": start["seed"]}

    def profile() -> dict:
        return depth_profile(**{k: c.value for k, c in controls.items()}, seed=state["seed"])

    def redraw(_change=None) -> None:
        p = profile()
        readout.value = format_readout(p)
        image.value = _render(p)

    def reseed(_button=None) -> None:
        state["seed"] += 1
        redraw()

    for control in controls.values():
        control.observe(redraw, names="value")
    new_weights.on_click(reseed)
    title = widgets.HTML("<b>Depth and the size of the error</b>: mean |∂C/∂b<sup>l</sup>| per "
                         "layer, on a log scale, for 200 digits. Solid: at initialisation; "
                         "dashed: after training.")
    box = widgets.VBox([title, widgets.HBox([widgets.VBox([*controls.values(), new_weights]),
                                             readout]), image])
    box.controls, box.new_weights, box.readout, box.image = controls, new_weights, readout, image
    box.profile = profile
    box.seed = lambda: state["seed"]
    redraw()
    return box
