#!/usr/bin/env python3
"""One entry point for the course: set up, open, test, regenerate exercises.

    python3 course.py open [--no-browser]   set up, then open the course in JupyterLab
    python3 course.py test [pytest args]    set up, then run the whole test suite
    python3 course.py generate              (authors) regenerate exercises/ from solutions/
    python3 course.py setup                 only create or update the virtual environment

Needs nothing but Python 3.10+ with pip. Every command creates (or reuses) a virtual
environment in .venv/ inside the repository, installs bpkit into it in editable mode, and
puts that environment's bin/ first on PATH, because nbgrader shells out to `alembic`.
Running a command twice is safe: the install is redone only when pyproject.toml changes.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".bpkit-install-stamp"


def _say(msg: str) -> None:
    print(f"[course] {msg}", flush=True)


def _env() -> dict[str, str]:
    """The environment every child process runs in: the venv active, its bin/ on PATH."""
    env = dict(os.environ)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONHOME", None)
    return env


def _run(*cmd: str | Path, check: bool = True) -> int:
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, env=_env(), check=check).returncode


def setup(extras: str = "test") -> None:
    """Create .venv if needed and (re)install bpkit when pyproject.toml or the extras changed."""
    if not PYTHON.exists():
        _say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest() + f" [{extras}]"
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    _say("installing bpkit and its dependencies (first run only; about a minute)")
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-e", f".[{extras}]" if extras else ".")
    STAMP.write_text(wanted)


def open_course(args: list[str]) -> int:
    setup()
    _say("starting JupyterLab; stop it with Ctrl-C")
    # Jupyter refuses to start as root unless told; in a container root is the usual user.
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return _run(BIN / "jupyter", "lab", "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.root_dir={ROOT}", *as_root, *args, check=False)


def test(args: list[str]) -> int:
    setup()
    return _run(PYTHON, "-m", "pytest", *args, check=False)


def generate(args: list[str]) -> int:
    """Regenerate exercises/<assignment>/ from solutions/<assignment>/ for every assignment."""
    setup()
    from_dir = ROOT / "solutions"
    assignments = sorted(p.name for p in from_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for name in assignments:
        _say(f"generating exercises/{name} from solutions/{name}")
        code = _run(BIN / "nbgrader", "generate_assignment", name, "--force", *args, check=False)
        if code:
            return code
    return 0


def main(argv: list[str]) -> int:
    commands = {"open": open_course, "test": test, "generate": generate,
                "setup": lambda args: setup() or 0}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
