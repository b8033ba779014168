"""Generic checks for autograded exercises: compare, diagnose, explain.

A test cell calls a stage's checks (e.g. ``stage1.check_neuron_gradients``); those build a
fixture, run the student's function through :func:`call` and compare what comes back with
bpkit's reference through :func:`check_array` / :func:`check_outputs`. When the answer is
wrong the AssertionError does not just say "wrong": it compares the answer with the classic
mistakes computed from the same fixture and names the likely cause, e.g.

    neuron_gradients: dw is off by a factor of m = 5 — it looks like the 1/m from the mean
    cost is missing (E = 1/(2m) Σ (a − y)²). (Its shape, (1, 3), is right.)

Diagnoses tried, in order (:func:`diagnose`):

* no value: None (a forgotten ``return``), a Python list, a string, …;
* NaN or inf; integer dtype (fractions truncated);
* every combination of at most three of: a caller-supplied named variant
  ({description: wrong value}), a shape slip (transposed; (n,) for (1, n) or back; a number
  for (1, 1)), a flipped sign, a factor m (1/m missing) or 1/m (1/m twice) — fewest first;
* otherwise a plain "wrong shape" or "values differ" with a few entries and the max error.

:func:`call` runs the student's function: it turns NotImplementedError, shape errors and
NumPy RuntimeWarnings (overflow in exp, …) into explanations, notices arguments changed in
place, and — through :func:`own_work` — fails an answer that hands the very function being
asked for to bpkit (``sigmoid = bp.sigmoid``, ``return bp.sigmoid(z)``, a Network, …).

Comparisons are tight (float64): ``np.allclose(got, expected, rtol=1e-6, atol=1e-9)``.
The checks set ``__tracebackhide__`` so that IPython and pytest leave their frames out of
tracebacks: a student sees their own code and the message, not the grader's internals.
"""
from __future__ import annotations

import numbers
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from . import ownwork
from . import record as _record

__all__ = [
    "RTOL", "ATOL", "close", "shape_str", "describe", "argument_shapes",
    "diagnose", "check_array", "check_outputs",
    "report", "Outcome", "run", "call", "swapped", "exception_message", "warning_message",
    "mutation_message",
]

RTOL = 1e-6
ATOL = 1e-9

# At most this many causes are combined in one diagnosis (e.g. "transposed and m× too big").
MAX_ISSUES = 3


# --- small helpers -----------------------------------------------------------------------------

def close(got, expected, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """True when ``got`` and ``expected`` have the same shape and agree to rtol/atol."""
    try:
        g = np.asarray(got, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return g.shape == e.shape and bool(np.allclose(g, e, rtol=rtol, atol=atol))


def shape_str(x) -> str:
    """``(1, 3)`` for an array, ``()`` for a number, else the type name (None, list, …)."""
    if isinstance(x, np.ndarray):
        return str(tuple(x.shape))
    if isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, bool):
        return "()"
    return "None" if x is None else type(x).__name__


def describe(x) -> str:
    """What a value is, in words: 'an array of shape (1, 3)', 'None', 'a Python list', …"""
    if x is None:
        return "None"
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return "a 0-d array (a single number)"
        if x.ndim == 1:
            return f"a 1-D array of shape {tuple(x.shape)}"
        return f"an array of shape {tuple(x.shape)}"
    if isinstance(x, (bool, np.bool_)):
        return f"a bool ({x})"
    if isinstance(x, (numbers.Number, np.generic)):
        return f"a single number ({x!r})" if isinstance(x, (int, float)) else "a single number"
    if isinstance(x, (list, tuple)):
        return f"a Python {type(x).__name__} of {len(x)} item{'s' if len(x) != 1 else ''}"
    return f"a {type(x).__name__}"


def argument_shapes(args: Iterable, names: Iterable[str]) -> str:
    """'w (1, 3), b (1, 1), X (3, 5)' — how the arguments of a call looked."""
    parts = []
    for name, value in zip(names, args):
        if isinstance(value, np.ndarray):
            parts.append(f"{name} {tuple(value.shape)}")
        elif isinstance(value, (numbers.Number, np.generic)):
            parts.append(f"{name} = {value!r}")
        else:
            parts.append(f"{name} ({type(value).__name__})")
    return ", ".join(parts)


def _entries(x: np.ndarray, k: int = 4) -> str:
    flat = np.asarray(x, dtype=np.float64).ravel()
    shown = ", ".join(f"{v:.6g}" for v in flat[:k])
    return f"[{shown}{', …' if flat.size > k else ''}]"


# --- diagnosis -------------------------------------------------------------------------------

_SCALE_FACTS = {
    "sign": ("has the wrong sign (it is exactly −1 × the right answer)",
             "look for a swapped subtraction, e.g. (y − a) instead of (a − y), or a lost minus sign"),
    "m": ("is off by a factor of m = {m} (too large)",
          "it looks like the 1/m from the mean cost is missing (E = 1/(2m) Σ (a − y)²)"),
    "1/m": ("is m = {m} times too small",
            "it looks like you divided by m twice: the 1/m of the mean belongs in δ once; "
            "after that, sum over the samples instead of averaging"),
}

_REPAIR_INTERP = {
    "transposed": "a transpose is missing or one too many: write the shape of every factor "
                  "under your formula and check that the result has the shape of the answer",
    "flat": "keep vectors 2-D as the course does — a row is (1, n), a column (n, 1), never (n,): "
            "use keepdims=True in sums, or .reshape(...)",
    "number": "sum with keepdims=True (e.g. np.sum(d, axis=1, keepdims=True)) or "
              ".reshape(1, 1) so that the result keeps the shape (1, 1)",
    "reshaped": "the numbers are right but arranged in the wrong shape",
}


@dataclass(frozen=True)
class _Issue:
    fact: str
    interpretation: str

    def sentence(self, what: str) -> str:
        return f"{what} {self.fact} — {self.interpretation}"


def _variants(variants) -> list[tuple[str, np.ndarray]]:
    if not variants:
        return []
    items = variants.items() if isinstance(variants, Mapping) else variants
    out = []
    for desc, value in items:
        try:
            out.append((desc, np.asarray(value, dtype=np.float64)))
        except (TypeError, ValueError):
            continue
    return out


def _repairs(got: np.ndarray, shape: tuple) -> list[tuple[str | None, np.ndarray]]:
    """Ways to bring ``got`` to ``shape``, each naming the shape slip it undoes."""
    if got.shape == shape:
        return [(None, got)]
    out = []
    if got.ndim == 2 and len(shape) == 2 and got.shape[::-1] == shape:
        out.append(("transposed", got.T))
    elif got.size == int(np.prod(shape, dtype=int)):
        if got.ndim == 0:
            kind = "number"
        elif got.ndim == 1 or len(shape) == 1:
            kind = "flat"
        else:
            kind = "reshaped"
        out.append((kind, got.reshape(shape)))
    return out


def _repair_issue(kind: str, got: np.ndarray, shape: tuple, hints: Mapping) -> _Issue:
    if kind == "transposed":
        fact = (f"has shape {tuple(got.shape)} where {shape} was expected, and its values are the "
                f"transpose of the right ones")
    elif kind == "number":
        fact = f"is a single number where an array of shape {shape} was expected"
    elif kind == "flat" and shape == ():
        return _Issue(f"is {describe(got)} where a single number was expected",
                      "return the number itself, e.g. float(x) or x.item(), not an array holding it")
    elif kind == "flat" and got.ndim == 1:
        fact = (f"has shape {tuple(got.shape)}, a 1-D array, where the 2-D shape {shape} was "
                f"expected (the numbers themselves are right)")
    elif kind == "flat":
        fact = (f"has the 2-D shape {tuple(got.shape)} where the 1-D shape {shape} was expected "
                f"(the numbers themselves are right)")
    else:
        fact = f"has shape {tuple(got.shape)} where {shape} was expected"
    return _Issue(fact, hints.get(kind, _REPAIR_INTERP[kind]))


def _scale_options(m) -> list[tuple[tuple[str, ...], float]]:
    opts: list[tuple[tuple[str, ...], float]] = [((), 1.0), (("sign",), -1.0)]
    if m is not None and m != 1 and m != 0:
        opts += [(("m",), float(m)), (("1/m",), 1.0 / m),
                 (("sign", "m"), -float(m)), (("sign", "1/m"), -1.0 / m)]
    return opts


def _search(got: np.ndarray, expected: np.ndarray, m, variants, hints) -> list[_Issue] | None:
    """The fewest issues that explain ``got``: a variant, a shape slip, a scale — or None."""
    bases = [(None, expected)] + _variants(variants)
    best: tuple[int, int, list[_Issue]] | None = None
    order = 0
    for (desc, base), (scale_keys, scale) in product(bases, _scale_options(m)):
        if desc is not None and close(scale * base, expected):
            continue  # this variant is indistinguishable from the right answer here
        for kind, repaired in _repairs(got, base.shape):
            order += 1
            n = (desc is not None) + (kind is not None) + len(scale_keys)
            if n == 0 or n > MAX_ISSUES or (best is not None and n >= best[0]):
                continue
            if not close(repaired, scale * base):
                continue
            issues = []
            if desc is not None:
                issues.append(_Issue("matches a classic mistake", f"it looks like {desc}"))
            if kind is not None:
                issues.append(_repair_issue(kind, got, base.shape, hints))
            for key in scale_keys:
                fact, interp = _SCALE_FACTS[key]
                issues.append(_Issue(fact.format(m=m), hints.get(key, interp).format(m=m)))
            best = (n, order, issues)
    return None if best is None else best[2]


def diagnose(got, expected, *, what: str = "the result", m: int | None = None,
             variants=None, hints: Mapping[str, str] | None = None) -> str | None:
    """None if ``got`` matches ``expected``, else a sentence naming the likely cause.

    what: how to call the value in the message ("dw", "sigmoid(z)").
    m: the number of samples, to recognise a missing or doubled 1/m (skipped if None or 1).
    variants: {description: wrong value} (or pairs) — classic mistakes computed from the same
        inputs; a description should read well after "it looks like …". Their shapes may differ
        from the expected one (e.g. an unsummed bias gradient, (1, m) instead of (1, 1)).
    hints: override the explanation of a generic diagnosis, keyed "sign", "m", "1/m",
        "transposed", "flat", "number", "reshaped", "shape" (added to a plain wrong-shape
        message), "values" (added to a plain wrong-values message), "nonfinite".
    """
    hints = dict(hints or {})
    expected = np.asarray(expected, dtype=np.float64)
    exp_shape = tuple(expected.shape)
    tail = f"expected {describe(expected)}"

    if got is None:
        return (f"{what} is None — the function gave back nothing. Did you forget `return`? "
                f"A function without a return statement returns None.")
    if isinstance(got, (list, tuple)):
        try:
            arr = np.asarray(got, dtype=np.float64)
            right = " (its numbers are right)" if close(arr, expected) else ""
        except (TypeError, ValueError):
            right = ""
        return (f"{what} is {describe(got)}, not a NumPy array{right}. Return an array of shape "
                f"{exp_shape}, e.g. np.array(...), or build it with NumPy operations.")
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (np.ndarray, numbers.Number, np.generic)):
        return f"{what} is {describe(got)}; {tail}."
    arr = np.asarray(got)
    if arr.dtype.kind not in "fiu":
        return (f"{what} has dtype {arr.dtype}; expected float64 numbers "
                f"({describe(expected)}). An object array usually means a list of arrays.")
    if close(arr, expected):
        return None
    shapes = (f"Expected shape {exp_shape}, got {tuple(arr.shape)}." if arr.shape != exp_shape
              else f"(Its shape, {exp_shape}, is right.)")
    if np.isfinite(expected).all() and not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.isfinite(arr).sum())
        kind = "NaN" if np.isnan(arr).any() else "inf"
        return (f"{what} contains {kind} ({bad} of {arr.size} entries). "
                + hints.get("nonfinite", "This usually comes from an overflow (np.exp of a large "
                            "number is inf) or from 0/0 or inf/inf.") + f" {shapes}")
    if arr.dtype.kind in "iu" and expected.dtype.kind == "f":
        return (f"{what} has the integer dtype {arr.dtype}, so fractions were cut to whole "
                f"numbers (0.73 became 0). This happens when you fill an array made with "
                f"np.zeros_like(z) or np.empty_like(z) for an integer z — they copy z's dtype. "
                f"Convert first: z = np.asarray(z, dtype=float). {shapes}")

    issues = _search(arr.astype(np.float64), expected, m, variants, hints)
    if issues:
        if len(issues) == 1:
            body = issues[0].sentence(what)
        else:
            body = (f"{what} is wrong in {len(issues)} ways: "
                    + "; ".join(f"({i}) {iss.sentence('it')}" for i, iss in enumerate(issues, 1)))
        return f"{body}. {shapes}"

    if arr.shape != exp_shape:
        msg = f"{what} has shape {tuple(arr.shape)} but should have shape {exp_shape}."
        if arr.ndim == 0 and expected.size > 1:
            msg += (" You returned a single number: did you sum or average over everything "
                    "(np.sum without axis=…), or pick out a single entry?")
        if "shape" in hints:
            msg += " " + hints["shape"]
        return msg
    err = float(np.max(np.abs(arr.astype(np.float64) - expected)))
    msg = (f"{what} has the right shape {exp_shape} but wrong values: the largest difference "
           f"from the correct answer is {err:.3g}. Expected {_entries(expected)}, "
           f"got {_entries(arr)}.")
    if "values" in hints:
        msg += " " + hints["values"]
    return msg


def check_array(got, expected, *, name: str, what: str = "the result", m: int | None = None,
                variants=None, hints: Mapping[str, str] | None = None, context: str = ""):
    """Raise AssertionError(f"{name}: {diagnosis} {context}") unless ``got`` ≈ ``expected``.

    Returns ``got`` as a float64 array when it is right. See :func:`diagnose` for the rest.
    """
    __tracebackhide__ = True
    problem = diagnose(got, expected, what=what, m=m, variants=variants, hints=hints)
    if problem is not None:
        raise AssertionError(f"{name}: {problem}" + (f" {context}" if context else ""))
    return np.asarray(got, dtype=np.float64)


def check_outputs(result, expected: tuple, *, name: str, names: tuple[str, ...],
                  m: int | None = None, variants: Mapping[str, Any] | None = None,
                  hints: Mapping[str, Mapping[str, str]] | None = None,
                  context: str = "") -> tuple:
    """Check a function that returns several arrays, e.g. ``return z, a``.

    expected: the right values, in order; names: what each is called ("z", "a").
    variants / hints: per output name, as for :func:`check_array`.
    Diagnoses first: None (no return), a single array instead of a tuple, the wrong count,
    and — for two outputs — the two swapped.
    """
    __tracebackhide__ = True
    variants, hints = dict(variants or {}), dict(hints or {})
    k = len(names)
    want = ", ".join(names)
    if result is None:
        raise AssertionError(f"{name} returned None. Did you forget `return {want}`? A function "
                             f"without a return statement returns None. {context}".rstrip())
    if not isinstance(result, (tuple, list)):
        raise AssertionError(f"{name} returned {describe(result)}, but it should return {k} "
                             f"values: `return {want}`. {context}".rstrip())
    if len(result) != k:
        raise AssertionError(f"{name} returned {len(result)} value{'s' if len(result) != 1 else ''} "
                             f"but should return {k}: `return {want}`. {context}".rstrip())
    if (k == 2 and not (close(result[0], expected[0]) and close(result[1], expected[1]))
            and close(result[0], expected[1]) and close(result[1], expected[0])):
        raise AssertionError(f"{name} returned ({names[1]}, {names[0]}) — the two are swapped. "
                             f"Return them in this order: `return {want}`. {context}".rstrip())
    problems = [diagnose(got, exp, what=what, m=m, variants=variants.get(what), hints=hints.get(what))
                for got, exp, what in zip(result, expected, names)]
    wrong = [(what, p) for what, p in zip(names, problems) if p is not None]
    if wrong:
        body, same, others = wrong[0][1], [], []
        for what, p in wrong[1:]:
            (same if _gist(p, what) == _gist(wrong[0][1], wrong[0][0]) else others).append((what, p))
        if same:
            body += f"\n  The same for {', '.join(w for w, _ in same)}."
        body += "".join(f"\n  Also: {p}" for _, p in others)
        raise AssertionError(f"{name}: {body}\n{report(result, expected, names)}"
                             + (f"\n{context}" if context else ""))
    return tuple(np.asarray(g, dtype=np.float64) for g in result)


def _gist(problem: str, what: str) -> str:
    """A diagnosis without the value's name and its shape remark, to spot repeats."""
    gist = problem[len(what):] if problem.startswith(what) else problem
    return re.sub(r"\(Its shape, .*?, is right\.\)|Expected shape .*?\.", "", gist).strip()


def report(result, expected, names) -> str:
    """One line per returned value: its name, its shape against the right one, and how close
    its values are — so a student sees *which* of several results is wrong::

        value   shape                     values
        dw      (1, 3) ✓                  ✗ max |difference| 0.412
        db      (1, 1) ✓                  ✓ exact
    """
    rows = [("value", "shape", "values")]
    for got, exp, what in zip(result, expected, names):
        exp = np.asarray(exp, dtype=np.float64)
        try:
            arr = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            rows.append((what, f"{describe(got)} ✗", "—"))
            continue
        if arr.shape != exp.shape:
            rows.append((what, f"{shape_str(arr)} ✗ (should be {tuple(exp.shape)})", "—"))
            continue
        diff = float(np.max(np.abs(arr - exp))) if arr.size else 0.0
        if not np.isfinite(arr).all():
            values = "✗ contains NaN or inf"
        elif diff == 0.0:
            values = "✓ exact"
        elif close(arr, exp):
            values = f"✓ close (max |difference| {diff:.1e})"
        else:
            values = f"✗ max |difference| {diff:.3g}"
        rows.append((what, f"{tuple(arr.shape)} ✓", values))
    w0 = max(len(r[0]) for r in rows) + 2
    w1 = max(len(r[1]) for r in rows) + 2
    return "\n".join(f"    {a:<{w0}}{b:<{w1}}{c}" for a, b, c in rows)


# --- running a student's function ------------------------------------------------------------

@dataclass
class Outcome:
    """What happened when a student's function ran (see :func:`run`)."""
    result: Any = None
    error: BaseException | None = None
    warnings: list[str] = field(default_factory=list)
    forbidden: tuple[str, str] | None = None   # ("call" | "silence", what) — see ownwork
    mutated: list[str] = field(default_factory=list)   # names of arguments changed in place
    swapped: list[str] = field(default_factory=list)   # earlier exercises replaced meanwhile


def _snapshot(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list) and value and all(isinstance(v, np.ndarray) for v in value):
        return _ListSnapshot(list(value), [v.copy() for v in value])
    return None


@dataclass
class _ListSnapshot:
    """A list of arrays as it was passed (weights, biases): the arrays it held, and copies."""
    items: list
    copies: list


def _changed_items(before: _ListSnapshot, after: list) -> list[str]:
    """'[k]' for each entry of a list of arrays replaced or changed in place; '' for the list
    itself grown or shrunk."""
    if len(after) != len(before.items):
        return [""]
    return [f"[{k}]" for k, (old, copy, new) in enumerate(zip(before.items, before.copies, after))
            if new is not old or _changed(copy, new)]


def _changed(before, after) -> bool:
    if before is None:
        return False
    if isinstance(before, _ListSnapshot):
        return bool(_changed_items(before, after))
    if not isinstance(after, np.ndarray) or after.shape != before.shape or after.dtype != before.dtype:
        return True
    return not np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")


@contextmanager
def swapped(fn: Callable, references: Mapping[str, Callable]):
    """While the block runs, every name in ``references`` that ``fn``'s globals define (the
    student's own earlier functions) is bound to the reference version instead; yields the
    names replaced. So a slip in an earlier exercise does not fail a later one as well."""
    scope = getattr(ownwork.unwrap(fn), "__globals__", None)
    saved = {}
    if isinstance(scope, dict):
        for name, ref in references.items():
            if name in scope and scope[name] is not fn and callable(scope[name]):
                saved[name] = scope[name]
                scope[name] = ref
    try:
        yield sorted(saved)
    finally:
        for name, value in saved.items():
            scope[name] = value


def run(fn: Callable, *args, forbidden: ownwork.Forbidden | Iterable = (),
        arg_names: Iterable[str] | None = None, references: Mapping[str, Callable] | None = None,
        **kwargs) -> Outcome:
    """Call ``fn(*args, **kwargs)`` and record everything, raising nothing.

    - exceptions (Exception subclasses) are caught into ``error``;
    - NumPy RuntimeWarnings (overflow, invalid value, divide by zero) are recorded in
      ``warnings``, with NumPy's default error state enforced (a stray np.seterr(all="ignore")
      in the notebook does not hide them);
    - the own-work rule (see :mod:`ownwork`): what fn's code names, and every forbidden
      Python function entered while it runs, outside the trusted ``references``;
    - ``references`` ({name: reference function}) replace the student's earlier exercises
      in fn's globals while it runs (see :func:`swapped`);
    - array arguments changed in place are listed in ``mutated`` (by ``arg_names``).
    """
    __tracebackhide__ = True
    tape = _record.active()
    if tape is not None and tape.replaying:     # the grader's side: the kernel's recorded call
        return tape.play()
    outcome = _run(fn, *args, forbidden=forbidden, arg_names=arg_names, references=references,
                   **kwargs)
    if tape is not None:                        # the kernel's side: record it as plain data
        tape.keep(outcome)
    return outcome


def _run(fn, *args, forbidden=(), arg_names=None, references=None, **kwargs) -> Outcome:
    __tracebackhide__ = True
    if not isinstance(forbidden, ownwork.Forbidden):
        forbidden = ownwork.Forbidden(forbidden)
    names = list(arg_names) if arg_names is not None else [f"argument {i + 1}" for i in range(len(args))]
    names += [f"argument {i + 1}" for i in range(len(names), len(args))]
    outcome = Outcome(forbidden=ownwork.static_use(fn, forbidden))
    if outcome.forbidden is not None:
        return outcome
    references = dict(references or {})
    before = [_snapshot(a) for a in args]
    monitor = ownwork.Monitor(forbidden, trusted=references.values())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            with swapped(fn, references) as outcome.swapped:
                try:
                    with monitor:
                        outcome.result = fn(*args, **kwargs)
                except Exception as exc:  # noqa: BLE001 -- the student's code may raise anything
                    outcome.error = exc
    outcome.warnings = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    if monitor.hit is not None:
        outcome.forbidden = ("call", monitor.hit)
    outcome.mutated = [n for n, b, a in zip(names, before, args) if _changed(b, a)
                       and not isinstance(b, _ListSnapshot)]
    outcome.mutated += [f"{n}{k}" for n, b, a in zip(names, before, args)
                        if isinstance(b, _ListSnapshot) for k in _changed_items(b, a)]
    return outcome


_SHAPE_ERRORS = ("matmul", "not aligned", "could not be broadcast", "core dimension",
                 "shapes (", "dimension mismatch", "size of array")


def exception_message(name: str, exc: BaseException, args_desc: str = "",
                      shape_hint: str | None = None, hint: str | None = None) -> str:
    """Explain an exception raised by a student's function, in words, with the argument shapes."""
    call_desc = f"{name}({args_desc})" if args_desc else name
    kind = type(exc).__name__
    text = str(exc)
    if isinstance(exc, NotImplementedError):
        return (f"{name} is not written yet: its cell still raises NotImplementedError. "
                f"Replace `raise NotImplementedError()` with your code, run that cell, then run "
                f"this test again.")
    head = f"{call_desc} raised {kind}" + (f" («{text}»)" if text else "") + "."
    if isinstance(exc, ValueError) and any(s in text for s in _SHAPE_ERRORS):
        advice = shape_hint or (
            "The shapes in a matrix product or an elementwise operation don't fit. "
            "In A @ B the number of columns of A must equal the number of rows of B; "
            "+, −, * and / need equal shapes (or a 1 where they differ). Write the shape of "
            "every factor under your formula: a transpose (.T) is probably missing or one too many.")
        return f"{head} {advice}"
    if isinstance(exc, OverflowError):
        return (f"{head} A number became too large for a float (math.exp overflows above "
                f"about 709). Use np.exp, and rearrange the formula so that exp only sees numbers "
                f"≤ 0." + (f" {hint}" if hint else ""))
    if isinstance(exc, NameError):
        return (f"{head} Your function uses a name that is not defined: check the spelling, "
                f"and run the cells above it (e.g. `import numpy as np`) first."
                + (f" {hint}" if hint else ""))
    return head + (f" {hint}" if hint else "")


def warning_message(name: str, messages: list[str], args_desc: str = "",
                    hint: str | None = None) -> str:
    """Explain NumPy RuntimeWarnings raised while a student's function ran."""
    call_desc = f"{name}({args_desc})" if args_desc else name
    quoted = "; ".join(f"“{m}”" for m in dict.fromkeys(messages))
    advice = hint
    if advice is None:
        if any("overflow" in m for m in messages):
            advice = ("Something became too large for a float64 (np.exp overflows above about "
                      "709, giving inf). Rearrange the formula so that exp only sees numbers ≤ 0.")
        elif any("invalid value" in m for m in messages):
            advice = "A NaN was produced: look for inf − inf, inf/inf, 0/0 or 0·inf."
        else:
            advice = "A division by zero happened somewhere."
    return f"{call_desc} made NumPy warn {quoted}. {advice}"


def mutation_message(name: str, mutated: list[str]) -> str:
    """Explain that a student's function changed its array arguments in place."""
    which = ", ".join(mutated)
    first = mutated[0]
    if "[" in which:     # an entry of a list of arrays (weights[0]): the list was shared
        entry = next(m for m in mutated if "[" in m)
        return (f"{name} changed the caller's {which} in place: the arrays in a list belong to "
                f"the caller even when the list is copied (list(weights), weights.copy() and "
                f"weights[:] copy the list, not the arrays it holds), so `W -= …` on an entry, "
                f"or `{entry} = …`, changes the caller's network behind their back. To update, "
                f"build new arrays, e.g. `new_weights = [W - lr * dW for W, dW in zip(weights, "
                f"dWs)]`, or copy each array first: `[W.copy() for W in weights]`. To nudge "
                f"entries on purpose (a gradient check), put each one back before the next.")
    return (f"{name} changed its argument{'s' if len(mutated) > 1 else ''} {which} in place "
            f"(e.g. with `{first} -= …`, `{first} *= …` or `{first}[…] = …`; note that "
            f"np.asarray(x) does not copy an array that is already float). A function should "
            f"leave the caller's arrays untouched and return new ones: write "
            f"`{first}_new = {first} - …`, or work on `{first}.copy()`.")



def call(fn: Callable, *args, name: str, arg_names: Iterable[str] | None = None,
         forbidden: ownwork.Forbidden | Iterable = (), references: Mapping[str, Callable] | None = None,
         shape_hint: str | None = None, hint: str | None = None, warning_hint: str | None = None,
         allow_mutation: bool = False, **kwargs):
    """Run a student's function and return its result, or raise an AssertionError that explains.

    In this order: ``fn`` is not a function; it breaks the own-work rule; it raised
    (NotImplementedError → "not written yet", shape errors → ``shape_hint``, others →
    ``hint``); NumPy warned (→ ``warning_hint``); it changed an array argument in place
    (unless ``allow_mutation``). See :func:`run` for ``references``.
    """
    __tracebackhide__ = True
    if fn is None or not callable(fn):
        raise AssertionError(f"{name} is {describe(fn)}, not a function. Run the cell that "
                             f"defines `def {name}(...)`, and don't assign anything else to "
                             f"the name {name} afterwards.")
    names = list(arg_names) if arg_names is not None else None
    outcome = run(fn, *args, forbidden=forbidden, arg_names=names, references=references, **kwargs)
    args_desc = argument_shapes(args, names) if names else ""
    if outcome.forbidden is not None:
        raise AssertionError(ownwork.message(name, *outcome.forbidden)) from outcome.error
    if outcome.error is not None:
        raise AssertionError(exception_message(name, outcome.error, args_desc, shape_hint, hint)) \
            from outcome.error
    if outcome.warnings:
        raise AssertionError(warning_message(name, outcome.warnings, args_desc, warning_hint))
    if outcome.mutated and not allow_mutation:
        raise AssertionError(mutation_message(name, outcome.mutated))
    return outcome.result
