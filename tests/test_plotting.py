"""bpkit.plotting: every helper returns the Axes it drew on, with labelled axes."""
import matplotlib

matplotlib.use("Agg")  # headless; must precede the pyplot import

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from bpkit import datasets as ds  # noqa: E402
from bpkit.activations import get_activation  # noqa: E402
from bpkit.plotting import plot_activation, plot_decision_boundary, plot_history  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _assert_labelled(ax):
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() and ax.get_ylabel()


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --------------------------------------------------------------------------- activation
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_plot_activation_draws_function_and_derivative(name):
    ax = plot_activation(name)
    _assert_labelled(ax)
    assert ax.get_xlabel() == "z"
    assert len(ax.lines) == 2
    act = get_activation(name)
    z = ax.lines[0].get_xdata()
    assert z[0] == -6 and z[-1] == 6 and z.size == 241
    np.testing.assert_allclose(ax.lines[0].get_ydata(), act.f(z))
    np.testing.assert_allclose(ax.lines[1].get_ydata(), act.prime(z))


def test_plot_activation_sigmoid_legend_and_given_axes():
    fig, axes = plt.subplots(1, 2)
    ax = plot_activation("sigmoid", z=np.linspace(-2, 2, 5), ax=axes[1])
    assert ax is axes[1] and not axes[0].lines
    assert _legend(ax) == ["σ(z)", "σ′(z)"]
    assert ax.lines[0].get_xdata().size == 5


def test_plot_activation_rejects_bad_input():
    with pytest.raises(ValueError, match="sigmoidd"):
        plot_activation("sigmoidd")
    with pytest.raises(ValueError, match=r"plot_activation: z must be a 1-D .* \(2, 2\)"):
        plot_activation("tanh", z=np.zeros((2, 2)))


# --------------------------------------------------------------------------- history
def _history(epochs=30, accuracy=True, val=False, loss=None):
    loss = np.linspace(1.0, 0.2, epochs) if loss is None else loss
    acc = list(np.linspace(0.5, 0.95, epochs)) if accuracy else None
    return SimpleNamespace(loss=list(loss), accuracy=acc,
                           val_loss=list(loss * 1.1) if val else [],
                           val_accuracy=list(np.array(acc) - 0.05) if val and accuracy else [])


def test_plot_history_loss_only():
    ax = plot_history(_history(accuracy=False))
    _assert_labelled(ax)
    assert ax.get_xlabel() == "epochs completed" and ax.get_ylabel() == "loss"
    assert len(ax.figure.axes) == 1 and len(ax.lines) == 1
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(30))  # loss[0]: before training
    assert ax.get_yscale() == "linear"


def test_plot_history_with_accuracy_uses_a_twin_axis():
    ax = plot_history(_history(accuracy=True, val=True))
    _assert_labelled(ax)
    twin = ax.figure.axes[-1]
    assert twin is not ax and twin.get_ylabel() == "accuracy"
    assert len(ax.lines) == 2 and len(twin.lines) == 2  # train and validation, each
    assert _legend(twin) == ["loss", "val loss", "accuracy", "val accuracy"]


def test_plot_history_empty_accuracy_list_means_no_accuracy():
    h = _history(accuracy=False)
    h.accuracy = []
    ax = plot_history(h)
    assert len(ax.figure.axes) == 1


def test_plot_history_log_scale_when_loss_spans_decades():
    ax = plot_history(_history(loss=np.logspace(0, -5, 40), accuracy=False))
    assert ax.get_yscale() == "log"


def test_plot_history_accepts_a_dict_and_given_axes():
    fig, ax0 = plt.subplots()
    ax = plot_history({"loss": [3.0, 2.0, 1.5]}, ax=ax0)
    assert ax is ax0 and len(ax.lines) == 1


def test_plot_history_needs_a_loss():
    with pytest.raises(ValueError, match="plot_history: history.loss is empty"):
        plot_history(SimpleNamespace(loss=[], accuracy=None))


def test_plot_history_of_a_real_fit():
    import bpkit as bp

    X, Y = ds.xor()
    net = bp.Network([2, 3, 1], activations="sigmoid", loss="mse", seed=0)
    history = net.fit(X, Y, epochs=5, lr=1.0, seed=0, progress=False)
    ax = plot_history(history)
    _assert_labelled(ax)
    assert len(ax.lines) == 1
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(5 + 1))   # epochs 0 … 5
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), history.loss)


def test_plot_history_of_a_plain_list_of_losses():
    ax = plot_history([0.5, 0.4, 0.35])
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0, 1, 2])
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [0.5, 0.4, 0.35])


def test_plot_history_explains_what_it_cannot_plot():
    with pytest.raises(TypeError, match=r"plot_history: history must be what Network.fit returns.*got int"):
        plot_history(3)
    with pytest.raises(TypeError, match=r"plot_history: history.loss must be a list of numbers, got list"):
        plot_history({"loss": ["a", "b"]})


# --------------------------------------------------------------------------- boundary
def _left_right(G):
    """A 'model' with one sigmoid-like output: class 1 right of x₁ = 0."""
    return (G[0:1] > 0).astype(float)


def test_decision_boundary_with_a_callable():
    X, Y = ds.moons(m=40)
    calls = []

    def model(G):
        calls.append(G.shape)
        return _left_right(G)

    ax = plot_decision_boundary(model, X, Y, resolution=30, padding=0.25)
    _assert_labelled(ax)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x₁", "x₂")
    assert calls == [(2, 30 * 30)]  # the whole grid in one batch of columns
    assert len(ax.collections) == 1 + 2  # the coloured regions + one scatter per class
    assert ax.get_xlim() == pytest.approx((X[0].min() - 0.25, X[0].max() + 0.25))
    assert _legend(ax) == ["class 0", "class 1"]


def test_decision_boundary_with_a_predict_object_and_many_classes():
    X, Y = ds.spiral(m_per_class=10, classes=3)

    class Model:
        def predict(self, G):
            return np.vstack([G[0], G[1], -G[0]])  # (3, k) scores: argmax picks the class

    fig, ax0 = plt.subplots()
    ax = plot_decision_boundary(Model(), X, Y, ax=ax0, resolution=20)
    assert ax is ax0
    _assert_labelled(ax)
    assert len(ax.collections) == 1 + 3


def test_decision_boundary_with_a_real_network_and_integer_labels():
    import bpkit as bp

    X, Y = ds.xor()
    net = bp.Network([2, 3, 1], activations="sigmoid", loss="mse", seed=0)
    ax = plot_decision_boundary(net, X, Y, resolution=10)
    assert len(ax.collections) == 1 + 2
    # A model that already returns integer labels, shape (k,), works too.
    ax = plot_decision_boundary(lambda G: (G[0] > 0.5).astype(int), X, Y, resolution=10)
    assert len(ax.collections) == 1 + 2


@pytest.mark.parametrize("model, X, Y, kwargs, error, match", [
    (_left_right, np.zeros((3, 4)), np.zeros((1, 4)), {}, ValueError, r"X must have shape \(2, m\).*\(3, 4\)"),
    (_left_right, np.zeros((2, 4)), np.zeros(4), {}, ValueError, r"Y must have shape \(n_outputs, 4\).*\(4,\)"),
    (_left_right, np.zeros((2, 4)), np.zeros((1, 5)), {}, ValueError, r"Y must have shape"),
    (lambda G: G[0], np.zeros((2, 4)), np.zeros((1, 4)), {}, ValueError, r"the model, given the plot's grid of 100 points \(2, 100\), returned shape \(100,\)"),
    (lambda G: None, np.zeros((2, 4)), np.zeros((1, 4)), {}, TypeError, r".*returned None: did it forget to `return`"),
    (_left_right, np.zeros((2, 4)), np.zeros((1, 4)), {"ax": "ax"}, TypeError, r"ax must be a matplotlib Axes .* got str 'ax'"),
    (_left_right, np.zeros((2, 4)), np.zeros((1, 4)), {"resolution": 10**5}, ValueError, r"resolution must be an integer <= 2000, got 100000"),
    (42, np.zeros((2, 4)), np.zeros((1, 4)), {}, TypeError, r"model must be callable .* int"),
    (_left_right, np.zeros((2, 4)), np.zeros((1, 4)), {"resolution": 1}, ValueError, r"resolution must be an integer >= 2, got 1"),
    (_left_right, np.zeros((2, 4)), np.zeros((1, 4)), {"resolution": 2.5}, TypeError, r"resolution must be an integer, got 2\.5"),
    (_left_right, np.zeros((2, 4)), np.zeros((1, 4)), {"padding": -1.0}, ValueError, r"padding must be >= 0\.0, got -1\.0"),
])
def test_decision_boundary_rejects_bad_input(model, X, Y, kwargs, error, match):
    kwargs.setdefault("resolution", 10)
    with pytest.raises(error, match="plot_decision_boundary: " + match):
        plot_decision_boundary(model, X, Y, **kwargs)


def test_decision_boundary_names_the_inputs_of_a_network_that_does_not_take_2():
    import bpkit as bp

    net = bp.Network([3, 4, 1], seed=0)
    with pytest.raises(ValueError, match=r"plot_decision_boundary: the model takes 3 inputs \(sizes \[3, 4, 1\]\).*must take 2 inputs"):
        plot_decision_boundary(net, np.zeros((2, 4)), np.zeros((1, 4)), resolution=10)


def test_other_plots_name_a_bad_ax_too():
    with pytest.raises(TypeError, match=r"plot_history: ax must be a matplotlib Axes"):
        plot_history([1.0, 0.5], ax=plt)
    with pytest.raises(TypeError, match=r"plot_activation: ax must be a matplotlib Axes"):
        plot_activation("relu", ax=[1])


def test_decision_boundary_single_point_without_padding():
    ax = plot_decision_boundary(_left_right, np.zeros((2, 1)), np.ones((1, 1)), padding=0.0,
                                resolution=5)
    assert ax.get_xlim() == (-0.5, 0.5)  # widened, rather than a zero-width (singular) axis
