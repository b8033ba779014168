"""The own-work rule: an answer may not hand the very function it is asked for to a library.

``sigmoid = bp.sigmoid``, ``return bp.sigmoid(z)``, ``from scipy.special import expit`` …
each computes the answer without the student writing it. Two complementary checks find them:

* **while the answer runs**, a ``sys.setprofile`` hook watches every Python function entered
  and compares its code object with the forbidden ones — so every alias and every indirect
  route (a Network method that calls bp.sigmoid) counts;
* **before it runs**, the answer's own code is read: the names it refers to (``co_names``,
  its closure) are looked up, so compiled callables that no profiler sees (a NumPy ufunc
  such as ``scipy.special.expit``) are found too, as are calls that silence warnings.

Only ``co_names``/``co_freevars`` and the code objects' constants are read, never opcode
names, which change between Python versions (3.10 … 3.13 all work the same way here).
Functions listed as *trusted* (the reference versions of earlier exercises that a check
swaps in) may call anything: what runs inside them is not the student's.

This module uses the standard library only, so it can be tested on any interpreter.
"""
from __future__ import annotations

import builtins
import functools
import inspect
import sys
from typing import Any, Callable, Iterable

__all__ = ["Forbidden", "unwrap", "label", "static_use", "Monitor", "message", "SILENCERS"]

# Names whose use in an answer means NumPy's warnings were silenced (what each one is).
SILENCERS = {"errstate": "np.errstate", "seterr": "np.seterr",
             "filterwarnings": "warnings.filterwarnings", "simplefilter": "warnings.simplefilter",
             "catch_warnings": "warnings.catch_warnings"}


def unwrap(f):
    """The plain function behind a bound method, staticmethod, partial or decorator."""
    for _ in range(10):
        if isinstance(f, functools.partial):
            f = f.func
        elif isinstance(f, (staticmethod, classmethod)):
            f = f.__func__
        elif inspect.ismethod(f):
            f = f.__func__
        elif isinstance(f, property):
            f = f.fget
        elif getattr(f, "__wrapped__", None) is not None:
            f = f.__wrapped__
        else:
            break
    return f


def _code_key(code) -> tuple:
    # By location, not identity: survives an importlib.reload of the module.
    return (code.co_filename, code.co_firstlineno, code.co_name)


def label(f) -> str:
    """How to name a forbidden callable in a message: "bpkit's own bp.sigmoid",
    "bpkit's own bp.Network.backward", "scipy.special.expit"."""
    f0 = unwrap(f)
    module = getattr(f0, "__module__", "") or ""
    qualname = getattr(f0, "__qualname__", None) or getattr(f0, "__name__", None) or repr(f0)
    if module.startswith("bpkit"):
        top = qualname.split(".")[0]
        bpkit = sys.modules.get("bpkit")
        owner = getattr(bpkit, top, None) if bpkit is not None else None
        if owner is not None and not top.startswith("_") and (
                unwrap(owner) is f0 or (inspect.isclass(owner) and "." in qualname)):
            return f"bpkit's own bp.{qualname}"
        return f"bpkit's own {module}.{qualname}"
    home = getattr(f, "__bpkit_home__", None) or module
    if home in ("", "numpy") and getattr(f, "__name__", None):
        home = _ufunc_home(f) or home
    return f"{home}.{qualname}" if home else qualname


def _ufunc_home(f) -> str | None:
    """Where a compiled callable lives, for the message (ufuncs report module 'numpy')."""
    for home in ("scipy.special", "numpy"):
        mod = sys.modules.get(home)
        if mod is not None and getattr(mod, getattr(f, "__name__", ""), None) is f:
            return home
    return None


class Forbidden:
    """A set of callables an answer may not use, split by how they can be seen.

    callables: Python functions (caught by code object, whatever they are called) and
        compiled ones (caught by identity or by name in the answer's code).
    silencers: names whose mere use in the answer is a failure, with the reason, e.g.
        {"errstate": "silencing NumPy's warnings hides the overflow instead of avoiding it"}.
    """

    def __init__(self, callables: Iterable = (), silencers: dict[str, str] | None = None):
        self.codes: dict[tuple, str] = {}
        self.objects: dict[int, tuple[Any, str]] = {}
        for f in callables:
            if f is None:
                continue
            code = getattr(unwrap(f), "__code__", None)
            if code is not None:
                self.codes[_code_key(code)] = label(f)
            else:
                self.objects[id(f)] = (f, label(f))
        self.names = {getattr(obj, "__name__", None): lab for obj, lab in self.objects.values()}
        self.names.pop(None, None)
        self.silencers = dict(silencers or {})

    def __bool__(self) -> bool:
        return bool(self.codes or self.objects or self.silencers)

    def identify(self, value) -> str | None:
        """The label if ``value`` is (an alias of) a forbidden callable, else None."""
        if value is None:
            return None
        if id(value) in self.objects:
            return self.objects[id(value)][1]
        code = getattr(unwrap(value), "__code__", None)
        if code is not None:
            return self.codes.get(_code_key(code))
        return None


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if inspect.iscode(const):
            yield from _code_objects(const)


def static_use(fn: Callable, forbidden: Forbidden) -> tuple[str, str] | None:
    """What ``fn``'s own code visibly uses that it may not: ("call", label) for a forbidden
    callable it is or names, ("silence", reason) for a warning silencer; else None.

    Only ``fn``'s code is read (not what it calls: the profiler sees that). A name counts
    when it resolves, in fn's globals, closure or builtins, to a forbidden callable; an
    attribute name (``special.expit``) counts when it is the name of a forbidden compiled
    callable and does not resolve to something of the student's own.
    """
    direct = forbidden.identify(fn)
    if direct is not None:
        return ("call", direct)
    f = unwrap(fn)
    code = getattr(f, "__code__", None)
    if code is None:
        return None
    scope = dict(vars(builtins))
    scope.update(getattr(f, "__globals__", {}) or {})
    for var, cell in zip(code.co_freevars, getattr(f, "__closure__", None) or ()):
        try:
            scope[var] = cell.cell_contents
        except ValueError:  # an empty cell
            pass
    for c in _code_objects(code):
        for name in (*c.co_names, *c.co_freevars):
            if name in forbidden.silencers:
                return ("silence", forbidden.silencers[name])
            value = scope.get(name)
            hit = forbidden.identify(value) if value is not None else None
            if hit is not None:
                return ("call", hit)
            if name in forbidden.names and (value is None or id(value) in forbidden.objects):
                return ("call", forbidden.names[name])
    return None


class Monitor:
    """A sys.setprofile hook that records the first forbidden Python function entered,
    ignoring whatever runs inside a trusted function. The previous profiler (a debugger,
    coverage) keeps receiving every event and is restored on exit."""

    def __init__(self, forbidden: Forbidden, trusted: Iterable[Callable] = ()):
        self.codes = forbidden.codes
        self.trusted = {_code_key(c) for c in
                        (getattr(unwrap(t), "__code__", None) for t in trusted) if c is not None}
        self.hit: str | None = None
        self.previous = None
        self._depth = 0

    def _profile(self, frame, event, arg):
        if event == "call":
            key = _code_key(frame.f_code)
            if key in self.trusted:
                self._depth += 1
            elif self._depth == 0 and self.hit is None:
                self.hit = self.codes.get(key)
        elif event == "return" and self._depth and _code_key(frame.f_code) in self.trusted:
            self._depth -= 1
        if self.previous is not None:
            self.previous(frame, event, arg)

    def __enter__(self):
        self.previous = sys.getprofile()
        if self.codes:
            sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        if self.codes:
            sys.setprofile(self.previous)
        return False


def message(name: str, kind: str, what: str) -> str:
    """The message for an answer that breaks the own-work rule."""
    if kind == "silence":
        return (f"{name}: your answer silences NumPy's warnings ({what}). Stable means the "
                f"formula never overflows, not that the overflow is hidden: rearrange it so "
                f"that np.exp only ever sees numbers ≤ 0, and remove the silencing.")
    return (f"{name}: your answer calls {what} — a ready-made solution of this very exercise — "
            f"so it earns no points. Write {name} yourself with NumPy. (You may still use bpkit "
            f"outside your function to check your result, and inside it you may call your own "
            f"earlier functions or bpkit's versions of EARLIER exercises.)")
