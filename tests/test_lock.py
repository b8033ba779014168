"""requirements-lock.txt is what setup installs: it must match pyproject.toml on every platform.

`python3 course.py lock` rewrites it; these tests fail until it is rerun after a change to
pyproject.toml's dependencies.
"""
import importlib.util
import itertools
import re
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = (ROOT / "pyproject.toml").read_text()
LOCK = (ROOT / "requirements-lock.txt").read_text()

_spec = importlib.util.spec_from_file_location("course_for_lock", ROOT / "course.py")
course = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(course)

# Where the course runs: Linux, macOS, Windows on CPython 3.10-3.13 (early and late patch releases).
PLATFORMS = {"linux": ("posix", "Linux"), "darwin": ("posix", "Darwin"), "win32": ("nt", "Windows")}
PYTHONS = [f"3.{minor}.{patch}" for minor in range(10, 14) for patch in (0, 12)]


def _environment(sys_platform, python):
    os_name, system = PLATFORMS[sys_platform]
    return {"sys_platform": sys_platform, "os_name": os_name, "platform_system": system,
            "python_version": python.rsplit(".", 1)[0], "python_full_version": python,
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "platform_machine": "x86_64", "platform_release": "", "platform_version": "",
            "implementation_version": python, "extra": ""}


def _pins():
    """[(name, Version, Marker | None)] for each `name==version [; marker]` line of the lock."""
    pins = []
    for line in LOCK.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)(?:\s*;\s*(.+))?", line.strip())
        assert m, f"not an exact pin from an index: {line!r}"
        pins.append((canonicalize_name(m[1]), Version(m[2]), Marker(m[3]) if m[3] else None))
    return pins


def _requirements():
    lists = course.dependency_lists(PYPROJECT)
    return [Requirement(r) for key, reqs in lists.items() if key != "requires-python" for r in reqs]


def test_the_lock_records_the_pyproject_it_was_made_from():
    recorded = re.search(r"^# pyproject.toml dependencies sha256: ([0-9a-f]{64})$", LOCK, flags=re.M)
    assert recorded, "the lock carries no hash of pyproject's dependencies: run python3 course.py lock"
    assert recorded[1] == course.dependency_hash(PYPROJECT), \
        "pyproject.toml's dependencies changed since the lock was made: run python3 course.py lock"


@pytest.mark.parametrize("sys_platform,python", list(itertools.product(PLATFORMS, PYTHONS)))
def test_every_dependency_is_pinned_once_at_an_allowed_version(sys_platform, python):
    env = _environment(sys_platform, python)
    active = [(name, version) for name, version, marker in _pins()
              if marker is None or marker.evaluate(env)]
    names = [name for name, _ in active]
    assert len(names) == len(set(names)), f"pinned twice on {sys_platform}, Python {python}"
    pinned = dict(active)
    for req in _requirements():
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        name = canonicalize_name(req.name)
        assert name in pinned, f"{req} is not pinned in the lock for {sys_platform}, Python {python}"
        assert req.specifier.contains(pinned[name], prereleases=True), \
            f"the lock pins {name}=={pinned[name]}, outside pyproject's {req} ({sys_platform}, {python})"


def test_the_lock_installs_from_pypi_alone():
    """No index, find-links or local path options: a clean machine installs it as it is."""
    for line in LOCK.splitlines():
        assert not line.startswith("-"), f"an installer option in the lock: {line!r}"
        assert "file:" not in line and " @ " not in line, f"a local or direct reference: {line!r}"
    assert "/opt/" not in LOCK and str(Path.home()) not in LOCK


def test_the_pyproject_reader_agrees_with_tomllib():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads(PYPROJECT)["project"]
    wanted = {"requires-python": [project["requires-python"]], "dependencies": project["dependencies"]}
    wanted.update({f"optional-dependencies.{k}": v for k, v in project["optional-dependencies"].items()})
    assert course.dependency_lists(PYPROJECT) == wanted


def test_the_hash_ignores_everything_but_dependencies():
    other_settings = PYPROJECT.replace('addopts = "-ra"', 'addopts = "-ra -q"')
    assert other_settings != PYPROJECT
    assert course.dependency_hash(other_settings) == course.dependency_hash(PYPROJECT)
    new_dependency = PYPROJECT.replace('    "numpy>=1.24",\n', '    "numpy>=1.24",\n    "rich",\n')
    assert new_dependency != PYPROJECT
    assert course.dependency_hash(new_dependency) != course.dependency_hash(PYPROJECT)
