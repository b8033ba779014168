"""Trusted verdicts: record what a student's functions returned, judge it somewhere else.

A test cell's check (``stage1.check_sigmoid(sigmoid, seed=1)``) both *runs* the student's
function and *judges* what it returned. Run in the student's own kernel, the judging could be
faked: replace ``np.allclose``, or the check itself, and every test passes. So the class grader
splits the two:

1. **In the student's kernel** (sandboxed, untrusted) the grader wraps every graded test cell
   in two cells of its own: ``begin()`` before it switches recording on, ``dump()`` after it
   prints what was recorded: for each check the cell ran, every call of the student's function
   as *plain data* — numbers, strings, NumPy arrays of numbers (their raw bytes), lists, tuples
   and dicts of those; anything else is recorded only by its type name. The error it raised,
   the warnings, arguments changed in place, what the own-work rule saw.
2. **In the grader's own process** (trusted) :func:`verdict` re-runs the test cell's checks with
   a :class:`Tape` in replay mode: the check asks for a call of the student's function, gets the
   recorded outcome rebuilt from data (fresh arrays; never the student's objects), and compares
   and diagnoses with NumPy and bpkit untouched by the student. The cell's expected values,
   mistakes and seeds come from the trusted process too; the recording only says what the
   student's functions returned.

A recording that is malformed, names other checks or seeds than the cell's own, or runs out of
calls before the check is done is rejected: the cell fails with a message, never passes.
"""
from __future__ import annotations

import ast
import base64
import builtins
import json
import keyword
import re
import sys
from dataclasses import dataclass, field
from typing import Any

MIME = "application/vnd.bpkit.record+json"
MAX_BYTES = 64 << 20            # most bytes of recorded data one test cell may produce
MAX_DEPTH = 8
MAX_ITEMS = 100_000
MAX_TEXT = 20_000
_DTYPES = {"|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8",
           "<c8", "<c16"}
_ERRORS = {cls.__name__: cls for cls in (
    ValueError, TypeError, IndexError, KeyError, NotImplementedError, ZeroDivisionError,
    FloatingPointError, AttributeError, NameError, UnboundLocalError, RuntimeError, OverflowError,
    MemoryError, AssertionError, RecursionError, ArithmeticError, LookupError, StopIteration)}


class RecordError(Exception):
    """The recording cannot be trusted to say what the student's function did."""


class NotData:
    """What the student's function returned, when it was not plain data: only its type's name
    crossed from the student's kernel."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<a {self.type_name} object>"


# --- untrusted side: values to data -------------------------------------------------------------

def to_data(value, depth: int = 0) -> dict:
    """A JSON-able description of ``value`` holding only numbers, strings and raw array bytes."""
    import numpy as np

    if depth > MAX_DEPTH:
        return {"t": "opaque", "type": "nested too deeply"}
    if value is None:
        return {"t": "none"}
    if isinstance(value, (bool, np.bool_)) and type(value) in (bool, np.bool_):
        return {"t": "bool", "v": bool(value)}
    if type(value) is int:
        return {"t": "int", "v": value} if abs(value) < 2 ** 63 else {"t": "float", "v": float(value)}
    if type(value) is float:
        return {"t": "float", "v": value}
    if type(value) is complex:
        return {"t": "complex", "v": [value.real, value.imag]}
    if type(value) is str:
        return {"t": "str", "v": value[:MAX_TEXT]}
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "biufc":
        arr = np.asarray(value)
        if arr.dtype.str not in _DTYPES:            # big-endian, float128, …: as float64/complex
            arr = arr.astype(np.complex128 if arr.dtype.kind == "c" else np.float64)
        return {"t": "array" if isinstance(value, np.ndarray) else "scalar",
                "dtype": arr.dtype.str, "shape": list(arr.shape),
                "data": base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")}
    if type(value) in (list, tuple):
        return {"t": type(value).__name__, "v": [to_data(v, depth + 1) for v in value[:MAX_ITEMS]]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"t": "dict", "v": [[k[:200], to_data(v, depth + 1)] for k, v in
                                   list(value.items())[:MAX_ITEMS]]}
    return {"t": "opaque", "type": f"{type(value).__module__}.{type(value).__qualname__}"[:200]}


def _error_data(exc: BaseException | None) -> dict | None:
    if exc is None:
        return None
    return {"type": type(exc).__name__[:100], "message": str(exc)[:MAX_TEXT],
            "not_implemented": isinstance(exc, NotImplementedError)}


def outcome_data(outcome) -> dict:
    return {"result": to_data(outcome.result), "error": _error_data(outcome.error),
            "warnings": [str(w)[:MAX_TEXT] for w in outcome.warnings][:100],
            "forbidden": list(outcome.forbidden) if outcome.forbidden else None,
            "mutated": [str(m)[:200] for m in outcome.mutated][:100],
            "swapped": [str(s)[:200] for s in outcome.swapped][:100]}


# --- trusted side: data to values ---------------------------------------------------------------

def _need(cond: bool, what: str) -> None:
    if not cond:
        raise RecordError(what)


def from_data(data, depth: int = 0):
    """Rebuild a value from :func:`to_data`'s description: fresh NumPy arrays, Python numbers,
    strings, containers — or a :class:`NotData`. Raises RecordError on anything malformed."""
    import numpy as np

    _need(isinstance(data, dict) and depth <= MAX_DEPTH + 1, "malformed value")
    kind = data.get("t")
    if kind == "none":
        return None
    if kind == "bool":
        _need(type(data.get("v")) is bool, "malformed bool")
        return data["v"]
    if kind == "int":
        _need(type(data.get("v")) is int, "malformed int")
        return data["v"]
    if kind == "float":
        _need(type(data.get("v")) in (int, float), "malformed float")
        return float(data["v"])
    if kind == "complex":
        v = data.get("v")
        _need(isinstance(v, list) and len(v) == 2 and all(type(x) in (int, float) for x in v),
              "malformed complex")
        return complex(*v)
    if kind == "str":
        _need(type(data.get("v")) is str, "malformed str")
        return data["v"]
    if kind in ("array", "scalar"):
        dtype, shape, raw = data.get("dtype"), data.get("shape"), data.get("data")
        _need(dtype in _DTYPES and isinstance(shape, list) and len(shape) <= 32
              and all(type(n) is int and n >= 0 for n in shape) and type(raw) is str,
              "malformed array")
        _need(kind == "array" or not shape, "malformed scalar")
        try:
            buffer = base64.b64decode(raw, validate=True)
        except ValueError:
            raise RecordError("malformed array data") from None
        dt = np.dtype(dtype)
        _need(len(buffer) == int(np.prod(shape, dtype=np.int64)) * dt.itemsize, "array size mismatch")
        arr = np.frombuffer(buffer, dtype=dt).reshape(shape).copy()
        return arr if kind == "array" else arr[()]
    if kind in ("list", "tuple"):
        items = data.get("v")
        _need(isinstance(items, list), "malformed list")
        values = [from_data(v, depth + 1) for v in items]
        return values if kind == "list" else tuple(values)
    if kind == "dict":
        items = data.get("v")
        _need(isinstance(items, list) and all(isinstance(p, list) and len(p) == 2
                                              and type(p[0]) is str for p in items), "malformed dict")
        return {k: from_data(v, depth + 1) for k, v in items}
    if kind == "opaque":
        _need(type(data.get("type")) is str, "malformed type name")
        return NotData(data["type"][:200])
    raise RecordError(f"unknown value kind {kind!r}")


def _contains_not_data(value, depth=0) -> NotData | None:
    if isinstance(value, NotData):
        return value
    if depth < MAX_DEPTH + 2:
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
        for v in items:
            found = _contains_not_data(v, depth + 1)
            if found is not None:
                return found
    return None


def _rebuild_error(data) -> BaseException | None:
    if data is None:
        return None
    _need(isinstance(data, dict) and type(data.get("type")) is str
          and type(data.get("message")) is str, "malformed error")
    name = data["type"]
    if data.get("not_implemented") is True:
        return NotImplementedError(data["message"])
    cls = _ERRORS.get(name)
    if cls is None:
        safe = name if name.isidentifier() and not keyword.iskeyword(name) else "Exception"
        cls = type(safe, (Exception,), {"__module__": "student"})
    return cls(data["message"])


def rebuild_outcome(data):
    """A check.Outcome from recorded data."""
    from .check import Outcome

    _need(isinstance(data, dict), "malformed outcome")
    strings = lambda key: _need(isinstance(data.get(key), list) and all(type(s) is str for s in data[key]),
                                f"malformed {key}") or list(data[key])
    forbidden = data.get("forbidden")
    _need(forbidden is None or (isinstance(forbidden, list) and len(forbidden) == 2
                                and all(type(s) is str for s in forbidden)), "malformed forbidden")
    return Outcome(result=from_data(data.get("result")), error=_rebuild_error(data.get("error")),
                   warnings=strings("warnings"), forbidden=tuple(forbidden) if forbidden else None,
                   mutated=strings("mutated"), swapped=strings("swapped"))


# --- the tape: recording in the kernel, replaying in the grader ---------------------------------

@dataclass
class Tape:
    """Hooked into :func:`bpkit.grading.check.run` while a check runs: records each outcome
    (``replaying`` False) or hands back the recorded ones in order (``replaying`` True)."""
    replaying: bool = False
    entries: list = field(default_factory=list)     # [{"check", "seed", "function", "outcomes"}]
    _current: dict | None = None
    _next: int = 0

    # engine.check calls these around each check
    def start(self, check: str, seed, fn) -> Any:
        if not self.replaying:
            self._current = {"check": check, "seed": _plain_seed(seed), "function": to_data(fn)
                             if not callable(fn) else {"t": "function"}, "outcomes": []}
            self.entries.append(self._current)
            return fn
        _need(self._next < len(self.entries), f"no recording of {check}(seed={seed}): the "
              "notebook's kernel did not run it")
        entry = self.entries[self._next]
        self._next += 1
        _need(isinstance(entry, dict) and entry.get("check") == check
              and entry.get("seed") == _plain_seed(seed) and isinstance(entry.get("outcomes"), list),
              f"the recording does not match {check}(seed={seed})")
        self._current = {**entry, "outcomes": list(entry["outcomes"])}
        function = entry.get("function")
        if function == {"t": "function"}:
            return _standin(check)
        return from_data(function)

    def stop(self) -> None:
        self._current = None

    def keep(self, outcome) -> None:
        if not self.replaying and self._current is not None:
            self._current["outcomes"].append(outcome_data(outcome))

    def play(self):
        _need(self._current is not None and self._current["outcomes"],
              "the recording ran out of calls before the check was done")
        outcome = rebuild_outcome(self._current["outcomes"].pop(0))
        odd = _contains_not_data(outcome.result)
        if odd is not None and outcome.error is None:
            raise NotDataReturned(odd.type_name)
        return outcome


class NotDataReturned(Exception):
    def __init__(self, type_name: str):
        super().__init__(type_name)
        self.type_name = type_name


def _plain_seed(seed):
    return seed if type(seed) in (int, str) or seed is None else repr(seed)


def _standin(check: str):
    def standin(*args, **kwargs):
        raise RecordError("the stand-in of a recorded function was called directly")
    standin.__name__ = check
    return standin


_active: Tape | None = None


def active() -> Tape | None:
    return _active


def begin() -> None:
    """In the student's kernel, before a graded test cell: record every check it runs."""
    global _active
    _active = Tape()


def dump() -> None:
    """In the student's kernel, after the test cell: publish the recording as cell output."""
    global _active
    tape, _active = _active, None
    entries = tape.entries if tape is not None else []
    from IPython.display import display
    display({MIME: {"entries": entries}}, raw=True)


# --- trusted side: the verdict of one test cell --------------------------------------------------

@dataclass
class Verdict:
    passed: bool
    message: str            # what the student reads: the check's diagnosis, or the ✓ lines
    tampered: bool = False  # the recording could not be trusted


_CALL = re.compile(r"^stage\d+$")


def cell_checks(source: str) -> list[tuple[str, str, str, Any]]:
    """The checks a test cell runs, in order: (module, check name, function name, seed) for each
    ``stageN.check_xxx(fn, seed=K)`` call. Test cells are the course's own (nbgrader restores
    them), so anything else is an error of the course, raised as ValueError."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and _CALL.match(node.func.value.id)
                and node.func.attr.startswith("check_")):
            seed = 0
            for kw in node.keywords:
                if kw.arg == "seed":
                    seed = ast.literal_eval(kw.value)
            if len(node.args) > 1:
                seed = ast.literal_eval(node.args[1])
            if not node.args or not isinstance(node.args[0], ast.Name):
                raise ValueError(f"test cell calls {node.func.value.id}.{node.func.attr} without "
                                 "a function name as its first argument")
            found.append((node.lineno, node.col_offset, node.func.value.id, node.func.attr,
                          node.args[0].id, seed))
    return [f[2:] for f in sorted(found)]


def parse_record(outputs) -> list:
    """The recording in a dump cell's outputs (nbformat output dicts). RecordError if there is
    not exactly one, or it is malformed."""
    found = [o for o in outputs if o.get("output_type") in ("display_data", "execute_result")
             and MIME in o.get("data", {})]
    _need(len(found) == 1, f"{len(found)} recordings where one was expected")
    data = found[0]["data"][MIME]
    if isinstance(data, str):
        _need(len(data) <= MAX_BYTES, "recording too large")
        try:
            data = json.loads(data)
        except ValueError:
            raise RecordError("recording is not JSON") from None
    _need(isinstance(data, dict) and isinstance(data.get("entries"), list), "malformed recording")
    return data["entries"]


def verdict(source: str, entries: list) -> Verdict:
    """Judge a test cell from the recording of its checks, in this (trusted) process."""
    import contextlib
    import importlib
    import io

    from . import engine

    global _active
    tape = Tape(replaying=True, entries=entries)
    printed = io.StringIO()
    saved = _active
    _active = tape
    try:
        with contextlib.redirect_stdout(printed):
            for module, name, function, seed in cell_checks(source):
                mod = importlib.import_module(f"bpkit.grading.{module}")
                check = getattr(mod, name, None)
                if check is None or not hasattr(check, "spec"):
                    raise ValueError(f"bpkit.grading.{module} has no check {name}")
                engine.check(check.spec, None, seed)
    except AssertionError as err:
        return Verdict(False, str(err))
    except NotDataReturned as odd:
        return Verdict(False, f"{function} returned {odd.type_name} object. Grading accepts only "
                              "numbers, strings, NumPy arrays of numbers, and lists, tuples or "
                              "dicts of those: return plain arrays.")
    except RecordError as err:
        return Verdict(False, f"The grader could not confirm this cell's result ({err}). If you "
                              "changed how checks or NumPy work, undo it.", tampered=True)
    finally:
        _active = saved
    return Verdict(True, printed.getvalue())


# --- the notebook: recording cells in, recordings out ---------------------------------------------

_MARK = "bpkit_record"
_BEGIN = '__import__("bpkit.grading.record", fromlist=["begin"]).begin()'
_DUMP = '__import__("bpkit.grading.record", fromlist=["dump"]).dump()'


def instrument(nb):
    """Put a recording cell before and after every graded test cell of ``nb`` (an nbformat
    notebook, changed in place and returned)."""
    import nbformat

    from bpkit.coursework import _is_test

    cells = []
    for k, cell in enumerate(nb.cells):
        if _is_test(cell):
            gid = cell.metadata["nbgrader"]["grade_id"]
            for step, source in (("begin", _BEGIN), ("dump", _DUMP)):
                new = nbformat.v4.new_code_cell(source, metadata={_MARK: {"step": step, "for": gid}})
                new["id"] = f"bpkit-record-{step}-{k}"
                if step == "begin":
                    cells.append(new)
                    cells.append(cell)
                else:
                    cells.append(new)
        else:
            cells.append(cell)
    nb.cells = cells
    return nb


def strip(nb) -> tuple[list, dict]:
    """Remove the recording cells from an executed notebook: (its other cells, {test grade_id:
    the outputs of its dump cell}). A recording cell's grade_id is taken from its position
    after the test cell, not from what the notebook says."""
    from bpkit.coursework import _is_test

    cells, dumps, last_test = [], {}, None
    for cell in nb.cells:
        mark = cell.get("metadata", {}).get(_MARK)
        if mark is None:
            cells.append(cell)
            last_test = cell.metadata["nbgrader"]["grade_id"] if _is_test(cell) else None
        elif isinstance(mark, dict) and mark.get("step") == "dump" and last_test is not None:
            dumps[last_test] = list(cell.get("outputs", []))
    return cells, dumps
