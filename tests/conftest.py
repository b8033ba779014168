"""Fixtures for the grading-pipeline tests: a throwaway copy of the course, run by real nbgrader."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
# Helper modules in tests/ (students_stage1, ...) import as plain modules under any --import-mode.
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

# --- running in parallel (pytest-xdist: `course.py test` passes -n 2 --dist loadgroup) ------------
# Tests run on two workers. The files of a group below run on one worker, one test after
# another; every other test is scheduled on its own, to whichever worker is free.
# - "grading": everything that runs the grading sandbox or makes system users. Sandboxes run as
#   uid 61000 + slot and every grading run uses slots 0, 1, ...: two runs at once on two workers
#   would share uids, and RLIMIT_NPROC would count each other's processes; useradd/groupadd
#   lock /etc/passwd. Their module-scoped grading runs also happen once this way.
# - "course": the users of the session-scoped `generated_course` and `pipeline` (one nbgrader
#   pipeline run for the session, not one per worker).
# - "browser": one JupyterLab and one Chromium for the module.
XDIST_GROUPS = {
    "grading": ("test_classgrade.py", "test_report.py", "test_hostile.py", "test_exchange.py",
                "test_sandbox.py"),
    "course": ("test_pipeline.py", "test_pipeline_noise.py", "test_exercises_in_sync.py"),
    "browser": ("test_browser.py",),
}
_GROUP_OF = {name: group for group, names in XDIST_GROUPS.items() for name in names}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """For --dist loadgroup: the groups above, by file. (xdist's own loadgroup reads
    @pytest.mark.xdist_group through Item._nodeid, which pytest 9.2 no longer has: its groups
    would silently fall apart.) Larger groups are handed out first."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class CourseGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            group = _GROUP_OF.get(nodeid.split("::", 1)[0].rsplit("/", 1)[-1])
            return f"group:{group}" if group else nodeid

    return CourseGroups(config, log)


# Browser screenshots: the folder is named at the end of pytest's report, also when the browser
# tests ran on an xdist worker (whose own terminal summary nobody sees).
_SCREENSHOT_FOLDERS: list[str] = []


def note_screenshots(folder: Path) -> None:
    _SCREENSHOT_FOLDERS.append(str(folder))


def pytest_sessionfinish(session):
    if hasattr(session.config, "workeroutput"):         # an xdist worker: tell the controller
        session.config.workeroutput["bpkit_screenshots"] = list(_SCREENSHOT_FOLDERS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    _SCREENSHOT_FOLDERS.extend(getattr(node, "workeroutput", {}).get("bpkit_screenshots", []))


def pytest_terminal_summary(terminalreporter, config):
    if hasattr(config, "workerinput"):
        return
    for folder in _SCREENSHOT_FOLDERS:
        shots = sorted(Path(folder).glob("*.png"))
        if shots:
            terminalreporter.write_sep("-", "browser screenshots")
            terminalreporter.write_line(f"{len(shots)} screenshot(s) in {folder}")


# What nbgrader itself skips when copying an assignment (CourseDirectory.ignore), plus dotfiles.
IGNORED = shutil.ignore_patterns(".*", "__pycache__", "*.pyc", "feedback")


def assignments() -> list[str]:
    """The assignments of the course: the folders of solutions/, as `course.py generate` sees them."""
    return sorted(p.name for p in (REPO / "solutions").iterdir()
                  if p.is_dir() and not p.name.startswith("."))


def run_nbgrader(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `nbgrader *args` as an instructor would, with the venv's bin/ first on PATH
    (gradebook creation shells out to `alembic`). Never raises on a non-zero exit code."""
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ)
    env["PATH"] = str(bin_dir) + os.pathsep + env.get("PATH", "")
    # Only the course's nbgrader_config.py, never a stray one in the user's ~/.jupyter.
    env["JUPYTER_CONFIG_DIR"] = str(cwd / ".jupyter-config")
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def must(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, (
        f"`nbgrader {' '.join(result.args[3:])}` exited {result.returncode}:\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return result


@pytest.fixture(scope="session")
def nbgrader():
    """`nbgrader(*args, cwd=...)` runs the nbgrader CLI; see run_nbgrader."""
    return run_nbgrader


@pytest.fixture(scope="session")
def generated_course(tmp_path_factory) -> Path:
    """A temporary copy of the course (nbgrader_config.py + solutions/) in which every
    assignment has been generated with `nbgrader generate_assignment <name> --force`,
    exactly as `python3 course.py generate` does in the repository."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions", root / "solutions", ignore=IGNORED)
    for name in assignments():
        must(run_nbgrader("generate_assignment", name, "--force", cwd=root))
    return root


@pytest.fixture(scope="session")
def pipeline(generated_course, tmp_path_factory) -> dict:
    """Every assignment's simulated students autograded, exported and given feedback, with real
    nbgrader, in `generated_course` (see tests/test_pipeline.py): {students module: Graded}."""
    from test_pipeline import grade_every_assignment
    return grade_every_assignment(generated_course, run_nbgrader, tmp_path_factory.mktemp("elsewhere"))
