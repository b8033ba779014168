"""Autograding for the course's nbgrader test cells: one engine, each stage a list of specs.

    from bpkit.grading import stage1
    stage1.check_neuron_gradients(neuron_gradients, seed=7)

engine    cases whose answers come from bpkit's Network, exercise specs, the runner
mistakes  the catalogue of classic mistakes, by equation (BP1 without σ′, BP2 without Wᵀ, …)
check     comparing, diagnosing (shape slips, a missing 1/m, a sign, …), running a student's
          function safely, and the per-value report
ownwork   the own-work rule (no handing the exercise to a library), on Python 3.10–3.13
stage1 … stage4   each stage's specs: a single neuron; the three-layer network with squared
          error; the two-layer network with cross-entropy; BP1–BP4 for L layers
feedback, overwrite   nbgrader plug-ins: feedback without hidden tests; quiet restore of test cells
"""
from . import check, engine, mistakes, ownwork, stage1, stage2, stage3, stage4

__all__ = ["check", "engine", "mistakes", "ownwork", "stage1", "stage2", "stage3", "stage4"]
