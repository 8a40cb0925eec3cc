"""`dvc push`, fresh clone, `dvc pull`, `dvc status` clean: with the repository's own .dvc/config.

The default remote is a folder next to the clone (`../../askbuddyx-dvc-remote` from .dvc/), so
the project and its clone, side by side in one scratch folder, share it with no setup. To stay
fast the pipeline is cut after `train` and runs on a small slice (like test_pipeline_e2e.py);
what is pushed and pulled is still every kind of output: the base model artifact
(fetch_model), data folders, the adapter files.
"""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import compose_tiny_params

pytestmark = pytest.mark.slow

COPY = ["askbuddyx", "stages", "assets", "data/sources/README.md", "LICENSE-THIRD-PARTY.md",
        ".gitignore", ".dvcignore", ".dvc/config", ".dvc/.gitignore"]
KEEP = ["fetch_model", "fetch_data", "prepare_data", "build_text", "train"]


def run(cmd, cwd, env):
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"{cmd} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout + out.stderr


def test_default_remote_is_outside_the_repo(root):
    from dvc.repo import Repo

    with Repo(str(root)) as repo:  # DVC resolves the relative url against .dvc/
        name = repo.config["core"]["remote"]
        resolved = Path(repo.config["remote"][name]["url"]).resolve()
    assert root.resolve() not in resolved.parents and resolved != root.resolve()
    assert resolved == (root.parent / "askbuddyx-dvc-remote").resolve()


@dataclass
class Pulled:
    """A project run once and pushed (`work`), and its fresh clone after `dvc pull`."""

    work: Path
    clone: Path
    remote: Path
    env: dict
    pushed: str


def scratch_project(root: Path, work: Path) -> None:
    """The repository's code, assets and DVC config in `work`, the pipeline cut after
    train, on a small slice of the data (the tiny profile's params, cut down)."""
    for name in COPY:
        src, dst = root / name, work / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dst)
    pipeline = yaml.safe_load((root / "dvc.yaml").read_text())
    pipeline["stages"] = {k: v for k, v in pipeline["stages"].items() if k in KEEP}
    pipeline.pop("plots", None)
    (work / "dvc.yaml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    params = compose_tiny_params(work / "params.yaml")
    params["data"]["sources"][0]["limit"] = 60
    params["data"].update(curated_holdout=3, val_fraction=0.05)
    params["train"].update(iters=2, warmup=1, batch_size=2, steps_per_report=1,
                           steps_per_eval=2, val_batches=1, max_seq_length=256)
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    # .dvc/config enables Hydra: `dvc exp run -S` composes params.yaml from conf/, so conf/
    # holds this slice, complete, in one file.
    (work / "conf").mkdir()
    (work / "conf/config.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture(scope="module")
def pulled(tmp_path_factory, root) -> Pulled:
    """Run, commit and push a scratch project, then clone it and `dvc pull`: what each test
    below starts from, whichever of them runs (alone, first or second)."""
    scratch = tmp_path_factory.mktemp("remote")
    work = scratch / "proj"
    scratch_project(root, work)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=path, GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    run(["git", "init", "-q"], work, env)
    run(["dvc", "repro"], work, env)
    run(["git", "add", "-A"], work, env)
    run(["git", "commit", "-qm", "pipeline run"], work, env)
    pushed = run(["dvc", "push"], work, env)
    clone = scratch / "clone"
    run(["git", "clone", "-q", str(work), str(clone)], scratch, env)
    assert not (clone / "models/base").exists()  # only git's files before the pull
    run(["dvc", "pull"], clone, env)
    return Pulled(work, clone, scratch / "askbuddyx-dvc-remote", env, pushed)


def test_push_clone_pull_status_clean(pulled):
    work, clone, env = pulled.work, pulled.clone, pulled.env
    assert pulled.remote.is_dir() and any(pulled.remote.rglob("*")), pulled.pushed
    status = run(["dvc", "status"], clone, env)
    assert "Data and pipelines are up to date" in status, status
    for out in ["models/base/model.safetensors", "data/processed/train.jsonl",
                "data/training_ready/valid.jsonl", "outputs/adapters/dev/adapters.safetensors",
                "outputs/adapters/dev/run_meta.json"]:
        assert (clone / out).read_bytes() == (work / out).read_bytes(), out
    assert "in sync" in run(["dvc", "status", "--cloud"], clone, env)


def test_exp_run_shows_next_to_the_workspace(pulled, tmp_path):
    """`dvc exp run --set-param train.iters=N` in a pulled clone: `dvc exp show` lists the
    experiment's metrics beside the workspace's. On a copy of the clone, so that the test
    above still sees the clone as pulled."""
    import csv
    import io

    clone = tmp_path / "clone"
    shutil.copytree(pulled.clone, clone, symlinks=True)
    env = dict(pulled.env)
    out = run(["dvc", "exp", "run", "--set-param", "train.iters=3", "-n", "iters3"], clone, env)
    assert "Running stage 'train'" in out and "Running stage 'fetch_data'" not in out
    rows = list(csv.DictReader(io.StringIO(run(["dvc", "exp", "show", "--csv"], clone, env))))
    loss = next(k for k in rows[0] if k.endswith("final_train_loss"))
    iters = next(k for k in rows[0] if k.endswith("train.iters"))
    commit = next(r for r in rows if r["typ"] == "baseline" and r["rev"] != "workspace")
    experiment = next(r for r in rows if r["Experiment"] == "iters3")
    workspace = next(r for r in rows if r["rev"] == "workspace")
    assert commit[iters] == "2" and experiment[iters] == "3"
    assert workspace[iters] == "3"  # a workspace `dvc exp run` leaves its results applied
    assert commit[loss] and experiment[loss] and commit[loss] != experiment[loss]
