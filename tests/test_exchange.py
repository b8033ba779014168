"""A class on one server, with real system users: nbgrader's exchange from release to feedback.

As root (CI runs as root) the module creates an instructor and three students as system users,
the exchange with deploy/make-exchange.sh, and a copy of the course in the instructor's home
(mode 0700, as a clone there would be). Then each step runs as the user who does it in class,
with the commands of the README's "A class on one server", and the deploy/ configs on each
user's JUPYTER_CONFIG_PATH as the hub sets it:

    instructor  python3 course.py generate
                nbgrader release_assignment 01-single-neuron
    students    nbgrader fetch_assignment 01-single-neuron           (each in their home)
                work: alice correct, bob one classic mistake, carol nothing
                nbgrader submit 01-single-neuron                      (alice twice: blank, then done)
    instructor  nbgrader collect 01-single-neuron
                python3 course.py grade 01-single-neuron
                nbgrader generate_feedback 01-single-neuron
                nbgrader release_feedback 01-single-neuron
    students    nbgrader fetch_feedback 01-single-neuron

The users are removed afterwards, also when a step fails. Without root this module skips, saying
why; under CI=true it fails instead.
"""
from __future__ import annotations

import grp
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from exchange_helpers import (as_user, can_read, exists, must, need_root, shared_environment,
                              system_users)
from students_stage1 import CORRECT, MISTAKES

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT, NOTEBOOK = "01-single-neuron", "single-neuron"
MISTAKE = "neuron_gradients: 1/m missing"          # bob's classic mistake (tests/students_stage1.py)
ENV = Path(sys.prefix)                              # the course's environment
# The parts of the repository the instructor's clone needs to release, grade and give feedback.
COURSE_FILES = ["course.py", "nbgrader_config.py", "pyproject.toml", "requirements-lock.txt", "bpkit"]

# Run as a student: set answer cells of the fetched notebook (stdin: [path, {grade_id: source}]).
WORK = """
import json, sys, nbformat
path, answers = json.load(sys.stdin)
nb = nbformat.read(path, as_version=4)
for cell in nb.cells:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    if grade_id in answers:
        cell.source = answers[grade_id]
nbformat.write(nb, path)
"""


def _md(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_points(nb) -> tuple[dict[str, float], dict[str, list[str]]]:
    """({test grade_id: points}, {answer grade_id: the test cells after it, up to the next answer})."""
    points, tests_of, answer = {}, {}, None
    for cell in nb.cells:
        md = _md(cell)
        if cell.cell_type == "code" and md.get("solution") and not md.get("grade"):
            answer = md["grade_id"]
        elif cell.cell_type == "code" and md.get("grade") and not md.get("solution"):
            points[md["grade_id"]] = float(md["points"])
            tests_of.setdefault(answer, []).append(md["grade_id"])
    return points, tests_of


test_points.__test__ = False    # a helper, not a test


@dataclass
class Loop:
    base: Path
    exchange: Path
    course: Path
    users: dict                                   # role -> exchange_helpers.User
    env: Path                                     # the environment every user runs
    extra: dict                                   # variables it needs (see shared_environment)
    release: object = None                        # the released notebook (nbformat)
    groups: dict = field(default_factory=dict)    # "students", "instructors" -> group name
    submits: dict[str, list[str]] = field(default_factory=dict)   # student -> timestamps
    logs: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def python(self) -> Path:
        return self.env / "bin" / "python"


def _student_env(env: Path, deploy: Path, exchange: Path) -> dict:
    return {"PATH": f"{env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": f"{deploy / 'jupyter-student'}:{deploy / 'jupyter'}",
            "BPKIT_EXCHANGE": str(exchange)}


def _instructor_env(course: Path, deploy: Path, exchange: Path) -> dict:
    # As after `source .venv/bin/activate` in the instructor's clone.
    return {"PATH": f"{course / '.venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "VIRTUAL_ENV": str(course / ".venv"),
            "JUPYTER_CONFIG_PATH": f"{deploy / 'jupyter-instructor'}:{deploy / 'jupyter'}",
            "BPKIT_EXCHANGE": str(exchange)}


def _link_env(env: Path, dest: Path) -> None:
    """The instructor clone's .venv: the shared environment, linked, with course.py's install
    stamp for this pyproject.toml and lock, so `course.py` finds it current and installs nothing
    (setup() compares sha256(pyproject.toml + lock) + " [test]" with the stamp)."""
    dest.mkdir()
    for item in env.iterdir():
        if item.name not in ("pyvenv.cfg", ".bpkit-install-stamp"):
            (dest / item.name).symlink_to(item)
    shutil.copy2(env / "pyvenv.cfg", dest / "pyvenv.cfg")
    pinned = (REPO / "pyproject.toml").read_bytes() + (REPO / "requirements-lock.txt").read_bytes()
    (dest / ".bpkit-install-stamp").write_text(hashlib.sha256(pinned).hexdigest() + " [test]")


def _step(loop: Loop, name: str, done, who=""):
    loop.logs[name] = done.stdout + done.stderr
    return must(done, who)


@pytest.fixture(scope="module")
def loop():
    need_root()
    base = Path(tempfile.mkdtemp(prefix="bpkit-exchange-", dir="/tmp"))
    base.chmod(0o755)                       # users traverse it to their homes and the exchange
    roles = ["teacher", "alice", "bob", "carol"]
    names = []
    try:
        groups = {"students": ["alice", "bob", "carol"], "instructors": ["teacher"]}
        with system_users(base, roles, groups) as (users, group_names):
            names = [u.name for u in users.values()]
            for loop in _run_the_class(base, users):
                loop.groups = group_names
                yield loop
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert not [n for n in names if exists(n)], "test users left behind"


def _run_the_class(base: Path, users: dict):
    clock = time.perf_counter()
    teacher = users["teacher"]
    env, extra = shared_environment(ENV, base / "shared", users["alice"])
    deploy = base / "deploy"                # what the server holds (/opt/bpkit/deploy)
    shutil.copytree(REPO / "deploy", deploy)
    exchange = base / "exchange"
    done = subprocess.run(
        ["sh", str(deploy / "make-exchange.sh"), teacher.name, str(exchange), "bpkit"],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    # The instructor's clone of the course, in their home (0700): stage 1 only, to keep it quick.
    course = teacher.home / "bpkit"
    course.mkdir()
    for name in COURSE_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, course / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, course / name)
    shutil.copytree(REPO / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    _link_env(env, course / ".venv")
    for path in [course, *course.rglob("*")]:
        os.lchown(path, teacher.uid, teacher.uid)

    ienv = {**_instructor_env(course, deploy, exchange), **extra}
    senv = {**_student_env(env, deploy, exchange), **extra}
    loop = Loop(base, exchange, course, users, env, extra)

    def instructor(name, *cmd):
        start = time.perf_counter()
        result = _step(loop, name, as_user(teacher, *cmd, cwd=course, env=ienv), teacher.name)
        loop.seconds[name] = time.perf_counter() - start
        return result

    def student(role, name, *cmd, **kw):
        start = time.perf_counter()
        result = _step(loop, f"{role}: {name}", as_user(users[role], *cmd, env=senv, **kw), role)
        loop.seconds[name] = loop.seconds.get(name, 0) + time.perf_counter() - start
        return result

    loop.seconds["setup"] = time.perf_counter() - clock
    instructor("generate", "python3", "course.py", "generate")
    instructor("release", "nbgrader", "release_assignment", ASSIGNMENT)
    loop.release = nbformat.read(course / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)

    mistake_id, mistake_source, _ = MISTAKES[MISTAKE]
    work = {"alice": dict(CORRECT), "bob": {**CORRECT, mistake_id: mistake_source}, "carol": {}}
    fetched = {}
    for role in ("alice", "bob", "carol"):
        student(role, "fetch", "nbgrader", "fetch_assignment", ASSIGNMENT)
        fetched[role] = users[role].home / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
        if role == "alice":                 # hands in the untouched notebook first, by mistake
            student(role, "submit", "nbgrader", "submit", ASSIGNMENT)
            time.sleep(0.01)                # nbgrader's timestamps have microseconds
        student(role, "work", loop.python, "-c", WORK, input=json.dumps([str(fetched[role]), work[role]]))
        student(role, "submit", "nbgrader", "submit", ASSIGNMENT)
    for role in ("alice", "bob", "carol"):
        cache = users[role].home / ".local" / "share" / "jupyter" / "nbgrader_cache" / "bpkit"
        loop.submits[role] = sorted(p.name.split("+")[2] for p in cache.iterdir())

    instructor("collect", "nbgrader", "collect", ASSIGNMENT)
    instructor("grade", "python3", "course.py", "grade", ASSIGNMENT)
    instructor("generate_feedback", "nbgrader", "generate_feedback", ASSIGNMENT)
    instructor("release_feedback", "nbgrader", "release_feedback", ASSIGNMENT)
    for role in ("alice", "bob", "carol"):
        student(role, "fetch_feedback", "nbgrader", "fetch_feedback", ASSIGNMENT)

    loop.seconds["total"] = time.perf_counter() - clock
    print("\nclass on one server:", ", ".join(f"{k} {v:.1f} s" for k, v in loop.seconds.items()))
    yield loop


# --- the exchange ---------------------------------------------------------------------------------

def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def test_the_exchange_has_nbgrader_modes_and_the_instructor_owns_the_course(loop):
    course = loop.exchange / "bpkit"
    teacher = loop.users["teacher"].uid
    assert [_mode(p) for p in (loop.exchange, course, course / "outbound", course / "inbound",
                               course / "feedback")] == ["0o1777", "0o755", "0o755", "0o3733", "0o711"]
    assert {p.stat().st_uid for p in (course, course / "outbound", course / "inbound",
                                      course / "feedback")} == {teacher}
    # nbgrader released into it without changing a mode
    assert "Permissions for exchange directory" not in loop.logs["release"]


def test_each_student_fetched_the_released_notebook(loop):
    for role in ("alice", "bob", "carol"):
        home = loop.users[role].home
        fetched = nbformat.read(home / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
        assert len(fetched.cells) == len(loop.release.cells)
        assert home.joinpath(ASSIGNMENT).stat().st_uid == loop.users[role].uid


def test_alice_submitted_twice_and_collect_took_the_later(loop):
    assert [len(loop.submits[r]) for r in ("alice", "bob", "carol")] == [2, 1, 1]
    collected = {role: (loop.course / "submitted" / loop.users[role].name / ASSIGNMENT
                        / "timestamp.txt").read_text().strip() for role in ("alice", "bob", "carol")}
    assert {role: collected[role] for role in collected} == {
        role: loop.submits[role][-1] for role in collected}
    assert collected["alice"] != loop.submits["alice"][0]


# --- grading --------------------------------------------------------------------------------------

def _scores(loop: Loop) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook
    scores = {}
    with Gradebook(f"sqlite:///{loop.course / 'gradebook.db'}", "bpkit") as gb:
        for role in ("alice", "bob", "carol"):
            nb = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, loop.users[role].name)
            scores[role] = {g.name: g.score for g in nb.grades}
    return scores


def test_every_score(loop):
    points, tests_of = test_points(loop.release)
    mistake_id = MISTAKES[MISTAKE][0]
    lost = set(tests_of[mistake_id])
    full = sum(points.values())
    expected = {
        "alice": dict(points),                                   # her later, finished hand-in
        "bob": {t: 0.0 if t in lost else p for t, p in points.items()},
        "carol": {t: 0.0 for t in points},
    }
    got = {role: {t: s for t, s in cells.items() if t in points} for role, cells in _scores(loop).items()}
    assert got == expected
    totals = {role: sum(cells.values()) for role, cells in got.items()}
    assert totals["alice"] == full > totals["bob"] > totals["carol"] == 0.0
    assert full - totals["bob"] == sum(points[t] for t in lost) > 0


# --- feedback -------------------------------------------------------------------------------------

def _score_line(page: str) -> str:
    """The 'Score: x / y' of a feedback page (nbgrader puts it under the title)."""
    found = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", re.sub(r"<[^>]+>", " ", page))
    assert found, "no score in the feedback page"
    return f"{float(found[1])} / {float(found[2])}"


def test_each_student_fetches_only_their_own_feedback(loop):
    points, _ = test_points(loop.release)
    totals = {role: sum(v for t, v in cells.items() if t in points) for role, cells in _scores(loop).items()}
    for role in ("alice", "bob", "carol"):
        folder = loop.users[role].home / ASSIGNMENT / "feedback"
        pages = sorted(folder.rglob("*.html"))
        # one page, for the submission that was graded (alice's later one), not her first
        assert [p.relative_to(folder).as_posix() for p in pages] == [
            f"{loop.submits[role][-1]}/{NOTEBOOK}.html"], role
        page = pages[0].read_text(encoding="utf-8")
        instructor_copy = (loop.course / "feedback" / loop.users[role].name / ASSIGNMENT
                           / f"{NOTEBOOK}.html").read_text(encoding="utf-8")
        assert page == instructor_copy
        assert _score_line(page).startswith(f"{totals[role]} / ")
        assert pages[0].stat().st_uid == loop.users[role].uid
    # three different pages were released, one per student
    assert len({p.name for p in (loop.exchange / "bpkit" / "feedback").iterdir()}) == 3


# --- who can read what ----------------------------------------------------------------------------

def test_students_cannot_read_each_other_or_the_instructors_course(loop):
    alice, bob, carol = (loop.users[r] for r in ("alice", "bob", "carol"))
    course = loop.course
    secret = [
        alice.home,                                                    # her work and nbgrader cache
        alice.home / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
        alice.home / ".local" / "share" / "jupyter" / "nbgrader_cache",
        loop.exchange / "bpkit" / "inbound",                           # every submission's name
        loop.exchange / "bpkit" / "feedback",                          # every feedback page's name
        course,
        course / "solutions" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",       # the instructor's source
        course / "gradebook.db",
        course / "submitted" / alice.name / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
        course / "autograded" / alice.name / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
    ]
    for path in secret:
        assert path.exists(), path                                     # so a refusal means something
    own_feedback = next((bob.home / ASSIGNMENT / "feedback").rglob("*.html"))
    allowed = [loop.exchange / "bpkit" / "outbound" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", own_feedback]
    for who in (bob, carol):
        readable = can_read(who, loop.python, secret + allowed, env=loop.extra)
        assert [p for p in map(str, secret) if readable[p]] == [], who.role
        assert all(readable[str(p)] for p in allowed if who is bob or p != own_feedback)


# --- cleanup --------------------------------------------------------------------------------------

def test_users_are_removed_when_the_body_fails(tmp_path):
    need_root()
    base = Path(tempfile.mkdtemp(prefix="bpkit-exchange-", dir="/tmp"))
    made = []
    try:
        with pytest.raises(ZeroDivisionError):
            with system_users(base, ["teacher", "alice"], groups={"class": ["alice"]}) as (users, groups):
                made = [u.name for u in users.values()] + list(groups.values())
                assert all(exists(u.name) for u in users.values())
                # a process left running (a kernel, say) must not keep a user alive
                left_running = subprocess.Popen(["runuser", "-u", users["alice"].name, "--",
                                                 "sleep", "60"], stderr=subprocess.DEVNULL)
                time.sleep(0.2)
                1 / 0
        assert left_running.wait(timeout=10) != 0       # ended by the cleanup, not by itself
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert len(made) == 3
    assert not [n for n in made[:2] if exists(n)]
    assert not [g for g in made[2:] if g in {x.gr_name for x in grp.getgrall()}]


# --- JupyterHub, when it is installed here ----------------------------------------------------------
# deploy/jupyterhub_config.py as it is, plus what this machine needs: the proxy's path, the servers
# started with `python -m` (the test's copy of the environment has no console scripts for them).
HUB_CONFIG = """
c = get_config()
load_subconfig({deploy!r})
c.Spawner.cmd = [{python!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.environment = {{**c.Spawner.environment, **{extra!r}}}
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.Spawner.start_timeout = c.Spawner.http_timeout = 120
"""
PASSWORD = "not-a-secret-1"
KERNEL_CODE = "import sys, bpkit; print(sys.prefix, bpkit.__file__)"


def _hub_setup(loop: Loop) -> tuple[dict, str]:
    """(variables for the hub and every server, the proxy command); skips, saying why, when
    JupyterHub or its proxy is not installed (they are not part of the course's lock)."""
    chp = os.environ.get("BPKIT_CHP") or shutil.which("configurable-http-proxy")
    extra = dict(loop.extra)
    if os.environ.get("BPKIT_HUB_PACKAGES"):              # a `pip install --target` folder
        from exchange_helpers import _link_tree
        _link_tree(Path(os.environ["BPKIT_HUB_PACKAGES"]), loop.base / "hub-packages")
        extra["PYTHONPATH"] = str(loop.base / "hub-packages")
    done = as_user(loop.users["alice"], loop.python, "-c",
                   "import jupyterhub.app, jupyterhub.singleuser, requests", env=extra)
    missing = [what for what, ok in [
        ("the jupyterhub package in the course's environment (or BPKIT_HUB_PACKAGES)", done.returncode == 0),
        ("configurable-http-proxy (npm install -g configurable-http-proxy, or BPKIT_CHP)", chp)] if not ok]
    if missing:
        pytest.skip("JupyterHub smoke test: not installed here: " + "; ".join(missing))
    return extra, chp


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _until(what: str, check, seconds: float = 120):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _run_in_kernel(session, base: str, code: str) -> str:
    """Start a kernel on a user's server (a logged-in requests session) and run ``code``; its
    printed output."""
    import asyncio
    import uuid

    import requests
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    kernel = session.post(f"{base}/api/kernels", json={}, timeout=60)
    assert kernel.status_code == 201, kernel.text
    channels = f"{base}/api/kernels/{kernel.json()['id']}/channels"
    headers = dict(session.prepare_request(requests.Request("GET", channels)).headers)
    ws_url = channels.replace("http", "ws", 1)

    async def run():
        ws = await websocket_connect(HTTPRequest(ws_url, headers=headers))
        msg_id, out = uuid.uuid4().hex, []
        await ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "",
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False}}))
        while True:
            msg = json.loads(await asyncio.wait_for(ws.read_message(), 120))
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                ws.close()
                return "".join(out)

    return asyncio.run(run())


def test_the_hub_gives_a_student_the_course_kernel_and_the_assignment_list(loop):
    import requests

    extra, chp = _hub_setup(loop)
    alice = loop.users["alice"]
    done = subprocess.run(["chpasswd"], input=f"{alice.name}:{PASSWORD}\n", text=True,
                          capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    state, port = loop.base / "hub", _free_port()
    state.mkdir(mode=0o700)
    config = state / "hub_config.py"
    config.write_text(HUB_CONFIG.format(deploy=str(loop.base / "deploy" / "jupyterhub_config.py"),
                                        python=str(loop.python), extra=extra, chp=chp))
    hub_env = {"PATH": f"{Path(chp).parent}:{loop.env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
               "HOME": str(state), "LANG": "C.UTF-8", **extra,
               "BPKIT_ENV": str(loop.env), "BPKIT_HUB_STATE": str(state),
               "BPKIT_HUB_URL": f"http://127.0.0.1:{port}", "BPKIT_EXCHANGE": str(loop.exchange),
               "BPKIT_STUDENTS": loop.groups["students"], "BPKIT_INSTRUCTORS": loop.groups["instructors"]}
    log = open(state / "hub.log", "w")
    hub = subprocess.Popen([str(loop.python), "-m", "jupyterhub", "-f", str(config)], cwd=state,
                           env=hub_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    try:
        s = requests.Session()

        def hub_up():
            try:
                return s.get(f"{url}/hub/api/", timeout=5).status_code == 200
            except requests.ConnectionError:
                assert hub.poll() is None, (state / "hub.log").read_text()[-5000:]
                return False
        _until("the hub", hub_up)
        s.get(f"{url}/hub/login", timeout=30)
        login = s.post(f"{url}/hub/login", allow_redirects=False, timeout=60, data={
            "username": alice.name, "password": PASSWORD, "_xsrf": s.cookies.get("_xsrf", path="/hub/")})
        assert login.status_code == 302, (login.status_code, login.text[-2000:])
        # a wrong password is refused
        bad = requests.Session()
        bad.get(f"{url}/hub/login", timeout=30)
        refused = bad.post(f"{url}/hub/login", allow_redirects=False, timeout=60, data={
            "username": alice.name, "password": "wrong", "_xsrf": bad.cookies.get("_xsrf", path="/hub/")})
        assert refused.status_code != 302

        s.get(f"{url}/hub/spawn", timeout=120)
        base = f"{url}/user/{alice.name}"

        def lab_page():          # follows the hub's OAuth redirects, as a browser does
            r = s.get(f"{base}/lab", timeout=60)
            return r.text if r.status_code == 200 and r.url.startswith(f"{base}/lab") else None
        lab = _until("alice's server", lab_page, 180)
        xsrf = next(c.value for c in s.cookies if c.name == "_xsrf" and c.path.startswith("/user/"))
        s.headers["X-XSRFToken"] = xsrf

        specs = s.get(f"{base}/api/kernelspecs", timeout=30).json()
        assert specs["default"] == "python3", specs
        assignments = s.get(f"{base}/assignments", params={"course_id": "bpkit"}, timeout=60).json()
        assert assignments["success"], assignments
        assert ASSIGNMENT in {a["assignment_id"] for a in assignments["value"]}, assignments
        assert s.get(f"{base}/formgrader", timeout=30).status_code == 404    # instructors only
        page = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">'
                                    r"(.*?)</script>", lab, re.S)[1])
        off = set(page["disabledExtensions"])
        assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"} <= off
        assert not {"@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"} & off

        printed = _run_in_kernel(s, base, KERNEL_CODE)
        assert printed.split()[0] == str(loop.env), printed               # the course's environment
        print(f"\nhub: login to kernel output in {time.perf_counter() - started:.1f} s")
    except BaseException:
        log.flush()
        print("--- hub log (end) ---\n" + (state / "hub.log").read_text()[-8000:])
        raise
    finally:
        hub.terminate()
        try:
            hub.wait(timeout=30)
        except subprocess.TimeoutExpired:
            hub.kill()
            hub.wait()
        proxy_pid = state / "jupyterhub-proxy.pid"
        if proxy_pid.exists():                 # the proxy the hub started, if it outlived the hub
            try:
                os.kill(int(proxy_pid.read_text()), 15)
            except (ProcessLookupError, ValueError):
                pass
        log.close()
