"""Run a command — a student's notebook, executor and kernel — inside a bubblewrap sandbox.

The grader must execute code written by students, some of whom will try to read the hidden
tests, rewrite their grade, or take the machine down. :func:`run` starts ``argv`` under
bubblewrap (Debian package ``bubblewrap``, ``/usr/bin/bwrap``) in a sandbox where

* the file system is a fresh, read-only tmpfs holding only what Python needs, each at its own
  path and **read-only**: ``/usr`` (with ``/bin``, ``/lib``, ``/lib64``, ``/sbin`` as on the
  host, symlinks included), ``/etc/fonts`` and ``/etc/localtime`` when present, the Python
  installation (``sys.base_prefix``), the virtual environment (``sys.prefix``) and the bpkit
  package directory. Nothing else of the host exists inside: not the course (solutions/, the
  gradebook, submitted/, …: of the course folder only ``bpkit/`` and the venv are there), not
  another student's files, not a home folder;
* the job's ``input_dir`` is bound **read-only** at ``/input``;
* the only writable places are size-limited tmpfs mounts, new for every run and gone after it:
  ``/home/student`` (``HOME`` and the working directory), ``/tmp`` and ``/dev/shm``;
* there is no network (a new network namespace holding only its own loopback), no view of the
  host's processes (a new pid namespace: ``/proc`` shows only the sandbox), its own IPC, UTS
  and (when the kernel offers one) cgroup namespace, and a fixed environment (``--clearenv``);
* a seccomp filter refuses to create user namespaces (``unshare``/``clone`` with
  ``CLONE_NEWUSER``; ``clone3`` answers ENOSYS so that the C library falls back to ``clone``),
  so code inside cannot gain capabilities in a namespace of its own and mount, for instance, a
  tmpfs of unlimited size; system calls of a foreign ABI (i386, x32) are refused too;
* resource limits bound every process: address space (``RLIMIT_AS``), CPU seconds
  (``RLIMIT_CPU``), file size (``RLIMIT_FSIZE``), open files, no core dumps, and the number of
  processes and threads (``RLIMIT_NPROC``, see below). They are set by ``prlimit`` as the first
  command inside the sandbox, so they cover everything started there and nothing outside;
* the caller reads at most ``output_bytes`` of its stdout (more, and the sandbox is killed:
  ``killed="output"``) and keeps the first 64 KB of its stderr; after ``wall_seconds`` the
  whole sandbox is killed (``killed="wall"``). Killing bwrap kills everything inside: bwrap runs
  with ``--die-with-parent``, and when the pid namespace's first process dies the kernel kills
  every other one. Whether the command ended or was killed, :func:`run` returns only once every
  process of the sandbox is gone. (bwrap's init, the namespace's first process, is left a
  zombie for the host's init to reap — bwrap does not wait for it; in a container, run the
  grader under an init that reaps, such as ``docker run --init``.)

Two ways of making the sandbox, chosen by who runs it:

**As root** (CI, a grading server). With a user namespace, the processes inside would be root
of that namespace, mapped to the real root, which ``RLIMIT_NPROC`` does not hold (measured on
Linux 6.18: a fork bomb reached 1000 processes under a limit of 64). So bwrap runs *without*
``--unshare-user``, keeping only ``CAP_SETUID``/``CAP_SETGID``/``CAP_SETPCAP`` (``--cap-drop ALL``
then ``--cap-add``: as real root bwrap would otherwise keep every capability), and the command
is started through ``setpriv`` as uid/gid ``61000 + slot`` (no passwd entry needed), with no
supplementary groups, no capabilities, an empty bounding set and ``no_new_privs``.
``RLIMIT_NPROC`` then counts exactly the processes of that uid, and each concurrent ``slot`` has
its own uid, so one student's fork bomb cannot starve another's sandbox. Give every sandbox running at the same time its own slot, and
keep uids 61000… free of other processes. The bound Python installation keeps its own
permissions (it must be readable by others, as ``/root/.pyenv`` is), and the directories bwrap
creates above it are mode 0755 (bwrap would make them 0700).

**As another user** (an instructor's workstation). bwrap makes an unprivileged user namespace
(``--unshare-user``; the kernel must allow it — :func:`probe` says when it does not). The uid
inside is the instructor's own. How ``RLIMIT_NPROC`` counts then depends on the kernel: since
Linux 5.14 processes are counted per user namespace, so the limit covers the sandbox's own
processes (measured on 6.18: a limit of ``processes`` lets the command fork exactly up to it,
whatever the instructor runs meanwhile). Before 5.14 it counts *all* the instructor's processes
and threads, so the limit is set to their current number (read from /proc) plus ``processes``:
approximate — the sandbox gets fewer when the instructor starts more meanwhile, and concurrent
sandboxes share one allowance. Memory, CPU and file limits are the same in both modes.

What is not bounded: memory is limited *per process* (``RLIMIT_AS``), so up to ``processes``
processes could together use ``processes × memory_bytes``; only a memory cgroup (the
container's, or the grading server's systemd slice) bounds the sum. Likewise ``RLIMIT_CPU`` is
per process (a process gets SIGXCPU at ``cpu_seconds``, SIGKILL a second later);
``wall_seconds`` bounds the whole. The sandbox does not hide the kernel's own attack surface
beyond the user-namespace filter. Inside, ``/proc/1/cmdline`` (bwrap's init) shows bwrap's
command line, so host paths of the bound directories are visible, not their neighbours.

This module uses only the standard library at import time.
"""
from __future__ import annotations

import os
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limits", "Result", "SandboxUnavailable", "probe", "run", "sandbox_uid",
           "INSTALL_HINT"]

INSTALL_HINT = "install bubblewrap (apt-get install bubblewrap)"
BASE_UID = 61000                 # slot n runs as uid/gid BASE_UID + n (root mode)
HOME = "/home/student"
STDERR_KEPT = 64 << 10           # bytes of the sandbox's stderr kept in Result.stderr
_SHM_BYTES = 64 << 20            # /dev/shm (POSIX semaphores, shared memory)
_REAP_SECONDS = 10.0             # how long run() waits for a killed sandbox's processes to go


@dataclass(frozen=True)
class Limits:
    """Limits of one sandboxed run. Memory, CPU, files and processes are per-process rlimits
    (see the module's docstring for what that means for their sum)."""
    wall_seconds: float               # whole run; the sandbox is killed after it
    cpu_seconds: int = 600            # RLIMIT_CPU, CPU seconds of each process
    memory_bytes: int = 4 << 30       # RLIMIT_AS of each process (measured, virtual: ipykernel
                                      # with numpy, matplotlib, scipy, sklearn 1.2 GB; executor 0.7)
    processes: int = 256              # processes and threads (RLIMIT_NPROC)
    file_bytes: int = 64 << 20        # RLIMIT_FSIZE: largest file a process may write
    scratch_bytes: int = 256 << 20    # size of each tmpfs: /home/student and /tmp
    output_bytes: int = 64 << 20      # most bytes read from the sandbox's stdout
    open_files: int = 1024            # RLIMIT_NOFILE


@dataclass
class Result:
    returncode: int | None      # the command's exit status (bwrap reports death by signal n as
                                # 128 + n); None when the caller killed the sandbox
    stdout: bytes               # at most limits.output_bytes
    stderr: str                 # its first 64 KB, decoded leniently
    killed: str | None          # "wall" | "output" | None: why the caller killed the sandbox
    seconds: float              # wall time of the whole run


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here; the message says why (see :func:`probe`)."""


def sandbox_uid(slot: int) -> int:
    """The uid (and gid) the command runs as in root mode."""
    return BASE_UID + slot


def _is_root() -> bool:
    return os.geteuid() == 0


def _package_dir() -> Path:
    """The bpkit package directory, found without importing bpkit (which imports numpy)."""
    return Path(__file__).resolve().parent.parent


def python() -> str:
    """This interpreter as the sandbox runs it: by its folder's resolved path, so a course's
    .venv that is a symlink to a shared environment is reached through its target."""
    return os.path.join(os.path.realpath(os.path.dirname(sys.executable)),
                        os.path.basename(sys.executable))


def _default_prefixes() -> list[str]:
    """This interpreter's environment and installation, as named and as resolved, and the
    environment that holds :func:`python`."""
    return list(dict.fromkeys([*(p for prefix in (sys.prefix, sys.base_prefix)
                                 for p in (prefix, os.path.realpath(prefix))),
                               os.path.dirname(os.path.dirname(python()))]))


# --- the seccomp filter: no new user namespaces ---------------------------------------------------

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_SYSCALLS = {                    # (clone, unshare, clone3)
    "x86_64": (56, 272, 435),
    "aarch64": (220, 97, 435),
}
_CLONE_NEWUSER = 0x10000000


def _seccomp_program() -> bytes | None:
    """A classic-BPF seccomp program (what ``bwrap --seccomp`` reads) refusing user namespaces,
    or None on an architecture it does not know (the sandbox then runs without it)."""
    machine = os.uname().machine
    if machine not in _AUDIT_ARCH:
        return None
    clone, unshare, clone3 = _SYSCALLS[machine]
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38

    def op(code, k, jt=0, jf=0):
        return struct.pack("=HBBI", code, jt, jf, k)

    program = [
        op(ld, 4),                                  # 0  A = arch
        op(jeq, _AUDIT_ARCH[machine], 1, 0),        # 1  native ABI? go to 3
        op(ret, enosys),                            # 2  foreign ABI (i386 on x86_64): refused
        op(ld, 0),                                  # 3  A = syscall number
        op(jge, 0x40000000, 0, 1),                  # 4  x32 ABI? (go to 5, else 6)
        op(ret, enosys),                            # 5
        op(jeq, clone3, 0, 1),                      # 6  clone3: its flags are out of reach
        op(ret, enosys),                            # 7    (the C library falls back to clone)
        op(jeq, clone, 2, 0),                       # 8  clone: check the flags at 11
        op(jeq, unshare, 1, 0),                     # 9  unshare: check the flags at 11
        op(ret, allow),                             # 10
        op(ld, 16),                                 # 11 A = low 32 bits of the first argument
        op(jset, _CLONE_NEWUSER, 0, 1),             # 12
        op(ret, eperm),                             # 13 a new user namespace: refused
        op(ret, allow),                             # 14
    ]
    if sys.byteorder != "little":                   # pragma: no cover - both arches are LE
        return None
    return b"".join(program)


# --- building the command line -------------------------------------------------------------------

def _kernel_version() -> tuple[int, int]:
    try:
        major, minor = os.uname().release.split(".")[:2]
        return int(major), int("".join(c for c in minor if c.isdigit()) or 0)
    except ValueError:                               # pragma: no cover - an odd release string
        return (0, 0)


def _user_tasks(uid: int) -> int:
    """Processes and threads whose real uid is ``uid``."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", encoding="ascii", errors="replace") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields.get("Threads", "1").strip() or 1)
        except (OSError, KeyError, ValueError):
            continue
    return count


def _nproc_limit(processes: int) -> int:
    """RLIMIT_NPROC for the sandbox, so that the command may have ``processes`` processes and
    threads (itself included). Root mode: the slot's uid runs nothing else, so exactly that.
    Unprivileged mode: since Linux 5.14 the count is kept per user namespace, so it covers the
    sandbox's namespace only — bwrap's init there, plus the command's; before 5.14 it covers
    every process and thread of the user, so their current number is added."""
    if _is_root():
        return processes
    if _kernel_version() >= (5, 14):
        return processes + 1
    return _user_tasks(os.getuid()) + processes


def _bwrap_argv(argv: list[str], input_dir: Path, limits: Limits, slot: int,
                env: dict | None, prefixes: list[str], seccomp_fd: int | None,
                info_fd: int | None = None) -> list[str]:
    root = _is_root()
    bwrap = _bwrap()
    cmd = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    # (not --unshare-all: as root it would also make a user namespace, see the docstring)
    if root:
        cmd += ["--cap-drop", "ALL"]
        for cap in ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"):    # for setpriv, below
            cmd += ["--cap-add", cap]
    else:
        cmd += ["--unshare-user"]
    # the writable scratch: fresh tmpfs mounts of bounded size
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--perms", "01777", "--size", str(limits.scratch_bytes), "--tmpfs", "/tmp",
            "--perms", "01777", "--size", str(min(_SHM_BYTES, limits.scratch_bytes)),
            "--tmpfs", "/dev/shm",
            "--dir", "/home",
            "--perms", "01777", "--size", str(limits.scratch_bytes), "--tmpfs", HOME]
    # what Python needs, read-only, each at its own path
    for name in ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"):
        if os.path.islink(name):
            cmd += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            cmd += ["--ro-bind", name, name]
    made = {"/tmp", "/home", HOME, "/dev", "/dev/shm", "/proc"}   # mounted above: left alone

    def parents(path: str) -> list[str]:
        """Make the directories above ``path`` mode 0755 (bwrap, as root, would make them
        0700: unreadable by the sandbox's uid)."""
        args, parent = [], os.path.dirname(path)
        for depth in range(2, parent.count("/") + 2):
            above = "/".join(parent.split("/")[:depth])
            if above and above not in made:
                made.add(above)
                args += ["--perms", "0755", "--dir", above]
        return args

    for name in ("/etc/fonts", "/etc/localtime"):
        if os.path.exists(name):
            cmd += parents(name) + ["--ro-bind", name, name]
    bound: list[str] = ["/usr"]
    for path in sorted(dict.fromkeys([*prefixes, str(_package_dir())]), key=len):
        path = os.path.abspath(path)
        if any(path == b or path.startswith(b.rstrip("/") + "/") for b in bound):
            continue                                # already inside a bound directory
        bound.append(path)
        cmd += parents(path) + ["--ro-bind", path, path]
    cmd += ["--ro-bind", str(Path(input_dir).resolve()), "/input"]
    cmd += ["--remount-ro", "/", "--remount-ro", "/dev", "--chdir", HOME]
    # the environment
    path_dirs = [os.path.join(p, "bin") for p in prefixes] + [
        "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
    fixed = {
        "PATH": ":".join(dict.fromkeys(path_dirs)),
        "HOME": HOME, "USER": "student", "LOGNAME": "student", "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "MPLCONFIGDIR": "/tmp/mpl", "IPYTHONDIR": "/tmp/ipython",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime", "JUPYTER_CONFIG_DIR": "/tmp/jupyter-config",
        "JUPYTER_DATA_DIR": "/tmp/jupyter-data", "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
    }
    fixed.update(env or {})
    cmd += ["--clearenv"]
    for key, value in fixed.items():
        cmd += ["--setenv", str(key), str(value)]
    if seccomp_fd is not None:
        cmd += ["--seccomp", str(seccomp_fd)]
    if info_fd is not None:
        cmd += ["--info-fd", str(info_fd)]
    # inside: the limits, then (as root) the unprivileged uid, then the command
    cmd += ["--", shutil.which("prlimit") or "/usr/bin/prlimit",
            f"--as={limits.memory_bytes}",
            f"--cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",   # SIGXCPU, then SIGKILL
            f"--fsize={limits.file_bytes}", f"--nofile={limits.open_files}", "--core=0",
            f"--nproc={_nproc_limit(limits.processes)}", "--"]
    if root:
        uid = sandbox_uid(slot)
        cmd += [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}",
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return cmd + list(argv)


# --- running it -------------------------------------------------------------------------------

def _ended(pid: int) -> bool:
    """Has process ``pid`` finished exiting (gone, or a zombie)? For the pid namespace's first
    process this means every other process of the namespace is gone too: the kernel kills and
    reaps them all before that process becomes a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def _sandbox_init_pid(info_fd: int) -> int | None:
    """The host pid of the sandbox's first process, from what bwrap wrote to ``--info-fd``."""
    import json
    try:
        data = os.read(info_fd, 1 << 16)
        return int(json.loads(data)["child-pid"]) if data else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _run(argv: list[str], input_dir: Path, limits: Limits, slot: int, env: dict | None,
         prefixes: list[str]) -> Result:
    started = time.monotonic()
    deadline = started + limits.wall_seconds
    program = _seccomp_program()
    seccomp_r = None
    if program is not None:
        seccomp_r, seccomp_w = os.pipe()
        os.write(seccomp_w, program)                # a few hundred bytes: fits the pipe
        os.close(seccomp_w)
    info_r, info_w = os.pipe()
    os.set_blocking(info_r, False)
    try:
        cmd = _bwrap_argv(argv, input_dir, limits, slot, env, prefixes, seccomp_r, info_w)
        process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True, umask=0o022,
                                   pass_fds=(info_w,) if seccomp_r is None else (seccomp_r, info_w))
    except BaseException:
        os.close(info_r)
        raise
    finally:
        os.close(info_w)
        if seccomp_r is not None:
            os.close(seccomp_r)
    out, err = bytearray(), bytearray()
    killed = None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, "out")
        selector.register(process.stderr, selectors.EVENT_READ, "err")
        open_pipes = 2
        while open_pipes:
            now = time.monotonic()
            if killed is None and now >= deadline:
                killed = "wall"
                _kill_group(process)
                deadline = now + _REAP_SECONDS      # then drain what is left, briefly
            elif killed is not None and now >= deadline:
                break                               # something still holds a pipe: give up
            for key, _ in selector.select(timeout=max(0.0, deadline - now)):
                chunk = os.read(key.fileobj.fileno(), 1 << 16)
                if not chunk:
                    selector.unregister(key.fileobj)
                    open_pipes -= 1
                elif key.data == "err":
                    if len(err) < STDERR_KEPT:
                        err += chunk[:STDERR_KEPT - len(err)]
                elif killed is None:
                    out += chunk
                    if len(out) > limits.output_bytes:
                        del out[limits.output_bytes:]
                        killed = "output"
                        _kill_group(process)
                        deadline = time.monotonic() + _REAP_SECONDS
    if killed is not None:
        _kill_group(process)
    try:
        returncode = process.wait(timeout=_REAP_SECONDS)
    except subprocess.TimeoutExpired:               # pragma: no cover - bwrap ignores SIGKILL?
        returncode = None
    process.stdout.close()
    process.stderr.close()
    # bwrap returns as soon as the command has exited (or was killed with bwrap): the rest of
    # the namespace may still be dying. Wait until it is gone. (The namespace's first process
    # then stays a zombie until the host's init reaps it: bwrap does not wait for it.)
    init_pid = _sandbox_init_pid(info_r)
    os.close(info_r)
    until = time.monotonic() + _REAP_SECONDS
    while init_pid is not None and not _ended(init_pid) and time.monotonic() < until:
        time.sleep(0.01)
    return Result(returncode=None if killed else returncode, stdout=bytes(out),
                  stderr=err.decode("utf-8", "replace"), killed=killed,
                  seconds=round(time.monotonic() - started, 3))


_PROBE: list[str | None] = []


def probe() -> str | None:
    """None when a sandbox can be made here, else a one-line reason. Runs a trivial command in a
    sandbox once per process and remembers the answer."""
    if not _PROBE:
        _PROBE.append(_probe())
    return _PROBE[0]


def _bwrap() -> str:
    """The bubblewrap program: $BPKIT_BWRAP if set (e.g. to test what happens without one),
    else bwrap on PATH, else Debian's /usr/bin/bwrap."""
    return os.environ.get("BPKIT_BWRAP") or shutil.which("bwrap") or "/usr/bin/bwrap"


def _probe() -> str | None:
    if not os.access(_bwrap(), os.X_OK):
        return INSTALL_HINT
    needed = ("prlimit", "setpriv") if _is_root() else ("prlimit",)
    missing = [n for n in needed if shutil.which(n) is None and not os.path.exists(f"/usr/bin/{n}")]
    if missing:
        return f"install util-linux ({', '.join(missing)} not found)"
    true = shutil.which("true") or "/usr/bin/true"
    with tempfile.TemporaryDirectory(prefix="bpkit-probe-") as empty:
        os.chmod(empty, 0o755)
        try:
            result = _run([true], Path(empty), Limits(wall_seconds=30), 0, None, [])
        except OSError as exc:
            return f"bubblewrap could not start: {exc}"
    if result.returncode == 0:
        return None
    lines = [l.strip() for l in result.stderr.splitlines() if l.strip()]
    message = lines[0] if lines else f"bwrap exited {result.returncode}"
    if not _is_root() and ("namespace" in message.lower() or "permitted" in message.lower()):
        return f"user namespaces denied: {message}"
    return f"bubblewrap cannot make a sandbox here: {message}"


def run(argv: list[str], input_dir: Path, limits: Limits, slot: int = 0, env: dict | None = None,
        *, python_prefixes: list[str | os.PathLike] | None = None) -> Result:
    """Run ``argv`` in a sandbox (see the module's docstring) with ``input_dir`` read-only at
    ``/input`` and the working directory ``/home/student``; ``env`` is added to the fixed
    environment. ``python_prefixes`` are the Python installations bound read-only at their own
    paths, their ``bin/`` first on PATH (default: this interpreter's ``sys.prefix`` and
    ``sys.base_prefix``); pass the prefixes of another interpreter to run that one. ``slot``
    tells concurrent runs apart (root mode: uid ``61000 + slot``). In root mode ``input_dir``
    and its files must be readable by others.

    Raises :class:`SandboxUnavailable` when :func:`probe` gives a reason."""
    reason = probe()
    if reason is not None:
        raise SandboxUnavailable(reason)
    if slot < 0:
        raise ValueError("slot must be >= 0")
    if _is_root() and os.stat(input_dir).st_mode & 0o005 != 0o005:
        raise ValueError(f"{input_dir} must be readable by others (chmod o+rx): the sandbox "
                         f"runs as uid {sandbox_uid(slot)}")
    prefixes = (_default_prefixes() if python_prefixes is None
                else [os.fspath(p) for p in python_prefixes])
    return _run(list(argv), Path(input_dir), limits, slot, env, prefixes)
