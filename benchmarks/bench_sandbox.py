"""What the sandbox costs per notebook: `course.py grade` with and without it.

    .venv/bin/python benchmarks/bench_sandbox.py               8 correct stage-1 hand-ins
    .venv/bin/python benchmarks/bench_sandbox.py --students 20 --rounds 3

Grades the same synthetic class (correct stage-1 notebooks) in two copies of the course with one
worker each, alternating: once sandboxed (the default: bubblewrap, trusted verdicts, flags) and
once with ``--unsafe`` (a kernel with the grader's rights; the recording cells and trusted
verdicts still run). Prints, per round, wall seconds per notebook and CPU seconds per notebook
(every process started and waited for: the sandboxed runs' kernels are not, see the output), and
the sandbox's extra cost. One worker, so the
two runs do not compete; alternating rounds, so load from other work hits both alike.
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


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def grade(root: Path, *extra: str) -> tuple[float, float]:
    for folder in ("autograded", "reports"):
        shutil.rmtree(root / folder, ignore_errors=True)
    c0, t0 = cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bpkit.grading.classgrade", ASSIGNMENT,
                           f"--root={root}", "--jobs=1", "--force", *extra], cwd=root,
                          env=sc.nbgrader_env(root), capture_output=True, text=True)
    wall, used = time.perf_counter() - t0, cpu() - c0
    if done.returncode != 0:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    return wall, used


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from bpkit.grading import sandbox
    why = sandbox.probe()
    if why:
        raise SystemExit(f"no sandbox here: {why}")
    base = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    try:
        course = sc.make_course(base / "course", [ASSIGNMENT])
        for k in range(args.students):
            sc.hand_in(course, ASSIGNMENT, NOTEBOOK, f"student-{k:03d}", sc.Submission(dict(s.CORRECT)))
        copies = {"sandbox": course, "unsafe": base / "unsafe"}
        shutil.copytree(course, copies["unsafe"])
        n = args.students
        print(f"{n} correct stage-1 notebooks, 1 worker, load {os.getloadavg()[0]:.2f}")
        print(f"{'round':>5} {'sandboxed s/nb':>15} {'unsafe s/nb':>12} {'extra':>7}   "
              f"{'sandboxed CPU/nb':>16} {'unsafe CPU/nb':>14}")
        for r in range(args.rounds):
            (ws, cs), (wu, cu) = grade(copies["sandbox"]), grade(copies["unsafe"], "--unsafe")
            print(f"{r + 1:>5} {ws / n:>15.2f} {wu / n:>12.2f} {(ws - wu) / n:>+7.2f}   "
                  f"{cs / n:>16.2f} {cu / n:>14.2f}")
        print("CPU counts the processes this script waits for, through their parents: bwrap does "
              "not wait for its sandbox's init, so\nthe sandboxed column misses the kernel and the "
              "executor inside (an undercount, not a saving).")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
