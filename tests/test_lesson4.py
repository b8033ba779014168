"""Lesson 4 (the general form, BP1–BP4 for L layers): what it must and must not contain.

tests/test_notebooks.py runs every lesson and checks how it is saved; this file checks what is
particular to lesson 4:

* its conventions table agrees with the README's notation block, and its "shape here" column
  is the course-wide shape for the drawn network (sizes [4, 5, 3, 2], m = 6, layer l = 2) —
  the shapes the lesson's own code prints;
* it never contains an answer of the stage-4 assignment: no function of the assignment is
  defined, no code loops the four equations over the layers, computes BP2/BP3/BP4 by hand
  with transposes and sums, or shuffles mini-batches; BP2 is stated, not proved;
* seeds 000 and 002 are explained and mapped; seed 002's "更优美的形式" is shown as written and
  the learner is sent to check it before the lesson says anything about it;
* what it measures live it measures with bpkit, and its claims hold when re-run (the
  per-example loop equals the matrix pass; each sigmoid layer shrinks the error ~4×; the
  digits reach ≥ 95% on the held-out test set);
* every numbered section asks the learner to predict and to try something, and the widget has
  a static fallback.
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
LESSON = ROOT / "lessons" / "04-general-bp1-bp4.ipynb"

# The assignment's graded functions: the lesson must not define them.
EXERCISES = graded_functions(4)


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(LESSON, as_version=4)


def _run(nb, cell_ids):
    """Execute some of the lesson's code cells (magics dropped) in one namespace."""
    import matplotlib

    matplotlib.use("Agg")
    ns, printed = {}, {}
    for cell_id in cell_ids:
        source = "\n".join(l for l in _cell(nb, cell_id).source.splitlines()
                           if not l.lstrip().startswith("%"))
        with contextlib.redirect_stdout(io.StringIO()) as out:
            exec(compile(source, f"lesson 4 cell {cell_id}", "exec"), ns)
        printed[cell_id] = out.getvalue()
    import matplotlib.pyplot as plt

    plt.close("all")
    return ns, printed


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


# The drawn network: sizes [4, 5, 3, 2], so L = 3; a batch of m = 6; the middle layer l = 2.
HERE = {"n_0": "4", "n_L": "2", "n_l": "3", "n_(l-1)": "5", "m": "6"}


def _as_here(shape: str) -> str:
    return re.sub(r"n_\(l-1\)|n_0|n_L|n_l|\bm\b", lambda m: HERE[m.group(0)], shape)


def test_conventions_table_matches_the_readme(nb):
    readme = _readme_shapes()
    rows = {r[0]: r for r in _conventions_rows(nb)}
    for symbol, key in [("$X = a^0$", "X"), ("$Y$", "Y"), ("$W^l$", "W"), ("$b^l$", "b")]:
        assert symbol in rows, f"the conventions table has no row {symbol}"
        assert _norm(rows[symbol][3]) == readme[key], (
            f"{symbol}: course-wide shape {rows[symbol][3]} but the README says {readme[key]}")


def test_shapes_here_are_the_drawn_networks(nb):
    checked = 0
    for symbol, _, here, general in _conventions_rows(nb):
        if "n_" not in general:
            continue
        assert _as_here(_norm(general)) == _norm(here), (
            f"{symbol}: {here} is not {general} for sizes [4, 5, 3, 2], m = 6, l = 2")
        checked += 1
    assert checked >= 10, "the conventions table lost its shapes"


def test_the_lessons_code_prints_the_tables_shapes(nb):
    ns, printed = _run(nb, ["setup", "shapes"])
    assert ns["net"].sizes == [4, 5, 3, 2] and ns["X"].shape == (4, 6)
    rows = {r[0]: _norm(r[2]) for r in _conventions_rows(nb)}
    line = next(l for l in printed["shapes"].splitlines() if l.startswith("layer 2:"))
    assert f"W^2 {tuple(ns['net'].weights[1].shape)}".replace(" ", "") in line.replace(" ", "")
    assert str(ns["net"].weights[1].shape).replace(" ", "") == rows["$W^l$"]
    assert str(ns["fwd"].z[1].shape).replace(" ", "") == rows["$z^l$"]
    assert str(ns["fwd"].a[1].shape).replace(" ", "") == rows["$a^{l-1}$"]


def test_conventions_state_when_a_loss_is_recorded(nb):
    losses = next(r for r in _conventions_rows(nb) if r[0] == "losses")
    assert "`epochs + 1`" in losses[1] and "`losses[0]`" in losses[1]
    assert "starting parameters" in losses[1]
    out = _output_text(_cell(nb, "digits-train"))
    assert "21 losses for 20 epochs" in out, out


# --------------------------------------------------------------------------- no exercise answers
@pytest.mark.parametrize("pattern, why", [
    (r"def\s+(" + "|".join(EXERCISES) + r")\b", "the lesson must not define an assignment function"),
    (r"\.T\s*@|@\s*[\w\[\]\.]+\.T\b", "a hand-written BP2 (Wᵀδ) or BP4 (δaᵀ) is the assignment's bp2/bp4"),
    (r"keepdims|\.sum\(\s*axis\s*=\s*1", "a hand-written BP3 sum is the assignment's bp3"),
    (r"permutation|shuffle", "shuffling mini-batches is the assignment's sgd_epoch"),
])
def test_code_holds_no_exercise_answer(nb, pattern, why):
    hits = [(c.id, m.group(0)) for c in _code(nb) for m in re.finditer(pattern, c.source)]
    assert not hits, f"{why}: {hits}"


def test_no_cell_loops_the_equations_over_the_layers(nb):
    """backward_all (looping BP1–BP4 over L layers) is the assignment's."""
    for cell in _code(nb):
        loops = re.findall(r"^\s*for .*:\n((?:\s{4,}.*\n?)+)", cell.source, re.MULTILINE)
        for body in loops:
            assert not re.search(r"bp\.bp[1-4]\(|weighted_input|\.prime\(", body), (
                f"cell {cell.id} loops over equations: {body!r}")


def test_bp2_is_stated_not_proved(nb):
    statement = _cell(nb, "bp2-statement").source
    assert "hand-graded" in statement and "Proving BP2" in statement
    # The proof's middle link, ∂z^(l+1)_j/∂a^l_k, appears nowhere in the course's notation.
    link = re.compile(r"\\partial z\^\{l\+1\}")
    hits = [c.id for c in nb.cells if link.search(c.source)]
    assert not hits, f"BP2's chain-rule proof is the assignment's written question: {hits}"
    for proof in ["bp1-proof", "bp3-bp4-proof"]:
        assert "\\frac{\\partial C}{\\partial" in _cell(nb, proof).source


def test_no_warnings_or_errors_in_the_saved_run(nb):
    stderr = [c.id for c in _code(nb) for o in c.get("outputs", [])
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not stderr, f"cells that wrote to stderr (warnings?): {stderr}"


# --------------------------------------------------------------------------- the seeds
def test_seeds_are_explained(nb):
    text = _cell(nb, "seeds").source
    for phrase in ["seed 000", "seed 002", "Chinese", "更优美的形式", "n + 1", "Nielsen"]:
        assert phrase in text, f"the seeds cell must say {phrase!r}"


def test_seed_notation_is_mapped(nb):
    table = _cell(nb, "seed-tables").source
    header = next(l for l in table.splitlines() if l.startswith("|"))
    assert "seed 000" in header and "seed 002" in header and "this course" in header
    for name in ["$w^l_{ji}$", "$u^l_j$", "$v^l_j$", "$\\delta^l_i \\equiv", "$\\nabla_v C$",
                 "$J = \\frac{1}{2n}"]:
        assert name in table, f"the mapping table lacks {name!r}"


SPOILERS = re.compile(r"typo|slip|wrong|mistake|should be|missing|errat\w* in|transpose is",
                      re.IGNORECASE)


def test_seed002_is_shown_as_written_and_checked_by_the_learner(nb):
    forms = _cell(nb, "seed-forms").source
    for as_written in [r"\sum_k\delta_k^{l+1}w_{jk}^l \sigma'(u_j^l)",
                       r"\dfrac{\partial C}{\partial w}=v^{l-1}\delta^{l}", "更优美的形式"]:
        assert as_written in forms, f"seed 002's line {as_written!r} is not shown as written"
    assert "errata" in forms and "before you rely" in forms
    assert not SPOILERS.findall(forms), f"the lesson comments on seed 002's lines: {SPOILERS.findall(forms)}"


# --------------------------------------------------------------------------- claims, re-run
def test_per_example_loop_equals_the_matrix_pass(nb):
    source = _cell(nb, "per-example").source
    ns = {"np": np, "bp": bp}
    exec(source[:source.index("def best_time")], ns)
    rng = np.random.default_rng(5)
    net = bp.Network([3, 4, 2], activations=["tanh", "sigmoid"], seed=1)
    X, Y = rng.normal(size=(3, 7)), rng.uniform(size=(2, 7))
    dW, db = ns["per_example_gradient"](net, X, Y)
    g = net.backward(X, Y)
    for a, b in zip(dW + db, g.dW + g.db):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_each_sigmoid_layer_shrinks_the_error_about_fourfold(nb):
    ns, _ = _run(nb, ["setup", "depth-one"])
    sizes = np.array(ns["sizes"])
    ratios = sizes[1:] / sizes[:-1]
    assert np.all(ratios > 3.5), ratios
    assert "4.3× smaller" in _output_text(_cell(nb, "depth-one")) or np.all(ratios > 3.5)


def test_special_cases_agree(nb):
    out = _output_text(_cell(nb, "special-cases"))
    assert "same as backward: True" in out and "equals backward's: True" in out
    gap = float(re.search(r"max \|BP1 − \(a − y\)/m\| = (\S+)", out).group(1))
    assert gap < 1e-15


def test_the_digits_reach_95_percent_held_out(nb):
    out = _output_text(_cell(nb, "digits-train"))
    test_acc = float(re.search(r"held-out test ([\d.]+)%", out).group(1))
    assert test_acc >= 95.0, out
    wrong = int(re.search(r"(\d+) of 450 test digits wrong", _output_text(_cell(nb, "digits-wrong"))).group(1))
    assert wrong == round(450 * (1 - test_acc / 100))


def test_finite_differences_lose_and_the_kink_is_flagged(nb):
    fd = _output_text(_cell(nb, "fd-vs-bp"))
    ratios = [float(r.replace(",", "")) for r in re.findall(r"'([\d,]+)×'", fd.split("\n")[1])]
    assert ratios[-1] > 100, fd
    kink = _output_text(_cell(nb, "kink"))
    assert re.search(r"b1\s+\S+\s+MISMATCH", kink) and re.search(r"b2\s+\S+\s+ok", kink), kink


# --------------------------------------------------------------------------- the learner does things


def test_every_section_has_a_prediction_and_a_try(nb):
    sections = _sections(nb)
    assert len(sections) == 8, list(sections)
    for title, text in sections.items():
        assert "Think, then run" in text, f"{title}: no predict-then-run cell"
        assert "Try it" in text or "Things to try" in text, f"{title}: no try-it cell"


def test_pictures_come_before_formulas(nb):
    assert _index(nb, "picture") < _index(nb, "forward-formula")
    assert "draw_network" in _cell(nb, "picture").source
    assert _index(nb, "depth-sweep") < _index(nb, "explorer")


def test_measurements_use_bpkit_not_the_learners_functions(nb):
    for cell_id in ["per-example", "fd-vs-bp", "gradcheck", "depth-one", "digits-train"]:
        source = _cell(nb, cell_id).source
        assert re.search(r"\bbp\.|depth_explorer\.|net\w*\.(backward|fit)", source), cell_id


def test_the_widget_has_a_static_fallback(nb):
    explorer = _index(nb, "explorer")
    assert "depth_explorer.depth_explorer()" in nb.cells[explorer].source
    assert not nb.cells[explorer].outputs, "the widget cell is saved without its (stateless) view"
    fallback = _cell(nb, "explorer-static")
    assert _index(nb, "explorer-static") > explorer and "plot_profile" in fallback.source
    images = [o for o in fallback.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, "the fallback figure is saved for offline readers"
