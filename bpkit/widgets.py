"""Pictures and an interactive explorer for stage 1, a single sigmoid neuron, built on pure functions.

One neuron with one input x, one sample, target y::

    z = w·x + b          the weighted input
    a = σ(z)             the activation (the neuron's output)
    E = ½(a − y)²        the squared error (seed 004's E; the course's cost C for m = 1)

and the chain rule that backpropagation is made of, one factor per link::

    δ     = ∂E/∂z = ∂E/∂a · ∂a/∂z = (a − y) · σ′(z)     the neuron's error
    ∂E/∂w = δ · ∂z/∂w = δ · x
    ∂E/∂b = δ · ∂z/∂b = δ
    one step of gradient descent:  w ← w − η ∂E/∂w,  b ← b − η ∂E/∂b

Everything is split the way CS231n and micrograd split things: the numbers come from pure
functions (:func:`neuron_quantities`, :func:`gradient_step`); the pictures from pure plotting
functions (:func:`plot_error_vs_w`, :func:`plot_sigmoid_at`, :func:`plot_explorer`, and the
lesson's diagrams :func:`draw_neuron`, :func:`draw_computation_graph`,
:func:`draw_bias_fork`); the widget, :func:`neuron_explorer`, only wires controls to them.
So each piece can be tested, or used in a lesson, on its own and without a browser.

ipywidgets and matplotlib are imported inside the functions that need them, so
``import bpkit`` stays light.
"""
from __future__ import annotations

import math

import numpy as np

from . import _checks
from .activations import sigmoid, sigmoid_prime

__all__ = ["neuron_quantities", "gradient_step", "error_of_w", "tangent_of_error",
           "sigmoid_tangent", "plot_error_vs_w", "plot_sigmoid_at", "plot_explorer",
           "format_readout", "neuron_explorer", "draw_neuron", "draw_computation_graph",
           "draw_bias_fork", "SLIDER_RANGES", "LR_RANGE", "DEFAULTS", "Z_RANGE"]

_EQ = "z = w·x + b, E = ½(a − y)²"

# (min, max, step) of each slider. y stays in [0, 1], the range of a sigmoid's output, so
# E = ½(a − y)² stays below ½ and the plot's vertical axis can stay fixed.
SLIDER_RANGES = {
    "w": (-6.0, 6.0, 0.05),
    "b": (-4.0, 4.0, 0.05),
    "x": (-3.0, 3.0, 0.05),
    "y": (0.0, 1.0, 0.05),
}
# The learning rate η of the "take one step" button.
LR_RANGE = (0.1, 10.0, 0.1)

# Where the explorer starts: a neuron that is badly wrong (a ≈ 0.18 for target 1), so the
# slope ∂E/∂w is clearly negative and "move w to the right" is visibly the way down.
DEFAULTS = {"w": -1.0, "b": 0.0, "x": 1.5, "y": 1.0}
DEFAULT_LR = 2.0

# The z-axis of the σ(z) panel. |z| can reach 22 with the sliders; beyond this range σ is
# flat to four decimals, and the panel pins the point to the edge and says so.
Z_RANGE = (-8.0, 8.0)


def _real(value, name: str) -> float:
    return _checks.real(_EQ, name, value, -math.inf)


# --------------------------------------------------------------------------- the numbers
def neuron_quantities(w, b, x, y) -> dict:
    """Every number of one sigmoid neuron's forward and backward pass, for scalars w, b, x, y.

    Forward:   z = w·x + b,   a = σ(z),   E = ½(a − y)².
    Backward, one factor of the chain rule at a time (local derivative × upstream gradient):

        dE_da = ∂E/∂a = a − y          (the derivative of ½(a − y)²)
        da_dz = ∂a/∂z = σ′(z) = σ(z)(1 − σ(z)) = a(1 − a)
        dE_dz = ∂E/∂z = (a − y)·σ′(z)  (the neuron's error δ)
        dE_dw = ∂E/∂w = δ · ∂z/∂w = δ·x
        dE_db = ∂E/∂b = δ · ∂z/∂b = δ

    Returns a dict of Python floats with the inputs "w", "b", "x", "y" and the keys above
    plus "z", "a", "E". Pure: same inputs, same dict, nothing else touched.
    """
    w, b, x, y = (_real(v, n) for v, n in ((w, "w"), (b, "b"), (x, "x"), (y, "y")))
    z = w * x + b
    a = float(sigmoid(z))
    da_dz = float(sigmoid_prime(z))
    dE_da = a - y
    dE_dz = dE_da * da_dz
    return {"w": w, "b": b, "x": x, "y": y,
            "z": z, "a": a, "E": 0.5 * dE_da ** 2,
            "dE_da": dE_da, "da_dz": da_dz, "dE_dz": dE_dz,
            "dE_dw": dE_dz * x, "dE_db": dE_dz}


def gradient_step(w, b, x, y, lr) -> tuple[float, float]:
    """One step of gradient descent on E = ½(σ(w·x + b) − y)², with learning rate η = lr:

        w ← w − η ∂E/∂w = w − η δ x,      b ← b − η ∂E/∂b = b − η δ.

    Returns the new (w, b) as floats. Pure: nothing is changed in place.
    """
    lr = _checks.real("gradient_step", "lr (the learning rate η)", lr, 0.0)
    q = neuron_quantities(w, b, x, y)
    return q["w"] - lr * q["dE_dw"], q["b"] - lr * q["dE_db"]


def error_of_w(ws, b, x, y) -> np.ndarray:
    """E(w) = ½(σ(w·x + b) − y)² for each w in ``ws``, with b, x, y held fixed.

    This is the curve the explorer draws: the error as a function of the one weight we
    are about to change. ws: array_like of any shape.  Returns: float64 array, same shape.
    """
    b, x, y = _real(b, "b"), _real(x, "x"), _real(y, "y")
    ws = np.asarray(ws, dtype=np.float64)
    return 0.5 * (np.asarray(sigmoid(ws * x + b)) - y) ** 2


def tangent_of_error(ws, w, b, x, y) -> np.ndarray:
    """The tangent to E(w) at the current w, evaluated at each point of ``ws``:

        T(w′) = E(w) + ∂E/∂w · (w′ − w)

    A straight line through (w, E(w)) whose slope is the derivative ∂E/∂w — the best
    straight-line approximation of E near w, and the reason gradient descent works: a
    small step against the slope goes down. Returns: float64 array shaped like ``ws``.
    """
    q = neuron_quantities(w, b, x, y)
    return q["E"] + q["dE_dw"] * (np.asarray(ws, dtype=np.float64) - q["w"])


def sigmoid_tangent(zs, z) -> np.ndarray:
    """The tangent to σ at z, evaluated at each point of ``zs``: σ(z) + σ′(z)(z′ − z).

    Its slope σ′(z) is the factor ∂a/∂z that every gradient of the neuron carries: steep
    near z = 0 (at most ¼), flat when |z| is large (the neuron is saturated).
    """
    z = _real(z, "z")
    return float(sigmoid(z)) + float(sigmoid_prime(z)) * (np.asarray(zs, dtype=np.float64) - z)


def _fmt(value: float) -> str:
    """4 decimals, or scientific notation for tiny non-zero values: a saturated neuron's
    gradient is small but not zero, and "0.0000" would hide that."""
    return f"{value:.4f}" if value == 0 or abs(value) >= 1e-3 else f"{value:.2e}"


# --------------------------------------------------------------------------- the pictures
# The artists that depend on (w, b, x, y, η), by gid. The rest of the picture — axes, ticks,
# labels, legends, the σ curve — is fixed, which lets the explorer draw it once and blit only
# these over it.
_MOVING_E = ("error", "tangent", "current", "next", "values")
_MOVING_S = ("sigmoid-tangent", "sigmoid-current", "sigmoid-values")


def _error_data(q: dict, ws: np.ndarray, halfwidth: float, lr):
    """The data of the moving artists of the E(w) panel."""
    wt = np.array([q["w"] - halfwidth, q["w"] + halfwidth])
    text = (f"w = {q['w']:.2f}, b = {q['b']:.2f}, x = {q['x']:.2f}, y = {q['y']:.2f}\n"
            f"slope of the tangent: ∂E/∂w = {_fmt(q['dE_dw'])}")
    data = {"error": (ws, error_of_w(ws, q["b"], q["x"], q["y"])),
            "tangent": (wt, tangent_of_error(wt, q["w"], q["b"], q["x"], q["y"])),
            "current": ([q["w"]], [q["E"]])}
    if lr is not None:
        w_next = q["w"] - lr * q["dE_dw"]
        data["next"] = ([w_next], error_of_w([w_next], q["b"], q["x"], q["y"]))
        text += f"\nafter one step with η = {lr:.2f}: w = {w_next:.3f}"
    data["values"] = text
    return data


def _sigmoid_data(q: dict, halfwidth: float = 2.0, z_range=Z_RANGE):
    """The data of the moving artists of the σ(z) panel."""
    low, high = z_range
    z = q["z"]
    shown = min(max(z, low), high)          # pinned to the edge when z is off the scale
    zt = np.array([shown - halfwidth, shown + halfwidth])
    tangent = sigmoid_tangent(zt, z) if shown == z else np.full(2, q["a"])
    text = (f"z = {z:.3f}{'  (off the scale)' if shown != z else ''}\n"
            f"a = σ(z) = {q['a']:.4f}\nslope σ′(z) = {_fmt(q['da_dz'])}")
    return {"sigmoid-tangent": (zt, tangent), "sigmoid-current": ([shown], [q["a"]]),
            "sigmoid-values": text}


def plot_error_vs_w(w, b, x, y, ax=None, w_range=None, tangent_halfwidth: float = 1.5,
                    lr=None):
    """Draw E(w) with b, x, y fixed, the current point (w, E), and the tangent there.

    The tangent's slope is ∂E/∂w = (a − y)·σ′(z)·x: where the curve is steep the gradient
    is large; where it is flat (a saturated neuron, σ′(z) ≈ 0, or x ≈ 0) learning stalls.

    ax: a matplotlib Axes to draw on (a new pyplot figure when None).
    w_range: (low, high) of the w-axis; defaults to the explorer's slider range.
    tangent_halfwidth: the tangent is drawn over [w − this, w + this].
    lr: if given, also mark where one gradient-descent step with η = lr lands,
        w − η ∂E/∂w, on the curve.

    Returns the Axes. Its artists have gids: lines "error" (the curve E(w)), "tangent",
    "current" (the point), "next" (the point after one step, when lr is given), and the
    text "values".
    """
    q = neuron_quantities(w, b, x, y)
    low, high = SLIDER_RANGES["w"][:2] if w_range is None else map(float, w_range)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.0, 4.0))
    data = _error_data(q, np.linspace(low, high, 401), tangent_halfwidth, lr)
    ax.plot(*data["error"], color="C0", label="E(w)", gid="error")
    ax.plot(*data["tangent"], "--", color="C3", lw=2, label="tangent at w", gid="tangent")
    ax.plot(*data["current"], "o", color="C3", label="current (w, E)", gid="current")
    if lr is not None:
        ax.plot(*data["next"], "D", color="C2", mfc="none", mew=2, label="after one step",
                gid="next")
    ax.text(0.02, 0.97, data["values"], transform=ax.transAxes, va="top", ha="left",
            fontsize="small", gid="values")
    ax.set_xlim(low, high)
    # 0 ≤ E ≤ ½ whenever a and y lie in [0, 1]; the headroom above ½ holds the text.
    ax.set_ylim(-0.05, 0.85)
    ax.set_xlabel("weight w   (b, x, y held fixed)")
    ax.set_ylabel("error E = ½(σ(w·x + b) − y)²")
    ax.set_title("E as a function of w, and its tangent")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_sigmoid_at(z, ax=None, z_range=Z_RANGE, tangent_halfwidth: float = 2.0):
    """Draw σ over ``z_range``, the current point (z, σ(z)), and the tangent of slope σ′(z).

    The tangent's slope is the factor ∂a/∂z = σ′(z) in every gradient of the neuron. A z
    outside z_range is pinned to the edge (σ is flat there; the text says so).

    Returns the Axes. Its artists have gids: lines "sigmoid" (the curve), "sigmoid-tangent",
    "sigmoid-current", and the text "sigmoid-values".
    """
    z = _real(z, "z")
    q = {"z": z, "a": float(sigmoid(z)), "da_dz": float(sigmoid_prime(z))}
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5.0, 4.0))
    zs = np.linspace(*z_range, 321)
    data = _sigmoid_data(q, tangent_halfwidth, z_range)
    ax.plot(zs, sigmoid(zs), color="C1", label="a = σ(z)", gid="sigmoid")
    ax.plot(*data["sigmoid-tangent"], "--", color="C3", lw=2, label="slope σ′(z)",
            gid="sigmoid-tangent")
    ax.plot(*data["sigmoid-current"], "o", color="C3", label="current (z, a)",
            gid="sigmoid-current")
    ax.text(0.02, 0.97, data["sigmoid-values"], transform=ax.transAxes, va="top", ha="left",
            fontsize="small", gid="sigmoid-values")
    ax.set_xlim(*z_range)
    ax.set_ylim(-0.1, 1.35)
    ax.set_xlabel("weighted input z = w·x + b")
    ax.set_ylabel("activation a = σ(z)")
    ax.set_title("Where z sits on the sigmoid")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_explorer(w, b, x, y, lr=DEFAULT_LR, fig=None):
    """The explorer's whole picture: E(w) with its tangent and the point one step of size
    η = lr lands on (left), and σ(z) with the tangent of slope σ′(z) (right).

    fig: a matplotlib Figure with no Axes yet (a new pyplot figure when None).
    Returns the Figure, whose two Axes are described in :func:`plot_error_vs_w` and
    :func:`plot_sigmoid_at`.
    """
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(10.0, 4.0), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[3, 2])
    plot_error_vs_w(w, b, x, y, ax=left, lr=lr)
    plot_sigmoid_at(neuron_quantities(w, b, x, y)["z"], ax=right)
    return fig


def _find(ax, gid: str):
    """The artist of ``ax`` with this gid."""
    return next(a for a in ax.get_children() if a.get_gid() == gid)


class _ExplorerRenderer:
    """Draws plot_explorer on a plain Agg Figure (no pyplot) and returns PNG bytes.

    A full draw costs ~0.2 s, mostly text: too slow to follow a dragged slider. But the
    axes, ticks, labels, legends and the σ curve never change, so they are drawn once into
    a saved background; each frame restores it and draws only the moving artists over it,
    then the spines and legends that belong on top (matplotlib's "blitting": a few
    hundredths of a second). The background depends on nothing the controls set, so every
    frame is pixel for pixel what a full redraw would give.
    """

    def __init__(self):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(10.0, 4.0), dpi=80, layout="constrained")
        self.canvas = FigureCanvasAgg(self.figure)
        plot_explorer(**DEFAULTS, lr=DEFAULT_LR, fig=self.figure)
        self.ax_error, self.ax_sigmoid = self.figure.axes
        self.moving = {gid: _find(self.ax_error, gid) for gid in _MOVING_E}
        self.moving.update({gid: _find(self.ax_sigmoid, gid) for gid in _MOVING_S})
        # Per Axes, the moving artists and the spines and legend that sit above them, in
        # the z-order a full draw uses, so a frame equals a full redraw exactly.
        self.layers = []
        for ax, gids in ((self.ax_error, _MOVING_E), (self.ax_sigmoid, _MOVING_S)):
            artists = [self.moving[g] for g in gids] + [*ax.spines.values(), ax.get_legend()]
            self.layers.append((ax, sorted(artists, key=lambda artist: artist.get_zorder())))
            for artist in artists:
                artist.set_animated(True)               # left out of canvas.draw()
        self.canvas.draw()
        self.figure.set_layout_engine("none")           # the layout is done; freeze it
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.ws = self.moving["error"].get_xdata()

    def render(self, q: dict, lr: float) -> bytes:
        """The picture for the quantities ``q`` (from neuron_quantities) and η = lr, as PNG."""
        data = {**_error_data(q, self.ws, 1.5, lr), **_sigmoid_data(q)}
        for gid, artist in self.moving.items():
            if isinstance(data[gid], str):
                artist.set_text(data[gid])
            else:
                artist.set_data(*data[gid])
        self.canvas.restore_region(self.background)
        for ax, artists in self.layers:
            for artist in artists:
                ax.draw_artist(artist)
        return self._png()

    def _png(self) -> bytes:
        import io

        from PIL import Image  # a dependency of matplotlib

        buffer = io.BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(
            buffer, format="png", compress_level=1)
        return buffer.getvalue()


def format_readout(q: dict, lr=None, steps=None) -> str:
    """The explorer's readout, as HTML: the forward pass, then the chain rule with numbers.

    q: a dict from :func:`neuron_quantities`. Each line shows the formula, then the numbers
    substituted, then the result, so a student can redo any line by hand. With lr, a last
    line shows one gradient-descent step of size η = lr; with steps, how many steps the
    button has taken since a slider last moved.
    """
    f = "{:.4f}".format
    rows = [
        ("z = w·x + b", f"{f(q['w'])}·{f(q['x'])} + {f(q['b'])}", q["z"]),
        ("a = σ(z)", f"σ({f(q['z'])})", q["a"]),
        ("E = ½(a − y)²", f"½({f(q['a'])} − {f(q['y'])})²", q["E"]),
        ("∂E/∂a = a − y", f"{f(q['a'])} − {f(q['y'])}", q["dE_da"]),
        ("∂a/∂z = σ′(z) = a(1 − a)", f"{f(q['a'])}·(1 − {f(q['a'])})", q["da_dz"]),
        ("δ = ∂E/∂z = ∂E/∂a · ∂a/∂z", f"{f(q['dE_da'])}·{f(q['da_dz'])}", q["dE_dz"]),
        ("∂E/∂w = δ·x", f"{_fmt(q['dE_dz'])}·{f(q['x'])}", q["dE_dw"]),
        ("∂E/∂b = δ", f"{_fmt(q['dE_dz'])}", q["dE_db"]),
    ]
    if lr is not None:
        w_new, b_new = q["w"] - lr * q["dE_dw"], q["b"] - lr * q["dE_db"]
        E_new = neuron_quantities(w_new, b_new, q["x"], q["y"])["E"]
        rows.append((f"one step, η = {lr:.2f}: w − η·∂E/∂w",
                     f"{f(q['w'])} − {lr:.2f}·{_fmt(q['dE_dw'])}", w_new))
        rows.append(("&nbsp;&nbsp;b − η·∂E/∂b",
                     f"{f(q['b'])} − {lr:.2f}·{_fmt(q['dE_db'])}", b_new))
        rows.append(("&nbsp;&nbsp;E after that step", f"E({f(w_new)}, {f(b_new)})", E_new))
    body = "".join(
        f"<tr><td style='padding-right:1em'>{name}</td>"
        f"<td style='padding-right:1em'>= {numbers_}</td><td>= <b>{_fmt(value)}</b></td></tr>"
        for name, numbers_, value in rows)
    footer = ("" if steps is None else
              f"<p>steps taken with the button since a slider last moved: <b>{steps}</b></p>")
    return f"<table style='font-family:monospace'>{body}</table>{footer}"


def neuron_explorer(w: float = DEFAULTS["w"], b: float = DEFAULTS["b"],
                    x: float = DEFAULTS["x"], y: float = DEFAULTS["y"], *,
                    lr: float = DEFAULT_LR, continuous_update: bool = True):
    """An interactive single sigmoid neuron: move w, b, x, y, take gradient steps, and watch
    E, δ and the slopes.

    Shows z = w·x + b, a = σ(z), E = ½(a − y)², δ = (a − y)·σ′(z), ∂E/∂w = δ·x and
    ∂E/∂b = δ with the numbers substituted; a plot of E against w with the tangent at the
    current w (the derivative ∂E/∂w *is* that tangent's slope) and the point one step
    lands on; and σ(z) with the current z and the tangent of slope σ′(z).

    Things to try: press "take one step" a few times and watch E fall; raise η until a step
    overshoots the valley; push b far from 0 so the neuron saturates — z runs off the flat
    end of the sigmoid, σ′(z) → 0, and steps barely move even though the neuron is wrong;
    set x = 0 — w no longer matters at all.

    Returns an ipywidgets.VBox with extra attributes, so it can be driven from code:

    - ``.sliders``: dict "w", "b", "x", "y" → FloatSlider (set ``.value`` to move one);
    - ``.lr``: the FloatSlider for the learning rate η;
    - ``.step_button``: the Button; ``.step_button.click()`` takes one step
      w ← w − η ∂E/∂w, b ← b − η ∂E/∂b (w and b stop at their sliders' ends);
    - ``.steps()``: how many steps the button took since a slider was last moved by hand;
    - ``.readout``: the HTML widget showing the numbers; ``.readout.value`` is always
      ``format_readout(neuron_quantities(...), lr, steps)`` of the current values;
    - ``.image``: the ipywidgets.Image showing the plot, as PNG bytes;
    - ``.figure``: the matplotlib Figure drawn into ``.image`` (see :func:`plot_explorer`;
      find artists by gid: "tangent", "current", "next", "sigmoid-current", …);
    - ``.quantities()``: neuron_quantities of the current slider values.

    The control values are the only state (plus the step counter): every change recomputes
    everything from them. The plot is drawn on a plain matplotlib Figure (no pyplot, no GUI
    backend) and sent as a PNG, so it behaves the same in JupyterLab, in the classic
    notebook and headless.
    """
    import ipywidgets as widgets

    def slider(name, value, low, high, step, description):
        value = _real(value, name)
        if not low <= value <= high:
            raise ValueError(f"neuron_explorer: {name}={value} is outside the slider's range "
                             f"[{low}, {high}].")
        return widgets.FloatSlider(
            value=value, min=low, max=high, step=step, description=description,
            readout_format=".2f", continuous_update=continuous_update,
            layout=widgets.Layout(width="320px"))

    start = {"w": w, "b": b, "x": x, "y": y}
    sliders = {name: slider(name, start[name], *SLIDER_RANGES[name], name)
               for name in SLIDER_RANGES}
    lr_slider = slider("lr", lr, *LR_RANGE, "η (step)")
    button = widgets.Button(description="take one step", icon="arrow-down",
                            tooltip="w ← w − η ∂E/∂w,  b ← b − η ∂E/∂b")
    readout = widgets.HTML()
    image = widgets.Image(format="png", layout=widgets.Layout(width="800px"))
    renderer = _ExplorerRenderer()
    state = {"steps": 0, "stepping": False}

    def quantities() -> dict:
        return neuron_quantities(**{name: s.value for name, s in sliders.items()})

    def redraw(_change=None) -> None:
        q = quantities()
        readout.value = format_readout(q, lr_slider.value, state["steps"])
        image.value = renderer.render(q, lr_slider.value)

    def moved_by_hand(_change) -> None:
        if state["stepping"]:
            return                      # the step redraws once, after moving w and b
        state["steps"] = 0
        redraw()

    def take_step(_button=None) -> None:
        new_w, new_b = gradient_step(*(s.value for s in sliders.values()), lr_slider.value)
        state["stepping"] = True
        try:                            # the sliders clamp w and b to their ranges
            sliders["w"].value, sliders["b"].value = new_w, new_b
        finally:
            state["stepping"] = False
        state["steps"] += 1
        redraw()

    for s in sliders.values():
        s.observe(moved_by_hand, names="value")
    lr_slider.observe(redraw, names="value")
    button.on_click(take_step)
    title = widgets.HTML("<b>One sigmoid neuron</b>: z = w·x + b, a = σ(z), E = ½(a − y)². "
                         "Left: E against w; the dashed line's slope is ∂E/∂w, the diamond is "
                         "where one step lands. Right: z on the sigmoid; the slope is σ′(z).")
    controls = widgets.VBox([*sliders.values(), lr_slider, button])
    box = widgets.VBox([title, widgets.HBox([controls, readout]), image])
    box.sliders, box.lr, box.step_button = sliders, lr_slider, button
    box.readout, box.image, box.figure = readout, image, renderer.figure
    box.quantities = quantities
    box.steps = lambda: state["steps"]
    redraw()
    return box


# --------------------------------------------------------------------------- diagrams
def _node(ax, xy, text, *, r=0.32, color="white", edge="black", fontsize=12):
    from matplotlib.patches import Circle

    ax.add_patch(Circle(xy, r, facecolor=color, edgecolor=edge, lw=1.5, zorder=3))
    ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, zorder=4)


def _arrow(ax, start, end, *, shrink=0.34, color="black", text=None, at=0.5, offset=0.15,
           fontsize=11, text_color=None):
    """An arrow between two node centres; ``text`` sits at fraction ``at`` along it,
    ``offset`` to its left (seen along the arrow)."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    d = (end - start) / np.linalg.norm(end - start)
    ax.annotate("", xy=end - shrink * d, xytext=start + shrink * d,
                arrowprops=dict(arrowstyle="-|>", color=color, lw=1.4), zorder=2)
    if text:
        normal = np.array([-d[1], d[0]]) if d[0] >= 0 else np.array([d[1], -d[0]])
        where = start + at * (end - start) + offset * normal
        ax.text(*where, text, ha="center", va="center", fontsize=fontsize,
                color=text_color or color,
                bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none"))


def _canvas(ax, xlim, ylim, figsize):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def draw_neuron(w=(0.8, -0.4), b=0.1, x=(1.0, 0.5), ax=None):
    """Draw one neuron with n inputs: x_k —w_k→ Σ (+ b) → z → σ → a.

    w, x: sequences of n numbers (the weights on the edges, the inputs in the left nodes);
    b: the bias. The Σ node shows z = Σ_k w_k x_k + b and the output node a = σ(z), both
    computed. Returns the Axes.
    """
    w = [_real(v, "w_k") for v in w]
    x = [_real(v, "x_k") for v in x]
    if len(w) != len(x) or not w:
        raise ValueError(f"draw_neuron: w has {len(w)} entries but x has {len(x)}; one "
                         f"weight per input.")
    b = _real(b, "b")
    n = len(w)
    z = sum(wk * xk for wk, xk in zip(w, x)) + b
    a = float(sigmoid(z))
    height = max(2.0, 1.3 * (n - 1) + 1.2)
    ax = _canvas(ax, (-0.9, 7.6), (-height / 2 - 0.5, height / 2 + 0.6), (8, 2.4 + 0.5 * n))
    ys = np.linspace(height / 2 - 0.6, -height / 2 + 0.6, n) if n > 1 else [0.0]
    s, sig, out = (2.9, 0.0), (4.6, 0.0), (6.6, 0.0)
    for k, (yk, wk, xk) in enumerate(zip(ys, w, x), 1):
        _node(ax, (0, yk), f"$x_{k}$\n{xk:g}", fontsize=10, color="#eef4fb")
        _arrow(ax, (0, yk), s, text=f"$w_{k}$ = {wk:g}", at=0.4, offset=0.22)
    _node(ax, s, "Σ", r=0.42, fontsize=16)
    ax.text(s[0], s[1] - 0.55, f"z = Σ w_k x_k + b\n= {z:.4g}", ha="center", va="top",
            fontsize=10)
    ax.annotate(f"b = {b:g}", xy=(s[0], s[1] + 0.42), xytext=(s[0], s[1] + 1.2),
                ha="center", fontsize=11, arrowprops=dict(arrowstyle="-|>", lw=1.4))
    _arrow(ax, s, sig, shrink=0.45, text="z")
    _node(ax, sig, "σ", r=0.42, fontsize=16)
    _arrow(ax, sig, out, shrink=0.45, text="a")
    _node(ax, out, f"a\n{a:.4f}", r=0.45, fontsize=10, color="#fdf0e0")
    ax.set_title("One neuron: weigh the inputs, add the bias, squash with σ", fontsize=11)
    return ax


def draw_computation_graph(w=0.5, b=-1.0, x=2.0, y=1.0, ax=None):
    """The hand example as a computation graph, forward values above each node and the
    gradient ∂E/∂(node) below it in red.

    Nodes: w, x → u = w·x → z = u + b → a = σ(z) → E = ½(a − y)². Each gradient is the
    node's *local derivative × the upstream gradient* (the one to its right), which is all
    backpropagation does; the edges are labelled with the local derivatives. ∂E/∂x is shown
    as "?" (a question for the learner). Returns the Axes.
    """
    q = neuron_quantities(w, b, x, y)
    ax = _canvas(ax, (-1.2, 11.2), (-2.9, 2.6), (11.5, 4.6))
    red = "C3"
    pos = {"w": (0, 1.4), "x": (0, -1.4), "u": (2.6, 0), "b": (2.6, -2.0), "z": (5.0, 0),
           "a": (7.2, 0), "E": (9.4, 0), "y": (9.4, -2.0)}
    label = {"w": "w", "x": "x", "u": "×", "b": "b", "z": "+", "a": "σ", "E": "E", "y": "y"}
    value = {"w": q["w"], "x": q["x"], "u": q["w"] * q["x"], "b": q["b"], "z": q["z"],
             "a": q["a"], "E": q["E"], "y": q["y"]}
    # ∂E/∂x is left as a question: the stage's written question 1 asks for it.
    grad = {"E": 1.0, "a": q["dE_da"], "z": q["dE_dz"], "u": q["dE_dz"], "b": q["dE_db"],
            "w": q["dE_dw"]}
    name = {"u": "(wx)", "z": "z", "a": "a", "E": "E"}
    for key, xy in pos.items():
        leaf = key in ("w", "x", "b", "y")
        _node(ax, xy, label[key], r=0.36, fontsize=13, color="#eef4fb" if leaf else "white")
        shown = {"u": "w·x", "E": "E = ½(a−y)²"}.get(key, name.get(key, key))
        ax.text(xy[0], xy[1] + 0.42, f"{shown} = {value[key]:.4g}", ha="center",
                va="bottom", fontsize=10)
        if key == "E":                  # right of the node: the y arrow comes from below
            ax.text(xy[0] + 0.45, xy[1], "∂E/∂E = 1", ha="left", va="center", fontsize=10,
                    color=red)
        elif key == "x":
            ax.text(xy[0], xy[1] - 0.42, "∂E/∂x = ?", ha="center", va="top", fontsize=10,
                    color="gray")
        elif key in grad:
            ax.text(xy[0], xy[1] - 0.42, f"∂E/∂{name.get(key, key)} = {grad[key]:.4g}",
                    ha="center", va="top", fontsize=10, color=red)
    local = {("w", "u"): "× x", ("x", "u"): None, ("u", "z"): "× 1", ("b", "z"): "× 1",
             ("z", "a"): "× σ′(z)", ("a", "E"): "× (a − y)", ("y", "E"): None}
    for (src, dst), text in local.items():
        level = pos[src][1] == pos[dst][1]
        _arrow(ax, pos[src], pos[dst], shrink=0.4, text=text, text_color=red,
               at=0.5 if level else 0.45, offset=0.22 if level else -0.3)
    ax.text(4.6, 2.35, "forward: values (black)   ·   backward, right to left: ∂E/∂node = "
            "upstream gradient × local derivative (red, on the edge)", ha="center", fontsize=10)
    return ax


def draw_bias_fork(deltas=None, ax=None):
    """One bias b feeds the weighted input of every sample: z_i = w x_i + b, i = 1 … m.

    Going backwards, the gradients arriving along the branches of a fork add up, so
    ∂C/∂b = δ_1 + δ_2 + … + δ_m (and likewise ∂C/∂w = Σ_i δ_i x_i). deltas: optional m
    numbers δ_i = ∂C/∂z_i to write on the branches (m = 3 symbols when None). Returns the Axes.
    """
    if deltas is None:
        labels = ["δ₁", "δ₂", "δ₃"]
        total = "δ₁ + δ₂ + δ₃"
    else:
        deltas = [_real(d, "δ_i") for d in deltas]
        labels = [f"δ{chr(0x2080 + i)} = {d:.4g}" if i < 10 else f"{d:.4g}"
                  for i, d in enumerate(deltas, 1)]
        total = f"{sum(deltas):.4g}"
    m = len(labels)
    span = 1.3 * (m - 1)
    ax = _canvas(ax, (-1.3, 9.6), (-span / 2 - 0.9, span / 2 + 0.9), (9, 1.7 + 0.9 * m))
    ys = np.linspace(span / 2, -span / 2, m) if m > 1 else [0.0]
    red = "C3"
    _node(ax, (0, 0), "b", r=0.4, color="#eef4fb", fontsize=14)
    _node(ax, (8.4, 0), "C", r=0.4, fontsize=14)
    for i, (yi, lab) in enumerate(zip(ys, labels), 1):
        sub = chr(0x2080 + i) if i < 10 else ""
        zi, ai = (3.4, yi), (5.8, yi)
        _node(ax, zi, f"z{sub}", r=0.36)
        _node(ax, ai, f"a{sub}", r=0.36)
        _arrow(ax, (0, 0), zi, shrink=0.42)
        ax.text(zi[0] + 0.4, yi - 0.3, lab, ha="left", va="top", fontsize=10, color=red)
        _arrow(ax, zi, ai, shrink=0.38)
        _arrow(ax, ai, (8.4, 0), shrink=0.42)
    ax.text(0, -0.55, f"∂C/∂b =\n{total}", ha="center", va="top", fontsize=11, color=red)
    ax.text(4.3, span / 2 + 0.6, "b is added to every sample's z. Backwards, the δᵢ = ∂C/∂zᵢ "
            "(red) add up at the fork", ha="center", fontsize=10)
    return ax
