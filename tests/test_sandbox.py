"""The sandbox contains hostile programs: each ends failed or timed out, the machine and the
evaluator (this pytest process) unharmed, no files touched outside the temp dir, no process
left behind.

Safe on a shared machine: the fork bomb can only run after the sandbox's bootstrap has proved,
in the child and before the program is read, that fork fails (RLIMIT_NPROC = 0, set in the
child only); otherwise the sandbox refuses to run it at all.
"""

import os
import socket
import tempfile
from pathlib import Path

import pytest

from askbuddyx.sandbox.child import landlock_abi
from askbuddyx.sandbox.runner import Limits, run_program, run_programs

FAST = Limits(wall_s=4.0, cpu_s=1, memory_mb=256, max_output_bytes=16 * 1024)
# Kernel layer alone: the audit hook off, to show rlimits / uid / namespace hold by themselves
KERNEL_ONLY = Limits(wall_s=4.0, cpu_s=1, memory_mb=256, python_guard=False)
AS_ROOT = os.geteuid() == 0
SECRET = "hf_sandbox_test_secret_0123456789"


@pytest.fixture
def sandbox_tmp(tmp_path, monkeypatch):
    """Sandbox temp dirs go under tmp_path, so the test can see they are removed."""
    root = tmp_path / "sandboxes"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    yield root
    assert list(root.iterdir()) == [], "a sandbox temp dir was left behind"
    assert not leftover_processes(str(root)), "a sandboxed process was left behind"


def leftover_processes(marker: str) -> list:
    """Processes whose command line mentions `marker` (the sandbox temp dirs' parent)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue  # the process ended while we looked
    return found


def test_ordinary_programs(sandbox_tmp):
    ok = run_program("import math\nprint(math.factorial(5))", FAST)
    assert ok.status == "passed" and ok.stdout == "120\n"
    bad = run_program("assert 1 + 1 == 3, 'arithmetic'", FAST)
    assert bad.status == "failed" and bad.error == "AssertionError: arithmetic"
    syntax = run_program("def f(:\n", FAST)
    assert syntax.status == "failed" and "SyntaxError" in syntax.error
    local = run_program("open('a.txt', 'w').write('x')\nprint(open('a.txt').read())", FAST)
    assert local.status == "passed" and local.stdout == "x\n"


def test_programs_run_in_parallel_results_in_order(sandbox_tmp):
    results = run_programs([f"print({i} * {i})" for i in range(6)], FAST, workers=2)
    assert [r.stdout for r in results] == [f"{i * i}\n" for i in range(6)]


def test_fork_bomb(sandbox_tmp):
    probe = run_program("import os\nos.fork()", KERNEL_ONLY)
    assert probe.status == "failed" and "BlockingIOError" in probe.error  # EAGAIN: NPROC = 0
    bomb = "import os\nwhile True:\n    os.fork()\n"
    for limits in (FAST, KERNEL_ONLY):
        assert run_program(bomb, limits).status == "failed"
    for spawn in ("import subprocess\nsubprocess.run(['true'])", "import os\nos.system('true')",
                  "import multiprocessing\nmultiprocessing.Process(target=print).start()"):
        assert run_program(spawn, FAST).status == "failed", spawn


def test_infinite_loop_and_sleep_time_out(sandbox_tmp):
    spin = run_program("while True:\n    pass\n", FAST)
    assert spin.status == "timed_out" and "CPU" in spin.error
    sleeper = run_program("import time\ntime.sleep(60)\n", Limits(wall_s=1.5, cpu_s=1))
    assert sleeper.status == "timed_out" and sleeper.wall_s < 5
    # closes its output (so reading ends) and keeps running: the wall clock still ends it
    silent = run_program("import os, time\nos.close(1)\nos.close(2)\ntime.sleep(60)\n",
                         Limits(wall_s=1.5, cpu_s=1))
    assert silent.status == "timed_out" and silent.wall_s < 5
    # ignores SIGXCPU at the soft CPU limit: the kernel's SIGKILL at the hard limit ends it
    # (after 2 s of CPU; the wall clock only backs it up, so it is far: on a loaded machine
    # 2 s of CPU can take many seconds)
    stubborn = run_program("import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
                           "while True:\n    pass\n", Limits(wall_s=30, cpu_s=1))
    assert stubborn.status == "timed_out" and "CPU" in stubborn.error


def test_memory_hog(sandbox_tmp):
    for hog in ("x = bytearray(8 * 1024 ** 3)",
                "chunks = []\nwhile True:\n    chunks.append(bytearray(50 * 1024 ** 2))"):
        res = run_program(hog, FAST)
        assert res.status == "failed" and "MemoryError" in res.error, res


def test_huge_output_is_capped(sandbox_tmp):
    res = run_program("while True:\n    print('x' * 10000)\n", FAST)
    assert res.status == "failed" and "output limit" in res.error
    assert len(res.stdout) <= FAST.max_output_bytes
    big_file = run_program("open('big', 'w').write('x' * (64 * 1024 ** 2))", FAST)
    assert big_file.status == "failed"  # RLIMIT_FSIZE (8 MiB)


def test_files_outside_the_temp_dir_are_untouched(sandbox_tmp, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for prog in (f"import os\nos.remove({str(victim)!r})",
                 f"import shutil\nshutil.rmtree({str(tmp_path)!r})",
                 f"open({str(victim)!r}, 'w').write('gone')",
                 f"import os\nos.rename({str(victim)!r}, 'stolen.txt')",
                 "open('/tmp/askbuddyx-sandbox-escape.txt', 'w').write('x')"):
        assert run_program(prog, FAST).status == "failed", prog
    assert victim.read_text() == "keep me"
    assert not Path("/tmp/askbuddyx-sandbox-escape.txt").exists()


@pytest.mark.skipif(not AS_ROOT, reason="the kernel layer drops to `nobody` only as root")
def test_kernel_layer_alone_protects_files_parent_and_network(sandbox_tmp, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    res = run_program(f"import os\nos.remove({str(victim)!r})", KERNEL_ONLY)
    assert res.status == "failed" and "PermissionError" in res.error
    res = run_program("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", KERNEL_ONLY)
    assert res.status == "failed" and "PermissionError" in res.error
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.5)
        port = server.getsockname()[1]
        res = run_program(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), 2)",
                          KERNEL_ONLY)
        assert res.status == "failed" and "OSError" in res.error  # no network in the netns
        with pytest.raises(TimeoutError):
            server.accept()
    assert victim.read_text() == "keep me"


@pytest.mark.skipif(landlock_abi() < 1, reason="this kernel has no Landlock")
def test_kernel_layer_alone_keeps_reads_writes_and_exec_to_the_rules(sandbox_tmp, tmp_path):
    # Landlock: what the audit hook refuses, the kernel refuses too, for things any user (and
    # `nobody`) could otherwise do: read /etc or /proc, write a world-writable dir, exec
    victim = tmp_path / "open-to-all"
    victim.mkdir(mode=0o777)
    victim.chmod(0o777)
    for prog in ("open('/etc/passwd').read()", "open('/proc/self/status').read()",
                 "open('/proc/self/mem', 'rb')",
                 f"open({str(victim / 'x')!r}, 'w').write('x')",
                 "import os\nos.execv('/bin/true', ['true'])"):
        res = run_program(prog, KERNEL_ONLY)
        assert res.status == "failed" and "Permission denied" in res.error, (prog, res)
    assert list(victim.iterdir()) == []
    ok = run_program("import hashlib, time\nprint(hashlib.md5(b'x').hexdigest()[:4])\n"
                     "open('a', 'w').write('x')\nprint(time.localtime().tm_year > 2000)",
                     KERNEL_ONLY)
    assert ok.status == "passed" and ok.stdout == "9dd4\nTrue\n", ok


def test_socket_is_refused(sandbox_tmp):
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.5)
        port = server.getsockname()[1]
        for prog in (f"import socket\nsocket.create_connection(('127.0.0.1', {port}), 2)",
                     "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                     "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:9')"):
            res = run_program(prog, FAST)
            assert res.status == "failed" and "not allowed" in res.error, prog
        with pytest.raises(TimeoutError):
            server.accept()


def test_env_tokens_are_unreachable(sandbox_tmp, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    env = run_program("import os\nprint(dict(os.environ))\nos.environ['HF_TOKEN']", FAST)
    assert env.status == "failed" and "KeyError" in env.error
    parent = run_program("import os\nprint(open(f'/proc/{os.getppid()}/environ').read())", FAST)
    assert parent.status == "failed"
    home = run_program("import os\nprint(open(os.path.expanduser('~root/.bashrc')).read())", FAST)
    assert home.status == "failed"
    for res in (env, parent, home):
        assert SECRET not in res.stdout + res.stderr


def test_killing_the_parent_fails(sandbox_tmp):
    me = os.getpid()
    for prog in ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
                 "import os, signal\nos.killpg(os.getpgid(os.getppid()), signal.SIGKILL)"):
        assert run_program(prog, FAST).status == "failed", prog
    assert os.getpid() == me  # still here


def test_stdin_closed_and_segfault_is_killed(sandbox_tmp):
    assert run_program("input()", FAST).status == "failed"
    crash = run_program("import os\nos.abort()", FAST)
    assert crash.status == "killed" and "SIGABRT" in crash.error
