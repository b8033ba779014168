"""Autograding helpers for the course's nbgrader test cells.

    from bpkit.grading import stage1
    stage1.check_neuron_gradients(neuron_gradients, seed=7)

check   generic comparisons and diagnoses (wrong shape, transposed, 1/m missing, sign, …),
        running a student's function safely, and the own-work check.
stage1  the checks of stage 1, a single sigmoid neuron.
"""
from . import check, stage1

__all__ = ["check", "stage1"]
