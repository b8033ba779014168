"""bpkit.widgets: the single-neuron explorer, tested without a browser.

The numbers come from a pure function (neuron_quantities), which is checked against hand
values and finite differences; the widget is then driven by setting slider values, and its
readout and plot must follow.
"""
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bpkit as bp
from bpkit import widgets as W


def _finite_difference(f, x, eps=1e-6):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


# --------------------------------------------------------------------------- the numbers
def test_hand_example():
    """z = 0 makes everything exact: a = ½, σ′ = ¼ (the lesson's worked example)."""
    q = W.neuron_quantities(w=0.5, b=-1.0, x=2.0, y=1.0)
    assert q["z"] == 0.0 and q["a"] == 0.5 and q["da_dz"] == 0.25
    assert q["E"] == 0.125
    assert q["dE_da"] == -0.5 and q["dE_dz"] == -0.125
    assert q["dE_dw"] == -0.25 and q["dE_db"] == -0.125


def test_quantities_are_plain_floats():
    q = W.neuron_quantities(1, 2, np.float64(0.5), 0)
    assert all(type(v) is float for v in q.values())
    assert set(q) == {"w", "b", "x", "y", "z", "a", "E", "dE_da", "da_dz", "dE_dz",
                      "dE_dw", "dE_db"}


finite = st.floats(-5, 5, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(w=finite, b=finite, x=st.floats(-3, 3), y=st.floats(0, 1))
def test_gradients_match_finite_differences(w, b, x, y):
    q = W.neuron_quantities(w, b, x, y)
    E = lambda **kw: W.neuron_quantities(**{"w": w, "b": b, "x": x, "y": y, **kw})["E"]
    num_w = _finite_difference(lambda v: E(w=v), w)
    num_b = _finite_difference(lambda v: E(b=v), b)
    assert q["dE_dw"] == pytest.approx(num_w, rel=1e-5, abs=1e-9)
    assert q["dE_db"] == pytest.approx(num_b, rel=1e-5, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(w=finite, b=finite, x=st.floats(-3, 3), y=st.floats(0, 1))
def test_agrees_with_the_library(w, b, x, y):
    """The widget's scalars are the m = 1, n = 1 case of bp1/bp3/bp4 and Network."""
    q = W.neuron_quantities(w, b, x, y)
    X, Y = np.array([[x]]), np.array([[y]])
    net = bp.Network.from_params([np.array([[w]])], [np.array([[b]])])
    g = net.backward(X, Y)
    assert q["E"] == pytest.approx(net.loss(X, Y), rel=1e-12, abs=1e-15)
    assert q["dE_dw"] == pytest.approx(g.dW[0][0, 0], rel=1e-12, abs=1e-15)
    assert q["dE_db"] == pytest.approx(g.db[0][0, 0], rel=1e-12, abs=1e-15)


def test_saturated_neuron_has_tiny_but_finite_gradient():
    q = W.neuron_quantities(w=6.0, b=4.0, x=3.0, y=0.0)   # z = 22: a ≈ 1, badly wrong
    assert q["E"] == pytest.approx(0.5)
    assert 0 < q["da_dz"] < 1e-9 and abs(q["dE_dw"]) < 1e-8


def test_error_of_w_and_tangent():
    ws = np.linspace(-6, 6, 13)
    E = W.error_of_w(ws, 0.3, 1.2, 1.0)
    assert E.shape == ws.shape
    for wi, Ei in zip(ws, E):
        assert Ei == pytest.approx(W.neuron_quantities(wi, 0.3, 1.2, 1.0)["E"], rel=1e-12)
    T = W.tangent_of_error(np.array([0.0, 1.0]), -0.7, 0.3, 1.2, 1.0)
    q = W.neuron_quantities(-0.7, 0.3, 1.2, 1.0)
    assert T[1] - T[0] == pytest.approx(q["dE_dw"], rel=1e-12)
    # The tangent touches the curve at w and is its best local straight line.
    w0, h = -0.7, 1e-3
    gap = W.error_of_w(w0 + h, 0.3, 1.2, 1.0) - W.tangent_of_error(w0 + h, w0, 0.3, 1.2, 1.0)
    assert abs(gap) < 1e-5


@pytest.mark.parametrize("bad, error", [("1", TypeError), (True, TypeError),
                                        (None, TypeError), (float("nan"), ValueError),
                                        (np.array([1.0, 2.0]), TypeError)])
def test_bad_inputs_name_the_equation(bad, error):
    with pytest.raises(error, match="z = w·x \\+ b"):
        W.neuron_quantities(bad, 0, 1, 0)


# --------------------------------------------------------------------------- the widget
@pytest.fixture
def explorer():
    import matplotlib
    matplotlib.use("Agg")
    return W.neuron_explorer()


def _tangent_slope(figure):
    (ax,) = figure.axes
    line = next(l for l in ax.get_lines() if l.get_gid() == "tangent")
    xs, ys = line.get_data()
    return (ys[-1] - ys[0]) / (xs[-1] - xs[0])


def _current_point(figure):
    (ax,) = figure.axes
    line = next(l for l in ax.get_lines() if l.get_gid() == "current")
    return line.get_xdata()[0], line.get_ydata()[0]


def test_explorer_exposes_its_parts(explorer):
    import ipywidgets

    assert isinstance(explorer, ipywidgets.VBox)
    assert set(explorer.sliders) == {"w", "b", "x", "y"}
    assert all(isinstance(s, ipywidgets.FloatSlider) for s in explorer.sliders.values())
    assert isinstance(explorer.readout, ipywidgets.HTML)
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    values = {k: s.value for k, s in explorer.sliders.items()}
    assert values == W.DEFAULTS
    assert explorer.readout.value == W.format_readout(W.neuron_quantities(**values))


@pytest.mark.parametrize("name, value", [("w", 2.0), ("b", -1.5), ("x", -0.75), ("y", 0.2)])
def test_moving_a_slider_updates_readout_and_plot(explorer, name, value):
    before_text, before_png = explorer.readout.value, explorer.image.value
    explorer.sliders[name].value = value
    values = {k: s.value for k, s in explorer.sliders.items()}
    q = W.neuron_quantities(**values)
    assert explorer.readout.value != before_text
    assert explorer.readout.value == W.format_readout(q)
    assert f"<b>{W._fmt(q['dE_dw'])}</b>" in explorer.readout.value
    assert f"<b>{W._fmt(q['E'])}</b>" in explorer.readout.value
    assert explorer.image.value != before_png
    assert explorer.quantities() == q


def test_tangent_slope_is_dE_dw(explorer):
    for w, b, x, y in [(-1.0, 0.0, 1.5, 1.0), (0.5, -2.0, 2.0, 0.0), (3.0, 1.0, -1.0, 0.4)]:
        for name, v in zip("wbxy", (w, b, x, y)):
            explorer.sliders[name].value = v
        q = explorer.quantities()
        assert _tangent_slope(explorer.figure) == pytest.approx(q["dE_dw"], rel=1e-9, abs=1e-12)
        assert _tangent_slope(explorer.figure) == pytest.approx(
            _finite_difference(lambda v: W.error_of_w(v, b, x, y), w), rel=1e-5, abs=1e-9)
        assert _current_point(explorer.figure) == pytest.approx((w, q["E"]))


def _values_text(figure):
    (ax,) = figure.axes
    return next(t for t in ax.texts if t.get_gid() == "values").get_text()


def test_blitted_frame_equals_a_full_redraw(explorer):
    """Each frame redraws only the moving artists over a saved background; the picture
    must be the same as a figure drawn from scratch at those values."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    for name, value in [("w", 1.25), ("b", -2.0), ("x", 0.5), ("y", 0.25)]:
        explorer.sliders[name].value = value
    values = {k: s.value for k, s in explorer.sliders.items()}
    assert explorer.image.value == W.neuron_explorer(**values).image.value
    fig = Figure(figsize=(6.0, 4.0), dpi=80, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    W.plot_error_vs_w(**values, ax=fig.subplots())
    canvas.draw()
    blitted = np.asarray(explorer.figure.canvas.buffer_rgba())
    assert np.array_equal(blitted, np.asarray(canvas.buffer_rgba()))


def test_tiny_slopes_are_not_shown_as_zero(explorer):
    explorer.sliders["w"].value = -5.0
    explorer.sliders["b"].value = 1.0
    explorer.sliders["x"].value = -2.0
    q = explorer.quantities()
    assert 0 < abs(q["dE_dw"]) < 1e-3
    assert f"{q['dE_dw']:.2e}" in _values_text(explorer.figure)
    assert f"<b>{q['dE_dw']:.2e}</b>" in explorer.readout.value


def test_explorer_rejects_out_of_range_start():
    with pytest.raises(ValueError, match="outside the slider's range"):
        W.neuron_explorer(y=2.0)


def test_plot_error_vs_w_labels_axes():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = W.plot_error_vs_w(0.5, 0.0, 1.0, 1.0)
    try:
        assert ax.get_xlabel() and ax.get_ylabel()
        assert _tangent_slope(ax.figure) == pytest.approx(
            W.neuron_quantities(0.5, 0.0, 1.0, 1.0)["dE_dw"])
    finally:
        plt.close(ax.figure)


def test_import_bpkit_stays_light():
    code = ("import sys, bpkit, bpkit.widgets; "
            "print(sorted(m for m in ('ipywidgets', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
