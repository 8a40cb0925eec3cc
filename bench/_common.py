"""Shared helpers of the bench/ scripts: a scratch copy of the project, the BLAS environment,
and the `--json PATH` contract (a flat dict of measured figures, ratios and their targets).

Not a benchmark itself (run_all.py runs bench_*.py only).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# What a scratch project needs to run the DVC stages (as tests/test_pipeline_e2e.py copies).
COPY = ["askbuddyx", "stages", "assets", "dvc.yaml", "params.yaml", "MODEL_CARD.md",
        "LICENSE-THIRD-PARTY.md"]


def write_json(path: str | None, figures: dict) -> None:
    """The --json contract: one flat dict of numbers/strings/bools."""
    if not path:
        return
    flat = {k: v for k, v in figures.items() if not isinstance(v, (dict, list))}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(flat, indent=2, sort_keys=True) + "\n")


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


def scratch_project(work: Path, edit=None) -> Path:
    """Copy the project into `work`; `edit(params)` may change params.yaml."""
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, work / name)
    if edit:
        params = yaml.safe_load((work / "params.yaml").read_text())
        edit(params)
        (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return work


def run_stage(work: Path, stage: str, environ=None) -> str:
    """Run one DVC stage's command (from dvc.yaml) directly, without DVC."""
    cmd = yaml.safe_load((work / "dvc.yaml").read_text())["stages"][stage]["cmd"]
    return run(" ".join(cmd.split()), work, environ)


def prepare_training_data(work: Path) -> Path:
    """fetch_data -> prepare_data -> build_text in the scratch project (not timed)."""
    for stage in ("fetch_data", "prepare_data", "build_text"):
        run_stage(work, stage)
    return work / "data" / "training_ready"


def machine() -> str:
    return f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
