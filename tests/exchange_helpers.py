"""Real system users for the exchange tests: create them, run commands as them, remove them.

Plain module, no tests here. Used by tests/test_exchange.py.

Users are named ``bpkit-t-<6 random hex>-<role>`` and live in a temporary folder; they, their
groups, their processes and their homes are removed when ``system_users`` exits, whether the
body passed, failed or was interrupted. Creating users needs root (as CI runs); elsewhere
``need_root`` skips with the reason, except under CI=true, where it fails.
"""
from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

PREFIX = "bpkit-t-"
TOOLS = ("useradd", "userdel", "groupadd", "groupdel", "runuser")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip with the reason; under CI=true, fail instead (CI must run what it claims to)."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


def why_no_users() -> str | None:
    """Why this process cannot create system users, or None when it can."""
    if sys.platform != "linux":
        return f"creating system users is done with Linux's useradd; this is {sys.platform}"
    if os.geteuid() != 0:
        return "creating system users (useradd) needs root; run as root, as CI does"
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        return f"{', '.join(missing)} not found (Debian package 'passwd' / 'util-linux')"
    return None


def need_root() -> None:
    reason = why_no_users()
    if reason:
        skip_or_fail(reason)


@dataclass
class User:
    role: str
    name: str
    home: Path
    uid: int


def _run(*cmd: str | Path) -> None:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=60)
    if done.returncode:
        raise RuntimeError(f"`{' '.join(map(str, cmd))}` exited {done.returncode}: {done.stderr}")


def _pids_of(uid: int) -> list[int]:
    """Processes still running as ``uid`` (a kernel a crashed test left behind)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            uids = next((ln.split()[1:] for ln in status.splitlines() if ln.startswith("Uid:")), [])
            if str(uid) in uids:
                pids.append(int(entry.name))
    return pids


def remove_users(users: list[User], groups: list[str]) -> list[str]:
    """Delete the users (ending their processes by pid first), their groups and homes;
    returns what could not be removed."""
    problems = []
    for user in users:
        for attempt in range(20):
            pids = _pids_of(user.uid)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        done = subprocess.run(["userdel", user.name], capture_output=True, text=True, timeout=60)
        if done.returncode not in (0, 6):          # 6: no such user (already gone)
            problems.append(f"userdel {user.name}: {done.stderr.strip()}")
        shutil.rmtree(user.home, ignore_errors=True)
    for group in groups:
        done = subprocess.run(["groupdel", group], capture_output=True, text=True, timeout=60)
        if done.returncode not in (0, 6):
            problems.append(f"groupdel {group}: {done.stderr.strip()}")
    return problems


def exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@contextmanager
def system_users(base: Path, roles: list[str], groups: dict[str, list[str]] | None = None):
    """Create one user per role (home ``base/home/<name>``, mode 0700) and the named groups
    (``{group suffix: [roles]}``, named ``<prefix><tag>-<suffix>``); yield
    ``({role: User}, {suffix: group name})``; remove them all on exit, even on failure."""
    tag = secrets.token_hex(3)
    users: list[User] = []
    made_groups: list[str] = []
    try:
        names = {}
        for suffix in groups or {}:
            names[suffix] = f"{PREFIX}{tag}-{suffix}"
            _run("groupadd", names[suffix])
            made_groups.append(names[suffix])
        (base / "home").mkdir(parents=True, exist_ok=True)
        for role in roles:
            name = f"{PREFIX}{tag}-{role}"
            home = base / "home" / name
            extra = [names[s] for s, members in (groups or {}).items() if role in members]
            _run("useradd", "--create-home", "--home-dir", home, "--shell", "/bin/sh",
                 "--comment", "bpkit exchange test", *(["--groups", ",".join(extra)] if extra else []),
                 name)
            users.append(User(role, name, home, pwd.getpwnam(name).pw_uid))
            # Debian's useradd makes homes world-readable (HOME_MODE unset, UMASK 022); a class
            # server must not: students would read each other's work and nbgrader cache.
            home.chmod(0o700)
        yield {u.role: u for u in users}, names
    finally:
        problems = remove_users(users, made_groups)
        left = [u.name for u in users if exists(u.name)]
        if problems or left:
            raise RuntimeError(f"test users not removed: {left}; {problems}")


def as_user(user: User, *cmd: str | Path, cwd: Path | None = None, env: dict | None = None,
            input: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run ``cmd`` as ``user`` (runuser), in a clean environment: HOME, USER, LOGNAME set for
    that user, nothing inherited from root but what ``env`` adds. Never raises on exit status."""
    clean = {"HOME": str(user.home), "USER": user.name, "LOGNAME": user.name,
             "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "SHELL": "/bin/sh",
             **(env or {})}
    return subprocess.run([shutil.which("runuser"), "-u", user.name, "--", *map(str, cmd)],
                          cwd=cwd or user.home, env=clean, input=input, capture_output=True,
                          text=True, timeout=timeout)


def must(done: subprocess.CompletedProcess, who: str = "") -> subprocess.CompletedProcess:
    assert done.returncode == 0, (
        f"{who} `{' '.join(map(str, done.args[4:]))}` exited {done.returncode}:\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return done


# --- an environment every user can run ----------------------------------------------------------

def _link_tree(src: Path, dest: Path, ignore=None) -> None:
    """Copy a tree as hard links (instant, no extra space); real copies across filesystems.
    Never write into a linked file: replace it (``_rewrite``), or the original changes too."""
    def link(s, d):
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)
    shutil.copytree(src, dest, symlinks=True, copy_function=link, ignore=ignore)


def _rewrite(path: Path, data: bytes) -> None:
    mode = path.stat().st_mode
    path.unlink()
    path.write_bytes(data)
    path.chmod(mode)


def shared_environment(env: Path, dest: Path, user: User) -> tuple[Path, dict[str, str]]:
    """(environment, extra variables) with which every user runs the course's code.

    The course's environment itself when ``user`` runs it with this very interpreter. Otherwise
    (the usual case when it was made by root: a venv of a Python in root's home, e.g. pyenv's,
    which other users cannot open; the loader then even falls back to the system's libpython,
    a different patch release) a copy, as hard links, of the environment and of the stdlib of
    its base Python, made readable, with bpkit copied in instead of its editable link to the
    repository. On a class server the environment is simply made with a Python everyone can run.
    """
    check = "import sys, bpkit, nbgrader, ipykernel; print(sys.version)"
    done = as_user(user, env / "bin" / "python", "-c", check)
    if done.returncode == 0 and done.stdout.strip() == sys.version:
        return env, {}
    if not (env / "pyvenv.cfg").exists():
        skip_or_fail(f"{env} is not a venv and other users cannot run it: {done.stderr[-500:]}")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = Path(sys.base_prefix)
    python = dest / "python"
    (python / "bin").mkdir(parents=True)
    os.link(Path(sys._base_executable).resolve(), python / "bin" / version)   # noqa: SLF001
    stdlib = base / "lib" / version
    _link_tree(stdlib, python / "lib" / version,
               ignore=lambda d, names: {"site-packages"} & set(names) if Path(d) == stdlib else set())
    for lib in (base / "lib").glob(f"lib{version}*.so*"):       # libpython, for LD_LIBRARY_PATH
        if lib.is_symlink():
            (python / "lib" / lib.name).symlink_to(os.readlink(lib))
        else:
            os.link(lib, python / "lib" / lib.name)
    copy = dest / "env"
    _link_tree(env, copy)
    cfg = copy / "pyvenv.cfg"
    _rewrite(cfg, re.sub(r"(?m)^home = .*$", f"home = {python / 'bin'}", cfg.read_text()).encode())
    old = f"#!{env / 'bin'}/".encode()
    for script in (copy / "bin").iterdir():          # console scripts name their interpreter
        if script.is_file() and not script.is_symlink():
            data = script.read_bytes()
            if data.startswith(old):
                _rewrite(script, f"#!{copy / 'bin'}/".encode() + data[len(old):])
    site = copy / "lib" / version / "site-packages"
    for editable in site.glob("__editable__*bpkit*"):
        editable.unlink()
    import bpkit
    shutil.copytree(Path(bpkit.__file__).parent, site / "bpkit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    extra = {"LD_LIBRARY_PATH": str(python / "lib")}
    done = as_user(user, copy / "bin" / "python", "-c", check, env=extra)
    assert done.returncode == 0 and done.stdout.strip() == sys.version, (
        f"a copy of {env} for other users does not run: {done.stdout}{done.stderr}")
    return copy, extra


# What a user tries to read: run as that user, prints {path: "ok" | "denied: <error>"}.
PROBE = """
import json, os, sys
out = {}
for path in json.load(sys.stdin):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").read(1)
        out[path] = "ok"
    except OSError as e:
        out[path] = f"denied: {e.strerror}"
print(json.dumps(out))
"""


def can_read(user: User, python: Path, paths: list[Path], env: dict | None = None) -> dict[str, bool]:
    """{path: whether ``user`` can list that folder or read that file}."""
    done = must(as_user(user, python, "-c", PROBE, input=json.dumps([str(p) for p in paths]),
                        env=env), user.name)
    return {p: v == "ok" for p, v in json.loads(done.stdout).items()}
