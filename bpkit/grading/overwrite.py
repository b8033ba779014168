"""Restore test cells at autograde without warning about every untouched hand-in.

nbgrader records each locked cell in the gradebook *with* its hidden tests (it saves the cells
before ``ClearHiddenTests`` runs), but the released cell — the one every student hands back —
has them removed. Its ``OverwriteCells`` step then compares the checksum of the handed-in cell
with the checksum of the gradebook's cell, so every test cell that holds hidden tests looks
edited, for every student, and autograde logs

    Attribute 'checksum' for cell test_sigmoid has changed! (should be: …, got: …)

once per such cell. The warning that should flag a student who edited a test is drowned out.

:class:`OverwriteReleasedCells` first asks whether the handed-in cell is exactly the
*released* cell (the gradebook's cell with its hidden regions removed, as nbgrader removed them
at generate time). If so, it puts the full source back silently; anything else goes through
nbgrader's own check, which warns and restores. Either way the graded notebook is the same.
nbgrader_config.py puts it in place of ``OverwriteCells`` in ``Autograde.sanitize_preprocessors``.
"""
from __future__ import annotations

from nbformat.v4 import new_code_cell
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells

__all__ = ["OverwriteReleasedCells", "released_source"]


def released_source(source: str, hider: ClearHiddenTests | None = None) -> str:
    """The source of a cell as nbgrader releases it: every hidden-test region removed."""
    hider = hider or ClearHiddenTests()
    cell = new_code_cell(source)
    hider._remove_hidden_test_region(cell)
    return cell.source


class OverwriteReleasedCells(OverwriteCells):
    """``OverwriteCells`` that treats an untouched released cell as untouched."""

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and utils.is_locked(cell):
            try:
                source_cell = self.gradebook.find_source_cell(
                    grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source_cell = None  # nbgrader's own step reports it
            if source_cell is not None and source_cell.locked and self._is_release_of(cell, source_cell):
                cell.source = source_cell.source  # hidden tests back in, nothing to report
        return super().preprocess_cell(cell, resources, cell_index)

    def _is_release_of(self, cell, source_cell) -> bool:
        """Is ``cell``'s source exactly the released source of the gradebook's ``source_cell``?
        (Changed points or flags are still reported by nbgrader's own step.)"""
        if cell.cell_type != source_cell.cell_type or cell.source == source_cell.source:
            return False
        return cell.source == released_source(source_cell.source, ClearHiddenTests(parent=self))
