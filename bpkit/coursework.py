"""Check a student's exercise notebook the way the grader will run it, and say what fails.

``python3 course.py check [NOTEBOOK …]`` runs this module in the course's environment
(``python -m bpkit.coursework check --root <course> [NOTEBOOK …]``). For each notebook it

1. puts back every read-only cell (the test cells) as released in ``exercises/<assignment>/``,
   matched by nbgrader ``grade_id`` — so an edited test cell changes nothing, as at grading;
2. runs the whole notebook from a fresh kernel with nbgrader's own ``Execute`` preprocessor and
   the course's ``nbgrader_config.py`` (the per-cell time limit, the timeout message);
3. prints one row per graded cell: its grade id, the points it is worth, passed/FAILED, and the
   first line of what went wrong (the check's AssertionError message, or the error raised in
   the answer cell above it); written answers still reading ``YOUR ANSWER HERE`` are EMPTY.

The exit status is 1 when any test fails or a written answer is empty, 0 when all is done —
unlike ``nbgrader validate``, which exits 0 either way. The hidden tests are not run (a
student's copy does not have them): passing here is necessary for full marks, not sufficient.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Row", "Report", "check_notebook", "restore_tests", "diagnosis", "first_line",
           "format_report", "main"]

EMPTY_ANSWER = "YOUR ANSWER HERE"


def course_command() -> str:
    """How a student runs course.py on this system (for the hints printed)."""
    return "py -3 course.py" if os.name == "nt" else "python3 course.py"


# --- what a notebook's cells are ---------------------------------------------------------------

def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_test(cell) -> bool:
    md = _nbgrader(cell)
    return bool(md.get("grade")) and not md.get("solution") and cell.cell_type == "code"


def _is_written(cell) -> bool:
    md = _nbgrader(cell)
    return bool(md.get("grade")) and bool(md.get("solution"))


def _is_answer(cell) -> bool:
    md = _nbgrader(cell)
    return bool(md.get("solution")) and not md.get("grade") and cell.cell_type == "code"


def _points(cell) -> float:
    return float(_nbgrader(cell).get("points") or 0)


# --- 1. test cells as released -----------------------------------------------------------------

def restore_tests(nb, release) -> tuple[list[str], list[str]]:
    """Put every read-only cell of ``release`` back into ``nb`` (in place), by grade_id.

    Returns ``(edited, missing)``: grade ids of read-only cells the student changed (restored
    now, as the grader restores them) and of released graded cells absent from ``nb``.
    """
    locked = {_nbgrader(c)["grade_id"]: c for c in release.cells
              if _nbgrader(c).get("locked") and "grade_id" in _nbgrader(c)}
    edited, seen = [], set()
    for cell in nb.cells:
        gid = _nbgrader(cell).get("grade_id")
        original = locked.get(gid)
        if original is None:
            continue
        seen.add(gid)
        if cell.cell_type != original.cell_type or cell.source != original.source:
            edited.append(gid)
        cell.cell_type, cell.source = original.cell_type, original.source
        cell.metadata["nbgrader"] = dict(_nbgrader(original))
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    graded = [gid for gid, c in locked.items() if _nbgrader(c).get("grade")]
    return edited, [gid for gid in graded if gid not in seen]


# --- 2. run it as the grader does -------------------------------------------------------------

def course_config(root: Path):
    """The course's nbgrader_config.py, loaded the way nbgrader loads it."""
    from traitlets.config.loader import PyFileConfigLoader
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def execute(nb, folder: Path, config):
    """Clear outputs and run every cell in a fresh kernel, in ``folder``, with the course's
    time limit; errors are recorded in the cells and the run goes on (as in autograde)."""
    from nbgrader import utils
    from nbgrader.preprocessors import ClearOutput, Execute

    with utils.chdir(str(folder)), utils.setenv(NBGRADER_VALIDATING="1", NBGRADER_EXECUTION="validate"):
        resources: dict = {}
        nb, resources = ClearOutput(config=config).preprocess(nb, resources)
        runner = Execute(config=config)
        nb, resources = runner.preprocess(nb, resources)
    return nb, runner.timeout


# --- 3. what went wrong, in one line ------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def first_line(text: str, width: int = 90) -> str:
    """The first line of ``text``, cut to ``width`` characters: at the end of a sentence or
    clause if one ends early enough, else at a word, with an ellipsis."""
    line = next((ln.strip() for ln in _ANSI.sub("", text).splitlines() if ln.strip()), "")
    if len(line) <= width:
        return line
    head = line[:width - 1]
    cut = head.rfind(". ")
    if cut >= 20:                       # whole sentences, unless that leaves only a word or two
        return head[:cut + 1]
    for stop in ("; ", " — ", ": ", ", "):
        cut = head.rfind(stop)
        if cut >= width // 2:
            return head[:cut].rstrip() + " …"
    cut = head.rfind(" ")
    return (head[:cut] if cut >= width // 2 else head).rstrip(" ,") + " …"


def _errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _describe_error(output, timeout, width: int) -> str:
    ename, evalue = output.get("ename", "Error"), output.get("evalue", "") or ""
    if ename == "CellTimeoutError":
        return f"ran past {timeout} seconds (the limit per cell) and was stopped: it may loop forever"
    if ename == "NotImplementedError" or "NotImplementedError" in first_line(evalue, 1000):
        return "not answered yet: the answer cell still raises NotImplementedError"
    if not evalue.strip():
        line = _failing_line(output)
        return f"{ename} in `{first_line(line, width - 20)}`" if line else f"{ename} (without a message)"
    prefix = "" if ename == "AssertionError" else f"{ename}: "
    return prefix + first_line(evalue, width - len(prefix))


def _failing_line(output) -> str:
    """The source line IPython marks with ``---->`` in the last frame of a traceback."""
    marked = [ln for ln in _ANSI.sub("", "\n".join(output.get("traceback", []))).splitlines()
              if ln.lstrip().startswith("---->")]
    return re.sub(r"^\s*---->\s*\d*\s*", "", marked[-1]).strip() if marked else ""


def _first_error(cell):
    """The error to report: a timeout if there was one (the interrupted kernel also reports a
    KeyboardInterrupt, which says less), else the first error."""
    errors = _errors(cell)
    return next((o for o in errors if o.get("ename") == "CellTimeoutError"), errors[0] if errors else None)


def diagnosis(test_cell, answer_cells, timeout, width: int = 90) -> str:
    """One line saying why ``test_cell`` failed: the error of the answer cell above it if that
    one failed (its function was then never defined), else the test's own error."""
    for cell in answer_cells:
        output = _first_error(cell)
        if output is not None and output.get("ename") != "NotImplementedError":
            return "your answer cell failed: " + _describe_error(output, timeout, width - 25)
    output = _first_error(test_cell)
    if output is None:
        return "failed without an error message"
    # "sigmoid: …" — the row already names the exercise, so the room goes to the message.
    names = [_nbgrader(c).get("grade_id", "") for c in answer_cells]
    evalue = output.get("evalue") or ""
    for name in names:
        if name and evalue.startswith(f"{name}: "):
            output = {**output, "evalue": evalue[len(name) + 2:]}
            break
    return _describe_error(output, timeout, width)


# --- the report -------------------------------------------------------------------------------

@dataclass
class Row:
    grade_id: str
    points: float
    result: str          # "passed", "FAILED", "EMPTY" (written answer), "written", "MISSING"
    diagnosis: str = ""


@dataclass
class Report:
    notebook: Path
    rows: list[Row] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    timeout: int | None = None

    @property
    def ok(self) -> bool:
        return all(r.result in ("passed", "written") for r in self.rows)


def _empty(cell) -> bool:
    """A written answer left as released (or emptied)."""
    return cell.source.strip() in ("", EMPTY_ANSWER)


def check_notebook(path: Path, release_path: Path, config, columns: int = 120) -> Report:
    """Run ``path`` as the grader will (test cells from ``release_path``) and report, with
    diagnoses cut so that a table row fits in ``columns`` characters."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    release = nbformat.read(release_path, as_version=4)
    ids = [len(_nbgrader(c).get("grade_id", "")) for c in release.cells] + [len("exercise")]
    width = max(60, columns - max(ids) - 22)    # 22: indent, points and result columns
    edited, missing = restore_tests(nb, release)
    nb, timeout = execute(nb, path.parent, config)
    report = Report(path, edited=edited, timeout=timeout)
    answers: list = []
    for cell in nb.cells:
        if _is_answer(cell):
            answers.append(cell)
        elif _is_test(cell):
            gid = _nbgrader(cell)["grade_id"]
            failed = bool(_errors(cell))
            report.rows.append(Row(gid, _points(cell), "FAILED" if failed else "passed",
                                   diagnosis(cell, answers, timeout, width) if failed else ""))
            answers = []
        elif _is_written(cell):
            empty = _empty(cell)
            report.rows.append(Row(_nbgrader(cell)["grade_id"], _points(cell),
                                   "EMPTY" if empty else "written",
                                   "written answer: still to write" if empty
                                   else "written answer: graded by hand"))
    by_id = {_nbgrader(c).get("grade_id"): c for c in release.cells}
    for gid in missing:
        report.rows.append(Row(gid, _points(by_id[gid]), "MISSING",
                               "this test cell is not in your notebook: it scores 0 at grading"))
    return report


def format_report(report: Report, shown_path: str) -> str:
    rows = report.rows
    name_w = max([len("exercise")] + [len(r.grade_id) for r in rows])
    lines = [f"{shown_path}: run as the grader runs it (a fresh kernel, test cells as released, "
             f"at most {report.timeout} s per cell)", ""]
    lines.append(f"  {'exercise':<{name_w}}  points  {'result':<7}  diagnosis")
    for r in rows:
        points = f"{r.points:g}"
        lines.append(f"  {r.grade_id:<{name_w}}  {points:>6}  {r.result:<7}  {r.diagnosis}".rstrip())
    tests = [r for r in rows if r.result in ("passed", "FAILED", "MISSING")]
    passed = [r for r in tests if r.result == "passed"]
    written = [r for r in rows if r.result in ("EMPTY", "written")]
    empty = [r for r in written if r.result == "EMPTY"]
    lines.append("")
    lines.append(f"  Tests: {len(passed)} of {len(tests)} passed "
                 f"({sum(r.points for r in passed):g} of {sum(r.points for r in tests):g} points).")
    if written:
        lines.append(f"  Written answers: {len(written) - len(empty)} of {len(written)} written "
                     f"({sum(r.points for r in written):g} points, graded by hand).")
    if report.edited:
        lines.append(f"  You changed the read-only cell(s) {', '.join(report.edited)}; they ran as "
                     "released, as they will at grading.")
    if report.ok:
        lines.append("  All done. Grading runs these tests again together with hidden ones on other "
                     "inputs, so a correct function is what counts.")
    else:
        lines.append("  Not done yet. Fix the first FAILED row first: later exercises may build on it.")
    return "\n".join(lines)


# --- finding the notebooks --------------------------------------------------------------------

def release_for(path: Path, root: Path) -> Path:
    """The released exercise a working copy was started from: exercises/<assignment>/<name>,
    where <assignment> is the folder the notebook is in (work/<assignment>/<name>.ipynb)."""
    return root / "exercises" / path.parent.name / path.name


def working_copies(root: Path) -> list[Path]:
    """Every notebook in work/<assignment>/ for an assignment that exists in exercises/
    (backups made by ``start --reset`` are not assignments and are skipped)."""
    work = root / "work"
    if not work.is_dir():
        return []
    found = []
    for folder in sorted(p for p in work.iterdir() if p.is_dir()):
        if (root / "exercises" / folder.name).is_dir():
            found += sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    return found


def _notebooks(args: list[str], root: Path) -> list[Path]:
    found = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            found += sorted(p for p in path.glob("*.ipynb") if not p.name.startswith("."))
        else:
            found.append(path)
    return [p.resolve() for p in found]


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"{course_command()} check",
        description="Run exercise notebooks as the grader will and list what fails.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check")
    check.add_argument("--root", type=Path, default=Path.cwd(), help="the course folder")
    check.add_argument("notebooks", nargs="*", help="notebooks or folders (default: work/*/)")
    args = parser.parse_args(argv)

    root = args.root.resolve()
    notebooks = _notebooks(args.notebooks, root) if args.notebooks else working_copies(root)
    if not notebooks:
        where = "there" if args.notebooks else f"in {_shown(root / 'work', root)}/"
        available = sorted(p.name for p in (root / "exercises").glob("*") if p.is_dir())
        print(f"No exercise notebook {where} to check. Start an exercise with "
              f"`{course_command()} start {available[0] if available else '<assignment>'}`"
              + (f" (exercises: {', '.join(available)})." if available else "."))
        return 2
    config = course_config(root)
    columns = shutil.get_terminal_size((120, 24)).columns
    status = 0
    for path in notebooks:
        release = release_for(path, root)
        if not path.is_file():
            print(f"{path}: no such notebook.")
            status = 2
            continue
        if not release.is_file():
            print(f"{_shown(path, root)}: no released exercise at {_shown(release, root)} to take "
                  f"the test cells from. Check a notebook in work/<assignment>/ "
                  f"(made by `{course_command()} start <assignment>`).")
            status = 2
            continue
        report = check_notebook(path, release, config, columns)
        print(format_report(report, _shown(path, root)), end="\n\n", flush=True)
        if not report.ok and status == 0:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
