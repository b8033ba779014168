"""Every lesson, and an exercise's Validate button, in a real JupyterLab in headless Chromium.

The other notebook tests run the cells in a kernel; widgets are drawn by the browser, so only
a browser notices a widget that no longer renders or no longer responds. For every
lessons/*.ipynb (discovered by glob, so new lessons are covered as they land) this test:

* opens it in the course's JupyterLab (same settings overrides as `python3 course.py open`),
  clears the outputs and runs all cells;
* fails on any error output, on "Loading widget..." / "Error displaying widget" left on the
  page, and when a cell's widget views were sent but not all rendered;
* moves every slider (arrow key), clicks every button, toggles every checkbox, picks another
  option in every dropdown, and fails naming the lesson, the cell and the widget when nothing
  else in that widget's view (text, image bytes) changes;
* fails if JupyterLab asks "get notified about official Jupyter news?";
* saves a screenshot of the whole lesson: the folder is listed under "browser screenshots" at
  the end of pytest's report.

And for the first exercise notebook: a working copy with every answer cell filled from the
solution passes nbgrader's Validate button.

Runs on a temporary copy of the course (lessons/, exercises/, solutions/, nbgrader_config.py),
with Jupyter's config, runtime, settings and workspace folders and HOME all temporary: nothing
in the repository or the user's home is written. Needs Debian's /usr/bin/chromium and the
playwright package; without them the tests are skipped locally (with the reason) and fail in
CI (CI=true), where .ci/run installs chromium first.
"""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest

import browser_helpers
from conftest import note_screenshots
from browser_helpers import (alive, browser_missing, check_lesson, chromium, descendants,
                             exercise_widgets, in_ci, jupyter_lab, open_notebook, port_is_free,
                             processes_with, run_all)

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("lessons/*.ipynb"))
EXERCISES = sorted(p.relative_to(ROOT) for p in ROOT.glob("exercises/*/*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
VALIDATE_TIMEOUT = 180          # s: nbgrader runs the whole notebook in a fresh kernel


@pytest.fixture(scope="module", autouse=True)
def browser_available():
    reason = browser_missing()
    if reason and in_ci():
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")


# --------------------------------------------------------------------------- the working copy
_SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _is_answer(cell) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def correct_working_copy(exercise: Path, solution: Path):
    """The exercise notebook with each answer cell's source replaced by the solution's
    (matched by nbgrader grade_id), minus the ### BEGIN/END SOLUTION lines: what a student who
    got everything right would hand in."""
    nb, source = nbformat.read(exercise, as_version=4), nbformat.read(solution, as_version=4)
    answers = {_grade_id(c): c for c in source.cells if _is_answer(c)}
    missing = [_grade_id(c) for c in nb.cells if _is_answer(c) and _grade_id(c) not in answers]
    assert not missing, (f"{exercise.relative_to(ROOT)}: answer cells {missing} have no cell with "
                         f"the same grade_id in {solution.relative_to(ROOT)}; regenerate the "
                         f"exercises (python3 course.py generate)")
    for cell in nb.cells:
        if _is_answer(cell):
            lines = answers[_grade_id(cell)].source.splitlines()
            cell.source = "\n".join(line for line in lines if not _SOLUTION_MARKER.match(line))
    return nb


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A throwaway copy of the course: lessons, exercises, solutions and the nbgrader config
    (Validate reads it from the server's working directory, this folder)."""
    root = tmp_path_factory.mktemp("course")
    for folder in ("lessons", "exercises", "solutions"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, root / folder,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(ROOT / "nbgrader_config.py", root)
    return root


@pytest.fixture(scope="module")
def lab(course, tmp_path_factory):
    """The course's JupyterLab, for the whole module; afterwards its port must be free and
    every process it started gone."""
    with jupyter_lab(course, tmp_path_factory.mktemp("jupyter")) as server:
        yield server
    leftover = [pid for pid in server.pids if alive(pid)]
    assert not leftover and port_is_free(server.port), (
        f"JupyterLab left processes {leftover} / port {server.port} in use after stopping")


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()


@pytest.fixture(scope="module")
def browser(playwright, lab, tmp_path_factory):
    with chromium(playwright, tmp_path_factory.mktemp("browser")) as context:
        yield context


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    """The folder for the lessons' screenshots, named at the end of pytest's report (conftest)."""
    folder = tmp_path_factory.mktemp("browser-screenshots")
    note_screenshots(folder)
    print(f"\nbrowser screenshots go to {folder}")
    return folder


# --------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_renders_and_every_widget_responds(lesson, lab, browser, screenshots):
    shot = screenshots / (Path(lesson).stem + ".png")
    start = time.monotonic()
    print()
    problems = check_lesson(browser, lab, lesson, screenshot=shot,
                            report=lambda line: print(f"{lesson}: {line}"))
    print(f"{lesson}: checked in {time.monotonic() - start:.1f} s")
    assert not problems, (f"{len(problems)} problem(s) in the browser (screenshot: {shot}):\n"
                          + "\n".join(problems))


@pytest.mark.skipif(not EXERCISES, reason="no exercise notebooks")
def test_a_correct_working_copy_passes_validate(course, lab, browser):
    exercise = EXERCISES[0]
    solution = ROOT / "solutions" / exercise.relative_to("exercises")
    copy = course / "work" / exercise.relative_to("exercises")
    copy.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(correct_working_copy(ROOT / exercise, solution), copy)
    path = copy.relative_to(course).as_posix()
    page = browser.new_page()
    try:
        open_notebook(page, lab, path)
        page.locator(".jp-NotebookPanel-toolbar").get_by_role("button", name="Validate").click()
        dialog = page.locator(".jp-Dialog").filter(has_text="Validation Results")
        dialog.wait_for(timeout=VALIDATE_TIMEOUT * 1000)
        text = dialog.inner_text()
        passed = dialog.locator(".validation-success").count() == 1
        dialog.get_by_role("button", name="Ok").click()
    finally:
        page.close()
    assert passed and "passes all the tests" in text, (
        f"{path} (the exercise with every answer from {solution.relative_to(ROOT)}) does not "
        f"pass Validate; the dialog says:\n{text}")


def test_a_broken_widget_is_named_and_everything_stops(playwright, tmp_path, monkeypatch):
    """The checker on a lesson with three sliders: 'works' updates a label; 'broken' has a
    callback that raises; 'inert' has no callback, so moving it changes nothing else. The
    check must fail naming the lesson and the two bad sliders (with the traceback's last line
    for 'broken'), not 'works'; and the server, its kernel and the browser must be gone
    afterwards although the check failed."""
    monkeypatch.setattr(browser_helpers, "CHANGE_TIMEOUT", 3)    # 'inert' waits this long
    root = tmp_path / "course"
    (root / "lessons").mkdir(parents=True)
    code = ("import ipywidgets as W\n"
            "sliders = {name: W.FloatSlider(description=name) for name in ('works', 'broken', 'inert')}\n"
            "label = W.HTML('-')\n"
            "sliders['works'].observe(lambda change: setattr(label, 'value', str(change.new)), 'value')\n"
            "sliders['broken'].observe(lambda change: 1 / 0, 'value')    # the deliberate bug\n"
            "W.VBox([*sliders.values(), label])")
    # A widget inside an Output widget (as ipywidgets.interact makes): one view of the cell's
    # own, rendering another inside it; it works and must not be reported.
    nested = ("out = W.Output()\n"
              "with out:\n    display(W.HTML('inside an Output widget'))\n"
              "out")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code),
                                         nbformat.v4.new_code_cell(nested)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = "lessons/broken-widget.ipynb"
    nbformat.write(nb, root / path)

    with pytest.raises(AssertionError) as failure:
        with jupyter_lab(root, tmp_path / "jupyter") as server:
            with chromium(playwright, tmp_path / "browser") as context:
                page = context.new_page()
                open_notebook(page, server, path)
                problems = run_all(page, path)
                server_pids = [server.process.pid, *descendants(server.process.pid)]
                problems += exercise_widgets(page, path)[0]
                # Fail with the kernel still running and the page open: the clean-up is
                # left entirely to the two context managers.
                assert not problems, "\n".join(problems)
    message = str(failure.value)
    print(f"\nthe checker reported:\n{message}")
    broken = [line for line in message.splitlines() if "slider 'broken'" in line]
    inert = [line for line in message.splitlines() if "slider 'inert'" in line]
    assert broken and broken[0].startswith(f"{path} cell 0")
    assert "ZeroDivisionError: division by zero" in broken[0]      # the traceback's last line
    assert inert and "nothing else in the widget changed" in inert[0]
    assert "'works'" not in message and "cell 1" not in message
    assert len(server_pids) >= 2, "expected the server and the notebook's kernel to be running"
    assert not [pid for pid in server_pids if alive(pid)], "processes left after a failure"
    assert port_is_free(server.port)
    assert not processes_with(str(tmp_path / "browser")), "Chromium left running"
