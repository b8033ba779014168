"""bpkit.ce_explorer: the learning-slowdown race and the two-layer playground, without a browser.

The numbers come from pure functions (race, train_playground, …), checked against Network,
finite differences and the course's history convention; the widgets are then driven by setting
control values and clicking buttons, and what they show must follow — every control must
visibly change the readout or the picture (a browser test expects that of every widget).
"""
import subprocess
import sys
import warnings

import numpy as np
import pytest

import bpkit as bp
from bpkit import ce_explorer as ce


@pytest.fixture(autouse=True)
def agg():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


# =========================================================================== the race
@pytest.fixture(scope="module")
def saturated():
    return ce.race(2.0, 2.0, lr=0.15, epochs=300)


def test_race_records_epochs_plus_one_entries_from_the_start(saturated):
    assert list(saturated["epoch"]) == list(range(301))
    z0 = 2.0 * 1.0 + 2.0
    for loss in ce.LOSSES:
        run = saturated[loss]
        assert all(len(run[k]) == 301 for k in ("w", "b", "output", "cost", "grad_w", "grad_b"))
        assert (run["w"][0], run["b"][0]) == (2.0, 2.0), "entry 0 is the start, before any step"
        assert run["output"][0] == pytest.approx(float(bp.sigmoid(z0)))


def test_race_costs_are_what_network_fit_records(saturated):
    """One sample, full batch: the race is Network.fit, step for step."""
    for loss in ce.LOSSES:
        net = bp.Network.from_params([np.array([[2.0]])], [np.array([[2.0]])], "sigmoid", loss)
        history = net.fit(np.array([[1.0]]), np.array([[0.0]]), epochs=300, lr=0.15, seed=0,
                          progress=False)
        assert np.allclose(saturated[loss]["cost"], history.loss, rtol=1e-12, atol=0)
        assert saturated[loss]["w"][-1] == pytest.approx(net.weights[0].item(), rel=1e-12)


def test_first_gradients_differ_by_the_factor_sigma_prime(saturated):
    a, slope = float(bp.sigmoid(4.0)), float(bp.sigmoid_prime(4.0))
    assert saturated["cross_entropy"]["grad_w"][0] == pytest.approx(a - 0.0)
    assert saturated["mse"]["grad_w"][0] == pytest.approx((a - 0.0) * slope)


@pytest.mark.parametrize("loss", ce.LOSSES)
@pytest.mark.parametrize("k", [0, 37, 300])
def test_recorded_gradients_match_finite_differences(saturated, loss, k):
    run = saturated[loss]
    w, b = run["w"][k], run["b"][k]

    def cost(w_, b_):
        return bp.Network.from_params([np.array([[w_]])], [np.array([[b_]])], "sigmoid",
                                      loss).loss(np.array([[1.0]]), np.array([[0.0]]))

    eps = 1e-6
    assert run["grad_w"][k] == pytest.approx((cost(w + eps, b) - cost(w - eps, b)) / (2 * eps),
                                             rel=1e-6, abs=1e-10)
    assert run["grad_b"][k] == pytest.approx((cost(w, b + eps) - cost(w, b - eps)) / (2 * eps),
                                             rel=1e-6, abs=1e-10)


def test_cross_entropy_wins_from_a_saturated_wrong_start(saturated):
    ce_epochs = ce.epochs_until(saturated["cross_entropy"], 0.0)
    mse_epochs = ce.epochs_until(saturated["mse"], 0.0)
    assert ce_epochs is not None and (mse_epochs is None or mse_epochs > 3 * ce_epochs)


def test_from_an_unsaturated_start_the_runs_are_close():
    result = ce.race(0.5, 0.5, epochs=300)
    ce_epochs = ce.epochs_until(result["cross_entropy"], 0.0)
    mse_epochs = ce.epochs_until(result["mse"], 0.0)
    saturated = ce.race(2.0, 2.0, epochs=300)
    gap = lambda r: r["cross_entropy"]["grad_w"][0] / r["mse"]["grad_w"][0]
    assert gap(result) < gap(saturated) / 5, "the factor 1/σ′(z) is small when z is small"
    assert ce_epochs is not None and mse_epochs is not None


def test_epochs_until():
    run = {"output": np.array([0.9, 0.5, 0.09, 0.2])}
    assert ce.epochs_until(run, 0.0) == 2
    assert ce.epochs_until(run, 0.0, tolerance=0.05) is None
    assert ce.epochs_until(run, 1.0) == 0


@pytest.mark.parametrize("kwargs, name", [
    (dict(w0="2"), "w0"), (dict(y=1.5), "y"), (dict(lr=0.0), "lr"), (dict(epochs=0), "epochs"),
    (dict(epochs=2.5), "epochs"), (dict(b0=float("nan")), "b0"),
])
def test_race_rejects_bad_arguments_by_name(kwargs, name):
    args = {"w0": 2.0, "b0": 2.0, **kwargs}
    with pytest.raises((ValueError, TypeError), match=name):
        ce.race(args.pop("w0"), args.pop("b0"), **args)


def test_format_race_reports_both_runs(saturated):
    html = ce.format_race(saturated)
    k = ce.epochs_until(saturated["cross_entropy"], 0.0)
    assert f"epoch <b>{k}</b>" in html and "not within 300 epochs" in html
    assert f"{saturated['cross_entropy']['grad_w'][0]:.4f}" in html
    assert "σ′(z) = 0.0177" in html and "z = w₀x + b₀ = 4.00" in html


def _line(figure, gid):
    return next(l for ax in figure.axes for l in ax.get_lines() if l.get_gid() == gid)


def test_plot_race_draws_the_recorded_numbers(saturated):
    fig = ce.plot_race(saturated)
    for loss in ce.LOSSES:
        assert np.array_equal(_line(fig, f"output-{loss}").get_ydata(), saturated[loss]["output"])
        assert np.array_equal(_line(fig, f"cost-{loss}").get_ydata(), saturated[loss]["cost"])
        assert np.allclose(_line(fig, f"grad_w-{loss}").get_ydata(),
                           np.abs(saturated[loss]["grad_w"]))
    assert len(fig.axes) == 3 and all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)


@pytest.fixture
def racer():
    return ce.race_explorer()


def test_race_explorer_shows_the_race_of_its_sliders(racer):
    import ipywidgets

    assert isinstance(racer, ipywidgets.VBox)
    assert {k: s.value for k, s in racer.sliders.items()} == ce.RACE_DEFAULTS
    assert racer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    racer.sliders["w0"].value, racer.sliders["epochs"].value = -1.5, 100
    result = racer.result()
    assert (result["w0"], result["epochs"]) == (-1.5, 100)
    assert racer.readout.value == ce.format_race(ce.race(-1.5, 2.0, lr=0.15, epochs=100))


@pytest.mark.parametrize("control", list(ce.RACE_RANGES))
def test_every_race_control_visibly_changes_something(racer, control):
    text, png = racer.readout.value, racer.image.value
    slider = racer.sliders[control]
    slider.value = slider.max if slider.value != slider.max else slider.min
    assert racer.readout.value != text and racer.image.value != png


def test_race_explorer_rejects_a_start_off_its_sliders():
    with pytest.raises(ValueError, match="w0=9.0 is outside"):
        ce.race_explorer(w0=9.0)


# =========================================================================== diagrams
def _texts(ax):
    return "\n".join(t.get_text() for t in ax.texts)


def test_output_graph_shows_the_pieces_and_their_product():
    z, y = -2.0, 1.0
    a = float(bp.sigmoid(z))
    text = _texts(ce.draw_output_graph(z, y))
    assert f"∂L/∂z = {a - y:.4g}" in text, "the product of the pieces is a − y"
    assert f"∂L/∂a = {-y / a:.4g}" in text and f"{a * (1 - a):.4g}" in text
    assert f"L = {-np.log(a):.4g}" in text


def test_output_graph_keeps_to_where_the_pieces_are_accurate():
    text = _texts(ce.draw_output_graph(20.0, 0.0))
    assert "∂L/∂z = 1" in text and "L = 20" in text
    with pytest.raises(ValueError, match="z must be in"):
        ce.draw_output_graph(40.0, 0.0)


def test_two_layer_picture_names_every_shape():
    text = _texts(ce.draw_two_layer(n0=2, n1=3)) + ce.draw_two_layer(2, 3).get_title()
    for shape in ["W¹ (3, 2)", "b¹ (3, 1)", "W² (1, 3)", "b² (1, 1)", "(2, m)", "a¹ (3, m)",
                  "a² (1, m)", "z² = W²a¹ + b²"]:
        assert shape in text, shape


# =========================================================================== the playground
def test_playground_data_is_two_draws_of_one_problem():
    X, Y, Xt, Yt = ce.playground_data("circles", m=50, seed=3)
    assert X.shape == Xt.shape == (2, 50) and Y.shape == Yt.shape == (1, 50)
    assert not np.array_equal(X, Xt), "the held-out points are another draw"
    assert np.array_equal(X, ce.playground_data("circles", m=50, seed=3)[0]), "seeded"
    with pytest.raises(ValueError, match="dataset"):
        ce.playground_data("spiral")


def test_frame_sizes():
    for epochs in [1, 7, 20, 1000, 1001, 3000]:
        for frames in [None, 1, 10, 20]:
            sizes = ce.frame_sizes(epochs, frames)
            assert sum(sizes) == epochs and min(sizes) >= 1 and max(sizes) - min(sizes) <= 1
            assert len(sizes) == min(epochs, ce.FRAMES if frames is None else frames)
    with pytest.raises(ValueError, match="epochs"):
        ce.frame_sizes(0)


def test_train_playground_follows_the_history_convention():
    net, data, history = ce.train_playground("moons", hidden=3, lr=5.0, epochs=200)
    assert len(history.loss) == len(history.val_accuracy) == 201 and history.epochs == 200
    fresh = ce.new_network(3, seed=0)
    assert history.loss[0] == pytest.approx(fresh.loss(data[0], data[1]), rel=1e-12)
    assert history.loss[-1] == pytest.approx(net.loss(data[0], data[1]), rel=1e-12)
    assert history.val_loss[-1] == pytest.approx(net.loss(data[2], data[3]), rel=1e-12)
    # Chunked training is training: one uninterrupted fit lands in the same place.
    one = ce.new_network(3, seed=0)
    one.fit(data[0], data[1], epochs=200, lr=5.0, progress=False)
    assert np.allclose(one.weights[0], net.weights[0], rtol=1e-9, atol=1e-12)


def test_the_default_playground_run_learns_the_moons():
    _, _, history = ce.train_playground()
    assert history.val_accuracy[-1] >= 0.9 and history.val_accuracy[0] < 0.9


def test_new_network_shape_and_checks():
    net = ce.new_network(5, seed=2)
    assert net.sizes == [2, 5, 1] and net.loss_name == "cross_entropy"
    assert net.activations == ["sigmoid", "sigmoid"]
    with pytest.raises(ValueError, match="hidden"):
        ce.new_network(0)


def test_probability_grid_is_the_network_output():
    net = ce.new_network(3, seed=1)
    X = np.array([[-1.0, 2.0], [0.0, 1.0]])
    x1, x2, P = ce.probability_grid(net, X, resolution=11, padding=0.0)
    assert P.shape == (11, 11) and x1[0] == -1.0 and x2[-1] == 1.0
    assert P[3, 7] == pytest.approx(net.predict(np.array([[x1[7]], [x2[3]]])).item())


def _has_boundary(fig) -> bool:
    from matplotlib.contour import ContourSet

    return any(isinstance(c, ContourSet) for c in fig.axes[0].collections)


def test_plot_playground_draws_the_boundary_only_when_in_view():
    """A network whose output is above ½ everywhere has no boundary to draw: no contour, and
    no matplotlib warning about one."""
    data = ce.playground_data(m=20)
    flat = bp.Network.from_params([np.zeros((1, 2)), np.zeros((1, 1))],
                                  [np.zeros((1, 1)), np.array([[3.0]])], "sigmoid", "cross_entropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = ce.plot_playground(flat, data, ce._start(flat, data))
    assert not _has_boundary(fig)
    net, data, history = ce.train_playground(epochs=100)
    assert _has_boundary(ce.plot_playground(net, data, history))


def _png(box):
    return box.image.value


@pytest.fixture(autouse=True)
def few_frames(monkeypatch):
    """Three pictures per training run instead of ce.FRAMES: the same code, drawn less often."""
    monkeypatch.setattr(ce, "FRAMES", 3)


@pytest.fixture
def ground():
    return ce.playground(epochs=100, background=False)


def test_playground_starts_untrained(ground):
    import ipywidgets

    assert isinstance(ground, ipywidgets.VBox)
    assert ground.state["history"].epochs == 0 and ground.progress.value == 0
    assert ground.state["net"].sizes == [2, 3, 1]
    assert "<b>0</b> epochs trained" in ground.status.value
    assert _png(ground)[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_runs_the_chosen_epochs_and_continues(ground):
    ground.train_button.click()
    history = ground.state["history"]
    assert history.epochs == 100 and ground.progress.value == 100
    assert "done: 100 epochs" in ground.status.value and ground.train_button.description == "train"
    ground.sliders["epochs"].value = 50
    ground.train_button.click()
    assert ground.state["history"].epochs == 150 and len(history.loss) == 151
    net, data = ground.state["net"], ground.state["data"]
    assert history.loss[-1] == pytest.approx(net.loss(data[0], data[1]), rel=1e-12)
    assert f"{history.val_accuracy[-1]:.1%}" in ground.status.value


def test_reset_gives_back_the_untrained_picture(ground):
    untrained = _png(ground)
    ground.train_button.click()
    assert _png(ground) != untrained
    ground.reset_button.click()
    assert ground.state["history"].epochs == 0
    assert _png(ground) == untrained, "same seed, same untrained network, same picture"


def test_the_same_clicks_give_the_same_pictures():
    pictures = []
    for _ in range(2):
        box = ce.playground(hidden=4, epochs=60, background=False)
        box.train_button.click()
        pictures.append(_png(box))
    assert pictures[0] == pictures[1]


def test_width_seed_and_data_start_a_fresh_network(ground):
    ground.train_button.click()
    ground.sliders["hidden"].value = 7
    assert ground.state["net"].sizes == [2, 7, 1] and ground.state["history"].epochs == 0
    w = ground.state["net"].weights[0].copy()
    ground.sliders["seed"].value = 4
    assert not np.array_equal(ground.state["net"].weights[0], w)
    X = ground.state["data"][0]
    ground.dataset.value = "circles"
    assert not np.array_equal(ground.state["data"][0], X)
    assert ground.state["net"].sizes == [2, 7, 1]


@pytest.mark.parametrize("control", ["dataset", "hidden", "seed", "lr", "epochs", "train", "reset"])
def test_every_playground_control_visibly_changes_something(control):
    """A browser test clicks and moves every control once, in page order, and expects the view
    to change each time. Reset is clicked on a trained network, as it is in page order."""
    box = ce.playground(epochs=60, background=False)
    if control == "reset":
        box.train_button.click()
    text, png = box.status.value, _png(box)
    if control == "dataset":
        box.dataset.value = "circles"
    elif control in ("train", "reset"):
        getattr(box, f"{control}_button").click()
    else:
        slider = box.sliders[control]
        slider.value = slider.max if slider.value != slider.max else slider.min
    assert box.status.value != text or _png(box) != png


def test_background_training_can_be_stopped():
    box = ce.playground(hidden=20, epochs=3000, background=True)
    box.train_button.click()
    assert box.running() and box.train_button.description == "stop"
    box.train_button.click()                  # the same button, now "stop"
    box.wait(30)
    assert not box.running()
    done = box.state["history"].epochs
    assert 0 <= done < 3000 and f"stopped after {done} of 3000 epochs" in box.status.value
    assert box.train_button.description == "train"


def test_a_new_width_stops_a_running_training():
    box = ce.playground(hidden=20, epochs=3000, background=True)
    box.train_button.click()
    box.sliders["hidden"].value = 2
    assert not box.running()
    assert box.state["net"].sizes == [2, 2, 1] and box.state["history"].epochs == 0


def test_background_training_finishes_like_the_foreground():
    back = ce.playground(epochs=80, background=True)
    back.train_button.click()
    back.wait(60)
    front = ce.playground(epochs=80, background=False)
    front.train_button.click()
    assert back.state["history"].loss == front.state["history"].loss
    assert _png(back) == _png(front)


@pytest.mark.parametrize("kwargs, match", [
    (dict(dataset="xor"), "dataset"), (dict(hidden=50), "hidden=50 is outside"),
    (dict(lr=-1.0), "lr=-1.0 is outside"), (dict(background="yes"), "background"),
])
def test_playground_rejects_bad_starts(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ce.playground(**kwargs)


def test_import_stays_light():
    code = ("import sys, bpkit.ce_explorer; "
            "print(sorted(m for m in ('ipywidgets', 'matplotlib', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
