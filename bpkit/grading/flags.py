"""Static scan of a handed-in notebook for answers that try to cheat or do damage.

Graded student code is untrusted. Besides the sandbox and the trusted verdicts, every code cell a
student could have written is read here — never run — and each suspicious line becomes a
:class:`Flag`: the cell, the line, the code, what it does (one of :data:`KINDS`) and one sentence
for the instructor. A flagged submission is listed in the class report and held for review.

    from bpkit.grading import flags
    for f in flags.scan_notebook(nbformat.read(path, as_version=4)):
        print(f.cell, f.line, f.kind, f.why)

What is flagged (each rule on the line where it happens):

* patches a module — assigning, deleting, ``setattr``/``delattr`` on anything reached from a module
  (``np.allclose = …``, ``setattr(np, "isclose", f)``, ``stage1.check_sigmoid = print``,
  ``sys.modules[…] = …``, ``__builtins__[…] = …``, ``sys.excepthook = …``); rebinding at the top
  level a name the test cells use (``np``, ``bp``, ``stage1`` …, a builtin replaced by a function);
  the IPython shell (``get_ipython().events.register``, ``.set_custom_exc``, ``.showtraceback = …``);
  ``sys.settrace``/``setprofile`` (the own-work monitor), ``unittest.mock``; shell-changing magics.
* reaches into the grader — ``bpkit.grading`` beyond ``from bpkit.grading import stageN`` and its
  ``check_*`` functions (``engine``, ``check``, ``_check``, ``ownwork``, ``record``, ``Outcome``,
  ``REFERENCES`` …), ``bpkit.coursework``, nbgrader, nbclient, nbformat, ipykernel.
* opens a file outside its folder — a file operation (``open``, ``Path(…).read_text``, ``os.listdir``,
  ``glob``, ``shutil``, ``np.load``/``np.save`` …) on an absolute path, a ``..`` component, a path
  computed at run time, or ``os.chdir``/``%cd``; writing a ``.py`` file counts as hiding code.
* reads solutions — "solutions", "gradebook" or "autograded" in a string or a name; reading the
  grader's stack frames (``sys._getframe``, ``inspect.stack``, ``gc.get_objects``).
* uses sqlite3 / uses ctypes (and cffi) / runs a subprocess (``subprocess``, ``os.system``,
  ``os.popen``, ``os.exec*``, ``os.spawn*``, ``os.fork``, ``pty``, ``multiprocessing``, ``!cmd``,
  ``%%bash``, ``%sx`` …) / uses the network (``socket``, ``urllib``, ``http``, ``requests``,
  ``httpx``, ``ftplib``, ``smtplib`` …).
* hides its code — ``exec``, ``eval``, ``compile``, ``__import__``, ``importlib``, ``getattr``/
  ``setattr`` with an attribute name that cannot be worked out statically, decoding (``base64``,
  ``codecs``, ``zlib``, ``marshal``, ``pickle.loads``), ``globals()[…] = …``, sandbox-escape
  attributes (``__globals__``, ``__subclasses__`` …), a module handed around as a value, magics that
  run other code (``%run``, ``%load`` …).
* stops the kernel — ``os._exit``, ``os.kill``, ``signal``, ``sys.exit``, ``exit()``.

Obfuscation is resolved statically: ``import numpy as xx``, ``from numpy import testing as t``,
``n = np``, ``__import__("subprocess")``, ``getattr(os, "sys" + "tem")``, ``sys.modules["os"]``,
string concatenation, f-strings and loops over literal tuples are all followed.

IPython cells are not Python: a cell that does not parse is first rewritten line for line
(prompts, leading indent, ``%%cell`` and ``%line`` magics, ``!shell``, ``x = !cmd``, ``obj?``,
autocall escapes), every magic becoming a flag or, for ``%time``/``%%capture`` …, the code it
wraps; failing that IPython's own ``TransformerManager`` is tried when IPython is importable;
failing that a plain text search stands in. A cell with a syntax error never runs, so that last
fallback only has to be a safety net.

Only the standard library (ast, re, dataclasses) is used; nothing is ever executed.
"""
from __future__ import annotations

import ast
import builtins as _builtins_module
import itertools
import re
import warnings
from dataclasses import dataclass

__all__ = ["Flag", "KINDS", "scan_source", "scan_notebook"]

KINDS = ("patches a module", "reaches into the grader", "opens a file outside its folder",
         "reads solutions", "uses sqlite3", "uses ctypes", "runs a subprocess", "uses the network",
         "hides its code", "stops the kernel")

PATCH, GRADER, OUTSIDE, SOLUTIONS, SQLITE, CTYPES, SUBPROCESS, NETWORK, HIDES, STOPS = KINDS


@dataclass(frozen=True)
class Flag:
    cell: str        # the cell's nbgrader grade_id if it has one, else "cell <index+1>"
    line: int        # 1-based line within the cell
    code: str        # the offending source line, stripped, at most 160 characters
    kind: str        # one of KINDS
    why: str         # one sentence for the instructor


# ----------------------------------------------------------------------------------- the tables
def _rx(pattern: str) -> re.Pattern:
    """A dotted name matching ``pattern`` or anything inside it (``os.system``, ``os.system.x``)."""
    return re.compile(rf"(?:{pattern})(?:[.(].*)?\Z", re.S)


# (resolved dotted name, kind, why). First match wins. Names come from imports, aliases and the
# names every notebook has (np, bp, stage1 …, the builtins), never from a bare identifier.
_RULES = [(_rx(p), kind, why) for p, kind, why in [
    (r"sqlite3|_sqlite3|sqlalchemy|dbm|shelve", SQLITE, "uses {name} (can open the gradebook, a SQLite database)"),
    (r"ctypes|_ctypes|cffi|_cffi_backend|numpy\.ctypeslib", CTYPES,
     "uses {name} (can call C code and rewrite the grader's memory)"),
    (r"subprocess|_posixsubprocess|pty|multiprocessing|_multiprocessing|pexpect|sh|plumbum"
     r"|os\.(system|popen|exec\w*|spawn\w*|posix_spawnp?|fork|forkpty|startfile)"
     r"|concurrent\.futures\.(process|ProcessPoolExecutor)|asyncio\.(create_subprocess_\w+|subprocess)"
     r"|platform\.popen|numpy\.(f2py|distutils)|IPython\.utils\.process"
     r"|get_ipython\(\)\.(system|system_raw|system_piped|getoutput)", SUBPROCESS,
     "uses {name} (runs another program, outside the grader's checks)"),
    (r"socket|_socket|ssl|urllib|urllib3|http|requests|httpx|aiohttp|ftplib|smtplib|poplib|imaplib"
     r"|nntplib|telnetlib|xmlrpc|socketserver|webbrowser|pip|ensurepip"
     r"|asyncio\.(open_connection|start_server|open_unix_connection)", NETWORK,
     "uses {name} (can reach the network)"),
    (r"os\.(_exit|kill|killpg|abort)|signal|_signal|sys\.exit|builtins\.(exit|quit)"
     r"|_thread\.interrupt_main|faulthandler|resource\.setrlimit|sys\.setrecursionlimit"
     r"|get_ipython\(\)\.(ask_exit|exiter|kernel)", STOPS,
     "uses {name} (can stop or kill the kernel that runs the tests)"),
    (r"builtins\.(exec|eval|compile|__import__)|importlib|imp|runpy|code|codeop"
     r"|types\.(FunctionType|CodeType|LambdaType|ModuleType)"
     r"|get_ipython\(\)\.(run_cell\w*|run_code|run_ast_nodes|ex|ev|safe_execfile\w*|safe_run_module"
     r"|runcode|run_source|push|run_line_magic|run_cell_magic|magic|find_\w*magic)", HIDES,
     "uses {name} (runs code that the scanner cannot read)"),
    (r"marshal|pickle\.(loads?|Unpickler)|_pickle|dill|cloudpickle|binascii"
     r"|base64\.\w*decode\w*|codecs\.(decode|encode|getdecoder|getencoder|lookup|iterdecode)"
     r"|zlib\.decompress\w*|gzip\.decompress|bz2\.decompress|lzma\.decompress", HIDES,
     "uses {name} (decodes hidden data or code)"),
    (r"sys\._getframe|sys\._current_frames|inspect\.(currentframe|stack|trace|getouterframes"
     r"|getinnerframes|getframeinfo)|gc\.(get_objects|get_referrers|get_referents)"
     r"|traceback\.walk_stack", SOLUTIONS,
     "uses {name} (can read the grader's expected answers from its stack frames)"),
    (r"unittest\.mock|mock|sys\.(settrace|setprofile|addaudithook)|threading\.(settrace|setprofile)",
     PATCH, "uses {name} (can replace functions or switch off the grader's own-work monitor)"),
    (r"bpkit\.coursework|nbgrader|nbclient|nbconvert|nbformat|jupyter_client|ipykernel|zmq", GRADER,
     "refers to {name}, part of the machinery that grades the notebook"),
    (r"get_ipython\(\)\.\w+", PATCH, "reaches into the IPython shell ({name}), which runs the tests"),
]]

_GRADING_OK = re.compile(r"bpkit\.grading\.stage[1-4](\.check_\w+)?\Z")
# Assignments into these are configuration, not patching.
_PATCH_OK = re.compile(r"(matplotlib(\.pyplot)?\.rcParams|pandas\.options)([.\[].*)?\Z")

# Names every notebook has without importing them (the setup cell, the kernel).
_DEFAULT_ROOTS = {"np": "numpy", "bp": "bpkit", "stage1": "bpkit.grading.stage1",
                  "stage2": "bpkit.grading.stage2", "stage3": "bpkit.grading.stage3",
                  "stage4": "bpkit.grading.stage4", "__builtins__": "builtins",
                  "get_ipython": "IPython.get_ipython"}
# Module names taken as themselves when used without an import (imported in another cell).
_DEFAULT_MODULES = {"numpy", "bpkit", "sys", "os", "builtins", "math", "warnings", "IPython",
                    "subprocess", "socket", "shutil", "ctypes", "sqlite3", "importlib", "pathlib",
                    "glob", "base64", "marshal", "pickle", "zlib", "codecs", "urllib", "requests",
                    "httpx", "multiprocessing", "nbgrader"}
# Names the test cells use: rebinding them at the top level changes what the tests run.
_PROTECTED = {"np": "numpy", "numpy": "numpy", "bp": "bpkit", "bpkit": "bpkit",
              "stage1": "bpkit.grading.stage1", "stage2": "bpkit.grading.stage2",
              "stage3": "bpkit.grading.stage3", "stage4": "bpkit.grading.stage4",
              "sys": "sys", "math": "math", "warnings": "warnings", "builtins": "builtins",
              "__builtins__": "builtins", "IPython": "IPython", "get_ipython": "IPython.get_ipython"}
_BUILTIN_NAMES = {n for n in dir(_builtins_module) if not n.startswith("_")} | {
    "__import__", "__build_class__"}
# Objects through which any module can be reached: using one as a value escapes the scan.
_KNOWN_SUBMODULES = {"os.path", "numpy.random", "numpy.linalg", "numpy.testing", "numpy.ma",
                     "numpy.fft", "numpy.lib", "numpy.core", "numpy.polynomial", "bpkit.grading",
                     "sys.modules", "globals()", "get_ipython()", "builtins.__dict__"}
# Attributes used to climb out of any object to the interpreter's internals.
_ESCAPE_ATTRS = {"__subclasses__", "__globals__", "__code__", "__closure__", "__bases__", "__mro__",
                 "__base__", "__builtins__", "__getattribute__", "__reduce__", "__reduce_ex__",
                 "__loader__", "__spec__", "f_globals", "f_locals", "f_builtins", "f_back", "f_code",
                 "tb_frame", "gi_frame", "cr_frame", "ag_frame", "co_code", "gi_code"}
_MUTATORS = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__",
             "append", "extend", "insert", "remove", "register", "unregister"}
_INTERNALS = {"sys.modules", "sys.path", "sys.meta_path", "sys.path_hooks", "sys.path_importer_cache"}
# Arguments these may take a module without handing it on.
_MODULE_ARG_OK = {"builtins.getattr", "builtins.hasattr", "builtins.setattr", "builtins.delattr",
                  "builtins.vars", "builtins.dir", "builtins.type", "builtins.isinstance",
                  "builtins.issubclass", "builtins.id", "builtins.print", "builtins.repr",
                  "builtins.str", "builtins.help", "builtins.callable"}

# File operations: resolved name -> how many leading arguments are paths (0: always flagged).
_FILE_FUNCS = [(re.compile(p + r"\Z"), n) for p, n in [
    (r"builtins\.open|io\.(open|FileIO|open_code)|_io\.\w+|codecs\.open|tokenize\.open", 1),
    (r"os\.(open|listdir|scandir|walk|fwalk|remove|unlink|rmdir|removedirs|mkdir|makedirs|chmod"
     r"|chown|lchown|stat|lstat|truncate|utime|access|readlink|mkfifo|chroot|startfile)", 1),
    (r"os\.(rename|renames|replace|symlink|link)", 2),
    (r"os\.path\.(exists|lexists|isfile|isdir|islink|getsize|getmtime|getatime|getctime)", 1),
    (r"os\.(chdir|fchdir)", 0),
    (r"glob\.i?glob|fileinput\.input|linecache\.\w+|tarfile\.open|zipfile\.ZipFile", 1),
    (r"shutil\.\w+", 2),
    (r"numpy\.(load|save|savez|savez_compressed|loadtxt|savetxt|genfromtxt|fromfile|memmap|fromregex)"
     r"|numpy\.lib\.format\.open_memmap", 1),
    (r"matplotlib\.pyplot\.(savefig|imread|imsave)|matplotlib\.image\.\w+|pandas\.read_\w+"
     r"|scipy\.io\.\w+", 1),
]]
# Path methods: distinctive ones count on any receiver, the others on a path-like receiver only.
_PATH_METHODS = {"read_text", "read_bytes", "write_text", "write_bytes", "iterdir", "rglob",
                 "unlink", "rmdir", "symlink_to", "hardlink_to", "touch", "chmod", "samefile"}
_PATH_METHODS_IF_PATH = {"open", "glob", "mkdir", "rename", "replace", "exists", "stat", "is_file",
                         "is_dir", "lstat", "owner", "group", "readlink", "walk"}

_SOLUTION_WORDS = re.compile(r"solutions|gradebook|autograded", re.I)
_GRADER_WORDS = re.compile(r"nbgrader", re.I)

# IPython magics, by what they do.
_SHELL_MAGICS = {"system", "sx", "sc", "alias", "rehashx", "unalias", "cat", "cp", "ls", "mv", "rm",
                 "rmdir", "mkdir", "less", "more", "man", "clear", "lf", "lk", "ll", "lx", "ldir",
                 "pip", "conda", "mamba", "micromamba", "uv", "bash", "sh", "script", "perl", "ruby",
                 "python", "python2", "python3", "pypy", "!", "bg"}
_CODE_MAGICS = {"run", "load", "loadpy", "load_ext", "reload_ext", "unload_ext", "macro", "rerun",
                "recall", "edit", "ed", "javascript", "js", "autoreload", "aimport", "pastebin"}
_DIR_MAGICS = {"cd", "pushd", "popd", "bookmark", "dhist", "store", "logstart", "logon", "logstop",
               "logoff", "logstate"}
_SHELL_CHANGE_MAGICS = {"config", "xmode", "reset", "reset_selective", "xdel", "autoawait",
                        "alias_magic", "pdb", "debug", "autocall", "automagic", "doctest_mode",
                        "killbgscripts", "gui", "tb"}
_BENIGN_MAGICS = {"matplotlib", "who", "whos", "who_ls", "pwd", "lsmagic", "magic", "quickref",
                  "pinfo", "pinfo2", "psearch", "pdoc", "pdef", "psource", "pfile", "page", "history",
                  "hist", "precision", "pprint", "colors", "env", "set_env", "html", "HTML", "svg",
                  "markdown", "latex", "notebook", "time", "timeit", "prun", "capture"}
_WRAPPER_MAGICS = {"time", "timeit", "prun", "capture"}   # their argument / body is Python


def _magic_flag(name: str, arg: str, cell: bool = False) -> tuple[str, str] | None:
    """(kind, why) for the magic %name (%%name when ``cell``) with argument ``arg``; None when
    harmless."""
    sign = "%%" if cell else "%"
    shown = (sign + name + (" " + arg.strip() if arg.strip() else ""))[:60]
    if name in _SHELL_MAGICS:
        return SUBPROCESS, f"runs a shell command through the IPython magic {shown}"
    if name in ("writefile", "file", "save"):
        target = next((w for w in arg.split() if not w.startswith("-")), "")
        problem = _path_problem(target)
        if problem:
            return problem[0], f"writes with {sign}{name} to {problem[1]}"
        if target.endswith((".py", ".pth", ".pyc")):
            return HIDES, f"writes the Python file {target!r} with {sign}{name}, code it could import unscanned"
        return None
    if name in _CODE_MAGICS:
        return HIDES, f"runs other code through the IPython magic {shown}, out of the scanner's sight"
    if name in _DIR_MAGICS:
        return OUTSIDE, f"uses {shown}, which works outside the assignment folder"
    if name in _SHELL_CHANGE_MAGICS:
        return PATCH, f"changes the IPython shell that runs the tests ({shown})"
    if name in _BENIGN_MAGICS:
        return None
    return HIDES, f"runs the IPython magic {shown}, which the scanner does not know"


# ------------------------------------------------------------------------------ reading a cell
_NEWLINE = re.compile(r"\r\n|\r|\n")           # what Python's tokenizer counts as a line end


def _compile(source: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile(source, "<cell>", "exec",
                       flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


_CLASSIC = re.compile(r"^(>>>|\.\.\.)( |$)")
_CLASSIC_FIRST = re.compile(r"^>>>( |$)")
_IPROMPT = re.compile(r"^(((\[nav\]|\[ins\])? )?In \[\d+\]: |\s*\.{3,}: ?)")
_ASSIGN_ESCAPE = re.compile(r"^([\w.\[\](), *]+?)\s*=\s*([!%].*)$")
_HELP = re.compile(r"^(\?+\s*[\w.]*|[\w.\[\]()]+\s*\?{1,2}|%?pinfo2?\s+.*)\s*$")
_AUTOCALL = re.compile(r"^([/,;])([A-Za-z_][\w.]*)\s*(.*)$")


def _ipython_to_python(lines: list[str]) -> tuple[list[str], list[tuple[int, str, str]]]:
    """Rewrite an IPython cell line for line into Python; the magics become flags (line, kind, why).
    Line numbers are kept: a magic line becomes ``pass`` (or the statement it wraps)."""
    out, found = list(lines), []
    first = next((i for i, line in enumerate(out) if line.strip()), None)
    if first is None:
        return out, found
    # IPython's cleanup, in its order: leading indent, classic prompts, IPython prompts.
    indent = re.match(r"^[ \t]+", out[first])
    if indent:
        space = indent.group(0)
        out = [line[len(space):] if line.startswith(space) else line for line in out]
    nxt = out[first + 1] if first + 1 < len(out) else ""
    if _CLASSIC_FIRST.match(out[first]) or _CLASSIC.match(nxt):
        out = [_CLASSIC.sub("", line, count=1) for line in out]
    if _IPROMPT.match(out[first]) or _IPROMPT.match(nxt):
        out = [_IPROMPT.sub("", line, count=1) for line in out]
    cell = re.match(r"^%%(\S+)[ \t]*(.*)$", out[first])
    if cell:
        name, arg = cell.group(1), cell.group(2)
        flag = _magic_flag(name, arg, cell=True)
        if flag:
            found.append((first + 1, *flag))
        if name not in _WRAPPER_MAGICS:                 # the body is not Python: nothing to read
            return [""] * len(out), found
        out[first] = ""
    for i, line in enumerate(out):
        body = line.lstrip()
        pad = line[:len(line) - len(body)]
        if not body:
            continue
        target = None
        assign = _ASSIGN_ESCAPE.match(body)
        if assign and not body.startswith(("!", "%")):
            target, body = assign.group(1).strip(), assign.group(2)
        prefix = f"{target} = " if target else ""
        if body.startswith("!"):
            command = body.lstrip("!").strip()
            found.append((i + 1, SUBPROCESS, f"runs the shell command !{command[:50]}"))
            out[i] = pad + (f"{target} = None" if target else "pass")
        elif body.startswith("%"):
            magic = re.match(r"^%+([^\s(]*)\s*(.*)$", body)
            name, arg = (magic.group(1), magic.group(2)) if magic else ("", "")
            if name in ("time", "timeit", "prun"):
                code = re.sub(r"^(\s*-[A-Za-z]+(\s+[\w.]+)?)*\s*", "", arg) if name != "time" else arg
                out[i] = pad + prefix + (code or "None")
                continue
            flag = _magic_flag(name, arg)
            if flag:
                found.append((i + 1, *flag))
            out[i] = pad + (f"{target} = None" if target else "pass")
        elif _HELP.match(body):
            out[i] = pad + "pass"
        elif body[0] in "/,;":
            call = _AUTOCALL.match(body)
            if call:
                escape, func, rest = call.groups()
                if escape == "/":
                    args = ", ".join(rest.split())
                elif escape == ",":
                    args = ", ".join(repr(w) for w in rest.split())
                else:
                    args = repr(rest)
                out[i] = pad + f"{func}({args})"
    return out, found


def _ipython_transform(source: str) -> str | None:
    """IPython's own rewrite of a cell, when IPython is importable (it is where notebooks run)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except Exception:                                   # noqa: BLE001 - any failure: no IPython
        return None
    try:
        return TransformerManager().transform_cell(source)
    except Exception:                                   # noqa: BLE001
        return None


_TEXT_RULES = [(re.compile(p), kind, why) for p, kind, why in [
    (r"\bsqlite3\b", SQLITE, "mentions sqlite3"),
    (r"\b(ctypes|cffi)\b", CTYPES, "mentions ctypes/cffi"),
    (r"\b(subprocess|pty|multiprocessing)\b|\bos\s*\.\s*(system|popen|exec\w*|spawn\w*|fork)\b",
     SUBPROCESS, "mentions a way to run another program"),
    (r"\b(socket|urllib|requests|httpx|ftplib|smtplib)\b|\bhttp\.client\b", NETWORK, "mentions a network module"),
    (r"\b(exec|eval|compile|__import__|importlib|marshal|base64|zlib|codecs)\b",
     HIDES, "mentions a way to run hidden code"),
    (r"solutions|gradebook|autograded", SOLUTIONS, "mentions the solutions or the gradebook"),
    (r"\bbpkit\.grading\b|\b(ownwork|_check|nbgrader)\b", GRADER,
     "mentions the grading machinery"),
    (r"\bos\s*\.\s*(_exit|kill)\b|\bsignal\b|\bsys\s*\.\s*exit\b", STOPS, "mentions a way to stop the kernel"),
    (r"^\s*(np|numpy|bp|bpkit|stage[1-4]|sys|builtins|math|warnings)\s*\.[\w.]+\s*=[^=]", PATCH,
     "assigns to a module attribute"),
]]


# ------------------------------------------------------------------------------- static values
_MODULE_SCOPE = None
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)
_MAX_DEPTH = 40
_MAX_VALUES = 64


class _Unknown(Exception):
    """A value that cannot be worked out statically."""


class _Env:
    """Everything the scan knows about names, across the cells of one notebook (the kernel's
    namespace is shared): which names are modules (imports and aliases), which hold constant
    strings, in which scope each is bound."""

    def __init__(self, trees: list[ast.AST]):
        self.parent: dict[ast.AST, ast.AST] = {}
        self.scope: dict[ast.AST, ast.AST | None] = {}
        self.binds: dict[tuple, list] = {}              # (scope, name) -> [(how, payload)]
        self.globals_decl: set[tuple] = set()            # (function scope, name) declared global
        self.star: list[str] = []                        # modules imported with *
        self.imported: set[str] = set()                  # every module named by an import
        self._qual_memo: dict[int, str | None] = {}
        self._fold_memo: dict[int, frozenset | None] = {}
        for tree in trees:
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    self.parent[child] = node
        for tree in trees:
            for node in ast.walk(tree):
                self.scope[node] = self._scope_of(node)
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, (ast.Global, ast.Nonlocal)):
                    for name in node.names:
                        self.globals_decl.add((self.scope[node], name))
        for tree in trees:
            for node in ast.walk(tree):
                self._collect(node)

    # --- scopes
    def _scope_of(self, node):
        """The function, lambda or comprehension a node belongs to (None: the notebook's top level).
        A function's decorators, defaults and return annotation belong to the enclosing scope."""
        grandchild, child, p = None, node, self.parent.get(node)
        while p is not None:
            if isinstance(p, _SCOPES) and not self._outside_part(grandchild, child, p):
                return p
            grandchild, child, p = child, p, self.parent.get(p)
        return _MODULE_SCOPE

    @staticmethod
    def _outside_part(grandchild, child, fn) -> bool:
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
        if child is fn.args:
            return any(grandchild is d for d in fn.args.defaults + fn.args.kw_defaults if d is not None)
        if isinstance(fn, ast.Lambda):
            return False
        return any(child is d for d in fn.decorator_list) or child is fn.returns

    def enclosing_scopes(self, node):
        s = self.scope.get(node)
        while s is not _MODULE_SCOPE:
            yield s
            s = self.scope.get(s)
        yield _MODULE_SCOPE

    # --- bindings
    def _bind(self, scope, name: str, how: str, payload=None):
        if scope is not _MODULE_SCOPE and (scope, name) in self.globals_decl:
            scope = _MODULE_SCOPE
        self.binds.setdefault((scope, name), []).append((how, payload))

    def _bind_target(self, scope, target, how: str, payload, path=()):
        if isinstance(target, ast.Name):
            self._bind(scope, target.id, how, (payload, path) if how == "iter" else payload)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for k, elt in enumerate(target.elts):
                if isinstance(elt, ast.Starred):
                    self._bind_target(scope, elt.value, "unknown", None)
                elif how == "value" and isinstance(payload, (ast.Tuple, ast.List)) \
                        and len(payload.elts) == len(target.elts) \
                        and not any(isinstance(e, ast.Starred) for e in payload.elts):
                    self._bind_target(scope, elt, "value", payload.elts[k])
                elif how == "iter":
                    self._bind_target(scope, elt, "iter", payload, path + (k,))
                else:
                    self._bind_target(scope, elt, "unknown", None)
        elif isinstance(target, ast.Starred):
            self._bind_target(scope, target.value, "unknown", None)

    def _collect(self, node):
        scope = self.scope[node]
        if isinstance(node, ast.Import):
            for a in node.names:
                self.imported.add(a.name)
                if a.asname:
                    self._bind(scope, a.asname, "module", a.name)
                else:
                    top = a.name.split(".")[0]
                    self._bind(scope, top, "module", top)
        elif isinstance(node, ast.ImportFrom):
            module = "." * (node.level or 0) + (node.module or "")
            self.imported.add(module)
            for a in node.names:
                if a.name == "*":
                    self.star.append(module)
                else:
                    self._bind(scope, a.asname or a.name, "module", f"{module}.{a.name}")
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                self._bind_target(scope, t, "value", node.value)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            self._bind_target(scope, node.target, "value", node.value)
        elif isinstance(node, ast.AugAssign):
            self._bind_target(scope, node.target, "unknown", None)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._bind_target(scope, node.target, "iter", node.iter)
        elif isinstance(node, ast.comprehension):
            # the target lives in the comprehension's own scope (the parent node)
            self._bind_target(self.parent[node], node.target, "iter", node.iter)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind_target(scope, item.optional_vars, "unknown", None)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self._bind(scope, node.name, "def", node)
        elif isinstance(node, ast.arg):
            fn = self.parent.get(self.parent.get(node))
            self._bind(fn if isinstance(fn, _SCOPES) else scope, node.arg, "unknown", None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            self._bind(scope, node.name, "unknown", None)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            self._bind(scope, node.name, "unknown", None)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            self._bind(scope, node.rest, "unknown", None)

    def lookup(self, node: ast.Name):
        """The bindings of a name as seen from where it is used; None when it is bound nowhere.
        Inside a for loop over its own target, only that loop's binding counts."""
        loop = self._own_loop(node)
        if loop is not None:
            return loop
        for scope in self.enclosing_scopes(node):
            if isinstance(scope, ast.ClassDef):
                continue
            found = self.binds.get((scope, node.id))
            if found:
                return found
        return None

    def _own_loop(self, node: ast.Name):
        child, p = node, self.parent.get(node)
        while p is not None and not isinstance(p, _SCOPES):
            if isinstance(p, (ast.For, ast.AsyncFor)) and any(child is s for s in p.body):
                path = self._target_path(p.target, node.id)
                if path is not None and not self._rebound_in(p.body, node.id):
                    return [("iter", (p.iter, path))]
            child, p = p, self.parent.get(p)
        return None

    @staticmethod
    def _target_path(target, name, path=()):
        if isinstance(target, ast.Name):
            return path if target.id == name else None
        if isinstance(target, (ast.Tuple, ast.List)):
            for k, elt in enumerate(target.elts):
                found = _Env._target_path(elt, name, path + (k,))
                if found is not None:
                    return found
        return None

    @staticmethod
    def _rebound_in(body, name) -> bool:
        for stmt in body:
            for n in ast.walk(stmt):
                if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, (ast.Store, ast.Del)):
                    return True
        return False

    # --- what a name or an expression is
    def qualname(self, node, depth: int = 0) -> str | None:
        """The dotted name an expression statically refers to: ``numpy.testing.assert_allclose``,
        ``os.system``, ``builtins.exec``, ``get_ipython().events``; None for anything else.
        Memoised per node (a name bound to itself through many aliases stays linear)."""
        if depth > _MAX_DEPTH or node is None:
            return None
        key = id(node)
        if key in self._qual_memo:
            return self._qual_memo[key]
        self._qual_memo[key] = None                      # in progress: a cycle resolves to nothing
        result = self._qualname(node, depth)
        self._qual_memo[key] = result
        return result

    def _qualname(self, node, depth: int) -> str | None:
        if isinstance(node, ast.Name):
            binds = self.lookup(node)
            if binds is None:
                return self._unbound(node.id)
            for how, payload in binds:
                if how == "module":
                    return payload
                if how == "value":
                    q = self.qualname(payload, depth + 1)
                    if q:
                        return q
            return None
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value, depth + 1)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            return self._call_qualname(node, depth)
        if isinstance(node, ast.NamedExpr):
            return self.qualname(node.value, depth + 1)
        if isinstance(node, ast.Subscript):
            base = self.qualname(node.value, depth + 1)
            keys = self.fold(node.slice, depth + 1)
            if base is None or keys is None or len(keys) != 1:
                return None
            key = next(iter(keys))
            if base == "sys.modules":
                return key
            if base in ("builtins", "builtins.__dict__"):
                return f"builtins.{key}"
            if base.endswith(".__dict__"):
                return f"{base[:-len('.__dict__')]}.{key}"
            if base == "globals()":
                return self._global_name(key)
        return None

    def _unbound(self, name: str) -> str | None:
        if name in _DEFAULT_ROOTS:
            return _DEFAULT_ROOTS[name]
        if name in _DEFAULT_MODULES:
            return name
        for module in self.star:
            candidate = f"{module}.{name}"
            if _danger(candidate):
                return candidate
        if name in _BUILTIN_NAMES:
            return f"builtins.{name}"
        return None

    def _global_name(self, key: str) -> str | None:
        found = self.binds.get((_MODULE_SCOPE, key))
        if found is None:
            return self._unbound(key)
        for how, payload in found:
            if how == "module":
                return payload
        return None

    def _call_qualname(self, node: ast.Call, depth: int) -> str | None:
        func = self.qualname(node.func, depth + 1)
        if func is None:
            return None
        args = node.args
        if func == "builtins.getattr" and len(args) >= 2:
            base, names = self.qualname(args[0], depth + 1), self.fold(args[1], depth + 1)
            if base and names and len(names) == 1:
                return f"{base}.{next(iter(names))}"
            return None
        if func in ("builtins.__import__", "importlib.import_module", "importlib.__import__") and args:
            names = self.fold(args[0], depth + 1)
            return next(iter(names)) if names and len(names) == 1 else None
        if func in ("sys.modules.get", "sys.modules.__getitem__", "sys.modules.setdefault") and args:
            names = self.fold(args[0], depth + 1)
            return next(iter(names)) if names and len(names) == 1 else None
        if func.startswith("IPython") and func.endswith((".get_ipython", "InteractiveShell.instance")):
            return "get_ipython()"
        if func in ("builtins.globals", "builtins.locals") or (func == "builtins.vars" and not args):
            return "globals()"
        if func == "builtins.vars" and args:
            base = self.qualname(args[0], depth + 1)
            return f"{base}.__dict__" if base else None
        return None

    def fold(self, node, depth: int = 0) -> frozenset | None:
        """The strings an expression can statically take (a literal, a concatenation, a constant
        bound to a name, a loop over literals, a path built with os.path.join or pathlib …)."""
        try:
            values = self._fold(node, depth)
        except (_Unknown, RecursionError, ValueError, TypeError, IndexError, OverflowError,
                UnicodeError, MemoryError):
            return None
        return frozenset(values)

    def _fold(self, node, depth):
        """Memoised per node; a node met again while it is being worked out is unknown."""
        if depth > _MAX_DEPTH or node is None:
            raise _Unknown
        key = id(node)
        if key in self._fold_memo:
            memo = self._fold_memo[key]
            if memo is None:
                raise _Unknown
            return memo
        self._fold_memo[key] = None
        result = self._fold_node(node, depth)
        self._fold_memo[key] = frozenset(result)
        return self._fold_memo[key]

    def _fold_node(self, node, depth):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return {node.value}
            if isinstance(node.value, bytes):
                return {node.value.decode("latin-1")}
            raise _Unknown
        if isinstance(node, ast.Name):
            binds = self.lookup(node)
            if binds is None:
                raise _Unknown
            out = set()
            for how, payload in binds:
                if how == "value":
                    out |= self._fold(payload, depth + 1)
                elif how == "iter":
                    iterable, path = payload
                    for element in self._elements(iterable, depth + 1):
                        for k in path:
                            element = self._part(element, k)
                        out |= self._fold(element, depth + 1)
                else:
                    raise _Unknown
            return self._cap(out)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.FormattedValue):
                    if v.format_spec is not None or v.conversion not in (-1, ord("s")):
                        raise _Unknown
                    parts.append(self._fold(v.value, depth + 1))
                else:
                    parts.append(self._fold(v, depth + 1))
            return self._product(parts, "")
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Div)):
            sep = "/" if isinstance(node.op, ast.Div) else ""
            return self._product([self._fold(node.left, depth + 1), self._fold(node.right, depth + 1)], sep)
        if isinstance(node, ast.Attribute):
            q = self.qualname(node, depth + 1)
            fixed = {"os.pardir": "..", "os.curdir": ".", "os.sep": "/", "os.path.sep": "/",
                     "os.path.pardir": "..", "os.path.curdir": "."}
            if q in fixed:
                return {fixed[q]}
            if node.attr == "parent":
                return {v + "/.." for v in self._fold(node.value, depth + 1)}
            raise _Unknown
        if isinstance(node, ast.Subscript):
            base = self._fold(node.value, depth + 1)
            s = node.slice
            if isinstance(s, ast.Slice):
                bounds = [None if b is None else self._int(b) for b in (s.lower, s.upper, s.step)]
                return {v[slice(*bounds)] for v in base}
            return {v[self._int(s)] for v in base}
        if isinstance(node, ast.Call):
            return self._fold_call(node, depth)
        raise _Unknown

    @staticmethod
    def _int(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
                and isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, int):
            return -node.operand.value
        raise _Unknown

    def _fold_call(self, node: ast.Call, depth):
        func = self.qualname(node.func, depth + 1)
        args = [a for a in node.args if not isinstance(a, ast.Starred)]
        if len(args) != len(node.args):
            raise _Unknown
        if func in ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath",
                    "pathlib.WindowsPath", "os.path.join", "posixpath.join"):
            if not args:
                return {"."}
            return self._product([self._fold(a, depth + 1) for a in args], "/")
        if func in ("pathlib.Path.cwd", "os.getcwd", "os.getcwdb"):
            return {"."}
        if func in ("pathlib.Path.home",):
            return {"~"}
        if func in ("os.path.dirname",) and args:
            return {v + "/.." for v in self._fold(args[0], depth + 1)}
        if func in ("os.path.abspath", "os.path.realpath", "os.path.normpath", "os.path.expanduser",
                    "os.fspath", "builtins.str", "os.fsdecode", "os.path.expandvars") and len(args) == 1:
            return self._fold(args[0], depth + 1)
        if func == "builtins.chr" and len(args) == 1:
            return {chr(self._int(args[0]))}
        if func == "builtins.bytes.fromhex" and len(args) == 1:
            return {bytes.fromhex(v).decode("latin-1") for v in self._fold(args[0], depth + 1)}
        if isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method == "join" and len(args) == 1:
                seps = self._fold(node.func.value, depth + 1)
                parts = [self._fold(e, depth + 1) for e in self._elements(args[0], depth + 1)]
                return self._cap({s.join(p) for s in seps for p in itertools.product(*parts)}
                                 if parts else set(seps and {""}))
            if method == "joinpath":
                base = self._fold(node.func.value, depth + 1)
                return self._product([base] + [self._fold(a, depth + 1) for a in args], "/")
            simple = {"lower", "upper", "strip", "lstrip", "rstrip", "casefold", "title", "decode",
                      "encode", "resolve", "absolute", "expanduser", "as_posix", "swapcase"}
            if method in simple and not args:
                base = self._fold(node.func.value, depth + 1)
                if method in ("lower", "upper", "casefold", "title", "swapcase", "strip", "lstrip", "rstrip"):
                    return {getattr(v, method)() for v in base}
                return base
            if method == "replace" and len(args) == 2:
                base = self._fold(node.func.value, depth + 1)
                olds, news = self._fold(args[0], depth + 1), self._fold(args[1], depth + 1)
                return self._cap({v.replace(o, n) for v in base for o in olds for n in news})
        raise _Unknown

    def _elements(self, node, depth):
        """The element expressions of a literal iterable (tuple, list, set, dict keys/values/items,
        a name bound to one), or _Unknown."""
        if depth > _MAX_DEPTH:
            raise _Unknown
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                raise _Unknown
            return list(node.elts)
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise _Unknown
            return list(node.keys)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [ast.Constant(c) for c in node.value]
        if isinstance(node, ast.Name):
            binds = self.lookup(node)
            if not binds or len(binds) != 1 or binds[0][0] != "value":
                raise _Unknown
            return self._elements(binds[0][1], depth + 1)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args:
            method = node.func.attr
            if method in ("keys", "values", "items"):
                container = node.func.value
                if isinstance(container, ast.Name):
                    binds = self.lookup(container)
                    if not binds or len(binds) != 1 or binds[0][0] != "value":
                        raise _Unknown
                    container = binds[0][1]
                if not isinstance(container, ast.Dict) or any(k is None for k in container.keys):
                    raise _Unknown
                if method == "keys":
                    return list(container.keys)
                if method == "values":
                    return list(container.values)
                return [ast.Tuple(elts=[k, v], ctx=ast.Load()) for k, v in zip(container.keys, container.values)]
        raise _Unknown

    @staticmethod
    def _part(element, k):
        if isinstance(element, (ast.Tuple, ast.List)) and k < len(element.elts) \
                and not any(isinstance(e, ast.Starred) for e in element.elts):
            return element.elts[k]
        raise _Unknown

    @staticmethod
    def _cap(values):
        if len(values) > _MAX_VALUES or any(len(v) > 4096 for v in values):
            raise _Unknown
        return values

    def _product(self, parts, sep):
        total = 1
        for p in parts:
            total *= len(p)
            if total > _MAX_VALUES:
                raise _Unknown
        return self._cap({sep.join(combo) for combo in itertools.product(*parts)})

    def is_module(self, q: str | None) -> bool:
        """Does the dotted name stand for a module (or a namespace through which any module can be
        reached), rather than a function or a class?"""
        if not q:
            return False
        if q in _KNOWN_SUBMODULES or q in self.imported or q in _DEFAULT_MODULES:
            return True
        if q in _DEFAULT_ROOTS.values() and q != "IPython.get_ipython":
            return True
        return bool(re.fullmatch(r"bpkit\.grading\.stage[1-4]", q)) or q.endswith(".__dict__")


def _danger(q: str) -> tuple[str, str] | None:
    """(kind, why) when the dotted name ``q`` is something an answer must not use."""
    if q == "bpkit.grading" or q.startswith("bpkit.grading."):
        if _GRADING_OK.match(q):
            return None
        return GRADER, f"refers to {q}, part of the grading machinery"
    for rx, kind, why in _RULES:
        if rx.match(q):
            return kind, why.format(name=q[len("builtins."):] if q.startswith("builtins.") else q)
    return None


def _path_problem(path: str) -> tuple[str, str] | None:
    """(kind, reason) when a path leaves the assignment folder or names the solutions."""
    if _SOLUTION_WORDS.search(path):
        return SOLUTIONS, f"{path[:60]!r}, a path naming the solutions or the gradebook"
    parts = re.split(r"[\\/]+", path)
    if path.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", path):
        return OUTSIDE, f"the absolute path {path[:60]!r}"
    if ".." in parts:
        return OUTSIDE, f"{path[:60]!r}, a path that climbs out of the assignment folder"
    return None


# ------------------------------------------------------------------------------------ the scan
class _Scan:
    def __init__(self, env: _Env, tree: ast.AST, emit):
        self.env, self.tree, self.emit = env, tree, emit

    def run(self):
        for node in ast.walk(self.tree):
            self.node(node)

    def at(self, node, kind, why):
        self.emit(getattr(node, "lineno", 1) or 1, kind, why)

    def node(self, node):
        env = self.env
        parent = env.parent.get(node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.imports(node)
        if isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
            self.reference(node, parent)
        if isinstance(node, ast.Attribute):
            if node.attr in _ESCAPE_ATTRS:
                self.at(node, HIDES, f"uses the attribute {node.attr}, a way round the scanner to "
                                     "the interpreter's internals")
            elif node.attr == "__dict__" and env.qualname(node.value):
                self.at(node, HIDES, f"reads {env.qualname(node.value)}.__dict__, a way round the scanner")
        if isinstance(node, ast.Call):
            self.call(node)
        if isinstance(node, ast.Subscript):
            self.subscript(node)
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete, ast.For, ast.AsyncFor,
                             ast.With, ast.AsyncWith, ast.comprehension, ast.NamedExpr)):
            for target in self.targets(node):
                self.assignment(node, target)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.rebinding(node, node.name, "def", node)
        self.words(node, parent)

    # --- imports
    def imports(self, node):
        names = []
        if isinstance(node, ast.Import):
            for a in node.names:
                names.append(a.name)
                bound = a.asname or a.name.split(".")[0]
                self.rebinding(node, bound, "module", a.name if a.asname else a.name.split(".")[0])
        else:
            module = "." * (node.level or 0) + (node.module or "")
            for a in node.names:
                if a.name == "*":
                    inside = [r for r in _every_rule_name() if r.startswith(module + ".")]
                    danger = _danger(module) or next((d for d in map(_danger, inside) if d), None)
                    if danger:
                        self.at(node, danger[0], f"imports * from {module}: {danger[1]}")
                    continue
                names.append(f"{module}.{a.name}")
                self.rebinding(node, a.asname or a.name, "module", f"{module}.{a.name}")
        for q in names:
            danger = _danger(q)
            if danger:
                self.at(node, *danger)

    # --- a reference to something: is it dangerous, or a module handed around?
    def reference(self, node, parent):
        env = self.env
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            return
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return                                       # the longer name is checked instead
        if isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
            return                                       # assignments: see assignment()
        stored = isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load)
        if stored:
            q = env.qualname(node.value)
            q = f"{q}.{node.attr}" if q else None
        else:
            q = env.qualname(node)
        if q is None:
            return
        if isinstance(parent, ast.Call) and parent.func is node and env.qualname(parent) is not None \
                and q in ("sys.modules.get", "sys.modules.__getitem__", "builtins.getattr",
                          "builtins.globals", "builtins.vars", "builtins.locals"):
            return                                       # resolved through the call itself
        if q in ("get_ipython().run_line_magic", "get_ipython().run_cell_magic", "get_ipython().magic") \
                and isinstance(parent, ast.Call) and parent.func is node and self.magic_call(parent, q):
            return
        danger = _danger(q)
        if danger:
            self.at(node, *danger)
            return
        if stored:
            return
        if isinstance(parent, ast.Call) and parent.func is node and isinstance(node, ast.Attribute) \
                and node.attr in _MUTATORS and env.qualname(node.value) in _INTERNALS | {"globals()"}:
            return                                       # flagged by call() as patching
        if q.startswith(("sys.modules.", "globals().")) and not (
                isinstance(parent, ast.Call) and parent.func is node and env.qualname(parent)):
            self.at(node, HIDES, f"uses {q}, which reaches any module or variable by a computed name")
            return
        if env.is_module(q) and self.as_value(node, parent):
            self.at(node, HIDES, f"hands {q} on as a value, where the scanner cannot follow it")

    def magic_call(self, call: ast.Call, q: str) -> bool:
        """get_ipython().run_line_magic("name", "arg") with a literal name: flagged as the magic
        itself would be. False when the name cannot be worked out (then: hides its code)."""
        env = self.env
        texts = [env.fold(a) for a in call.args[:2]]
        if not texts or any(t is None or len(t) != 1 for t in texts):
            return False
        name, *rest = [next(iter(t)) for t in texts]
        arg = rest[0] if rest else ""
        if q.endswith(".magic"):
            name, _, arg = name.lstrip("%").partition(" ")
        if name in _WRAPPER_MAGICS:
            return False                                 # Python code inside a string
        flag = _magic_flag(name, arg, cell=q.endswith("cell_magic"))
        if flag:
            self.at(call, *flag)
        return True

    def as_value(self, node, parent) -> bool:
        """Is ``node`` (a module) used as a plain value, i.e. passed, stored or returned?"""
        env = self.env
        if parent is None or isinstance(parent, (ast.Expr, ast.Compare, ast.FormattedValue)):
            return False
        if isinstance(parent, (ast.Attribute, ast.Subscript)) and parent.value is node:
            return False
        if isinstance(parent, ast.Call):
            if parent.func is node:
                return False
            if isinstance(parent.func, ast.Attribute) and parent.func.attr in ("__setattr__", "__delattr__"):
                return False                             # flagged by call() as patching
            return env.qualname(parent.func) not in _MODULE_ARG_OK
        if isinstance(parent, ast.keyword):
            call = env.parent.get(parent)
            return not (isinstance(call, ast.Call) and env.qualname(call.func) in _MODULE_ARG_OK)
        if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and parent.value is node:
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            return not all(isinstance(t, ast.Name) for t in targets)
        if isinstance(parent, (ast.Tuple, ast.List)):
            holder = env.parent.get(parent)
            if isinstance(holder, ast.Assign) and holder.value is parent and all(
                    isinstance(t, (ast.Tuple, ast.List)) and len(t.elts) == len(parent.elts)
                    and all(isinstance(e, ast.Name) for e in t.elts) for t in holder.targets):
                return False                             # s, ds = bp.sigmoid, bp.sigmoid_prime
        return True

    # --- calls
    def call(self, node: ast.Call):
        env = self.env
        func = env.qualname(node.func)
        args = node.args
        if func in ("builtins.getattr", "builtins.setattr", "builtins.delattr") and len(args) >= 2:
            names = env.fold(args[1])
            base = env.qualname(args[0])
            verb = func.split(".")[1]
            if names is None:
                self.at(node, HIDES, f"calls {verb} with an attribute name worked out at run time "
                                     "(the scanner cannot see what it reaches)")
            elif verb == "getattr" and base:
                for name in sorted(names):
                    danger = _danger(f"{base}.{name}")
                    if danger:
                        self.at(node, *danger)
            if verb != "getattr":
                if base:
                    self.patched(node, base, f"{verb}({base}, …)")
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if method in ("__setattr__", "__delattr__"):
            receiver = env.qualname(node.func.value)
            target = receiver
            if (receiver is None or receiver in ("builtins.object", "builtins.type")) and args:
                target = env.qualname(args[0])
            if target:
                self.patched(node, target, f"{method} on {target}")
        elif method in _MUTATORS:
            receiver = env.qualname(node.func.value)
            if receiver and (receiver.endswith(".__dict__") or receiver in _INTERNALS
                             or receiver == "globals()" or receiver.startswith("get_ipython()")):
                self.patched(node, receiver, f"{receiver}.{method}(…)")
        self.file_operation(node, func)

    def file_operation(self, node: ast.Call, func: str | None):
        env = self.env
        count = None
        if func:
            for rx, n in _FILE_FUNCS:
                if rx.match(func):
                    count = n
                    break
        what = func[len("builtins."):] if func and func.startswith("builtins.") else func
        paths = []
        if count is None and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            receiver = node.func.value
            if method in _PATH_METHODS or (method in _PATH_METHODS_IF_PATH and self.pathlike(receiver)):
                what, count, paths = f".{method}()", -1, [receiver]
        if count is None:
            return
        if count == 0:
            self.at(node, OUTSIDE, f"calls {what}, which changes the working directory")
            return
        if count > 0:
            paths = list(node.args[:count]) or [kw.value for kw in node.keywords if kw.arg in (
                "file", "fname", "path", "filename", "src", "dst", "name", "fid", "pathname", "top")]
            if not paths:
                return
        for p in paths:
            values = env.fold(p)
            if values is None:
                self.at(node, OUTSIDE, f"calls {what} on a path computed at run time "
                                       "(it may lie outside the assignment folder)")
                return
            for v in sorted(values):
                problem = _path_problem(v)
                if problem:
                    self.at(node, problem[0], f"calls {what} on {problem[1]}")
                    return
                if v.endswith((".py", ".pth", ".pyc")) and self.writes(node, what):
                    self.at(node, HIDES, f"writes the Python file {v!r}, code it could import unscanned")
                    return

    def writes(self, node: ast.Call, what) -> bool:
        if what in (".write_text()", ".write_bytes()", ".touch()") or (what or "").startswith("shutil."):
            return True
        position = 0 if (what or "").startswith(".") else 1
        mode = node.args[position] if len(node.args) > position else next(
            (kw.value for kw in node.keywords if kw.arg == "mode"), None)
        modes = self.env.fold(mode) if mode is not None else None
        return bool(modes) and any(set(m) & set("wax+") for m in modes)

    def pathlike(self, node) -> bool:
        env = self.env
        for n in ast.walk(node):
            q = env.qualname(n) if isinstance(n, (ast.Name, ast.Attribute, ast.Call)) else None
            if q and q.startswith(("pathlib", "os.path")):
                return True
            if isinstance(n, ast.Name):
                for how, payload in env.lookup(n) or []:
                    if how == "value" and payload is not node and any(
                            (env.qualname(m) or "").startswith("pathlib")
                            for m in ast.walk(payload) if isinstance(m, (ast.Name, ast.Attribute))):
                        return True
        return False

    # --- subscripts: dynamic keys into namespaces
    def subscript(self, node: ast.Subscript):
        env = self.env
        base = env.qualname(node.value)
        if base is None:
            return
        namespace = base in ("sys.modules", "globals()", "builtins", "builtins.__dict__") \
            or base.endswith(".__dict__") or base.startswith("get_ipython()")
        if not namespace:
            return
        keys = env.fold(node.slice)
        if keys is None:
            self.at(node, HIDES, f"indexes {base} with a key worked out at run time "
                                 "(the scanner cannot see what it reaches)")
        elif base == "globals()" and isinstance(node.ctx, ast.Load):
            for key in sorted(keys):
                q = env._global_name(key)
                danger = _danger(q) if q else None
                if danger:
                    self.at(node, *danger)

    # --- assignments
    @staticmethod
    def targets(node):
        if isinstance(node, ast.Assign):
            return node.targets
        if isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension, ast.NamedExpr)):
            return [node.target]
        if isinstance(node, ast.AnnAssign):
            return [node.target] if node.value is not None else []
        if isinstance(node, ast.Delete):
            return node.targets
        return [item.optional_vars for item in node.items if item.optional_vars is not None]

    def assignment(self, stmt, target):
        env = self.env
        if isinstance(target, (ast.Tuple, ast.List)):
            values = stmt.value.elts if isinstance(stmt, ast.Assign) and isinstance(
                stmt.value, (ast.Tuple, ast.List)) and len(stmt.value.elts) == len(target.elts) else None
            for k, elt in enumerate(target.elts):
                self.assignment(_Pair(stmt, values[k]) if values else _Pair(stmt, None), elt)
            return
        if isinstance(target, ast.Starred):
            self.assignment(stmt, target.value)
            return
        real = stmt.stmt if isinstance(stmt, _Pair) else stmt
        if isinstance(target, ast.Name):
            if isinstance(real, ast.Delete):
                how, value = "del", None
            elif isinstance(stmt, _Pair):
                how, value = ("value", stmt.value) if stmt.value is not None else ("unknown", None)
            elif isinstance(real, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
                how, value = "value", real.value
            else:
                how, value = "unknown", None
            self.rebinding(real, target.id, how, value, at=target)
            return
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            base = env.qualname(target.value)
            if base is None:
                return
            shown = f"{base}.{target.attr}" if isinstance(target, ast.Attribute) else f"{base}[…]"
            verb = "deletes" if isinstance(real, ast.Delete) else "assigns"
            self.patched(target, base, f"{verb} {shown}", full=shown)

    def patched(self, node, base: str, what: str, full: str | None = None):
        if _PATCH_OK.match(full or base) or _PATCH_OK.match(base):
            return
        if base == "globals()":
            self.at(node, HIDES, f"{what}: writes the notebook's variables by name, a way round the scanner")
            return
        changed = "the IPython shell" if base.startswith("get_ipython()") else base
        self.at(node, PATCH, f"{what}, changing {changed} for everything that runs after it, "
                             "the tests included")

    def rebinding(self, node, name: str, how: str, value, at=None):
        """A top-level rebinding of a name the test cells rely on (np, bp, stage1 …, a builtin)."""
        env = self.env
        scope = env.scope.get(node)
        if isinstance(node, ast.comprehension):
            return
        if scope is not _MODULE_SCOPE and (scope, name) not in env.globals_decl:
            return
        at = at or node
        if name in _PROTECTED:
            canonical = _PROTECTED[name]
            if how == "module" and value == canonical:
                return
            if how == "value" and env.qualname(value) == canonical:
                return
            verb = "deletes" if how == "del" else "rebinds"
            self.at(at, PATCH, f"{verb} {name} at the top level, which the test cells use")
        elif name in _BUILTIN_NAMES:
            replaced = how == "def" or (how == "value" and (
                isinstance(value, ast.Lambda) or isinstance(value, ast.Name) and any(
                    b[0] == "def" for b in env.lookup(value) or [])))
            if replaced:
                self.at(at, PATCH, f"replaces the builtin {name} at the top level, for the test cells too")

    # --- words: solutions, gradebook, nbgrader
    def words(self, node, parent):
        texts = []
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            if not isinstance(parent, ast.Expr):          # a docstring or a bare string does nothing
                value = node.value
                texts.append(value.decode("latin-1") if isinstance(value, bytes) else value)
        elif isinstance(node, (ast.BinOp, ast.JoinedStr)) and not isinstance(parent, ast.BinOp) or (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("join", "replace", "decode", "lower", "upper")):
            texts.extend(self.env.fold(node) or ())
        elif isinstance(node, ast.Name):
            texts.append(node.id)
        elif isinstance(node, ast.Attribute):
            texts.append(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            texts.append(node.name)
        elif isinstance(node, ast.arg):
            texts.append(node.arg)
        elif isinstance(node, ast.keyword) and node.arg:
            texts.append(node.arg)
        elif isinstance(node, ast.alias):
            texts.extend(filter(None, (node.name, node.asname)))
        for text in texts:
            found = _SOLUTION_WORDS.search(text)
            if found:
                self.at(node if hasattr(node, "lineno") else parent, SOLUTIONS,
                        f"names {found.group(0)!r}, where the model answers and grades are kept")
                return
            if _GRADER_WORDS.search(text):
                self.at(node if hasattr(node, "lineno") else parent, GRADER,
                        "names nbgrader, the machinery that grades the notebook")
                return


class _Pair:
    """One element of a tuple assignment: the statement and the matching value, if any."""

    def __init__(self, stmt, value):
        self.stmt, self.value = stmt, value


_RULE_NAMES_CACHE: list[str] = []


def _every_rule_name() -> list[str]:
    """Example dangerous names, to tell whether ``from M import *`` brings one in."""
    if not _RULE_NAMES_CACHE:
        _RULE_NAMES_CACHE.extend([
            "os.system", "os.popen", "os.fork", "os.execv", "os.spawnl", "os._exit", "os.kill",
            "os.chdir", "bpkit.grading", "bpkit.coursework", "sys.exit", "sys.settrace",
            "sys.setprofile", "sys._getframe", "sys.modules", "importlib.import_module",
            "inspect.currentframe", "inspect.stack", "gc.get_objects", "pickle.loads", "marshal.loads",
            "base64.b64decode", "codecs.decode", "zlib.decompress", "builtins.exec", "builtins.eval",
            "builtins.compile", "builtins.__import__", "builtins.exit", "asyncio.create_subprocess_shell",
            "IPython.get_ipython", "numpy.ctypeslib", "numpy.f2py", "concurrent.futures.ProcessPoolExecutor",
            "http.client", "urllib.request", "unittest.mock", "threading.settrace",
        ])
    return _RULE_NAMES_CACHE


# ------------------------------------------------------------------------------ putting it together
class _Cell:
    """One cell, read: its original lines, its tree (or None) and what its magics did."""

    def __init__(self, name: str, source: str):
        self.name = name
        self.lines = _NEWLINE.split(source)
        self.tree = None
        self.found: list[tuple[int, str, str]] = []      # (line, kind, why)
        self.offset = 0
        try:
            self.tree = _compile(source)
            return
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
            pass
        except Exception:                                # noqa: BLE001 - never let a cell crash the grader
            pass
        rewritten, self.found = _ipython_to_python(self.lines)
        try:
            self.tree = _compile("\n".join(rewritten))
            return
        except Exception:                                # noqa: BLE001
            pass
        transformed = _ipython_transform(source)
        if transformed is not None:
            try:
                self.tree = _compile(transformed)
                # IPython drops the leading blank lines; everything else keeps its line
                self.offset = next((i for i, line in enumerate(self.lines) if line.strip()), 0)
                return
            except Exception:                            # noqa: BLE001
                pass
        # Not Python even for IPython: it cannot run. A plain text search, as a safety net.
        for i, line in enumerate(self.lines):
            code = line.split("#", 1)[0] if not line.lstrip().startswith(("!", "%")) else line
            for rx, kind, why in _TEXT_RULES:
                if rx.search(code):
                    self.found.append((i + 1, kind, f"{why}, in a cell the scanner could not read as Python"))


def _scan_cells(cells: list[_Cell]) -> list[Flag]:
    flags: list[Flag] = []
    trees = [c.tree for c in cells if c.tree is not None]
    try:
        env = _Env(trees)
    except RecursionError:
        env = None
    for cell in cells:
        seen: set[tuple[int, str]] = set()
        hits: list[tuple[int, str, str]] = list(cell.found)
        if cell.tree is not None:
            if env is None:
                hits.append((1, HIDES, "the code is nested too deeply for the scanner to read"))
            else:
                def emit(line, kind, why, _hits=hits, _cell=cell):
                    _hits.append((min(max(1, line + _cell.offset), len(_cell.lines)), kind, why))
                try:
                    _Scan(env, cell.tree, emit).run()
                except RecursionError:
                    hits.append((1, HIDES, "the code is nested too deeply for the scanner to read"))
        for line, kind, why in sorted(hits, key=lambda h: (h[0], KINDS.index(h[1]))):
            if (line, kind) in seen:
                continue
            seen.add((line, kind))
            code = cell.lines[line - 1].strip() if 0 < line <= len(cell.lines) else ""
            flags.append(Flag(cell=cell.name, line=line, code=code[:160], kind=kind, why=why))
    return flags


def scan_source(source: str, cell: str = "cell") -> list[Flag]:
    """The flags of one cell's source (Python or IPython), named ``cell``."""
    return _scan_cells([_Cell(cell, source if isinstance(source, str) else "".join(source))])


def scan_notebook(nb, test_cells=None) -> list[Flag]:
    """The flags of every code cell a student could have written: all code cells except the
    locked nbgrader test cells (``grade`` true and ``solution`` false), which nbgrader restores
    from the gradebook anyway. ``nb`` is an nbformat NotebookNode or the notebook's JSON dict.
    Cells are named by their grade_id, else "cell <position in the notebook, from 1>". Names
    bound in one cell (``import subprocess as s``) are followed into the others.

    The metadata comes from the student's file, and nbgrader restores a cell only when the
    *gradebook* says it is locked: an answer cell re-labelled ``grade: true, solution: false``
    still runs. Pass ``test_cells`` (the grade_ids of the release's test cells) and only those
    are skipped; a cell that claims to be a test cell under any other grade_id is scanned."""
    known = None if test_cells is None else {str(t) for t in test_cells}
    cells = []
    for index, cell in enumerate(nb.get("cells") or []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata") or {}
        grading = (meta.get("nbgrader") or {}) if isinstance(meta, dict) else {}
        if not isinstance(grading, dict):
            grading = {}
        grade_id = grading.get("grade_id")
        if grading.get("grade") and not grading.get("solution") and (
                known is None or str(grade_id) in known):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        name = grade_id or f"cell {index + 1}"
        cells.append(_Cell(str(name), str(source)))
    return _scan_cells(cells)
