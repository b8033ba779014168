#!/usr/bin/env python3
"""One entry point for the course: start and check exercises, open, test, regenerate.

    python3 course.py start 01 [--reset]    copy exercise 01 to work/01-…/, your own copy
                                            (--reset: start over; the old copy is kept)
    python3 course.py check [NOTEBOOK]      run your exercises as the grader will; list what
                                            fails (default: everything in work/)
    python3 course.py open [--no-browser]   set up, then open the course in JupyterLab
    python3 course.py test [pytest args]    set up, then run the whole test suite (on two
                                            workers; -n 0 for one)
    python3 course.py generate              (authors) regenerate exercises/ from solutions/
    python3 course.py student-release DEST  (instructors) a copy of the course without
                                            solutions/ or tests, for students
    python3 course.py grade ASSIGNMENT      (instructors) autograde every submission in
        [--jobs N] [--student ID] [--force]  submitted/ in parallel; resumes if interrupted
    python3 course.py report ASSIGNMENT     (instructors) the class report: scores, and the
                                            mistakes the checks diagnosed, as one HTML page
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
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".bpkit-install-stamp"


def _say(msg: str) -> None:
    print(f"[course] {msg}", flush=True)


# The course's matrices are small: BLAS threads cannot speed them up, and threads that wait
# on each other made a single product hundreds of times slower whenever other work shared the
# machine (another notebook, the test suite's second worker). One thread each, unless set.
ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _env() -> dict[str, str]:
    """The environment every child process runs in: the venv active, its bin/ on PATH, BLAS
    on one thread (unless the variables are set already)."""
    env = {**ONE_BLAS_THREAD, **os.environ}
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


def _fetch_uv() -> None:
    """pip install uv into .venv, output captured: if it fails, the caller's one note says so."""
    try:
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "uv"],
                       cwd=ROOT, env=_env(), capture_output=True, timeout=600)
    except (OSError, subprocess.SubprocessError):
        pass


def _get_uv() -> bool:
    """Put uv into .venv with pip (once); False when it can't be had (offline, no wheel)."""
    if not _uv().exists():
        _fetch_uv()
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


def _lab_settings() -> list[str]:
    """JupyterLab options that give the course's lab its own settings overrides.

    .jupyterlab-settings/overrides.json holds defaults for this course only (no "get notified
    about official Jupyter news?" prompt); a user's own settings still win over them, and
    nothing in the user's ~/.jupyter is touched. The browser tests start JupyterLab with the
    same options.
    """
    return [f"--LabApp.app_settings_dir={ROOT / '.jupyterlab-settings'}"]


def open_course(args: list[str]) -> int:
    setup()
    _say("starting JupyterLab; stop it with Ctrl-C")
    # Jupyter refuses to start as root unless told; in a container root is the usual user.
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return _run(BIN / "jupyter", "lab", "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.root_dir={ROOT}", *_lab_settings(), *as_root, *args, check=False)


# The suite runs on two pytest-xdist workers (tests/conftest.py says which tests share one);
# `-n 0` after `test` runs it in one process.
PYTEST_PARALLEL = ["-n", "2", "--dist", "loadgroup"]


def test(args: list[str]) -> int:
    setup()
    return _run(PYTHON, "-m", "pytest", *PYTEST_PARALLEL, *args, check=False)


def _assignments(folder: Path) -> list[str]:
    """The assignment folders in solutions/ or exercises/, sorted (01-…, 02-…)."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _me() -> str:
    """How this script is run on this system, for the commands it suggests."""
    return "py -3 course.py" if os.name == "nt" else "python3 course.py"


def _shown(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


# Never copied: editor and Python caches, nbgrader's per-student feedback.
_IGNORE = shutil.ignore_patterns(".*", "__pycache__", "*.pyc", "*.egg-info", "feedback")


def _replace_dir(new: Path, old: Path) -> None:
    """Put a copy of ``new`` where ``old`` is; ``old`` is removed only once the copy is whole."""
    staging, retired = old.with_name(f".{old.name}.new"), old.with_name(f".{old.name}.old")
    for leftover in (staging, retired):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(new, staging)
    if old.exists():
        old.rename(retired)
    staging.rename(old)
    shutil.rmtree(retired, ignore_errors=True)


def generate(args: list[str]) -> int:
    """Regenerate exercises/<assignment>/ from solutions/<assignment>/ for every assignment.

    nbgrader deletes exercises/<assignment>/ before writing it again, so a failure half-way
    (no `alembic` on PATH, a notebook it rejects) would lose the committed exercise. Everything
    is therefore generated in a temporary copy of the course; exercises/ and gradebook.db are
    replaced only when every assignment came out whole, and left untouched otherwise.
    """
    assignments = _assignments(ROOT / "solutions")
    if not assignments:
        _say("no solutions/ here (a student copy of the course?): nothing to generate")
        return 2
    setup()
    with tempfile.TemporaryDirectory(prefix="bpkit-generate-") as tmp:
        scratch = Path(tmp)
        shutil.copy2(ROOT / "nbgrader_config.py", scratch / "nbgrader_config.py")
        shutil.copytree(ROOT / "solutions", scratch / "solutions", ignore=_IGNORE)
        gradebook = ROOT / "gradebook.db"   # generate records each assignment's tests in it
        if gradebook.exists():
            shutil.copy2(gradebook, scratch / gradebook.name)
        for name in assignments:
            _say(f"generating exercises/{name} from solutions/{name}")
            code = _run(BIN / "nbgrader", "generate_assignment", name, "--force",
                        f"--CourseDirectory.root={scratch}", *args, check=False)
            if code:
                _say(f"nbgrader failed on {name} (exit status {code}); exercises/ is unchanged")
                return code
        missing = [n for n in assignments if not any((scratch / "exercises" / n).glob("*.ipynb"))]
        if missing:
            _say(f"nbgrader wrote no notebook for {', '.join(missing)}; exercises/ is unchanged")
            return 1
        for name in assignments:
            _replace_dir(scratch / "exercises" / name, ROOT / "exercises" / name)
        if (scratch / gradebook.name).exists():
            shutil.copy2(scratch / gradebook.name, ROOT / ".gradebook.db.new")
            os.replace(ROOT / ".gradebook.db.new", gradebook)
    return 0


def _assignment(arg: str) -> str | None:
    """The released assignment meant by ``arg``: its full name, a prefix, or its number (1, 01)."""
    names = _assignments(ROOT / "exercises")
    if arg in names:
        return arg
    matches = [n for n in names if n.startswith(arg)]
    if not matches and arg.isdigit():
        matches = [n for n in names if n.split("-")[0].isdigit() and int(n.split("-")[0]) == int(arg)]
    return matches[0] if len(matches) == 1 else None


def _unknown_assignment(arg: str) -> int:
    names = _assignments(ROOT / "exercises")
    print(f"No exercise called {arg!r}. The exercises are: {', '.join(names) or '(none)'}.")
    return 2


def start(args: list[str]) -> int:
    """Copy exercises/<assignment>/ to work/<assignment>/, the student's own (git-ignored) copy."""
    reset = "--reset" in args
    rest = [a for a in args if a != "--reset"]
    if len(rest) != 1 or rest[0].startswith("-"):
        names = _assignments(ROOT / "exercises")
        print(f"usage: {_me()} start ASSIGNMENT [--reset]   (exercises: {', '.join(names)})")
        return 2
    name = _assignment(rest[0])
    if name is None:
        return _unknown_assignment(rest[0])
    release, copy = ROOT / "exercises" / name, ROOT / "work" / name
    if copy.exists() and not reset:
        _say(f"your working copy of {name} is already there; open:")
        for nb in sorted(copy.glob("*.ipynb")):
            print(f"    {_shown(nb)}")
        _say(f"to start it over, run `{_me()} start {rest[0]} --reset` "
             "(your current copy is kept as a backup next to it)")
        return 0
    if copy.exists():
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = copy.with_name(f"{name}.backup-{stamp}")
        n = 1
        while backup.exists():
            n += 1
            backup = copy.with_name(f"{name}.backup-{stamp}-{n}")
        copy.rename(backup)
        _say(f"kept your previous copy as {_shown(backup)}/")
    shutil.copytree(release, copy, ignore=_IGNORE)
    _say(f"your working copy of {name} is ready; open it in JupyterLab (`{_me()} open`):")
    for nb in sorted(copy.glob("*.ipynb")):
        print(f"    {_shown(nb)}")
    _say(f"before you hand it in, run `{_me()} check`")
    return 0


def check(args: list[str]) -> int:
    """Run the working copies (or the notebooks named) as the grader will; list what fails."""
    targets = []
    for arg in args:
        path = Path(arg)
        if arg.startswith("-") or path.exists():
            targets.append(arg if arg.startswith("-") else str(path.resolve()))
        elif _assignment(arg):
            copy = ROOT / "work" / _assignment(arg)
            if not copy.is_dir():
                print(f"No working copy of {copy.name} yet: start it with "
                      f"`{_me()} start {arg}`.")
                return 2
            targets.append(str(copy))
        elif arg.endswith(".ipynb") or os.sep in arg or "/" in arg:
            print(f"No such notebook: {arg}")
            return 2
        else:
            return _unknown_assignment(arg)
    setup()
    return _run(PYTHON, "-m", "bpkit.coursework", "check", f"--root={ROOT}", *targets, check=False)


def _run_to_the_end(*cmd: str | Path) -> int:
    """Run a child that handles Ctrl-C itself (it gets the signal too): wait for it to finish
    cleanly instead of killing it, as subprocess.run would a quarter of a second later."""
    process = subprocess.Popen([str(c) for c in cmd], cwd=ROOT, env=_env())
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue


def _instructor_command(args: list[str], usage: str, module: str) -> int:
    if not args or args[0].startswith("-"):
        names = _assignments(ROOT / "exercises")
        print(f"usage: {_me()} {usage}   (assignments: {', '.join(names) or '(none)'})")
        return 2
    name = _assignment(args[0])
    if name is None:
        return _unknown_assignment(args[0])
    setup()
    return _run_to_the_end(PYTHON, "-m", module, name, f"--root={ROOT}", *args[1:])


def grade(args: list[str]) -> int:
    """Autograde every submission of an assignment with parallel workers (bpkit.grading.classgrade)."""
    return _instructor_command(args, "grade ASSIGNMENT [--jobs N] [--student ID] [--force]",
                               "bpkit.grading.classgrade")


def report(args: list[str]) -> int:
    """Write reports/<assignment>/index.html from the gradebook and the grading records."""
    return _instructor_command(args, "report ASSIGNMENT", "bpkit.grading.report")


# What a student-only copy of the course holds (those that exist), and what it must.
STUDENT_RELEASE = ["README.md", "LICENSE", "course.py", "pyproject.toml", "requirements-lock.txt",
                   "environment.yml", "nbgrader_config.py", ".gitignore", ".jupyterlab-settings",
                   "bpkit", "lessons", "exercises", "deploy"]   # deploy/: the class server's configs
STUDENT_RELEASE_NEEDS = ["course.py", "pyproject.toml", "nbgrader_config.py", "bpkit", "exercises"]
_NOT_FOR_STUDENTS = re.compile(
    r"\n?<!-- not in the student release -->.*?<!-- end: not in the student release -->\n?", re.S)


def student_readme(text: str) -> str:
    """README.md without its parts for instructors, authors and self-learners (each between
    ``<!-- not in the student release -->`` and ``<!-- end: not in the student release -->``)."""
    return _NOT_FOR_STUDENTS.sub("\n", text)


def student_release(args: list[str]) -> int:
    """Copy what students need into DEST: no solutions/, tests/, gradebook or .git."""
    if len(args) != 1 or args[0].startswith("-"):
        print(f"usage: {_me()} student-release DEST   (DEST: a new or empty folder)")
        return 2
    dest = Path(args[0]).resolve()
    if dest == ROOT or dest in ROOT.parents:
        print(f"{dest} holds this course: give a new folder elsewhere.")
        return 2
    if dest.exists() and any(dest.iterdir()):
        print(f"{dest} is not empty: give a new or empty folder.")
        return 2
    missing = [n for n in STUDENT_RELEASE_NEEDS if not (ROOT / n).exists()]
    if missing:
        print(f"This course lacks {', '.join(missing)}: nothing copied.")
        return 1
    dest.mkdir(parents=True, exist_ok=True)
    for name in STUDENT_RELEASE:
        src = ROOT / name
        if name == "README.md":
            (dest / name).write_text(student_readme(src.read_text(encoding="utf-8")), encoding="utf-8")
        elif src.is_dir():
            shutil.copytree(src, dest / name, ignore=_IGNORE)
        elif src.exists():
            shutil.copy2(src, dest / name)
    _say(f"student copy written to {dest}: {', '.join(sorted(p.name for p in dest.iterdir()))}")
    _say("publish it as its own repository, e.g. "
         f"`cd {dest} && git init && git add . && git commit -m 'Course release'`")
    return 0


def main(argv: list[str]) -> int:
    commands = {"open": open_course, "test": test, "generate": generate, "start": start,
                "check": check, "student-release": student_release,
                "grade": grade, "report": report,
                "setup": lambda args: setup() or 0, "lock": lock}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
