"""nbgrader settings for an instructor's Jupyter server on the class server.

The formgrader (JupyterLab menu Nbgrader -> Formgrader) works on one course folder: the
instructor's own clone of the course repository, ~/bpkit unless BPKIT_COURSE says otherwise.
nbgrader then reads that folder's nbgrader_config.py too, so grading is configured there.
"""
import os

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

c.CourseDirectory.root = os.path.expanduser(os.environ.get("BPKIT_COURSE", "~/bpkit"))
