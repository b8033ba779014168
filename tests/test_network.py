"""Network: backward against finite differences on random architectures, fit converging,
and the errors a student meets when the shapes are wrong."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import bpkit as bp
from bpkit import _fused, network as network_module

ACTS = ["sigmoid", "tanh", "relu", "identity"]
# The sigmoid as an activation of one's own: fit trains it by the readable loop.
LOGISTIC = bp.activations.Activation("logistic", bp.sigmoid.__wrapped__, bp.sigmoid_prime.__wrapped__)


@st.composite
def networks(draw):
    """A random network (1–4 layers, any activations, either cost) and a batch for it."""
    L = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 5), min_size=L + 1, max_size=L + 1))
    loss = draw(st.sampled_from(["mse", "cross_entropy"]))
    acts = draw(st.lists(st.sampled_from(ACTS), min_size=L, max_size=L))
    if loss == "cross_entropy":
        acts[-1] = "sigmoid"
    m = draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    net = bp.Network(sizes, activations=acts, loss=loss, seed=seed)
    for b in net.biases:                       # nonzero biases exercise BP3 fully
        b += 0.1 * rng.standard_normal(b.shape)
    X = rng.standard_normal((sizes[0], m))
    Y = rng.uniform(size=(sizes[-1], m))
    return net, X, Y


EPS = 1e-5


def rounding_scale(net, X, Y) -> float:
    """How far rounding can move the computed cost, in units of ε_mach: 100 |C| (at least
    100), plus 10× what the output's own rounding (|δa| ≈ ε|a|) does through ∇_a C. The
    second term matters where C is steep in a — cross-entropy of a sigmoid saturated near 1
    against a target far from it: ln(1 − a) amplifies the rounding of a by 1/(1 − a)."""
    a = net.predict(X)
    steep = float(np.sum(np.abs(a * net.cost.grad(a, Y))))
    return 100 * max(abs(net.loss(X, Y)), 1.0) + 10 * steep


def assert_matches_finite_differences(analytic, numeric, scale):
    """Relative error < 1e-7, the float64 standard. Central differences only resolve a
    gradient down to about ε_mach·scale/EPS per entry (scale: rounding_scale), so for a
    vanishing gradient (deep sigmoid stacks: ‖g‖ ~ 1e-6), or a cost that rounding moves a
    lot, the same test is made at that absolute floor instead."""
    floor = np.finfo(float).eps * scale / EPS
    err = bp.relative_error(analytic, numeric)
    assert err < 1e-7 or np.max(np.abs(analytic - numeric)) < floor, (err, analytic, numeric)


@settings(max_examples=60, deadline=None)
@given(case=networks())
def test_backward_matches_finite_differences(case):
    net, X, Y = case
    g = net.backward(X, Y)
    scale = rounding_scale(net, X, Y)
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        assert g.dW[l].shape == W.shape and g.db[l].shape == b.shape
        assert g.delta[l].shape == (W.shape[0], X.shape[1])
        for param, analytic in ((W, g.dW[l]), (b, g.db[l])):
            numeric = bp.numerical_gradient(lambda _: net.loss(X, Y), param, EPS)
            assert_matches_finite_differences(analytic, numeric, scale)


@settings(max_examples=20, deadline=None)
@given(case=networks())
def test_delta_is_dC_dz(case):
    """δ^l = ∂C/∂z^l: perturb z^l itself and run the rest of the network forward from it."""
    net, X, Y = case
    g = net.backward(X, Y)
    fwd = net.forward(X)
    L = len(net.weights)
    for l in range(L):
        def cost(z_l, l=l):
            a = bp.get_activation(net.activations[l]).f(z_l)
            for W, b, act in zip(net.weights[l + 1:], net.biases[l + 1:], net.activations[l + 1:]):
                a = bp.get_activation(act).f(W @ a + b)
            return (bp.mse if net.loss_name == "mse" else bp.cross_entropy)(a, Y)
        numeric = bp.numerical_gradient(cost, fwd.z[l].copy(), EPS)
        assert_matches_finite_differences(g.delta[l], numeric, rounding_scale(net, X, Y))


def test_forward_keeps_every_z_and_a():
    net = bp.Network([3, 4, 2], activations=["tanh", "sigmoid"], seed=0)
    X = np.random.default_rng(0).standard_normal((3, 5))
    fwd = net.forward(X)
    assert fwd.a[0] is not None and np.array_equal(fwd.a[0], X)
    assert [z.shape for z in fwd.z] == [(4, 5), (2, 5)]
    np.testing.assert_allclose(fwd.a[1], np.tanh(net.weights[0] @ X + net.biases[0]))
    np.testing.assert_allclose(fwd.output, bp.sigmoid(net.weights[1] @ fwd.a[1] + net.biases[1]))
    np.testing.assert_array_equal(net.predict(X), fwd.output)


def test_from_params_copies_and_converts():
    W1, b1 = np.array([[1, 2]]), np.array([[0]])          # integers are fine here: copied as float64
    net = bp.Network.from_params([W1], [b1], activations="identity")
    assert net.weights[0].dtype == np.float64 and net.weights[0] is not W1
    assert net.sizes == [2, 1]
    assert net.predict(np.array([[1.0], [1.0]])).item() == 3.0


def test_step_moves_against_the_gradient():
    net = bp.Network([2, 3, 1], seed=1)
    X, Y = bp.datasets.xor()
    before = net.loss(X, Y)
    W0 = [W.copy() for W in net.weights]
    g = net.backward(X, Y)
    net.step(g, lr=0.1)
    for W, W_old, dW in zip(net.weights, W0, g.dW):
        np.testing.assert_allclose(W, W_old - 0.1 * dW)
    assert net.loss(X, Y) < before


def test_seeds_make_networks_and_training_reproducible():
    X, Y = bp.datasets.moons(m=40, seed=0)
    runs = []
    for _ in range(2):
        net = bp.Network([2, 4, 1], seed=3)
        runs.append(net.fit(X, Y, epochs=5, lr=1.0, batch_size=8, seed=5, progress=False).loss)
    assert runs[0] == runs[1]
    other = bp.Network([2, 4, 1], seed=3).fit(X, Y, epochs=5, lr=1.0, batch_size=8, seed=6,
                                              progress=False).loss
    assert other != runs[0]


def test_fit_drives_xor_below_0_01():
    X, Y = bp.datasets.xor()
    net = bp.Network([2, 3, 1], activations="sigmoid", loss="mse", seed=0)
    history = net.fit(X, Y, epochs=3000, lr=3.0, seed=0, progress=False)
    assert history.loss[-1] < 0.01
    assert history.accuracy[-1] == 1.0
    assert history.loss[-1] < history.loss[0]


@pytest.mark.parametrize("acts, loss, lr", [("sigmoid", "cross_entropy", 0.5),
                                            ("sigmoid", "mse", 3.0)])
def test_fit_reaches_95_percent_on_held_out_digits(acts, loss, lr):
    X, Y, X_test, Y_test = bp.datasets.digits(seed=0)
    net = bp.Network([64, 32, 10], activations=acts, loss=loss, seed=0)
    history = net.fit(X, Y, epochs=20, lr=lr, batch_size=16, seed=0, progress=False,
                      validation=(X_test, Y_test))
    assert net.accuracy(X_test, Y_test) >= 0.95
    assert history.val_accuracy[-1] == net.accuracy(X_test, Y_test)
    assert len(history.loss) == len(history.val_loss) == 20 + 1      # loss[0]: before training
    assert history.epochs == 20


def test_fit_records_no_accuracy_for_regression():
    X = np.linspace(-1, 1, 10).reshape(1, -1)
    net = bp.Network([1, 4, 1], activations=["tanh", "identity"], seed=0)
    history = net.fit(X, 0.3 * X, epochs=3, lr=0.1, progress=False)
    assert len(history.loss) == 3 + 1 and history.accuracy == []


def test_fit_progress_bar_can_be_turned_off(capsys):
    X, Y = bp.datasets.xor()
    bp.Network([2, 2, 1], seed=0).fit(X, Y, epochs=3, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    bp.Network([2, 2, 1], seed=0).fit(X, Y, epochs=3, progress=True)
    assert "training" in capsys.readouterr().err


def test_fit_reports_divergence():
    X, Y = np.array([[1e3, -1e3]]), np.array([[0.0, 1.0]])
    net = bp.Network([1, 1], activations="identity", seed=0)
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        net.fit(X, Y, epochs=500, lr=10.0, progress=False)


# -- errors that teach -------------------------------------------------------------------

def test_y_of_shape_m_is_not_broadcast_against_a():
    """The classic silent bug: (1, m) − (m,) broadcasts to (m, m). Here it is an error."""
    net = bp.Network([2, 1], seed=0)
    with pytest.raises(ValueError, match=r"Y has shape \(4,\), a 1-D array, where a matrix \(n, m\) was meant.*Y.reshape\(1, -1\)"):
        net.loss(np.ones((2, 4)), np.ones(4))
    with pytest.raises(ValueError, match=r"a has shape \(4,\), a 1-D array"):
        bp.mse(np.ones(4), np.ones((1, 4)))


def test_mismatched_batch_sizes_are_named():
    net = bp.Network([2, 1], seed=0)
    with pytest.raises(ValueError, match=r"Y is \(1, 3\) but a\^L is \(1, 4\)"):
        net.backward(np.ones((2, 4)), np.ones((1, 3)))


def test_transposed_X_gets_a_hint():
    net = bp.Network([2, 3, 1], seed=0)
    with pytest.raises(ValueError, match=r"W\^1 is \(3, 2\) but a\^0 = X has 5 rows.*transposed"):
        net.forward(np.ones((5, 2)))


def test_inconsistent_weights_name_the_layer():
    with pytest.raises(ValueError, match=r"z\^2 = W\^2 a\^1 \+ b\^2: W\^2 is \(1, 4\) but a\^1 has 3 rows"):
        bp.Network.from_params([np.ones((3, 2)), np.ones((1, 4))], [np.ones((3, 1)), np.ones((1, 1))])


def test_flat_bias_is_refused():
    with pytest.raises(ValueError, match=r"b\^1 has shape \(3,\), a 1-D array"):
        bp.Network.from_params([np.ones((3, 2))], [np.ones(3)])


def test_weights_reassigned_with_a_wrong_shape_are_caught_at_forward():
    net = bp.Network([2, 3, 1], seed=0)
    net.biases[1] = np.zeros((3, 1))
    with pytest.raises(ValueError, match=r"b\^2 is \(3, 1\) but must be \(1, 1\)"):
        net.forward(np.ones((2, 1)))


def test_wrong_number_of_weights_biases_activations():
    W, b = [np.ones((3, 2)), np.ones((1, 3))], [np.ones((3, 1)), np.ones((1, 1))]
    with pytest.raises(ValueError, match="2 weight matrices but 1 bias vectors"):
        bp.Network.from_params(W, b[:1])
    with pytest.raises(ValueError, match="3 activations for 2 layers"):
        bp.Network.from_params(W, b, activations=["relu"] * 3)
    with pytest.raises(TypeError, match="weights must be a non-empty list"):
        bp.Network.from_params(np.ones((3, 2)), b)


def test_unknown_names_are_listed():
    with pytest.raises(ValueError, match=r"unknown activation 'softmax'; choose one of \['identity'"):
        bp.Network([2, 1], activations="softmax")
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; choose 'mse' or 'cross_entropy'"):
        bp.Network([2, 1], loss="hinge")


def test_cross_entropy_needs_a_sigmoid_output():
    with pytest.raises(ValueError, match="cross-entropy needs outputs in \\(0, 1\\): use a 'sigmoid' output"):
        bp.Network([2, 1], activations="relu", loss="cross_entropy")


def test_bad_sizes_and_hyperparameters():
    with pytest.raises(ValueError, match="sizes must be a list of at least two positive integers"):
        bp.Network([3])
    net = bp.Network([2, 1], seed=0)
    X, Y = bp.datasets.xor()
    with pytest.raises(ValueError, match=r"fit: the learning rate lr must be > 0.0, got -1.0"):
        net.fit(X, Y, lr=-1.0, progress=False)
    with pytest.raises(ValueError, match=r"fit: batch_size must be an integer >= 1, got 0"):
        net.fit(X, Y, batch_size=0, progress=False)
    with pytest.raises(ValueError, match=r"W\^1 ← W\^1 − lr ∂C/∂W\^1: W\^1 is \(1, 2\) but its gradient is \(2, 1\)"):
        net.step(bp.Gradients(dW=[np.ones((2, 1))], db=[np.ones((1, 1))], delta=[]), lr=0.1)


def test_nan_and_inf_inputs_are_refused():
    net = bp.Network([2, 1], seed=0)
    with pytest.raises(ValueError, match="X contains NaN"):
        net.forward(np.array([[np.nan], [0.0]]))
    with pytest.raises(ValueError, match="Y contains inf"):
        net.loss(np.ones((2, 1)), np.array([[np.inf]]))


def test_cross_entropy_targets_outside_0_1_are_refused():
    net = bp.Network([2, 1], loss="cross_entropy", seed=0)
    with pytest.raises(ValueError, match=r"cross-entropy C\(a\^L, Y\): targets Y must lie in \[0, 1\]"):
        net.backward(np.ones((2, 3)), np.array([[0.0, 1.0, 2.0]]))


# -- issue: step, the network's own lists, m = 0, seeds, huge values ----------------------

def test_step_needs_a_gradient_for_every_layer():
    net = bp.Network([2, 3, 1], seed=0)
    X, Y = bp.datasets.xor()
    g = net.backward(X, Y)
    before = [W.copy() for W in net.weights]
    with pytest.raises(ValueError, match=r"step: grads.dW must hold one gradient per layer \(2\), got 1 entries"):
        net.step(bp.Gradients(dW=g.dW[:1], db=g.db[:1], delta=g.delta[:1]), lr=0.1)
    g.dW[1][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"W\^2 ← W\^2 − lr ∂C/∂W\^2: ∂C/∂W\^2 contains NaN"):
        net.step(g, lr=0.1)
    assert all(np.array_equal(W, W0) for W, W0 in zip(net.weights, before))   # nothing moved


def test_step_that_would_overflow_is_refused_before_it_moves_anything():
    net = bp.Network([2, 1], seed=0)
    g = bp.Gradients(dW=[np.full((1, 2), 10.0)], db=[np.zeros((1, 1))], delta=[])
    with pytest.raises(ValueError, match=r"lr·\|∂C/∂W\^1\| reaches lr=1e\+308 × .*beyond float64"):
        net.step(g, lr=1e308)
    assert np.all(np.isfinite(net.weights[0]))


@pytest.mark.parametrize("change, match", [
    (lambda n: n.weights.append(np.ones((1, 1))), r"net.weights has 3, net.biases has 2, net.activations has 2"),
    (lambda n: n.biases.pop(), r"net.weights has 2, net.biases has 1"),
    (lambda n: n.activations.append("relu"), r"net.activations has 3"),
    (lambda n: n.weights.__setitem__(1, np.ones((1, 5))), r"z\^2 = W\^2 a\^1 \+ b\^2: W\^2 is \(1, 5\) but a\^1 has 3 rows"),
    (lambda n: n.weights.__setitem__(0, np.ones((3, 2), dtype=int)), r"net.weights\[0\] \(W\^1\) has dtype int64"),
    (lambda n: n.biases.__setitem__(0, np.zeros(3)), r"net.biases\[0\] \(b\^1\) must be a non-empty 2-D array \(n_1, 1\), got shape \(3,\)"),
    (lambda n: n.weights.__setitem__(0, [[1.0, 2.0]] * 3), r"net.weights\[0\] \(W\^1\) must be a NumPy array"),
    (lambda n: n.activations.__setitem__(0, "softmax"), r"net.activations\[0\] \(σ_1\): unknown activation 'softmax'"),
    (lambda n: n.weights[1].__setitem__((0, 0), np.inf), r"net.weights\[1\] \(W\^2\) contains NaN or inf"),
    (lambda n: setattr(n, "weights", tuple(n.weights)), r"net.weights must be a list"),
])
def test_lists_changed_after_construction_are_named_at_the_next_call(change, match):
    X, Y = bp.datasets.xor()
    for call in (lambda n: n.forward(X), lambda n: n.loss(X, Y), lambda n: n.backward(X, Y),
                 lambda n: n.fit(X, Y, epochs=1, progress=False)):
        net = bp.Network([2, 3, 1], seed=0)
        change(net)
        with pytest.raises((ValueError, TypeError), match=match):
            call(net)


def test_no_samples_is_an_error_everywhere():
    net = bp.Network([2, 1], seed=0)
    X0, Y0 = np.ones((2, 0)), np.ones((1, 0))
    for call in (lambda: bp.mse(Y0, Y0), lambda: bp.cross_entropy(Y0, Y0), lambda: net.loss(X0, Y0),
                 lambda: net.accuracy(X0, Y0), lambda: net.fit(X0, Y0, progress=False),
                 lambda: bp.check_gradients(net, X0, Y0)):
        with pytest.raises(ValueError, match=r"has shape \(\d, 0\): no samples \(m = 0 columns\)"):
            call()


@pytest.mark.parametrize("seed, error, match", [
    ("abc", TypeError, r"seed must be an integer >= 0, None or a np.random.Generator, got 'abc'"),
    (-1, ValueError, r"seed must be an integer >= 0, got -1"),
    (1.5, TypeError, r"seed must be an integer >= 0, None or a np.random.Generator, got 1.5"),
])
def test_seeds_are_checked(seed, error, match):
    X, Y = bp.datasets.xor()
    with pytest.raises(error, match="Network: " + match):
        bp.Network([2, 1], seed=seed)
    with pytest.raises(error, match="fit: " + match):
        bp.Network([2, 1], seed=0).fit(X, Y, seed=seed, progress=False)
    assert bp.Network([2, 1], seed=np.random.default_rng(3)).sizes == [2, 1]


def test_fit_on_huge_targets_names_their_size_not_the_learning_rate():
    X, Y = bp.datasets.xor()
    net = bp.Network([2, 1], activations="identity", seed=0)
    with pytest.raises(ValueError, match=r"fit: the cost of the initial parameters is already inf.*\|Y\| 1e\+200"):
        net.fit(X, 1e200 * Y, progress=False)
    with pytest.raises(FloatingPointError, match=r"after \d epochs \(lr=10; \|X\| reaches 1 and \|Y\| 1e\+150\): scale the data to order 1"):
        net.fit(X, 1e150 * Y, lr=10.0, epochs=50, progress=False)


def test_huge_values_end_in_one_clear_error_without_warnings():
    import warnings
    net = bp.Network([1, 1], activations="identity", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"Network.loss: the result overflows float64 .*\|Y\| reaches 1e\+200"):
            net.loss(np.ones((1, 2)), np.full((1, 2), 1e200))
        assert np.isfinite(net.loss(np.ones((1, 2)), np.full((1, 2), 1e150)))   # 1e300: representable


def test_history_records_the_cost_before_training():
    X, Y = bp.datasets.xor()
    net = bp.Network([2, 3, 1], seed=0)
    initial = net.loss(X, Y)
    history = net.fit(X, Y, epochs=3, lr=1.0, progress=False)
    assert len(history.loss) == 4 and history.epochs == 3 and len(history.accuracy) == 4
    assert history.loss[0] == initial and history.loss[-1] == net.loss(X, Y)
    assert bp.Network([2, 3, 1], seed=0).fit(X, Y, epochs=0, progress=False).loss == [initial]


def test_a_cost_is_an_object_that_knows_its_delta():
    net = bp.Network([2, 1], loss=bp.losses.CrossEntropy(), seed=0)
    assert net.loss_name == "cross_entropy" and isinstance(net.cost, bp.losses.CrossEntropy)
    X, Y = bp.datasets.xor()
    a = net.predict(X)
    np.testing.assert_array_equal(net.backward(X, Y).delta[0], (a - Y) / 4)


# -- fit's fused step equals the readable composition ---------------------------------------
def _readable_fit(net, X, Y, epochs, lr, batch_size, seed, validation=None):
    """Mini-batch SGD spelled out with the public API: for each shuffled batch, backward
    (BP1–BP4 composed) and then step — what fit's fused inner loop must reproduce. Returns
    the History fit should return."""
    rng, m = np.random.default_rng(seed), X.shape[1]
    history = network_module.History()

    def record():
        history.loss.append(net.loss(X, Y))
        history.accuracy.append(net.accuracy(X, Y))
        if validation:
            history.val_loss.append(net.loss(*validation))
            history.val_accuracy.append(net.accuracy(*validation))
    record()
    for _ in range(epochs):
        order = rng.permutation(m)
        for start in range(0, m, batch_size):
            batch = order[start:start + batch_size]
            net.step(net.backward(X[:, batch], Y[:, batch]), lr)
        record()
    return history


def assert_same_training(net, twin, history=None, expected=None):
    for fast, slow in zip(net.weights + net.biases, twin.weights + twin.biases):
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)
    if history is not None:
        np.testing.assert_allclose(history.loss, expected.loss, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(history.val_loss, expected.val_loss, rtol=1e-12, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(case=networks(), batch_size=st.integers(1, 8), epochs=st.integers(1, 3))
def test_fit_equals_backward_then_step_to_1e_12(case, batch_size, epochs):
    """Training that diverges (a deep linear net, batches of one: the cost grows by orders
    of magnitude per epoch) amplifies rounding without bound; such draws are left out."""
    net, X, Y = case
    twin = bp.Network.from_params(net.weights, net.biases, net.activations, net.cost)
    try:
        expected = _readable_fit(twin, X, Y, epochs, 0.1, batch_size, seed=7)
    except ValueError:                          # step refuses an update beyond float64
        assume(False)
    losses = expected.loss
    assume(np.all(np.isfinite(losses)) and max(losses) < 100 * max(losses[0], 1.0))
    history = net.fit(X, Y, epochs=epochs, lr=0.1, batch_size=batch_size, seed=7, progress=False)
    assert_same_training(net, twin, history, expected)


@pytest.mark.parametrize("hidden, output, loss",
                         [(h, o, "mse") for h in ACTS for o in ACTS]
                         + [(h, "sigmoid", "cross_entropy") for h in ACTS])
def test_fused_fit_equals_the_readable_loop_for_every_activation_and_cost(hidden, output, loss):
    """fit's fused kernel against backward-then-step: two hidden layers, a short last
    batch, nonzero biases, a saturated unit in each sigmoid or tanh layer."""
    rng = np.random.default_rng(5)
    X = 2 * rng.standard_normal((6, 47))
    Y = rng.uniform(size=(3, 47))
    net = bp.Network([6, 9, 5, 3], activations=[hidden, hidden, output], loss=loss, seed=3)
    for b, act in zip(net.biases, net.activations):
        b += 0.3 * rng.standard_normal(b.shape)
        if act in ("sigmoid", "tanh"):
            b[0] = 40.0                         # a saturated unit: σ′ underflows to ~1e-18
    assert _fused.supports(net)
    twin = bp.Network.from_params(net.weights, net.biases, net.activations, net.cost)
    history = net.fit(X, Y, epochs=3, lr=0.05, batch_size=8, seed=1, progress=False)
    assert_same_training(net, twin, history, _readable_fit(twin, X, Y, 3, 0.05, 8, seed=1))


def test_fit_runs_the_readable_loop_for_an_activation_or_cost_of_ones_own():
    """An Activation or a Loss subclass fit does not know: backward-then-step as written
    (a Loss may define its own δ^L), with the same result as for the built-in ones."""
    class Quadratic(bp.losses.MSE):
        pass
    X, Y = bp.datasets.moons(m=40, seed=2)
    for acts, loss in ((["tanh", LOGISTIC], "mse"), (["tanh", "sigmoid"], Quadratic())):
        net = bp.Network([2, 6, 1], activations=acts, loss=loss, seed=4)
        assert not _fused.supports(net)
        builtin = bp.Network.from_params(net.weights, net.biases, ["tanh", "sigmoid"])
        history = net.fit(X, Y, epochs=2, lr=0.5, batch_size=7, seed=0, progress=False)
        expected = builtin.fit(X, Y, epochs=2, lr=0.5, batch_size=7, seed=0, progress=False)
        assert_same_training(net, builtin, history, expected)


@pytest.mark.parametrize("overlap", [False, True])
def test_history_with_validation_is_that_of_the_readable_loop(overlap, monkeypatch):
    """loss, accuracy, val_loss and val_accuracy: each record is of the parameters after
    its epoch, as the readable loop measures them — also when fit makes it during the next
    epoch (its first product on the second thread, forced here whatever the set's size)."""
    if overlap:
        monkeypatch.setattr(network_module, "OVERLAP_ABOVE", 0)
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(5, 60)), bp.datasets.one_hot(rng.integers(0, 3, 60), 3)
    val = rng.normal(size=(5, 20)), bp.datasets.one_hot(rng.integers(0, 3, 20), 3)
    net = bp.Network([5, 8, 3], activations=["relu", "sigmoid"], loss="cross_entropy", seed=1)
    twin = bp.Network.from_params(net.weights, net.biases, net.activations, net.cost)
    history = net.fit(X, Y, epochs=4, lr=0.5, batch_size=6, seed=2, progress=False,
                      validation=val)
    expected = _readable_fit(twin, X, Y, 4, 0.5, 6, seed=2, validation=val)
    assert_same_training(net, twin, history, expected)
    assert history.accuracy == expected.accuracy and history.val_accuracy == expected.val_accuracy
    assert len(history.loss) == 5 and history.loss[-1] == net.loss(X, Y)


def test_a_fit_stopped_mid_epoch_leaves_the_network_at_its_last_step(monkeypatch):
    """fit trains [W|b] copies and writes them back after each epoch — and when stopped
    (KeyboardInterrupt: a student pressing stop): the network then holds the values of the
    last step taken, as with the readable loop, which updates in place."""
    X, Y = bp.datasets.moons(m=50, seed=0)
    net = bp.Network([2, 5, 3, 1], activations=["tanh", "relu", "sigmoid"], seed=0)
    twin = bp.Network.from_params(net.weights, net.biases, net.activations)
    held = net.weights + net.biases
    taken, step = [], _fused.FusedSGD.step

    def stopped_after_7(self, batch, lr):
        if len(taken) == 7:
            raise KeyboardInterrupt
        taken.append(batch.copy())
        step(self, batch, lr)
    monkeypatch.setattr(_fused.FusedSGD, "step", stopped_after_7)
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, Y, epochs=3, lr=0.5, batch_size=10, seed=0, progress=False)
    for batch in taken:                          # 5 batches of epoch 1, 2 of epoch 2
        twin.step(twin.backward(X[:, batch], Y[:, batch]), 0.5)
    assert all(p is q for p, q in zip(held, net.weights + net.biases))
    assert_same_training(net, twin)


def test_fit_refuses_read_only_parameters_before_training():
    X, Y = bp.datasets.moons(m=20, seed=0)
    net = bp.Network([2, 3, 1], seed=0)
    net.biases[1].flags.writeable = False
    before = [p.copy() for p in net.weights]
    with pytest.raises(ValueError, match=r"fit: b\^2 is read-only"):
        net.fit(X, Y, epochs=1, progress=False)
    assert all(np.array_equal(p, q) for p, q in zip(before, net.weights))


@pytest.fixture
def overlapped(monkeypatch):
    """fit with each record's first product on the second thread, whatever the set's size."""
    monkeypatch.setattr(network_module, "OVERLAP_ABOVE", 0)


def test_divergence_stops_fit_with_the_parameters_of_the_epoch_it_followed(monkeypatch):
    """A record made during the next epoch finds the loss not finite an epoch later than
    one made at once; fit then puts back the parameters of the epoch the loss was measured
    after: the same error, the same network, either way."""
    X, Y = bp.datasets.moons(m=40, seed=0)
    outcomes = []
    for threshold in (network_module.OVERLAP_ABOVE, 0):
        monkeypatch.setattr(network_module, "OVERLAP_ABOVE", threshold)
        net = bp.Network([2, 8, 8, 1], activations="identity", seed=0)
        with pytest.raises(FloatingPointError, match="the loss became (inf|nan) after") as err:
            net.fit(1e3 * X, Y, epochs=50, lr=1.0, batch_size=40, seed=0, progress=False)
        outcomes.append((str(err.value), net.weights + net.biases))
    (message, params), (message_overlapped, params_overlapped) = outcomes
    assert message == message_overlapped and "after 50 epochs" not in message
    for p, q in zip(params, params_overlapped):
        np.testing.assert_array_equal(p, q)


def test_fit_runs_blas_on_one_thread_and_leaves_no_thread_behind(overlapped, monkeypatch):
    """During fit BLAS runs on one thread (its products are small, and spinning BLAS
    threads slow everything else); afterwards, even when stopped, BLAS has its threads back
    and the record's thread is gone."""
    import threading
    from threadpoolctl import threadpool_info
    blas_threads = lambda: [lib["num_threads"] for lib in threadpool_info()  # noqa: E731
                            if lib["user_api"] == "blas"]
    X, Y = bp.datasets.moons(m=50, seed=0)
    before, threads = blas_threads(), threading.active_count()
    seen, step = [], _fused.FusedSGD.step

    def step_and_look(self, batch, lr):
        seen.append(blas_threads())
        if len(seen) == 12:
            raise KeyboardInterrupt
        step(self, batch, lr)
    monkeypatch.setattr(_fused.FusedSGD, "step", step_and_look)
    with pytest.raises(KeyboardInterrupt):
        bp.Network([2, 5, 1], seed=0).fit(X, Y, epochs=5, lr=0.5, batch_size=10, seed=0,
                                          progress=False)
    assert all(set(counts) == {1} for counts in seen)
    assert blas_threads() == before and threading.active_count() == threads


def test_fit_on_digits_sized_batches_equals_the_readable_loop():
    """A wider net, batches of 10 with a short last one, sigmoid and tanh layers."""
    rng = np.random.default_rng(0)
    X, Y = rng.uniform(size=(64, 95)), bp.datasets.one_hot(rng.integers(0, 10, 95), 10)
    net = bp.Network([64, 30, 20, 10], activations=["tanh", "relu", "sigmoid"], seed=1)
    twin = bp.Network.from_params(net.weights, net.biases, net.activations)
    net.fit(X, Y, epochs=3, lr=0.5, batch_size=10, seed=2, progress=False)
    _readable_fit(twin, X, Y, 3, 0.5, 10, seed=2)
    for fast, slow in zip(net.weights + net.biases, twin.weights + twin.biases):
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)


def test_fit_updates_the_parameter_arrays_in_place():
    """The fused BP4 step writes into W itself: references to net.weights[l] stay live,
    as they do with step."""
    X, Y = bp.datasets.moons(m=30, seed=0)
    net = bp.Network([2, 5, 1], seed=0)
    held = list(net.weights) + list(net.biases)
    before = [p.copy() for p in held]
    net.fit(X, Y, epochs=2, lr=0.5, batch_size=4, seed=0, progress=False)
    assert all(p is q for p, q in zip(held, net.weights + net.biases))
    assert all(not np.array_equal(p, q) for p, q in zip(held, before))


@pytest.mark.parametrize("layout", ["fortran", "transposed view", "strided view"])
@pytest.mark.parametrize("fused", [True, False])
def test_fit_with_weights_not_stored_row_by_row(layout, fused):
    """W assigned in another memory layout: the same result, written into that array —
    by the fused kernel, and by the readable loop (an activation of one's own), whose BP4
    step then takes _descend's two-step route."""
    X, Y = bp.datasets.moons(m=24, seed=1)
    net = bp.Network([2, 4, 1], activations="sigmoid" if fused else LOGISTIC, seed=0)
    assert _fused.supports(net) == fused
    W1 = net.weights[0]
    if layout == "fortran":
        net.weights[0] = np.asfortranarray(W1)
    elif layout == "transposed view":
        net.weights[0] = np.ascontiguousarray(W1.T).T
    else:
        net.weights[0] = np.repeat(W1, 2, axis=1)[:, ::2]
    assert not net.weights[0].flags.c_contiguous
    twin = bp.Network.from_params([W1, net.weights[1]], net.biases)
    held = net.weights[0]
    net.fit(X, Y, epochs=2, lr=0.5, batch_size=5, seed=3, progress=False)
    assert net.weights[0] is held
    _readable_fit(twin, X, Y, 2, 0.5, 5, seed=3)
    assert_same_training(net, twin)


def test_forward_and_backward_still_show_bp1_to_bp4():
    """The readable composition stays what backward runs: its dW and db are bp4 and bp3
    of its own deltas, and its deltas are bp1/bp2 of its forward pass."""
    rng = np.random.default_rng(4)
    net = bp.Network([3, 4, 2], activations=["tanh", "sigmoid"], seed=0)
    X, Y = rng.normal(size=(3, 5)), rng.uniform(size=(2, 5))
    fwd, g = net.forward(X), net.backward(X, Y)
    d2 = bp.bp1(bp.mse_grad(fwd.output, Y), fwd.z[1], "sigmoid")
    d1 = bp.bp2(net.weights[1], d2, fwd.z[0], "tanh")
    for got, want in zip(g.delta, [d1, d2]):
        np.testing.assert_array_equal(got, want)
    for l, (d, a) in enumerate(zip([d1, d2], fwd.a[:-1])):
        np.testing.assert_array_equal(g.dW[l], bp.bp4(d, a))
        np.testing.assert_array_equal(g.db[l], bp.bp3(d))
