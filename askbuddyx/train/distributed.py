"""Data-parallel runs on MLX's own distributed layer (`mlx.launch`), for training and more.

    # params.yaml: two processes on this machine (ring backend, TCP on 127.0.0.1)
    train:
      processes: 2
    # or several machines: an mlx.launch hostfile (ssh names + IPs), see README "Distributed"
      hostfile: hosts.json

We do not write a distributed trainer: mlx-lm's trainer already is one. Under `mlx.launch`
every rank runs the same `train_model`; `mx.distributed.init()` finds the group, each rank
takes `batch_size / ranks` of every batch (`iterate_batches(comm_group=...)`), gradients are
averaged with `mlx.nn.average_gradients` (an all-reduce) before each optimizer step, reported
losses and token counts are summed over ranks, and rank 0 alone saves the adapter.

This module only (1) validates the request, (2) runs `mlx.launch` on a target script with this
module as a thin per-rank wrapper (`python -m askbuddyx.train.distributed SCRIPT ARGS...`) and
(3) turns a failed rank into an AskBuddyXError: `mlx.launch` itself exits 0 even when a rank
fails, so each rank's wrapper writes its exit status to a folder the launcher reads back.

Backends: `ring` (default; TCP, works everywhere MLX does), `mpi` (set
`ASKBUDDYX_DIST_BACKEND=mpi`; needs `mpirun` on PATH), or the hostfile's own `backend` key
(e.g. `jaccl` for Thunderbolt RDMA between Macs, `nccl` for `mlx[cuda]` on NVIDIA GPUs).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

ENV_STATUS = "ASKBUDDYX_DIST_STATUS"  # folder where each rank's wrapper writes its exit code
ENV_BACKEND = "ASKBUDDYX_DIST_BACKEND"  # ring (default) | mpi | nccl | jaccl
BACKENDS = ("ring", "mpi", "nccl", "jaccl", "jaccl-ring")


def hostfile_hosts(hostfile: str | Path) -> tuple[list, str]:
    """(hosts, backend) of an mlx.launch hostfile: a JSON list of hosts, or a dict with
    "hosts" (and optionally "backend", "envs"). Each host needs "ssh" (and "ips" for ring)."""
    path = Path(hostfile)
    if not path.is_file():
        raise AskBuddyXError(f"train.hostfile not found: {path}",
                             hint="Write one (see README 'Distributed training') or set "
                             "train.hostfile to '' for processes on this machine.")
    try:
        data = json.loads(path.read_text())
        hosts = data["hosts"] if isinstance(data, dict) else data
        backend = data.get("backend", "") if isinstance(data, dict) else ""
        if not isinstance(hosts, list) or not hosts or not all("ssh" in h for h in hosts):
            raise ValueError("needs a non-empty list of hosts, each with an 'ssh' name")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AskBuddyXError(f"train.hostfile {path} is not an mlx.launch hostfile: {exc}",
                             hint='Write [{"ssh": "mac1.local", "ips": ["192.168.1.10"]}, '
                             '{"ssh": "mac2.local", "ips": ["192.168.1.11"]}].') from None
    return hosts, backend


def auto_processes() -> int:
    """Ranks for `processes: auto`: 2 on MLX's CPU backend when this process may use 2 or
    more cores, else 1 (Metal, CUDA: one device, which ranks would only share).

    Why 2 on a CPU: generation there is bound by MLX's single-threaded ops, not by BLAS (a
    second BLAS thread gave nothing at 64 answers a step), so a second process is the way to
    the second core. Measured on 2 cores, SmolLM2 float32: one process at 64 answers a step
    ~64 tokens/s; two side by side at 32 each ~84 tokens/s together; the evaluate_base
    stage's greedy pass 5.5 min with 1 rank, ~4 with 2. Not measured beyond 2 cores.
    """
    import mlx.core as mx

    from askbuddyx.accel import cpu_cores

    return 2 if mx.default_device() == mx.cpu and cpu_cores() >= 2 else 1


def world_size(processes: int, hostfile: str = "", section: str = "train") -> int:
    """Number of ranks: the hostfile's hosts when there is a hostfile, else `processes`.

    `section` names the params.yaml section (train, eval) in the error messages; "auto"
    (eval.processes) resolves with `auto_processes`.
    """
    if processes == "auto":
        processes = auto_processes()
    if not isinstance(processes, int) or isinstance(processes, bool) or processes < 1:
        raise AskBuddyXError(f"{section}.processes is {processes!r}; it must be an integer >= 1.",
                             hint=f"Set {section}.processes: 1 (one process), more, or auto.")
    if not hostfile:
        return processes
    hosts, _ = hostfile_hosts(hostfile)
    if processes not in (1, len(hosts)):
        raise AskBuddyXError(
            f"{section}.processes is {processes} but {section}.hostfile lists {len(hosts)} "
            "hosts.",
            hint=f"With a hostfile, each host is one rank: leave {section}.processes at 1 or "
            "list one host entry per process (repeat a host to run two there).")
    return len(hosts)


def validate_batch_size(batch_size: int, ranks: int) -> None:
    """mlx-lm splits each batch across ranks: it must divide evenly."""
    if batch_size % ranks != 0:
        raise AskBuddyXError(
            f"train.batch_size {batch_size} does not divide by {ranks} ranks: each rank "
            "trains on batch_size / ranks examples of every batch.",
            hint=f"Set train.batch_size to a multiple of {ranks} (e.g. "
            f"{ranks * max(1, batch_size // ranks)}), or change train.processes.")


def in_worker() -> bool:
    """True inside a rank started by `launch` (the wrapper sets ENV_STATUS)."""
    return bool(os.environ.get(ENV_STATUS))


def rank() -> int:
    """This process's rank (0 when not distributed)."""
    if not in_worker():
        return 0
    import mlx.core as mx

    return mx.distributed.init().rank()


def is_main_rank() -> bool:
    """Rank 0, or not distributed: the process that writes outputs."""
    return rank() == 0


def rank_output_dir(path: str | Path) -> str:
    """`path` on rank 0; on other ranks a scratch copy of it, so that only rank 0's files land
    in the real output (mlx-lm writes adapter_config.json on every rank) while every rank
    reads the same starting state (train.resume's checkpoints, when on this machine)."""
    if is_main_rank():
        return str(path)
    scratch = tempfile.mkdtemp(prefix=f"askbuddyx-rank{rank()}-")
    if Path(path).is_dir():
        shutil.copytree(path, scratch, dirs_exist_ok=True)
    return scratch


def free_ports(count: int) -> int:
    """A base port with `count` consecutive free TCP ports on 127.0.0.1 (the ring backend
    listens on base + rank); random, so that concurrent runs do not collide."""
    for _ in range(200):
        base = random.randint(20000, 60000 - count)
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise AskBuddyXError("No free TCP ports for the ring backend on 127.0.0.1.")


def mlx_launch_executable() -> str:
    exe = Path(sys.executable).parent / "mlx.launch"
    found = str(exe) if exe.is_file() else shutil.which("mlx.launch")
    if not found:
        raise AskBuddyXError("mlx.launch not found next to this Python or on PATH.",
                             hint="Install MLX into this environment: `make deps`.")
    return found


def launch_command(target: list, ranks: int, hostfile: str, backend: str, port: int,
                   status_dir: str) -> list:
    """The `mlx.launch` command line that runs `python -m askbuddyx.train.distributed TARGET`
    on every rank."""
    cmd = [mlx_launch_executable()]
    cmd += ["--hostfile", str(hostfile)] if hostfile else ["--hosts", "127.0.0.1",
                                                          "-n", str(ranks)]
    cmd += ["--backend", backend, "--starting-port", str(port),
            "--env", f"{ENV_STATUS}={status_dir}", "--env", f"{ENV_BACKEND}={backend}",
            "--", sys.executable, "-m", "askbuddyx.train.distributed", *target]
    return cmd


def run_local_ring(target: list, ranks: int, port: int, status_dir: str,
                   timeout: float | None = None) -> int:
    """Run `target` on `ranks` processes of this machine, ring backend, and wait for all.

    What `mlx.launch --hosts 127.0.0.1 -n N` sets up (a ring hostfile of 127.0.0.1 ports,
    MLX_RANK and MLX_HOSTFILE per rank), without its relay of every rank's stdin and
    output: that relay polls each rank's stdin pipe with select(), which is always
    writable, so the launcher spun a whole core (measured: mlx.launch at 93-96% CPU, each
    of 2 ranks left ~50% of a 2-core machine, 2 ranks slower than 1). Here the ranks write
    to our stdout themselves and we block in wait(). Returns 0, or the first non-zero exit
    code; on a timeout every rank is killed and TimeoutExpired raised.
    """
    hosts = [[f"127.0.0.1:{port + r}"] for r in range(ranks)]
    hostfile = Path(status_dir) / "ring_hosts.json"
    hostfile.write_text(json.dumps(hosts))
    cmd = [sys.executable, "-m", "askbuddyx.train.distributed", *target]
    base = dict(os.environ, MLX_HOSTFILE=str(hostfile), **{ENV_STATUS: status_dir,
                                                              ENV_BACKEND: "ring"})
    procs = [subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                              env=dict(base, MLX_RANK=str(r))) for r in range(ranks)]
    try:
        codes = [p.wait(timeout=timeout) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return next((c for c in codes if c != 0), 0)


def launch(target: list, ranks: int, hostfile: str = "", backend: str | None = None,
           timeout: float | None = None) -> None:
    """Run the Python script `target` ([script.py, args...]) on `ranks` ranks and wait.

    Raises AskBuddyXError when rank 0 (the rank on this machine that writes the outputs)
    did not finish with exit code 0. Output of every rank goes to this process's stdout.
    """
    file_backend = hostfile_hosts(hostfile)[1] if hostfile else ""
    backend = backend or os.environ.get(ENV_BACKEND) or file_backend or "ring"
    if backend not in BACKENDS:
        raise AskBuddyXError(f"Unknown distributed backend {backend!r}.",
                             hint=f"Use one of: {', '.join(BACKENDS)}.")
    if backend == "mpi" and not shutil.which("mpirun"):
        raise AskBuddyXError("The mpi backend needs mpirun, which is not on PATH.",
                             hint="Install Open MPI (brew/apt install open-mpi) or use the "
                             "ring backend (unset ASKBUDDYX_DIST_BACKEND).")
    with tempfile.TemporaryDirectory(prefix="askbuddyx-dist-") as status_dir:
        port = free_ports(ranks)
        if hostfile or backend != "ring":
            cmd = launch_command(target, ranks, hostfile, backend, port, status_dir)
            print(f"mlx.launch: {ranks} ranks, {backend} backend"
                  + (f", hosts from {hostfile}" if hostfile else " on 127.0.0.1"), flush=True)
            returncode = subprocess.run(cmd, stdin=subprocess.DEVNULL, timeout=timeout).returncode
        else:
            print(f"{ranks} local ranks, ring backend on 127.0.0.1", flush=True)
            returncode = run_local_ring(target, ranks, port, status_dir, timeout)
        codes = {int(p.stem.removeprefix("rank")): int(p.read_text())
                 for p in Path(status_dir).glob("rank*.rc")}
    if returncode != 0 or codes.get(0) != 0 or any(codes.values()):
        failed = {r: c for r, c in codes.items() if c != 0}
        raise AskBuddyXError(
            f"Distributed run failed: the launcher exited {returncode}; ranks that "
            f"reported {sorted(codes)} (non-zero exit codes: {failed or 'none'}); "
            "a rank missing from that list was killed or never started.",
            hint="Read the rank output above. On several machines: same repository path and "
            "`make deps` on each, passwordless ssh, and the hostfile's IPs reachable.")
    print(f"{len(codes)} local rank(s) finished", flush=True)


def maybe_launch(processes: int, hostfile: str, batch_size: int | None = None,
                 argv: list | None = None, section: str = "train") -> bool:
    """In a stage's main: when more than one rank is asked and we are not a rank yet, run this
    same script (`argv`, default sys.argv) on every rank and return True (the caller returns:
    rank 0 wrote the outputs). Else return False and let the caller do the work itself.
    `batch_size`, when given, must divide by the ranks (training splits every batch)."""
    ranks = world_size(processes, hostfile, section)
    if in_worker() or (ranks == 1 and not hostfile):
        return False
    if batch_size is not None:
        validate_batch_size(batch_size, ranks)
    launch(list(argv or sys.argv), ranks, hostfile)
    return True


def worker_main(argv: list) -> int:
    """One rank: join the group, run the script as __main__, report its exit code."""
    import runpy

    from askbuddyx.accel import maybe_reexec_with_openblas

    maybe_reexec_with_openblas()  # remote ranks: local ranks inherit it from the launcher
    import mlx.core as mx

    group = mx.distributed.init(strict=True, backend=os.environ.get(ENV_BACKEND, "ring"))
    code = 1
    try:
        sys.argv = list(argv)
        runpy.run_path(argv[0], run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        status = Path(os.environ[ENV_STATUS])
        if status.is_dir():  # on another machine the folder does not exist: nothing to report
            (status / f"rank{group.rank()}.rc").write_text(str(code))
    return code


if __name__ == "__main__":
    raise SystemExit(worker_main(sys.argv[1:]))
