"""exercises/ is generated from solutions/; the committed copy must be exactly what generation gives."""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

FIX = "exercises/ is out of date with solutions/: run `python3 course.py generate` and commit exercises/."


def _files(top: Path) -> dict[str, bytes]:
    """relative path -> bytes, skipping what git and nbgrader ignore (checkpoints, caches, dotfiles)."""
    if not top.is_dir():
        return {}
    return {p.relative_to(top).as_posix(): p.read_bytes()
            for p in sorted(top.rglob("*"))
            if p.is_file() and not any(part.startswith(".") or part == "__pycache__"
                                       or part.endswith(".pyc")
                                       for part in p.relative_to(top).parts)}


def test_exercises_are_exactly_a_fresh_generation(generated_course):
    fresh = _files(generated_course / "exercises")
    committed = _files(REPO / "exercises")
    assert fresh, "generating solutions/ produced no exercises at all"

    missing = sorted(set(fresh) - set(committed))
    extra = sorted(set(committed) - set(fresh))
    assert not missing and not extra, (
        f"{FIX}\n  missing from exercises/: {missing}\n  in exercises/ but not generated: {extra}")

    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"{FIX}\n  these files differ from a fresh generation: {stale}"
