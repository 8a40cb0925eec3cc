"""Use an optimized BLAS for MLX on Linux CPUs.

The Linux `mlx[cpu]` wheel bundles the reference (netlib) BLAS: its float32 matmuls run at a
few GFLOP/s. Debian's OpenBLAS (`apt-get install libopenblas0-pthread`, which `make deps`
does when it can) exports the same `cblas_*` symbols; preloading it makes MLX's CPU matmuls
4-7x faster (see docs/PERFORMANCE.md). Preloading must happen before the process starts, so
`maybe_reexec_with_openblas()` re-executes the current command once with `LD_PRELOAD` set.

Set `ASKBUDDYX_BLAS=reference` to keep the bundled BLAS. Results are deterministic either way,
but bytes differ between the two, so the committed `dvc.lock` is made with OpenBLAS.

OpenBLAS picks its kernels by CPU model, and each kernel rounds float32 sums in its own
order: the same seed gave three different `adapters.safetensors` with the Cooperlake,
SkylakeX and Haswell kernels on one machine. So on x86-64 we pin the Haswell (AVX2) kernels,
which every x86-64 CPU of the last decade runs, and a fresh clone on another CPU model gets
the committed bytes. Set `OPENBLAS_CORETYPE` yourself to override (e.g. SkylakeX: a few
percent faster on AVX-512 CPUs, other bytes).
On macOS (Metal, Accelerate) and with CUDA this does nothing.

Threads: one BLAS thread by default (for generation's small matmuls a second thread only
contends). The train stage asks for every core (`maybe_reexec_with_openblas(threads=
cpu_cores())`). OpenBLAS splits a product among its threads by a static partition of the
sizes and the thread count, so runs with the same count give the same bytes (measured: two
2-thread trainings, identical adapters), but another count sums in another order and gives
other bytes (1 vs 2 threads differ): a `dvc.lock` adapter hash holds for machines with as
many cores, or for whoever sets OPENBLAS_NUM_THREADS to the count recorded in run_meta.json.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping
from pathlib import Path

OPENBLAS_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib64/libopenblas.so.0",
)
_MARK = "ASKBUDDYX_BLAS_REEXEC"
PINNED_X86_CORETYPE = "Haswell"


def find_openblas() -> str | None:
    for candidate in OPENBLAS_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return None


def blas_in_use() -> str:
    """'openblas' when this process preloads OpenBLAS, else 'reference' (or 'native' off Linux)."""
    if not sys.platform.startswith("linux"):
        return "native"
    if "openblas" not in os.environ.get("LD_PRELOAD", ""):
        return "reference"
    core = os.environ.get("OPENBLAS_CORETYPE")
    return f"openblas ({core})" if core else "openblas"


def cpu_cores() -> int:
    """The cores this process may run on (its affinity mask: taskset's or a container's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def blas_threads() -> int | None:
    """OpenBLAS's thread count in this process (None without OpenBLAS or when unset)."""
    value = os.environ.get("OPENBLAS_NUM_THREADS", "")
    return int(value) if blas_in_use().startswith("openblas") and value.isdigit() else None


def openblas_environ(env: Mapping[str, str], lib: str, threads: int = 1) -> dict:
    """`env` with OpenBLAS `lib` preloaded as our commands run it: `threads` BLAS threads
    (unless OPENBLAS_NUM_THREADS is set already), pinned kernels.

    Benchmarks give the raw mlx-lm CLI this same environment, so both sides compute alike.
    """
    env = dict(env)
    env["LD_PRELOAD"] = ":".join(p for p in (lib, env.get("LD_PRELOAD", "")) if p)
    env.setdefault("OPENBLAS_NUM_THREADS", str(max(1, threads)))
    # One kernel set on every x86-64 CPU, so the bytes do not depend on the CPU model.
    if platform.machine() in ("x86_64", "AMD64"):
        env.setdefault("OPENBLAS_CORETYPE", PINNED_X86_CORETYPE)
    return env


def maybe_reexec_with_openblas(threads: int = 1) -> None:
    """Re-exec the current Python command with OpenBLAS preloaded, when useful and possible,
    with `threads` BLAS threads (see the module docstring)."""
    if not sys.platform.startswith("linux") or os.environ.get("ASKBUDDYX_BLAS") == "reference":
        return
    if os.environ.get(_MARK) or "openblas" in os.environ.get("LD_PRELOAD", ""):
        return
    if "mlx" in sys.modules:  # too late: the bundled BLAS is already linked in
        return
    lib = find_openblas()
    if lib is None:
        return
    env = openblas_environ(os.environ, lib, threads)
    env[_MARK] = "1"
    argv = list(getattr(sys, "orig_argv", []) or [sys.executable, *sys.argv])
    os.execve(sys.executable, [sys.executable, *argv[1:]], env)
