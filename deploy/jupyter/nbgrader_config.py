"""nbgrader settings for everyone on the class server, students and instructors alike.

Install as /etc/jupyter/nbgrader_config.py, so that every shell and every Jupyter server on
the machine sees it (the hub also puts this folder on each server's JUPYTER_CONFIG_PATH):

    sudo install -D -m 644 deploy/jupyter/nbgrader_config.py /etc/jupyter/nbgrader_config.py

nbgrader reads it before the course's own nbgrader_config.py, which sets the same course id
and everything about grading, and leaves the exchange root to this file.
"""
import os

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

# Which course `nbgrader fetch_assignment` and `submit` talk to; the same as the course's own.
c.CourseDirectory.course_id = "bpkit"
# The shared folder through which assignments, submissions and feedback travel; made once by
# deploy/make-exchange.sh. BPKIT_EXCHANGE moves it (the tests use a temporary one).
c.Exchange.root = os.environ.get("BPKIT_EXCHANGE", "/srv/nbgrader/exchange")
