"""Lesson 3 (a two-layer network with cross-entropy): what it must and must not contain.

tests/test_notebooks.py runs every lesson and checks how it is saved; this file checks what
is particular to lesson 3:

* its conventions table agrees with the README's notation block, and its shapes are the
  L = 2, one-output case of the course-wide ones;
* a training history follows the course's convention (epochs + 1 entries, loss[0] is the cost
  of the starting parameters), in the lesson's code and in its saved outputs;
* it never contains an exercise's answer: no algebra from ∂L/∂a·σ′ to a − y (the hand-graded
  question), no vectorised forward, backward or prediction, no stable cost from z — only the
  scalar, one-sample forms and bp.Network;
* seed 003 is explained, its notation mapped and its equations shown as written; its slips are
  found by the lesson's own check and named only in the spoiler section at the end;
* every numbered section asks the learner to predict and to try something, pictures come
  before formulas, and each widget has a static fallback figure.
"""
from __future__ import annotations

import contextlib
import io
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
LESSON = ROOT / "lessons" / "03-two-layer-cross-entropy.ipynb"

# The stage's exercises: the lesson must not define them.
EXERCISES = graded_functions(3)


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(LESSON, as_version=4)


def _images(cell) -> int:
    return sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


# --------------------------------------------------------------------------- conventions
def _readme_shapes() -> dict:
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


def test_conventions_table_matches_the_readme(nb):
    readme = _readme_shapes()
    rows = {r[0]: r for r in _conventions_rows(nb)}
    for symbol, key in [("$X = a^0$", "X"), ("$Y$", "Y"), ("$W^1$", "W"), ("$b^1$", "b"),
                        ("$W^2$", "W"), ("$b^2$", "b")]:
        assert symbol in rows, f"the conventions table has no row {symbol}"
        assert _norm(rows[symbol][3]) == readme[key], (
            f"{symbol}: course-wide shape {rows[symbol][3]} but the README says {readme[key]}")


def _as_stage3(shape: str, layer: int) -> str:
    """A course-wide shape for layer l = ``layer`` of the 2-layer, one-output network."""
    shape = shape.replace("n_(l-1)", f"n_{layer - 1}").replace("n_l", f"n_{layer}")
    return shape.replace("n_L", "1").replace("n_2", "1")


def test_stage_shapes_are_the_L2_case_of_the_course_shapes(nb):
    checked = 0
    for symbol, _, here, general in _conventions_rows(nb):
        if "n_" not in general:
            continue
        layers = set(re.findall(r"\^(\d)", symbol))
        assert len(layers) <= 1, f"{symbol}: one layer per row"
        layer = int(layers.pop()) if layers else 0
        parts_here = [_norm(p) for p in here.split("$,")]
        parts_general = [_norm(p) for p in general.split("$,")]
        assert [_as_stage3(p, layer) for p in parts_general] == parts_here, (
            f"{symbol}: {here} is not {general} for layer {layer} of a network with n_2 = 1")
        checked += 1
    assert checked >= 12, "the conventions table lost its shapes"


def test_conventions_state_when_a_loss_is_recorded(nb):
    losses = next(r for r in _conventions_rows(nb) if r[0] == "losses")
    assert "`epochs + 1`" in losses[1] and "`losses[0]`" in losses[1]
    assert "starting parameters" in losses[1]
    rows = {r[0]: r for r in _conventions_rows(nb)}
    assert "carries the $\\tfrac1m$" in rows["$\\delta^2 = \\partial C/\\partial z^2$"][1]


# --------------------------------------------------------------------------- running cells
def _run(nb, cell_ids, ns=None):
    """Execute some of the lesson's code cells (IPython magics dropped) in one namespace.
    Returns the namespace and what each cell printed."""
    import matplotlib

    matplotlib.use("Agg")
    ns = {} if ns is None else ns
    printed = {}
    for cell_id in cell_ids:
        source = "\n".join(l for l in _cell(nb, cell_id).source.splitlines()
                           if not l.lstrip().startswith("%"))
        with contextlib.redirect_stdout(io.StringIO()) as out:
            exec(compile(source, f"lesson 3 cell {cell_id}", "exec"), ns)
        printed[cell_id] = out.getvalue()
    return ns, printed


def test_training_history_starts_at_the_true_initial_cost(nb):
    import matplotlib.pyplot as plt

    ns, printed = _run(nb, ["setup", "moons-data", "moons-train"])
    plt.close("all")
    history, X, Y = ns["history"], ns["X"], ns["Y"]
    epochs = int(re.search(r"epochs=(\d+)", _cell(nb, "moons-train").source).group(1))
    initial = bp.Network([2, 3, 1], "sigmoid", "cross_entropy", seed=0).loss(X, Y)
    assert len(history.loss) == epochs + 1 == len(history.val_accuracy)
    assert history.loss[0] == pytest.approx(initial, rel=1e-12)
    for text in (printed["moons-train"], _output_text(_cell(nb, "moons-train"))):
        assert f"{epochs + 1} costs for {epochs} epochs" in text, text
        assert f"cost {initial:.4f} ->" in text and f"untrained network's: {initial:.4f}" in text
    assert ns["net"].accuracy(ns["X_test"], ns["Y_test"]) >= 0.9, "the moons demo must succeed"


def test_the_output_error_is_measured_to_be_a_minus_y(nb):
    """The lesson's finite differences of bp.cross_entropy(σ(z), y) agree with a − y."""
    ns, _ = _run(nb, ["setup", "output-check"])
    for z, y in [(-2.0, 1.0), (6.0, 0.0), (0.3, 0.0)]:
        measured = (ns["L_of_z"](z + 1e-6, y) - ns["L_of_z"](z - 1e-6, y)) / 2e-6
        assert measured == pytest.approx(float(bp.sigmoid(z)) - y, abs=1e-7)


# --------------------------------------------------------------------------- seed 003
def test_seeds_are_explained(nb):
    text = _cell(nb, "seeds").source
    for phrase in ["five source texts", "seed 003", "Chinese", "two-layer network",
                   "cross-entropy", "8-11", "8-19"]:
        assert phrase in text, f"the seeds cell must say {phrase!r}"


def test_seed003_notation_is_mapped(nb):
    table = _cell(nb, "seed003-md").source
    for seed_name in ["$x$", "$m$", "$w_1$, $b_1$", "$z_1$, $Z_1$", "$a_1$", "$w_2$, $b_2$",
                      "$z_2$, $Z_2$", "$a_2$", "$y$", r"$\log$", "$L(y, a)$",
                      "$da_2$, $dz_2$, $da_1$, $dz_1$", "$dw_2$, $db_2$, $dw_1$, $db_1$"]:
        assert f"| {seed_name} |" in table, f"seed 003's {seed_name} is not in the mapping table"


def test_seed003_equations_are_shown_as_written(nb):
    text = _cell(nb, "seed003-md").source
    for number in range(12, 20):
        assert f"(8-{number})" in text, f"seed 003's equation 8-{number} is missing"
    for as_written in [r"z_2 = w_2 x + b_2", r"\frac1m (a_2 - y)\, a_1",
                       r"= \frac{\partial L}{\partial Z_2} = a_2 - y && \text{(8-15)}",
                       r"= (a_2 - y)\, w_2 && \text{(8-16)}",
                       r"(a_2 - y)\, w_2\, \sigma'(Z_1)\, x && \text{(8-18)}"]:
        assert as_written in text, f"the seed's {as_written!r} must be shown as the seed writes it"
    code = _cell(nb, "seed003-scalar").source
    assert "z2 = w2 * x + b2" in code, "the transcription keeps the seed's forward pass"


def _seed_rows(ns):
    """For each parameter: (the seed's equation, the central difference of the seed's L)."""
    params, grads = ns["params"], ns["seed_gradients"](**ns["params"])
    rows = {}
    for name in params:
        up, down = {**params, name: params[name] + 1e-6}, {**params, name: params[name] - 1e-6}
        rows[name] = (grads[name], (ns["seed_loss"](**up) - ns["seed_loss"](**down)) / 2e-6)
    return rows


def test_the_learner_finds_the_forward_slip_and_the_fix_agrees(nb):
    ns, printed = _run(nb, ["setup", "seed003-scalar", "seed003-network"])
    rows = _seed_rows(ns)
    disagree = {n for n, (formula, measured) in rows.items() if abs(formula - measured) > 1e-6}
    assert disagree == {"w1", "b1", "w2"}, f"as written, exactly these rows disagree: {disagree}"
    assert "+0.00000000" in printed["seed003-scalar"], "w1 and b1 get no gradient as written"
    _run(nb, ["reveal-check"], ns)
    for name, (formula, measured) in _seed_rows(ns).items():
        assert formula == pytest.approx(measured, abs=1e-8), f"after the fix, {name} agrees"
    g = ns["net1"].backward(ns["X1"], ns["Y1"])
    fixed = ns["seed_gradients"](**ns["params"])
    assert fixed["w1"] == pytest.approx(g.dW[0].item()) and fixed["b2"] == pytest.approx(g.db[1].item())
    assert ns["seed_loss"](**ns["params"]) == pytest.approx(ns["net1"].loss(ns["X1"], ns["Y1"]))


# --------------------------------------------------------------------------- no exercise answers
@pytest.mark.parametrize("pattern, why", [
    (r"def\s+(" + "|".join(EXERCISES) + r")\b", "the lesson must not define an exercise's function"),
    (r"@|np\.dot|np\.matmul|\.T\b", "matrix products are the vectorised forward/backward exercises"),
    (r"keepdims|axis\s*=\s*1", "summing over the samples is exercise backward"),
    (r"logaddexp|log1p\(\s*np\.exp|np\.where\(\s*z|np\.maximum\(\s*z|np\.abs\(\s*z",
     "the stable cost from z is exercise cross_entropy_from_z"),
    (r">\s*0\.5|to_labels", "thresholding outputs into 0/1 labels is exercise predict"),
    (r"-\s*Y\w*\s*\)\s*/", "δ² = (a² − Y)/m for a batch is exercise backward"),
])
def test_code_holds_no_exercise_answer(nb, pattern, why):
    hits = [(c.id, m.group(0)) for c in _code(nb) for m in re.finditer(pattern, c.source)]
    assert not hits, f"{why}: {hits}"


@pytest.mark.parametrize("pattern, why", [
    (r"\\frac\{a\s*-\s*y\}\{a\s*\(1\s*-\s*a\)\}|\(a\s*[−-]\s*y\)\s*/\s*\(a\s*\(1",
     "(a − y)/(a(1 − a)) is the middle step of the hand-graded derivation"),
    (r"-\s*y\s*\(1\s*-\s*a\)|y\s*-\s*ya|ya\s*-\s*y|-\s*y\s*\+\s*a\s*y",
     "expanding ∂L/∂a·a(1 − a) is the hand-graded derivation"),
])
def test_text_holds_no_derivation_of_a_minus_y(nb, pattern, why):
    hits = [(c.id, m.group(0)) for c in nb.cells for m in re.finditer(pattern, c.source)]
    assert not hits, f"{why}: {hits}"


def test_no_warnings_in_the_saved_run(nb):
    stderr = [c.id for c in _code(nb) for o in c.get("outputs", [])
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not stderr, f"cells that wrote to stderr (warnings?): {stderr}"


def test_numerical_failures_are_shown(nb):
    out = _output_text(_cell(nb, "log0"))
    assert "inf" in out and "nan" in out, "ln 0 and 0·ln 0 must be shown, not hidden"
    clipped = _output_text(_cell(nb, "clip-slope"))
    assert "27.6310" in clipped and "its slope 0.0000" in clipped, "clipping caps the cost, flat"
    stable = _output_text(_cell(nb, "stable-delta"))
    assert "product: nan" in stable and "a − y = 1.0" in stable
    assert _images(_cell(nb, "numerics-picture")) == 1


# --------------------------------------------------------------------------- the spoilers
SPOILERS = re.compile(r"typo|w_2\s*a_1|w₂\s*a₁|m times too|\\mathsf\s*T|ᵀ|transpos",
                      re.IGNORECASE)


def test_slips_are_named_only_after_the_exercises(nb):
    reveal = _index(nb, "reveal")
    assert _cell(nb, "reveal").source.startswith("## 9. Spoilers")
    assert "Stop here" in _cell(nb, "reveal").source
    pointers = [i for i, c in enumerate(nb.cells[:reveal])
                if "`seed003_gradients`" in c.source and "before you read section 9" in c.source]
    assert pointers, "before the spoilers, the lesson must send the learner to seed003_gradients"
    assert "`seed003_gradients`" in _cell(nb, "reveal").source
    early = [(c.id, m.group(0)) for c in nb.cells[:reveal] for m in SPOILERS.finditer(c.source)]
    assert not early, f"a slip of seed 003 is named before the spoiler section: {early}"
    late = "\n".join(c.source for c in nb.cells[reveal:])
    for phrase in ["z_2 = w_2 a_1 + b_2", "m$ times too", r"w_2^{\mathsf T}", r"a_1^{\mathsf T}",
                   r"x^{\mathsf T}", "8-15", "8-18 and 8-19"]:
        assert phrase in late, f"the spoiler section must explain: {phrase!r}"
    numbered = [i for i, c in enumerate(nb.cells)
                if c.cell_type == "markdown" and re.match(r"## \d+\.", c.source)]
    assert numbered[-1] == reveal, "the spoilers are the last numbered section"


# --------------------------------------------------------------------------- the learner does things


def test_every_section_has_a_prediction_and_a_try(nb):
    sections = _sections(nb)
    assert len(sections) == 9
    for title, text in sections.items():
        if "Spoilers" in title:
            continue
        assert "Think, then run" in text, f"{title}: no predict-then-run cell"
        assert "Try it" in text or "Things to try" in text, f"{title}: no try-it cell"


def test_pictures_come_before_formulas(nb):
    for picture, formula, draws in [("ce-picture", "ce-formula", "plt.subplots"),
                                    ("output-graph", "output-pieces", "draw_output_graph"),
                                    ("net-picture", "net-formula", "draw_two_layer"),
                                    ("numerics-picture", "clip-md", "softplus_reference")]:
        assert _index(nb, picture) < _index(nb, formula), f"{picture} must come before {formula}"
        assert draws in _cell(nb, picture).source and _images(_cell(nb, picture)) == 1


@pytest.mark.parametrize("widget, fallback, draws", [
    ("race-widget", "race-static", "ce.plot_race("),
    ("playground", "playground-static", "ce.plot_playground("),
])
def test_each_widget_has_a_static_fallback(nb, widget, fallback, draws):
    assert _cell(nb, widget).outputs == [], "a widget view is saved without its state: cleared"
    assert _index(nb, fallback) > _index(nb, widget)
    assert draws in _cell(nb, fallback).source and _images(_cell(nb, fallback)) >= 1
    assert "needs a running kernel" in nb.cells[_index(nb, widget) - 1].source or \
        "needs a running kernel" in nb.cells[_index(nb, widget) - 2].source
