"""Stage 3's pictures and explorers: cross-entropy against squared error, and a two-layer
network you can train and watch.

Two questions, one explorer each:

* **The learning-slowdown race.** One sigmoid neuron, one input x, one target y, started at
  (w₀, b₀) and trained twice by gradient descent — once on the squared error
  C = ½(a − y)², once on the cross-entropy C = −[y ln a + (1 − y) ln(1 − a)] — from the same
  start with the same learning rate. With the squared error the neuron's error is
  δ = (a − y)·σ′(z); with cross-entropy the σ′(z) cancels and δ = a − y. A neuron that starts
  saturated (|z| large, σ′(z) ≈ 0) and wrong therefore crawls with the first and runs with the
  second. :func:`race` computes both runs, :func:`plot_race` draws them,
  :func:`race_explorer` wires sliders to them.
* **The playground.** A network [2, n₁, 1] (sigmoid hidden layer of width n₁, sigmoid output,
  cross-entropy) trained by full-batch gradient descent on moons or circles, its decision
  boundary redrawn as it trains. :func:`playground_data`, :func:`new_network`,
  :func:`train_playground` and :func:`plot_playground` are pure; :func:`playground` wires
  them to controls, and trains in a background thread so that its button can stop it.

Every number comes from ``bpkit.Network`` (``forward``, ``loss``, ``backward``, ``step``,
``fit``): the explorers show the library's own arithmetic, they do not re-derive it. The
pictures draw on a plain matplotlib Figure (no pyplot) when a widget drives them, so they
behave the same in JupyterLab, the classic notebook and headless.

ipywidgets and matplotlib are imported inside the functions that need them.
"""
from __future__ import annotations

import math
import threading

import numpy as np

from . import _checks
from .activations import sigmoid, sigmoid_prime
from .network import History, Network

__all__ = ["race", "epochs_until", "plot_race", "format_race", "race_explorer",
           "RACE_RANGES", "RACE_DEFAULTS", "draw_output_graph", "draw_two_layer",
           "playground_data", "new_network", "train_playground", "frame_sizes",
           "probability_grid", "plot_playground", "format_status", "playground",
           "PLAYGROUND_RANGES", "PLAYGROUND_DEFAULTS", "DATASETS"]

LOSSES = ("mse", "cross_entropy")
_LABEL = {"mse": "squared error", "cross_entropy": "cross-entropy"}
_COLOUR = {"mse": "C0", "cross_entropy": "C3"}

# The race's sliders, (min, max, step). The defaults are the classic demonstration: x = 1,
# y = 0, w₀ = b₀ = 2, so z = 4, a ≈ 0.98 — confidently wrong — and σ′(4) ≈ 0.018.
RACE_RANGES = {"w0": (-4.0, 4.0, 0.1), "b0": (-4.0, 4.0, 0.1), "lr": (0.01, 1.0, 0.01),
               "epochs": (50, 1000, 50)}
RACE_DEFAULTS = {"w0": 2.0, "b0": 2.0, "lr": 0.15, "epochs": 300}
# Fixed margins (a layout engine would be recomputed at every frame).
RACE_MARGINS = dict(left=0.05, right=0.99, bottom=0.14, top=0.91, wspace=0.28)
PLAYGROUND_MARGINS = dict(left=0.06, right=0.98, bottom=0.12, top=0.92, wspace=0.18)
# "Learned" means the output came within this distance of the target.
TOLERANCE = 0.1
MAX_EPOCHS = 100_000


# =========================================================================== the race
def _run(loss: str, w0: float, b0: float, x: float, y: float, lr: float, epochs: int) -> dict:
    """One neuron trained by gradient descent; everything recorded before each step."""
    net = Network.from_params([np.array([[w0]])], [np.array([[b0]])], "sigmoid", loss)
    X, Y = np.array([[x]]), np.array([[y]])
    keys = ("w", "b", "output", "cost", "grad_w", "grad_b")
    record = {k: np.empty(epochs + 1) for k in keys}
    for k in range(epochs + 1):
        g = net.backward(X, Y)                 # the gradient at the parameters after k epochs
        values = (net.weights[0][0, 0], net.biases[0][0, 0], net.predict(X)[0, 0],
                  net.loss(X, Y), g.dW[0][0, 0], g.db[0][0, 0])
        for key, value in zip(keys, values):
            record[key][k] = value
        if k < epochs:
            net.step(g, lr)
    return record


def race(w0=RACE_DEFAULTS["w0"], b0=RACE_DEFAULTS["b0"], *, x: float = 1.0, y: float = 0.0,
         lr=RACE_DEFAULTS["lr"], epochs=RACE_DEFAULTS["epochs"]) -> dict:
    """Train one sigmoid neuron from (w₀, b₀) twice — squared error, then cross-entropy —
    with the same learning rate η = lr, on the single sample (x, y).

        z = w x + b,  a = σ(z)
        squared error  C = ½(a − y)²                      δ = ∂C/∂z = (a − y)·σ′(z)
        cross-entropy  C = −[y ln a + (1 − y) ln(1 − a)]   δ = ∂C/∂z = a − y
        ∂C/∂w = δ x,   ∂C/∂b = δ,   then  w ← w − η ∂C/∂w,  b ← b − η ∂C/∂b

    Returns a dict: the inputs ("w0", "b0", "x", "y", "lr", "epochs"), "epoch" =
    0, 1, …, epochs, and for each cost, "mse" and "cross_entropy", a dict of float64
    arrays of length epochs + 1 — "w", "b", "output" (a), "cost", "grad_w" (∂C/∂w),
    "grad_b" (∂C/∂b) — where entry k belongs to the parameters after k epochs (entry 0 is the
    start, as in every training history of the course). Pure and deterministic.
    """
    func = "race"
    w0 = _checks.real(func, "w0 (the starting weight)", w0, -1e6, 1e6)
    b0 = _checks.real(func, "b0 (the starting bias)", b0, -1e6, 1e6)
    x = _checks.real(func, "x (the input)", x, -1e6, 1e6)
    y = _checks.real(func, "y (the target)", y, 0.0, 1.0)
    lr = _checks.real(func, "lr (the learning rate η)", lr, 0.0, 1e6, low_inclusive=False)
    epochs = _checks.integer(func, "epochs", epochs, 1, MAX_EPOCHS)
    out = {"w0": w0, "b0": b0, "x": x, "y": y, "lr": lr, "epochs": epochs,
           "epoch": np.arange(epochs + 1)}
    for loss in LOSSES:
        out[loss] = _run(loss, w0, b0, x, y, lr, epochs)
    return out


def epochs_until(run: dict, y: float, tolerance: float = TOLERANCE):
    """The first epoch k at which the output is within ``tolerance`` of the target y
    (|a_k − y| < tolerance), or None if it never gets there. run: one cost's dict from race."""
    close = np.flatnonzero(np.abs(np.asarray(run["output"]) - y) < tolerance)
    return int(close[0]) if close.size else None


def _fmt(value: float) -> str:
    """4 decimals, or scientific notation for tiny values (a saturated gradient is small,
    not zero)."""
    return f"{value:.4f}" if value == 0 or abs(value) >= 1e-3 else f"{value:.2e}"


def format_race(result: dict) -> str:
    """The race's readout as HTML: where the neuron starts (z, a, σ′(z)), each cost's
    first gradient ∂C/∂w, how many epochs each needs to bring a within 0.1 of y, and each
    cost at the end."""
    z = result["w0"] * result["x"] + result["b0"]
    a, slope = float(sigmoid(z)), float(sigmoid_prime(z))
    rows = []
    for loss in LOSSES:
        run = result[loss]
        k = epochs_until(run, result["y"])
        reached = f"epoch <b>{k}</b>" if k is not None else f"not within {result['epochs']} epochs"
        rows.append(f"<tr><td style='padding-right:1em'>{_LABEL[loss]}</td>"
                    f"<td style='padding-right:1em'>{_fmt(run['grad_w'][0])}</td>"
                    f"<td style='padding-right:1em'>{reached}</td>"
                    f"<td>{_fmt(run['cost'][-1])}</td></tr>")
    head = ("<tr><th align=left>cost</th><th align=left>first ∂C/∂w</th>"
            f"<th align=left>|a − y| &lt; {TOLERANCE} at</th><th align=left>cost at the end</th></tr>")
    return (f"<p>start: z = w₀x + b₀ = {z:.2f}, a = σ(z) = {a:.4f} for target y = "
            f"{result['y']:g}; σ′(z) = {_fmt(slope)}; η = {result['lr']:g}, "
            f"{result['epochs']} epochs</p>"
            f"<table style='font-family:monospace'>{head}{''.join(rows)}</table>")


def plot_race(result: dict, fig=None):
    """The race in three panels, both costs in each (squared error blue, cross-entropy red):

    1. the output a against epochs completed, with the target y dashed;
    2. each cost against epochs (log scale: each starts where its own formula puts it);
    3. the gradient size |∂C/∂w| against epochs, log scale: the squared error's carries the
       factor σ′(z), tiny while the neuron is saturated. (∂C/∂b = ∂C/∂w / x: the same curve
       for x = 1.)

    result: a dict from :func:`race`. fig: a matplotlib Figure without Axes (a new pyplot
    figure when None). Returns the Figure. Lines have gids "output-mse",
    "output-cross_entropy", "cost-…", "grad_w-…".
    """
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(12.0, 3.6))
        fig.subplots_adjust(**RACE_MARGINS)
    ax_a, ax_c, ax_g = fig.subplots(1, 3)
    epoch = result["epoch"]
    for loss in LOSSES:
        run, colour, label = result[loss], _COLOUR[loss], _LABEL[loss]
        ax_a.plot(epoch, run["output"], color=colour, label=label, gid=f"output-{loss}")
        ax_c.plot(epoch, np.maximum(run["cost"], 1e-300), color=colour, label=label,
                  gid=f"cost-{loss}")
        ax_g.plot(epoch, np.maximum(np.abs(run["grad_w"]), 1e-300), color=colour,
                  label=f"|∂C/∂w|, {label}", gid=f"grad_w-{loss}")
    ax_a.axhline(result["y"], color="gray", ls="--", lw=1, label=f"target y = {result['y']:g}")
    ax_a.set_ylim(-0.03, 1.03)
    ax_a.set_ylabel("output a = σ(wx + b)")
    ax_a.set_title(f"start: w₀ = {result['w0']:g}, b₀ = {result['b0']:g}, η = {result['lr']:g}",
                   fontsize="medium")
    ax_c.set_yscale("log")
    ax_c.set_ylabel("cost C")
    ax_c.set_title("each cost, from the same start", fontsize="medium")
    ax_g.set_yscale("log")
    ax_g.set_ylabel("gradient size")
    ax_g.set_title("the gradients behind the curves", fontsize="medium")
    for ax in (ax_a, ax_c, ax_g):
        ax.set_xlabel("epochs completed")
        ax.set_xlim(0, result["epochs"])
        ax.grid(True, alpha=0.3)
    ax_a.legend(fontsize="x-small", loc="center right")
    ax_c.legend(fontsize="x-small", loc="lower left")
    ax_g.legend(fontsize="x-small", loc="lower left")
    return fig


class _Renderer:
    """A plain Agg Figure (no pyplot, no GUI backend) that a widget redraws and sends as PNG."""

    def __init__(self, figsize, margins: dict, dpi=72):
        self.margins = margins
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        # Fixed margins, not a layout engine: the layout would be recomputed every frame.
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)

    def render(self, draw) -> bytes:
        """Clear the figure, call draw(figure), return the picture as PNG bytes."""
        import io

        with _RENDER_LOCK:                      # one matplotlib draw at a time, across threads
            self.figure.clear(keep_observers=True)
            draw(self.figure)
            self.figure.subplots_adjust(**self.margins)
            buffer = io.BytesIO()
            self.canvas.print_png(buffer)
        return buffer.getvalue()


_RENDER_LOCK = threading.Lock()


def _slider(widgets, cls, name, value, low, high, step, description, fmt=None):
    if not low <= value <= high:
        raise ValueError(f"{name}={value} is outside the slider's range [{low}, {high}].")
    kwargs = dict(value=value, min=low, max=high, step=step, description=description,
                  continuous_update=False, style={"description_width": "110px"},
                  layout=widgets.Layout(width="360px"))
    if fmt:
        kwargs["readout_format"] = fmt
    return cls(**kwargs)


def race_explorer(w0=RACE_DEFAULTS["w0"], b0=RACE_DEFAULTS["b0"], lr=RACE_DEFAULTS["lr"],
                  epochs=RACE_DEFAULTS["epochs"]):
    """The learning-slowdown race as a widget: sliders for the starting weight w₀ and bias
    b₀ of one sigmoid neuron (input x = 1, target y = 0), the learning rate η and the number
    of epochs; every change re-runs :func:`race` and redraws :func:`plot_race`, with the
    numbers of :func:`format_race` beside the sliders.

    Things to try: start saturated and wrong (w₀ = b₀ = 2, the default) and count the epochs
    each cost needs; make it worse (w₀ = b₀ = 4); start unsaturated (w₀ = b₀ = 0.5) — the two
    runs are close; start saturated and *right* (w₀ = b₀ = −3): nothing needs learning.

    Returns an ipywidgets.VBox with ``.sliders`` (dict "w0", "b0", "lr", "epochs"),
    ``.readout`` (HTML), ``.image`` (PNG bytes of the figure), ``.figure`` and ``.result()``
    (the race of the current slider values).
    """
    import ipywidgets as widgets

    func = "race_explorer"
    start = {"w0": _checks.real(func, "w0", w0, -math.inf),
             "b0": _checks.real(func, "b0", b0, -math.inf),
             "lr": _checks.real(func, "lr", lr, -math.inf),
             "epochs": _checks.integer(func, "epochs", epochs, 0)}
    names = {"w0": "start weight w₀", "b0": "start bias b₀", "lr": "learning rate η",
             "epochs": "epochs"}
    sliders = {}
    for key, (low, high, step) in RACE_RANGES.items():
        cls = widgets.IntSlider if key == "epochs" else widgets.FloatSlider
        fmt = None if key == "epochs" else ".2f"
        try:
            sliders[key] = _slider(widgets, cls, key, start[key], low, high, step, names[key], fmt)
        except ValueError as err:
            raise ValueError(f"{func}: {err}") from None
    readout = widgets.HTML()
    image = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width="960px"))
    renderer = _Renderer((12.0, 3.6), RACE_MARGINS)

    def result() -> dict:
        s = {k: v.value for k, v in sliders.items()}
        return race(s["w0"], s["b0"], lr=s["lr"], epochs=s["epochs"])

    def redraw(_change=None) -> None:
        r = result()
        readout.value = format_race(r)
        image.value = renderer.render(lambda fig: plot_race(r, fig=fig))

    for s in sliders.values():
        s.observe(redraw, names="value")
    title = widgets.HTML("<b>The learning-slowdown race</b>: one sigmoid neuron, x = 1, target "
                         "y = 0, trained from the same start on the squared error (blue) and "
                         "on the cross-entropy (red).")
    box = widgets.VBox([title, widgets.HBox([widgets.VBox(list(sliders.values())), readout]),
                        image])
    box.sliders, box.readout, box.image, box.figure = sliders, readout, image, renderer.figure
    box.result = result
    redraw()
    return box


# =========================================================================== diagrams
def _canvas(ax, xlim, ylim, figsize):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def _node(ax, xy, text, *, r=0.36, color="white", fontsize=12):
    from matplotlib.patches import Circle

    ax.add_patch(Circle(xy, r, facecolor=color, edgecolor="black", lw=1.5, zorder=3))
    ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, zorder=4)


def _arrow(ax, start, end, *, shrink=0.4, color="black", lw=1.4, text=None, offset=0.22,
           text_color=None, fontsize=10):
    start, end = np.asarray(start, float), np.asarray(end, float)
    d = (end - start) / np.linalg.norm(end - start)
    ax.annotate("", xy=end - shrink * d, xytext=start + shrink * d,
                arrowprops=dict(arrowstyle="-|>", color=color, lw=lw), zorder=2)
    if text:
        where = (start + end) / 2 + offset * np.array([-d[1], d[0]])
        ax.text(*where, text, ha="center", va="center", fontsize=fontsize,
                color=text_color or color,
                bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none"))


def draw_output_graph(z=-2.0, y=1.0, ax=None):
    """The output neuron of a cross-entropy network as a computation graph, for one sample:

        z → σ → a → L = −[y ln a + (1 − y) ln(1 − a)]

    Forward values above the nodes; backward, in red, the gradient of L at each node and
    the local derivative on each edge: ∂L/∂a (seed 003's equation 8-12), σ′(z) = a(1 − a),
    and their product ∂L/∂z (8-13). Returns the Axes.

    z is limited to |z| ≤ 20, where a = σ(z) and 1 − a keep enough digits for the pieces to
    be computed as written (section "numerical care" of lesson 3 shows what happens beyond).
    """
    z = _checks.real("draw_output_graph", "z", z, -20.0, 20.0)
    y = _checks.real("draw_output_graph", "y", y, 0.0, 1.0)
    a, slope = float(sigmoid(z)), float(sigmoid_prime(z))
    L = -(y * math.log(a) + (1 - y) * math.log(1 - a))
    dL_da = -y / a + (1 - y) / (1 - a)
    ax = _canvas(ax, (-0.8, 9.4), (-2.3, 1.9), (10.0, 4.0))
    red = "C3"
    pos = {"z": (0.0, 0.0), "a": (3.4, 0.0), "L": (7.4, 0.0), "y": (7.4, -1.8)}
    _node(ax, pos["z"], "z", color="#eef4fb")
    _node(ax, pos["a"], "σ")
    _node(ax, pos["L"], "L")
    _node(ax, pos["y"], "y", r=0.3, color="#eef4fb")
    ax.text(0, 0.5, f"z = {z:.4g}", ha="center", va="bottom", fontsize=10)
    ax.text(3.4, 0.5, f"a = σ(z) = {a:.4g}", ha="center", va="bottom", fontsize=10)
    ax.text(7.4, 0.5, f"L = {L:.4g}", ha="center", va="bottom", fontsize=10)
    ax.text(7.9, -1.8, f"y = {y:g}", ha="left", va="center", fontsize=10)
    _arrow(ax, pos["z"], pos["a"], text=f"× σ′(z) = a(1 − a) = {slope:.4g}", offset=-0.45,
           text_color=red)
    _arrow(ax, pos["a"], pos["L"], text=f"× ∂L/∂a = −y/a + (1 − y)/(1 − a) = {dL_da:.4g}",
           offset=-0.45, text_color=red, fontsize=9)
    _arrow(ax, pos["y"], pos["L"], shrink=0.34)
    ax.text(7.4 + 0.5, 0.0, "∂L/∂L = 1", ha="left", va="center", fontsize=10, color=red)
    ax.text(3.4, -0.95, f"∂L/∂a = {dL_da:.4g}", ha="center", va="top", fontsize=10, color=red)
    ax.text(0, -0.95, f"∂L/∂z = {dL_da * slope:.4g}", ha="center", va="top", fontsize=10,
            color=red)
    ax.text(4.3, 1.55, "forward: values (black)  ·  backward, right to left: upstream "
            "gradient × local derivative (red)", ha="center", fontsize=10)
    return ax


def draw_two_layer(n0=2, n1=3, ax=None):
    """The two-layer network of stage 3: n₀ inputs (layer 0), n₁ sigmoid hidden neurons
    (layer 1), one sigmoid output (layer 2), and the cross-entropy cost, with the shape of
    every parameter: W¹ (n₁, n₀), b¹ (n₁, 1), W² (1, n₁), b² (1, 1). Returns the Axes."""
    n0 = _checks.integer("draw_two_layer", "n0", n0, 1, 8)
    n1 = _checks.integer("draw_two_layer", "n1", n1, 1, 8)
    tall = max(n0, n1)
    ax = _canvas(ax, (-1.3, 11.0), (-tall * 0.75 - 1.1, tall * 0.75 + 1.0), (10.0, 1.5 + 1.1 * tall))
    y0 = np.linspace((n0 - 1) * 0.75, -(n0 - 1) * 0.75, n0)
    y1 = np.linspace((n1 - 1) * 0.75, -(n1 - 1) * 0.75, n1)
    for k, yk in enumerate(y0, 1):
        _node(ax, (0, yk), f"$x_{k}$", r=0.32, color="#eef4fb")
        for yj in y1:
            _arrow(ax, (0, yk), (3.6, yj), shrink=0.36, color="gray", lw=0.9)
    for j, yj in enumerate(y1, 1):
        _node(ax, (3.6, yj), f"$a^1_{j}$", r=0.32)
        _arrow(ax, (3.6, yj), (7.0, 0.0), shrink=0.36, color="gray", lw=0.9)
    _node(ax, (7.0, 0.0), "$a^2$", r=0.36, color="#fdf0e0")
    _arrow(ax, (7.0, 0.0), (9.6, 0.0), shrink=0.4)
    ax.text(9.75, 0.0, "C", ha="left", va="center", fontsize=14)
    low = -tall * 0.75 - 0.55
    ax.text(0, low, f"layer 0: X\n({n0}, m)", ha="center", va="top", fontsize=10)
    ax.text(1.8, low, f"W¹ ({n1}, {n0})\nb¹ ({n1}, 1)", ha="center", va="top", fontsize=10,
            color="C0")
    ax.text(3.6, low, f"layer 1: σ\na¹ ({n1}, m)", ha="center", va="top", fontsize=10)
    ax.text(5.3, low, f"W² (1, {n1})\nb² (1, 1)", ha="center", va="top", fontsize=10, color="C0")
    ax.text(7.0, low, "layer 2: σ\na² (1, m)", ha="center", va="top", fontsize=10)
    ax.text(9.2, low, "cross-entropy\nC, a number", ha="center", va="top", fontsize=10)
    ax.set_title(f"A {n0}-{n1}-1 network: z¹ = W¹X + b¹, a¹ = σ(z¹), z² = W²a¹ + b², "
                 f"a² = σ(z²)", fontsize=11)
    return ax


# =========================================================================== the playground
DATASETS = ("moons", "circles")
NOISE = {"moons": 0.2, "circles": 0.1}
PLAYGROUND_RANGES = {"hidden": (1, 20, 1), "lr": (0.1, 10.0, 0.1), "epochs": (50, 3000, 50)}
PLAYGROUND_DEFAULTS = {"dataset": "moons", "hidden": 3, "lr": 5.0, "epochs": 1000}
FRAMES = 10          # pictures per training run, at most
RESOLUTION = 70      # grid points per axis of the probability map


def playground_data(dataset="moons", m: int = 200, noise: float | None = None, seed: int = 0):
    """A training set and a held-out set of the same 2-D problem, drawn with different seeds:
    (X, Y, X_test, Y_test), X (2, m), Y (1, m) of 0/1 labels. dataset: "moons" or "circles";
    noise: the points' scatter, by default :data:`NOISE` of the dataset (circles are smaller,
    so less)."""
    from . import datasets

    if dataset not in DATASETS:
        raise ValueError(f"playground_data: dataset must be one of {DATASETS}, got {dataset!r}")
    seed = _checks.integer("playground_data", "seed", seed, 0, 2**31 - 2)
    make = datasets.moons if dataset == "moons" else datasets.circles
    noise = NOISE[dataset] if noise is None else noise
    return (*make(m=m, noise=noise, seed=seed), *make(m=m, noise=noise, seed=seed + 1))


def new_network(hidden, seed: int = 0) -> Network:
    """A [2, hidden, 1] network, sigmoid layers, cross-entropy cost, weights from ``seed``."""
    hidden = _checks.integer("new_network", "hidden (the hidden width n₁)", hidden, 1, 1000)
    return Network([2, hidden, 1], activations="sigmoid", loss="cross_entropy", seed=seed)


def _extend(history: History, more: History) -> None:
    """Append a later run's record to ``history``; its entry 0 repeats history's last one."""
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        getattr(history, key).extend(getattr(more, key)[1:])


def _start(net: Network, data) -> History:
    """The record of a network before any training: the epoch-0 entries."""
    return net.fit(data[0], data[1], epochs=0, lr=1.0, progress=False,
                   validation=(data[2], data[3]))


def frame_sizes(epochs, frames: int | None = None) -> list:
    """How a run of ``epochs`` is cut into at most ``frames`` chunks (default :data:`FRAMES`),
    one picture after each: equal sizes (the first few one larger), summing to epochs. Fixed
    by epochs alone, so the same run always shows the same pictures."""
    epochs = _checks.integer("frame_sizes", "epochs", epochs, 1)
    frames = FRAMES if frames is None else _checks.integer("frame_sizes", "frames", frames, 1)
    n = min(frames, epochs)
    return [epochs // n + (i < epochs % n) for i in range(n)]


def train_playground(dataset="moons", hidden=3, lr=5.0, epochs=1000, seed: int = 0):
    """Train a fresh :func:`new_network` on :func:`playground_data` by full-batch gradient
    descent. Returns (net, data, history); history.loss[k] (and accuracy, val_loss,
    val_accuracy) after k epochs, k = 0 … epochs. The widget's run, without the widget:
    the same chunks (:func:`frame_sizes`), so the same numbers."""
    data = playground_data(dataset, seed=seed)
    net = new_network(hidden, seed)
    history = _start(net, data)
    for size in frame_sizes(epochs):
        _extend(history, _fit(net, data, lr, size))
    return net, data, history


def _fit(net, data, lr, epochs) -> History:
    return net.fit(data[0], data[1], epochs=epochs, lr=lr, seed=0, progress=False,
                   validation=(data[2], data[3]))


def probability_grid(net: Network, X, resolution: int = RESOLUTION, padding: float = 0.5):
    """The network's output a² = P(class 1) on a resolution × resolution grid around X:
    (x1, x2, P), x1 and x2 the grid's coordinates (each of length resolution), P of shape
    (resolution, resolution) with P[i, j] at (x1[j], x2[i])."""
    X = _checks.array(X, "X", "probability_grid")
    resolution = _checks.integer("probability_grid", "resolution", resolution, 2, 2000)
    lo, hi = X.min(axis=1) - padding, X.max(axis=1) + padding
    x1, x2 = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    g1, g2 = np.meshgrid(x1, x2)
    P = net.predict(np.vstack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
    return x1, x2, P


def format_status(history: History, hidden: int, state: str = "") -> str:
    """One line: epochs trained, training cost and accuracy, held-out accuracy, and state."""
    k = history.epochs
    text = (f"hidden width n₁ = {hidden} · <b>{k}</b> epochs trained · training cost "
            f"{history.loss[-1]:.4f} · accuracy: training <b>{history.accuracy[-1]:.1%}</b>, "
            f"held-out <b>{history.val_accuracy[-1]:.1%}</b>")
    return text + (f" · {state}" if state else "")


def plot_playground(net: Network, data, history: History, fig=None,
                    resolution: int = RESOLUTION):
    """Left: the plane coloured by the network's output a² = P(class 1) (blue 0 … red 1),
    the decision boundary a² = ½ in black, training points (circles) and held-out points
    (crosses). Right: the cost against epochs completed, training and held-out.

    data: (X, Y, X_test, Y_test) from :func:`playground_data`. Returns the Figure.
    """
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(11.0, 4.2))
        fig.subplots_adjust(**PLAYGROUND_MARGINS)
    X, Y, Xt, Yt = data
    left, right = fig.subplots(1, 2, width_ratios=[1.15, 1])
    x1, x2, P = probability_grid(net, np.hstack([X, Xt]), resolution)
    left.imshow(P, origin="lower", extent=(x1[0], x1[-1], x2[0], x2[-1]), cmap="RdBu_r",
                vmin=0, vmax=1, alpha=0.55, aspect="auto", gid="probability")
    if P.min() < 0.5 < P.max():          # else the boundary is off the picture: no contour
        left.contour(x1, x2, P, levels=[0.5], colors="k", linewidths=1.5)
    for points, labels, marker, name in ((X, Y, "o", "training"), (Xt, Yt, "x", "held-out")):
        for c, colour in ((0, "C0"), (1, "C3")):
            sel = labels[0] == c
            kw = dict(edgecolors="k", linewidths=0.4) if marker == "o" else dict(linewidths=1.0)
            left.scatter(points[0, sel], points[1, sel], s=14, marker=marker, color=colour,
                         label=f"{name}, class {c}", **kw)
    left.set_xlabel("x₁")
    left.set_ylabel("x₂")
    left.set_title(f"a² = P(class 1) after {history.epochs} epochs; black: a² = ½",
                   fontsize="medium")
    left.legend(fontsize="x-small", loc="lower left", ncol=2)
    epochs = np.arange(len(history.loss))
    right.plot(epochs, history.loss, color="C0", label="training cost", gid="loss")
    right.plot(epochs, history.val_loss, "--", color="C1", label="held-out cost", gid="val_loss")
    right.set_xlim(0, max(1, history.epochs))
    right.set_ylim(0, max(0.8, 1.05 * max(max(history.loss), max(history.val_loss))))
    right.set_xlabel("epochs completed")
    right.set_ylabel("cross-entropy C")
    right.set_title(f"held-out accuracy {history.val_accuracy[-1]:.1%}", fontsize="medium")
    right.grid(True, alpha=0.3)
    right.legend(fontsize="small")
    return fig


def playground(dataset=PLAYGROUND_DEFAULTS["dataset"], hidden=PLAYGROUND_DEFAULTS["hidden"],
               lr=PLAYGROUND_DEFAULTS["lr"], epochs=PLAYGROUND_DEFAULTS["epochs"], *,
               seed: int = 0, background: bool = True):
    """A two-layer network to train and watch: its decision boundary is redrawn as it trains.

    Controls: the data set (moons or circles), the hidden width n₁ and the seed of the
    starting weights (a change starts a fresh, untrained network), the learning rate η and
    the number of epochs of the next run. **train** runs those epochs of full-batch gradient
    descent on top of what was trained so far, redrawing the picture :data:`FRAMES` times
    (a progress bar counts the epochs); while it runs the same button says **stop**.
    **reset** goes back to the untrained network.

    background=True trains in a thread, so that the kernel stays free to hear "stop";
    background=False trains inside the click (for tests and scripts). Either way the run is
    deterministic: the same clicks give the same pictures.

    Returns an ipywidgets.VBox with ``.dataset`` (Dropdown), ``.sliders`` (dict "hidden",
    "seed", "lr", "epochs"), ``.train_button``, ``.reset_button``, ``.progress``,
    ``.status`` (HTML), ``.image``, ``.figure``, ``.state`` (dict: "net", "data", "history"),
    ``.running()`` and ``.wait(timeout)`` (join the training thread).
    """
    import ipywidgets as widgets

    func = "playground"
    if dataset not in DATASETS:
        raise ValueError(f"{func}: dataset must be one of {DATASETS}, got {dataset!r}")
    start = {"hidden": _checks.integer(func, "hidden", hidden, 0),
             "seed": _checks.integer(func, "seed", seed, 0),
             "lr": _checks.real(func, "lr", lr, -math.inf),
             "epochs": _checks.integer(func, "epochs", epochs, 0)}
    background = _checks.flag(func, "background", background)
    ranges = {"hidden": PLAYGROUND_RANGES["hidden"], "seed": (0, 9, 1),
              "lr": PLAYGROUND_RANGES["lr"], "epochs": PLAYGROUND_RANGES["epochs"]}
    names = {"hidden": "hidden width n₁", "seed": "weights' seed", "lr": "learning rate η",
             "epochs": "epochs per run"}
    sliders = {}
    for key, (low, high, step) in ranges.items():
        cls = widgets.FloatSlider if key == "lr" else widgets.IntSlider
        try:
            sliders[key] = _slider(widgets, cls, key, start[key], low, high, step, names[key],
                                   ".1f" if key == "lr" else None)
        except ValueError as err:
            raise ValueError(f"{func}: {err}") from None
    choose = widgets.Dropdown(options=list(DATASETS), value=dataset, description="data",
                              style={"description_width": "110px"},
                              layout=widgets.Layout(width="360px"))
    train_button = widgets.Button(description="train", icon="play",
                                  tooltip="train for the chosen epochs; press again to stop")
    reset_button = widgets.Button(description="reset", icon="undo",
                                  tooltip="back to the untrained network")
    progress = widgets.IntProgress(value=0, min=0, max=start["epochs"], description="run",
                                   style={"description_width": "110px"},
                                   layout=widgets.Layout(width="360px"))
    status = widgets.HTML()
    image = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width="900px"))
    renderer = _Renderer((11.0, 4.2), PLAYGROUND_MARGINS)
    state = {"net": None, "data": None, "history": None}
    lock = threading.RLock()             # guards state between the kernel and the trainer
    stop = threading.Event()
    worker = {"thread": None}

    def running() -> bool:
        thread = worker["thread"]
        return thread is not None and thread.is_alive()

    def draw(note: str = "") -> None:
        with lock:
            net, data, history = state["net"], state["data"], state["history"]
            status.value = format_status(history, net.sizes[1], note)
            image.value = renderer.render(lambda fig: plot_playground(net, data, history, fig))

    def rebuild(note: str, new_data: bool = False) -> None:
        halt()
        with lock:
            if new_data:
                state["data"] = playground_data(choose.value, seed=0)
            state["net"] = new_network(sliders["hidden"].value, sliders["seed"].value)
            state["history"] = _start(state["net"], state["data"])
        progress.value = 0
        draw(note)

    def halt() -> None:
        if running():
            stop.set()
            worker["thread"].join()

    def train(lr: float, epochs: int) -> None:
        done = 0
        progress.max, progress.value = epochs, 0
        try:
            for size in frame_sizes(epochs):
                if stop.is_set():
                    break
                with lock:
                    _extend(state["history"], _fit(state["net"], state["data"], lr, size))
                done += size
                progress.value = done
                draw(f"training: epoch {done} of {epochs} (η = {lr:g})")
            note = (f"stopped after {done} of {epochs} epochs" if done < epochs
                    else f"done: {epochs} epochs at η = {lr:g}; press train to continue")
        except FloatingPointError as err:
            note = f"diverged: {err}"
        train_button.description, train_button.icon = "train", "play"
        draw(note)

    def on_train(_button=None) -> None:
        if running():                    # the button says "stop"
            stop.set()
            return
        stop.clear()
        lr_, epochs_ = sliders["lr"].value, sliders["epochs"].value
        train_button.description, train_button.icon = "stop", "stop"
        if background:
            worker["thread"] = threading.Thread(target=train, args=(lr_, epochs_), daemon=True)
            worker["thread"].start()
        else:
            train(lr_, epochs_)

    def on_next_run(_change=None) -> None:
        note = (f"next run: {sliders['epochs'].value} epochs at η = {sliders['lr'].value:g} "
                f"(press train)")
        if not running():
            progress.max = sliders["epochs"].value
        with lock:
            status.value = format_status(state["history"], state["net"].sizes[1], note)

    choose.observe(lambda _c: rebuild(f"new data: {choose.value}, untrained network", True),
                   "value")
    for key in ("hidden", "seed"):
        sliders[key].observe(lambda _c: rebuild("new untrained network (press train)"), "value")
    for key in ("lr", "epochs"):
        sliders[key].observe(on_next_run, "value")
    train_button.on_click(on_train)
    reset_button.on_click(lambda _b: rebuild("reset to the untrained network"))

    title = widgets.HTML("<b>Two-layer playground</b>: a [2, n₁, 1] sigmoid network with "
                         "cross-entropy, trained by full-batch gradient descent. The colour "
                         "is the output a² = P(class 1); the black line is the boundary a² = ½.")
    # Two columns of controls: what makes a new network | what the next run does. The status
    # line gets the whole width below them.
    new_net = widgets.VBox([choose, sliders["hidden"], sliders["seed"]])
    next_run = widgets.VBox([sliders["lr"], sliders["epochs"], progress,
                             widgets.HBox([train_button, reset_button])])
    box = widgets.VBox([title, widgets.HBox([new_net, next_run]), status, image])
    box.dataset, box.sliders, box.train_button, box.reset_button = choose, sliders, train_button, reset_button
    box.progress, box.status, box.image, box.figure = progress, status, image, renderer.figure
    box.state, box.running = state, running
    box.wait = lambda timeout=None: worker["thread"] and worker["thread"].join(timeout)
    rebuild("untrained (press train)", new_data=True)
    return box
