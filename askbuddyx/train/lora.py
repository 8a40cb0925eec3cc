"""LoRA training through mlx-lm's trainer (seed 000, section 7.4).

    from askbuddyx.train.lora import Hyperparameters, TrainJob, train_adapter
    result = train_adapter(TrainJob(model="assets/models/askbuddyx-tiny-qwen2-4bit",
                                    data_dir=Path("data/training_ready"),
                                    adapter_dir=Path("outputs/adapters/dev"),
                                    hp=Hyperparameters(seed=0, iters=240, ...)))
    result.metrics(), result.run_meta()

mlx-lm does the training: its arguments are mlx-lm's `CONFIG_DEFAULTS` updated with ours (what
`mlx_lm lora -c` reads), its `linear_to_lora_layers` makes the LoRA layers and its
`tuner.trainer.train` runs the loop. What `mlx_lm.lora.train_model` does around that loop we do
here (`attach_lora`), because a checkpoint must hold the optimizer's state, which
`train_model` keeps to itself, and the position in the batch stream, which only a batch
iterator of our own (`BatchStream`) knows. The rest comes in as mlx-lm TrainingCallbacks
(askbuddyx/train/callbacks.py): dvclive curves, best-validation adapter, early stopping and
exact-resume checkpoints (askbuddyx/train/checkpoint.py).

Training on CPUs (`train.dequantize`): MLX's CPU backend multiplies 4-bit weights about one row
at a time, so QLoRA there is several times slower than the same LoRA over float32 weights. With
`auto`, on the CPU backend only, the quantized base is replaced by its exact dequantized float32
values before the LoRA layers are attached: the same function as QLoRA's on-the-fly
dequantization, summed in another order. Metal and CUDA keep QLoRA (fast quantized kernels).
Only the LoRA weights are saved, under the same names, so the adapter loads over the 4-bit base.

Run it through DVC (`dvc repro train`) or `stages/train.py`.
"""

from __future__ import annotations

import math
import shutil
import time
import types
from dataclasses import asdict, dataclass
from pathlib import Path

import mlx.core as mx
import mlx.optimizers as optim
from mlx.utils import tree_flatten
from mlx_lm.cli_ui import make_console, print_lora_run_header
from mlx_lm.tuner.datasets import CacheDataset, load_dataset
from mlx_lm.tuner.trainer import TrainingArgs, evaluate, train
from mlx_lm.tuner.utils import build_schedule, linear_to_lora_layers, print_trainable_parameters
from mlx_lm.utils import get_total_parameters, save_config

from askbuddyx.errors import AskBuddyXError
from askbuddyx.models import dequantize_for_generation, load_model, wants_float_weights
from askbuddyx.train import callbacks as cb
from askbuddyx.train.checkpoint import (
    BatchStream,
    Checkpoint,
    RunIdentity,
    resume_checkpoint,
    save_safetensors_atomic,
)
from askbuddyx.train.job import Hyperparameters, TrainJob
from askbuddyx.train.result import Provenance, TrainResult, utc_now

CHECKPOINT_DIR = "checkpoints"  # inside the adapter folder; not a DVC output, so it survives


def lr_schedule_config(hp: Hyperparameters) -> dict | None:
    """mlx-lm's schedule config: linear warmup, then cosine decay to 10% of the peak."""
    if hp.warmup <= 0:
        return None
    lr = float(hp.learning_rate)
    return {"name": "cosine_decay", "arguments": [lr, max(1, hp.iters - hp.warmup), lr / 10],
            "warmup": hp.warmup}


def mlx_lm_args(model: str, data_dir, adapter_dir, hp: Hyperparameters) -> types.SimpleNamespace:
    """mlx-lm's LoRA arguments: its defaults, updated with ours (same keys as `mlx_lm lora -c`)."""
    # Imported here, not at the top: importing mlx_lm.lora adds a float resolver to PyYAML's
    # SafeLoader for the whole process (mlx_lm/lora.py), which importing this module must not.
    from mlx_lm.lora import CONFIG_DEFAULTS

    args = dict(CONFIG_DEFAULTS)
    args.update(
        model=model, data=str(data_dir), adapter_path=str(adapter_dir), train=True,
        fine_tune_type="lora", seed=hp.seed, num_layers=hp.num_layers,
        batch_size=hp.batch_size, iters=hp.iters, val_batches=hp.val_batches,
        learning_rate=float(hp.learning_rate), lr_schedule=lr_schedule_config(hp),
        steps_per_report=hp.steps_per_report, steps_per_eval=hp.steps_per_eval,
        # mlx-lm's own saves write in place; our checkpoints write then rename
        save_every=10**9,
        max_seq_length=hp.max_seq_length, grad_checkpoint=False,
        mask_prompt=bool(hp.mask_prompt),
        lora_parameters={"rank": hp.rank, "dropout": float(hp.dropout),
                         "scale": float(hp.alpha) / hp.rank},  # LoRA alpha / rank
    )
    return types.SimpleNamespace(**args)


def loop_iterations(hp: Hyperparameters) -> int:
    """How many iterations mlx-lm's loop is given.

    mlx-lm validates before its last step, never after it. Rather than one more validation
    pass after the loop (+25% wall time over `mlx_lm lora` at 60 iterations, see
    bench/bench_train.py), the loop gets one extra iteration: the validation before it is the
    final weights' one, and `Stopper` leaves the loop there. Only when the last real step is a
    report step, so that the train-loss curve still ends there.
    """
    return hp.iters + 1 if hp.iters % hp.steps_per_report == 0 else hp.iters


def validates_before(step: int, hp: Hyperparameters, loop_iters: int) -> bool:
    """Whether mlx-lm's loop validates before `step` (counted from 1): before the first step,
    every steps_per_eval steps and the last."""
    return step == 1 or step % hp.steps_per_eval == 0 or step == loop_iters


def count_parameters(model) -> tuple[int, int]:
    """(trainable, total) parameters; total counts quantized weights at full size."""
    trainable = sum(v.size for _, v in tree_flatten(model.trainable_parameters()))
    return trainable, get_total_parameters(model)


def load_base(job: TrainJob):
    """(model, tokenizer, dequantized): the base model, float32 where `train.dequantize` says."""
    wanted = wants_float_weights(job.hp.dequantize, key="train.dequantize")
    model, tokenizer = load_model(str(job.load_from or job.model))
    return model, tokenizer, wanted and dequantize_for_generation(model)


def attach_lora(model, args):
    """What `mlx_lm.lora.train_model` does before its loop: seed MLX (LoRA init, dropout),
    freeze the base, LoRA layers on the last `num_layers` blocks; returns its optimizer (Adam,
    mlx-lm's default, with the learning-rate schedule)."""
    mx.random.seed(args.seed)
    model.freeze()
    linear_to_lora_layers(model, args.num_layers, args.lora_parameters)
    if mx.distributed.init().rank() == 0:
        print_lora_run_header(make_console(), args)
    print_trainable_parameters(model)
    return optim.Adam(learning_rate=build_schedule(args.lr_schedule) if args.lr_schedule
                      else args.learning_rate)


def training_args(args, iters: int):
    """mlx-lm's TrainingArgs for a loop of `iters` iterations."""
    return TrainingArgs(
        batch_size=args.batch_size, iters=iters, val_batches=args.val_batches,
        steps_per_report=args.steps_per_report, steps_per_eval=args.steps_per_eval,
        steps_per_save=args.save_every, max_seq_length=args.max_seq_length,
        adapter_file=Path(args.adapter_path) / "adapters.safetensors",
        grad_checkpoint=args.grad_checkpoint,
        grad_accumulation_steps=args.grad_accumulation_steps)


def validation_loss(model, valid_set, args, batches) -> float:
    """mlx-lm's validation loss of the model as it is now, over `batches` (a BatchStream: the
    same batches as the validations during training)."""
    return evaluate(model=model, dataset=CacheDataset(valid_set), batch_size=args.batch_size,
                    num_batches=args.val_batches, max_seq_length=args.max_seq_length,
                    iterate_batches=batches)


def check_data(data_dir: Path) -> None:
    for name in ("train.jsonl", "valid.jsonl"):
        if not (data_dir / name).is_file():
            raise AskBuddyXError(f"Training data missing: {data_dir / name}",
                                 hint="Run `dvc repro build_text` first.")


@dataclass
class Monitors:
    """The callbacks of one run (askbuddyx/train/callbacks.py) and `callbacks`, their chain."""

    history: cb.LossHistory
    best: cb.BestAdapter
    stopper: cb.Stopper
    live: cb.LiveCurves | None
    callbacks: cb.Callbacks

    @classmethod
    def build(cls, job: TrainJob, model, optimizer, identity: RunIdentity,
              checkpoint: Checkpoint | None) -> Monitors:
        hp, start = job.hp, checkpoint.iteration if checkpoint else 0
        progress = checkpoint.progress if checkpoint else {"history": {}, "best": {}}
        history = cb.LossHistory(**progress["history"])
        best = cb.BestAdapter(model, **progress["best"],
                              weights=checkpoint.best_weights if checkpoint else None)
        loop_iters = loop_iterations(hp)
        stopper = cb.Stopper(best, hp.patience, last_iteration=hp.iters,
                             leave_loop=loop_iters > hp.iters)
        live = cb.LiveCurves(cb.make_live(job.live_dir)) if job.live_dir else None
        if live is not None:
            live.replay(history)
        checkpointer = cb.Checkpointer(job.adapter_dir / CHECKPOINT_DIR, hp.steps_per_eval,
                                       hp.iters, identity, model, optimizer, history, best)
        chain = [c for c in (history, live, best, stopper, checkpointer) if c is not None]
        return cls(history, best, stopper, live, cb.Callbacks(
            chain, start=start, tokens_before=history.tokens,
            start_validated=validates_before(start + 1, hp, loop_iters)))


def run_loop(job: TrainJob, model, optimizer, sets, args, monitors: Monitors, start: int,
             batches) -> None:
    """mlx-lm's training loop from iteration `start`; then the final weights' validation, when
    the loop did not make it."""
    train_set, valid_set = sets
    try:
        train(model=model, optimizer=optimizer, train_dataset=CacheDataset(train_set),
              val_dataset=CacheDataset(valid_set),
              args=training_args(args, loop_iterations(job.hp) - start),
              iterate_batches=batches, training_callback=monitors.callbacks)
    except cb.FinalValidationDone:
        pass
    except cb.EarlyStop as stop:
        print(f"Early stopping at iteration {monitors.stopper.stopped_at}: {stop} "
              f"(train.patience={job.hp.patience}).")
    val = monitors.history.val
    if monitors.stopper.stopped_at is None and len(valid_set) and val[-1][0] != job.hp.iters:
        monitors.callbacks.validated(job.hp.iters,
                                     validation_loss(model, valid_set, args, batches))


def load_splits(args, tokenizer, hp: Hyperparameters) -> tuple:
    """mlx-lm's train and valid datasets, tokenized."""
    train_set, valid_set, _ = load_dataset(args, tokenizer)
    if len(train_set) < hp.batch_size:
        raise AskBuddyXError(f"Only {len(train_set)} training examples for batch size "
                             f"{hp.batch_size}.", hint="Lower train.batch_size or add data.")
    return train_set, valid_set


def start_or_resume(root: Path, identity: RunIdentity, resume: bool) -> Checkpoint | None:
    """The checkpoint to resume from (`train.resume`), else None with any old one deleted: a
    stale checkpoint must not mix with this run."""
    checkpoint = resume_checkpoint(root, identity) if resume else None
    if checkpoint is None:
        shutil.rmtree(root, ignore_errors=True)
    return checkpoint


def write_adapter(adapter_dir: Path, model, monitors: Monitors, keep_best: bool) -> str:
    """Write adapters.safetensors: the best-validation weights with `keep_best` (when there
    are some), else the last. Returns which ("best" or "last")."""
    history, best = monitors.history, monitors.best
    if not history.train or math.isnan(history.train[-1][1]):
        raise AskBuddyXError(
            "Training loss is NaN: training diverged, or max_seq_length cut every answer token.",
            hint="Lower train.learning_rate, or raise train.max_seq_length.")
    kept = "best" if keep_best and best.weights is not None else "last"
    save_safetensors_atomic(adapter_dir / "adapters.safetensors",
                            best.weights if kept == "best" else cb.lora_weights(model))
    return kept


def train_adapter(job: TrainJob) -> TrainResult:
    """Train a LoRA adapter; resume from `<adapter_dir>/checkpoints` with `hp.resume`.

    Writes adapters.safetensors and adapter_config.json; returns the result with its metrics
    and provenance. A run that finishes deletes its checkpoints.
    """
    hp, started, adapter_dir = job.hp, utc_now(), Path(job.adapter_dir)
    check_data(Path(job.data_dir))
    model, tokenizer, dequantized = load_base(job)
    args = mlx_lm_args(job.model, job.data_dir, adapter_dir, hp)
    train_set, valid_set = load_splits(args, tokenizer, hp)
    args.num_layers = min(args.num_layers, len(model.layers))  # "all" on a smaller model
    identity = RunIdentity.of(job.model, job.load_from or job.model, Path(job.data_dir),
                              hp.identity_params(dequantized))
    checkpoint = start_or_resume(adapter_dir / CHECKPOINT_DIR, identity, hp.resume)
    optimizer = attach_lora(model, args)
    start = checkpoint.iteration if checkpoint else 0
    if checkpoint is not None:
        checkpoint.restore(model, optimizer)
    adapter_dir.mkdir(parents=True, exist_ok=True)
    save_config(vars(args), adapter_dir / "adapter_config.json")
    monitors = Monitors.build(job, model, optimizer, identity, checkpoint)
    clock = time.perf_counter()
    run_loop(job, model, optimizer, (train_set, valid_set), args, monitors, start,
             BatchStream(hp.seed, skip=start))
    seconds = time.perf_counter() - clock
    kept = write_adapter(adapter_dir, model, monitors, hp.keep_best)
    if monitors.live is not None:
        monitors.live.live.end()
    shutil.rmtree(adapter_dir / CHECKPOINT_DIR, ignore_errors=True)  # of no more use
    trainable, total = count_parameters(model)
    history, best = monitors.history, monitors.best
    return TrainResult(
        train_curve=history.train, val_curve=history.val, trained_tokens=history.tokens,
        peak_memory_gb=round(history.peak_memory_gb, 3), best_iteration=best.iteration,
        best_val_loss=best.loss if best.iteration is not None else None,
        stopped_at=monitors.stopper.stopped_at, kept=kept, trainable_parameters=trainable,
        total_parameters=total, train_examples=len(train_set), valid_examples=len(valid_set),
        num_layers=args.num_layers, resumed_from=start or None,
        training_seconds=round(seconds, 2),
        provenance=Provenance.collect(started_at=started, model_id=job.model,
                                      data_sources=job.data_sources,
                                      hyperparameters=asdict(hp), dequantized=dequantized))
