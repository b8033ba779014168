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
    calls = []
    monkeypatch.setattr(mod, "_run", lambda *cmd, check=True: calls.append([str(c) for c in cmd]) or 0)
    monkeypatch.setattr(mod.venv, "EnvBuilder", lambda **kw: type("B", (), {
        "create": lambda self, d: (Path(d) / "bin").mkdir(parents=True) or (Path(d) / "bin" / "python").touch()})())
    mod.calls = calls
    return mod


def test_setup_installs_once_then_only_when_pyproject_changes(course):
    course.setup()
    assert len(course.calls) == 1 and course.calls[0][-2:] == ["-e", ".[test]"]
    course.setup()
    assert len(course.calls) == 1                       # idempotent: nothing to do
    (course.ROOT / "pyproject.toml").write_text("[project]\nname = 'y'\n")
    course.setup()
    assert len(course.calls) == 2                       # a changed pyproject reinstalls


def test_children_run_with_the_venv_first_on_path(course):
    env = course._env()
    assert env["PATH"].split(os.pathsep)[0] == str(course.BIN)
    assert env["VIRTUAL_ENV"] == str(course.VENV)


def test_test_command_runs_pytest_with_extra_arguments(course):
    course.main(["test", "-k", "network"])
    assert course.calls[-1][1:] == ["-m", "pytest", "-k", "network"]


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
