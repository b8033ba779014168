"""Run one student's submission the way ``nbgrader autograde`` runs it, without the gradebook.

The class grader (:mod:`bpkit.grading.classgrade`) starts N of these worker processes. Each one
reads a student id per line on stdin and, for every notebook of that student's submission,

1. *sanitizes* it with nbgrader's own ``Autograde.sanitize_preprocessors`` (outputs cleared,
   test cells restored from the gradebook, …) — reading a read-only **snapshot** of the
   gradebook, so workers never open the instructor's gradebook at all;
2. *executes* it with nbgrader's ``Execute`` preprocessor and the course's configuration (per-cell
   time limit, timeout message), in a scratch folder laid out as ``autograded/<student>/<a>/``
   would be (the submission's other files, then the assignment's own files from solutions/);
3. writes the executed notebook and a small JSON result to the run folder, and answers
   ``done <student>`` on its private protocol channel.

The worker does nothing else: scores, comments, late penalties and every gradebook write are
made by the single writer in the parent process, by nbgrader itself (a ``ReplayExecute`` step
takes the outputs from here). Because the worker is a plain command line, it can be wrapped
whole in a sandbox command, and its output is only data (notebooks and JSON) for the trusted
parent to read.

A kernel that dies (``os._exit``, a segfault, out of memory) is reported as ``crashed``; a
notebook that runs past its overall limit (every code cell at the per-cell limit, plus the
kernel's start) has its kernel killed and is reported as ``stopped``; a file that is not a
notebook is reported as ``not a notebook``. The worker itself carries on with the next job.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from bpkit.grading import record

__all__ = ["nbgrader_app", "submission_notebooks", "run_submission", "main"]

KERNEL_START_ALLOWANCE = 60      # seconds: nbclient's own default limit for a kernel to start


def nbgrader_app(root: Path, assignment: str, db_url: str | None = None, log_level: str = "INFO"):
    """An initialized ``nbgrader autograde`` application for ``assignment``, configured exactly
    as the command line would be from ``root`` (the user's and the course's nbgrader_config.py),
    its gradebook ``db_url`` replaced when given (the workers' snapshot)."""
    from nbgrader.apps import AutogradeApp

    here = os.getcwd()
    os.chdir(root)                  # nbgrader also reads ./nbgrader_config.py, as from the shell
    try:
        app = AutogradeApp()
        app.initialize([assignment, f"--CourseDirectory.root={root}", f"--log-level={log_level}"])
    finally:
        os.chdir(here)
    app.coursedir.assignment_id = assignment
    if db_url is not None:
        app.coursedir.db_url = db_url
    return app


def submission_notebooks(app, student: str) -> list[Path]:
    """The notebooks nbgrader would grade for ``student``: ``submitted/<student>/<a>/<nb>.ipynb``
    in sorted order (the gradebook decides later which of them belong to the assignment)."""
    folder = app.coursedir.format_path(app.coursedir.submitted_directory, student,
                                       app.coursedir.assignment_id)
    pattern = os.path.join(glob.escape(folder), app.coursedir.notebook_id + ".ipynb")
    return [Path(p) for p in sorted(glob.glob(pattern))]


def _known_notebooks(app) -> set[str]:
    """Names of the assignment's notebooks in the gradebook (nbgrader skips any other)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(app.coursedir.db_url, app.coursedir.course_id) as gb:
        try:
            return {nb.name for nb in gb.find_assignment(app.coursedir.assignment_id).notebooks}
        except MissingEntry:
            return set()


def _scratch_folder(app, student: str, scratch: Path) -> None:
    """Lay out ``scratch`` as nbgrader lays out autograded/<student>/<assignment>/ before it runs
    the notebooks: the submission's other files, then the assignment's files over them."""
    from nbgrader.utils import find_all_files

    cd, assignment = app.coursedir, app.coursedir.assignment_id
    submitted = cd.format_path(cd.submitted_directory, student, assignment)
    source = cd.format_path(cd.source_directory, ".", assignment)
    excluded = app.config.Autograde.get("exclude_overwriting", {}).get(assignment, [])
    excluded = {os.path.join(source, x) for x in excluded}
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for base, files in ((submitted, find_all_files(submitted, cd.ignore + ["*.ipynb"])),
                        (source, [f for f in find_all_files(source, cd.ignore + ["*.ipynb"])
                                  if f not in excluded])):
        for name in files:
            dest = scratch / os.path.relpath(name, base)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(name, dest)


def _error(kind: str, exc: BaseException) -> dict:
    return {"kind": kind, "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "message": str(exc), "traceback": traceback.format_exc()}


def _is_unreadable(exc: BaseException) -> bool:
    """Did nbformat fail to read the file as a notebook (not JSON, not the notebook schema)?"""
    from nbformat.reader import NotJSONError
    try:
        from jsonschema import ValidationError
    except ImportError:                         # pragma: no cover - nbformat depends on it
        ValidationError = ()
    return isinstance(exc, (NotJSONError, json.JSONDecodeError, UnicodeDecodeError, ValidationError))


class _Watchdog:
    """Kill the kernel of ``runner`` if the whole notebook runs past ``seconds``: the per-cell
    limit interrupts a loop, but a kernel that ignores interrupts would otherwise hold a worker."""

    def __init__(self, runner, seconds: float):
        self.fired = False
        self._runner = runner
        self._timer = threading.Timer(seconds, self._kill)
        self._timer.daemon = True

    def _kill(self) -> None:
        process = getattr(getattr(getattr(self._runner, "km", None), "provisioner", None), "process", None)
        if process is None or process.poll() is not None:
            return
        self.fired = True
        try:
            if hasattr(os, "killpg"):
                os.killpg(process.pid, signal.SIGKILL)   # the kernel leads its own session
            else:
                process.kill()
        except OSError:
            process.kill()

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()


class SandboxFailed(Exception):
    """A notebook's run ended without an executed notebook: ``kind`` is "crashed" or "stopped"."""

    def __init__(self, kind: str, cause: BaseException):
        super().__init__(f"{kind}: {cause}")
        self.kind, self.cause = kind, cause


def execute_config(converter) -> dict:
    """The configuration of nbgrader's Execute step as the course sets it (time limit, timeout
    message, kernel arguments …), as plain data for the run inside the sandbox."""
    from traitlets.config import Config

    config = converter.config
    keep = {}
    for section in ("Execute", "ExecutePreprocessor", "NotebookClient"):
        if section in config:
            keep[section] = {k: v for k, v in Config(config[section]).items()
                             if isinstance(v, (str, int, float, bool, list, dict, type(None)))}
    return json.loads(json.dumps(keep))


def _execute_sandboxed(nb, name: str, scratch: Path, converter, limit: float, slot: int):
    """Execute ``nb`` with the files of ``scratch`` inside the sandbox
    (:mod:`bpkit.grading.sandbox`); return the executed notebook, validated, or raise
    SandboxFailed. Everything that comes back is data from untrusted code: the grader's writer
    takes only outputs from it, and judges the graded test cells itself (:mod:`.record`)."""
    import nbformat
    from bpkit.grading import sandbox

    inbox = scratch.parent / "input"
    shutil.rmtree(inbox, ignore_errors=True)
    shutil.copytree(scratch, inbox)
    nbformat.write(nb, inbox / name)
    limits = sandbox.Limits(wall_seconds=limit, cpu_seconds=int(limit) + 1)
    (inbox / "job.json").write_text(json.dumps({
        "notebook": name, "execute_config": execute_config(converter),
        "max_cell_output_bytes": MAX_CELL_OUTPUT}), encoding="utf-8")
    try:
        # A Python built with shared libraries outside the system's paths needs its
        # LD_LIBRARY_PATH inside too (the sandbox's environment is otherwise fixed).
        keep = {k: os.environ[k] for k in ("LD_LIBRARY_PATH",) if os.environ.get(k)}
        result = sandbox.run([sandbox.python(), "-m", "bpkit.grading.sandboxrun"], inbox, limits,
                             slot, env=keep)
    finally:
        shutil.rmtree(inbox, ignore_errors=True)
    if result.killed == "wall":
        raise SandboxFailed("stopped", TimeoutError(
            f"the notebook ran past its overall limit of {limit:.0f} s and was stopped"))
    if result.killed == "output":
        raise SandboxFailed("crashed", RuntimeError(
            f"the notebook wrote more than {limits.output_bytes} bytes and was stopped"))
    try:
        answer = json.loads(result.stdout.decode("utf-8"))
        if answer.get("status") == "executed":
            executed = nbformat.from_dict(answer["notebook"])
            nbformat.validate(executed)
            return executed
        error = answer["error"]
        raise SandboxFailed(error.get("kind") if error.get("kind") in ("crashed", "stopped")
                            else "crashed", RuntimeError(str(error.get("message"))[:2000]))
    except SandboxFailed:
        raise
    except Exception as exc:                        # noqa: BLE001 - whatever came back is unusable
        why = result.stderr.strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
        raise SandboxFailed("crashed", RuntimeError(
            f"the sandboxed run gave no usable notebook ({type(exc).__name__}; {why[0][:300]})"))


MAX_CELL_OUTPUT = 1 << 20          # bytes of output kept per cell when run in the sandbox


def run_submission(app, student: str, out: Path, sandboxed: bool = False, slot: int = 0) -> dict:
    """Sanitize and execute every notebook of ``student``'s submission; write the executed
    notebooks into ``out/<student>/`` and return the result (also written as result.json).

    ``sandboxed``: each notebook runs in the sandbox (:mod:`.sandbox`), as user slot ``slot``;
    else in a kernel with this process's rights (``course.py grade --unsafe``). Either way a
    recording cell follows every graded test cell (:func:`.record.instrument`)."""
    import nbformat
    from nbgrader import utils
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    started = time.perf_counter()
    folder = out / student
    scratch = folder / "scratch"
    folder.mkdir(parents=True, exist_ok=True)
    result: dict = {"student": student, "notebooks": []}
    known = _known_notebooks(app)
    notebooks = [p for p in submission_notebooks(app, student) if p.stem in known]
    try:
        _scratch_folder(app, student, scratch)
    except OSError as exc:
        result["error"] = _error("error", exc)
        notebooks = []
    converter = Autograde(coursedir=app.coursedir, parent=app)
    converter.exporter = converter.exporter_class(parent=converter, config=converter.config)
    execute_class = next((p for p in converter.autograde_preprocessors
                          if isinstance(p, type) and issubclass(p, Execute)), Execute)
    for path in notebooks:
        entry: dict = {"notebook": path.stem}
        result["notebooks"].append(entry)
        t0 = time.perf_counter()
        try:                                        # 1. sanitize, as nbgrader's first pass does
            converter._sanitizing = True
            converter._init_preprocessors()
            resources = converter.init_single_notebook_resources(str(path))
            text, _ = converter.exporter.from_filename(str(path), resources=resources)
            (scratch / path.name).write_text(text, encoding="utf-8")
        except Exception as exc:                    # noqa: BLE001 - recorded, the next one runs
            entry.update(status="error", error=_error(
                "not a notebook" if _is_unreadable(exc) else "rejected", exc))
            break                                   # nbgrader stops at the first failing notebook
        nb = record.instrument(nbformat.read(scratch / path.name, as_version=4))
        runner = execute_class(parent=converter)
        cells = sum(c.cell_type == "code" for c in nb.cells)
        limit = (cells + 2) * (runner.timeout or 60) + KERNEL_START_ALLOWANCE
        try:                                        # 2. execute, as nbgrader's second pass does
            if sandboxed:
                nb = _execute_sandboxed(nb, path.name, scratch, converter, limit, slot)
            else:
                resources = {**resources, "metadata": {"path": str(scratch), "name": path.stem}}
                with _Watchdog(runner, limit) as watchdog, utils.setenv(NBGRADER_EXECUTION="autograde"):
                    try:
                        nb, _ = runner(nb, resources)
                    except Exception as exc:        # noqa: BLE001
                        raise SandboxFailed("stopped" if watchdog.fired else "crashed", exc) from exc
        except SandboxFailed as failed:
            entry.update(status="error", error=_error(failed.kind, failed.cause))
            entry["limit"] = limit
            break
        finally:
            entry["seconds"] = round(time.perf_counter() - t0, 3)
        executed = folder / f"{path.stem}.ipynb"
        nbformat.write(nb, executed)
        entry.update(status="executed", executed=str(executed))
    shutil.rmtree(scratch, ignore_errors=True)
    result["seconds"] = round(time.perf_counter() - started, 3)
    (folder / "result.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute submissions for the class grader.")
    parser.add_argument("--root", type=Path, required=True, help="the course folder")
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--snapshot", type=Path, required=True, help="read-only gradebook copy")
    parser.add_argument("--out", type=Path, required=True, help="where executed notebooks go")
    parser.add_argument("--unsafe", action="store_true",
                        help="run kernels with this process's rights, not in the sandbox")
    parser.add_argument("--slot", type=int, default=0, help="this worker's sandbox user slot")
    args = parser.parse_args(argv)

    # Answers go on a private copy of stdout; fd 1 becomes stderr, so nothing a kernel (which
    # inherits fd 1) prints can be mistaken for an answer.
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))     # clean up the kernel on terminate
    app = nbgrader_app(args.root.resolve(), args.assignment, f"sqlite:///{args.snapshot.resolve()}")
    print("ready", file=answers)
    for line in sys.stdin:
        student = line.strip()
        if not student:
            continue
        try:
            run_submission(app, student, args.out, not args.unsafe, args.slot)
        except Exception:                           # noqa: BLE001 - the parent records it
            traceback.print_exc()
        print(f"done {student}", file=answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
