"""`course.py report`: the numbers in the class report page, against a known synthetic class.

A small class is graded for real (`bpkit.grading.classgrade`, two workers): two correct students,
two with the same classic sigmoid mistake, one with a neuron_gradients mistake, a blank one, one
whose test cells were replaced, one that loops, one that kills its kernel and one file that is
not a notebook. Every number the test expects is computed from what each simulated student
handed in, never written down by hand.
"""
from __future__ import annotations

import re
import statistics
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

import students_stage1 as s
import synthetic_class as sc

ASSIGNMENT, NOTEBOOK = "01-single-neuron", "single-neuron"
TIMEOUT = 5
SAME = "sigmoid: minus sign missing"             # made by two students
OTHER = "neuron_gradients: 1/m missing"


class Tables(HTMLParser):
    """Every <table id=…> of a page as rows of cell texts (header row first)."""

    def __init__(self, page: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = self._cell = None
        self.images: list[dict] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", f"table-{len(self.tables)}"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(attrs)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@dataclass
class Report:
    root: Path
    cast: dict
    release: object
    page: str
    tables: dict
    images: list
    printed: str


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Report:
    root = sc.make_course(tmp_path_factory.mktemp("report") / "course", [ASSIGNMENT])
    config = root / "nbgrader_config.py"
    text = config.read_text()
    assert text.count("TIMEOUT = 10\n") == 1
    config.write_text(text.replace("TIMEOUT = 10\n", f"TIMEOUT = {TIMEOUT}\n"))
    base = sc.stage1_class(correct=2, mistakes=0, blank=1, loops=1, crashes=1, garbage=1, tampered=1)
    for k, key in enumerate([SAME, SAME, OTHER]):
        gid, source, _ = s.MISTAKES[key]
        base[f"mistake-{k + 1:03d}"] = sc.Submission({**s.CORRECT, gid: source}, {gid}, mistake=key)
    for name, sub in base.items():
        sc.hand_in(root, ASSIGNMENT, NOTEBOOK, name, sub)
    env = sc.nbgrader_env(root)
    graded = subprocess.run([sys.executable, "-m", "bpkit.grading.classgrade", ASSIGNMENT,
                             f"--root={root}", "--jobs=2", *sc.sandbox_args()], cwd=root, env=env,
                            capture_output=True, text=True, timeout=900)
    assert graded.returncode == 1, graded.stdout + graded.stderr        # crash and garbage
    made = subprocess.run([sys.executable, "-m", "bpkit.grading.report", ASSIGNMENT, f"--root={root}"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stdout + made.stderr
    page = (root / "reports" / ASSIGNMENT / "index.html").read_text(encoding="utf-8")
    parsed = Tables(page)
    release = nbformat.read(root / "exercises" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    return Report(root, base, release, page, parsed.tables, parsed.images, made.stdout)


def _rows(report, table) -> list[list[str]]:
    return report.tables[table][1:]


def _totals(report) -> dict[str, float]:
    return {n: 0.0 if sub.crashes or sub.garbage else sum(sc.expected_scores(report.release, sub).values())
            for n, sub in report.cast.items()}


def _graded(report) -> list[str]:
    return [n for n, sub in report.cast.items() if not (sub.crashes or sub.garbage)]


def test_summary_counts(report):
    counts = {row[0].split(" (")[0]: int(row[1]) for row in _rows(report, "summary")}
    cast = report.cast.values()
    assert counts == {
        "submissions": len(report.cast),
        "graded": sum(not (x.loops or x.crashes or x.garbage) for x in cast),
        "timed out": sum(x.loops for x in cast),
        "failed to run": sum(x.crashes or x.garbage for x in cast),
        "folders without a notebook": 0}


def test_score_distribution(report):
    totals = sorted(_totals(report).values())
    full = sum(sc.layout(report.release)[3].values())
    values = dict(_rows(report, "distribution"))
    assert values == {
        "maximum possible": f"{full:g}", "mean": f"{statistics.mean(totals):.2f}",
        "median": f"{statistics.median(totals):g}", "lowest": f"{totals[0]:g}",
        "highest": f"{totals[-1]:g}", "with full marks": str(sum(t == full for t in totals))}
    assert values["with full marks"] == "2" and values["lowest"] == "0"


def test_points_per_exercise(report):
    answers, _, tests_of, points = sc.layout(report.release)
    graded = _graded(report)
    scores = {n: sc.expected_scores(report.release, report.cast[n]) for n in graded}
    rows = {row[1]: row for row in _rows(report, "per-exercise")}
    assert set(rows) == set(points)
    for answer in answers:
        for test in tests_of[answer]:
            got = [scores[n][test] for n in graded]
            blank = sum(answer in report.cast[n].failing and not report.cast[n].answers.get(answer)
                        for n in graded)
            wrong = sum(report.cast[n].mistake is not None and answer in report.cast[n].failing
                        for n in graded)
            stopped = sum(report.cast[n].loops and answer in report.cast[n].failing for n in graded)
            assert rows[test] == [answer, test, f"{points[test]:g}", f"{statistics.mean(got):.2f}",
                                  f"{100 * sum(g == points[test] for g in got) / len(got):.0f}%",
                                  str(blank), str(wrong), str(stopped)], test


def test_most_frequent_mistakes_with_counts_and_an_example(report):
    gid, _, hint = s.MISTAKES[SAME]
    rows = _rows(report, f"mistakes-test_{gid}")
    count, example, who = rows[0]                      # the most frequent comes first
    assert count == "2" and re.search(hint, example)
    assert who == ", ".join(n for n, x in report.cast.items() if x.mistake == SAME)
    other, _, other_hint = s.MISTAKES[OTHER]
    rows = _rows(report, f"mistakes-test_{other}")
    assert len(rows) == 1 and rows[0][0] == "1" and re.search(other_hint, rows[0][1])
    assert rows[0][2] == next(n for n, x in report.cast.items() if x.mistake == OTHER)
    mistaken = {x.mistake.split(":")[0] for x in report.cast.values() if x.mistake}
    assert {t.removeprefix("mistakes-test_") for t in report.tables if t.startswith("mistakes-")} == mistaken


def test_who_needs_a_look(report):
    cast = report.cast
    assert [row[0] for row in _rows(report, "tampered")] == [n for n, x in cast.items() if x.tests]
    assert "checksum" in _rows(report, "tampered")[0][2]
    last = s.GRADE_IDS[-1]
    assert _rows(report, "timed-out") == [[n, NOTEBOOK, last] for n, x in cast.items() if x.loops]
    failed = {row[0]: row[1] for row in _rows(report, "failed")}
    assert failed == {**{n: "crashed" for n, x in cast.items() if x.crashes},
                      **{n: "not a notebook" for n, x in cast.items() if x.garbage}}
    _, written, _, _ = sc.layout(report.release)
    empty = {row[0]: row[2] for row in _rows(report, "empty-written")}
    assert empty == {n: ", ".join(written) for n, x in sorted(cast.items())
                     if x.written_empty and not x.garbage}


def test_page_is_self_contained_with_its_pngs_beside_it(report):
    folder = report.root / "reports" / ASSIGNMENT
    assert {img["data-file"] for img in report.images} == {"scores.png", "exercises.png"}
    assert all(img["src"].startswith("data:image/png;base64,") for img in report.images)
    for name in ("scores.png", "exercises.png"):
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", report.page)   # nothing fetched
    assert "index.html" in report.printed


def test_student_text_is_escaped():
    from bpkit.grading.report import _table

    html = _table("t", ["a"], [["<script>alert(1)</script>"]])
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_mistake_key_ignores_numbers_and_advice():
    from bpkit.grading.report import mistake_key

    a = "dw is off by a factor 3.5: the 1/m is missing. Divide by m = 7 once."
    b = "dw is off by a factor 12: the 1/m is missing. (NumPy warned nothing.)"
    assert mistake_key(a) == mistake_key(b) == "dw is off by a factor #: the #/m is missing."
    assert mistake_key("db has shape (1, 5): not summed.") != mistake_key(a)
