"""bpkit.widgets: the single-neuron explorer and the stage-1 diagrams, tested without a browser.

The numbers come from pure functions (neuron_quantities, gradient_step), which are checked
against hand values, finite differences and Network; the widget is then driven by setting
slider values and clicking its button, and its readout and plot must follow.
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


def _line(figure, gid):
    return next(l for ax in figure.axes for l in ax.get_lines() if l.get_gid() == gid)


def _tangent_slope(figure, gid="tangent"):
    xs, ys = _line(figure, gid).get_data()
    return (ys[-1] - ys[0]) / (xs[-1] - xs[0])


def _current_point(figure, gid="current"):
    line = _line(figure, gid)
    return line.get_xdata()[0], line.get_ydata()[0]


def _readout(explorer):
    """What the readout must show for the explorer's current controls."""
    return W.format_readout(explorer.quantities(), explorer.lr.value, explorer.steps())


def test_explorer_exposes_its_parts(explorer):
    import ipywidgets

    assert isinstance(explorer, ipywidgets.VBox)
    assert set(explorer.sliders) == {"w", "b", "x", "y"}
    assert all(isinstance(s, ipywidgets.FloatSlider) for s in explorer.sliders.values())
    assert isinstance(explorer.readout, ipywidgets.HTML)
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    values = {k: s.value for k, s in explorer.sliders.items()}
    assert values == W.DEFAULTS
    assert explorer.lr.value == W.DEFAULT_LR and explorer.steps() == 0
    assert isinstance(explorer.step_button, ipywidgets.Button)
    assert explorer.readout.value == W.format_readout(W.neuron_quantities(**values),
                                                      W.DEFAULT_LR, 0)
    assert len(explorer.figure.axes) == 2          # E(w) and σ(z)


@pytest.mark.parametrize("name, value", [("w", 2.0), ("b", -1.5), ("x", -0.75), ("y", 0.2)])
def test_moving_a_slider_updates_readout_and_plot(explorer, name, value):
    before_text, before_png = explorer.readout.value, explorer.image.value
    explorer.sliders[name].value = value
    values = {k: s.value for k, s in explorer.sliders.items()}
    q = W.neuron_quantities(**values)
    assert explorer.readout.value != before_text
    assert explorer.readout.value == _readout(explorer)
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


def _values_text(figure, gid="values"):
    return next(t for ax in figure.axes for t in ax.texts if t.get_gid() == gid).get_text()


def test_blitted_frame_equals_a_full_redraw(explorer):
    """Each frame redraws only the moving artists over a saved background; the picture
    must be the same as a figure drawn from scratch at those values."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    for name, value in [("w", 1.25), ("b", -2.0), ("x", 0.5), ("y", 0.25)]:
        explorer.sliders[name].value = value
    explorer.lr.value = 3.5
    explorer.step_button.click()
    values = {k: s.value for k, s in explorer.sliders.items()}
    assert explorer.image.value == W.neuron_explorer(**values, lr=3.5).image.value
    fig = Figure(figsize=(10.0, 4.0), dpi=80, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    W.plot_explorer(**values, lr=3.5, fig=fig)
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


@pytest.mark.parametrize("kwargs", [{"y": 2.0}, {"lr": 0.0}, {"lr": 50.0}])
def test_explorer_rejects_out_of_range_start(kwargs):
    with pytest.raises(ValueError, match="outside the slider's range"):
        W.neuron_explorer(**kwargs)


# --------------------------------------------------------------------------- δ, one step, σ(z)
def test_readout_has_a_delta_row(explorer):
    q = explorer.quantities()
    row = next(r for r in explorer.readout.value.split("<tr>") if r.startswith("<td style='padding-right:1em'>δ"))
    assert f"<b>{W._fmt(q['dE_dz'])}</b>" in row
    assert q["dE_dz"] == pytest.approx(q["dE_da"] * q["da_dz"])


@settings(max_examples=40, deadline=None)
@given(w=finite, b=finite, x=st.floats(-3, 3), y=st.floats(0, 1), lr=st.floats(0.01, 10))
def test_gradient_step_is_one_network_step(w, b, x, y, lr):
    """The explorer's step is Network.step on the [1, 1] network (one neuron, one input)."""
    net = bp.Network.from_params([np.array([[w]])], [np.array([[b]])])
    X, Y = np.array([[x]]), np.array([[y]])
    net.step(net.backward(X, Y), lr)
    assert W.gradient_step(w, b, x, y, lr) == pytest.approx(
        (net.weights[0][0, 0], net.biases[0][0, 0]), rel=1e-12, abs=1e-15)


def test_gradient_step_rejects_a_negative_rate():
    with pytest.raises(ValueError, match="learning rate"):
        W.gradient_step(0.5, -1.0, 2.0, 1.0, -1.0)


def test_hand_example_step():
    """η = 1 on the lesson's hand example: w = 0.5 + ¼, b = −1 + ⅛, and E halves."""
    assert W.gradient_step(0.5, -1.0, 2.0, 1.0, 1.0) == (0.75, -0.875)
    assert W.neuron_quantities(0.75, -0.875, 2.0, 1.0)["E"] < 0.125 / 2 + 1e-3


def test_step_button_takes_one_gradient_step(explorer):
    explorer.lr.value = 1.5
    before = explorer.quantities()
    png, text = explorer.image.value, explorer.readout.value
    explorer.step_button.click()
    after = explorer.quantities()
    expected = W.gradient_step(before["w"], before["b"], before["x"], before["y"], 1.5)
    assert (after["w"], after["b"]) == pytest.approx(expected, rel=1e-12)
    assert (after["x"], after["y"]) == (before["x"], before["y"])
    assert after["E"] < before["E"], "a small step against the gradient lowers E"
    assert explorer.steps() == 1
    assert explorer.readout.value != text and explorer.readout.value == _readout(explorer)
    assert explorer.image.value != png
    # The diamond marked where this step would land; the point is now there.
    assert _current_point(explorer.figure) == pytest.approx((after["w"], after["E"]))


def test_the_diamond_marks_where_the_step_lands(explorer):
    explorer.lr.value = 4.0
    q = explorer.quantities()
    w_next, _ = W.gradient_step(q["w"], q["b"], q["x"], q["y"], 4.0)
    assert _current_point(explorer.figure, "next") == pytest.approx(
        (w_next, W.error_of_w(w_next, q["b"], q["x"], q["y"])))


def test_steps_descend_and_count(explorer):
    errors = [explorer.quantities()["E"]]
    for _ in range(5):
        explorer.step_button.click()
        errors.append(explorer.quantities()["E"])
    assert explorer.steps() == 5
    assert all(e1 < e0 for e0, e1 in zip(errors, errors[1:]))
    assert "since a slider last moved: <b>5</b>" in explorer.readout.value
    explorer.sliders["y"].value = 0.5          # moved by hand: the count restarts
    assert explorer.steps() == 0


def test_a_step_stops_at_the_slider_ends(explorer):
    for name, value in [("w", -6.0), ("b", 0.0), ("x", 0.2), ("y", 0.0)]:
        explorer.sliders[name].value = value
    explorer.lr.value = 10.0
    wanted, _ = W.gradient_step(-6.0, 0.0, 0.2, 0.0, 10.0)
    assert wanted < -6.0                       # ∂E/∂w > 0: the step goes left, off the slider
    explorer.step_button.click()
    assert explorer.sliders["w"].value == -6.0
    assert explorer.steps() == 1 and explorer.readout.value == _readout(explorer)


@pytest.mark.parametrize("control", ["w", "b", "x", "y", "lr", "button"])
def test_every_control_visibly_changes_something(explorer, control):
    """A browser test clicks and drags each control and expects the page to change."""
    text, png = explorer.readout.value, explorer.image.value
    if control == "button":
        explorer.step_button.click()
    elif control == "lr":
        explorer.lr.value = 0.5
    else:
        slider = explorer.sliders[control]
        slider.value = slider.max if slider.value != slider.max else slider.min
    assert explorer.readout.value != text
    assert explorer.image.value != png


def test_sigmoid_panel_shows_z_and_the_slope(explorer):
    for w, b, x in [(-1.0, 0.0, 1.5), (2.0, 1.0, 1.0), (0.3, -0.2, -2.0)]:
        explorer.sliders["w"].value, explorer.sliders["b"].value = w, b
        explorer.sliders["x"].value = x
        q = explorer.quantities()
        assert _current_point(explorer.figure, "sigmoid-current") == pytest.approx((q["z"], q["a"]))
        assert _tangent_slope(explorer.figure, "sigmoid-tangent") == pytest.approx(q["da_dz"])
        assert f"{W._fmt(q['da_dz'])}" in _values_text(explorer.figure, "sigmoid-values")


def test_sigmoid_panel_pins_a_z_off_the_scale(explorer):
    explorer.sliders["w"].value, explorer.sliders["x"].value = 6.0, 3.0    # z = 18
    z_shown, a_shown = _current_point(explorer.figure, "sigmoid-current")
    assert z_shown == W.Z_RANGE[1] and a_shown == pytest.approx(1.0)
    assert "off the scale" in _values_text(explorer.figure, "sigmoid-values")


def test_sigmoid_tangent_matches_finite_differences():
    for z in (-3.0, 0.0, 0.7, 5.0):
        T = W.sigmoid_tangent(np.array([z - 1, z + 1]), z)
        slope = _finite_difference(lambda v: float(bp.sigmoid(v)), z)
        assert (T[1] - T[0]) / 2 == pytest.approx(slope, rel=1e-6)
        assert W.sigmoid_tangent(z, z) == pytest.approx(float(bp.sigmoid(z)))


# --------------------------------------------------------------------------- diagrams
def _texts(ax):
    return " | ".join(t.get_text() for t in ax.texts)


@pytest.fixture
def agg():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    yield
    plt.close("all")


def test_draw_neuron_shows_z_and_a(agg):
    ax = W.draw_neuron(w=(0.8, -0.4), b=0.1, x=(1.0, 0.5))
    text = _texts(ax)
    assert "= 0.7" in text                                    # z = 0.8 − 0.2 + 0.1
    assert f"{float(bp.sigmoid(0.7)):.4f}" in text
    with pytest.raises(ValueError, match="one weight per input"):
        W.draw_neuron(w=(1.0,), x=(1.0, 2.0))


def test_computation_graph_values_and_gradients(agg):
    q = W.neuron_quantities(0.5, -1.0, 2.0, 1.0)
    text = _texts(W.draw_computation_graph(0.5, -1.0, 2.0, 1.0))
    for label, key in [("∂E/∂w", "dE_dw"), ("∂E/∂b", "dE_db"), ("∂E/∂z", "dE_dz"),
                       ("∂E/∂a", "dE_da")]:
        assert f"{label} = {q[key]:.4g}" in text
    assert "E = ½(a−y)² = 0.125" in text
    assert "∂E/∂x = ?" in text, "∂E/∂x is written question 1: the graph must not give it"
    assert f"{q['dE_dz'] * 0.5:.4g}" not in text


def test_bias_fork_adds_the_deltas(agg):
    deltas = [0.25, -0.125, 0.5]
    text = _texts(W.draw_bias_fork(deltas))
    assert "∂C/∂b =\n0.625" in text
    assert all(f"{d:.4g}" in text for d in deltas)
    assert "δ₁ + δ₂ + δ₃" in _texts(W.draw_bias_fork())


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
