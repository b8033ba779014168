"""The class report: what a whole class scored, and what it got wrong, as one HTML page.

``python3 course.py report ASSIGNMENT`` runs this module in the course's environment. It reads

* the **gradebook** (scores as they are now, hand grading included), and
* the **records** ``course.py grade`` wrote for each student (status, the checks' diagnosis of
  every failing test cell, tampered test cells, cells stopped at the time limit, empty written
  answers),

and writes ``reports/<assignment>/index.html`` with two figures beside it (``scores.png``,
``exercises.png``; the page also carries them inline, so it can be mailed on its own):

1. the score distribution of the autograded points (a submission that failed to run has 0);
2. points per exercise: mean score and share with full marks over the graded submissions, and
   how many did not answer, made a diagnosed mistake, or were stopped at the time limit;
3. per exercise, the most frequent diagnosed mistakes, with counts, an example message and
   who made them (diagnoses that differ only in numbers count as one);
4. the students whose test cells were edited, who timed out, whose kernel crashed (or whose file
   was not a notebook), and who left written answers empty.
"""
from __future__ import annotations

import argparse
import base64
import html
import io
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bpkit.grading.classgrade import FAILED, REPORTS, read_records

__all__ = ["ClassData", "collect", "render", "write_report", "main"]

TOP_MISTAKES = 5          # per exercise
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


@dataclass
class Exercise:
    """One autograded test cell, and how the class did on it."""
    notebook: str
    test: str                    # the test cell's grade_id
    name: str                    # the exercise: the answer cell above it
    points: float
    scores: list[float] = field(default_factory=list)      # graded submissions only
    kinds: Counter = field(default_factory=Counter)         # failure kind -> count
    mistakes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # key -> [(student, diagnosis)]

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else 0.0

    @property
    def full_share(self) -> float:
        return sum(s >= self.points for s in self.scores) / len(self.scores) if self.scores else 0.0


@dataclass
class ClassData:
    assignment: str
    students: dict[str, dict]                # student -> record
    totals: dict[str, float]                 # student -> autograded points (0 if it failed)
    max_points: float
    exercises: list[Exercise]
    graded: list[str]                        # status graded or timed out

    def with_status(self, *statuses: str) -> list[str]:
        return [s for s, r in self.students.items() if r["status"] in statuses]


def _gradebook_scores(root: Path, assignment: str) -> dict[str, dict[str, dict[str, tuple]]]:
    """student -> notebook -> grade_id -> (score, max_score, is_test_cell) from the gradebook."""
    from nbgrader.api import Gradebook

    from bpkit.grading.classworker import nbgrader_app

    cd = nbgrader_app(root, assignment, log_level="WARN").coursedir     # the configured gradebook
    out: dict = {}
    with Gradebook(cd.db_url, cd.course_id) as gb:
        try:
            submissions = gb.assignment_submissions(assignment)
        except Exception:                           # noqa: BLE001 - no such assignment yet
            return out
        for sub in submissions:
            for nb in sub.notebooks:
                out.setdefault(sub.student.id, {})[nb.name] = {
                    g.name: (g.score, g.max_score, g.cell.cell_type == "code") for g in nb.grades}
    return out


def _release_layout(root: Path, assignment: str) -> list[tuple[str, str, str, float]]:
    """(notebook, test grade_id, exercise name, points) for every autograded test cell of the
    released notebooks, in notebook order."""
    import nbformat

    rows = []
    for path in sorted((root / "exercises" / assignment).glob("*.ipynb")):
        current = None
        for cell in nbformat.read(path, as_version=4).cells:
            md = cell.get("metadata", {}).get("nbgrader", {})
            if md.get("solution") and not md.get("grade") and cell.cell_type == "code":
                current = md["grade_id"]
            elif md.get("grade") and not md.get("solution") and cell.cell_type == "code":
                rows.append((path.stem, md["grade_id"], current or md["grade_id"], float(md["points"])))
    return rows


def mistake_key(diagnosis: str) -> str:
    """The mistake a diagnosis names: its first sentence (the checks name the mistake first and
    add advice and what NumPy warned after it), numbers left out."""
    first = _SENTENCE_END.split(diagnosis.strip(), maxsplit=1)[0]
    return _NUMBER.sub("#", first).strip()


def collect(root: Path, assignment: str) -> ClassData:
    records = read_records(root, assignment)
    scores = _gradebook_scores(root, assignment)
    exercises = [Exercise(nb, test, name, points) for nb, test, name, points in _release_layout(root, assignment)]
    graded = [s for s, r in records.items() if r["status"] in ("graded", "timed out")]
    totals = {}
    for student, record in records.items():
        if record["status"] == "no notebook":
            continue
        cells = scores.get(student, {})
        totals[student] = sum(score or 0.0 for nb in cells.values() for score, _, test in nb.values() if test)
    for ex in exercises:
        for student in graded:
            score = scores.get(student, {}).get(ex.notebook, {}).get(ex.test, (0.0,))[0] or 0.0
            ex.scores.append(score)
            failing = records[student]["notebooks"].get(ex.notebook, {}).get("failing", {}).get(ex.test)
            if failing:
                ex.kinds[failing["kind"]] += 1
                if failing["kind"] in ("mistake", "answer failed", "error"):
                    ex.mistakes.setdefault(mistake_key(failing["diagnosis"]), []).append(
                        (student, failing["diagnosis"]))
    return ClassData(assignment, records, totals, sum(ex.points for ex in exercises), exercises, graded)


# --- figures --------------------------------------------------------------------------------------

def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def score_figure(data: ClassData) -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    top = data.max_points or 1
    bins = [x - 0.5 for x in range(int(top) + 2)] if float(top).is_integer() and top <= 60 else 20
    ax.hist(list(data.totals.values()), bins=bins, color="#4477aa", edgecolor="white")
    ax.set_xlabel(f"autograded points (of {data.max_points:g})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{data.assignment}: score distribution ({len(data.totals)} submissions)")
    ax.yaxis.get_major_locator().set_params(integer=True)
    png = _png(fig)
    plt.close(fig)
    return png


def exercise_figure(data: ClassData) -> bytes:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [ex.name for ex in data.exercises]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.2))
    y = range(len(names))
    ax.barh(list(y), [100 * ex.mean / ex.points if ex.points else 0 for ex in data.exercises],
            color="#88ccee", label="mean score")
    ax.barh(list(y), [100 * ex.full_share for ex in data.exercises], height=0.3,
            color="#117733", label="full marks")
    ax.set_yticks(list(y), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"% of the exercise's points, over the {len(data.graded)} graded submissions")
    ax.legend(loc="lower right", fontsize="small")
    png = _png(fig)
    plt.close(fig)
    return png


# --- the page -------------------------------------------------------------------------------------

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5rem 0 1rem; } td, th { padding: .2rem .6rem; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
th { text-align: left; background: #f4f4f4; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; } img { max-width: 100%; } code { background: #f4f4f4; padding: 0 .2rem; }
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _table(table_id: str, header: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td class=\"n\">{_e(c)}</td>" if i in numeric else f"<td>{_e(c)}</td>"
                                     for i, c in enumerate(row)) + "</tr>\n" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>'


def _names(students: list[str], limit: int = 8) -> str:
    return ", ".join(students[:limit]) + (f" and {len(students) - limit} more" if len(students) > limit else "")


def _percent(x: float) -> str:
    return f"{100 * x:.0f}%"


def render(data: ClassData, images: dict[str, bytes]) -> str:
    totals = sorted(data.totals.values())
    n = len(totals)
    median = (totals[(n - 1) // 2] + totals[n // 2]) / 2 if n else 0.0
    failed = data.with_status(*FAILED - {"no notebook"})
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>{_e(data.assignment)}: class report</title><style>{_CSS}</style></head><body>",
             f"<h1>{_e(data.assignment)}: class report</h1>",
             f"<p class=\"note\">Made {_e(time.strftime('%Y-%m-%d %H:%M'))} from the gradebook and the "
             f"records of <code>course.py grade</code>.</p>"]
    parts.append("<h2 id=\"scores\">Scores</h2>")
    parts.append(_table("summary", ["", "count"], [
        ["submissions", n], ["graded", len(data.with_status("graded"))],
        ["timed out (graded without the cells stopped at the limit)", len(data.with_status("timed out"))],
        ["failed to run (0 points)", len(failed)],
        ["folders without a notebook (not in the gradebook)", len(data.with_status("no notebook"))]], {1}))
    parts.append(_table("distribution", ["autograded points", "value"], [
        ["maximum possible", f"{data.max_points:g}"],
        ["mean", f"{sum(totals) / n:.2f}" if n else "-"], ["median", f"{median:g}" if n else "-"],
        ["lowest", f"{totals[0]:g}" if n else "-"], ["highest", f"{totals[-1]:g}" if n else "-"],
        ["with full marks", sum(t >= data.max_points for t in totals)]], {1}))
    parts.append(_img(images, "scores.png", "score distribution"))

    parts.append("<h2 id=\"exercises\">Points per exercise</h2>")
    parts.append(f"<p class=\"note\">Over the {len(data.graded)} graded submissions (those that "
                 "failed to run are left out).</p>")
    parts.append(_table("per-exercise", ["exercise", "test cell", "points", "mean", "full marks",
                                         "not answered", "mistake", "timed out"],
                        [[ex.name, ex.test, f"{ex.points:g}", f"{ex.mean:.2f}", _percent(ex.full_share),
                          ex.kinds["not answered"],
                          ex.kinds["mistake"] + ex.kinds["answer failed"] + ex.kinds["error"],
                          ex.kinds["timed out"]] for ex in data.exercises], {2, 3, 4, 5, 6, 7}))
    parts.append(_img(images, "exercises.png", "points per exercise"))

    parts.append("<h2 id=\"mistakes\">Most frequent mistakes, per exercise</h2>")
    parts.append("<p class=\"note\">As the checks diagnosed them; diagnoses that differ only in "
                 "numbers or in what follows their first sentence are counted together. Answers not written yet and cells stopped at the "
                 "time limit are counted in the table above, not here.</p>")
    any_mistake = False
    for ex in data.exercises:
        if not ex.mistakes:
            continue
        any_mistake = True
        ranked = sorted(ex.mistakes.values(), key=lambda who: (-len(who), who[0][1]))
        parts.append(f"<h3>{_e(ex.name)} <span class=\"note\">({_e(ex.test)})</span></h3>")
        parts.append(_table(f"mistakes-{ex.test}", ["students", "diagnosis (an example)", "who"],
                            [[len(who), who[0][1], _names([s for s, _ in who])]
                             for who in ranked[:TOP_MISTAKES]], {0}))
        if len(ranked) > TOP_MISTAKES:
            parts.append(f"<p class=\"note\">… and {len(ranked) - TOP_MISTAKES} other diagnoses.</p>")
    if not any_mistake:
        parts.append("<p>No diagnosed mistakes.</p>")

    parts.append("<h2 id=\"attention\">Submissions that need a look</h2>")
    flagged = [[s, nb, f.get("cell", ""), f.get("line") or "", f.get("kind", ""), f.get("code", ""),
                f.get("why", "")]
               for s, r in data.students.items() for nb, e in r["notebooks"].items()
               for f in e.get("flags") or []]
    parts.append("<h3>Flagged: held for your review</h3><p class=\"note\">Code that patches "
                 "modules, reaches outside its folder, opens the gradebook, runs programs or uses "
                 "the network, or a test cell whose recording the grader could not trust. The "
                 "submission's cells are marked as needing a manual grade: review them in "
                 "formgrader before releasing grades.</p>")
    parts.append(_table("flagged", ["student", "notebook", "cell", "line", "what", "code", "why"],
                        flagged) if flagged else "<p>None.</p>")
    tampered = [[s, nb, ", ".join(f"{cell} ({', '.join(attrs)})" for cell, attrs in cells.items())]
                for s, r in data.students.items() for nb, e in r["notebooks"].items()
                for cells in [e.get("tampered") or {}] if cells]
    parts.append("<h3>Test cells edited</h3><p class=\"note\">nbgrader put the released test cells "
                 "back before grading; the edit itself may deserve a word.</p>")
    parts.append(_table("tampered", ["student", "notebook", "cells (what changed)"], tampered)
                 if tampered else "<p>None.</p>")
    stopped = [[s, nb, ", ".join(e.get("stopped") or [])] for s, r in data.students.items()
               for nb, e in r["notebooks"].items() if e.get("stopped")]
    timeout = next((r.get("timeout") for r in data.students.values() if r.get("timeout")), None)
    parts.append(f"<h3>Timed out</h3><p class=\"note\">A cell ran past the limit of {_e(timeout)} s "
                 "and was stopped; the rest of the notebook was graded.</p>")
    parts.append(_table("timed-out", ["student", "notebook", "cells stopped"], stopped)
                 if stopped else "<p>None.</p>")
    parts.append("<h3>Failed to run</h3><p class=\"note\">nbgrader could not grade these (0 points). "
                 "Their hand-ins are untouched; fix or discuss, then grade again with "
                 "<code>--student ID --force</code>.</p>")
    parts.append(_table("failed", ["student", "what happened", "message"],
                        [[s, data.students[s]["status"], (data.students[s].get("error") or "").splitlines()[0][:300]
                          if data.students[s].get("error") else ""] for s in failed])
                 if failed else "<p>None.</p>")
    nothing = data.with_status("no notebook")
    if nothing:
        parts.append(f"<p>Folders without a notebook: {_e(', '.join(nothing))}.</p>")
    empty = [[s, nb, ", ".join(e["empty"])] for s, r in data.students.items()
             for nb, e in r["notebooks"].items() if e.get("empty")]
    parts.append("<h3>Written answers left empty</h3>")
    parts.append(_table("empty-written", ["student", "notebook", "written answers"], empty)
                 if empty else "<p>None.</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _img(images: dict[str, bytes], name: str, alt: str) -> str:
    data = base64.b64encode(images[name]).decode("ascii")
    return f'<p><img src="data:image/png;base64,{data}" alt="{_e(alt)}" data-file="{_e(name)}"></p>'


def write_report(root: Path, assignment: str) -> Path:
    data = collect(root, assignment)
    folder = root / REPORTS / assignment
    images = {"scores.png": score_figure(data), "exercises.png": exercise_figure(data)}
    for name, png in images.items():
        (folder / name).write_bytes(png)
    page = folder / "index.html"
    page.write_text(render(data, images), encoding="utf-8")
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course.py report",
                                     description="Write the class report of an assignment.")
    parser.add_argument("assignment")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course folder")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not read_records(root, args.assignment):
        print(f"No grading records for {args.assignment} yet: run `python3 course.py grade "
              f"{args.assignment}` first.")
        return 2
    page = write_report(root, args.assignment)
    try:
        shown = page.relative_to(root)
    except ValueError:
        shown = page
    print(f"Class report written to {shown} (with scores.png and exercises.png beside it).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
