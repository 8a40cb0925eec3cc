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


def openblas_environ(env: Mapping[str, str], lib: str) -> dict:
    """`env` with OpenBLAS `lib` preloaded as our commands run it: one thread, pinned kernels.

    Benchmarks give the raw mlx-lm CLI this same environment, so both sides compute alike.
    """
    env = dict(env)
    env["LD_PRELOAD"] = ":".join(p for p in (lib, env.get("LD_PRELOAD", "")) if p)
    # One BLAS thread: MLX runs its own CPU threads; on 2 cores a second BLAS thread only
    # contends (measured: same speed or slower), and one thread keeps results byte-stable.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    # One kernel set on every x86-64 CPU, so the bytes do not depend on the CPU model.
    if platform.machine() in ("x86_64", "AMD64"):
        env.setdefault("OPENBLAS_CORETYPE", PINNED_X86_CORETYPE)
    return env


def maybe_reexec_with_openblas() -> None:
    """Re-exec the current Python command with OpenBLAS preloaded, when useful and possible."""
    if not sys.platform.startswith("linux") or os.environ.get("ASKBUDDYX_BLAS") == "reference":
        return
    if os.environ.get(_MARK) or "openblas" in os.environ.get("LD_PRELOAD", ""):
        return
    if "mlx" in sys.modules:  # too late: the bundled BLAS is already linked in
        return
    lib = find_openblas()
    if lib is None:
        return
    env = openblas_environ(os.environ, lib)
    env[_MARK] = "1"
    argv = list(getattr(sys, "orig_argv", []) or [sys.executable, *sys.argv])
    os.execve(sys.executable, [sys.executable, *argv[1:]], env)
