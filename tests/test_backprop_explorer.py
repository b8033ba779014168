"""bpkit.backprop_explorer: stage 2's step-by-step backpropagation on seed 001's 3-4-2 network,
tested without a browser.

The numbers (backprop_trace) are checked against scalar sums written out here node by node
and against finite differences; the text and the picture against the numbers; the widget is
driven by clicking its buttons and moving its slider, and every control must change what a
reader sees (the readout or the picture) — from the start and from every step.
"""
import matplotlib
import numpy as np
import pytest

import bpkit as bp
from bpkit import backprop_explorer as B

matplotlib.use("Agg")

SIG = bp.sigmoid


def _random_params(seed):
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=(4, 1)),
            "W2": rng.normal(size=(2, 4)), "b2": rng.normal(size=(2, 1))}


# --------------------------------------------------------------------------- the numbers
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trace_matches_seed001_node_by_node(seed):
    """Seed 001's scalar formulas, written out with its node numbers (w_ij from j to i)."""
    p = _random_params(seed)
    x, y = B.new_sample(seed)
    t = B.backprop_trace(p, x, y, lr=0.7)
    W = {(i, j): p["W1"][i - 4, j - 1] for i in range(4, 8) for j in range(1, 4)}
    W.update({(i, j): p["W2"][i - 8, j - 4] for i in (8, 9) for j in range(4, 8)})
    b = {i: (p["b1"][i - 4, 0] if i < 8 else p["b2"][i - 8, 0]) for i in range(4, 10)}
    a = {j: x[j - 1, 0] for j in (1, 2, 3)}
    z = {}
    for i in range(4, 10):
        z[i] = sum(W[i, j] * a[j] for j in ((1, 2, 3) if i < 8 else (4, 5, 6, 7))) + b[i]
        a[i] = SIG(z[i])
    E = 0.5 * ((a[8] - y[0, 0]) ** 2 + (a[9] - y[1, 0]) ** 2)
    e = {8: a[8] - y[0, 0], 9: a[9] - y[1, 0]}
    d = {i: e[i] * a[i] * (1 - a[i]) for i in (8, 9)}
    for j in range(4, 8):
        e[j] = W[8, j] * d[8] + W[9, j] * d[9]          # a_j forks to 8 and 9
        d[j] = e[j] * a[j] * (1 - a[j])
    assert t["E"] == pytest.approx(E, rel=1e-12)
    for i in range(4, 10):
        l, r = (1, i - 4) if i < 8 else (2, i - 8)
        assert t[f"z{l}"][r, 0] == pytest.approx(z[i], rel=1e-12, abs=1e-15)
        assert t[f"e{l}"][r, 0] == pytest.approx(e[i], rel=1e-12, abs=1e-15)
        assert t[f"delta{l}"][r, 0] == pytest.approx(d[i], rel=1e-12, abs=1e-15)
    for (i, j), w in W.items():
        l, r, c = (1, i - 4, j - 1) if i < 8 else (2, i - 8, j - 4)
        assert t[f"dW{l}"][r, c] == pytest.approx(d[i] * a[j], rel=1e-12, abs=1e-15)
        assert t["new"][f"W{l}"][r, c] == pytest.approx(w - 0.7 * d[i] * a[j], rel=1e-12)


def test_trace_gradients_match_finite_differences():
    t = B.backprop_trace()
    p = {k: v.copy() for k, v in t["params"].items()}
    net = bp.Network.from_params([p["W1"], p["W2"]], [p["b1"], p["b2"]])
    for key, param in (("W1", net.weights[0]), ("b1", net.biases[0]),
                       ("W2", net.weights[1]), ("b2", net.biases[1])):
        numeric = bp.numerical_gradient(lambda _: net.loss(t["x"], t["y"]), param)
        assert bp.relative_error(t["d" + key], numeric) < 1e-8, key


def test_update_uses_the_errors_of_the_old_weights_and_lowers_E():
    t = B.backprop_trace(lr=2.0)
    for key in ("W1", "b1", "W2", "b2"):
        assert np.allclose(t["new"][key], t["params"][key] - 2.0 * t["d" + key], rtol=1e-14)
    assert t["E_after"] < t["E"]
    net = bp.Network.from_params([t["new"]["W1"], t["new"]["W2"]], [t["new"]["b1"], t["new"]["b2"]])
    assert t["E_after"] == pytest.approx(net.loss(t["x"], t["y"]), rel=1e-14)


def test_trace_does_not_change_its_arguments_or_the_defaults():
    p = _random_params(5)
    copies = {k: v.copy() for k, v in p.items()}
    B.backprop_trace(p)
    assert all(np.array_equal(p[k], copies[k]) for k in p)
    assert not B.DEFAULT_PARAMS["W1"].flags.writeable


@pytest.mark.parametrize("kwargs, error, match", [
    ({"x": np.ones(3)}, ValueError, "1-D"),
    ({"x": np.ones((1, 3))}, ValueError, r"x must be \(3, 1\)"),
    ({"y": np.ones((2, 2))}, ValueError, r"y \(2, 1\)"),
    ({"lr": 0.0}, ValueError, "learning rate"),
    ({"params": {"W1": np.ones((4, 3))}}, TypeError, "W1, b1, W2, b2"),
    ({"params": {**B.DEFAULT_PARAMS, "W2": np.ones((4, 2))}}, ValueError, r"W2 must be \(2, 4\)"),
])
def test_bad_inputs_are_explained(kwargs, error, match):
    with pytest.raises(error, match=match):
        B.backprop_trace(**kwargs)


def test_new_samples_are_reproducible_columns():
    x, y = B.new_sample(3)
    assert x.shape == (3, 1) and y.shape == (2, 1)
    assert np.all(np.abs(x) <= 1) and set(np.unique(y)) <= {0.0, 1.0}
    x2, y2 = B.new_sample(3)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)


# --------------------------------------------------------------------------- the text
def test_steps_cover_forward_errors_and_update_in_order():
    kinds = [kind for kind, _ in B.STEPS]
    assert len(B.STEPS) == 15 and kinds[0] == "start" and kinds[-1] == "update"
    assert [i for kind, i in B.STEPS if kind == "forward"] == [4, 5, 6, 7, 8, 9]
    assert [i for kind, i in B.STEPS if kind in ("output_error", "hidden_error")] == [8, 9, 4, 5, 6, 7]
    assert kinds.index("loss") < kinds.index("output_error")


def test_each_step_shows_its_own_numbers():
    t = B.backprop_trace()
    for k, (kind, i) in enumerate(B.STEPS):
        r = B.step_readout(t, k)
        results = [res for _, _, res in r["rows"]]
        if kind == "forward":
            l, row = (1, i - 4) if i < 8 else (2, i - 8)
            assert B._f(t[f"a{l}"][row, 0]) in results and f"z{i} = " in r["rows"][0][0]
        elif kind in ("output_error", "hidden_error"):
            l, row = (1, i - 4) if i < 8 else (2, i - 8)
            assert B._f(t[f"delta{l}"][row, 0]) in results and r["rows"][1][0].startswith(f"δ{i}")
        elif kind == "loss":
            assert results == [B._f(t["E"])]
        elif kind == "update":
            assert B._f(t["E_after"]) in results
    hidden = B.step_readout(t, B.STEPS.index(("hidden_error", 4)))
    assert hidden["rows"][0][0] == "e4 = ∂E/∂a4 = w84·δ8 + w94·δ9"
    assert "BP2" in hidden["course"] and "fork" in hidden["note"]
    assert "BP1" in B.step_readout(t, B.STEPS.index(("output_error", 8)))["course"]


def test_readout_says_step_round_and_rate():
    t = B.backprop_trace(lr=3.5)
    html = B.format_readout(t, 5, round_=2, status="hello")
    assert "round 2, step 5 of 14" in html and "η = 3.50" in html and "hello" in html


@pytest.mark.parametrize("k", [-1, 15, 2.0, "3"])
def test_bad_steps_are_refused(k):
    with pytest.raises((TypeError, ValueError), match="step"):
        B.step_readout(B.backprop_trace(), k)


def test_node_names_map_to_the_course():
    assert [B.node_name(i) for i in (1, 4, 7, 9)] == ["a^0_1", "a^1_1", "a^1_4", "a^2_2"]
    with pytest.raises(ValueError, match="1 … 9"):
        B.node_name(10)


# --------------------------------------------------------------------------- the picture
def _gid(ax, gid):
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    assert found, f"no artist with gid {gid!r}"
    return found[0]


def test_picture_shows_values_then_errors_then_gradients():
    from matplotlib.figure import Figure

    t = B.backprop_trace()
    forward_done = B.STEPS.index(("forward", 9))
    ax = Figure().subplots()
    B.draw_network(t, forward_done, ax=ax)
    assert _gid(ax, "value-9").get_text() == f"a9={t['a2'][1, 0]:.3f}"
    assert not [a for a in ax.get_children() if str(a.get_gid()).startswith("delta-")]

    k = B.STEPS.index(("hidden_error", 5))
    ax = Figure().subplots()
    B.draw_network(t, k, ax=ax)
    for i in (8, 9, 4, 5):
        assert _gid(ax, f"delta-{i}").get_text().startswith(f"δ{i}=")
    assert not [a for a in ax.get_children() if a.get_gid() == "delta-6"]
    # Links into node 5 are labelled with their gradients; the fork 5 → 8, 9 is orange.
    assert _gid(ax, "edge-label-5-1").get_text() == B._f(t["dW1"][1, 0])
    assert _gid(ax, "edge-label-8-5").get_text() == "w85·δ8"
    # Width grows with |∂E/∂w| among the links whose gradient is known.
    widths = {(i, j): _gid(ax, f"edge-{i}-{j}").get_linewidth() for i in (8, 9) for j in (4, 6)}
    grads = {(i, j): abs(t["dW2"][i - 8, j - 4]) for i in (8, 9) for j in (4, 6)}
    order = sorted(widths, key=grads.get)
    assert [widths[e] for e in order] == sorted(widths.values())


def test_static_fallback_draws_every_step_asked():
    import matplotlib.pyplot as plt

    fig = B.plot_backprop_steps((0, 7, 14))
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == ["step 0", "step 7", "step 14"]
    plt.close(fig)


# --------------------------------------------------------------------------- the widget
@pytest.fixture
def explorer():
    return B.backprop_explorer()


def _seen(explorer):
    return explorer.readout.value, explorer.image.value


def test_explorer_starts_at_step_0(explorer):
    import ipywidgets

    assert isinstance(explorer, ipywidgets.VBox)
    assert explorer.step() == 0 and explorer.round() == 1
    assert explorer.readout.value == B.format_readout(explorer.trace(), 0, 1)
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer.lr.value == B.DEFAULT_LR


def test_next_walks_all_steps_then_starts_a_new_round(explorer):
    seen = [_seen(explorer)]
    for k in range(1, 15):
        explorer.next_button.click()
        assert explorer.step() == k
        assert explorer.readout.value == B.format_readout(explorer.trace(), k, 1)
        seen.append(_seen(explorer))
    assert len({s[1] for s in seen}) == 15, "every step draws a different picture"
    E_before, E_after, new = explorer.trace()["E"], explorer.trace()["E_after"], explorer.trace()["new"]
    explorer.next_button.click()
    assert explorer.step() == 0 and explorer.round() == 2
    assert all(np.array_equal(explorer.params()[k], new[k]) for k in new)
    assert explorer.trace()["E"] == pytest.approx(E_after) and E_after < E_before
    assert "round 2" in explorer.readout.value


def test_back_end_restart(explorer):
    explorer.end_button.click()
    assert explorer.step() == 14
    explorer.back_button.click()
    assert explorer.step() == 13
    explorer.next_button.click()
    explorer.next_button.click()                  # round 2
    explorer.restart_button.click()
    assert explorer.step() == 0 and explorer.round() == 1
    assert all(np.array_equal(explorer.params()[k], B.DEFAULT_PARAMS[k]) for k in B.DEFAULT_PARAMS)


def test_learning_rate_changes_the_update(explorer):
    explorer.end_button.click()
    before = explorer.trace()["new"]["W2"].copy()
    text = explorer.readout.value
    explorer.lr.value = 5.0
    t = explorer.trace()
    assert t["lr"] == 5.0 and not np.array_equal(t["new"]["W2"], before)
    assert "η = 5.00" in explorer.readout.value and explorer.readout.value != text
    assert explorer.readout.value == B.format_readout(t, 14, 1)


def test_new_sample_keeps_weights_and_step(explorer):
    for _ in range(3):
        explorer.next_button.click()
    x_before, params = explorer.trace()["x"].copy(), explorer.params()
    explorer.sample_button.click()
    t = explorer.trace()
    assert explorer.step() == 3
    assert not (np.array_equal(t["x"], x_before) and np.array_equal(t["y"], B.DEFAULT_Y))
    assert all(np.array_equal(explorer.params()[k], params[k]) for k in params)
    assert "new sample" in explorer.readout.value


def _controls(explorer):
    return [("lr", lambda: setattr(explorer.lr, "value",
                                   explorer.lr.value + (0.1 if explorer.lr.value < 9 else -0.1))),
            ("next", explorer.next_button.click), ("back", explorer.back_button.click),
            ("end", explorer.end_button.click), ("restart", explorer.restart_button.click),
            ("sample", explorer.sample_button.click)]


def test_every_control_changes_what_is_seen_in_page_order(explorer):
    """What the browser test does: each control once, in page order, from the start."""
    for name, use in _controls(explorer):
        before = _seen(explorer)
        use()
        assert _seen(explorer) != before, f"{name} changed nothing a reader can see"


@pytest.mark.parametrize("start", [0, 7, 14])
def test_every_control_changes_something_from_any_step(start):
    for name, _ in _controls(B.backprop_explorer()):
        explorer = B.backprop_explorer()
        for _ in range(start):
            explorer.next_button.click()
        use = dict(_controls(explorer))[name]
        before = _seen(explorer)
        use()
        assert _seen(explorer) != before, f"at step {start}, {name} changed nothing"


def test_explorer_refuses_a_rate_outside_the_slider():
    with pytest.raises(ValueError, match="learning rate"):
        B.backprop_explorer(lr=50.0)
