"""course.py, the README's commands: idempotent setup, the venv's bin/ on PATH for children."""
import importlib.util
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course(tmp_path, monkeypatch):
    """course.py loaded as a module, pointed at a fake repository in tmp_path."""
    spec = importlib.util.spec_from_file_location("course_under_test", ROOT / "course.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    venv = tmp_path / ".venv"
    monkeypatch.setattr(mod, "ROOT", tmp_path)
    monkeypatch.setattr(mod, "VENV", venv)
    monkeypatch.setattr(mod, "BIN", venv / "bin")
    monkeypatch.setattr(mod, "PYTHON", venv / "bin" / "python")
    monkeypatch.setattr(mod, "STAMP", venv / ".stamp")
    (tmp_path / "requirements-lock.txt").write_text("numpy==2.2.6\n")
    (tmp_path / "nbgrader_config.py").write_text("")    # generate copies it to its scratch course
    calls = []
    mod.uv_on_index, mod.uv_exit = True, 0               # what `pip install uv` and uv will do

    def fake_run(*cmd, check=True):
        cmd = [str(c) for c in cmd]
        calls.append(cmd)
        return mod.uv_exit if cmd[0] == str(mod._uv()) else 0

    def fake_fetch_uv():
        calls.append([str(mod.PYTHON), "-m", "pip", "install", "uv"])
        if mod.uv_on_index:
            mod._uv().touch()                            # pip put uv into .venv

    monkeypatch.setattr(mod, "_run", fake_run)
    mod.real_fetch_uv = mod._fetch_uv
    monkeypatch.setattr(mod, "_fetch_uv", fake_fetch_uv)
    mod.real_pip_index_url = mod._pip_index_url
    monkeypatch.setattr(mod, "_pip_index_url", lambda: None)
    monkeypatch.setattr(mod.venv, "EnvBuilder", lambda **kw: type("B", (), {
        "create": lambda self, d: (Path(d) / "bin").mkdir(parents=True) or (Path(d) / "bin" / "python").touch()})())
    mod.calls = calls
    return mod


INSTALL_TARGETS = ["-r", "requirements-lock.txt", "-e", ".[test]"]


def _installs(course):
    """The package installs setup ran, as (installer, targets): getting uv itself is not one."""
    found = []
    for cmd in course.calls:
        if cmd[0] == str(course._uv()) and cmd[1:3] == ["pip", "install"]:
            found.append(("uv", cmd[cmd.index(str(course.PYTHON)) + 1:]))
        elif cmd[1:4] == ["-m", "pip", "install"] and cmd[-1] != "uv":
            found.append(("pip", [c for c in cmd[4:] if not c.startswith("--")]))
    return found


def test_setup_gets_uv_with_pip_then_installs_the_lock_and_bpkit_with_uv(course, capsys):
    course.setup()
    assert course.calls[0][1:4] == ["-m", "pip", "install"] and course.calls[0][-1] == "uv"
    assert _installs(course) == [("uv", INSTALL_TARGETS)]
    assert "--python" in course.calls[1]               # into .venv, whatever is active
    assert "instead" not in capsys.readouterr().out


def test_setup_installs_once_then_only_when_pyproject_or_the_lock_changes(course):
    course.setup()
    assert len(_installs(course)) == 1
    course.setup()
    assert len(_installs(course)) == 1                  # idempotent: nothing to do
    (course.ROOT / "pyproject.toml").write_text("[project]\nname = 'y'\n")
    course.setup()
    assert len(_installs(course)) == 2                  # a changed pyproject reinstalls
    (course.ROOT / "requirements-lock.txt").write_text("numpy==2.4.6\n")
    course.setup()
    assert len(_installs(course)) == 3                  # so does a changed lock
    assert sum(c[-1] == "uv" for c in course.calls) == 1    # uv is fetched once


def test_without_uv_setup_installs_the_same_lock_with_pip_and_says_so_once(course, capsys):
    course.uv_on_index = False                          # offline from PyPI, or no uv wheel
    course.setup()
    assert _installs(course) == [("pip", INSTALL_TARGETS)]
    notes = [line for line in capsys.readouterr().out.splitlines() if re.search(r"\buv\b", line)]
    assert len(notes) == 1 and "pip" in notes[0]
    assert course.STAMP.exists()                        # a success, not a failure


@pytest.mark.skipif(os.name == "nt", reason="the stand-in for pip is a shell script")
def test_a_failed_uv_fetch_leaves_no_error_output(course, capfd):
    """pip's ResolutionImpossible lines would read as a failure; the note alone explains."""
    course.setup()                                      # the fake .venv exists from here on
    course.PYTHON.write_text("#!/bin/sh\necho 'ERROR: No matching distribution found for uv' >&2\nexit 1\n")
    course.PYTHON.chmod(0o755)
    capfd.readouterr()
    course.real_fetch_uv()
    assert capfd.readouterr() == ("", "")
    course.PYTHON.write_text("")                        # not even runnable: still no exception
    course.PYTHON.chmod(0o644)
    course.real_fetch_uv()


def test_when_uv_fails_setup_retries_the_same_install_with_pip(course, capsys):
    course.uv_exit = 2
    course.setup()
    assert _installs(course) == [("uv", INSTALL_TARGETS), ("pip", INSTALL_TARGETS)]
    assert "exit status 2" in capsys.readouterr().out


def test_a_pip_mirror_is_handed_to_uv_unless_uv_has_its_own(course, monkeypatch):
    monkeypatch.setattr(course, "_pip_index_url", lambda: "https://mirror.example/simple")
    monkeypatch.delenv("UV_DEFAULT_INDEX", raising=False)
    monkeypatch.delenv("UV_INDEX_URL", raising=False)
    course.setup()
    uv_cmd = course.calls[-1]
    assert uv_cmd[uv_cmd.index("--index-url") + 1] == "https://mirror.example/simple"
    monkeypatch.setenv("UV_DEFAULT_INDEX", "https://other.example/simple")
    course.STAMP.unlink()
    course.setup()
    assert "--index-url" not in course.calls[-1]


def test_pip_index_url_reads_pip_config(course, monkeypatch):
    """Only a replacement index counts; pip's extra indexes and find-links stay pip's."""
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    out = ("global.extra-index-url='file:///opt/extra'\n"
           "global.index-url='https://mirror.example/simple'\n")
    monkeypatch.setattr(course.subprocess, "run", lambda *a, **k: type("R", (), {"stdout": out})())
    assert course.real_pip_index_url() == "https://mirror.example/simple"
    monkeypatch.setattr(course.subprocess, "run", lambda *a, **k: type("R", (), {"stdout": ""})())
    assert course.real_pip_index_url() is None
    monkeypatch.setenv("PIP_INDEX_URL", "https://env.example/simple")
    assert course.real_pip_index_url() == "https://env.example/simple"


def test_lock_resolves_for_every_platform_from_pypi_and_records_the_hash(course):
    pyproject = '[project]\nname = "x"\nrequires-python = ">=3.10"\ndependencies = [\n    "numpy>=1.24",\n]\n'
    (course.ROOT / "pyproject.toml").write_text(pyproject)
    compiled = "# This file was autogenerated by uv via the following command:\n#    python3 course.py lock\nnumpy==2.2.6\n"
    compile_runs = []

    def fake_compile(*cmd, check=True):
        cmd = [str(c) for c in cmd]
        if "compile" in cmd:
            compile_runs.append(cmd)
            (course.ROOT / cmd[cmd.index("-o") + 1]).write_text(compiled)
        return 0

    course._run = fake_compile
    assert course.main(["lock", "--upgrade"]) == 0 and course.main(["lock"]) == 0
    cmd = compile_runs[0]
    assert {"--universal", "--no-config", "--upgrade"} <= set(cmd)
    assert cmd[cmd.index("--python-version") + 1] == "3.10"
    assert cmd[cmd.index("--index-url") + 1] == "https://pypi.org/simple"
    lock = (course.ROOT / "requirements-lock.txt").read_text().splitlines()
    assert lock[2] == "# pyproject.toml dependencies sha256: " + course.dependency_hash(pyproject)
    assert lock[3:] == ["numpy==2.2.6"] and len(lock) == 4    # one hash line, after uv's header


def test_lock_without_uv_fails_and_says_why(course, capsys):
    course.uv_on_index = False
    assert course.main(["lock"]) == 1
    assert "uv" in capsys.readouterr().out


def test_children_run_with_the_venv_first_on_path(course):
    env = course._env()
    assert env["PATH"].split(os.pathsep)[0] == str(course.BIN)
    assert env["VIRTUAL_ENV"] == str(course.VENV)


def test_children_run_blas_on_one_thread_unless_told_otherwise(course, monkeypatch):
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    assert course._env()["OPENBLAS_NUM_THREADS"] == "1" and course._env()["OMP_NUM_THREADS"] == "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    assert course._env()["OPENBLAS_NUM_THREADS"] == "4"


def test_test_command_runs_pytest_with_extra_arguments(course):
    course.main(["test", "-k", "network"])
    assert course.calls[-1][1:] == ["-m", "pytest", "-n", "2", "--dist", "loadgroup", "-k", "network"]


def test_open_serves_on_localhost_and_passes_options(course):
    course.main(["open", "--no-browser"])
    cmd = course.calls[-1]
    assert cmd[0].endswith("jupyter") and cmd[1] == "lab"
    assert "--ServerApp.ip=127.0.0.1" in cmd and cmd[-1] == "--no-browser"


def test_generate_runs_nbgrader_for_every_assignment(course):
    for name in ("02-b", "01-a"):
        (course.ROOT / "solutions" / name).mkdir(parents=True)
    course.main(["generate"])
    gen = [c for c in course.calls if "generate_assignment" in c]
    assert [c[2] for c in gen] == ["01-a", "02-b"] and all("--force" in c for c in gen)


def test_unknown_command_prints_usage(course, capsys):
    assert course.main(["frobnicate"]) == 2
    assert "python3 course.py open" in capsys.readouterr().out


def test_ci_runs_exactly_the_readme_test_command():
    assert "exec python3 course.py test" in (ROOT / ".ci" / "run").read_text()
    assert "python3 course.py test" in (ROOT / "README.md").read_text()


def _requirement_names(lines):
    return {re.split(r"[<>=!\[ ]", line.strip().strip('",-').strip())[0].lower()
            for line in lines if line.strip()}


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    """Binder and conda users get what pip users get (conda-forge names equal PyPI's here)."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    deps = re.findall(r'^\s+"([^"]+)",$', pyproject, flags=re.M)
    conda = re.findall(r"^  - ([a-z][^\s:]*[^:\s])$", (ROOT / "environment.yml").read_text(), flags=re.M)
    wanted = _requirement_names(deps)
    have = _requirement_names(conda) - {"python", "pip", "conda-forge"}   # minus the channel
    assert wanted == have, f"only in pyproject: {wanted - have}; only in environment.yml: {have - wanted}"
    assert "      - -e ." in (ROOT / "environment.yml").read_text()
