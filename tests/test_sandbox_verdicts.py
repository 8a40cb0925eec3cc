"""A pass is proven, not assumed: a program passes only when the sandbox's bootstrap reports
that its code ran to the end. Every way to end early or to forge that report scores 0, through
the HumanEval scorer (`score_responses`, what `askbuddyx eval score --suite humaneval` runs)
and the format suite's Solution+Usage and Sanity-test runs (`score_cases`).

Each trick runs before the checks: at the top of the HumanEval completion (the body of the
function, so it runs when `check` first calls it) and at the top of the answer's Usage section
(so it is in both format-suite programs). The same answers without the trick pass, so a
failure below is the trick's doing.
"""

import os
import secrets
import signal
import sys
import textwrap

import pytest

from askbuddyx.errors import AskBuddyXError
from askbuddyx.eval.cases import build_cases, heldout_case
from askbuddyx.eval.humaneval import load_problems, score_responses
from askbuddyx.eval.scoring import score_cases
from askbuddyx.sandbox import child as sandbox_child
from askbuddyx.sandbox import runner as sandbox
from askbuddyx.sandbox.runner import run_program

EARLY = "exited before the checks finished (status 0)"
FINISHED = sandbox_child.FINISHED_EVENT
KNOWN_TOKEN = "5eed" * 8  # what secrets.token_hex gives in the tests that look for leaks

TRICKS = [
    # (id, code run before the checks, expected status, expected error substring)
    ("sys.exit(0)", "import sys\nsys.exit(0)", "failed", EARLY),
    ("sys.exit(None)", "import sys\nsys.exit(None)", "failed", EARLY),
    ("raise SystemExit", "raise SystemExit", "failed", EARLY),
    ("os._exit(0)", "import os\nos._exit(0)", "failed", EARLY),
    ("atexit os._exit(0) after a failure",
     "import atexit, os\natexit.register(os._exit, 0)\nraise AssertionError('wrong')",
     "failed", EARLY),
    ("SystemExit(0) raised in an atexit handler after a failure",
     "import atexit\ndef h():\n    raise SystemExit(0)\natexit.register(h)\n"
     "raise AssertionError('wrong')", "failed", "SystemExit: 0"),
    ("os.kill(self, SIGTERM)", "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)",
     "failed", "os.kill is not allowed"),
    ("os.kill(self, SIGKILL)", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
     "failed", "os.kill is not allowed"),
    ("signal.raise_signal(SIGTERM)", "import signal\nsignal.raise_signal(signal.SIGTERM)",
     "killed", "killed by SIGTERM"),
    ("signal.raise_signal(SIGKILL)", "import signal\nsignal.raise_signal(signal.SIGKILL)",
     "killed", "killed by SIGKILL"),
    ("a SIGTERM handler that exits 0",
     "import signal, sys\nsignal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
     "signal.raise_signal(signal.SIGTERM)", "failed", EARLY),
    ("os.execv(/bin/true)", "import os\nos.execv('/bin/true', ['true'])",
     "failed", "os.exec is not allowed"),
    ("os.execv(python -c pass)",
     "import os, sys\nos.execv(sys.executable, [sys.executable, '-c', 'pass'])",
     "failed", "os.exec is not allowed"),
    ("close stdout and stderr, exit 0", "import os, sys\nos.close(1)\nos.close(2)\nsys.exit(0)",
     "failed", EARLY),
    ("redirect stdout and stderr, exit 0",
     "import io, sys\nsys.stdout = io.StringIO()\nsys.stderr = io.StringIO()\nsys.exit(0)",
     "failed", EARLY),
    ("silenced excepthook, then a failure",
     "import sys\nsys.excepthook = lambda *a: None\nraise AssertionError('wrong')",
     "failed", "exited before the checks finished (status 1)"),
    ("a thread that calls os._exit(0)",
     "import os, threading, time\nthreading.Thread(target=os._exit, args=(0,)).start()\n"
     "time.sleep(5)", "failed", "can't start new thread"),
    ("interrupt the main thread", "import _thread, time\n_thread.interrupt_main()\ntime.sleep(5)",
     "killed", "killed by SIGINT"),
    ("fork: the parent exits 0, the child runs the checks",
     "import os\nif os.fork():\n    os._exit(0)", "failed", "os.fork is not allowed"),
    ("raise the bootstrap's own completion event, then exit 0",
     f"import os, sys\nsys.audit({FINISHED!r})\nos._exit(0)", "failed", EARLY),
    ("patch os.write, print, sys.audit and builtins, then exit 0",
     "import builtins, os, sys\nos.write = lambda fd, data: len(data)\n"
     "builtins.print = lambda *a, **k: None\nsys.audit = lambda *a: None\n"
     "builtins.exec = lambda *a: None\nsys.exit(0)", "failed", EARLY),
    ("patch the bootstrap module through sys.modules, then exit 0",
     "import sys\nboot = sys.modules['__main__']\n"
     "boot.FINISHED_EVENT = boot._TOKEN_SLOT = boot.main = None\nsys.exit(0)", "failed", EARLY),
    ("write a guessed token to every fd, then exit 0",
     "import os\nfor fd in range(3, 256):\n    try:\n        os.write(fd, b'0' * 32)\n"
     "    except OSError:\n        pass\nos._exit(0)",
     "failed", "the report channel carried data the sandbox did not write"),
    ("read every object through gc", "import gc\ngc.get_objects()",
     "failed", "gc.get_objects is not allowed"),
    ("exit 0 from a subinterpreter (it has no audit hooks)",
     "import _xxsubinterpreters as interpreters\n"
     "interpreters.run_string(interpreters.create(), 'import os; os._exit(0)')",
     "failed", "importing _xxsubinterpreters is not allowed"),
    ("CPython's test C API (raw memory, subinterpreters)",
     "import _testcapi\n_testcapi.run_in_subinterp('import os; os._exit(0)')",
     "failed", "importing _testcapi is not allowed"),
    ("settrace to skip the checks", "import sys\nsys.settrace(lambda *a: None)",
     "failed", "sys.settrace is not allowed"),
    ("walk the callers' frames, then exit 0",
     "import sys\nf = sys._getframe()\nwhile f is not None:\n    dict(f.f_locals)\n"
     "    f = f.f_back\nsys.exit(0)", "failed", EARLY),
]
TRICK_IDS = [t[0] for t in TRICKS]

HE_TASK = "HumanEval/2"  # truncate_number(number) -> number % 1.0
HE_BODY = "    return number % 1.0\n"
FORMAT_ANSWER = ("### Solution\n```python\ndef rev(s):\n    return s[::-1]\n```\n\n"
                 "### Usage\n```python\n{trick}print(rev('ab'))\n```\n\n"
                 "### Sanity test\n```python\nassert rev('ab') == 'ba'\n```\n")


def humaneval_answer(trick: str) -> str:
    """A correct completion (function body) that runs `trick` first."""
    return textwrap.indent(trick, "    ") + "\n" + HE_BODY if trick else HE_BODY


def format_answer(trick: str) -> str:
    """A correct runnable-first answer whose Usage runs `trick` first."""
    return FORMAT_ANSWER.format(trick=trick + "\n" if trick else "")


@pytest.fixture(scope="module")
def verdicts():
    """Every trick (and the trick-free control, id None) through both suites, in two batched
    calls: id -> (HumanEval record, format-suite record).

    SIGINT gets Python's own handler first: a test run started in the background inherits
    SIGINT ignored, which the sandboxed child would inherit too, and then
    `_thread.interrupt_main()` does nothing (the program runs to its time limit instead of
    being interrupted). A caught signal is reset to its default on exec, as in a terminal.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield _verdicts()
    finally:
        signal.signal(signal.SIGINT, previous)


def _verdicts():
    codes = [None, *TRICK_IDS]
    by_id = {t[0]: t[1] for t in TRICKS}
    sources = {i: by_id.get(i, "") for i in codes}
    problems = load_problems()
    _, he_records = score_responses(
        problems, {HE_TASK: [humaneval_answer(sources[i]) for i in codes]})
    heldout = [heldout_case({"instruction": f"Reverse a string ({i})",
                             "output": format_answer("")}) for i in codes]
    _, fmt_records = score_cases(build_cases(heldout, suites=("format",)),
                                 [format_answer(sources[i]) for i in codes])
    return {i: (h, f.to_dict()) for i, h, f in zip(codes, he_records, fmt_records)}


def test_the_answers_pass_without_a_trick(verdicts):
    he, fmt = verdicts[None]
    assert he["passed"] and he["status"] == "passed", he
    assert fmt["runnable"] and fmt["sanity_passed"], fmt


@pytest.mark.parametrize(("trick", "code", "status", "reason"), TRICKS, ids=TRICK_IDS)
def test_trick_scores_zero_in_both_suites(verdicts, trick, code, status, reason):
    he, fmt = verdicts[trick]
    assert not he["passed"], he
    assert (he["status"], reason in he["error"]) == (status, True), he["error"]
    assert not fmt["runnable"] and not fmt["sanity_passed"], fmt
    for key in ("runnable", "sanity_passed"):
        assert (fmt[f"{key}_status"], reason in fmt[f"{key}_error"]) == (status, True), fmt


def test_early_exit_scores_zero_through_eval_score(tmp_path, capsys):
    """The issue's own case, through the CLI: `import sys; sys.exit(0)` atop a completion."""
    import json

    from askbuddyx.cli import main

    path = tmp_path / "responses.jsonl"
    rows = [{"task_id": HE_TASK, "response": humaneval_answer("import sys; sys.exit(0)")},
            {"task_id": "HumanEval/3", "response": "    import os; os._exit(0)\n"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["eval", "score", "--responses", str(path), "--suite", "humaneval"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["pass_at_1"] == 0.0 and metrics["failed_count"] == 2


# The forgeries below know where the token lives; the test knows the token (a patched
# secrets.token_hex), so it can check that none of what the program reached contains it.

@pytest.fixture
def known_token(monkeypatch):
    monkeypatch.setattr(secrets, "token_hex", lambda nbytes=None: KNOWN_TOKEN)
    return KNOWN_TOKEN


FRAME_DUMP = '''
def dump(frame, out):
    # every string or bytes value in the frames' locals and globals, and in their code's
    # constants where the sandbox lets a program read them
    refused = 0
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            out.update(repr(v) for v in list(scope.values()) if isinstance(v, (str, bytes)))
        try:
            out.update(repr(c) for c in frame.f_code.co_consts)
        except PermissionError:
            refused += 1
        frame = frame.f_back
    return refused
'''

SPY_HOOK = FRAME_DUMP + f'''
import os, sys
seen, refused, busy = set(), [], []

def spy(event, args):
    # runs inside the reporter: its sys._getframe call raises an audit event
    if event == "sys._getframe" and not busy:
        busy.append(1)
        refused.append(dump(sys._getframe(1), seen))
        busy.pop()

sys.addaudithook(spy)
sys.audit({FINISHED!r})
print("refused", sum(refused))
print(seen, flush=True)
os._exit(0)
'''

SIGNAL_SPY = FRAME_DUMP + '''
import os, signal, sys
seen, refused, busy = set(), [], []

def on_alarm(signum, frame):
    # lands wherever the interpreter is, the reporter's frame included (it runs on each event)
    if not busy:
        busy.append(1)
        refused.append(dump(frame, seen))
        busy.pop()

signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.0002)
for _ in range(50000):
    sys.audit("x")
signal.setitimer(signal.ITIMER_REAL, 0)
print("refused", sum(refused))
print(seen, flush=True)
os._exit(0)
'''

MEMORY_SCAN = '''
import os, posixpath, re
# blind the audit hook's path checks (they resolve paths with posixpath), then read this
# process's memory for anything shaped like the token and send it down every fd
tmp = os.getcwd()
posixpath._joinrealpath = lambda path, rest, strict, seen: (tmp + "/x", True)
found = set()
with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
    for line in maps:
        span, perms = line.split()[:2]
        if perms.startswith("r") and "[vvar]" not in line:
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                found.update(re.findall(rb"[0-9a-f]{32}", mem.read(end - start)))
            except (OSError, OverflowError, ValueError):
                continue
for fd in range(3, 64):
    for candidate in found:
        try:
            os.write(fd, candidate)
        except OSError:
            break
os._exit(0)
'''


def refusals(stdout: str) -> int:
    """How many frames' code the spy was refused (its first line: "refused N")."""
    word, count = stdout.split("\n", 1)[0].split()
    assert word == "refused", stdout
    return int(count)


def test_the_reporter_frame_caught_by_an_audit_hook_does_not_give_the_token(known_token):
    res = run_program(SPY_HOOK)
    assert res.status == "failed" and res.error == EARLY, res
    # it did reach the reporter's frame, and was refused its code
    assert refusals(res.stdout) == 1
    assert known_token not in res.stdout + res.stderr


def test_the_reporter_frame_caught_by_a_signal_handler_does_not_give_the_token(known_token):
    res = run_program(SIGNAL_SPY)
    assert res.status == "failed" and res.error == EARLY, res
    assert refusals(res.stdout) > 0  # the handler landed in the reporter at least once
    assert known_token not in res.stdout + res.stderr


@pytest.mark.skipif(sandbox_child.landlock_abi() < 1,
                    reason="no Landlock on this kernel: the audit hook's file rules, which a "
                    "program can patch, are then all that keeps /proc/self/mem unread")
def test_reading_the_process_memory_is_refused_by_the_kernel(known_token):
    res = run_program(MEMORY_SCAN)
    assert res.status == "failed" and "Permission denied: '/proc/self/maps'" in res.error, res
    assert known_token not in res.stdout + res.stderr


def test_a_program_cannot_fake_the_bootstraps_refusal():
    # the evaluator stops (AskBuddyXError) only when the bootstrap, with the run's token,
    # says it could not contain a program; a program printing the same words just fails
    res = run_program("import sys\n"
                      "sys.stderr.write('sandbox: a child process could be created\\n')\n"
                      f"sys.exit({sandbox_child.REFUSED_EXIT})")
    assert res.status == "failed" and not res.finished


def test_the_bootstraps_refusal_stops_the_evaluation():
    token = "ab" * 16
    ending = sandbox._Ending(returncode=sandbox_child.REFUSED_EXIT, stdout=b"", stderr=b"",
                             report=token.encode() + b"\nrefused: capset failed, errno 1",
                             timed_out=False, over_output=False, wall_s=0.1)
    with pytest.raises(AskBuddyXError, match="capset failed, errno 1"):
        sandbox._verdict(ending, {"tmp": "/nonexistent", "token": token}, sandbox.DEFAULT_LIMITS)


def test_the_reporter_reads_no_globals_and_writes_only_for_its_runner():
    read_fd, write_fd = os.pipe()
    try:
        hook, namespace = sandbox_child.make_reporter(b"T" * 32, write_fd, sys._getframe())
        code = hook.__code__
        # nothing for a program to patch: no global or builtin names, an empty namespace
        assert code.co_names == () and namespace == {"__builtins__": {}}
        assert b"T" * 32 in code.co_consts and sandbox_child._TOKEN_SLOT not in code.co_consts
        hook("open", ())  # another event
        (lambda: hook(FINISHED, ()))()  # the right event from another frame
        os.set_blocking(read_fd, False)
        with pytest.raises(BlockingIOError):
            os.read(read_fd, 100)
        hook(FINISHED, ())  # from the runner's frame (this test's)
        assert os.read(read_fd, 100) == b"T" * 32
    finally:
        os.close(read_fd)
        os.close(write_fd)
