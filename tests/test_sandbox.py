"""The grading sandbox (bpkit.grading.sandbox, bpkit.grading.sandboxrun) against hostile code.

Every test runs real code in a real bubblewrap sandbox. Without bwrap (or where the kernel
refuses to make one) the tests skip with the probe's reason — except under CI=true, where that
is a failure. In CI the tests run as root, the sandbox's "root mode" (uid 61000 + slot inside;
the slots here are 1000 and up, apart from a grading run's);
``test_workstation_mode`` runs the unprivileged (user-namespace) mode as a throwaway system user.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from bpkit.grading import sandbox
from bpkit.grading.sandbox import Limits

REPO = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").lower() == "true"
ROOT = os.geteuid() == 0
MARKER = "BPKIT_SANDBOX_TEST_SECRET"          # in the host's environment, never inside
ESCAPE = f"bpkit-sandbox-escape-{os.getpid()}"  # a file name hostile code tries to create
# This session's slots (uids 61000 + slot in root mode), apart from another session's running
# these tests at the same time on the same machine.
SLOTS = [1000 + (os.getpid() % 1000) * 4 + i for i in range(4)]


def uid_pids(uid: int) -> list[int]:
    """The host's processes (zombies included) whose real uid is ``uid``."""
    pids = []
    for entry in os.scandir("/proc"):
        try:
            with open(f"/proc/{entry.name}/status") as f:
                uids = next(line for line in f if line.startswith("Uid:")).split()
            if int(uids[1]) == uid:
                pids.append(int(entry.name))
        except (OSError, ValueError, StopIteration):
            continue
    return pids


@pytest.fixture(autouse=True)
def sandbox_available(monkeypatch):
    reason = sandbox.probe()
    if reason is not None:
        if CI:
            pytest.fail(f"no sandbox under CI=true: {reason}")
        pytest.skip(f"no sandbox here: {reason}")
    monkeypatch.setenv(MARKER, "the-host-environment")


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(oct(path.stat().st_mode).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def course(tmp_path):
    """A course folder as grading sees it: solutions, a gradebook, two students' hand-ins, and
    the run folder holding alice's job (the sandbox's /input). Unchanged after every test."""
    root = tmp_path / "course"
    files = {
        "solutions/ps1/ps1.ipynb": "SOLUTION-SECRET: def f(x): return 42",
        "gradebook.db": "GRADEBOOK-SECRET",
        "nbgrader_config.py": "c = get_config()",
        "submitted/bob/ps1/ps1.ipynb": "BOB-SECRET: bob's own answers",
        "submitted/alice/ps1/ps1.ipynb": "alice's answers",
        "run/alice/data/points.csv": "1,2\n3,4\n",
        "run/alice/notes.txt": "alice's notes",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    before = _tree_hash(root)
    yield root
    assert _tree_hash(root) == before, "the sandbox changed the course folder"
    for place in (REPO, REPO / "bpkit", Path(sys.prefix), Path("/tmp"), Path("/usr"), Path("/")):
        assert not (place / ESCAPE).exists(), f"the sandbox wrote {place / ESCAPE}"
    if ROOT:
        for slot in SLOTS:
            assert not uid_pids(sandbox.sandbox_uid(slot)), "a process outlived its sandbox"


def run_py(code: str, course: Path, slot: int = SLOTS[0], **limits) -> sandbox.Result:
    """Run ``code`` with the venv's Python in a sandbox whose /input is alice's run folder."""
    limits.setdefault("wall_seconds", 30)
    return sandbox.run([sys.executable, "-c", textwrap.dedent(code)], course / "run" / "alice",
                       Limits(**limits), slot=slot)


def report(result: sandbox.Result) -> dict:
    """The JSON document a test program printed last."""
    assert result.returncode == 0 and result.killed is None, (result.returncode, result.killed,
                                                              result.stderr[-3000:])
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


# --- what the inside looks like ---------------------------------------------------------------------

def test_identity_limits_and_a_normal_computation(course):
    result = run_py("""
        import json, os, resource
        from pathlib import Path
        import numpy as np
        import bpkit
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        x = np.linspace(0, 1, 101)
        print(json.dumps({
            "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
            "caps": {k: status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")},
            "no_new_privs": status["NoNewPrivs"].strip(), "seccomp": status["Seccomp"].strip(),
            "cwd": os.getcwd(), "env": dict(os.environ), "bpkit": bpkit.__file__,
            "mean": float(np.mean(x ** 2)),
            "sigmoid": float(bpkit.sigmoid(np.array([0.0]))[0]),
            "limits": {n: resource.getrlimit(getattr(resource, "RLIMIT_" + n))[0]
                       for n in ("AS", "CPU", "NPROC", "FSIZE", "NOFILE", "CORE")},
            "input": sorted(str(p.relative_to("/input")) for p in Path("/input").rglob("*")),
            "notes": open("/input/notes.txt").read(),
        }))
    """, course, slot=SLOTS[2], memory_bytes=3 << 30, cpu_seconds=77, processes=99, file_bytes=5 << 20)
    got = report(result)
    if ROOT:
        assert got["uid"] == got["gid"] == sandbox.sandbox_uid(SLOTS[2]) == 61000 + SLOTS[2]
        assert got["groups"] == [] or got["groups"] == [got["gid"]]
        assert got["limits"]["NPROC"] == 99
    else:
        assert got["uid"] == os.getuid()
    assert set(got["caps"].values()) == {"0000000000000000"}
    assert got["no_new_privs"] == "1" and got["seccomp"] == "2"
    assert got["cwd"] == "/home/student"
    assert got["limits"]["AS"] == 3 << 30 and got["limits"]["CPU"] == 77
    assert got["limits"]["FSIZE"] == 5 << 20 and got["limits"]["CORE"] == 0
    assert MARKER not in got["env"] and got["env"]["HOME"] == "/home/student"
    assert got["env"]["OPENBLAS_NUM_THREADS"] == "1" and "MPLBACKEND" not in got["env"]
    assert got["env"]["PATH"].split(":")[0] == os.path.join(sys.prefix, "bin")
    assert got["bpkit"] == str(REPO / "bpkit" / "__init__.py")
    assert got["mean"] == pytest.approx(0.3350, abs=1e-4) and got["sigmoid"] == 0.5
    assert got["input"] == ["data", "data/points.csv", "notes.txt"]
    assert got["notes"] == "alice's notes"


def test_course_other_students_and_home_folders_are_not_visible(course):
    secrets = [course / "solutions" / "ps1" / "ps1.ipynb", course / "gradebook.db",
               course / "submitted" / "bob" / "ps1" / "ps1.ipynb", course / "nbgrader_config.py",
               REPO / "solutions", REPO / "gradebook.db", REPO / "nbgrader_config.py",
               REPO / "exercises", REPO / "course.py", REPO / "tests", Path.home() / ".bashrc"]
    result = run_py(f"""
        import json, os
        seen = {{}}
        for path in {[str(p) for p in secrets]!r}:
            try:
                seen[path] = (os.listdir(path) if os.path.isdir(path)
                              else open(path, "rb").read(100).decode("latin-1"))
            except OSError as exc:
                seen[path] = type(exc).__name__
        def ls(path):
            try:
                return sorted(os.listdir(path))
            except OSError as exc:
                return type(exc).__name__
        print(json.dumps({{"seen": seen, "repo": ls({str(REPO)!r}), "home": ls("/home"),
                          "roothome": ls({str(Path.home())!r}), "root": ls("/"), "etc": ls("/etc")}}))
    """, course)
    got = report(result)
    assert set(got["seen"].values()) == {"FileNotFoundError"}, got["seen"]
    assert "SECRET" not in result.stdout.decode()
    # of the course folder only the bpkit package and the venv (when it lives there)
    assert set(got["repo"]) <= {"bpkit", Path(sys.prefix).name}, got["repo"]
    assert got["home"] == ["student"]
    # of root's home at most the path down to the Python installation (pyenv), nothing else
    allowed = {Path(p).relative_to(Path.home()).parts[0] for p in (sys.prefix, sys.base_prefix)
               if Path(p).is_relative_to(Path.home())}
    assert got["roothome"] == "FileNotFoundError" or set(got["roothome"]) <= allowed, got["roothome"]
    assert set(got["etc"]) <= {"fonts", "localtime"}


def test_writes_outside_the_scratch_fail(course):
    targets = [REPO, REPO / "bpkit", Path(sys.prefix), Path(sys.base_prefix), Path("/input"),
               Path("/input/data"), Path("/usr"), Path("/"), Path("/etc"), Path("/dev"),
               course, course / "submitted" / "bob"]
    result = run_py(f"""
        import errno, json, os
        out = {{}}
        for place in {[str(t) for t in targets]!r}:
            try:
                with open(os.path.join(place, {ESCAPE!r}), "w") as f:
                    f.write("escaped")
                out[place] = "WROTE"
            except OSError as exc:
                out[place] = errno.errorcode[exc.errno]
        for victim in ("/input/notes.txt", {str(sys.executable)!r}):
            try:
                open(victim, "a").write("tampered")
                out[victim] = "WROTE"
            except OSError as exc:
                out[victim] = errno.errorcode[exc.errno]
        for scratch in ("/home/student", "/tmp", "/dev/shm"):
            with open(os.path.join(scratch, "ok.txt"), "w") as f:
                f.write("fine")
            out[scratch] = "ok"
        try:                                    # the scratch is a tmpfs of scratch_bytes
            for i in range(8):                  # files under file_bytes, 8 MB in all
                with open(f"/home/student/part{{i}}", "wb") as f:
                    f.write(b"x" * (1 << 20))
            out["scratch full"] = "no"
        except OSError as exc:
            out["scratch full"] = errno.errorcode[exc.errno]
        try:                                    # no single file larger than file_bytes
            with open("/tmp/huge", "wb") as f:
                f.write(b"x" * (3 << 20))
            out["file size"] = "no"
        except OSError as exc:
            out["file size"] = errno.errorcode[exc.errno]
        print(json.dumps(out))
    """, course, scratch_bytes=4 << 20, file_bytes=2 << 20)
    got = report(result)
    for place in [*map(str, targets), "/input/notes.txt", str(sys.executable)]:
        assert got[place] in {"EROFS", "EACCES", "ENOENT", "EPERM"}, (place, got[place])
    assert got["/home/student"] == got["/tmp"] == got["/dev/shm"] == "ok"
    assert got["scratch full"] == "ENOSPC"
    assert got["file size"] == "EFBIG"


# --- resources ----------------------------------------------------------------------------------------

def test_fork_bomb_is_bounded_and_cannot_starve_another_slot(course):
    counted = report(run_py("""
        import json, os, time
        n = 0
        try:
            while n < 5000:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                n += 1
        except OSError as exc:
            print(json.dumps({"children": n, "errno": exc.errno}))
    """, course, slot=SLOTS[1], processes=40))
    assert counted == {"children": 39, "errno": 11}     # itself + 39 children = 40 (EAGAIN)

    peak, stop = [0], threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], len(uid_pids(sandbox.sandbox_uid(SLOTS[1]))))
            time.sleep(0.02)

    results = {}

    def bomb():
        results["bomb"] = run_py("""
            import os
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """, course, slot=SLOTS[1], processes=64, wall_seconds=2.5)

    watcher, bomber = threading.Thread(target=watch), threading.Thread(target=bomb)
    watcher.start()
    bomber.start()
    time.sleep(1.0)                         # the bomb is at its limit now
    other = report(run_py("""
        import json, os
        pids = [os.fork() for _ in range(3)]
        if 0 in pids:
            os._exit(0)
        for p in pids:
            os.waitpid(p, 0)
        print(json.dumps({"ok": True}))
    """, course, slot=SLOTS[2]))
    bomber.join()
    stop.set()
    watcher.join()
    assert other == {"ok": True}
    assert results["bomb"].killed == "wall" and results["bomb"].seconds < 2.5 + 5
    if ROOT:
        assert 0 < peak[0] <= 64, peak
        assert uid_pids(sandbox.sandbox_uid(SLOTS[1])) == []


def test_allocating_20_gb_is_a_memory_error_inside(course):
    got = report(run_py("""
        import json
        import numpy as np
        out = {}
        try:
            block = bytearray(20 << 30)
            out["bytearray"] = "allocated"
        except MemoryError:
            out["bytearray"] = "MemoryError"
        try:
            a = np.ones((20 << 30) // 8)
            out["numpy"] = "allocated"
        except MemoryError:
            out["numpy"] = "MemoryError"
        print(json.dumps(out))
    """, course))
    assert got == {"bytearray": "MemoryError", "numpy": "MemoryError"}


def test_printing_1_gb_stops_at_output_bytes(course):
    result = run_py("""
        import sys
        chunk = b"x" * (1 << 20)
        for _ in range(1024):
            sys.stdout.buffer.write(chunk)
    """, course, output_bytes=1 << 20)
    assert result.killed == "output" and result.returncode is None
    assert len(result.stdout) == 1 << 20
    assert result.seconds < 10
    result = run_py("""
        import sys
        chunk = "y" * (1 << 20)
        for _ in range(256):
            sys.stderr.write(chunk)
        print("done")
    """, course)
    assert result.returncode == 0 and result.stdout == b"done\n"
    assert len(result.stderr) == sandbox.STDERR_KEPT and set(result.stderr) == {"y"}


def test_an_infinite_loop_is_killed_at_wall_seconds(course):
    result = run_py("""
        import subprocess, sys
        subprocess.Popen([sys.executable, "-c", "while True: pass"])   # a helper, too
        while True:
            pass
    """, course, wall_seconds=1.5)
    assert result.killed == "wall" and result.returncode is None
    assert 1.5 <= result.seconds < 1.5 + 5


def test_cpu_seconds_end_a_busy_process(course):
    result = run_py("while True: pass", course, cpu_seconds=1, wall_seconds=20)
    assert result.killed is None and result.returncode == 128 + 24      # SIGXCPU
    assert result.seconds < 10


def test_os_exit_is_reported(course):
    result = run_py("import os; os._exit(7)", course)
    assert result.returncode == 7 and result.killed is None


def test_an_input_folder_the_sandbox_cannot_read_is_refused(course):
    if not ROOT:
        pytest.skip("root mode only: as another user the input folder is that user's")
    private = course.parent / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(ValueError, match="readable by others"):
        sandbox.run(["true"], private, Limits(wall_seconds=5), slot=SLOTS[0])


def test_another_interpreter_via_python_prefixes(course):
    if not os.path.exists("/usr/bin/python3"):
        pytest.skip("no /usr/bin/python3")
    result = sandbox.run(["/usr/bin/python3", "-c", textwrap.dedent("""
        import json, os, sys
        print(json.dumps({"prefix": sys.prefix, "root": sorted(os.listdir("/")),
                          "path": os.environ["PATH"]}))
    """)], course / "run" / "alice", Limits(wall_seconds=30), slot=SLOTS[0],
       python_prefixes=["/usr"])
    got = report(result)
    assert got["prefix"] == "/usr" and got["path"].startswith("/usr/bin:")
    # neither the venv nor root's pyenv: only the bpkit package is bound beside /usr
    bound = {Path(p).parts[1] for p in (sys.prefix, sys.base_prefix)} - {"usr"}
    assert not (bound - {(REPO / "bpkit").parts[1]}) & set(got["root"]), got["root"]


# --- isolation ----------------------------------------------------------------------------------------

def test_no_network_not_even_the_hosts_loopback(course):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        got = report(run_py(f"""
            import json, socket
            out = {{"interfaces": [name for _, name in socket.if_nameindex()]}}
            for host, port in (("1.1.1.1", 80), ("127.0.0.1", {port})):
                try:
                    socket.create_connection((host, port), timeout=3).close()
                    out[host] = "connected"
                except OSError as exc:
                    out[host] = type(exc).__name__ + ": " + str(exc)
            print(json.dumps(out))
        """, course))
        with pytest.raises(BlockingIOError):
            listener.accept()                  # nobody came
    finally:
        listener.close()
    assert got["interfaces"] == ["lo"]
    assert "unreachable" in got["1.1.1.1"].lower()
    assert got["127.0.0.1"].startswith("ConnectionRefusedError")


def test_host_processes_are_not_visible(course):
    host_pid = os.getpid()
    got = report(run_py(f"""
        import json, os
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        cmdlines = []
        for p in pids:
            try:
                cmdlines.append(open(f"/proc/{{p}}/cmdline", "rb").read().decode(errors="replace"))
            except OSError:
                pass
        environ = {{}}
        for p in pids:
            try:
                environ[p] = open(f"/proc/{{p}}/environ", "rb").read().decode(errors="replace")
            except OSError as exc:
                environ[p] = type(exc).__name__
        try:
            os.kill({host_pid}, 0)
            signal = "delivered"
        except OSError as exc:
            signal = type(exc).__name__
        print(json.dumps({{"pids": pids, "cmdlines": cmdlines, "environ": environ, "kill": signal}}))
    """, course))
    assert len(got["pids"]) <= 3 and max(got["pids"]) < 10, got["pids"]   # bwrap's init, python
    assert all(c.split("\0")[0] in {shutil.which("bwrap"), "bwrap", sys.executable}
               for c in got["cmdlines"]), got["cmdlines"]
    assert all(MARKER not in e for e in got["environ"].values())
    if ROOT:
        assert got["environ"]["1"] == "PermissionError"        # bwrap's init runs as root
    assert got["kill"] == "ProcessLookupError"


def test_no_user_namespaces_inside(course):
    got = report(run_py("""
        import ctypes, json, subprocess
        libc = ctypes.CDLL(None, use_errno=True)
        rc = libc.unshare(0x10000000)                   # CLONE_NEWUSER
        tool = subprocess.run(["unshare", "--user", "--map-root-user", "true"], capture_output=True)
        print(json.dumps({"unshare": [rc, ctypes.get_errno()], "tool": tool.returncode}))
    """, course))
    assert got["unshare"] == [-1, 1]                    # EPERM
    assert got["tool"] != 0


# --- sandboxrun: a notebook executed in the sandbox ------------------------------------------------

def _notebook_job(folder: Path, cells: list[str], timeout: int = 2, cap: int = 64 << 10) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    folder.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(cells=[new_code_cell(c) for c in cells], metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, folder / "alice.ipynb")
    (folder / "job.json").write_text(json.dumps({
        "notebook": "alice.ipynb",
        "execute_config": {"ExecutePreprocessor": {"timeout": timeout, "shutdown_kernel": "immediate"},
                           "Execute": {"extra_arguments": ["--IPKernelApp.log_level=ERROR"],
                                       "error_on_timeout": {"ename": "CellTimeoutError",
                                                            "evalue": "stopped", "traceback": []}}},
        "max_cell_output_bytes": cap}))
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def _execute(folder: Path, wall: float = 90) -> tuple[sandbox.Result, dict]:
    result = sandbox.run([sys.executable, "-m", "bpkit.grading.sandboxrun"], folder,
                         Limits(wall_seconds=wall), slot=SLOTS[3])
    assert result.returncode == 0 and result.killed is None, result.stderr[-3000:]
    return result, json.loads(result.stdout)


def _text(cell: dict) -> str:
    return "".join(o.get("text", "") for o in cell["outputs"] if o["output_type"] == "stream")


def test_sandboxrun_executes_a_notebook(course, tmp_path):
    folder = _notebook_job(tmp_path / "alice-nb", [
        "import numpy as np, bpkit\nprint(np.arange(4).sum(), bpkit.__version__)\n"
        "open('sub/data.txt').read()",
        "while True:\n    pass",
        "print('after the loop')",
        "import sys\nfor _ in range(50):\n    sys.stdout.write('z' * (1 << 20))",
        "print('w' * 200_000)\nassert False, 'a hidden test fails after printing a lot'",
        "import os\ntry:\n    os.listdir(f'/proc/{os.getppid()}/fd')\n    print('executor fds OPEN')\n"
        "except OSError as exc:\n    print('executor fds', type(exc).__name__)\n"
        "print('uid', os.getuid(), 'cwd', os.getcwd())",
        "import os\nos.write(1, b'{\"status\": \"forged\"}')",         # the kernel's fd 1
    ])
    (folder / "sub").mkdir(mode=0o755)
    (folder / "sub" / "data.txt").write_text("alice's data")
    (folder / "sub" / "data.txt").chmod(0o644)
    result, answer = _execute(folder)
    assert answer["status"] == "executed", answer.get("error")
    cells = answer["notebook"]["cells"]
    assert _text(cells[0]) == "6 0.1.0\n"
    assert cells[0]["outputs"][-1]["data"]["text/plain"] == "\"alice's data\""
    assert [o.get("ename") for o in cells[1]["outputs"]] == ["KeyboardInterrupt", "CellTimeoutError"]
    assert _text(cells[2]) == "after the loop\n"
    assert "[output truncated: this cell printed more than 65536 bytes]" in _text(cells[3])
    assert len(json.dumps(cells[3])) < 3 * (64 << 10)
    errors = [o for o in cells[4]["outputs"] if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["AssertionError"]          # never dropped
    assert "executor fds PermissionError" in _text(cells[5])
    uid = sandbox.sandbox_uid(SLOTS[3]) if ROOT else os.getuid()
    assert f"uid {uid} cwd /home/student/work" in _text(cells[5])
    assert len(result.stdout) < 2 << 20


def test_sandboxrun_reports_a_dead_kernel(course, tmp_path):
    folder = _notebook_job(tmp_path / "alice-exit", ["print('hi')", "import os\nos._exit(1)",
                                                           "print('never')"])
    _, answer = _execute(folder)
    assert answer["status"] == "error"
    assert answer["error"]["kind"] == "crashed"
    assert answer["error"]["type"] == "nbclient.exceptions.DeadKernelError"


# --- the unprivileged mode, as an instructor on a workstation -----------------------------------

@pytest.fixture
def system_user(request):
    if not ROOT:
        pytest.skip("not root: every other test here already ran the unprivileged mode")
    if not (shutil.which("useradd") and shutil.which("runuser") and os.path.exists("/usr/bin/python3")):
        pytest.skip("needs useradd, runuser and /usr/bin/python3")
    name = f"bpkitsbx{os.getpid() % 100000}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    name], check=True, capture_output=True)

    def remove():
        for _ in range(50):             # userdel refuses while a process of the user is left
            if subprocess.run(["userdel", name], capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        subprocess.run(["userdel", "--force", name], capture_output=True)

    request.addfinalizer(remove)
    return name


def test_workstation_mode(system_user, course):
    import pwd

    user = pwd.getpwnam(system_user)
    base = Path(tempfile.mkdtemp(prefix="bpkit-sandbox-ws-"))
    try:
        base.chmod(0o755)
        # the module alone (the user can read neither root's pyenv nor, maybe, the checkout)
        (base / "bpkit" / "grading").mkdir(parents=True)
        shutil.copy(REPO / "bpkit" / "grading" / "sandbox.py", base / "bpkit" / "grading")
        inputs = base / "in"
        inputs.mkdir()
        (inputs / "notes.txt").write_text("workstation notes")
        for path in [base, *base.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        os.chown(inputs, user.pw_uid, user.pw_gid)
        inner = textwrap.dedent("""
            import ctypes, json, os, resource, socket
            status = dict(line.split(":", 1) for line in open("/proc/self/status"))
            out = {"uid": os.getuid(), "capeff": status["CapEff"].strip(),
                   "notes": open("/input/notes.txt").read(), "root": sorted(os.listdir("/")),
                   "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0],
                   "unshare": ctypes.CDLL(None, use_errno=True).unshare(0x10000000)}
            try:
                socket.create_connection(("1.1.1.1", 80), timeout=3)
                out["net"] = "connected"
            except OSError as exc:
                out["net"] = type(exc).__name__
            for path in ("/input/x", "/usr/x", "/x"):
                try:
                    open(path, "w")
                    out[path] = "WROTE"
                except OSError as exc:
                    out[path] = type(exc).__name__
            n = 0
            try:
                while n < 1000:
                    if os.fork() == 0:
                        import time; time.sleep(60); os._exit(0)
                    n += 1
            except OSError:
                pass
            out["children"] = n
            print(json.dumps(out))
        """)
        driver = base / "drive.py"
        driver.write_text(textwrap.dedent(f"""
            import importlib.util, json, sys
            spec = importlib.util.spec_from_file_location(
                "sandbox", {str(base / "bpkit" / "grading" / "sandbox.py")!r})
            sandbox = importlib.util.module_from_spec(spec)
            sys.modules["sandbox"] = sandbox
            spec.loader.exec_module(sandbox)
            reason = sandbox.probe()
            if reason is not None:
                print(json.dumps({{"probe": reason}}))
                sys.exit()
            r = sandbox.run(["/usr/bin/python3", "-c", {inner!r}], {str(inputs)!r},
                            sandbox.Limits(wall_seconds=30, processes=16))
            print(json.dumps({{"returncode": r.returncode, "killed": r.killed,
                              "stdout": r.stdout.decode(), "stderr": r.stderr}}))
        """))
        driver.chmod(0o644)
        proc = subprocess.run([shutil.which("runuser"), "-u", system_user, "--", "/usr/bin/python3",
                               str(driver)], capture_output=True, text=True, timeout=60, cwd=base,
                              env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        assert proc.returncode == 0, proc.stderr
        outer = json.loads(proc.stdout.strip().splitlines()[-1])
        if "probe" in outer:
            if CI:
                pytest.fail(f"the unprivileged sandbox is refused under CI=true: {outer['probe']}")
            pytest.skip(f"unprivileged sandbox refused here: {outer['probe']}")
        assert outer["returncode"] == 0 and outer["killed"] is None, outer["stderr"]
        got = json.loads(outer["stdout"].strip().splitlines()[-1])
        assert got["uid"] == user.pw_uid and got["capeff"] == "0000000000000000"
        assert got["notes"] == "workstation notes"
        assert "root" not in got["root"] and "work" not in got["root"]
        assert got["unshare"] == -1 and got["net"] == "OSError"
        assert {got[p] for p in ("/input/x", "/usr/x", "/x")} <= {"OSError", "PermissionError"}
        assert got["children"] <= 15                       # itself + children <= processes
        # only zombies may be left: bwrap's init in the namespace, which bwrap leaves to the
        # host's init to reap (it has no process of the sandbox left when it is a zombie)
        left = subprocess.run(["ps", "-u", system_user, "-o", "stat=,comm="], capture_output=True,
                              text=True).stdout.split("\n")
        assert all(line.startswith("Z") for line in left if line.strip()), left
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --- what the sandbox costs ---------------------------------------------------------------------------

def test_overhead_figure(course, capsys):
    """Not an assertion: prints the extra wall time of sandbox.run over a plain subprocess
    (interleaved runs; the minimum is the least disturbed by other load on the machine)."""
    argv = [sys.executable, "-c", "import numpy"]
    inputs = course / "run" / "alice"
    subprocess.run(argv, check=True)                    # warm the page cache
    plain, boxed = [], []
    for _ in range(10):
        t = time.perf_counter()
        subprocess.run(argv, check=True)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        assert sandbox.run(argv, inputs, Limits(wall_seconds=30), slot=SLOTS[0]).returncode == 0
        boxed.append(time.perf_counter() - t)
    ms = lambda xs: f"min {min(xs) * 1000:.0f} ms, median {statistics.median(xs) * 1000:.0f} ms"
    with capsys.disabled():
        print(f"\n[sandbox overhead] python -c 'import numpy' x10: plain {ms(plain)}; "
              f"sandboxed {ms(boxed)}; extra {(min(boxed) - min(plain)) * 1000:.0f} ms (min), "
              f"{(statistics.median(boxed) - statistics.median(plain)) * 1000:.0f} ms (median)")
