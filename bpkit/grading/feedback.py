"""Feedback that tells students what failed without giving the hidden tests away.

nbgrader removes hidden tests (``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS``) from
the released notebooks but restores them at autograde, so the autograded notebook that
``nbgrader generate_feedback`` renders contains their source — and every traceback that
IPython prints quotes the lines it passed through. :class:`HideHiddenTests` runs inside
``generate_feedback`` (nbgrader_config.py puts it right after ``GetGrades``) and

* replaces each hidden region of a cell's source with one comment line,
  ``# (hidden tests run here)``, keeping the visible tests around it;
* shortens every error output to its last line, ``ExceptionName: message``, so the student
  still reads which check failed and why, but no quoted source;
* drops lines of printed output (e.g. a warning quoting the line that raised it) that repeat
  a hidden line verbatim.

Only feedback is affected: the autograded notebooks keep everything for the instructor.
"""
from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Integer, Unicode

__all__ = ["HideHiddenTests", "hide_hidden_source", "error_summary"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def hide_hidden_source(source: str, begin: str = "BEGIN HIDDEN TESTS",
                       end: str = "END HIDDEN TESTS",
                       placeholder: str = "# (hidden tests run here)") -> tuple[str, list[str]]:
    """Return ``(source with each hidden region replaced by placeholder, hidden lines)``.

    A region runs from a line containing ``begin`` to the next line containing ``end``,
    both included (nbgrader's own rule); the placeholder keeps the indentation of the
    ``begin`` line. An unterminated region is hidden up to the end of the cell.
    """
    kept: list[str] = []
    hidden: list[str] = []
    inside = False
    for line in source.split("\n"):
        if not inside and begin in line:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            kept.append(indent + placeholder)
        elif inside:
            if end in line:
                inside = False
            else:
                hidden.append(line)
        else:
            kept.append(line)
    return "\n".join(kept), hidden


def error_summary(output) -> str:
    """The last line of an error output: ``ExceptionName: message`` (no ANSI colours)."""
    ename = output.get("ename", "") or "Error"
    evalue = output.get("evalue", "") or ""
    if evalue:
        return f"{ename}: {evalue}"
    # No message: nbgrader's CellTimeoutError puts its text only in the traceback's last line.
    traceback = output.get("traceback") or []
    if traceback:
        last = [ln for ln in _ANSI.sub("", traceback[-1]).splitlines() if ln.strip()]
        if last and last[-1].startswith(ename):
            return last[-1].strip()
    return ename


class HideHiddenTests(Preprocessor):
    """Remove hidden-test source and quoted tracebacks from notebooks rendered as feedback."""

    # nbconvert preprocessors are off unless enabled; nbgrader's own ones default to on.
    enabled = Bool(True, help="Whether to run when generating feedback.").tag(config=True)

    begin_delimiter = Unicode(
        "BEGIN HIDDEN TESTS", help="Marks the start of a hidden region (as in ClearHiddenTests)."
    ).tag(config=True)
    end_delimiter = Unicode(
        "END HIDDEN TESTS", help="Marks the end of a hidden region (as in ClearHiddenTests)."
    ).tag(config=True)
    placeholder = Unicode(
        "# (hidden tests run here)", help="The line that replaces each hidden region."
    ).tag(config=True)
    min_scrubbed_length = Integer(
        4, help="Printed lines equal to a hidden line are dropped if at least this long."
    ).tag(config=True)

    def preprocess(self, nb, resources):
        # First pass: hide the source everywhere, remembering what was hidden, so that
        # outputs of *any* cell (a later cell may print a hidden line) can be scrubbed.
        self._hidden_lines: set[str] = set()
        for cell in nb.cells:
            source, hidden = hide_hidden_source(
                cell.source, self.begin_delimiter, self.end_delimiter, self.placeholder)
            if hidden:
                cell.source = source
                self._hidden_lines.update(
                    ln.strip() for ln in hidden if len(ln.strip()) >= self.min_scrubbed_length)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [error_summary(output)]
            elif output.output_type == "stream" and self._hidden_lines:
                output.text = "".join(
                    ln for ln in output.text.splitlines(keepends=True)
                    if _ANSI.sub("", ln).strip() not in self._hidden_lines)
        return cell, resources
