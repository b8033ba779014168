"""Helpers for tests/test_browser.py: a throwaway JupyterLab, headless Chromium, and the checks
that a lesson renders and its widgets respond.

Three pieces, each usable on its own:

* :func:`jupyter_lab` starts the course's JupyterLab (``python -m jupyter lab`` of the running
  interpreter, with course.py's own lab settings) on 127.0.0.1, a free port and a random token,
  with every Jupyter directory it writes to (config, runtime, user settings, workspaces, HOME)
  in a temporary folder. It always stops the server and the kernels it started, also when the
  body raises.
* :func:`chromium` drives Debian's ``/usr/bin/chromium`` through playwright (never a browser
  downloaded by ``playwright install``), with a fresh profile; always closed.
* :func:`check_lesson` opens a notebook in that lab, clears it, runs all cells, and returns the
  problems a reader would see: error outputs, widgets that did not render, and controls that,
  when moved or clicked, change nothing else on screen. The problems name the notebook, the
  cell and the widget.
"""
from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
# No GPU, no sandbox (containers run as root), and nothing that phones home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
NEWS_PROMPT = "official Jupyter news"          # "Would you like to get notified about official Jupyter news?"

SERVER_TIMEOUT = 60        # s for JupyterLab to answer
RUN_TIMEOUT = 180          # s for "Run All Cells" of one notebook
RENDER_TIMEOUT = 30        # s for the widget views to appear once the kernel is idle
CHANGE_TIMEOUT = 10        # s for a widget to show the effect of one interaction


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return (f"no {CHROMIUM} (install it with `apt-get install chromium`; "
                f".ci/run does this in CI)")
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (it is in the [test] extra)"
    return None


def course_lab_options() -> list[str]:
    """The lab settings options of `python3 course.py open` (course._lab_settings)."""
    spec = importlib.util.spec_from_file_location("bpkit_course_script", ROOT / "course.py")
    course = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course)
    return course._lab_settings()


# --------------------------------------------------------------------------- processes
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Whether a new server could listen on ``port`` (connections of the old one that are
    only in TIME_WAIT do not count: servers bind with SO_REUSEADDR)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])     # the field after "(comm) state"


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (Linux /proc; [] elsewhere). Kernels run in their own
    session, so killing the server's process group alone would leave them behind."""
    if not Path("/proc").is_dir():
        return []
    parents = {int(p.name): _parent_of(int(p.name)) for p in Path("/proc").iterdir()
               if p.name.isdigit()}
    found, frontier = [], [pid]
    while frontier:
        children = [c for c, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not running anything.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def processes_with(text: str) -> list[int]:
    """Live processes whose command line contains ``text`` (used to find a browser by its
    unique profile folder)."""
    found = []
    for p in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if p.name.isdigit() and p.name != str(os.getpid()):
            try:
                if text in (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(p.name))
            except OSError:
                pass
    return [pid for pid in found if alive(pid)]


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------- the server
@dataclass
class Lab:
    root: Path                      # the folder JupyterLab serves
    port: int
    token: str
    process: subprocess.Popen
    log: Path
    pids: list[int] = field(default_factory=list)   # the server and everything it started

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str, method: str = "GET", timeout: float = 5):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _lab_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name, folder in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                         ("JUPYTER_DATA_DIR", "data"), ("JUPYTERLAB_SETTINGS_DIR", "user-settings"),
                         ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython"),
                         ("HOME", "home")]:
        (tmp / folder).mkdir(parents=True, exist_ok=True)
        env[name] = str(tmp / folder)
    # Reuse matplotlib's font cache instead of rebuilding it under the temporary HOME.
    env.setdefault("MPLCONFIGDIR", str(Path.home() / ".config" / "matplotlib"))
    env.pop("MPLBACKEND", None)                   # plots go through the inline backend
    env.pop("JUPYTER_TOKEN", None)
    # The "python3" kernelspec launches plain `python`: make it this environment's.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


@contextlib.contextmanager
def jupyter_lab(root: Path, tmp: Path):
    """Run the course's JupyterLab serving ``root``; its state goes to ``tmp``. Yields a Lab.

    The server runs from ``root`` as its working directory, so nbgrader's Validate finds the
    nbgrader_config.py there. It is stopped on exit however the body ends: the REST shutdown
    first (which stops the kernels), then SIGKILL for the server's process group and for every
    process it started that is still alive.
    """
    tmp.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(24)
    log = tmp / "jupyterlab.log"
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           *course_lab_options(),
           # window.jupyterapp, so the test can run Lab's own commands ("Run All Cells").
           "--LabApp.expose_app_in_browser=True",
           # A safety net should this process be killed before it can stop the server.
           "--ServerApp.shutdown_no_activity_timeout=900",
           "--MappingKernelManager.cull_idle_timeout=900", *as_root]
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=root, env=_lab_env(tmp), stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    lab = Lab(root, port, token, process, log, [process.pid])
    try:
        deadline = time.monotonic() + SERVER_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {process.returncode}:\n"
                                   f"{lab.log_tail()}")
            try:
                lab.api("/api/status", timeout=2)
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer on port {port} within "
                                       f"{SERVER_TIMEOUT} s:\n{lab.log_tail()}") from None
                time.sleep(0.2)
        yield lab
    finally:
        _stop(lab)


def _stop(lab: Lab) -> None:
    process = lab.process
    lab.pids = [process.pid, *descendants(process.pid)]
    if process.poll() is None:
        with contextlib.suppress(OSError, urllib.error.URLError):
            lab.api("/api/shutdown", method="POST")
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    _kill([pid for pid in lab.pids if alive(pid)])
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


# --------------------------------------------------------------------------- the browser
@contextlib.contextmanager
def chromium(playwright, tmp: Path):
    """A BrowserContext on Debian's Chromium with a fresh profile in ``tmp``.

    ``playwright``: from ``sync_playwright().start()`` (one per process: the sync API cannot
    nest). Closed on exit however the body ends; any Chromium process still using the profile
    afterwards is killed.
    """
    profile = tmp / "chromium-profile"
    shutil.rmtree(profile, ignore_errors=True)
    profile.mkdir(parents=True)
    try:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORT)
        context.set_default_timeout(60_000)
        try:
            yield context
        finally:
            context.close()
    finally:
        _kill(processes_with(str(profile)))


# --------------------------------------------------------------------------- in the page
# JavaScript run in JupyterLab's page; `window.jupyterapp` is there thanks to
# --LabApp.expose_app_in_browser. The notebook under test is the shell's current widget.
_NOTEBOOK_READY = """(path) => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.context || panel.context.path !== path || !panel.sessionContext) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return panel.context.isReady && panel.sessionContext.isReady && !!kernel &&
         kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""

_RUN_ALL = """async () => {
  const app = window.jupyterapp;
  app.shell.collapseLeft();                     // more room for the notebook (and the screenshot)
  await app.commands.execute('notebook:clear-all-cell-outputs');   // only fresh outputs count
  await app.commands.execute('notebook:run-all-cells');
}"""

_RUN_FINISHED = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' &&
    panel.content.widgets.every(c => c.model.type !== 'code' || c.model.executionState !== 'running');
}"""

# Per code cell: what the kernel sent (error outputs, widget views) and what the page shows.
_CELLS = """() => {
  const VIEW = 'application/vnd.jupyter.widget-view+json';
  const TOP = ':scope > .jp-OutputArea-child > .jp-OutputArea-output';
  const panel = window.jupyterapp.shell.currentWidget;
  const result = [];
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code') return;
    const outputs = cell.model.outputs, errors = [];
    let views = 0;
    for (let k = 0; k < outputs.length; k++) {
      const out = outputs.get(k).toJSON();
      if (out.output_type === 'error') errors.push(`${out.ename}: ${out.evalue}`);
      if (out.data && out.data[VIEW] && out.data[VIEW].model_id) views++;
    }
    // The cell's own outputs, and every output area inside them (an Output widget's).
    const own = [...cell.outputArea.node.querySelectorAll(TOP)];
    const all = [...cell.outputArea.node.querySelectorAll('.jp-OutputArea-output')];
    result.push({index, id: cell.model.id, executed: cell.model.executionCount !== null,
                 source: cell.model.sharedModel.getSource().split('\\n')[0].slice(0, 80),
                 errors, views,
                 rendered: own.filter(n => n.querySelector(':scope > .jupyter-widgets')).length,
                 loading: all.filter(n => n.textContent.startsWith('Loading widget')).length,
                 broken: all.filter(n => n.textContent.startsWith('Error displaying widget'))
                            .map(n => n.textContent.slice(0, 200))});
  });
  return result;
}"""

# Tag every control inside a rendered widget view with data-bpkit-control = its number, and
# describe it. Sliders are driven by their handle, so the <div> readout inside them is not
# a separate control.
_CONTROLS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const controls = [];
  const label = (el, sel) => { const l = el.closest(sel) && el.closest(sel).querySelector('.widget-label');
                               return l ? l.textContent.trim() : ''; };
  panel.content.widgets.forEach((cell, index) => {
    if (cell.model.type !== 'code') return;
    const top = ':scope > .jp-OutputArea-child > .jp-OutputArea-output';
    cell.outputArea.node.querySelectorAll(top).forEach((view, k) => {
      if (!view.querySelector(':scope > .jupyter-widgets')) return;
      view.setAttribute('data-bpkit-view', `${index}-${k}`);
      const add = (el, kind, name) => {
        el.setAttribute('data-bpkit-control', String(controls.length));
        controls.push({n: controls.length, kind, name, cell: index, id: cell.model.id,
                       view: `${index}-${k}`});
      };
      view.querySelectorAll('.widget-slider').forEach(s => {
        const name = label(s, '.widget-slider');
        s.querySelectorAll('.noUi-handle').forEach(h => add(h, 'slider', name));
      });
      view.querySelectorAll('button').forEach(b =>
        add(b, 'button', (b.textContent.trim() || b.title || b.getAttribute('aria-label') || '')));
      view.querySelectorAll('input[type=checkbox]').forEach(c =>
        add(c, 'checkbox', c.closest('.widget-checkbox') ? c.closest('.widget-checkbox').textContent.trim() : ''));
      view.querySelectorAll('select').forEach(s => add(s, 'dropdown', label(s, '.widget-inline-hbox')));
      view.querySelectorAll('input:not([type=checkbox]), textarea, [contenteditable=true]').forEach(e => {
        if (!e.closest('.widget-slider')) add(e, 'other', label(e, '.widget-inline-hbox') || e.outerHTML.slice(0, 60));
      });
    });
  });
  return controls;
}"""

# What a widget view shows, minus the control being moved: its text and the bytes of its
# images (an ipywidgets.Image is a fresh blob: URL per value, so compare the bytes).
_SNAPSHOT = """async ([view, skip]) => {
  const root = document.querySelector(`[data-bpkit-view="${view}"]`);
  if (!root) return 'gone';
  const moving = document.querySelector(`[data-bpkit-control="${skip}"]`);
  const own = moving && (moving.closest('.widget-slider') || moving);
  const parts = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode())
    if (!own || !own.contains(n)) parts.push(n.textContent);
  for (const img of root.querySelectorAll('img')) {
    try {
      const bytes = await (await fetch(img.src)).arrayBuffer();
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      parts.push('img ' + Array.from(digest, b => b.toString(16).padStart(2, '0')).join(''));
    } catch (e) { parts.push('img ' + img.src); }
  }
  for (const canvas of root.querySelectorAll('canvas')) parts.push('canvas ' + canvas.toDataURL());
  for (const input of root.querySelectorAll('input, select, textarea'))
    if (!own || !own.contains(input)) parts.push('value ' + (input.type === 'checkbox' ? input.checked : input.value));
  return JSON.stringify(parts);
}"""

_KERNEL_IDLE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""

# The notebook's scroll area: where it is on the page, and how tall its content is.
_SCROLL_AREA = """() => {
  const nb = window.jupyterapp.shell.currentWidget.content, outer = nb.outerNode;
  const box = outer.getBoundingClientRect();
  const last = nb.widgets[nb.widgets.length - 1].node;
  return {x: box.left, y: box.top, width: box.width, height: outer.clientHeight,
          scrollTop: outer.scrollTop,
          content: last.getBoundingClientRect().bottom - box.top + outer.scrollTop + 20};
}"""

# Scroll the notebook to `top`, then wait until it has painted (two animation frames, and
# the images in view decoded).
_SCROLL_TO = """async (top) => {
  const outer = window.jupyterapp.shell.currentWidget.content.outerNode;
  outer.scrollTop = top;
  for (let i = 0; i < 2; i++) await new Promise(r => requestAnimationFrame(r));
  await Promise.all([...outer.querySelectorAll('img')].map(img => img.decode().catch(() => null)));
  await new Promise(r => requestAnimationFrame(r));
}"""

# Close what the bottom panel holds (the Log Console), so the notebook gets the whole height.
_CLOSE_BOTTOM = """() => { for (const w of [...window.jupyterapp.shell.widgets('down')]) w.close(); }"""

def open_notebook(page, lab: Lab, path: str) -> None:
    """Open ``path`` (relative to the served root) in a fresh workspace; wait for its kernel."""
    workspace = "w" + secrets.token_hex(4)
    page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{path}?reset&token={lab.token}")
    page.wait_for_function(_NOTEBOOK_READY, arg=path, timeout=SERVER_TIMEOUT * 1000,
                           polling=250)


def _where(path: str, cell: dict) -> str:
    return f"{path} cell {cell['index']} (id {cell['id']!r}: {cell['source']!r})"


def run_all(page, path: str) -> list[str]:
    """Clear the outputs, Run All Cells, wait for the kernel; the problems seen in the outputs."""
    page.evaluate(_RUN_ALL)
    page.wait_for_function(_RUN_FINISHED, timeout=RUN_TIMEOUT * 1000, polling=250)
    cells = page.evaluate(_CELLS)
    # The views arrive after the kernel is idle: give them time to render.
    deadline = time.monotonic() + RENDER_TIMEOUT
    while any(c["loading"] or c["rendered"] < c["views"] for c in cells) \
            and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        cells = page.evaluate(_CELLS)
    problems = []
    for cell in cells:
        where = _where(path, cell)
        problems += [f"{where}: error output {e}" for e in cell["errors"]]
        if not cell["executed"] and not cell["errors"]:
            problems.append(f"{where}: not executed by Run All Cells")
        if cell["loading"]:
            problems.append(f"{where}: 'Loading widget...' still shown after {RENDER_TIMEOUT} s")
        problems += [f"{where}: {text!r}" for text in cell["broken"]]
        if cell["rendered"] != cell["views"]:
            problems.append(f"{where}: {cell['views']} widget view(s) sent by the kernel, "
                            f"{cell['rendered']} rendered")
    return problems


def _settled(page, view: str, skip: int) -> str:
    """The view's snapshot once the kernel is idle and two snapshots in a row agree."""
    previous = None
    deadline = time.monotonic() + CHANGE_TIMEOUT
    while time.monotonic() < deadline:
        page.wait_for_function(_KERNEL_IDLE, timeout=CHANGE_TIMEOUT * 1000, polling=100)
        snapshot = page.evaluate(_SNAPSHOT, [view, skip])
        if snapshot == previous:
            return snapshot
        previous = snapshot
        page.wait_for_timeout(200)
    return previous


# The error-level entries of the notebook's Log Console, each as its last line ("ZeroDivisionError:
# division by zero"). A widget callback that raises lands there: its traceback belongs to no cell.
_LOG_ERRORS = """(path) => {
  const area = document.getElementById('source:' + path);
  if (!area) return null;
  return [...area.querySelectorAll('.jp-OutputArea-child')]
    .filter(entry => { const p = entry.querySelector('[data-log-level]');
                       return p && ['error', 'critical'].includes(p.dataset.logLevel); })
    .map(entry => { const lines = entry.textContent.trim().split('\\n');
                    return lines[lines.length - 1].trim(); });
}"""


def _log_errors(page, path: str) -> list[str]:
    page.wait_for_function(_KERNEL_IDLE, timeout=CHANGE_TIMEOUT * 1000, polling=100)
    return page.evaluate(_LOG_ERRORS, path) or []


def _slider_value(control) -> str:
    return control.evaluate("h => h.closest('.widget-slider').querySelector('.widget-readout')"
                            ".textContent + ' ' + h.getAttribute('aria-valuenow')")


def _operate(page, control, kind: str) -> str | None:
    """Move or click one control the way a person would. A problem with the control itself
    (not with what it drives), or None."""
    control.scroll_into_view_if_needed()
    if kind == "slider":
        before = _slider_value(control)
        at_max = control.evaluate("h => parseFloat(h.getAttribute('aria-valuenow'))"
                                  "     >= parseFloat(h.getAttribute('aria-valuemax'))")
        control.focus()
        control.press("ArrowLeft" if at_max else "ArrowRight")
        deadline = time.monotonic() + CHANGE_TIMEOUT
        while _slider_value(control) == before:
            if time.monotonic() > deadline:
                return f"the arrow key did not move it (value {before!r})"
            page.wait_for_timeout(50)
    elif kind in ("button", "checkbox"):
        if control.is_disabled():
            return "it is disabled, so a reader cannot use it"
        control.click()
    elif kind == "dropdown":
        options = control.evaluate("s => [...s.options].map(o => o.value)")
        current = control.input_value()
        others = [o for o in options if o != current]
        if not others:
            return "it has no other option to choose"
        control.select_option(others[0])
    else:
        return "the browser test does not know how to operate this kind of control " \
               "(teach tests/browser_helpers.py::_operate)"
    return None


def exercise_widgets(page, path: str) -> tuple[list[str], list[str]]:
    """Operate every control of every widget view, in page order. Returns (problems, done):
    a problem for each control whose use makes the kernel log a traceback (a callback that
    raises), or after which nothing else in its widget view (text, image bytes, values)
    changes within CHANGE_TIMEOUT; and a description of each control operated."""
    problems, done = [], []
    controls = page.evaluate(_CONTROLS)
    if controls:
        # Open the notebook's Log Console, where a raising callback's traceback is shown.
        page.evaluate("() => window.jupyterapp.commands.execute('logconsole:open')")
    for c in controls:
        name = f"{c['kind']} {c['name']!r}" if c["name"] else c["kind"]
        where = f"{path} cell {c['cell']} (id {c['id']!r}), widget {name}"
        control = page.locator(f'[data-bpkit-control="{c["n"]}"]')
        before = _settled(page, c["view"], c["n"])
        logged = _log_errors(page, path)
        trouble = _operate(page, control, c["kind"])
        if trouble:
            problems.append(f"{where}: {trouble}")
            continue
        verb = "moving" if c["kind"] == "slider" else "using"
        # Wait for the view to change, or for a traceback: no need to wait out the timeout.
        deadline = time.monotonic() + CHANGE_TIMEOUT
        while not (changed := page.evaluate(_SNAPSHOT, [c["view"], c["n"]]) != before):
            traceback = len(page.evaluate(_LOG_ERRORS, path) or []) > len(logged)
            if traceback or time.monotonic() > deadline:
                break
            page.wait_for_timeout(100)
        raised = _log_errors(page, path)[len(logged):]
        if raised:
            problems.append(f"{where}: {verb} it raised in the kernel (Log Console): "
                            + "; ".join(raised))
        elif not changed:
            problems.append(f"{where}: nothing else in the widget changed within "
                            f"{CHANGE_TIMEOUT} s of {verb} it")
        done.append(name)
    return problems, done


def screenshot_whole_notebook(page, path: Path, tile_height: int = 2400) -> None:
    """One PNG of the whole notebook, top to bottom. The notebook scrolls inside the page, so
    a "full page" screenshot would show one screen of it: instead it is scrolled a screen at a
    time and the tiles are pasted together (Pillow, a matplotlib dependency)."""
    import io

    from PIL import Image

    page.evaluate(_CLOSE_BOTTOM)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": tile_height})
    tiles, top = [], 0
    try:
        while True:
            page.evaluate(_SCROLL_TO, top)
            area = page.evaluate(_SCROLL_AREA)
            clip = {k: area[k] for k in ("x", "y", "width", "height")}
            tiles.append((area["scrollTop"], page.screenshot(clip=clip)))
            if area["scrollTop"] + area["height"] >= area["content"] or len(tiles) > 100:
                break
            top = area["scrollTop"] + area["height"]
    finally:
        page.set_viewport_size(VIEWPORT)
    images = [(int(offset), Image.open(io.BytesIO(png))) for offset, png in tiles]
    last_offset, last = images[-1]
    height = min(int(area["content"]), last_offset + last.height)
    sheet = Image.new("RGB", (last.width, height), "white")
    for offset, image in images:
        sheet.paste(image, (0, offset))
    sheet.save(path, optimize=False)


def check_lesson(context, lab: Lab, path: str, screenshot: Path | None = None,
                 report=lambda message: None) -> list[str]:
    """Everything a reader of ``path`` would notice, as a list of problems ([] when none).
    ``report`` receives a line of progress (what was done, how long it took) per step."""
    page = context.new_page()
    try:
        start = time.monotonic()
        open_notebook(page, lab, path)
        report(f"opened, kernel idle: {time.monotonic() - start:.1f} s")
        start = time.monotonic()
        problems = run_all(page, path)
        report(f"Run All Cells, views rendered: {time.monotonic() - start:.1f} s")
        start = time.monotonic()
        widget_problems, done = exercise_widgets(page, path)
        problems += widget_problems
        report(f"operated {len(done)} control(s) {done}: {time.monotonic() - start:.1f} s")
        if NEWS_PROMPT in page.evaluate("() => document.body.innerText"):
            problems.append(f"{path}: JupyterLab shows the 'get notified about official Jupyter "
                            f"news?' prompt; the course's settings overrides were not applied")
        if screenshot is not None:
            start = time.monotonic()
            screenshot_whole_notebook(page, screenshot)
            report(f"screenshot {screenshot}: {time.monotonic() - start:.1f} s")
        return problems
    finally:
        with contextlib.suppress(Exception):
            page.evaluate("() => window.jupyterapp.serviceManager.sessions.shutdownAll()")
        page.close()
