#!/usr/bin/env python3
"""One entry point for the course: set up, open, test, regenerate exercises.

    python3 course.py open [--no-browser]   set up, then open the course in JupyterLab
    python3 course.py test [pytest args]    set up, then run the whole test suite
    python3 course.py generate              (authors) regenerate exercises/ from solutions/
    python3 course.py setup                 only create or update the virtual environment
    python3 course.py lock [--upgrade]      (authors) re-pin requirements-lock.txt after
                                            editing pyproject.toml's dependencies

Needs nothing but Python 3.10+ with pip. Every command creates (or reuses) a virtual
environment in .venv/ inside the repository and installs into it the exact versions pinned in
requirements-lock.txt, plus bpkit itself in editable mode. It installs with uv (put into .venv
by pip first: seconds instead of a minute) and falls back to plain pip, with a note, when uv
can't be had; both install the same pinned versions. Children run with that environment's bin/
first on PATH, because nbgrader shells out to `alembic`. Running a command twice is safe: the
install is redone only when pyproject.toml or the lock changes.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
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


LOCK_NAME = "requirements-lock.txt"
LOCK_HASH_PREFIX = "# pyproject.toml dependencies sha256: "
PYPI = "https://pypi.org/simple"


def _lock() -> Path:
    return ROOT / LOCK_NAME


def _uv() -> Path:
    return BIN / ("uv.exe" if os.name == "nt" else "uv")


def _pip(*args: str | Path) -> list[str | Path]:
    return [PYTHON, "-m", "pip", *args[:1], "--quiet", "--disable-pip-version-check", *args[1:]]


def dependency_lists(pyproject: str) -> dict[str, list[str]]:
    """requires-python, [project] dependencies and every optional-dependencies list, as written.

    A small reader for the plain layout of our pyproject.toml (tomllib arrives only in Python
    3.11); tests/test_lock.py checks it against tomllib.
    """
    found: dict[str, list[str]] = {}
    parts = re.split(r"^\[([^\[\]]+)\]\s*$", pyproject, flags=re.M)   # [_, table, body, ...]
    for table, body in zip(parts[1::2], parts[2::2]):
        table = table.strip()
        if table not in ("project", "project.optional-dependencies"):
            continue
        for key, value in re.findall(r'^([\w-]+)\s*=\s*("[^"]*"|\[(?:\s*"[^"]*"\s*,?)*\s*\])',
                                     body, flags=re.M):
            if table == "project" and key not in ("requires-python", "dependencies"):
                continue
            name = key if table == "project" else f"optional-dependencies.{key}"
            found[name] = re.findall(r'"([^"]*)"', value)
    return found


def dependency_hash(pyproject: str) -> str:
    """What the lock was resolved from: a hash of pyproject's dependency lists only."""
    return hashlib.sha256(json.dumps(dependency_lists(pyproject), sort_keys=True).encode()).hexdigest()


def _ensure_venv() -> None:
    if not PYTHON.exists():
        _say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)


def _get_uv() -> bool:
    """Put uv into .venv with pip (once); False when it can't be had (offline, no wheel)."""
    if not _uv().exists():
        _run(*_pip("install", "uv"), check=False)
    return _uv().exists()


def _pip_index_url() -> str | None:
    """The index pip is configured to use instead of PyPI (a mirror), which uv would not read."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"]
    try:
        out = subprocess.run([str(PYTHON), "-m", "pip", "config", "list"], capture_output=True,
                             text=True, env=_env(), timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.findall(r"^(?:global|install)\.index-url='([^']*)'$", out, flags=re.M)
    return found[-1] if found else None


def _install_with_uv(targets: list[str]) -> bool:
    if not _get_uv():
        _say("uv is not available here; installing with pip instead (slower, same versions)")
        return False
    index: list[str] = []
    if not (os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL")):
        url = _pip_index_url()          # a student's pip mirror serves uv too
        index = ["--index-url", url] if url else []
    code = _run(_uv(), "pip", "install", "--quiet", "--python", PYTHON, *index, *targets, check=False)
    if code:
        _say(f"uv failed (exit status {code}); installing with pip instead (slower, same versions)")
    return code == 0


def setup(extras: str = "test") -> None:
    """Create .venv if needed; install the lock and bpkit when pyproject.toml or the lock changed.

    The lock pins every package (for Linux, macOS and Windows, Python 3.10-3.13), so the
    course gets the same versions all semester, whichever installer runs.
    """
    _ensure_venv()
    pins = _lock()
    pinned = pins.read_bytes() if pins.exists() else b""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + pinned).hexdigest() + f" [{extras}]"
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    _say("installing bpkit and the pinned versions of its dependencies (first run only)")
    if not pins.exists():
        _say(f"{LOCK_NAME} is missing; installing the newest versions pyproject.toml allows")
    targets = (["-r", LOCK_NAME] if pins.exists() else []) + ["-e", f".[{extras}]" if extras else "."]
    if not _install_with_uv(targets):
        _run(*_pip("install", *targets))
    STAMP.write_text(wanted)


def lock(args: list[str]) -> int:
    """Re-pin requirements-lock.txt from pyproject.toml with uv (authors; needs the network).

    Resolves once for every platform and Python version the course supports (--universal, from
    pyproject's oldest Python up), from PyPI only, keeping current pins unless pyproject needs
    otherwise or `--upgrade` is given; then records dependency_hash(pyproject) in the lock so a
    test notices when the two drift apart.
    """
    _ensure_venv()
    if not _get_uv():
        _say("the lock is made with uv, and uv could not be installed into .venv")
        return 1
    pyproject = (ROOT / "pyproject.toml").read_text()
    oldest = re.fullmatch(r">=\s*(3\.\d+)", dependency_lists(pyproject)["requires-python"][0]).group(1)
    code = _run(_uv(), "pip", "compile", "pyproject.toml", "--all-extras", "--universal",
                "--python-version", oldest, "--no-config", "--index-url", PYPI, "--quiet",
                "--custom-compile-command", "python3 course.py lock", "-o", LOCK_NAME, *args,
                check=False)
    if code:
        return code
    lines = [line for line in _lock().read_text().splitlines() if not line.startswith(LOCK_HASH_PREFIX)]
    at = next(i for i, line in enumerate(lines) if not line.startswith("#"))   # after uv's header
    lines.insert(at, LOCK_HASH_PREFIX + dependency_hash(pyproject))
    _lock().write_text("\n".join(lines) + "\n")
    _say(f"wrote {LOCK_NAME}; the next setup installs it")
    return 0


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
                "setup": lambda args: setup() or 0, "lock": lock}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
