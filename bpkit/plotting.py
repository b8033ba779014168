"""Plots the lessons share: activations, training curves, decision boundaries.

Each helper draws on the matplotlib ``Axes`` you pass as ``ax`` (so several plots can
share one figure), or on a fresh figure when ``ax`` is None, and returns that ``Axes``.
None of them calls ``plt.show()``: in Jupyter the figure appears by itself, and in a
script you decide when to show or save it. Every axis gets a label, because a plot
without units or names teaches nothing.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import _checks
from .datasets import to_labels

__all__ = ["plot_activation", "plot_history", "plot_decision_boundary"]

# How each activation is written in the lessons' formulas.
_SYMBOLS = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "identity": "id"}


# The decision boundary's grid is resolution² points: 2000 gives 4 million (64 MB of
# coordinates), far more than a screen shows; 10**5 would need 149 GiB.
MAX_RESOLUTION = 2000


def _axes(func: str, ax, figsize=(6.0, 4.0)):
    """The given Axes, or a new figure's single Axes."""
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise TypeError(f"{func}: ax must be a matplotlib Axes (e.g. from "
                            f"plt.subplots()) or None for a new figure, got "
                            f"{type(ax).__name__} {str(ax)[:40]!r}")
        return ax
    # pyplot is imported only when a figure is needed, so `import bpkit` stays light;
    # creating the figure through pyplot is what lets Jupyter display it inline.
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


# --------------------------------------------------------------------------- activations
def plot_activation(name, z=None, ax=None):
    """Plot an activation σ(z) and its derivative σ′(z) side by side on one Axes.

    Seeing the two together explains a lot of backpropagation: BP1 and BP2 multiply the
    error by σ′(z), so wherever σ′ is nearly 0 (a saturated sigmoid or tanh, a relu with
    z < 0) the error signal, and with it learning, all but stops.

    Parameters
    ----------
    name : str or Activation
        "sigmoid", "tanh", "relu" or "identity" (or an object from ``get_activation``).
    z : array_like, shape (n,), optional
        Where to evaluate; defaults to 241 points from −6 to 6.
    ax : matplotlib Axes, optional

    Returns
    -------
    ax : matplotlib Axes, holding two lines: σ(z) solid, σ′(z) dashed.
    """
    from .activations import get_activation  # lazy: keeps this module importable alone

    act = get_activation(name)
    if z is None:
        z = np.linspace(-6.0, 6.0, 241)
    else:
        z = _checks.array(np.asarray(z) if isinstance(z, (list, tuple)) else z, "z",
                          "plot_activation", ndim=None)
        if z.ndim != 1 or z.size < 2:
            raise ValueError(f"plot_activation: z must be a 1-D array of at least 2 points, "
                             f"got shape {z.shape}")
    s = _SYMBOLS.get(act.name, act.name)
    ax = _axes("plot_activation", ax)
    ax.plot(z, act.f(z), label=f"{s}(z)")
    ax.plot(z, act.prime(z), "--", label=f"{s}′(z)")
    ax.set_xlabel("z")
    ax.set_ylabel(f"{s}(z) and {s}′(z)")
    ax.set_title(f"{act.name} and its derivative")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


# --------------------------------------------------------------------------- history
_CURVES = ("loss", "accuracy", "val_loss", "val_accuracy")


def _series(history, key: str) -> np.ndarray:
    """history.key (or history[key] for a dict) as a 1-D float array; empty if absent."""
    value = history.get(key) if isinstance(history, Mapping) else getattr(history, key, None)
    if value is None:
        return np.empty(0)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"plot_history: history.{key} must be a list of numbers, got "
                        f"{type(value).__name__} {str(value)[:40]!r}") from None
    if array.ndim != 1:
        raise ValueError(f"plot_history: history.{key} must be a flat list of numbers, "
                         f"got shape {array.shape}")
    return array


def _spans_decades(values: np.ndarray, decades: float = 2.0) -> bool:
    """True when the positive finite values span more than ``decades`` powers of ten."""
    finite = values[np.isfinite(values)]
    if finite.size < 2 or np.any(finite <= 0):
        return False  # a log axis cannot show zero or negative losses
    return bool(np.log10(finite.max() / finite.min()) > decades)


def plot_history(history, ax=None):
    """Plot the training curves: loss per epoch, and accuracy on a second y-axis if recorded.

    A falling loss is the first sign that the gradients from backpropagation point the
    right way. When the loss spans more than two decades the y-axis becomes logarithmic,
    so the slow late progress stays visible. Validation curves, when present, are drawn
    dashed: a training loss that keeps falling while the validation loss rises is
    overfitting.

    The x axis counts epochs *completed*: value k was recorded after k epochs of updates,
    so the curve starts at epoch 0, the cost before training (as ``Network.fit`` records
    it: E epochs give E + 1 values).

    Parameters
    ----------
    history : History, object with attributes, dict with keys, or a plain list of losses
        ``loss`` (list of floats, required), and optionally ``accuracy``, ``val_loss``,
        ``val_accuracy`` (lists, possibly empty, or None). A list or 1-D array is
        taken as the losses alone.
    ax : matplotlib Axes, optional

    Returns
    -------
    ax : matplotlib Axes with the loss curves. If accuracy was recorded it is drawn on
        a twin Axes sharing the epoch axis (``ax.figure.axes[-1]``), which then also
        carries the one legend that lists every curve.
    """
    if isinstance(history, (list, tuple, np.ndarray)):
        history = {"loss": history}
    elif not isinstance(history, Mapping) and not any(hasattr(history, k) for k in _CURVES):
        raise TypeError(f"plot_history: history must be what Network.fit returns, a dict "
                        f"with a 'loss' list, or a list of losses; got {type(history).__name__}")
    loss = _series(history, "loss")
    if loss.size == 0:
        raise ValueError("plot_history: history.loss is empty or missing; nothing to plot "
                         "(pass the History that Network.fit returns, or a list of losses)")
    curves = {key: _series(history, key) for key in _CURVES[1:]}

    ax = _axes("plot_history", ax)

    def epochs(values):  # value k was recorded after k epochs: 0 is before training
        return np.arange(values.size)

    ax.plot(epochs(loss), loss, color="C0", label="loss")
    if curves["val_loss"].size:
        ax.plot(epochs(curves["val_loss"]), curves["val_loss"], "--", color="C0",
                label="val loss")
    if _spans_decades(np.concatenate([loss, curves["val_loss"]])):
        ax.set_yscale("log")
    ax.set_xlabel("epochs completed")
    ax.set_ylabel("loss")
    ax.grid(True, alpha=0.3)

    handles, _ = ax.get_legend_handles_labels()
    top = ax  # the legend goes on the topmost Axes, so no curve is drawn over it
    if curves["accuracy"].size or curves["val_accuracy"].size:
        acc_ax = top = ax.twinx()
        for key, style in (("accuracy", "-"), ("val_accuracy", "--")):
            if curves[key].size:
                acc_ax.plot(epochs(curves[key]), curves[key], style, color="C1",
                            label=key.replace("_", " "))
        acc_ax.set_ylabel("accuracy")
        acc_ax.set_ylim(-0.02, 1.02)  # accuracy is a fraction; a fixed range reads honestly
        handles += acc_ax.get_legend_handles_labels()[0]
    top.legend(handles=handles, loc="center right")
    return ax


# --------------------------------------------------------------------------- boundary
def _check_model_inputs(model) -> None:
    """A model that says how many inputs it takes (a Network's sizes[0]) must take 2."""
    sizes = getattr(model, "sizes", None)
    if isinstance(sizes, (list, tuple)) and sizes and sizes[0] != 2:
        raise ValueError(f"plot_decision_boundary: the model takes {sizes[0]} inputs (sizes "
                         f"{list(sizes)}), but a decision boundary is drawn in the plane: the "
                         f"model must take 2 inputs, x₁ and x₂, one point per column")


def _predict_labels(model, grid: np.ndarray) -> np.ndarray:
    """Class labels, shape (k,), for the columns of ``grid`` (2, k)."""
    if hasattr(model, "predict"):
        predict = model.predict
    elif callable(model):
        predict = model
    else:
        raise TypeError(f"plot_decision_boundary: model must be callable or have a "
                        f".predict method, got {type(model).__name__}")
    out = predict(grid)
    k = grid.shape[1]
    what = f"plot_decision_boundary: the model, given the plot's grid of {k} points (2, {k}),"
    if out is None:
        raise TypeError(f"{what} returned None: did it forget to `return` its output?")
    out = np.asarray(out)
    if out.dtype.kind not in "fiub":
        raise TypeError(f"{what} returned dtype {out.dtype}; expected numbers")
    # A 1-D integer array is already one label per column.
    if out.ndim == 1 and out.shape == (k,) and out.dtype.kind in "iu":
        if out.min() < 0:
            raise ValueError(f"{what} returned negative class labels ({out.min()})")
        return out
    if out.ndim != 2 or out.shape[1] != k:
        raise ValueError(f"{what} returned shape {out.shape}; expected outputs of "
                         f"shape (n_out, {k})")
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{what} returned NaN or inf")
    return to_labels(out)


def plot_decision_boundary(model, X, Y, ax=None, resolution: int = 200,
                           padding: float = 0.5):
    """Colour the plane by the class a model predicts, and draw the data on top.

    The model is asked for its output at every point of a ``resolution × resolution``
    grid covering the data (plus ``padding`` on each side); each point is given a class
    the same way as the targets (:func:`bpkit.datasets.to_labels`: threshold 0.5 for one
    output, largest output otherwise). The edges between coloured regions are the
    decision boundary. A single neuron can only draw a straight one; hidden layers bend it.

    Parameters
    ----------
    model : callable or object with ``.predict``
        Maps an array of shape (2, k) to outputs of shape (n_out, k) (or to integer
        labels of shape (k,)). A ``bpkit.Network`` works, as does ``lambda X: net.forward(X).output``.
    X : ndarray, shape (2, m)
        The inputs, one point per column.
    Y : ndarray, shape (1, m) or (n_classes, m)
        Their targets: 0/1 for a binary problem, one-hot otherwise.
    ax : matplotlib Axes, optional
    resolution : int
        Grid points along each axis (>= 2).
    padding : float
        Margin around the data, in input units (>= 0).

    Returns
    -------
    ax : matplotlib Axes, holding one filled contour (the regions) and one scatter per
        class present in ``Y``.
    """
    func = "plot_decision_boundary"
    X = _checks.array(X, "X", func, ndim=None)
    Y = _checks.array(Y, "Y", func, ndim=None)
    if X.ndim != 2 or X.shape[0] != 2 or X.shape[1] == 0:
        raise ValueError(f"plot_decision_boundary: X must have shape (2, m) with m >= 1, "
                         f"one 2-D point per column, got {X.shape}")
    if Y.ndim != 2 or Y.shape[1] != X.shape[1]:
        raise ValueError(f"plot_decision_boundary: Y must have shape (n_outputs, "
                         f"{X.shape[1]}) to match X {X.shape}, got {Y.shape}")
    resolution = _checks.integer(func, "resolution", resolution, 2, MAX_RESOLUTION)
    padding = _checks.real(func, "padding", padding, 0.0)
    _check_model_inputs(model)

    # The grid: every column of `grid` is one point of the plane, like a column of X.
    lo, hi = X.min(axis=1) - padding, X.max(axis=1) + padding
    if not np.all(np.isfinite(hi - lo)):
        raise ValueError(f"{func}: X spans [{X.min():.3g}, {X.max():.3g}] and padding is "
                         f"{padding:g}: the plotted range overflows float64")
    flat = hi == lo  # every point on one line and no padding: give that axis some width
    (x1_lo, x2_lo), (x1_hi, x2_hi) = lo - 0.5 * flat, hi + 0.5 * flat
    x1, x2 = np.meshgrid(np.linspace(x1_lo, x1_hi, resolution),
                         np.linspace(x2_lo, x2_hi, resolution))
    grid = np.vstack([x1.ravel(), x2.ravel()])
    regions = _predict_labels(model, grid).reshape(x1.shape)

    labels = to_labels(Y)
    n_classes = max(2, Y.shape[0], int(regions.max()) + 1, int(labels.max()) + 1)
    colours = [f"C{c % 10}" for c in range(n_classes)]

    ax = _axes("plot_decision_boundary", ax)
    # One colour band per class: levels at c − ½ put class c between two of them.
    ax.contourf(x1, x2, regions, levels=np.arange(n_classes + 1) - 0.5,
                colors=colours, alpha=0.25)
    for c in np.unique(labels):
        ax.scatter(X[0, labels == c], X[1, labels == c], s=18, color=colours[c],
                   edgecolors="k", linewidths=0.5, label=f"class {c}")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_xlim(x1_lo, x1_hi)
    ax.set_ylim(x2_lo, x2_hi)
    ax.legend(loc="best", fontsize="small")
    return ax
