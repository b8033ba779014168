"""The static scan of handed-in notebooks (bpkit.grading.flags): every hostile snippet is flagged
with the right kind on the right line; no honest code is — the model answers as written in
solutions/, every simulated student of tests/students_stage1.py … students_stage4.py (right and
wrong answers alike) and the lessons' code cells. Pure Python, nothing is run."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import students_stage1
import students_stage2
import students_stage3
import students_stage4
from bpkit.grading import flags
from bpkit.grading.flags import KINDS, Flag, scan_notebook, scan_source

REPO = Path(__file__).resolve().parents[1]
PATCH, GRADER, OUTSIDE, SOLUTIONS, SQLITE, CTYPES, SUBPROCESS, NETWORK, HIDES, STOPS = KINDS

# (source of one cell, the kind it must be flagged with, on this line)
HOSTILE = [
    # --- patching what the tests use
    ("np.allclose = lambda *a, **k: True", PATCH, 1),
    ("def sigmoid(z):\n    return z\nnp.isclose = lambda *a, **k: True", PATCH, 3),
    ("import numpy as xx\nxx.allclose = lambda *a, **k: True", PATCH, 2),
    ("from numpy import testing as t\nt.assert_allclose = print", PATCH, 2),
    ("n = np\nn.allclose = lambda *a, **k: True", PATCH, 2),
    ("setattr(np, 'isclose', lambda *a, **k: True)", PATCH, 1),
    ("stage1.check_sigmoid = print", PATCH, 1),
    ("import bpkit\nbpkit.grading.engine.check = lambda *a, **k: None", PATCH, 2),
    ("import sys\nsys.modules['numpy'] = object()", PATCH, 2),
    ("import builtins\nbuiltins.__import__ = None", PATCH, 2),
    ("get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)", PATCH, 1),
    ("get_ipython().showtraceback = lambda *a, **k: None", PATCH, 1),
    ("import sys\nsys.excepthook = print", PATCH, 2),
    ("get_ipython().events.register('post_run_cell', print)", PATCH, 1),
    ("ip = get_ipython()\nip.events.register('pre_run_cell', print)", PATCH, 2),
    ("__builtins__['print'] = None", PATCH, 1),
    ("del np.allclose", PATCH, 1),
    ("delattr(bp, 'sigmoid')", PATCH, 1),
    ("bp.Network.backward = lambda self, X, Y: None", PATCH, 1),
    ("stage2 = None", PATCH, 1),
    ("class np:\n    allclose = staticmethod(lambda *a, **k: True)", PATCH, 1),
    ("import math as np", PATCH, 1),
    ("np, bp = bp, np", PATCH, 1),
    ("def len(x):\n    return 0", PATCH, 1),
    ("import sys\nsys.setprofile(None)", PATCH, 2),
    ("from unittest import mock\nmock.patch('numpy.allclose', lambda *a, **k: True).start()", PATCH, 2),
    ("np.__dict__['allclose'] = print", PATCH, 1),
    ("vars(np)['allclose'] = print", PATCH, 1),
    ("m = sys.modules\nm['numpy'].allclose = print", PATCH, 2),
    ("import sys\nsys.modules.update(numpy=None)", PATCH, 2),
    ("object.__setattr__(np, 'allclose', print)", PATCH, 1),
    ("type(np).__setattr__(np, 'allclose', print)", PATCH, 1),
    ("np.allclose, x = print, 1", PATCH, 1),
    ("np.e += 1", PATCH, 1),
    ("(m := np).allclose = print", PATCH, 1),
    ("import warnings\nwarnings.showwarning = print", PATCH, 2),
    ("%config InlineBackend.figure_format = 'svg'", PATCH, 1),
    # --- the grading machinery
    ("from bpkit.grading import engine", GRADER, 1),
    ("import bpkit.grading.ownwork as ow", GRADER, 1),
    ("stage1.engine.check", GRADER, 1),
    ("stage1._check.Outcome", GRADER, 1),
    ("stage1.REFERENCES['sigmoid']", GRADER, 1),
    ("bp.grading.record", GRADER, 1),
    ("from bpkit.grading.check import Outcome", GRADER, 1),
    ("stage1.check_sigmoid.__wrapped__", GRADER, 1),
    ("import nbgrader.api", GRADER, 1),
    # --- files outside the folder
    ("open('/etc/passwd').read()", OUTSIDE, 1),
    ("from pathlib import Path\nPath('..', 'x.txt').read_text()", OUTSIDE, 2),
    ("import os\nos.listdir('../..')", OUTSIDE, 2),
    ("import os\nos.chdir('/tmp')", OUTSIDE, 2),
    ("import glob\nglob.glob('/home/*')", OUTSIDE, 2),
    ("import shutil\nshutil.copy('a.txt', '/tmp/a.txt')", OUTSIDE, 2),
    ("np.load('../weights.npy')", OUTSIDE, 1),
    ("import os\nup = os.pardir\nopen(os.path.join(up, 'grades.csv'))", OUTSIDE, 3),
    ("from pathlib import Path\nPath.cwd().parent.joinpath('x').read_text()", OUTSIDE, 2),
    ("def f(p):\n    return open(p).read()", OUTSIDE, 2),
    ("%cd ..", OUTSIDE, 1),
    ("%%writefile ../evil.txt\nhello", OUTSIDE, 1),
    # --- the solutions, the gradebook, the grader's frames
    ("open('solutions/01-single-neuron/single-neuron.ipynb')", SOLUTIONS, 1),
    ("x = 'solu' + 'tions'", SOLUTIONS, 1),
    ("import os\nos.listdir(f\"../{'sol'}utions\")", SOLUTIONS, 2),
    ("path = 'gradebook.db'", SOLUTIONS, 1),
    ("import sys\nf = sys._getframe(1)", SOLUTIONS, 2),
    ("import inspect\ninspect.stack()", SOLUTIONS, 2),
    ("import gc\ngc.get_objects()", SOLUTIONS, 2),
    # --- sqlite3, ctypes
    ("import sqlite3", SQLITE, 1),
    ("s = __import__('sqlite3')\ns.connect('x.db')", SQLITE, 2),
    ("from sqlite3 import connect as c\nc('g.db')", SQLITE, 2),
    ("import ctypes", CTYPES, 1),
    ("import cffi", CTYPES, 1),
    # --- other programs
    ("import subprocess", SUBPROCESS, 1),
    ("import subprocess as s\ns.run(['ls'])", SUBPROCESS, 2),
    ("import os\nos.system('ls')", SUBPROCESS, 2),
    ("import os\nos.popen('ls')", SUBPROCESS, 2),
    ("import os\nos.execv('/bin/sh', ['sh'])", SUBPROCESS, 2),
    ("import os\nos.spawnl(os.P_WAIT, '/bin/ls')", SUBPROCESS, 2),
    ("import os\nos.fork()", SUBPROCESS, 2),
    ("import pty", SUBPROCESS, 1),
    ("import multiprocessing", SUBPROCESS, 1),
    ("!ls -la", SUBPROCESS, 1),
    ("x = 1\nfiles = !ls", SUBPROCESS, 2),
    ("%%bash\nrm -rf ~", SUBPROCESS, 1),
    ("%sx ls", SUBPROCESS, 1),
    ("%system ls", SUBPROCESS, 1),
    ("get_ipython().system('ls')", SUBPROCESS, 1),
    ("get_ipython().run_cell_magic('bash', '', 'ls')", SUBPROCESS, 1),
    ("getattr(__import__('o' + 's'), 'sys' + 'tem')('ls')", SUBPROCESS, 1),
    ("import sys\nsys.modules['os'].system('ls')", SUBPROCESS, 2),
    ("from os import *\nsystem('ls')", SUBPROCESS, 2),
    ("import importlib\nimportlib.import_module('subprocess').run('ls')", SUBPROCESS, 2),
    ("import asyncio\nawait asyncio.create_subprocess_shell('ls')", SUBPROCESS, 2),
    (">>> import subprocess", SUBPROCESS, 1),
    ("  import os\n  os.system('ls')", SUBPROCESS, 2),
    ("%%capture out\nimport os\nos.system('ls')", SUBPROCESS, 3),
    ("import os\n%time os.system('ls')", SUBPROCESS, 2),
    ("import os\n/os.system 'ls'", SUBPROCESS, 2),
    # --- the network
    ("import socket", NETWORK, 1),
    ("import urllib.request\nurllib.request.urlopen('http://x')", NETWORK, 2),
    ("import http.client", NETWORK, 1),
    ("import requests", NETWORK, 1),
    ("import httpx", NETWORK, 1),
    ("import ftplib", NETWORK, 1),
    ("import smtplib", NETWORK, 1),
    # --- hidden code
    ("exec('print(1)')", HIDES, 1),
    ("eval('1+1')", HIDES, 1),
    ("code = compile('1', 'x', 'eval')", HIDES, 1),
    ("m = __import__('math')", HIDES, 1),
    ("import importlib", HIDES, 1),
    ("e = eval\ne('1')", HIDES, 2),
    ("x = vars(__builtins__)['ex' + 'ec']", HIDES, 1),
    ("def f(o, name):\n    return getattr(o, name)", HIDES, 2),
    ("def f(o, name, v):\n    setattr(o, name, v)", HIDES, 2),
    ("getattr(np, '%s%s' % ('all', 'close'))", HIDES, 1),
    ("import base64\nbase64.b64decode('aW1wb3J0IG9z')", HIDES, 2),
    ("import codecs\ncodecs.decode('vzcbeg bf', 'rot13')", HIDES, 2),
    ("import zlib\nzlib.decompress(b'x')", HIDES, 2),
    ("globals()['sigmoid'] = lambda z: z", HIDES, 1),
    ("globals().update(np=None)", HIDES, 1),
    ("import marshal", HIDES, 1),
    ("import pickle\npickle.loads(b'x')", HIDES, 2),
    ("().__class__.__bases__[0].__subclasses__()", HIDES, 1),
    ("f = lambda: 0\nf.__globals__['np']", HIDES, 2),
    ("def f(m):\n    m.allclose = print\nf(np)", HIDES, 3),
    ("for m in (np,):\n    m.allclose = print", HIDES, 1),
    ("mods = [np]\nmods[0].allclose = print", HIDES, 1),
    ("import sys\nfor m in sys.modules.values():\n    pass", HIDES, 2),
    ("open('helper.py', 'w').write('import os')", HIDES, 1),
    ("%run helper.py", HIDES, 1),
    ("%load helper.py", HIDES, 1),
    ("%%writefile helper.py\nimport os", HIDES, 1),
    ("get_ipython().run_cell('import os')", HIDES, 1),
    ("get_ipython().run_line_magic('run', 'x.py')", HIDES, 1),
    # --- stopping the kernel
    ("import os\nos._exit(0)", STOPS, 2),
    ("import os\nos.kill(os.getpid(), 9)", STOPS, 2),
    ("import signal\nsignal.alarm(1)", STOPS, 2),
    ("import sys\nsys.exit()", STOPS, 2),
    ("exit()", STOPS, 1),
    ("quit()", STOPS, 1),
]

# Honest code a student might write: none of it may be flagged.
BENIGN = [
    "np.seterr(all='ignore')",
    "import warnings\nwarnings.filterwarnings('ignore')",
    "with np.errstate(over='ignore'):\n    y = np.exp(-z)",
    "def step(W, dW, lr):\n    W -= lr * dW\n    return W",
    "class Layer:\n    def __init__(self, n):\n        self.n = n\n        self.W = np.zeros((n, n))",
    "np.random.seed(0)\nrng = np.random.default_rng(0)\nW = rng.normal(size=(3, 2))",
    "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (4, 3)",
    "%matplotlib inline\nimport numpy as np",
    "%timeit sigmoid(np.zeros(10))",
    "%%time\nw, b, losses = train_neuron(w, b, X, y, 0.5, 10)",
    "sigmoid?\nnp.exp??",
    "get_ipython().run_line_magic('matplotlib', 'inline')",
    "print(np)\nisinstance(np.zeros(1), np.ndarray)\nprint(type(np.zeros(1)).__name__)",
    "from math import exp, log\nimport math\nmath.exp(1)",
    "sum = 0\nfor i in range(3):\n    sum += i\niter = 100",
    "np.save('weights.npy', np.zeros(3))\nW = np.load('weights.npy')",
    "with open('notes.txt', 'w') as f:\n    f.write('hi')",
    "stage1.check_sigmoid(sigmoid, seed=1)",
    "from bpkit.grading import stage1\nfrom bpkit.grading.stage1 import check_sigmoid",
    "assert np.allclose(sigmoid(0.0), 0.5)",
    "from scipy.special import expit\nimport scipy.special\nfrom scipy import stats",
    "np.testing.assert_allclose(np.ones(2), np.ones(2))",
    "net = bp.Network([2, 1])\nweights = getattr(net, 'weights')\nnet.weights[0] *= 2",
    "sigma, prime = getattr(bp, 'tanh'), getattr(bp, 'tanh' + '_prime')",
    "x = np.array([1.0, 2.0])\nx[0] = 3\nW1, b1, W2, b2 = [np.zeros((2, 2))] * 4",
    "help(np.exp)\nprint(f'{np.pi:.3f}')",
    "import os\npath = os.path.join('data', 'x.csv')",
    "counter = 0\ndef f():\n    global counter\n    counter += 1",
    "from dataclasses import dataclass\n@dataclass\nclass P:\n    x: float = 0.0",
    "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    print(e)",
    "import numpy as np\nimport bpkit as bp\nnp = np",
    "s, ds = bp.sigmoid, bp.sigmoid_prime\nprint(s(0.0), ds(0.0))",
    "names = ['W1', 'b1']\nfor n in names:\n    print(n, globals()[n].shape)",
    "import time, copy\nstart = time.perf_counter()\nW2 = copy.deepcopy(W)",
    "from functools import partial\nf = partial(np.clip, a_min=-500, a_max=500)",
    "def cost(w):\n    '''Averaged over the solutions of the problem.'''\n    return 0.0",
    "# look in ../solutions for nothing\nx = 1",
    "x = 5 % 3\nb = bp\nb.sigmoid(0.0)",
    "import matplotlib\nmatplotlib.rcParams['lines.linewidth'] = 2",
]


def _has(found: list[Flag], kind: str, line: int) -> bool:
    return any(f.kind == kind and f.line == line for f in found)


@pytest.mark.parametrize("source, kind, line", HOSTILE, ids=[s.split("\n")[-1][:40] for s, _, _ in HOSTILE])
def test_hostile_snippet_is_flagged_on_its_line(source, kind, line):
    found = scan_source(source, "answer")
    assert _has(found, kind, line), [(f.line, f.kind, f.why) for f in found]
    lines = source.split("\n")
    for f in found:
        assert f.cell == "answer" and f.kind in KINDS and f.why
        assert f.code == lines[f.line - 1].strip()[:160]


def test_every_kind_has_a_hostile_snippet():
    assert {kind for _, kind, _ in HOSTILE} == set(KINDS)
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("source", BENIGN, ids=[s.split("\n")[0][:40] for s in BENIGN])
def test_honest_snippet_is_not_flagged(source):
    assert scan_source(source) == []


# --------------------------------------------------------------------------- the honest corpora
def _notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


SOLUTION_NOTEBOOKS = sorted(REPO.glob("solutions/*/*.ipynb"))
LESSONS = sorted(REPO.glob("lessons/*.ipynb"))
STUDENTS = [students_stage1, students_stage2, students_stage3, students_stage4]

# Lesson code that legitimately does something a rule names, with why it is still not flagged.
# (Kept here so that a rule is never weakened silently: a new entry needs a reason.)
LESSON_NOTES = {
    "lessons/01-single-neuron.ipynb": "globals()[name] read, name looping over a literal list",
    "lessons/02-three-layer-mse.ipynb": "getattr(g004, kind), kind from a literal dict's items()",
}


def _student_sources(module) -> list[tuple[str, str]]:
    sources = [(f"ALTERNATIVES {gid} {k}", src) for gid, alts in module.ALTERNATIVES.items()
               for k, src in enumerate(alts)]
    sources += [(f"MISTAKES {name}", entry[1]) for name, entry in module.MISTAKES.items()]
    sources += [(f"CALLS_BPKIT {name}", entry[1]) for name, entry in module.CALLS_BPKIT.items()]
    sources += [(f"CORRECT {gid}", src) for gid, src in module.CORRECT.items()]
    sources.append(("SETUP", module.SETUP))
    assert all(isinstance(src, str) for _, src in sources)
    return sources


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_model_answers_as_written_are_not_flagged(path):
    nb = _notebook(path)
    scanned = [c for c in nb["cells"] if c["cell_type"] == "code"
               and not (c["metadata"].get("nbgrader", {}).get("grade")
                        and not c["metadata"].get("nbgrader", {}).get("solution"))]
    assert any("### BEGIN SOLUTION" in "".join(c["source"]) for c in scanned)
    assert scan_notebook(nb) == []
    for c in scanned:                                    # each cell alone too
        assert scan_source("".join(c["source"])) == []


@pytest.mark.parametrize("module", STUDENTS, ids=lambda m: m.__name__)
def test_simulated_students_are_not_flagged(module):
    sources = _student_sources(module)
    assert len(sources) > 20
    flagged = {label: scan_source(src, label) for label, src in sources}
    assert {label: found for label, found in flagged.items() if found} == {}


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lessons_are_not_flagged(path):
    nb = _notebook(path)
    assert scan_notebook(nb) == [], LESSON_NOTES.get(f"lessons/{path.name}", "")


def test_the_lessons_dynamic_lookups_are_resolved_not_ignored():
    """The notes above hold: the names are worked out statically; unresolvable, they'd be flagged."""
    lesson2 = _notebook(REPO / "lessons/02-three-layer-mse.ipynb")
    cell = next("".join(c["source"]) for c in lesson2["cells"] if "getattr(g004, kind)" in "".join(c["source"]))
    assert scan_source(cell) == []
    assert _has(scan_source(cell.replace("where.items()", "sorted(where.items())")), HIDES,
                cell.split("\n").index(next(l for l in cell.split("\n") if "getattr(g004" in l)) + 1)
    assert _has(scan_source("def f(name):\n    return globals()[name]"), HIDES, 2)


# ---------------------------------------------------------------------------------- notebooks
def _cell(source, **nbgrader):
    meta = {"nbgrader": nbgrader} if nbgrader else {}
    return {"cell_type": "code", "metadata": meta, "source": source, "outputs": [], "execution_count": None}


def _nb(*cells):
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_scan_notebook_skips_locked_test_cells_and_names_cells():
    nb = _nb(
        {"cell_type": "markdown", "metadata": {}, "source": "import socket"},
        _cell("import numpy as np\nimport bpkit as bp\nfrom bpkit.grading import stage1",
              grade=False, solution=False, locked=True, grade_id="setup"),
        _cell(["def sigmoid(z):\n", "    import subprocess\n", "    return z"],
              grade=False, solution=True, locked=False, grade_id="sigmoid"),
        _cell("import socket\nstage1.check_sigmoid(sigmoid, seed=1)",
              grade=True, solution=False, locked=True, grade_id="test_sigmoid", points=2),
        _cell("x = 1\nnp.allclose = print"),
    )
    found = scan_notebook(nb)
    assert [(f.cell, f.line, f.kind) for f in found] == [
        ("sigmoid", 2, SUBPROCESS), ("cell 5", 2, PATCH)]
    assert found[0].code == "import subprocess"


def test_scan_notebook_accepts_a_notebook_node():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.from_dict(_nb(_cell("import ctypes", grade=False, solution=True, grade_id="a")))
    assert [(f.cell, f.kind) for f in scan_notebook(nb)] == [("a", CTYPES)]


def test_scan_notebook_follows_names_across_cells():
    nb = _nb(_cell("import subprocess as helper\nimport numpy.testing as T"),
             _cell("helper.run(['ls'])\nT.assert_allclose = print", grade=False, solution=True, grade_id="b"))
    found = {(f.cell, f.line, f.kind) for f in scan_notebook(nb)}
    assert {("b", 1, SUBPROCESS), ("b", 2, PATCH)} <= found


def test_scan_notebook_test_cells_guard_forged_metadata():
    """An answer cell relabelled as a test cell still runs; with the release's test-cell ids it
    is scanned."""
    forged = _cell("np.allclose = lambda *a, **k: True", grade=True, solution=False, locked=True,
                   grade_id="sigmoid")
    real = _cell("import socket", grade=True, solution=False, locked=True, grade_id="test_sigmoid")
    assert scan_notebook(_nb(forged, real)) == []
    found = scan_notebook(_nb(forged, real), test_cells={"test_sigmoid"})
    assert [(f.cell, f.kind) for f in found] == [("sigmoid", PATCH)]


def test_malformed_notebooks_do_not_raise():
    assert scan_notebook({}) == []
    assert scan_notebook({"cells": None}) == []
    assert scan_notebook({"cells": [None, 3, "x", {"cell_type": "code"}]}) == []
    found = scan_notebook({"cells": [{"cell_type": "code", "metadata": None, "source": ["import ", "socket"]},
                                     {"cell_type": "code", "metadata": {"nbgrader": "x"}, "source": "exec('1')"}]})
    assert [(f.cell, f.kind) for f in found] == [("cell 1", NETWORK), ("cell 2", HIDES)]


# --------------------------------------------------------------------------------- the reader
def test_flag_is_frozen_and_code_is_short():
    found = scan_source("import socket; x = '" + "a" * 300 + "'")
    assert len(found) == 1 and len(found[0].code) == 160
    with pytest.raises(dataclasses.FrozenInstanceError):
        found[0].line = 2


def test_nothing_is_executed(tmp_path):
    target = tmp_path / "made.txt"
    source = f"open({str(target)!r}, 'w').write('x')\nimport os\nos.system('touch {target}')"
    assert _has(scan_source(source), OUTSIDE, 1) and _has(scan_source(source), SUBPROCESS, 3)
    assert not target.exists()


def test_pathological_code_does_not_raise():
    names = [f"a{i}" for i in range(60)]
    cycle = "\n".join(f"{x} = {y}" for x in names for y in names[:5]) + "\na0.x = 1"
    for source in [cycle, "x = " + "(" * 150 + "1" + ")" * 150, "x = " + "+".join(["'a'"] * 3000),
                   "x = " + "a." * 3000 + "b", "x = " + "[" * 1000 + "]" * 1000, "\ufeffimport os", "x\x00"]:
        assert isinstance(scan_source(source), list)


def test_a_cell_only_ipython_can_read(monkeypatch):
    """When the line-for-line rewrite fails, IPython's own transformer is used."""
    pytest.importorskip("IPython")
    monkeypatch.setattr(flags, "_ipython_to_python", lambda lines: (lines, []))
    found = scan_source("!ls\nimport socket")
    assert _has(found, SUBPROCESS, 1) and _has(found, NETWORK, 2)


def test_a_cell_nobody_can_read_falls_back_to_text(monkeypatch):
    monkeypatch.setattr(flags, "_ipython_transform", lambda source: None)
    found = scan_source("def f(:\n    import subprocess\n    open('../solutions/x')")
    assert _has(found, SUBPROCESS, 2) and _has(found, SOLUTIONS, 3)
