"""Stage 3's checks (bpkit.grading.stage3) beyond what test_stage_checks.py tests for every stage:
the references agree with bpkit, the cost from z is exact where bpkit's clips, the examples hold
what they promise (saturated outputs, a held-out accuracy that right answers reach and a straight
boundary does not), and the engine's Example.judge, on which the training check stands.
"""
from __future__ import annotations

import numpy as np
import pytest

import bpkit as bp
from bpkit.grading import check, engine, ownwork, stage3

import students_stage3 as students

SEEDS = (0, 1, 2, 101, 12345)


def namespace(**answers: str) -> dict:
    ns: dict = {}
    exec(students.SETUP, ns)
    for gid in students.GRADE_IDS:
        exec(compile(answers.get(gid, students.CORRECT[gid]), f"<answer {gid}>", "exec"), ns)
    return ns


# --- the references are bpkit's answers -----------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_references_agree_with_network(seed):
    for c in stage3._backward_cases(seed):
        params = stage3._params(c)
        fwd, g = c.net.forward(c.X), c.net.backward(c.X, c.Y)
        for got, want in zip(stage3._ref_forward(*params, c.X), (fwd.z[0], fwd.a[1], fwd.z[1], fwd.a[2])):
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)
        for got, want in zip(stage3._ref_backward(*params, c.X, c.Y), (g.dW[0], g.db[0], g.dW[1], g.db[1])):
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300)
        if c.Y.shape[0] == 1:
            np.testing.assert_array_equal(stage3._ref_predict(*params, c.X),
                                          bp.datasets.to_labels(fwd.output)[None, :])


@pytest.mark.parametrize("seed", SEEDS)
def test_cost_from_z_is_bpkits_cross_entropy_where_that_does_not_clip(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 4.0, (2, 7))
    Y = rng.integers(0, 2, z.shape).astype(float)
    assert stage3.cost_from_z(z, Y) == pytest.approx(bp.cross_entropy(bp.sigmoid(z), Y), rel=1e-12)


def test_cost_from_z_is_exact_where_a_clipped_cost_is_not():
    z, Y = np.array([[1000.0, -1000.0, 50.0, 1000.0]]), np.array([[0.0, 1.0, 0.0, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # no overflow on the way
        assert stage3.cost_from_z(z, Y) == pytest.approx((1000 + 1000 + 50) / 4, rel=1e-15)
    assert bp.cross_entropy(bp.sigmoid(z), Y) < 30      # clipped: ≈ 3 · 27.6 / 4


@pytest.mark.parametrize("seed", SEEDS)
def test_the_saturated_example_saturates(seed):
    c = stage3._backward_cases(seed)[-1]
    z2 = c.net.forward(c.X).z[1]
    high = z2 > 37
    assert (high & (c.Y == 0)).any() and (high & (c.Y == 1)).any()
    assert np.all(bp.sigmoid(z2[high]) == 1.0) and (np.abs(z2) < 20).sum() >= 2
    g = c.net.backward(c.X, c.Y)
    assert all(np.isfinite(d).all() for d in (*g.dW, *g.db))
    # the unsimplified δ² really differs there: the check can tell it from the right answer
    unsimplified = stage3.UNSIMPLIFIED[0].solve(c)
    assert not np.allclose(unsimplified.dW[1], g.dW[1])


# --- the training exercise: a goal that right answers reach and wrong ones don't ----------------

@pytest.mark.parametrize("seed", SEEDS)
def test_gradient_descent_reaches_the_required_accuracy_from_any_sensible_start(seed):
    X, Y, (Xt, Yt), hidden, s = stage3._train_data(seed)
    for start_seed in (s, s + 1):
        net = bp.Network([2, hidden, 1], loss="cross_entropy", seed=start_seed)
        net.fit(X, Y, epochs=stage3.TRAIN_EPOCHS, lr=stage3.TRAIN_LR, progress=False)
        assert net.accuracy(Xt, Yt) >= stage3.TRAIN_ACCURACY + 0.03


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_a_network_with_equal_hidden_units_falls_short(seed):
    X, Y, (Xt, Yt), hidden, _ = stage3._train_data(seed)
    net = bp.Network.from_params([np.zeros((hidden, 2)), np.zeros((1, hidden))],
                                 [np.zeros((hidden, 1)), np.zeros((1, 1))], loss="cross_entropy")
    net.fit(X, Y, epochs=stage3.TRAIN_EPOCHS, lr=stage3.TRAIN_LR, progress=False)
    assert net.accuracy(Xt, Yt) <= stage3.TRAIN_ACCURACY - 0.03


def test_held_out_points_are_new():
    X, Y, (Xt, Yt), _, _ = stage3._train_data(1)
    seen = {tuple(np.round(x, 12)) for x in X.T}
    assert not any(tuple(np.round(x, 12)) in seen for x in Xt.T)


def test_the_training_check_ignores_how_the_start_is_drawn():
    """Two right answers with different random starts both pass (no reference trajectory)."""
    for alternative in students.ALTERNATIVES["train"]:
        stage3.check_train(namespace(train=alternative)["train"], seed=3)


def test_a_learning_rule_that_is_not_gradient_descent_fails_even_if_it_learns():
    momentum = students.CORRECT["train"].replace(
        "        W1, b1, W2, b2 = update(W1, b1, W2, b2, *grads, lr)\n",
        "        velocity = [0.5 * v + g for v, g in zip(velocity, grads)] if _ else list(grads)\n"
        "        W1, b1, W2, b2 = update(W1, b1, W2, b2, *velocity, lr)\n").replace(
        "    for _ in range(epochs):", "    velocity = None\n    for _ in range(epochs):")
    ns = namespace(train=momentum)
    with pytest.raises(AssertionError, match=r"(?s)train: .*compared with 3 epochs of full-batch gradient descent"):
        stage3.check_train(ns["train"], seed=1)


# --- earlier mistakes don't cost twice -----------------------------------------------------------

BROKEN_EARLIER = {
    "cross_entropy_from_z": "def cross_entropy_from_z(z, Y):\n    return 0.0",
    "cross_entropy_grad": "def cross_entropy_grad(a, Y):\n    return a",
    "forward": "def forward(W1, b1, W2, b2, X):\n    return None",
    "backward": "def backward(W1, b1, W2, b2, X, Y):\n    return 0, 0, 0, 0",
    "update": "def update(W1, b1, W2, b2, dW1, db1, dW2, db2, lr):\n    return W1, b1, W2, b2",
    "predict": "def predict(W1, b1, W2, b2, X):\n    return X",
}


def test_later_checks_swap_in_the_references_of_earlier_exercises():
    for gid in ("backward", "predict", "train", "seed003_gradients"):
        ns = namespace(**{k: v for k, v in BROKEN_EARLIER.items() if k != gid})
        getattr(stage3, f"check_{gid}")(ns[gid], seed=0)       # builds on broken ones, passes
        assert ns["cross_entropy_from_z"](np.zeros((1, 1)), np.zeros((1, 1))) == 0.0   # restored


# --- the engine's Example.judge -----------------------------------------------------------------

def _judged(judge, forbidden=()):
    spec = engine.Exercise(
        name="double", arg_names=("x",), outputs=(engine.Output("y"),),
        examples=lambda seed: [engine.Example(args=(np.ones((1, 2)),), expected=(), judge=judge)],
        forbidden=ownwork.Forbidden(forbidden))
    return lambda fn: engine.check(spec, fn, seed=0)


def test_judge_compares_with_expected_values_it_computes_from_another_call():
    def judge(result, call, compare):
        start = call(np.full((1, 2), 3.0))               # the function again, other arguments
        compare(result, engine.Example(args=(np.ones((1, 2)),), expected=(start / 3,),
                                       variants={"y": {"you added instead": start / 3 + 1}}))
    run = _judged(judge)
    run(lambda x: 2 * x)
    with pytest.raises(AssertionError, match=r"double: y matches a classic mistake — it looks like you added instead"):
        run(lambda x: x + 2 if x[0, 0] == 1 else 2 * x)


def test_judge_calls_run_under_the_checks_rules():
    def judge(result, call, compare):
        call(np.full((1, 2), 3.0))
    run = _judged(judge, forbidden=(bp.sigmoid,))

    def mutates_on_second_call(x):
        if x[0, 0] == 3.0:
            x *= 2
        return x * 2
    with pytest.raises(AssertionError, match=r"double changed its argument x in place"):
        run(mutates_on_second_call)
    with pytest.raises(AssertionError, match=r"calls bpkit's own bp\.sigmoid"):
        run(lambda x: bp.sigmoid(x) if x[0, 0] == 3.0 else x)
    with pytest.raises(AssertionError, match=r"double\(x \(1, 2\)\) raised ZeroDivisionError"):
        run(lambda x: 1 / 0 if x[0, 0] == 3.0 else x)


def test_judge_sees_what_the_first_call_returned_and_mutations_still_count():
    seen = []
    run = _judged(lambda result, call, compare: seen.append(result))

    def mutates(x):
        x += 1
        return x
    with pytest.raises(AssertionError, match=r"in place"):
        run(mutates)
    assert len(seen) == 1 and check.close(seen[0], 2 * np.ones((1, 2)))
