"""Exact resume (`train.resume`): a run killed with SIGKILL and resumed ends with the bytes of an
uninterrupted run; a kill while a checkpoint is written leaves the previous one usable; a
checkpoint of another run is refused, naming what differs; and DVC commits nothing of a
killed run. The kills are real (tests/train_kill.py) on the train stage run as a subprocess.
"""

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mlx.core as mx
import pytest
import yaml

from askbuddyx.data.io import write_jsonl
from askbuddyx.errors import AskBuddyXError
from askbuddyx.train.checkpoint import (
    STEP_PREFIX,
    TMP_PREFIX,
    Checkpoint,
    RunIdentity,
    random_key,
    restore_random_key,
    resume_checkpoint,
)

ITERS, EVERY = 16, 4  # checkpoints after iterations 4, 8 and 12
OUTPUTS = ("adapter/adapters.safetensors", "adapter/adapter_config.json", "train.json",
           "live/plots/metrics/train/loss.tsv", "live/plots/metrics/val/loss.tsv")


def identity(**changes) -> RunIdentity:
    fields = dict(data="d1", base_model={"name": "tiny", "sha256": "w1"},
                  params={"learning_rate": 0.01, "iters": 16})
    return RunIdentity(**{**fields, **changes})


def test_identity_names_what_differs():
    here = identity()
    assert here.differences(identity()) == []
    (data,) = here.differences(identity(data="d2"))
    assert data.startswith("the data")
    (base,) = here.differences(identity(base_model={"name": "tiny", "sha256": "w2"}))
    assert base.startswith("the base model") and "w2" in base
    (params,) = here.differences(identity(params={"learning_rate": 0.02, "iters": 16}))
    assert params == "the params (train.learning_rate 0.02 -> 0.01)"


def checkpoint_at(iteration: int, ident: RunIdentity) -> Checkpoint:
    return Checkpoint(iteration=iteration, identity=ident,
                      weights={"w": mx.array([float(iteration)])},
                      optimizer={"step": mx.array(iteration, mx.uint64)},
                      random_key=[1, 2], progress={"history": {}, "best": {}})


def test_checkpoints_are_renamed_into_place_and_the_newest_wins(tmp_path):
    checkpoint_at(4, identity()).save(tmp_path)
    checkpoint_at(8, identity()).save(tmp_path)
    (tmp_path / f"{TMP_PREFIX}{STEP_PREFIX}0000012").mkdir()  # a write that was killed
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{TMP_PREFIX}{STEP_PREFIX}0000012", f"{STEP_PREFIX}0000008"]
    latest = Checkpoint.latest(tmp_path)
    assert latest.iteration == 8 and latest.weights["w"].item() == 8.0
    assert latest.optimizer["step"].item() == 8 and latest.identity == identity()


def test_a_checkpoint_of_another_run_is_refused_with_what_differs(tmp_path, capsys):
    assert resume_checkpoint(tmp_path, identity()) is None  # none yet: train from the start
    checkpoint_at(4, identity()).save(tmp_path)
    assert resume_checkpoint(tmp_path, identity()).iteration == 4
    other = identity(data="d2", params={"learning_rate": 0.02, "iters": 16})
    with pytest.raises(AskBuddyXError) as refused:
        resume_checkpoint(tmp_path, other)
    message = str(refused.value)
    assert "the data" in message and "train.learning_rate 0.01 -> 0.02" in message
    assert "base model" not in message and str(tmp_path) in message


def test_the_random_key_is_restored_exactly():
    mx.random.seed(7)
    mx.random.uniform(shape=(3,))
    key = random_key()
    expected = mx.random.uniform(shape=(4,))
    mx.random.seed(0)
    restore_random_key(key)
    assert mx.array_equal(mx.random.uniform(shape=(4,)), expected).item()


@pytest.fixture(scope="module")
def project(tmp_path_factory, root, tiny_params):
    """A scratch project: 16 train and 4 valid chats, params for a 16-iteration run that
    checkpoints every 4 iterations and resumes (`train.resume: true`)."""
    from askbuddyx.prompting import build_messages

    work = tmp_path_factory.mktemp("resume")
    chats = [{"messages": build_messages(f"Write a function f{i} that returns {i}",
                                         f"def f{i}():\n    return {i}")} for i in range(20)]
    write_jsonl(work / "ready/train.jsonl", chats[:16])
    write_jsonl(work / "ready/valid.jsonl", chats[16:])
    params = copy.deepcopy(tiny_params)
    params["model"]["path"] = str(root / "assets/models/askbuddyx-tiny-qwen2-4bit")
    params["train"].update(iters=ITERS, warmup=2, batch_size=2, learning_rate=3.0e-3,
                           dropout=0.1, steps_per_report=2, steps_per_eval=EVERY,
                           val_batches=1, max_seq_length=256, resume=True, keep_best=True)
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return work


STAGE_ARGS = ["--data", "ready", "--adapter", "adapter", "--metrics", "train.json",
              "--live", "live"]


def copy_project(project: Path, work: Path) -> Path:
    work.mkdir(exist_ok=True)
    shutil.copytree(project / "ready", work / "ready")
    shutil.copy(project / "params.yaml", work / "params.yaml")
    return work


def train_stage(root, cwd, kill=None, check=True):
    """Run the train stage (under tests/train_kill.py when `kill` is given)."""
    env = dict(os.environ, PYTHONPATH=str(root))
    env.pop("ASKBUDDYX_TEST_KILL", None)
    cmd = [sys.executable, str(root / "stages/train.py"), *STAGE_ARGS]
    if kill:
        env["ASKBUDDYX_TEST_KILL"] = kill
        cmd.insert(1, str(root / "tests/train_kill.py"))
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and out.returncode != 0:
        raise AssertionError(f"{cmd} exited {out.returncode}:\n{out.stdout[-2000:]}\n"
                             f"{out.stderr[-2000:]}")
    return out


def outputs(folder: Path) -> dict:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


@pytest.fixture(scope="module")
def uninterrupted(project, root, tmp_path_factory):
    """The outputs of a run that was never interrupted."""
    work = copy_project(project, tmp_path_factory.mktemp("uninterrupted"))
    train_stage(root, work)
    return outputs(work)


@pytest.mark.slow
def test_kill_while_a_checkpoint_is_written_leaves_the_previous_one(project, root,
                                                                    uninterrupted, tmp_path):
    work = copy_project(project, tmp_path / "run")
    killed = train_stage(root, work, kill=f"commit:{2 * EVERY}", check=False)
    assert killed.returncode == -9, killed.stderr[-2000:]
    ckpts = work / "adapter/checkpoints"
    assert sorted(p.name for p in ckpts.iterdir()) == [
        f"{TMP_PREFIX}{STEP_PREFIX}{2 * EVERY:07d}", f"{STEP_PREFIX}{EVERY:07d}"]
    previous = Checkpoint.latest(ckpts)
    assert previous.iteration == EVERY and previous.weights and previous.optimizer

    # Other params: refused, naming the key, and the checkpoint is kept.
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["train"]["learning_rate"] = 1.0e-3
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    refused = train_stage(root, work, check=False)
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert "train.learning_rate 0.003 -> 0.001" in refused.stderr
    assert Checkpoint.latest(ckpts).iteration == EVERY

    shutil.copy(project / "params.yaml", work / "params.yaml")
    resumed = train_stage(root, work)
    assert f"continuing from the checkpoint at iteration {EVERY}" in resumed.stdout
    assert outputs(work) == uninterrupted
    assert not ckpts.exists()  # a finished run leaves no checkpoint behind
    meta = json.loads((work / "adapter/run_meta.json").read_text())
    assert meta["resumed_from"] == EVERY and meta["adapter_kept"] == "best"


def dvc_project(project, root, work: Path) -> dict:
    """`work` as a git + DVC project whose one stage is the train stage (killable)."""
    copy_project(project, work)
    cmd = " ".join([sys.executable, str(root / "tests/train_kill.py"),
                    str(root / "stages/train.py"), *STAGE_ARGS])
    (work / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"train": {
        "cmd": cmd, "deps": ["ready"], "params": ["train.iters", "train.resume"],
        "outs": ["adapter/adapters.safetensors", "adapter/adapter_config.json",
                 "adapter/run_meta.json"],
        "metrics": [{"train.json": {"cache": False}}]}}}))
    env = dict(os.environ, PYTHONPATH=str(root), DVC_NO_ANALYTICS="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"]):
        subprocess.run(cmd, cwd=work, env=env, check=True, capture_output=True)
    return env


def dvc(work, env, *args, kill=None):
    env = dict(env, ASKBUDDYX_TEST_KILL=kill) if kill else env
    return subprocess.run(["dvc", *args], cwd=work, env=env, capture_output=True, text=True,
                          timeout=600)


def cached_files(work: Path) -> set:
    cache = work / ".dvc/cache"
    return {p.name for p in cache.rglob("*") if p.is_file()} if cache.exists() else set()


@pytest.mark.slow
def test_dvc_repro_killed_after_a_checkpoint_commits_nothing_then_resumes_exactly(
        project, root, uninterrupted, tmp_path):
    env = dvc_project(project, root, tmp_path)
    killed = dvc(tmp_path, env, "repro", kill=f"report:{EVERY + 2}")
    assert killed.returncode != 0, killed.stdout[-2000:]
    # DVC records a stage only after its command exits 0: no lock entry, nothing cached.
    assert not (tmp_path / "dvc.lock").exists()
    assert cached_files(tmp_path) == set()
    status = dvc(tmp_path, env, "status").stdout
    assert "train" in status and "up to date" not in status
    assert Checkpoint.latest(tmp_path / "adapter/checkpoints").iteration == EVERY

    resumed = dvc(tmp_path, env, "repro")
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-2000:]
    assert f"continuing from the checkpoint at iteration {EVERY}" in resumed.stdout
    assert outputs(tmp_path) == uninterrupted
    assert "up to date" in dvc(tmp_path, env, "status").stdout
