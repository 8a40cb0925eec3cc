"""Distributed runs through mlx.launch: validation, failure reporting, and the train stage on
2 ranks (ring backend over TCP on 127.0.0.1) on the embedded model."""

import copy
import csv
import json
import subprocess
import sys

import pytest
import yaml

from askbuddyx.data.io import write_jsonl
from askbuddyx.errors import AskBuddyXError
from askbuddyx.train.distributed import launch, validate_batch_size, world_size


def test_batch_size_must_divide_by_ranks():
    validate_batch_size(4, 2)
    with pytest.raises(AskBuddyXError, match="does not divide by 2 ranks"):
        validate_batch_size(3, 2)


def test_world_size_from_processes_or_hostfile(tmp_path):
    assert world_size(2) == 2
    with pytest.raises(AskBuddyXError, match="integer >= 1"):
        world_size(0)
    with pytest.raises(AskBuddyXError, match="or auto"):
        world_size("two")
    hosts = tmp_path / "hosts.json"
    hosts.write_text(json.dumps([{"ssh": "a", "ips": ["10.0.0.1"]},
                                 {"ssh": "b", "ips": ["10.0.0.2"]}]))
    assert world_size(1, str(hosts)) == 2
    with pytest.raises(AskBuddyXError, match="lists 2 hosts"):
        world_size(3, str(hosts))
    hosts.write_text("{}")
    with pytest.raises(AskBuddyXError, match="not an mlx.launch hostfile"):
        world_size(1, str(hosts))


def test_auto_processes_is_a_rank_per_core_on_a_cpu_up_to_two(monkeypatch):
    import mlx.core as mx

    from askbuddyx import accel

    monkeypatch.setattr(mx, "default_device", lambda: mx.cpu)
    for cores, ranks in ((1, 1), (2, 2), (16, 2)):
        monkeypatch.setattr(accel, "cpu_cores", lambda cores=cores: cores)
        assert world_size("auto", section="eval") == ranks
    monkeypatch.setattr(mx, "default_device", lambda: mx.gpu)
    assert world_size("auto", section="eval") == 1  # one GPU: ranks would only share it


def test_a_failing_rank_is_an_error(tmp_path):
    # mlx.launch itself exits 0 when a rank fails; launch() must not.
    script = tmp_path / "fail.py"
    script.write_text("import mlx.core as mx, sys\n"
                      "sys.exit(3 if mx.distributed.init().rank() == 1 else 0)\n")
    with pytest.raises(AskBuddyXError, match="Distributed run failed"):
        launch([str(script)], 2, timeout=120)


@pytest.mark.slow
def test_train_stage_on_two_ranks(tmp_path, root, tiny_params):
    from askbuddyx.prompting import build_messages

    data = tmp_path / "ready"
    chats = [{"messages": build_messages(f"Write a function f{i} that returns {i}",
                                         f"def f{i}():\n    return {i}")} for i in range(20)]
    write_jsonl(data / "train.jsonl", chats[:16])
    write_jsonl(data / "valid.jsonl", chats[16:])
    params = copy.deepcopy(tiny_params)
    params["model"]["path"] = str(root / "assets/models/askbuddyx-tiny-qwen2-4bit")
    params["train"].update(iters=16, warmup=2, batch_size=4, learning_rate=3.0e-3,
                           steps_per_report=4, steps_per_eval=8, val_batches=1,
                           max_seq_length=256, processes=2, hostfile="")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    out = subprocess.run(
        [sys.executable, str(root / "stages/train.py"), "--data", str(data), "--adapter",
         "adapter", "--metrics", "train.json", "--live", "live"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    log = out.stdout[-3000:] + out.stderr[-3000:]
    assert out.returncode == 0, log
    assert "2 local ranks, ring backend on 127.0.0.1" in out.stdout, log
    assert "2 local rank(s) finished" in out.stdout, log
    assert (tmp_path / "adapter/adapters.safetensors").stat().st_size > 0
    meta = json.loads((tmp_path / "adapter/run_meta.json").read_text())
    assert meta["hyperparameters"]["processes"] == 2
    with open(tmp_path / "live/plots/metrics/train/loss.tsv") as f:  # dvclive's curve
        train_losses = [float(r["loss"]) for r in csv.DictReader(f, delimiter="\t")]
    assert len(train_losses) == 4
    assert train_losses[-1] < train_losses[0], train_losses
