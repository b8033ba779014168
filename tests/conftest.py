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
