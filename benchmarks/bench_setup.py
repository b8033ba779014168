"""How long a student's first `python3 course.py setup` takes, from a fresh clone.

    python3 benchmarks/bench_setup.py                 both routes, uv then pip
    python3 benchmarks/bench_setup.py --route uv      one route only
    python3 benchmarks/bench_setup.py --keep          leave the clones in the temporary folder

Each route clones the repository's committed state (git clone, so uncommitted edits are not
measured) into a temporary folder and runs setup there with nothing cached: a temporary HOME,
UV_CACHE_DIR, PIP_CACHE_DIR and XDG_CACHE_HOME, and pip reading no configuration files and no
PIP_*INDEX*/PIP_FIND_LINKS variables, so it downloads from PyPI as on a student's machine. The
pip route makes uv unavailable the way a machine without a uv wheel would (a pip constraint no
uv release satisfies). Afterwards it checks the environment works, times a second run (nothing
to do), and prints the seconds. Needs the network; takes one to two minutes per route.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHECK = "import bpkit, nbgrader, jupyterlab, ipywidgets, playwright"


def _clean_env(tmp: Path, route: str) -> dict[str, str]:
    """A machine that has never installed anything: empty caches, pip configured for PyPI only."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("PIP_") and ("INDEX" in k or "FIND_LINKS" in k))
           and not k.startswith("UV_") and k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    home = tmp / "home"
    home.mkdir()
    env.update(HOME=str(home), XDG_CACHE_HOME=str(tmp / "cache"), UV_CACHE_DIR=str(tmp / "cache" / "uv"),
               PIP_CACHE_DIR=str(tmp / "cache" / "pip"), PIP_CONFIG_FILE=os.devnull)
    if route == "pip":
        no_uv = tmp / "no-uv.txt"
        no_uv.write_text("uv<0\n")               # pip finds no uv it may install
        env["PIP_CONSTRAINT"] = str(no_uv)
    return env


def _timed_setup(clone: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "course.py", "setup"], cwd=clone, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"setup failed (exit status {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout + done.stderr


def _check(clone: Path, env: dict[str, str]) -> None:
    bin_dir = clone / ".venv" / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bin_dir / "python"), "-c", CHECK], env=env, check=True)
    missing = [cmd for cmd in ("alembic", "jupyter-lab") if shutil.which(cmd, path=str(bin_dir)) is None]
    if missing:
        sys.exit(f"not in .venv's {bin_dir.name}/: {', '.join(missing)}")


def bench(route: str, keep: bool) -> float:
    tmp = Path(tempfile.mkdtemp(prefix=f"bpkit-bench-{route}-"))
    try:
        clone = tmp / "bpkit"
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
        env = _clean_env(tmp, route)
        first, log = _timed_setup(clone, env)
        _check(clone, env)
        again, _ = _timed_setup(clone, env)
        notes = [line for line in log.splitlines() if "instead" in line]
        print(f"{route:>3} route: first setup {first:5.1f} s, second {again:4.1f} s"
              + (f"  ({notes[0].strip()})" if notes else ""), flush=True)
        return first
    finally:
        if keep:
            print(f"    kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--route", choices=["uv", "pip", "both"], default="both")
    parser.add_argument("--keep", action="store_true", help="keep the temporary clones")
    args = parser.parse_args()
    print(f"first setup from a fresh clone of {REPO}, empty caches, Python {sys.version.split()[0]}")
    for route in (["uv", "pip"] if args.route == "both" else [args.route]):
        bench(route, args.keep)


if __name__ == "__main__":
    main()
