"""Grading a whole class: serial `nbgrader autograde` against `course.py grade --jobs 2`.

    .venv/bin/python benchmarks/bench_grading.py              110 submissions, 2 workers
    .venv/bin/python benchmarks/bench_grading.py --jobs 4 --correct 40 --keep

Builds a synthetic stage-1 class in a temporary copy of the course: correct students, one
submission per classic mistake of tests/students_stage1.py (MISTAKES and CALLS_BPKIT, each in a
notebook otherwise right), blank ones, two with test cells replaced, a few whose training loops
forever (stopped at the course's per-cell limit), a few that kill their kernel and one file that
is not a notebook. Two identical copies are graded, one by plain serial `nbgrader autograde`,
one by the class grader (`python -m bpkit.grading.classgrade`, what `course.py grade` runs);
then it checks both gradebooks hold the same scores, and prints wall seconds, seconds per
notebook, the speed-up, and the load average (other work on the machine slows both runs).

It also prints the CPU seconds each run used (every process it started, kernels included): on a
shared machine the wall-clock speed-up says as much about the neighbours as about the grader,
while the CPU cost does not depend on them. With N idle cores the wall-clock speed-up can
approach N × (serial CPU / parallel CPU).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import students_stage1 as s  # noqa: E402
import synthetic_class as sc  # noqa: E402

ASSIGNMENT, NOTEBOOK = "01-single-neuron", "single-neuron"


def synthetic_class(correct: int, blank: int, loops: int, crashes: int) -> dict[str, sc.Submission]:
    cast = sc.stage1_class(correct=correct, mistakes=None, blank=blank, loops=loops,
                           crashes=crashes, garbage=1, tampered=2)
    for k, (name, (gid, source, _)) in enumerate(s.CALLS_BPKIT.items()):
        cast[f"bpkit-{k + 1:03d}"] = sc.Submission({**s.CORRECT, gid: source}, {gid}, mistake=name)
    return cast


def scores(root: Path) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "bpkit") as gb:
        return {(sub.student.id, nb.name, g.name): (g.auto_score, g.max_score)
                for sub in gb.assignment_submissions(ASSIGNMENT)
                for nb in sub.notebooks for g in nb.grades}


def cpu() -> float:
    """CPU seconds used so far by the processes this one started and waited for (their own
    children, such as kernels, included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--correct", type=int, default=20)
    parser.add_argument("--blank", type=int, default=5)
    parser.add_argument("--loops", type=int, default=2)
    parser.add_argument("--crashes", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary courses")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        base = sc.make_course(tmp / "course", [ASSIGNMENT])
        cast = synthetic_class(args.correct, args.blank, args.loops, args.crashes)
        for name, sub in cast.items():
            sc.hand_in(base, ASSIGNMENT, NOTEBOOK, name, sub)
        serial, parallel = tmp / "serial", tmp / "parallel"
        shutil.copytree(base, serial)
        shutil.copytree(base, parallel)
        n = len(cast)
        print(f"{n} submissions ({args.correct} correct, {len(s.MISTAKES) + len(s.CALLS_BPKIT)} classic "
              f"mistakes, {args.blank} blank, 2 tampered, {args.loops} loops, {args.crashes} crashes, "
              f"1 not a notebook); {os.cpu_count()} cores; load average {load()}", flush=True)

        start, c0 = time.perf_counter(), cpu()
        done = sc.nbgrader(serial, "autograde", ASSIGNMENT)
        t_serial, c_serial = time.perf_counter() - start, cpu() - c0
        print(f"serial nbgrader autograde:     {t_serial:7.1f} s  {t_serial / n:.2f} s/notebook, "
              f"CPU {c_serial / n:.2f} s/notebook (exit {done.returncode}; load average now {load()})",
              flush=True)

        start, c0 = time.perf_counter(), cpu()
        done = subprocess.run([sys.executable, "-m", "bpkit.grading.classgrade", ASSIGNMENT,
                               f"--root={parallel}", f"--jobs={args.jobs}"], cwd=parallel,
                              env=sc.nbgrader_env(parallel), capture_output=True, text=True)
        t_parallel, c_parallel = time.perf_counter() - start, cpu() - c0
        print(f"course.py grade --jobs {args.jobs}:     {t_parallel:7.1f} s  {t_parallel / n:.2f} s/notebook, "
              f"CPU {c_parallel / n:.2f} s/notebook (exit {done.returncode}; load average now {load()})",
              flush=True)
        print("  " + done.stdout.strip().splitlines()[-1])
        same = scores(serial) == scores(parallel)
        print(f"speed-up: {t_serial / t_parallel:.2f}x wall clock; CPU used {c_parallel / c_serial:.2f}x "
              f"serial's, so at most {args.jobs * c_serial / c_parallel:.2f}x on {args.jobs} idle cores; "
              f"gradebook scores identical: {same}")
        return 0 if same else 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
