"""nbgrader configuration for the bpkit course.

The repository root is the nbgrader course directory:

    solutions/<assignment>/   instructor versions (nbgrader "source")
    exercises/<assignment>/   student versions (nbgrader "release"), made by
                              `python3 course.py generate`
    submitted/, autograded/, feedback/, gradebook.db   grading state, never committed

nbgrader reads this file from the current directory and again from the course root,
and options given on the command line always win over it, so
`nbgrader autograde 01-single-neuron --CourseDirectory.root=/some/copy` grades the copy.
"""
import os
import warnings

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
from nbgrader.preprocessors import GetGrades, OverwriteCells

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

# --- where things are -------------------------------------------------------------------
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "bpkit"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# The gradebook is nbgrader's default, sqlite:///<root>/gradebook.db (git-ignored). It is
# deliberately not set here: the default is derived from the *final* root, so a
# --CourseDirectory.root given on the command line moves the gradebook along with it.

# --- a class on one server: nbgrader's exchange (release, fetch, submit, collect, feedback) ----
# Used only when a class works through JupyterHub (README, "A class on one server"). The
# exchange root comes from the server's own config (deploy/nbgrader_config.py, installed as
# /etc/jupyter/nbgrader_config.py), which this file leaves alone, or from BPKIT_EXCHANGE when set.
# Without either, nothing changes: one person on one machine needs no exchange.
if os.environ.get("BPKIT_EXCHANGE"):
    c.Exchange.root = os.environ["BPKIT_EXCHANGE"]

# --- grading a student's notebook ---------------------------------------------------------
# Per-cell limit: a cell still running after this many seconds (an infinite loop) is
# interrupted with a CellTimeoutError, so the tests that need it score zero, and the rest
# of the notebook still runs and is graded.
# nbgrader's Execute preprocessor subclasses ExecutePreprocessor, so this applies to
# autograde and validate; nbgrader 0.9.6 does not retry a notebook that timed out.
TIMEOUT = 10
c.ExecutePreprocessor.timeout = TIMEOUT
# What a student reads in place of nbgrader's bare "No reply from kernel before timeout" (in
# validate's output, `course.py check` and the feedback page): the limit and the likely cause.
TIMEOUT_MESSAGE = (
    f"this cell was stopped after running for {TIMEOUT} seconds, the limit for one cell. "
    "It may loop forever (a while loop whose condition never becomes false, a loop that "
    "never reaches its break), or it does far more work than the exercise needs."
)
c.Execute.error_on_timeout = {
    "ename": "CellTimeoutError",
    "evalue": TIMEOUT_MESSAGE,
    "traceback": [f"\x1b[0;31mCellTimeoutError\x1b[0m: {TIMEOUT_MESSAGE}"],
}
# Once every cell has run, stop the kernel at once instead of waiting for it to wind down
# (a student's atexit hooks are of no interest): about a second saved per submission.
c.ExecutePreprocessor.shutdown_kernel = "immediate"
# Every kernel started here would log "Kernel is running over TCP without encryption": it
# listens on 127.0.0.1 and signs every message with a per-kernel key, which is what nbgrader
# and JupyterLab always do. Only that kernel log is quietened; a student's own warnings and
# errors are cell output and unaffected.
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]

# Restore test cells from the gradebook as nbgrader does, but without a "checksum has changed"
# warning for every cell that holds hidden tests in every untouched hand-in (see
# bpkit/grading/overwrite.py), so the warning again means a student edited a test cell.
c.Autograde.sanitize_preprocessors = [
    "bpkit.grading.overwrite.OverwriteReleasedCells" if p is OverwriteCells else p
    for p in Autograde.class_traits()["sanitize_preprocessors"].default()
]

# nbgrader 0.9's gradebook code triggers SQLAlchemy 2's "Object of type <…> not in session,
# add operation along '…' will not proceed" on the first autograde of a student: the objects
# are added to the session a moment later, and the grades are stored correctly (the pipeline
# tests read them back). Only that message is hidden.
warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session",
                        module=r"nbgrader\.")

# --- generating exercises/ ---------------------------------------------------------------
# Strip editor noise (collapsed, scrolled, execution timings, widget state, jupytext, ...)
# from the solutions before nbgrader processes them, so that exercises/ depends only on
# what the author wrote and regenerating it gives identical bytes. The preprocessor is
# disabled by default in nbconvert, hence `enabled`. nbgrader's autograde also lists it
# (disabled); enabling it here makes it tidy autograded notebooks too, which the masks
# below make harmless.
c.ClearMetadataPreprocessor.enabled = True
c.ClearMetadataPreprocessor.preserve_cell_metadata_mask = {
    "nbgrader", "tags", "editable", "deletable",
}
c.ClearMetadataPreprocessor.preserve_nb_metadata_mask = {
    "kernelspec", ("language_info", "name"),
}
c.GenerateAssignment.preprocessors = [
    ClearMetadataPreprocessor,
    *GenerateAssignment.class_traits()["preprocessors"].default(),
]

# --- feedback returned to students -------------------------------------------------------
# Hidden tests are restored at autograde, so without this their source (and the lines
# IPython quotes in tracebacks) would be in every student's feedback HTML. Named by its
# import path, so that only generate_feedback imports bpkit (nbconvert resolves the name).
# nbgrader's defaults are [GetGrades, CSSHTMLHeaderPreprocessor]; ours goes right after GetGrades.
_feedback = GenerateFeedback.class_traits()["preprocessors"].default()
_after = _feedback.index(GetGrades) + 1
c.GenerateFeedback.preprocessors = [
    *_feedback[:_after], "bpkit.grading.feedback.HideHiddenTests", *_feedback[_after:],
]
