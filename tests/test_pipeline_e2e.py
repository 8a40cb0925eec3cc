"""End to end: `dvc repro` of the real dvc.yaml on a small slice, in a scratch copy of the repo.

Checks the wiring the unit tests cannot: every stage runs, outputs and metrics appear, a second
repro runs nothing, an eval-only param change reruns only the evaluations (and bundle, which
reads their metrics), and a train param change leaves the data stages and the base model's
evaluation alone.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import compose_tiny_params

pytestmark = pytest.mark.slow

COPY = ["askbuddyx", "stages", "assets", "dvc.yaml", "MODEL_CARD.md",
        "LICENSE-THIRD-PARTY.md"]


def chat(*exchanges):
    return {"messages": [m for user, answer in exchanges
                         for m in ({"role": "user", "content": user},
                                   {"role": "assistant", "content": answer})]}


def run(cmd, cwd, env):
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"{cmd} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout + out.stderr


def ran(output):
    return {line.split("'")[1] for line in output.splitlines()
            if line.startswith("Running stage '")}


@pytest.fixture(scope="module")
def project(tmp_path_factory, root):
    work = tmp_path_factory.mktemp("pipeline")
    for name in COPY:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, work / name)
    params = compose_tiny_params(work / "params.yaml")
    params["data"]["sources"][0]["limit"] = 150
    # exported chats, as `askbuddyx export-chats` writes them (see the last test)
    (work / "data/sources").mkdir(parents=True)
    (work / "data/sources/chats.jsonl").write_text(json.dumps(chat(
        ("Write a function that doubles a number", "def double(x):\n    return 2 * x"))) + "\n")
    params["data"]["sources"].append({"name": "chats", "kind": "local",
                                      "path": "data/sources/chats.jsonl"})
    params["data"]["curated_holdout"] = 3
    params["data"]["val_fraction"] = 0.05
    params["train"].update(iters=4, warmup=1, batch_size=2, steps_per_report=2, steps_per_eval=2,
                           val_batches=2, max_seq_length=384)
    params["eval"].update(max_tokens=16, batch_size=8)
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=path)
    run(["git", "init", "-q"], work, env)
    run(["dvc", "init", "-q"], work, env)
    return work, env


def test_full_repro_then_nothing_to_do(project):
    work, env = project
    out = run(["dvc", "repro"], work, env)
    assert ran(out) == {"fetch_model", "fetch_data", "prepare_data", "build_text", "train",
                        "evaluate_base", "evaluate", "bundle", "publish"}
    for path in ["outputs/adapters/dev/adapters.safetensors", "outputs/adapters/dev/run_meta.json",
                 "outputs/hf_bundle/README.md", "outputs/eval/report.md", "metrics/data.json",
                 "metrics/train.json", "data/training_ready/valid.jsonl",
                 "models/base/config.json", "outputs/publish/plan.json",
                 "metrics/train_live/plots/metrics/val/loss.tsv", "metrics/eval_base.json",
                 "outputs/eval_base/base_responses.jsonl", "outputs/eval/base_vs_adapter.png"]:
        assert (work / path).is_file(), path
    eval_metrics = yaml.safe_load((work / "metrics/eval.json").read_text())
    assert set(eval_metrics) == {"base", "adapter", "delta", "settings", "gate_passed", "gate"}
    assert isinstance(eval_metrics["gate_passed"], bool)
    base = yaml.safe_load((work / "metrics/eval_base.json").read_text())
    assert eval_metrics["base"] == base["base"]  # the adapter is compared with those scores
    assert ran(run(["dvc", "repro"], work, env)) == set()
    assert "up to date" in run(["dvc", "status"], work, env)


def set_param(work, section, key, value):
    params = yaml.safe_load((work / "params.yaml").read_text())
    params[section][key] = value
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def test_eval_param_reruns_only_evaluation_on(project):
    work, env = project
    set_param(work, "eval", "max_tokens", 12)
    stages = ran(run(["dvc", "repro"], work, env))
    assert {"evaluate_base", "evaluate"} <= stages <= {"evaluate_base", "evaluate", "bundle",
                                                       "publish"}


def test_train_param_leaves_data_stages_alone(project):
    work, env = project
    set_param(work, "train", "iters", 2)
    stages = ran(run(["dvc", "repro"], work, env))
    assert {"train", "evaluate"} <= stages
    # the base model's answers are not regenerated for a new adapter
    assert not stages & {"fetch_model", "fetch_data", "prepare_data", "build_text",
                         "evaluate_base"}


def test_an_appended_chat_reruns_the_pipeline_and_trains_on_every_answer(project):
    """Issue 15: exported chats are a DVC dep; a 3-turn chat gives 3 trained answers."""
    work, env = project
    answers = ["def triple(x):\n    return 3 * x",
               "def triple(x: int) -> int:\n    return 3 * x",
               "def triple(x: int) -> int:\n    \"\"\"Three times x.\"\"\"\n    return 3 * x"]
    with open(work / "data/sources/chats.jsonl", "a") as f:
        f.write(json.dumps(chat(("Write a function that triples a number", answers[0]),
                                ("Add type hints", answers[1]),
                                ("And a docstring", answers[2]))) + "\n")
    status = run(["dvc", "status"], work, env)
    assert "fetch_data:" in status and "data/sources" in status, status
    stages = ran(run(["dvc", "repro"], work, env))
    assert {"fetch_data", "prepare_data", "build_text", "train"} <= stages
    rows = [json.loads(line) for line in
            (work / "data/training_ready/train.jsonl").read_text().splitlines()]
    trained = [r["messages"] for r in rows if "triples" in r["messages"][1]["content"]]
    assert sorted(m[-1]["content"] for m in trained) == sorted(answers)
    assert sorted(len(m) for m in trained) == [3, 5, 7]  # system + the turns up to each answer
