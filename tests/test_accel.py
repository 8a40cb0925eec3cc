"""The OpenBLAS re-exec: preload, one thread, and pinned x86 kernels (portable bytes)."""

import sys

import pytest

from askbuddyx import accel


@pytest.fixture
def reexec(monkeypatch):
    """Run maybe_reexec_with_openblas with execve captured instead of replacing the process."""
    calls = []
    monkeypatch.setattr(accel.sys, "platform", "linux")
    monkeypatch.setattr(accel, "find_openblas", lambda: "/usr/lib/libopenblas.so.0")
    monkeypatch.setattr(accel.os, "execve", lambda exe, argv, env: calls.append(env))
    for name in ("LD_PRELOAD", "ASKBUDDYX_BLAS", "ASKBUDDYX_BLAS_REEXEC", "OPENBLAS_CORETYPE",
                 "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    # `mlx` is imported by other tests in this process; the re-exec refuses once it is loaded.
    monkeypatch.delitem(sys.modules, "mlx", raising=False)

    def run(machine="x86_64"):
        monkeypatch.setattr(accel.platform, "machine", lambda: machine)
        accel.maybe_reexec_with_openblas()
        return calls[-1] if calls else None

    return run


def test_reexec_preloads_openblas_with_pinned_x86_kernels(reexec):
    env = reexec()
    assert env["LD_PRELOAD"].startswith("/usr/lib/libopenblas.so.0")
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    assert env["OPENBLAS_CORETYPE"] == accel.PINNED_X86_CORETYPE


def test_user_choice_of_kernels_wins(reexec, monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "SkylakeX")
    assert reexec()["OPENBLAS_CORETYPE"] == "SkylakeX"


def test_no_kernel_pin_off_x86(reexec):
    assert "OPENBLAS_CORETYPE" not in reexec(machine="aarch64")


def test_reference_blas_when_asked(reexec, monkeypatch):
    monkeypatch.setenv("ASKBUDDYX_BLAS", "reference")
    assert reexec() is None


def test_blas_in_use_names_the_kernels(monkeypatch):
    monkeypatch.setattr(accel.sys, "platform", "linux")
    monkeypatch.setenv("LD_PRELOAD", "/x/libopenblas.so.0")
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    assert accel.blas_in_use() == "openblas (Haswell)"
    monkeypatch.delenv("LD_PRELOAD")
    assert accel.blas_in_use() == "reference"
