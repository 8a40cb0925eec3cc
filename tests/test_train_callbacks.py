"""Training callbacks: dvclive loss curves, early stopping, best-val adapter, resume."""

import json

import pytest

from askbuddyx.train.lora import (
    BEST_FILE,
    CHECKPOINT_DIR,
    CHECKPOINT_FILE,
    STATE_FILE,
    EarlyStop,
    TrainingMonitor,
    run_lora_training,
)

HP = dict(seed=0, iters=6, batch_size=2, learning_rate=1.0e-2, warmup=1, rank=4, alpha=8,
          dropout=0.0, num_layers=-1, max_seq_length=256, mask_prompt=True, val_batches=-1,
          steps_per_report=1, steps_per_eval=2, patience=2, keep_best=True, resume=False)


class FakeModel:
    """Stands in for the model: its 'LoRA weights' change at every step."""

    def __init__(self):
        self.step = 0

    def trainable_parameters(self):
        import mlx.core as mx

        return {"lora_a": mx.array([float(self.step)])}


def test_early_stopping_keeps_best_and_checkpoints(tmp_path):
    model = FakeModel()
    monitor = TrainingMonitor(model=model, patience=2, checkpoint_dir=tmp_path, fingerprint="f")
    losses = {0: 9.0, 10: 3.0, 20: 2.0, 30: 2.5, 40: 2.1}
    with pytest.raises(EarlyStop):
        for it, loss in losses.items():
            model.step = it
            monitor.on_val_loss_report({"iteration": it, "val_loss": loss})
    # iteration 0 (the base model) is a reference, never the best
    assert monitor.best_iteration == 20 and monitor.stopped_at == 40
    assert monitor.best_weights["lora_a"].item() == 20.0
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert state["iteration"] == 40 and state["best_iteration"] == 20
    assert not list(tmp_path.glob("*.tmp*"))  # written then renamed
    import mlx.core as mx

    assert mx.load(str(tmp_path / BEST_FILE))["lora_a"].item() == 20.0
    assert mx.load(str(tmp_path / CHECKPOINT_FILE))["lora_a"].item() == 40.0


def test_patience_zero_never_stops():
    model = FakeModel()
    monitor = TrainingMonitor(model=model, patience=0)
    for it, loss in enumerate([5.0, 4.0, 6.0, 7.0, 8.0, 9.0]):
        monitor.on_val_loss_report({"iteration": it, "val_loss": loss})
    assert monitor.stopped_at is None and monitor.best_iteration == 1


class Interrupted(Exception):
    pass


class InterruptAfterCheckpoint(TrainingMonitor):
    """Simulates a kill right after the checkpoint of iteration `at`."""

    at: int = 3

    def save_checkpoint(self, it):
        super().save_checkpoint(it)
        if it >= self.at:
            raise Interrupted


@pytest.mark.slow
def test_keep_best_dvclive_and_resume(tmp_path, data_dir, root):
    import mlx.core as mx

    from askbuddyx.models import load_model
    from askbuddyx.train.lora import mlx_lm_args, validation_loss

    model = str(root / "assets/models/askbuddyx-tiny-qwen2-4bit")
    adapter = tmp_path / "adapter"
    with pytest.raises(Interrupted):
        run_lora_training(model, data_dir, adapter, HP, recorder=InterruptAfterCheckpoint())
    ckpt = adapter / CHECKPOINT_DIR
    assert json.loads((ckpt / STATE_FILE).read_text())["iteration"] == 3
    assert mx.load(str(ckpt / CHECKPOINT_FILE))  # a complete, loadable file
    assert not (adapter / "adapters.safetensors").exists()

    live = tmp_path / "live"
    result = run_lora_training(model, data_dir, adapter, dict(HP, resume=True), live_dir=live)
    assert result["resumed_from"] == 3
    assert not ckpt.exists()  # a finished run leaves no checkpoint behind
    assert [it for it, _ in result["train_curve"]] == list(range(1, HP["iters"] + 1))
    val_steps = [line.split("\t")[0] for line in
                 (live / "plots/metrics/val/loss.tsv").read_text().splitlines()[1:]]
    assert val_steps == [str(it) for it, _ in result["val_curve"]]
    assert val_steps[-1] == str(HP["iters"])  # the final weights are validated too

    # keep_best: the adapter on disk is the one with the lowest validation loss
    m, tok = load_model(model, adapter_path=str(adapter))
    from mlx_lm.tuner.datasets import load_dataset

    args = mlx_lm_args(model, data_dir, adapter, HP)
    _, valid, _ = load_dataset(args, tok)
    assert validation_loss(m, valid, args) == pytest.approx(result["best_val_loss"], abs=1e-4)
    assert result["best_val_loss"] == min(loss for it, loss in result["val_curve"] if it > 0)


@pytest.mark.slow
def test_early_stopping_run_is_deterministic(tmp_path, data_dir, root):
    model = str(root / "assets/models/askbuddyx-tiny-qwen2-4bit")
    hp = dict(HP, iters=4, patience=1)
    a = run_lora_training(model, data_dir, tmp_path / "a", hp)
    b = run_lora_training(model, data_dir, tmp_path / "b", hp)
    assert a["val_curve"] == b["val_curve"] and a["best_iteration"] == b["best_iteration"]
    assert (tmp_path / "a/adapters.safetensors").read_bytes() == \
        (tmp_path / "b/adapters.safetensors").read_bytes()


@pytest.mark.slow
def test_early_stopping_inside_mlx_lm_training(tmp_path, data_dir, root):
    """A learning rate far too high: val loss jumps, and the run stops at the next validation
    instead of training on; the adapter written is the best one seen."""
    import mlx.core as mx

    model = str(root / "assets/models/askbuddyx-tiny-qwen2-4bit")
    hp = dict(HP, iters=12, learning_rate=0.3, patience=1)
    result = run_lora_training(model, data_dir, tmp_path / "a", hp)
    assert result["stopped_at"] is not None and result["stopped_at"] < hp["iters"]
    assert len(result["train_curve"]) == result["stopped_at"]  # no step after the stop
    assert result["kept"] == "best" and result["best_iteration"] < result["stopped_at"]
    assert mx.load(str(tmp_path / "a/adapters.safetensors"))
    assert not (tmp_path / "a" / CHECKPOINT_DIR).exists()
