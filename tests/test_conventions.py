"""One convention for when a loss is recorded, everywhere: a history of epochs + 1 costs,
loss[0] before training, loss[k] after k epochs (README, Network.fit, plot_history, the
training exercises of every stage)."""
import importlib
import io
import contextlib
import re
from pathlib import Path

import matplotlib
import numpy as np

import bpkit as bp

matplotlib.use("Agg")
REPO = Path(__file__).resolve().parents[1]


def test_the_readme_states_it():
    text = re.sub(r"\s+", " ", (REPO / "README.md").read_text(encoding="utf-8"))
    assert "A training history has epochs + 1 entries: `loss[0]` is the cost before training" in text


def test_fit_and_plot_history_follow_it():
    X, Y = bp.datasets.xor()
    net = bp.Network([2, 3, 1], seed=0)
    before = net.loss(X, Y)
    history = net.fit(X, Y, epochs=7, lr=1.0, progress=False)
    assert len(history.loss) == 8 and history.loss[0] == before and history.loss[-1] == net.loss(X, Y)
    ax = bp.plotting.plot_history(history)
    xs = ax.get_lines()[0].get_xdata()
    assert list(xs) == list(range(8))


def test_every_training_exercise_follows_it():
    """Each stage's training checks take the right answer from Network.fit's history, so a
    student's losses must have epochs + 1 entries; the model answers do."""
    found = 0
    for path in sorted((REPO / "bpkit" / "grading").glob("stage*.py")):
        stage = importlib.import_module(f"bpkit.grading.{path.stem}")
        for name, spec in stage.EXERCISES.items():
            if "losses" not in [o.name for o in spec.outputs]:
                continue
            found += 1
            with contextlib.redirect_stdout(io.StringIO()):
                ex = spec.examples(0)[0]
            epochs = ex.args[spec.arg_names.index("epochs")]
            assert len(ex.expected[-1]) == epochs + 1, name
    assert found >= 2
