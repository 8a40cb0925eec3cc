"""Training callbacks: the chain and its iteration offset, best adapter, early stopping,
checkpoints; then dvclive curves, keep_best and early stopping inside mlx-lm's loop."""

import math
from pathlib import Path

import mlx.core as mx
import pytest

from askbuddyx.train.callbacks import (
    BestAdapter,
    Callbacks,
    Checkpointer,
    EarlyStop,
    FinalValidationDone,
    LossHistory,
    Stopper,
)
from askbuddyx.train.checkpoint import Checkpoint, RunIdentity
from askbuddyx.train.job import Hyperparameters, TrainJob
from askbuddyx.train.lora import CHECKPOINT_DIR, train_adapter

HP = dict(seed=0, iters=6, batch_size=2, learning_rate=1.0e-2, warmup=1, rank=4, alpha=8,
          dropout=0.0, num_layers=-1, max_seq_length=256, mask_prompt=True, val_batches=-1,
          steps_per_report=1, steps_per_eval=2, patience=2, keep_best=True, resume=False)


class FakeModel:
    """Stands in for the model: its 'LoRA weights' change at every step."""

    def __init__(self):
        self.step = 0

    def trainable_parameters(self):
        return {"lora_a": mx.array([float(self.step)])}


def validate(chain, model, losses: dict) -> None:
    for it, loss in losses.items():
        model.step = it
        chain.on_val_loss_report({"iteration": it, "val_loss": loss})


def test_best_adapter_and_early_stopping():
    model = FakeModel()
    best = BestAdapter(model)
    stopper = Stopper(best, patience=2, last_iteration=100)
    with pytest.raises(EarlyStop):
        validate(Callbacks([best, stopper]), model, {0: 9.0, 10: 3.0, 20: 2.0, 30: 2.5, 40: 2.1})
    # iteration 0 (the base model) is a reference, never the best
    assert best.iteration == 20 and stopper.stopped_at == 40
    assert best.weights["lora_a"].item() == 20.0 and best.state()["bad_evals"] == 2


def test_patience_zero_never_stops_and_the_last_iteration_is_no_early_stop():
    model = FakeModel()
    best = BestAdapter(model)
    stopper = Stopper(best, patience=0, last_iteration=5)
    validate(Callbacks([best, stopper]), model, dict(enumerate([5.0, 4.0, 6.0, 7.0, 8.0, 9.0])))
    assert stopper.stopped_at is None and best.iteration == 1
    late = Stopper(BestAdapter(model, bad_evals=3), patience=1, last_iteration=5)
    late.on_val_loss_report({"iteration": 5, "val_loss": 1.0})  # nothing left to stop
    with pytest.raises(FinalValidationDone):
        Stopper(best, last_iteration=5, leave_loop=True).on_val_loss_report(
            {"iteration": 5, "val_loss": 1.0})


def test_a_resumed_chain_counts_from_the_checkpoint():
    history = LossHistory(train=[[2, 3.0]], tokens=100)
    chain = Callbacks([history], start=2, tokens_before=100, start_validated=False)
    chain.on_val_loss_report({"iteration": 0, "val_loss": 9.0})  # the resumed weights again
    chain.on_train_loss_report({"iteration": 2, "train_loss": 2.5, "trained_tokens": 40})
    chain.on_val_loss_report({"iteration": 2, "val_loss": 2.0})
    assert history.train == [[2, 3.0], [4, 2.5]] and history.val == [[4, 2.0]]
    assert history.tokens == 140


def test_checkpoints_only_at_multiples_of_every_before_the_end(tmp_path):
    model = FakeModel()
    optimizer = type("Opt", (), {"state": {"step": mx.array(0, mx.uint64)}})()
    history, best = LossHistory(), BestAdapter(model)
    ident = RunIdentity(data="d", base_model={"name": "m", "sha256": None}, params={})
    chain = Callbacks([history, Checkpointer(tmp_path, 4, 8, ident, model, optimizer, history,
                                             best)])
    for it in range(2, 9, 2):
        model.step = it
        chain.on_train_loss_report({"iteration": it, "train_loss": 1.0, "trained_tokens": it})
    saved = Checkpoint.latest(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["step-0000004"]  # not 8: the run ends
    assert saved.weights["lora_a"].item() == 4.0 and saved.progress["history"]["tokens"] == 4
    assert math.isinf(saved.progress["best"]["loss"])


def train(root, data_dir, adapter_dir, live_dir=None, **hp):
    return train_adapter(TrainJob(model=str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"),
                                  data_dir=data_dir, adapter_dir=Path(adapter_dir),
                                  hp=Hyperparameters(**dict(HP, **hp)), live_dir=live_dir))


@pytest.mark.slow
def test_keep_best_and_dvclive_curves(tmp_path, data_dir, root):
    from mlx_lm.tuner.datasets import load_dataset

    from askbuddyx.models import load_model
    from askbuddyx.train.checkpoint import BatchStream
    from askbuddyx.train.lora import mlx_lm_args, validation_loss

    live = tmp_path / "live"
    result = train(root, data_dir, tmp_path / "adapter", live_dir=live, patience=0)
    assert [it for it, _ in result.train_curve] == list(range(1, HP["iters"] + 1))
    val_steps = [line.split("\t")[0] for line in
                 (live / "plots/metrics/val/loss.tsv").read_text().splitlines()[1:]]
    assert val_steps == [str(it) for it, _ in result.val_curve]
    assert val_steps[-1] == str(HP["iters"])  # the final weights are validated too
    assert not (tmp_path / "adapter" / CHECKPOINT_DIR).exists()

    # keep_best: the adapter on disk is the one with the lowest validation loss
    model_path = str(root / "assets/models/askbuddyx-tiny-qwen2-4bit")
    m, tok = load_model(model_path, adapter_path=str(tmp_path / "adapter"))
    hp = Hyperparameters(**HP)
    args = mlx_lm_args(model_path, data_dir, tmp_path / "adapter", hp)
    _, valid, _ = load_dataset(args, tok)
    assert validation_loss(m, valid, args, BatchStream(hp.seed)) == \
        pytest.approx(result.best_val_loss, abs=1e-3)
    assert result.best_val_loss == min(loss for it, loss in result.val_curve if it > 0)


@pytest.mark.slow
def test_early_stopping_inside_mlx_lm_training_is_deterministic(tmp_path, data_dir, root):
    """A learning rate far too high: val loss jumps, and the run stops at the next validation
    instead of training on; the adapter written is the best one seen, the same bytes twice."""
    hp = dict(iters=12, learning_rate=0.3, patience=1)
    a = train(root, data_dir, tmp_path / "a", **hp)
    b = train(root, data_dir, tmp_path / "b", **hp)
    assert a.stopped_at is not None and a.stopped_at < hp["iters"]
    assert len(a.train_curve) == a.stopped_at  # no step after the stop
    assert a.kept == "best" and a.best_iteration < a.stopped_at
    assert a.metrics()["early_stopped"] is True
    assert a.val_curve == b.val_curve
    assert (tmp_path / "a/adapters.safetensors").read_bytes() == \
        (tmp_path / "b/adapters.safetensors").read_bytes()
