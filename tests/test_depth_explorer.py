"""bpkit.depth_explorer: the per-layer gradient sizes, their pictures, and the widget, tested
without a browser (tests/test_browser.py moves the controls in a real one).

The numbers are checked against the network's own backward pass and against finite
differences; the widget is driven by setting each control's value and clicking its button,
and its readout and image must follow.
"""
import numpy as np
import pytest

import bpkit as bp
from bpkit import depth_explorer as D


@pytest.fixture(autouse=True)
def _agg():
    import matplotlib

    matplotlib.use("Agg")
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


# --------------------------------------------------------------------------- the numbers
def test_make_network_has_the_asked_shape_and_scale():
    net = D.make_network(layers=4, width=12, activation="tanh", weight_scale=2.0, seed=3)
    assert net.sizes == [64, 12, 12, 12, 10]
    assert net.activations == ["tanh", "tanh", "tanh", "sigmoid"] and net.loss_name == "mse"
    plain = bp.Network([64, 12, 12, 12, 10], seed=3)
    for W, W0 in zip(net.weights, plain.weights):
        np.testing.assert_array_equal(W, 2.0 * W0)


def test_bias_gradient_sizes_are_mean_abs_of_bp3():
    X, Y = D.depth_data()
    net = D.make_network(3, 8, "sigmoid", seed=1)
    sizes = D.bias_gradient_sizes(net, X, Y)
    g = net.backward(X, Y)
    assert sizes.shape == (3,)
    for l, db in enumerate(g.db):
        assert sizes[l] == pytest.approx(np.mean(np.abs(bp.bp3(g.delta[l]))), rel=1e-12)
        assert sizes[l] == pytest.approx(np.mean(np.abs(db)), rel=1e-12)


def test_bias_gradients_agree_with_finite_differences():
    """The sizes measure real gradients: ∂C/∂b^1 of a 4-layer sigmoid net, numerically."""
    X, Y = D.depth_data()
    X, Y = X[:, :20], Y[:, :20]
    net = D.make_network(4, 6, "sigmoid", seed=2)
    numeric = bp.numerical_gradient(lambda _: net.loss(X, Y), net.biases[0], eps=1e-5)
    analytic = net.backward(X, Y).db[0]
    assert bp.relative_error(analytic, numeric) < 1e-6


def test_sigmoid_gradients_vanish_towards_the_input():
    """The lesson's claim, measured: with the default scale, each sigmoid layer back
    shrinks the mean bias gradient, and layer 1 of 8 is > 1000× smaller than layer 8."""
    p = D.depth_profile(layers=8, activation="sigmoid", epochs=0)
    before = p["before"]
    assert np.all(np.diff(before) > 0), before
    assert before[-1] / before[0] > 1e3


def test_relu_and_tanh_lose_far_less_than_sigmoid():
    """Layer 8 / layer 1 over 8 layers: sigmoid ~10⁴, tanh ~1; relu, which switches off
    about half its units, loses ~√2 per layer at scale 1 and far less at scale √2 (He's)."""
    sweep = D.depth_sweep(depths=[8], width=16)
    ratio = {act: sweep[act][8][-1] / sweep[act][8][0] for act in D.ACTIVATIONS}
    assert ratio["sigmoid"] > 1000 * ratio["tanh"] and ratio["sigmoid"] > 50 * ratio["relu"]
    he = D.depth_sweep(depths=[8], activations=["relu"], width=16, weight_scale=np.sqrt(2))
    assert he["relu"][8][-1] / he["relu"][8][0] < ratio["relu"] / 10


def test_depth_sweep_shapes():
    sweep = D.depth_sweep(depths=range(2, 5), activations=("sigmoid", "relu"), width=8)
    assert list(sweep) == ["sigmoid", "relu"]
    for by_depth in sweep.values():
        assert list(by_depth) == [2, 3, 4]
        assert all(sizes.shape == (L,) for L, sizes in by_depth.items())


def test_profile_is_pure_and_training_changes_it():
    a = D.depth_profile(layers=3, width=8, epochs=5)
    b = D.depth_profile(layers=3, width=8, epochs=5)
    np.testing.assert_array_equal(a["before"], b["before"])
    np.testing.assert_array_equal(a["after"], b["after"])
    assert not np.allclose(a["before"], a["after"])
    assert a["loss_after"] < a["loss_before"]
    zero = D.depth_profile(layers=3, width=8, epochs=0)
    np.testing.assert_array_equal(zero["before"], zero["after"])


def test_a_diverging_run_is_reported_not_raised(monkeypatch):
    """No setting of the sliders diverges (the sigmoid output saturates first), but should
    fit ever raise its divergence error, the explorer shows it instead of failing."""
    def diverge(self, *args, **kwargs):
        raise FloatingPointError("the loss became inf after 3 epochs (lr=0.5): lower the learning rate.")

    monkeypatch.setattr(bp.Network, "fit", diverge)
    p = D.depth_profile(layers=3, width=8, activation="relu", weight_scale=4.0, epochs=5)
    assert p["diverged"] and p["after"] is None and p["loss_after"] is None
    assert "diverged" in D.format_readout(p)
    ax = D.plot_profile(p)
    assert "diverged" in ax.get_title()
    assert "after" not in {line.get_gid() for line in ax.get_lines()}


@pytest.mark.parametrize("kwargs, error, match", [
    ({"layers": 0}, ValueError, "layers"),
    ({"width": 2.5}, TypeError, "width"),
    ({"activation": "softmax"}, ValueError, "activation must be one of"),
    ({"weight_scale": 0.0}, ValueError, "weight_scale"),
    ({"epochs": -1}, ValueError, "epochs"),
])
def test_bad_settings_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        D.depth_profile(**kwargs)


# --------------------------------------------------------------------------- the pictures
def test_plot_profile_draws_both_curves_on_a_log_axis():
    p = D.depth_profile(layers=5, width=8, epochs=5)
    ax = D.plot_profile(p)
    lines = {line.get_gid(): line for line in ax.get_lines()}
    assert set(lines) == {"before", "after", "quarter"}
    assert ax.get_yscale() == "log"
    np.testing.assert_array_equal(lines["before"].get_xdata(), np.arange(1, 6))
    np.testing.assert_allclose(lines["before"].get_ydata(), p["before"])
    np.testing.assert_allclose(lines["after"].get_ydata(), p["after"])
    quarter = lines["quarter"].get_ydata()
    assert quarter[-1] == pytest.approx(p["before"][-1])
    np.testing.assert_allclose(quarter[:-1] / quarter[1:], 0.25)


def test_zero_gradients_are_drawn_at_the_floor():
    p = {**D.depth_profile(layers=3, width=4, epochs=0), "before": np.array([0.0, 1e-3, 1e-2])}
    ax = D.plot_profile(p)
    before = next(l for l in ax.get_lines() if l.get_gid() == "before")
    assert before.get_ydata()[0] == D.FLOOR


def test_plot_depth_sweep_has_a_panel_per_activation():
    fig = D.plot_depth_sweep(D.depth_sweep(depths=[2, 3], width=8))
    axes = [ax for ax in fig.axes if ax.get_lines()]
    assert len(axes) == 3
    assert [len(ax.get_lines()) for ax in axes] == [2, 2, 2]
    assert all(ax.get_yscale() == "log" for ax in axes)


def test_readout_lists_every_layer_and_the_ratio():
    p = D.depth_profile(layers=4, width=8, epochs=5)
    html = D.format_readout(p)
    assert html.count("<tr>") == 4 + 1
    assert f"{p['before'][0]:.2e}" in html and f"{p['after'][3]:.2e}" in html
    assert f"{p['before'][-1] / p['before'][0]:.3g}×" in html
    assert f"{p['loss_after']:.4f}" in html


# --------------------------------------------------------------------------- the widget
@pytest.fixture(scope="module")
def explorer():
    import matplotlib

    matplotlib.use("Agg")
    return D.depth_explorer(layers=4, width=8, epochs=5)


def test_explorer_starts_from_its_settings(explorer):
    import ipywidgets

    assert isinstance(explorer, ipywidgets.VBox)
    assert set(explorer.controls) == {"layers", "width", "activation", "weight_scale", "epochs"}
    assert explorer.controls["layers"].value == 4 and explorer.controls["epochs"].value == 5
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer.readout.value == D.format_readout(explorer.profile())


# Each control, moved by one step from where the explorer starts (as the browser test's
# arrow key does), or set to another option.
@pytest.mark.parametrize("name, value", [("layers", 5), ("width", 12), ("activation", "tanh"),
                                         ("weight_scale", 1.25), ("epochs", 10)])
def test_every_control_changes_readout_and_image(explorer, name, value):
    before_text, before_png = explorer.readout.value, explorer.image.value
    explorer.controls[name].value = value
    assert explorer.readout.value != before_text
    assert explorer.image.value != before_png
    assert explorer.readout.value == D.format_readout(explorer.profile())
    assert explorer.profile()[name] == value


def test_new_weights_button_draws_new_weights(explorer):
    seed, before_text, before_png = explorer.seed(), explorer.readout.value, explorer.image.value
    explorer.new_weights.click()
    assert explorer.seed() == seed + 1
    assert explorer.readout.value != before_text and explorer.image.value != before_png


def test_explorer_refuses_unknown_or_bad_settings():
    with pytest.raises(TypeError, match="unknown settings"):
        D.depth_explorer(depth=3)
    with pytest.raises(ValueError, match="activation"):
        D.depth_explorer(activation="gelu")
