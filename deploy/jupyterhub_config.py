"""JupyterHub for a small class on one server: system users, the course's environment, nbgrader.

Run as root (the hub starts each user's Jupyter server as that user):

    sudo BPKIT_ENV=/opt/bpkit/.venv /opt/bpkit/.venv/bin/jupyterhub -f /opt/bpkit/deploy/jupyterhub_config.py

Who may log in, and as what, is decided by two Unix groups, so the same groups that protect the
files decide the roles: members of ``bpkit-students`` and ``bpkit-instructors`` log in with their
system password (PAM); instructors are hub admins. Every server runs the course's environment
(BPKIT_ENV), so the notebook kernel is the course's Python with bpkit and the pinned packages.

nbgrader's JupyterLab extensions follow the role, through the config folders next to this file
that each server gets on its JUPYTER_CONFIG_PATH:

    jupyter/               everyone: course id and exchange root (nbgrader_config.py)
    jupyter-student/       the Assignments tab (fetch, validate, submit, fetch feedback) only:
                           formgrader, course list and create-assignment are switched off
    jupyter-instructor/    everything, the formgrader on the instructor's clone (~/bpkit)

Switching the formgrader off for students tidies their interface; what keeps them out of the
grading is the file system: the instructor's clone is theirs alone (mode 0700) and the exchange's
inbound and feedback folders cannot be listed (deploy/make-exchange.sh).

Settings come from the environment, with defaults for /opt/bpkit and /srv:
BPKIT_ENV, BPKIT_HUB_URL (default http://127.0.0.1:8000: put HTTPS in front of it, or set
BPKIT_SSL_CERT and BPKIT_SSL_KEY), BPKIT_HUB_STATE (the hub's database and secrets,
/srv/jupyterhub), BPKIT_EXCHANGE, BPKIT_STUDENTS and BPKIT_INSTRUCTORS (the group names).
"""
import grp
import os

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = os.environ.get("BPKIT_ENV", "/opt/bpkit/.venv")
STATE = os.environ.get("BPKIT_HUB_STATE", "/srv/jupyterhub")
EXCHANGE = os.environ.get("BPKIT_EXCHANGE", "/srv/nbgrader/exchange")
STUDENTS = os.environ.get("BPKIT_STUDENTS", "bpkit-students")
INSTRUCTORS = os.environ.get("BPKIT_INSTRUCTORS", "bpkit-instructors")

# --- the hub --------------------------------------------------------------------------------------
c.JupyterHub.bind_url = os.environ.get("BPKIT_HUB_URL", "http://127.0.0.1:8000")
if os.environ.get("BPKIT_SSL_CERT"):
    c.JupyterHub.ssl_cert = os.environ["BPKIT_SSL_CERT"]
    c.JupyterHub.ssl_key = os.environ["BPKIT_SSL_KEY"]
os.makedirs(STATE, mode=0o700, exist_ok=True)
c.JupyterHub.db_url = f"sqlite:///{os.path.join(STATE, 'jupyterhub.sqlite')}"
c.JupyterHub.cookie_secret_file = os.path.join(STATE, "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = os.path.join(STATE, "jupyterhub-proxy.pid")

# --- who logs in ----------------------------------------------------------------------------------
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {STUDENTS, INSTRUCTORS}
c.PAMAuthenticator.admin_groups = {INSTRUCTORS}

# --- each user's server ---------------------------------------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(ENV, "bin", "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {
    "PATH": os.pathsep.join([os.path.join(ENV, "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
    "VIRTUAL_ENV": ENV,
    "BPKIT_EXCHANGE": EXCHANGE,
    # Every student's kernel shares the server's cores: BLAS threads would only wait on each
    # other (the course's matrices are small). One thread each, as course.py sets it.
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def role_of(username: str) -> str:
    """'instructor' for members of the instructors' group, else 'student'."""
    try:
        return "instructor" if username in grp.getgrnam(INSTRUCTORS).gr_mem else "student"
    except KeyError:                    # no such group: nobody is an instructor
        return "student"


def config_for_role(spawner) -> None:
    """Put the role's Jupyter config folder, then everyone's, on the server's config path."""
    role = role_of(spawner.user.name)
    spawner.environment = {        # a new dict: the configured one is shared by every spawner
        **spawner.environment,
        "JUPYTER_CONFIG_PATH": os.pathsep.join(
            [os.path.join(HERE, f"jupyter-{role}"), os.path.join(HERE, "jupyter")]),
    }


c.Spawner.pre_spawn_hook = config_for_role
