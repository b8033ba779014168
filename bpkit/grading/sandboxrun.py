"""Execute one notebook inside the grading sandbox: ``python -m bpkit.grading.sandboxrun``.

This is the program :func:`bpkit.grading.sandbox.run` starts in the sandbox (it is also runnable
anywhere for testing, with ``--input``/``--home``). It reads ``/input/job.json``::

    {"notebook": "<file name in /input>",
     "execute_config": {"Execute": {...}, "ExecutePreprocessor": {"timeout": 10, ...}, ...},
     "max_cell_output_bytes": 1000000}

copies every file of ``/input`` (except job.json, keeping subfolders) into
``/home/student/work``, and executes the notebook there with nbgrader's ``Execute`` preprocessor
configured from ``execute_config`` (a traitlets config dict, e.g. the course's nbgrader_config
values), with ``NBGRADER_EXECUTION=autograde`` as ``nbgrader autograde`` sets it. The output kept
per cell is capped at ``max_cell_output_bytes``: once a cell has printed more, its further outputs
are dropped and one stream output says so. Error outputs are never dropped (an error is what
fails a test cell in nbgrader's grading), only their value and traceback are clipped.

Its answer is ONE JSON document written to a private copy of its stdout, taken before anything
else runs; fd 1 itself is pointed at stderr (as :func:`bpkit.grading.classworker.main` does), so
nothing the kernel writes to fd 1 can be mistaken for the answer::

    {"status": "executed", "notebook": <the executed notebook, nbformat v4 dict>, "seconds": 1.2}
    {"status": "error", "error": {"kind": "crashed", "type": "module.QualName",
                                  "message": "...", "traceback": "..."}, "seconds": 0.4}

A cell stopped by the per-cell timeout is a normal execution (nbgrader records the timeout as the
cell's error output); a kernel that dies (``os._exit``, a segfault, out of memory) ends the
execution with nbclient's ``DeadKernelError``, reported as ``crashed``. The exit status is 0
either way; a run that ends without an answer was killed from outside (see ``Result.killed``).

The process makes itself non-dumpable before starting the kernel, so the kernel (same uid) can
neither ptrace it nor open its file descriptors through /proc to write a forged answer. The
kernel can still kill it (same uid); the sandbox then ends without an answer, which the caller
reports as a crash.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

__all__ = ["main", "execute"]

JOB = "job.json"
PR_SET_DUMPABLE = 4


def _truncation_note(limit: int):
    from nbformat.v4 import new_output
    return new_output("stream", name="stderr",
                      text=f"[output truncated: this cell printed more than {limit} bytes]\n")


def _clip_error(out, limit: int) -> None:
    """Keep an error output (its name, always) but at most about ``limit`` bytes of its value
    and traceback."""
    half = max(limit // 2, 256)
    value = str(out.get("evalue", ""))
    if len(value) > half:
        out["evalue"] = value[:half] + " [truncated]"
    kept, size = [], 0
    for line in out.get("traceback", []):
        line = str(line)
        if size + len(line) > half:
            kept.append(line[:max(0, half - size)] + "\n[traceback truncated]")
            break
        kept.append(line)
        size += len(line)
    if "traceback" in out:
        out["traceback"] = kept


def _capped_execute_class():
    """nbgrader's Execute, keeping at most ``max_cell_output_bytes`` of output per cell."""
    from nbgrader.preprocessors import Execute
    from traitlets import Integer

    class CappedExecute(Execute):
        max_cell_output_bytes = Integer(
            1 << 20, help="Most bytes of output kept for one cell (JSON size of the outputs); "
                          "later outputs of that cell are dropped.").tag(config=True)

        def reset_execution_trackers(self) -> None:
            super().reset_execution_trackers()
            self._printed: dict[int, int] = {}

        @staticmethod
        def _size(msg) -> int:
            """About the size the message's output takes in the notebook (its text, its data)."""
            content = msg.get("content") or {}
            if isinstance(content.get("text"), str):    # a stream: by far the most common
                return len(content["text"])
            try:
                return len(json.dumps(content, default=str))
            except (TypeError, ValueError):             # pragma: no cover - kernel JSON is JSON
                return 0

        def output(self, outs, msg, display_id, cell_index):
            limit = self.max_cell_output_bytes
            if msg["msg_type"] == "error":
                # never dropped: an error is what fails a test cell in nbgrader's grading,
                # so a student's function must not hide one by printing a lot first
                out = super().output(outs, msg, display_id, cell_index)
                if out is not None:
                    _clip_error(out, limit)
                return out
            printed = self._printed.get(cell_index, 0)
            if printed > limit:
                return None                             # already truncated: dropped
            printed += self._size(msg)
            self._printed[cell_index] = printed
            if printed > limit:
                outs.append(_truncation_note(limit))
                return None
            return super().output(outs, msg, display_id, cell_index)

        def on_cell_executed(self, **kwargs):
            super().on_cell_executed(**kwargs)          # may add the reply's error (a timeout)
            for out in kwargs["cell"].get("outputs", []):
                if out.get("output_type") == "error":
                    _clip_error(out, self.max_cell_output_bytes)

        def _update_display_id(self, display_id, msg):
            # update_display_data replaces earlier outputs in place, outside output(): an update
            # larger than a whole cell's allowance is ignored.
            if self._size(msg) > self.max_cell_output_bytes:
                return
            super()._update_display_id(display_id, msg)

    return CappedExecute


def _error(kind: str, exc: BaseException) -> dict:
    return {"kind": kind, "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "message": str(exc), "traceback": traceback.format_exc()}


def _copy_input(source: Path, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    for base, dirs, files in os.walk(source):
        rel = Path(base).relative_to(source)
        (work / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            if rel == Path(".") and name == JOB:
                continue
            shutil.copyfile(Path(base) / name, work / rel / name)


def execute(source: Path, home: Path) -> dict:
    """Run the job in ``source`` (normally /input) in ``home/work``; return the answer."""
    started = time.perf_counter()
    try:
        import nbformat
        from nbgrader import utils
        from traitlets.config import Config

        job = json.loads((source / JOB).read_text(encoding="utf-8"))
        work = home / "work"
        _copy_input(source, work)
        nb = nbformat.read(work / job["notebook"], as_version=4)
        runner = _capped_execute_class()(config=Config(job.get("execute_config") or {}))
        if job.get("max_cell_output_bytes") is not None:
            runner.max_cell_output_bytes = int(job["max_cell_output_bytes"])
        resources = {"metadata": {"path": str(work)}}
        with utils.setenv(NBGRADER_EXECUTION="autograde"):
            nb, _ = runner(nb, resources)
        return {"status": "executed", "notebook": nb,
                "seconds": round(time.perf_counter() - started, 3)}
    except Exception as exc:                            # noqa: BLE001 - the answer reports it
        return {"status": "error", "error": _error("crashed", exc),
                "seconds": round(time.perf_counter() - started, 3)}


def _not_dumpable() -> None:
    """No core dumps, no ptrace and no /proc/<pid>/fd access for other processes of our uid."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):                   # pragma: no cover - not Linux
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute /input's notebook (in the sandbox).")
    parser.add_argument("--input", type=Path, default=Path("/input"))
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("HOME", "/home/student")))
    args = parser.parse_args(argv)

    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _not_dumpable()
    result = execute(args.input, args.home)
    json.dump(result, answer)
    answer.flush()
    answer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
