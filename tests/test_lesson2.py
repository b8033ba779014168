"""Lesson 2 (a three-layer network with squared error): what it must and must not contain.

tests/test_notebooks.py runs every lesson and checks how it is saved; this file checks what
is particular to lesson 2:

* its conventions table agrees with the README's notation block (seed 001's 3-4-2 network is
  the case L = 2, n_0 = 3, n_1 = 4, n_2 = 2), and states when a loss is recorded;
* seeds 001, 002 and 004 are explained and their notations mapped;
* its node-by-node numbers are bpkit's (Network, the explorer's trace), run from its own cells;
* it never contains an exercise's answer: no vectorised forward pass, output or hidden error,
  gradients or training step of assignment 02-three-layer-mse;
* the seeds' slips are shown as written, found by the learner's checks, and named only in the
  spoiler section at the end;
* every numbered section asks the learner to predict and to try something; pictures come
  before formulas; the widget has a static fallback.
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
from bpkit import backprop_explorer as bx

from lesson_tools import (cell as _cell, code as _code, conventions_rows as _conventions_rows,
                          graded_functions, index as _index, norm as _norm,
                          output_text as _output_text, sections as _sections)

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "lessons" / "02-three-layer-mse.ipynb"

# The graded functions of assignment 02-three-layer-mse: the lesson must not define them.
EXERCISES = graded_functions(2)


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(LESSON, as_version=4)


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


SIZES = {"n_0": "3", "n_1": "4", "n_2": "2", "n_L": "2"}


def _as_stage2(shape: str, layer: int | None) -> str:
    """A course-wide shape with this stage's sizes put in (n_l of the row's layer)."""
    if layer is not None:
        shape = shape.replace("n_(l-1)", f"n_{layer - 1}").replace("n_l", f"n_{layer}")
    return re.sub(r"n_[0-2L]", lambda m: SIZES[m.group(0)], shape)


def test_conventions_table_matches_the_readme(nb):
    readme = _readme_shapes()
    rows = {r[0]: r for r in _conventions_rows(nb)}
    for symbol, key in [("$X$", "X"), ("$Y$", "Y"), ("$W^1$", "W"), ("$W^2$", "W"),
                        ("$b^1$", "b"), ("$b^2$", "b")]:
        assert symbol in rows, f"the conventions table has no row {symbol}"
        assert _norm(rows[symbol][3]) == readme[key], (
            f"{symbol}: course-wide shape {rows[symbol][3]} but the README says {readme[key]}")


def test_stage_shapes_are_the_3_4_2_case_of_the_course_shapes(nb):
    checked = 0
    for symbol, _, here, general in _conventions_rows(nb):
        if "n_" not in general:
            continue
        layer = re.search(r"\^([12])", symbol)
        parts_here = [_norm(p) for p in here.split("$,")]
        parts_general = [_norm(p) for p in general.split("$,")]
        assert [_as_stage2(p, int(layer.group(1)) if layer else None)
                for p in parts_general] == parts_here, (
            f"{symbol}: {here} is not {general} with n_0 = 3, n_1 = 4, n_2 = n_L = 2")
        checked += 1
    assert checked >= 12, "the conventions table lost its shapes"


def test_conventions_state_when_a_loss_is_recorded(nb):
    losses = next(r for r in _conventions_rows(nb) if r[0] == "losses")
    assert "`epochs + 1`" in losses[1] and "`losses[0]`" in losses[1]
    assert "starting parameters" in losses[1]
    assert "δ" in "".join(r[0] for r in _conventions_rows(nb)).replace("\\delta", "δ")
    assert all("carries the" in r[1] for r in _conventions_rows(nb) if r[0].startswith("$\\delta"))


# --------------------------------------------------------------------------- the seeds
def test_seeds_are_explained(nb):
    text = _cell(nb, "seeds").source
    for phrase in ["seed 000", "Seed 001", "Seed 002", "Seed 004", "Chinese", "3-4-2",
                   "node error", "M, I, J", "2-2-1"]:
        assert phrase in text, f"the seeds cell must say {phrase!r}"


def test_seed001_notation_is_mapped(nb):
    table = _cell(nb, "s001-table").source
    for name in ["nodes 1, 2, 3", "nodes 4–7", "nodes 8, 9", "$a_i$", "$w_{ij}$",
                 "$b_4, \\dots, b_9$", "$y_1, y_2$", "$e_i = \\partial E/\\partial a_i$"]:
        assert f"| {name}" in table, f"seed 001's {name} is not in the mapping table"
    assert "from node $j$ to node $i$" in table
    assert "**$E = C$**" in table, "say once that seed 001's E is the course's C for m = 1"


def test_node_error_is_mapped_and_the_choice_justified(nb):
    text = _cell(nb, "e-md").source
    assert "| $e_i = \\partial E/\\partial a_i$" in text and "| $e_i\\,\\sigma'(z_i)$" in text
    assert "Why the course picks $\\delta$" in text
    assert text.count("\n* ") >= 3, "give the reasons for δ as a list"


def test_seed002_notation_is_mapped(nb):
    table = _cell(nb, "s002-md").source
    for name in ["$M, I, J$", "$u$", "$v$", "$t$", "$e_j = t_j - v_j$", "$w_{ij}$",
                 "$\\delta^J_j$", "$n$"]:
        assert f"| {name} |" in table, f"seed 002's {name} is not in the mapping table"
    assert "opposite sign" in table and "$(W^l)^{\\mathsf T}$" in table
    assert "**\"Linear\", yet $\\sigma'(u^J)$.**" in table


def test_seed002_formulas_are_shown_as_written(nb):
    text = _cell(nb, "errata-md").source
    assert r"\sum_k\delta_k^{l+1}\,w_{jk}^l\, \sigma'(u_j^l)" in text
    assert r"\frac{\partial C}{\partial u_j^{l+1}}" in text
    assert r"v^{l-1}\,\delta^{l}" in text


def test_seed004_code_is_transcribed_in_its_names(nb):
    code = _cell(nb, "relu-code").source
    for line in ["h = np.matmul(w1.T, x)+b1", "a = np.maximum(h, 0)", "grad_a[a<0] = 0",
                 "grad_b1 = grad_a", "loss = np.square(y_pred-y).sum()"]:
        assert line in code, f"seed 004's line {line!r} is missing from the transcription"


# --------------------------------------------------------------------------- run the lesson's cells
def _run(nb, cell_ids):
    """Execute some of the lesson's code cells (IPython magics dropped) in one namespace.
    Returns the namespace and what each cell printed."""
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    ns, printed = {}, {}
    for cell_id in cell_ids:
        source = "\n".join(l for l in _cell(nb, cell_id).source.splitlines()
                           if not l.lstrip().startswith("%"))
        with contextlib.redirect_stdout(io.StringIO()) as out:
            exec(compile(source, f"lesson 2 cell {cell_id}", "exec"), ns)
        printed[cell_id] = out.getvalue()
    plt.close("all")
    return ns, printed


FORWARD = ["setup", "forward-node4", "forward-loop", "matrix-check", "e-numbers", "fork-numbers",
           "fork-try"]


def test_node_by_node_numbers_are_bpkits(nb):
    ns, printed = _run(nb, FORWARD)
    t = bx.backprop_trace()
    a = ns["a"]
    assert [a[i] for i in (4, 5, 6, 7)] == pytest.approx(t["a1"][:, 0], rel=1e-12)
    assert [a[i] for i in (8, 9)] == pytest.approx(t["a2"][:, 0], rel=1e-12)
    assert ns["E"] == pytest.approx(t["E"], rel=1e-12)
    assert [ns["delta8"], ns["delta9"]] == pytest.approx(t["delta2"][:, 0], rel=1e-12)
    assert ns["delta4"] == pytest.approx(t["delta1"][0, 0], rel=1e-12)
    assert ns["e4"] == pytest.approx(t["e1"][0, 0], rel=1e-12)
    assert ns["delta_j"] == pytest.approx(t["delta1"][ns["j"] - 4, 0], rel=1e-12)
    assert printed["matrix-check"].count("True") == 3
    # The saved run printed the same numbers.
    saved = _output_text(_cell(nb, "forward-loop"))
    assert f"E = ½[(a8 − y1)² + (a9 − y2)²] = {t['E']:.4f}" in saved


def test_mixing_old_and_new_weights_is_shown_to_be_wrong(nb):
    _, printed = _run(nb, FORWARD + ["stale"])
    errors = [float(v) for v in re.findall(r"relative error, [^:]*:\s+([\d.e+-]+)", printed["stale"])]
    assert len(errors) == 2 and errors[0] < 1e-7 < 1e-2 < errors[1], printed["stale"]
    assert printed["stale"] == _output_text(_cell(nb, "stale"))


def test_regression_history_follows_the_convention(nb):
    text = _output_text(_cell(nb, "regression"))
    epochs = int(re.search(r"epochs=(\d+)", _cell(nb, "regression").source).group(1))
    assert f"{epochs + 1} costs for {epochs} epochs" in text
    assert 'activations=["sigmoid", "identity"]' in _cell(nb, "regression").source


def test_saved_checks_show_what_the_text_claims(nb):
    relu = _output_text(_cell(nb, "relu-check"))
    errors = dict(re.findall(r"(\w+): relative error ([\d.e+-]+)", relu))
    assert set(errors) == {"w1", "b1", "w2", "b2"}
    assert float(errors["w1"]) > 1e-2 and float(errors["b1"]) > 1e-2, relu
    assert float(errors["w2"]) < 1e-7 and float(errors["b2"]) < 1e-7, relu
    fixed = _output_text(_cell(nb, "reveal-relu-check"))
    assert "entries with a < 0: 0" in fixed
    assert all(float(v) < 1e-7 for v in re.findall(r"relative error ([\d.e+-]+)", fixed)), fixed
    literal = _output_text(_cell(nb, "reveal-bp2-check"))
    as_written, course = re.findall(r"relative error ([\d.e+-]+)", literal)
    assert float(as_written) > 1e-2 and float(course) < 1e-7, literal
    assert "shape (4, 2)" in _output_text(_cell(nb, "reveal-bp4-check"))
    linear = _output_text(_cell(nb, "linear-check"))
    ok, kept = re.findall(r"relative error of [^:]*:\s+([\d.e+-]+)", linear)
    assert float(ok) < 1e-7 < 1e-2 < float(kept), linear


def test_seed004_scalar_chains_agree_with_the_matrix_form(nb):
    text = _output_text(_cell(nb, "s004-check"))
    rows = [l for l in text.splitlines() if re.match(r"\s+[wb]\d\d ", l)]
    assert len(rows) == 9 and all(l.rstrip().endswith("True") for l in rows), text


# --------------------------------------------------------------------------- no exercise answers
@pytest.mark.parametrize("pattern, why", [
    (r"W[12]\s*@|np\.(dot|matmul)\(\s*W[12]\s*,\s*(x|X|a)", "z = W a + b for a layer is exercise forward"),
    (r"\.T\s*@|np\.dot\(\s*W2\.T|np\.matmul\(\s*W2\.T", "(W²)ᵀδ² in NumPy is exercise hidden_error"),
    (r"delta\w*\s*@|@\s*(x|X|a\d?)\.T|np\.outer\(\s*(d2|delta)", "δ aᵀ in NumPy is exercise gradients"),
    (r"np\.sum\(\s*(d2|delta)|keepdims", "∂C/∂b summed over a batch is exercise gradients"),
    (r"\(\s*a2\s*-\s*Y?y\s*\)\s*/\s*m|\(a\[?2\]?\s*-\s*y\w*\)\s*\*\s*bp\.sigmoid_prime\(\s*z",
     "δ² = (a² − y)/m ⊙ σ′(z²) in NumPy is exercise output_error"),
    (r"def\s+(" + "|".join(EXERCISES) + r")\b", "the lesson must not define an exercise's function"),
])
def test_code_holds_no_exercise_answer(nb, pattern, why):
    hits = [(c.id, m.group(0)) for c in _code(nb) if c.id not in ("relu-code", "reveal-relu-check")
            for m in re.finditer(pattern, c.source)]
    assert not hits, f"{why}: {hits}"


def test_no_warnings_in_the_saved_run(nb):
    stderr = [c.id for c in _code(nb) for o in c.get("outputs", [])
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not stderr, f"cells that wrote to stderr (warnings?): {stderr}"


# --------------------------------------------------------------------------- spoilers
SPOILERS = re.compile(r"never fires|index slip|w\^\{l\+1\}_\{kj\}|order and transpose|"
                      r"wrong layer|indices swapped|a ≥ 0", re.IGNORECASE)


def test_slips_are_named_only_after_the_learner_checked(nb):
    reveal = _index(nb, "reveal")
    heading = _cell(nb, "reveal").source
    assert heading.startswith("## 10. Spoilers") and "Stop here" in heading
    pointers = [i for i, c in enumerate(nb.cells) if "02-three-layer-mse" in c.source
                and "before you read section 10" in c.source and i < reveal]
    assert pointers, "before the spoilers, send the learner to the checks and the exercise"
    for try_id in ["errata-try", "relu-try"]:
        assert _index(nb, try_id) < reveal
    early = [(c.id, m.group(0)) for c in nb.cells[:reveal] for m in SPOILERS.finditer(c.source)]
    assert not early, f"a slip is named before the spoiler section: {early}"
    late = "\n".join(c.source for c in nb.cells[reveal:])
    for phrase in ["never fires", "w^{l+1}_{kj}", "order and transpose", "grad_a[h<0] = 0"]:
        assert phrase in late, f"the spoiler section must explain: {phrase!r}"
    numbered = [i for i, c in enumerate(nb.cells)
                if c.cell_type == "markdown" and re.match(r"## \d+\.", c.source)]
    assert numbered[-1] == reveal, "the spoilers are the last numbered section"


def test_the_try_its_start_from_passing_placeholders(nb):
    """The errata try-its hold the course's formula until the learner types the seed's."""
    text = _output_text(_cell(nb, "errata-try"))
    assert all(float(v) < 1e-7 for v in re.findall(r"relative error ([\d.e+-]+)", text)), text
    assert "replace this by seed 002's" in _cell(nb, "errata-try").source


# --------------------------------------------------------------------------- the learner does things


def test_every_section_has_a_prediction_and_a_try(nb):
    sections = _sections(nb)
    assert len(sections) >= 10
    for title, text in sections.items():
        if "Spoilers" in title:
            continue
        assert "Think, then run" in text, f"{title}: no predict-then-run cell"
        assert "Try it" in text or "Things to try" in text, f"{title}: no try-it cell"


def test_pictures_come_before_formulas(nb):
    assert _index(nb, "xor-boundaries") < _index(nb, "xor-why")
    assert _index(nb, "s001-picture") < _index(nb, "s001-table") < _index(nb, "matrix-md")
    assert _index(nb, "fork-picture") < _index(nb, "fork-formula") < _index(nb, "bp2-md")
    assert "draw_network" in _cell(nb, "s001-picture").source
    assert "draw_network" in _cell(nb, "fork-picture").source
    assert "plot_decision_boundary" in _cell(nb, "xor-boundaries").source


def test_the_widget_has_a_static_fallback(nb):
    explorer = _index(nb, "explorer")
    assert "bx.backprop_explorer()" in nb.cells[explorer].source
    fallback = _cell(nb, "explorer-static")
    assert _index(nb, "explorer-static") > explorer and "plot_backprop_steps" in fallback.source
    images = [o for o in fallback.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, "the fallback figure is saved for offline readers"


def test_framework_two_steps_in_words_only(nb):
    text = _cell(nb, "stale-words").source
    assert "loss.backward()" in text and "optimizer.step()" in text
    code = "\n".join(c.source for c in _code(nb))
    assert not re.search(r"^\s*(import|from)\s+(torch|tensorflow|jax)", code, re.MULTILINE)
