"""Lesson 1 (a single sigmoid neuron): what it must and must not contain.

tests/test_notebooks.py runs every lesson and checks how it is saved; this file checks what
is particular to lesson 1:

* its conventions table agrees with the README's notation block (the neuron is the L = 1 case);
* a training history follows the course's convention (epochs + 1 entries, loss[0] is the cost
  of the starting parameters), in the lesson's code and in its saved outputs;
* it never contains an exercise's answer: the lesson keeps the one-sample / loop / scalar forms
  and leaves the vectorised ones, the stable sigmoid, the central-difference function and
  written question 1 to the exercises;
* seed 004 is explained, its notation mapped, and its slips are named only in the spoiler
  section at the end, after the lesson has sent the learner to the exercises that find them;
* every numbered section asks the learner to predict and to try something.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import bpkit as bp

from lesson_tools import (cell as _cell, code as _code, conventions_rows as _conventions_rows,
                          graded_functions, index as _index, norm as _norm,
                          output_text as _output_text, sections as _sections)

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "lessons" / "01-single-neuron.ipynb"

# The stage's exercises (grade ids): the lesson must not define them.
EXERCISES = graded_functions(1)


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(LESSON, as_version=4)


def _markdown(nb):
    return [c for c in nb.cells if c.cell_type == "markdown"]


# --------------------------------------------------------------------------- conventions
def _readme_shapes() -> dict:
    """Shapes of X, Y, W^l, b^l as the README's notation block states them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("## Notation"):]
    block = block[:block.index("\n## ", 3)]
    found = {}
    for symbol, pattern in [("X", r"\bX is (\([^)]*\))"), ("Y", r"\bY is (\([^)]*\))"),
                            ("W", r"W\^l is (\(n_l, n_\(l−1\)\))"), ("b", r"b\^l is (\([^)]*\))")]:
        match = re.search(pattern, block)
        assert match, f"README's notation block no longer states the shape of {symbol}"
        found[symbol] = _norm(match.group(1))
    return found


# One neuron with n inputs is the network with L = 1, n_0 = n and n_1 = n_L = 1.
L1 = {"n_0": "n", "n_L": "1", "n_l": "1", "n_(l-1)": "n"}


def _as_stage1(shape: str) -> str:
    return re.sub(r"n_\(l-1\)|n_0|n_L|n_l", lambda m: L1[m.group(0)], shape)


def test_conventions_table_matches_the_readme(nb):
    readme = _readme_shapes()
    rows = {r[0]: r for r in _conventions_rows(nb)}
    for symbol, key in [("$X$", "X"), ("$Y$", "Y"), ("$w = W^1$", "W"), ("$b = b^1$", "b")]:
        assert symbol in rows, f"the conventions table has no row {symbol}"
        assert _norm(rows[symbol][3]) == readme[key], (
            f"{symbol}: course-wide shape {rows[symbol][3]} but the README says {readme[key]}")


def test_stage_shapes_are_the_L1_case_of_the_course_shapes(nb):
    checked = 0
    for symbol, _, here, general in _conventions_rows(nb):
        if "n_" not in general:
            continue
        parts_here = [_norm(p) for p in here.split("$,")]
        parts_general = [_norm(p) for p in general.split("$,")]
        assert [_as_stage1(p) for p in parts_general] == parts_here, (
            f"{symbol}: {here} is not {general} with L = 1, n_0 = n, n_1 = 1")
        checked += 1
    assert checked >= 8, "the conventions table lost its shapes"


def test_conventions_state_when_a_loss_is_recorded(nb):
    losses = next(r for r in _conventions_rows(nb) if r[0] == "losses")
    assert "`epochs + 1`" in losses[1] and "`losses[0]`" in losses[1]
    assert "starting parameters" in losses[1]


def test_notation_mappings_are_stated(nb):
    text = "\n".join(c.source for c in _markdown(nb))
    assert "$L = 1$" in text and "$w = W^1$" in text and "z = z^1 = z^L" in text
    assert "**$E = C$**" in text, "state once that the stage's E is the course's C"
    assert "$y$ always means one target" in text


# --------------------------------------------------------------------------- the loss convention, run
def _run(nb, cell_ids):
    """Execute some of the lesson's code cells (IPython magics dropped) in one namespace.
    Returns the namespace and what each cell printed."""
    import contextlib
    import io

    import matplotlib

    matplotlib.use("Agg")
    ns, printed = {}, {}
    for cell_id in cell_ids:
        source = "\n".join(l for l in _cell(nb, cell_id).source.splitlines()
                           if not l.lstrip().startswith("%"))
        with contextlib.redirect_stdout(io.StringIO()) as out:
            exec(compile(source, f"lesson 1 cell {cell_id}", "exec"), ns)
        printed[cell_id] = out.getvalue()
    return ns, printed


def test_training_history_starts_at_the_true_initial_cost(nb):
    import matplotlib.pyplot as plt

    ns, printed = _run(nb, ["setup", "loop-gradients", "train-data", "train"])
    plt.close("all")
    history, X, Y = ns["history"], ns["X"], ns["Y"]
    epochs = int(re.search(r"epochs=(\d+)", _cell(nb, "train").source).group(1))
    initial = bp.Network.from_params([ns["w0"]], [ns["b0"]]).loss(X, Y)
    assert len(history.loss) == epochs + 1
    assert history.loss[0] == pytest.approx(initial, rel=1e-12)
    # The cell prints that same starting cost twice, when run and in its saved output.
    for text in (printed["train"], _output_text(_cell(nb, "train"))):
        assert f"{epochs + 1} costs for {epochs} epochs" in text, text
        assert f"cost {initial:.4f} ->" in text and f"at w0, b0: {initial:.4f}" in text, (
            f"the printed starting cost must be the true initial cost {initial:.4f}:\n{text}")


def test_gradient_steps_record_the_error_before_the_first_step(nb):
    import matplotlib.pyplot as plt

    ns, _ = _run(nb, ["setup", "gd-step", "gd-steps"])
    plt.close("all")
    errors = ns["descend"](1.0, steps=7)
    assert len(errors) == 8
    assert errors[0] == pytest.approx(0.125), "errors[0] is the hand example's E before any step"
    assert errors[1] == pytest.approx(bp.widgets.neuron_quantities(0.75, -0.875, 2.0, 1.0)["E"])


def test_the_loop_matches_the_network(nb):
    ns, _ = _run(nb, ["setup", "loop-gradients"])
    rng = np.random.default_rng(3)
    w, b = rng.normal(size=(1, 3)), rng.normal(size=(1, 1))
    X, Y = rng.normal(size=(3, 5)), rng.uniform(size=(1, 5))
    C, dw, db, deltas = ns["cost_and_gradients_loop"](w, b, X, Y)
    net = bp.Network.from_params([w], [b])
    g = net.backward(X, Y)
    assert C == pytest.approx(net.loss(X, Y), rel=1e-12)
    assert np.allclose(dw, g.dW[0], rtol=1e-12) and np.allclose(db, g.db[0], rtol=1e-12)
    assert np.allclose([deltas], g.delta[0], rtol=1e-12)


# --------------------------------------------------------------------------- no exercise answers
def test_samples_are_sliced_as_columns(nb):
    code = "\n".join(c.source for c in _code(nb))
    assert "X[:, i:i+1]" in code, "the per-sample loop takes sample i as the column X[:, i:i+1]"
    one_d = re.findall(r"\b[XY]\[\s*:\s*,\s*\w+\s*\]", code)
    assert not one_d, f"X[:, i] gives a 1-D (n,) array; use X[:, i:i+1]: {one_d}"


@pytest.mark.parametrize("pattern, why", [
    (r"@\s*X(?!\w)", "a batch forward pass w @ X is exercise neuron_forward"),
    (r"@\s*X\.T|delta\s*@|δ\s*@", "the vectorised ∂C/∂w = δXᵀ is exercise neuron_gradients"),
    (r"np\.sum\(\s*delta|keepdims", "the vectorised ∂C/∂b is exercise neuron_gradients"),
    (r"np\.exp\(\s*-\s*np\.abs|np\.where\(\s*z|expit", "the stable sigmoid is exercise sigmoid"),
    (r"def\s+(" + "|".join(EXERCISES) + r")\b", "the lesson must not define an exercise's function"),
])
def test_code_holds_no_exercise_answer(nb, pattern, why):
    hits = [(c.id, m.group(0)) for c in _code(nb) for m in re.finditer(pattern, c.source)]
    assert not hits, f"{why}: {hits}"


@pytest.mark.parametrize("pattern, why", [
    (r"\\delta\s*\\?,?\s*X\^|δ\s*Xᵀ|X\^\{?\\mathsf\s*T", "the matrix form δXᵀ is exercise neuron_gradients"),
    (r"\\frac\{\\partial E\}\{\\partial x\}|\\partial E\s*/\s*\\partial x\s*=|∂E/∂x\s*=\s*[^?\s]",
     "∂E/∂x is written question 1"),
    (r"w\^\{?\\mathsf\s*T\}?\s*\\delta|wᵀ\s*δ", "∂E/∂x = wᵀδ is written question 1"),
    (r"fourfold|each sigmoid (layer )?shrinks", "the Wᵀ factor can grow the error; σ′ ≤ ¼ bounds one factor"),
])
def test_text_holds_no_exercise_answer_or_wrong_claim(nb, pattern, why):
    hits = [(c.id, m.group(0)) for c in nb.cells for m in re.finditer(pattern, c.source)]
    assert not hits, f"{why}: {hits}"


def test_overflow_is_shown_but_not_fixed(nb):
    cell = _cell(nb, "overflow")
    assert "np.exp(-z_big)" in cell.source
    out = _output_text(cell)
    assert "overflow encountered in exp" in out and "nan" in out


def test_no_warnings_in_the_saved_run(nb):
    stderr = [c.id for c in _code(nb) for o in c.get("outputs", [])
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not stderr, f"cells that wrote to stderr (warnings?): {stderr}"


# --------------------------------------------------------------------------- seed 004
def test_seeds_are_explained(nb):
    text = _cell(nb, "seeds").source
    for phrase in ["five source texts", "seed 000", "seed 004", "Chinese", "2-2-1", "ReLU"]:
        assert phrase in text, f"the seeds cell must say {phrase!r}"


def test_seed004_notation_is_mapped(nb):
    table = _cell(nb, "seed004-md").source
    for seed_name in [r"$h_1, h_2$", r"$\alpha_1, \alpha_2$", r"$\text{out}$", "$w_{ij}$",
                      "$b_{ij}$", r"$\eta$", r"$E = \tfrac12(\text{out} - y)^2$"]:
        assert f"| {seed_name}" in table, f"seed 004's {seed_name} is not in the mapping table"


def test_seed004_formulas_are_shown_as_written(nb):
    """Section 8 shows the seed's chain with ∂α2/∂h2 twice, without saying so."""
    text = _cell(nb, "seed004-hidden-md").source
    first = text.split("$$")[1]
    factor = re.compile(r"\\frac\{\\partial \\alpha_\{?2\}?\}\{\\partial h_\{?2\}?\}")
    assert len(factor.findall(first)) == 2, "the seed's △w12 chain, as written, has the factor twice"


SPOILERS = re.compile(r"twice|doubl|typo|never fires|bias per sample|not summed|compensat",
                      re.IGNORECASE)


def test_slips_are_named_only_after_the_exercises(nb):
    reveal = _index(nb, "reveal")
    heading = _cell(nb, "reveal").source
    assert heading.startswith("## 10. Spoilers") and "Stop here" in heading
    for exercise in ["seed004_hidden_gradients", "seed004_fixed_gradients"]:
        pointers = [i for i, c in enumerate(nb.cells)
                    if exercise in c.source and "before you read" in c.source and i < reveal]
        assert pointers, f"before the spoilers, the lesson must send the learner to {exercise}"
    early = [(c.id, m.group(0)) for c in nb.cells[:reveal] for m in SPOILERS.finditer(c.source)]
    assert not early, f"a slip of seed 004 is named before the spoiler section: {early}"
    late = "\n".join(c.source for c in nb.cells[reveal:])
    for phrase in ["twice", "never fires", "not summed", "transposed", "compensates"]:
        assert phrase in late, f"the spoiler section must explain: {phrase!r}"
    numbered = [i for i, c in enumerate(nb.cells)
                if c.cell_type == "markdown" and re.match(r"## \d+\.", c.source)]
    assert numbered[-1] == reveal, "the spoilers are the last numbered section"


def test_seed004_code_is_transcribed_in_its_names(nb):
    code = _cell(nb, "seed004-code").source
    for line in ["b1 = np.zeros((H, N))", "w1 = np.random.randn(D_in, H)",
                 "h = np.matmul(w1.T, x)+b1", "loss = np.square(y_pred-y).sum()",
                 "learning_rate = 1e-6", "grad_a[a<0] = 0", "grad_b1 = grad_a"]:
        assert line in code, f"seed 004's line {line!r} is missing from the transcription"


# --------------------------------------------------------------------------- the learner does things


def test_every_section_has_a_prediction_and_a_try(nb):
    sections = _sections(nb)
    assert len(sections) >= 9
    for title, text in sections.items():
        if "Spoilers" in title:
            continue
        assert "Think, then run" in text, f"{title}: no predict-then-run cell"
        assert "Try it" in text or "Things to try" in text, f"{title}: no try-it cell"


def test_pictures_come_before_formulas(nb):
    assert _index(nb, "neuron-picture") < _index(nb, "neuron-formula")
    assert _index(nb, "graph") < _index(nb, "chain-md")
    assert _index(nb, "fork-picture") < _index(nb, "fork-formulas")
    assert "draw_neuron" in _cell(nb, "neuron-picture").source
    assert "draw_computation_graph" in _cell(nb, "graph").source
    assert "draw_bias_fork" in _cell(nb, "fork-picture").source


def test_the_widget_has_a_static_fallback(nb):
    explorer = _index(nb, "explorer")
    assert "neuron_explorer()" in nb.cells[explorer].source
    fallback = _cell(nb, "explorer-static")
    assert _index(nb, "explorer-static") > explorer and "plot_explorer" in fallback.source
    images = [o for o in fallback.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 2, "the fallback cell's two figures are saved for offline readers"
