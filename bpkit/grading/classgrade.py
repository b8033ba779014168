"""Grade a whole class in parallel: N workers run notebooks, one writer records them with nbgrader.

``python3 course.py grade ASSIGNMENT [--jobs N] [--student ID] [--force]`` runs this module in
the course's environment. The design follows from SQLite, which lets one process write at a
time, and from the cost of a submission, which is almost all kernel time:

* **Workers** (:mod:`bpkit.grading.classworker`, N processes, default one per core) sanitize and
  execute submissions in parallel, reading only a snapshot of the gradebook.
* **One writer** — this process — then grades each executed submission with nbgrader's own
  ``Autograde`` converter, exactly as ``nbgrader autograde --student ID --force`` would, except
  that its ``Execute`` step is :class:`ReplayExecute`, which takes the worker's outputs instead
  of running the kernel again. Every gradebook write (student, submission, scores, comments,
  late penalty) is nbgrader's, made one student at a time by one process: nothing to lock, and
  the scores are those of a serial ``nbgrader autograde`` by construction.
* For each student the writer then saves a **record** (``reports/<assignment>/records/<id>.json``):
  what happened (graded, timed out, crashed, not a notebook, …), the score of every graded cell,
  the check's diagnosis for every failing test cell (the first line of its AssertionError, which
  the course's checks write as ``<function>: <diagnosis>``), the test cells nbgrader found edited,
  and the written answers left empty. ``course.py report`` reads them.

A record is written only after nbgrader has committed the student, so an interrupted run loses
nothing: the next run skips every student whose record matches the hand-in (same files, same
timestamp) and grades the rest; ``--force`` grades everyone again.
"""
from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import logging
import os
import queue
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from nbgrader.preprocessors import Execute

from bpkit.coursework import _is_test
from bpkit.grading import record

__all__ = ["ReplayExecute", "grade_class", "record_path", "read_records", "main"]

REPORTS = "reports"
STATUSES = ("graded", "timed out", "crashed", "stopped", "not a notebook", "rejected", "error",
            "no notebook")
FAILED = {"crashed", "stopped", "not a notebook", "rejected", "error", "no notebook"}
EMPTY_ANSWER = "YOUR ANSWER HERE"
_CHANGED = re.compile(r"Attribute '(\w+)' for cell (\S+) has changed")


# --- the writer's Execute step ------------------------------------------------------------------

class ReplayExecute(Execute):
    """nbgrader's ``Execute`` step with the kernel run already done by a worker.

    Reads ``<executed_dir>/<student>/result.json`` and the executed notebook it names, checks it
    was made from the very notebook being graded (same cells, same sources), and copies every
    cell's outputs, execution count and metadata into it. If the worker's run failed (a dead
    kernel, …), raises that error again, so nbgrader handles the failure as it always does.
    """

    executed_dir = ""           # set by the writer before grading
    verdicts: dict = {}         # (student, notebook) -> {test grade_id: record.Verdict}

    def preprocess(self, nb, resources, km=None):
        import nbformat

        student, name = resources["nbgrader"]["student"], resources["nbgrader"]["notebook"]
        found = Path(self.executed_dir) / student / "result.json"
        result = json.loads(found.read_text(encoding="utf-8")) if found.exists() else {}
        entry = next((e for e in result.get("notebooks", []) if e["notebook"] == name), None)
        if entry is None:
            raise RuntimeError(f"no worker ran {student}/{name}.ipynb")
        if entry["status"] != "executed":
            raise WorkerError(entry["error"])
        executed = nbformat.read(entry["executed"], as_version=4)
        ran, dumps = record.strip(executed)
        mine = [(c.cell_type, c.source) for c in nb.cells]
        if mine != [(c.cell_type, c.source) for c in ran]:
            raise RuntimeError(f"the worker ran another version of {student}/{name}.ipynb")
        # Only outputs come from the run (untrusted: the student's code made them); every
        # cell's metadata, nbgrader's included, stays as the gradebook restored it.
        verdicts = {}
        for cell, done in zip(nb.cells, ran):
            if cell.cell_type != "code":
                continue
            cell.outputs, cell.execution_count = done.outputs, done.execution_count
            if _is_test(cell):
                md = cell.metadata["nbgrader"]
                verdicts[md["grade_id"]] = judged = _trusted_verdict(cell, dumps.get(md["grade_id"]))
                # A recording that is missing or unusable where the cell failed anyway is
                # explained by the failure (a name never defined, a cell stopped at the limit).
                # But where the kernel says the cell passed and the grader's own check says
                # not, something in the notebook changed how its checks judge: zero, and held.
                judged.tampered = not judged.passed and not _has_error(cell)
                if judged.tampered:
                    cell.outputs = [*cell.outputs, _error_output(judged.message)]
        self.verdicts[(student, name)] = verdicts
        return nb, resources


def _trusted_verdict(cell, outputs) -> "record.Verdict":
    """The verdict of a graded test cell from its recording, judged in this process (whether
    a failure counts as tampering, the caller decides: see ReplayExecute.preprocess)."""
    if outputs is None:
        return record.Verdict(False, "The grader found no recording of this cell's checks "
                              "(the kernel stopped before it, or the notebook was changed).")
    try:
        entries = record.parse_record(outputs)
    except record.RecordError as err:
        return record.Verdict(False, f"The grader could not read this cell's recording ({err}).")
    return record.verdict(cell.source, entries)


def _has_error(cell) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def _error_output(message: str):
    """An error output carrying the trusted check's diagnosis: nbgrader scores the cell 0."""
    import nbformat
    first = "The grader's own check (run outside your notebook) failed: "
    return nbformat.v4.new_output("error", ename="AssertionError", evalue=first + message,
                                  traceback=[f"AssertionError: {first}{message}"])


class WorkerError(Exception):
    """The error a worker met running a notebook, raised again in the writer."""

    def __init__(self, error: dict):
        super().__init__(f"{error['type'].rsplit('.', 1)[-1]}: {error['message']}")
        self.error = error


# --- records --------------------------------------------------------------------------------------

def record_path(root: Path, assignment: str, student: str) -> Path:
    return root / REPORTS / assignment / "records" / f"{student}.json"


def read_records(root: Path, assignment: str) -> dict[str, dict]:
    folder = root / REPORTS / assignment / "records"
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {}


def fingerprint(folder: Path) -> str:
    """A hash of every file handed in (names and bytes): a new hand-in is graded again."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _md(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_written(cell) -> bool:
    return bool(_md(cell).get("grade")) and bool(_md(cell).get("solution")) and cell.cell_type != "code"


def _kind(diagnosis: str, enames: list[str], in_answer: bool) -> str:
    """What sort of failure a test cell's is: the report counts only ``mistake`` as a mistake."""
    if "CellTimeoutError" in enames:
        return "timed out"
    if diagnosis.startswith("not answered yet") or "NotImplementedError" in enames:
        return "not answered"
    if in_answer:
        return "answer failed"
    return "mistake" if enames[:1] == ["AssertionError"] else "error"


def _cells(nb, timeout) -> tuple[dict, list[str], list[str]]:
    """From an autograded notebook: test grade_id -> {exercise, kind, diagnosis, message} for
    each failing test cell, the cells stopped at the time limit, the written answers left empty."""
    from bpkit.coursework import _errors, _is_answer, diagnosis

    failing, stopped, empty, answers = {}, [], [], []
    for index, cell in enumerate(nb.cells):
        md = _md(cell)
        if cell.cell_type == "code" and any(o.get("ename") == "CellTimeoutError" for o in _errors(cell)):
            stopped.append(md.get("grade_id") or f"cell {index + 1}")
        if _is_answer(cell):
            answers.append(cell)
        elif _is_test(cell):
            errors = _errors(cell)
            if errors:
                broken = [o for c in answers for o in _errors(c) if o.get("ename") != "NotImplementedError"]
                said = diagnosis(cell, answers, timeout, width=400)
                enames = [o.get("ename") for o in broken or errors]
                first = (broken or errors)[0]
                failing[md["grade_id"]] = {
                    "exercise": _md(answers[-1])["grade_id"] if answers else md["grade_id"],
                    "kind": _kind(said, enames, bool(broken)),
                    "diagnosis": said,
                    "message": first_message(first)}
            answers = []
        elif _is_written(cell) and cell.source.strip() in ("", EMPTY_ANSWER):
            empty.append(md["grade_id"])
    return failing, stopped, empty


def first_message(output) -> str:
    """The first line of an error output: the check's own diagnosis, "<function>: <what>"."""
    text = (output.get("evalue") or "").strip()
    return f"{output.get('ename', 'Error')}: {text.splitlines()[0][:400]}" if text else output.get("ename", "")


def _written_empty(path: Path) -> list[str] | None:
    """Written answers left empty in a hand-in nbgrader could not grade (None: unreadable)."""
    import nbformat
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:                               # noqa: BLE001 - not a notebook
        return None
    return [_md(c)["grade_id"] for c in nb.cells if _is_written(c)
            and c.source.strip() in ("", EMPTY_ANSWER)]


def _grades(app, student: str) -> dict[str, dict]:
    """notebook -> grade_id -> {score, max, auto, manual_needed} from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    out: dict[str, dict] = {}
    with Gradebook(app.coursedir.db_url, app.coursedir.course_id) as gb:
        try:
            submission = gb.find_submission(app.coursedir.assignment_id, student)
        except MissingEntry:
            return out
        for nb in submission.notebooks:
            out[nb.name] = {g.name: {"score": g.score, "max": g.max_score, "auto": g.auto_score,
                                     "needs_manual_grade": bool(g.needs_manual_grade)}
                            for g in nb.grades}
    return out


class _Capture(logging.Handler):
    """Keeps the records nbgrader logs while it grades one student."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


# --- the writer -----------------------------------------------------------------------------------

def grade_student(app, student: str, executed_dir: Path, fp: str) -> dict:
    """Grade ``student`` with nbgrader's converter (the worker's outputs replayed) and return the
    record, saved once nbgrader has committed the student to the gradebook.

    The record: ``status`` (one of STATUSES), ``error`` (why it failed to run), ``timeout``,
    and per notebook ``grades`` (grade_id -> score, max, auto, needs_manual_grade, from the
    gradebook), ``failing`` (test grade_id -> exercise, kind, diagnosis, message), ``stopped``
    (cells stopped at the time limit), ``empty`` (written answers left empty; None if the file
    is not a notebook) and ``tampered`` (cell -> the attributes nbgrader found changed).
    """
    import nbformat
    from nbgrader.converters import NbGraderException

    started = time.perf_counter()
    worker = executed_dir / student / "result.json"
    result = json.loads(worker.read_text(encoding="utf-8")) if worker.exists() else {}
    capture = _Capture()
    app.log.addHandler(capture)
    ReplayExecute.executed_dir = str(executed_dir)
    app.coursedir.student_id = student
    ok = True
    try:
        _converter(app).start()
    except NbGraderException:
        ok = False
    finally:
        app.log.removeHandler(capture)
    cd, assignment = app.coursedir, app.coursedir.assignment_id
    autograded = Path(cd.format_path(cd.autograded_directory, student, assignment))
    submitted = Path(cd.format_path(cd.submitted_directory, student, assignment))
    timeout = Execute(parent=app).timeout
    notebooks: dict[str, dict] = {}
    current = None
    for rec in capture.records:                      # nbgrader's warnings, notebook by notebook
        message = rec.getMessage()
        if message.startswith("Sanitizing "):
            current = Path(message.split(" ", 1)[1]).stem
        found = _CHANGED.search(message)
        if found and current:
            tampered = notebooks.setdefault(current, {}).setdefault("tampered", {})
            tampered.setdefault(found.group(2), []).append(found.group(1))
    for (who, name), verdicts in list(ReplayExecute.verdicts.items()):
        if who != student:
            continue
        del ReplayExecute.verdicts[(who, name)]
        nb_entry = notebooks.setdefault(name, {})
        nb_entry["trusted"] = {gid: {"passed": v.passed, "tampered": v.tampered} for gid, v in verdicts.items()}
        nb_entry.setdefault("flags", []).extend(
            {"cell": gid, "line": 0, "code": "",
             "kind": "changed the grader's recording",
             "why": f"the grader could not trust what this test cell recorded: {v.message[:300]}"}
            for gid, v in verdicts.items() if v.tampered)
    for path in sorted(submitted.glob("*.ipynb")):
        found = _flags(path, Path(cd.format_path(cd.release_directory, ".", assignment)) / path.name)
        if found:
            notebooks.setdefault(path.stem, {}).setdefault("flags", []).extend(found)
    held = any(nb.get("flags") for nb in notebooks.values())
    if held and ok:
        _hold(app, student)
    for name, grades in _grades(app, student).items():
        notebooks.setdefault(name, {})["grades"] = grades
    errors = [e for e in result.get("notebooks", []) if e.get("status") == "error"]
    error = errors[0]["error"] if errors else result.get("error")
    for path in sorted(submitted.glob("*.ipynb")):
        entry = notebooks.setdefault(path.stem, {})
        entry.setdefault("tampered", {})
        done = autograded / path.name
        if ok and done.exists():
            entry["failing"], entry["stopped"], entry["empty"] = _cells(
                nbformat.read(done, as_version=4), timeout)
        else:
            entry.update(failing={}, stopped=[], empty=_written_empty(path))
    stopped = any(nb.get("stopped") for nb in notebooks.values())
    if ok:
        status, why = ("timed out" if stopped else "graded"), None
    elif error:
        status, why = error["kind"], error["message"]
    else:
        unreadable = any(nb.get("empty", []) is None for nb in notebooks.values())
        messages = [r.getMessage() for r in capture.records if r.levelno >= logging.ERROR]
        status = "not a notebook" if unreadable else "error"
        why = messages[0] if messages else "nbgrader could not grade it"
    record = {"student": student, "assignment": assignment, "fingerprint": fp, "status": status,
              "error": why, "timeout": timeout, "held": held, "graded_at": time.strftime("%Y-%m-%d %H:%M:%S"),
              "execute_seconds": result.get("seconds"),
              "grade_seconds": round(time.perf_counter() - started, 3), "notebooks": notebooks}
    _write_json(record_path(Path(cd.root), assignment, student), record)
    return record


def _flags(path: Path, release: Path) -> list[dict]:
    """What the static scan (:mod:`.flags`) finds in a handed-in notebook, as record entries.
    Only the release's own test cells are skipped (nbgrader restores those), whatever the
    hand-in's metadata claims."""
    import nbformat
    from bpkit.grading import flags

    try:
        nb = nbformat.read(path, as_version=4)
        released = nbformat.read(release, as_version=4) if release.exists() else None
    except Exception:                               # noqa: BLE001 - not a notebook: nothing ran
        return []
    tests = None if released is None else {_md(c)["grade_id"] for c in released.cells if _is_test(c)}
    return [{"cell": f.cell, "line": f.line, "code": f.code, "kind": f.kind, "why": f.why}
            for f in flags.scan_notebook(nb, test_cells=tests)]


def _hold(app, student: str) -> None:
    """Hold a flagged submission for the instructor: every autograded cell of it is marked as
    needing a manual grade (formgrader lists it; its score is not final until reviewed)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(app.coursedir.db_url, app.coursedir.course_id) as gb:
        try:
            submission = gb.find_submission(app.coursedir.assignment_id, student)
        except MissingEntry:
            return
        for nb in submission.notebooks:
            for grade in nb.grades:
                grade.needs_manual_grade = True
        gb.db.commit()


def _converter(app):
    """nbgrader's Autograde converter for the app's current student, as ``--force`` makes it."""
    from nbgrader.converters import Autograde
    return Autograde(coursedir=app.coursedir, parent=app, force=True)


# --- workers --------------------------------------------------------------------------------------

@dataclass
class _Worker:
    process: subprocess.Popen
    lines: "queue.Queue[str | None]"


def _start_worker(root: Path, assignment: str, snapshot: Path, out: Path, log, slot: int = 0,
                  unsafe: bool = False) -> _Worker:
    cmd = [sys.executable, "-m", "bpkit.grading.classworker", f"--root={root}",
           f"--assignment={assignment}", f"--snapshot={snapshot}", f"--out={out}", f"--slot={slot}"]
    if unsafe:
        cmd.append("--unsafe")
    # Its own session: Ctrl-C reaches this process only, which then stops workers in order.
    process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                               text=True, bufsize=1, start_new_session=os.name != "nt")
    lines: queue.Queue = queue.Queue()

    def pump():
        for line in process.stdout:
            lines.put(line.strip())
        lines.put(None)
    threading.Thread(target=pump, daemon=True).start()
    return _Worker(process, lines)


def _stop(worker: _Worker) -> None:
    if worker.process.poll() is None:
        worker.process.terminate()
        try:
            worker.process.wait(10)
        except subprocess.TimeoutExpired:
            worker.process.kill()


def _run_workers(jobs: int, students: list[str], start, backstop: float, done: queue.Queue,
                 stop: threading.Event, live: list) -> list[threading.Thread]:
    """N threads, each feeding students to its worker process and putting (student, problem)
    into ``done`` when the worker answers; a worker silent for ``backstop`` seconds is replaced."""
    todo: queue.Queue = queue.Queue()
    for student in students:
        todo.put(student)

    def begin(slot: int) -> _Worker:
        worker = start(slot)
        live.append(worker)
        return worker

    def feed(slot: int):
        worker = begin(slot)
        try:
            while not stop.is_set():
                try:
                    student = todo.get_nowait()
                except queue.Empty:
                    return
                problem = None
                try:
                    worker.process.stdin.write(student + "\n")
                    worker.process.stdin.flush()
                    while True:
                        line = worker.lines.get(timeout=backstop)
                        if line is None:
                            problem = "the grading worker exited"
                            break
                        if line == f"done {student}":
                            break
                except (queue.Empty, OSError) as exc:
                    problem = ("the grading worker stopped answering" if isinstance(exc, queue.Empty)
                               else f"the grading worker could not be reached ({exc})")
                if problem:
                    _stop(worker)
                    worker = begin(slot)
                done.put((student, problem))
        finally:
            _stop(worker)

    threads = [threading.Thread(target=feed, args=(slot,), daemon=True) for slot in range(max(1, jobs))]
    for t in threads:
        t.start()
    return threads


# --- progress -------------------------------------------------------------------------------------

def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """A one-line bar with count and ETA on a terminal; a plain line every 10 % otherwise."""

    def __init__(self, total: int, stream=None, width: int = 28):
        self.total, self.done, self.width = total, 0, width
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.start = time.perf_counter()
        self._shown = -1

    def line(self) -> str:
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * (self.total - self.done) if self.done else None
        fill = int(self.width * self.done / self.total) if self.total else self.width
        return (f"[{'#' * fill}{'.' * (self.width - fill)}] {self.done}/{self.total} "
                f"elapsed {_clock(elapsed)}  ETA {_clock(eta) if eta is not None else '?'}")

    def step(self, note: str = "") -> None:
        self.done += 1
        if self.tty:
            text = self.line() + (f"  {note}" if note else "")
            columns = shutil.get_terminal_size((100, 20)).columns
            self.stream.write("\r" + text[:columns - 1].ljust(columns - 1))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            tenth = self.done * 10 // max(self.total, 1)
            if tenth != self._shown or self.done == self.total:
                self._shown = tenth
                self.stream.write(self.line() + "\n")
        self.stream.flush()


# --- the whole class ------------------------------------------------------------------------------

def _snapshot(db_url: str, dest: Path) -> None:
    """A consistent copy of the gradebook for the workers (SQLite's online backup)."""
    source = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    target = sqlite3.connect(dest)
    with target:
        source.backup(target)
    source.close()
    target.close()


def students_of(app, pattern: str = "*") -> list[str]:
    """Students with a submission of the assignment (``submitted/<id>/<assignment>/``)."""
    cd = app.coursedir
    base = Path(cd.root) / cd.submitted_directory
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir()
                  if (p / cd.assignment_id).is_dir() and fnmatch.fnmatchcase(p.name, pattern))


def _lock(folder: Path):
    """Hold an exclusive lock on ``folder`` for this run (POSIX; released when the process ends)."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / ".grading.lock", "w")
    try:
        import fcntl
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:
        pass
    except OSError:
        handle.close()
        return None
    return handle


def grade_class(root: Path, assignment: str, jobs: int | None = None, student: str = "*",
                force: bool = False, out=None, unsafe: bool = False) -> dict[str, dict]:
    """Grade every submission of ``assignment`` (or those matching ``student``) and return the
    records of the students graded in this run. See the module docstring. Student code runs in
    the sandbox (:mod:`.sandbox`); where none can be made this refuses, unless ``unsafe``."""
    from bpkit.grading.classworker import nbgrader_app, submission_notebooks

    out = out or sys.stdout
    if not unsafe:
        from bpkit.grading import sandbox
        why = sandbox.probe()
        if why is not None:
            raise SystemExit(
                f"Not grading: student code would run with your rights, because no sandbox can "
                f"be made here ({why}). Fix that, or pass --unsafe to grade anyway with every "
                f"submission able to read and change what you can.")
    root = root.resolve()
    jobs = jobs or os.cpu_count() or 1
    reports = root / REPORTS / assignment
    lock = _lock(reports)
    if lock is None:
        raise SystemExit(f"{assignment} is being graded by another `course.py grade` already.")
    log_path = reports / "grade.log"
    log_file = open(log_path, "a", encoding="utf-8")
    app = nbgrader_app(root, assignment)
    for handler in list(app.log.handlers):          # nbgrader's console log goes to grade.log
        app.log.removeHandler(handler)
    to_log = logging.StreamHandler(log_file)
    to_log.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s] %(message)s"))
    app.log.addHandler(to_log)
    app.log.setLevel(logging.INFO)
    app.log.propagate = False
    from nbgrader.converters import Autograde
    autograde = app.config.Autograde
    steps = list(autograde.get("autograde_preprocessors")
                 or Autograde.class_traits()["autograde_preprocessors"].default())
    autograde.autograde_preprocessors = [ReplayExecute if _is_execute(p) else p for p in steps]

    everyone = students_of(app, student)
    records = read_records(root, assignment)
    todo, skipped = [], []
    for sid in everyone:
        folder = Path(app.coursedir.format_path(app.coursedir.submitted_directory, sid, assignment))
        fp = fingerprint(folder)
        if not force and records.get(sid, {}).get("fingerprint") == fp:
            skipped.append(sid)
        else:
            todo.append((sid, fp))
    print(f"{assignment}: {len(everyone)} submission(s); grading {len(todo)} with "
          f"{min(jobs, max(len(todo), 1))} worker(s)"
          + (f", skipping {len(skipped)} already graded (--force grades them again)" if skipped else "")
          + f". nbgrader's log: {log_path.relative_to(root)}", file=out, flush=True)
    graded: dict[str, dict] = {}
    if not todo:
        log_file.close()
        lock.close()
        return graded
    fps = dict(todo)
    work = Path(tempfile.mkdtemp(prefix="bpkit-grade-"))
    stop, done, live = threading.Event(), queue.Queue(), []
    progress = Progress(len(todo), out)
    interrupted = False
    try:
        snapshot = work / "gradebook-snapshot.db"
        _snapshot(app.coursedir.db_url, snapshot)
        executed = work / "executed"
        executed.mkdir()
        backstop = _backstop(app)
        threads = _run_workers(jobs, [s for s, _ in todo],
                               lambda slot: _start_worker(root, assignment, snapshot, executed,
                                                          log_file, slot, unsafe),
                               backstop, done, stop, live)
        for _ in range(len(todo)):
            sid, problem = done.get()
            if problem:
                _write_json(executed / sid / "result.json", {"student": sid, "notebooks": [], "error": {
                    "kind": "error", "type": "RuntimeError", "message": problem, "traceback": ""}})
            if not submission_notebooks(app, sid):
                record = _no_notebook(app, sid, fps[sid])
            else:
                record = grade_student(app, sid, executed, fps[sid])
            shutil.rmtree(executed / sid, ignore_errors=True)
            graded[sid] = record
            progress.step(f"{sid}: {record['status']}")
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        stop.set()
        for worker in live:
            _stop(worker)
        shutil.rmtree(work, ignore_errors=True)
        log_file.flush()
    if interrupted:
        print(f"\nInterrupted: {len(graded)} of {len(todo)} graded and recorded. Run the same "
              "command again to grade the rest.", file=out, flush=True)
        raise SystemExit(130)
    print(summary(graded, progress, skipped), file=out, flush=True)
    log_file.close()
    lock.close()
    return graded


def _backstop(app) -> float:
    """Seconds after which a silent worker is taken for wedged and replaced. Its own watchdog
    kills a kernel after every code cell has had its time limit; this allows twice as many
    cells (students may add some), plus the worker's and the kernels' start."""
    import nbformat
    from bpkit.grading.classworker import KERNEL_START_ALLOWANCE

    timeout = Execute(parent=app).timeout or 60
    release = Path(app.coursedir.format_path(app.coursedir.release_directory, ".", app.coursedir.assignment_id))
    cells = sum(c.cell_type == "code" for path in release.glob("*.ipynb")
                for c in nbformat.read(path, as_version=4).cells)
    notebooks = max(1, len(list(release.glob("*.ipynb"))))
    return (2 * cells + 4 * notebooks) * timeout + 2 * KERNEL_START_ALLOWANCE * notebooks + 300


def _is_execute(step) -> bool:
    if isinstance(step, str):
        step = step.rsplit(".", 1)[-1]
        return step == "Execute"
    return isinstance(step, type) and issubclass(step, Execute)


def _no_notebook(app, student: str, fp: str) -> dict:
    """A submission folder without any notebook: nbgrader skips it (no gradebook entry)."""
    record = {"student": student, "assignment": app.coursedir.assignment_id, "fingerprint": fp,
              "status": "no notebook", "error": "no .ipynb file in the submission",
              "timeout": None, "graded_at": time.strftime("%Y-%m-%d %H:%M:%S"), "notebooks": {}}
    _write_json(record_path(Path(app.coursedir.root), app.coursedir.assignment_id, student), record)
    return record


def summary(graded: dict[str, dict], progress: Progress, skipped: list[str]) -> str:
    """The one line printed at the end: graded, failed to run, timed out."""
    ok = [s for s, r in graded.items() if r["status"] == "graded"]
    late = [s for s, r in graded.items() if r["status"] == "timed out"]
    failed = [s for s, r in graded.items() if r["status"] in FAILED]
    timeout = next((r["timeout"] for r in graded.values() if r.get("timeout")), None)
    held = [s for s, r in graded.items() if r.get("held")]
    reasons = {}
    for s in failed:
        reasons.setdefault(graded[s]["status"], []).append(s)
    why = "; ".join(f"{k}: {', '.join(v[:5])}{' …' if len(v) > 5 else ''}" for k, v in reasons.items())
    if failed and graded[failed[0]].get("error"):    # the first one's reason, in a line
        why += f" — {failed[0]}: {graded[failed[0]]['error'].strip().splitlines()[-1][:200]}"
    return (f"Done in {_clock(time.perf_counter() - progress.start)}: {len(ok)} graded, "
            f"{len(failed)} failed to run{f' ({why})' if why else ''}, {len(late)} timed out"
            + (f" (a cell stopped after {timeout} s, the rest graded)" if late else "")
            + (f"; {len(skipped)} skipped, already graded" if skipped else "") + "."
            + (f" Flagged and held for your review: {', '.join(held[:8])}{' …' if len(held) > 8 else ''}"
               " (see `course.py report`)." if held else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="course.py grade", description="Autograde every submission of an assignment in parallel.")
    parser.add_argument("assignment")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course folder")
    parser.add_argument("--jobs", "-j", type=int, default=None,
                        help="worker processes (default: the number of cores)")
    parser.add_argument("--student", default="*", help="one student's id (or a pattern: 'a*')")
    parser.add_argument("--force", action="store_true", help="grade again those already graded")
    parser.add_argument("--unsafe", action="store_true",
                        help="run student code with your own rights when no sandbox can be made "
                             "(it can then read the solutions and change the gradebook)")
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    try:
        graded = grade_class(args.root, args.assignment, args.jobs, args.student, args.force,
                             unsafe=args.unsafe)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code)
            return 1
        raise
    return 1 if any(r["status"] in FAILED for r in graded.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
