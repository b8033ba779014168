"""Interactive explorers for the lessons (ipywidgets + matplotlib), built on pure functions.

The one here is for stage 1, a single sigmoid neuron with one input x::

    z = w·x + b          the weighted input
    a = σ(z)             the activation (the neuron's output)
    E = ½(a − y)²        the squared error against the target y (seed 004's E, m = 1)

and the chain rule that backpropagation is made of::

    ∂E/∂w = ∂E/∂a · ∂a/∂z · ∂z/∂w = (a − y) · σ′(z) · x
    ∂E/∂b = ∂E/∂a · ∂a/∂z · ∂z/∂b = (a − y) · σ′(z) · 1

Everything is split the way CS231n and micrograd split things: the numbers come from a
pure function, :func:`neuron_quantities`; the picture from another, :func:`plot_error_vs_w`;
the widget, :func:`neuron_explorer`, only wires sliders to the two. So each piece can be
tested, or used in a lesson, on its own and without a browser.

ipywidgets and matplotlib are imported inside the functions that need them, so
``import bpkit`` stays light.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .activations import _sigmoid, _sigmoid_prime

__all__ = ["neuron_quantities", "error_of_w", "tangent_of_error", "plot_error_vs_w",
           "format_readout", "neuron_explorer", "SLIDER_RANGES", "DEFAULTS"]

# (min, max, step) of each slider. y stays in [0, 1], the range of a sigmoid's output, so
# E = ½(a − y)² stays below ½ and the plot's vertical axis can stay fixed.
SLIDER_RANGES = {
    "w": (-6.0, 6.0, 0.05),
    "b": (-4.0, 4.0, 0.05),
    "x": (-3.0, 3.0, 0.05),
    "y": (0.0, 1.0, 0.05),
}

# Where the explorer starts: a neuron that is badly wrong (a ≈ 0.18 for target 1), so the
# slope ∂E/∂w is clearly negative and "move w to the right" is visibly the way down.
DEFAULTS = {"w": -1.0, "b": 0.0, "x": 1.5, "y": 1.0}


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.number)):
        raise TypeError(f"z = w·x + b, E = ½(a − y)²: {name} must be a real number (one "
                        f"neuron, one input, one sample), got {type(value).__name__}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"z = w·x + b, E = ½(a − y)²: {name} must be finite, got {value}.")
    return value


def neuron_quantities(w, b, x, y) -> dict:
    """Every number of one sigmoid neuron's forward and backward pass, for scalars w, b, x, y.

    Forward:   z = w·x + b,   a = σ(z),   E = ½(a − y)².
    Backward, one factor of the chain rule at a time:

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
    a = float(_sigmoid(np.float64(z)))
    da_dz = float(_sigmoid_prime(np.float64(z)))
    dE_da = a - y
    dE_dz = dE_da * da_dz
    return {"w": w, "b": b, "x": x, "y": y,
            "z": z, "a": a, "E": 0.5 * dE_da ** 2,
            "dE_da": dE_da, "da_dz": da_dz, "dE_dz": dE_dz,
            "dE_dw": dE_dz * x, "dE_db": dE_dz}


def error_of_w(ws, b, x, y) -> np.ndarray:
    """E(w) = ½(σ(w·x + b) − y)² for each w in ``ws``, with b, x, y held fixed.

    This is the curve the explorer draws: the error as a function of the one weight we
    are about to change. ws: array_like of any shape.  Returns: float64 array, same shape.
    """
    b, x, y = _real(b, "b"), _real(x, "x"), _real(y, "y")
    ws = np.asarray(ws, dtype=np.float64)
    return 0.5 * (_sigmoid(ws * x + b) - y) ** 2


def tangent_of_error(ws, w, b, x, y) -> np.ndarray:
    """The tangent to E(w) at the current w, evaluated at each point of ``ws``:

        T(w′) = E(w) + ∂E/∂w · (w′ − w)

    A straight line through (w, E(w)) whose slope is the derivative ∂E/∂w — the best
    straight-line approximation of E near w, and the reason gradient descent works: a
    small step against the slope goes down. Returns: float64 array shaped like ``ws``.
    """
    q = neuron_quantities(w, b, x, y)
    return q["E"] + q["dE_dw"] * (np.asarray(ws, dtype=np.float64) - q["w"])


def _fmt(value: float) -> str:
    """4 decimals, or scientific notation for tiny non-zero values: a saturated neuron's
    gradient is small but not zero, and "0.0000" would hide that."""
    return f"{value:.4f}" if value == 0 or abs(value) >= 1e-3 else f"{value:.2e}"


# Everything that depends on (w, b, x, y). The rest of the picture — axes, ticks, labels,
# legend — is fixed, which lets the explorer draw it once and blit only these over it.
_MOVING = ("error", "tangent", "current", "values")


def _moving_data(q: dict, ws: np.ndarray, halfwidth: float):
    """The data of the moving artists: the curve E(w) over ``ws``, the tangent's two end
    points, the current point, and the text with the values and the slope."""
    wt = np.array([q["w"] - halfwidth, q["w"] + halfwidth])
    return {"error": (ws, error_of_w(ws, q["b"], q["x"], q["y"])),
            "tangent": (wt, tangent_of_error(wt, q["w"], q["b"], q["x"], q["y"])),
            "current": ([q["w"]], [q["E"]]),
            "values": (f"w = {q['w']:.2f}, b = {q['b']:.2f}, x = {q['x']:.2f}, y = {q['y']:.2f}\n"
                       f"slope of the tangent: ∂E/∂w = {_fmt(q['dE_dw'])}")}


def plot_error_vs_w(w, b, x, y, ax=None, w_range=None, tangent_halfwidth: float = 1.5):
    """Draw E(w) with b, x, y fixed, the current point (w, E), and the tangent there.

    The tangent's slope is ∂E/∂w = (a − y)·σ′(z)·x: where the curve is steep the gradient
    is large; where it is flat (a saturated neuron, σ′(z) ≈ 0, or x ≈ 0) learning stalls.

    ax: a matplotlib Axes to draw on (a new pyplot figure when None).
    w_range: (low, high) of the w-axis; defaults to the explorer's slider range.
    tangent_halfwidth: the tangent is drawn over [w − this, w + this].

    Returns the Axes. Its artists have gids: lines "error" (the curve E(w)), "tangent" and
    "current" (the point), and the text "values".
    """
    q = neuron_quantities(w, b, x, y)
    low, high = SLIDER_RANGES["w"][:2] if w_range is None else map(float, w_range)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.0, 4.0))
    data = _moving_data(q, np.linspace(low, high, 401), tangent_halfwidth)
    ax.plot(*data["error"], color="C0", label="E(w)", gid="error")
    ax.plot(*data["tangent"], "--", color="C3", lw=2, label="tangent at w", gid="tangent")
    ax.plot(*data["current"], "o", color="C3", label="current (w, E)", gid="current")
    ax.text(0.02, 0.97, data["values"], transform=ax.transAxes, va="top", ha="left",
            fontsize="small", gid="values")
    ax.set_xlim(low, high)
    # 0 ≤ E ≤ ½ whenever a and y lie in [0, 1]; the headroom above ½ holds the text.
    ax.set_ylim(-0.05, 0.8)
    ax.set_xlabel("weight w   (b, x, y held fixed)")
    ax.set_ylabel("error E = ½(σ(w·x + b) − y)²")
    ax.set_title("E as a function of w, and its tangent")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize="small")
    return ax


def _find(ax, gid: str):
    """The artist of ``ax`` with this gid (see plot_error_vs_w)."""
    return next(a for a in ax.get_children() if a.get_gid() == gid)


class _ErrorPlotRenderer:
    """Draws plot_error_vs_w on a plain Agg Figure (no pyplot) and returns PNG bytes.

    A full draw costs ~0.1 s, mostly text: too slow to follow a dragged slider. But the
    axes, ticks, labels and legend never change, so they are drawn once into a saved
    background; each frame restores it and draws only the curve, the tangent, the point
    and the text over it, then the spines and legend that belong on top (matplotlib's
    "blitting": a few hundredths of a second). The background depends on nothing the
    sliders set, so every frame is pixel for pixel what a full redraw would give.
    """

    def __init__(self, tangent_halfwidth: float = 1.5):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(6.0, 4.0), dpi=80, layout="constrained")
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.subplots()
        self.halfwidth = tangent_halfwidth
        plot_error_vs_w(**DEFAULTS, ax=self.ax, tangent_halfwidth=tangent_halfwidth)
        self.moving = [_find(self.ax, gid) for gid in _MOVING]
        # The spines and the legend sit above the curve; they are redrawn over it in each
        # frame, in the z-order a full draw uses, so a frame equals a full redraw exactly.
        overlays = [*self.ax.spines.values(), self.ax.get_legend()]
        self.layers = sorted(self.moving + overlays, key=lambda artist: artist.get_zorder())
        for artist in self.layers:
            artist.set_animated(True)                   # left out of canvas.draw()
        self.canvas.draw()
        self.figure.set_layout_engine("none")           # the layout is done; freeze it
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)
        self.ws = self.moving[0].get_xdata()

    def render(self, q: dict) -> bytes:
        """The picture for the quantities ``q`` (from neuron_quantities), as PNG bytes."""
        data = _moving_data(q, self.ws, self.halfwidth)
        error, tangent, current, values = self.moving
        error.set_data(*data["error"])
        tangent.set_data(*data["tangent"])
        current.set_data(*data["current"])
        values.set_text(data["values"])
        self.canvas.restore_region(self.background)
        for artist in self.layers:
            self.ax.draw_artist(artist)
        return self._png()

    def _png(self) -> bytes:
        import io

        from PIL import Image  # a dependency of matplotlib

        buffer = io.BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(
            buffer, format="png", compress_level=1)
        return buffer.getvalue()


def format_readout(q: dict) -> str:
    """The explorer's readout, as HTML: the forward pass, then the chain rule with numbers.

    q: a dict from :func:`neuron_quantities`. Each line shows the formula, then the
    numbers substituted, then the result, so a student can redo any line by hand.
    """
    f = "{:.4f}".format
    rows = [
        ("z = w·x + b", f"{f(q['w'])}·{f(q['x'])} + {f(q['b'])}", q["z"]),
        ("a = σ(z)", f"σ({f(q['z'])})", q["a"]),
        ("E = ½(a − y)²", f"½({f(q['a'])} − {f(q['y'])})²", q["E"]),
        ("∂E/∂a = a − y", f"{f(q['a'])} − {f(q['y'])}", q["dE_da"]),
        ("∂a/∂z = σ′(z) = a(1 − a)", f"{f(q['a'])}·(1 − {f(q['a'])})", q["da_dz"]),
        ("∂E/∂w = (a − y)·σ′(z)·x", f"{f(q['dE_da'])}·{f(q['da_dz'])}·{f(q['x'])}", q["dE_dw"]),
        ("∂E/∂b = (a − y)·σ′(z)", f"{f(q['dE_da'])}·{f(q['da_dz'])}", q["dE_db"]),
    ]
    body = "".join(
        f"<tr><td style='padding-right:1em'>{name}</td>"
        f"<td style='padding-right:1em'>= {numbers_}</td><td>= <b>{_fmt(value)}</b></td></tr>"
        for name, numbers_, value in rows)
    return f"<table style='font-family:monospace'>{body}</table>"


def neuron_explorer(w: float = DEFAULTS["w"], b: float = DEFAULTS["b"],
                    x: float = DEFAULTS["x"], y: float = DEFAULTS["y"], *,
                    continuous_update: bool = True):
    """An interactive single sigmoid neuron: move w, b, x, y and watch E and its slope.

    Shows z = w·x + b, a = σ(z), E = ½(a − y)², ∂E/∂w = (a − y)·σ′(z)·x and
    ∂E/∂b = (a − y)·σ′(z) with the numbers substituted, and a plot of E against w with
    the tangent at the current w: the derivative ∂E/∂w *is* that tangent's slope.

    Things to try: make the slope positive and step w a little to the left — E drops;
    push b far from 0 so the neuron saturates — the curve goes flat and ∂E/∂w → 0 even
    though the neuron is wrong; set x = 0 — w no longer matters at all.

    Returns an ipywidgets.VBox with extra attributes, so it can be driven from code:

    - ``.sliders``: dict "w", "b", "x", "y" → FloatSlider (set ``.value`` to move one);
    - ``.readout``: the HTML widget showing the numbers; ``.readout.value`` is always
      ``format_readout(neuron_quantities(...))`` of the current slider values;
    - ``.image``: the ipywidgets.Image showing the plot, as PNG bytes;
    - ``.figure``: the matplotlib Figure drawn into ``.image``; its Axes holds the artists
      described in :func:`plot_error_vs_w` (find them by gid: "tangent", "current", …);
    - ``.quantities()``: neuron_quantities of the current slider values.

    The slider values are the only state: every change recomputes everything from them.
    The plot is drawn on a plain matplotlib Figure (no pyplot, no GUI backend) and sent
    as a PNG, so it behaves the same in JupyterLab, in the classic notebook and headless.
    """
    import ipywidgets as widgets

    start = {"w": w, "b": b, "x": x, "y": y}
    sliders = {}
    for name, (low, high, step) in SLIDER_RANGES.items():
        value = _real(start[name], name)
        if not low <= value <= high:
            raise ValueError(f"neuron_explorer: {name}={value} is outside the slider's range "
                             f"[{low}, {high}].")
        sliders[name] = widgets.FloatSlider(
            value=value, min=low, max=high, step=step, description=name,
            readout_format=".2f", continuous_update=continuous_update,
            layout=widgets.Layout(width="320px"))
    readout = widgets.HTML()
    image = widgets.Image(format="png", layout=widgets.Layout(width="480px"))
    renderer = _ErrorPlotRenderer()

    def quantities() -> dict:
        return neuron_quantities(**{name: s.value for name, s in sliders.items()})

    def redraw(_change=None) -> None:
        q = quantities()
        readout.value = format_readout(q)
        image.value = renderer.render(q)

    for slider in sliders.values():
        slider.observe(redraw, names="value")
    title = widgets.HTML("<b>One sigmoid neuron</b>: z = w·x + b, a = σ(z), E = ½(a − y)². "
                         "The dashed line's slope is ∂E/∂w.")
    box = widgets.VBox([title, widgets.HBox([widgets.VBox(list(sliders.values())), image]),
                        readout])
    box.sliders, box.readout, box.image, box.figure = sliders, readout, image, renderer.figure
    box.quantities = quantities
    redraw()
    return box
