"""LoRA training through mlx-lm's own trainer (seed 000, section 7.4).

We do not re-implement training: the arguments are mlx-lm's `CONFIG_DEFAULTS` updated with
our hyperparameters, and `mlx_lm.lora.train_model` does the work (LoRA layers, optimizer,
adapter_config.json, adapters.safetensors). What mlx-lm lacks we add through its
`TrainingCallback` hooks (`TrainingMonitor`):

- the loss curve, kept in memory for metrics and logged to dvclive (`dvc plots show`);
- early stopping on validation loss (`train.patience` evaluations without improvement);
- the best-validation adapter (`train.keep_best`), written instead of the last weights;
- checkpoints at every validation (write to a temporary file, then rename, so an interrupted
  run never leaves a half-written adapter), from which `train.resume` continues.

`mlx_lm.lora.run` is not used because it replaces the callback it is given.

Run it through DVC (`dvc repro train`) or `stages/train.py`; tests call `run_lora_training`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

CHECKPOINT_DIR = "checkpoints"  # inside the adapter folder; not a DVC output, so it survives
CHECKPOINT_FILE = "last_adapters.safetensors"
BEST_FILE = "best_adapters.safetensors"
STATE_FILE = "state.json"
# Keys that change neither what is trained nor how: a checkpoint made with other values of
# these is still a valid starting point.
_NOT_FINGERPRINTED = ("resume", "steps_per_report")


class EarlyStop(Exception):
    """Raised from the callback to leave mlx-lm's training loop (it has no stop hook)."""


class FinalValidationDone(Exception):
    """Raised after the validation of the final weights, made inside mlx-lm's loop (see
    `run_lora_training`): leaves the loop before the one extra iteration it was given."""


@dataclass
class LossRecorder:
    """An mlx-lm TrainingCallback (duck-typed) that keeps the reported losses."""

    train: list = field(default_factory=list)  # (iteration, loss)
    val: list = field(default_factory=list)
    peak_memory_gb: float = 0.0
    tokens: int = 0
    on_report: object = None  # optional callable(kind, iteration, loss) for live display
    offset: int = 0  # iterations already done before this run (resume)

    def on_train_loss_report(self, info: dict) -> None:
        it = int(info["iteration"]) + self.offset
        self.train.append((it, float(info["train_loss"])))
        self.peak_memory_gb = max(self.peak_memory_gb, float(info.get("peak_memory", 0.0)))
        self.tokens = int(info.get("trained_tokens", 0)) + self._tokens_before
        if self.on_report:
            self.on_report("train", it, float(info["train_loss"]))

    def on_val_loss_report(self, info: dict) -> None:
        it = int(info["iteration"]) + self.offset
        if self.val and self.val[-1][0] == it:
            return  # a resumed run validates its starting point again: already recorded
        self.val.append((it, float(info["val_loss"])))
        if self.on_report:
            self.on_report("val", it, float(info["val_loss"]))

    _tokens_before: int = 0


def _atomic_save_safetensors(path: Path, weights: dict) -> None:
    """Write then rename: a reader never sees a half-written file."""
    import mlx.core as mx

    tmp = path.with_name(path.stem + ".tmp.safetensors")
    mx.save_safetensors(str(tmp), weights)
    os.replace(tmp, path)


def _atomic_write_json(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


@dataclass
class TrainingMonitor(LossRecorder):
    """LossRecorder plus dvclive logging, best-adapter tracking, early stopping, checkpoints.

    Iteration 0's validation is the base model (LoRA's B matrices start at zero, so the adapter
    is a no-op): it is logged as the reference but is never the "best" adapter and does not
    start the patience count.

    Args (fields):
        model: The model being trained (read at each validation to snapshot its LoRA weights).
        live: A `dvclive.Live` or None.
        patience: Stop after this many validations in a row without a lower val loss (0: off).
        checkpoint_dir: Where to write the last/best checkpoints and state.json (None: don't).
        fingerprint: Identifies the run's config; stored with the checkpoint for `resume`.
    """

    model: object = None
    live: object = None
    patience: int = 0
    checkpoint_dir: Path | None = None
    fingerprint: str = ""
    best_loss: float = float("inf")
    best_iteration: int | None = None
    best_weights: dict | None = None
    bad_evals: int = 0
    stopped_at: int | None = None
    final_iteration: int | None = None  # set when mlx-lm's loop validates the final weights

    def on_train_loss_report(self, info: dict) -> None:
        super().on_train_loss_report(info)
        self._log("train/loss", *self.train[-1])

    def on_val_loss_report(self, info: dict) -> None:
        before = len(self.val)
        super().on_val_loss_report(info)
        if len(self.val) == before:
            return
        it, loss = self.val[-1]
        self._log("val/loss", it, loss)
        if it == 0 or self.model is None:
            return
        self.consider(it, loss, self.current_weights())
        self.save_checkpoint(it)
        if it == self.final_iteration:
            raise FinalValidationDone
        if self.patience and self.bad_evals >= self.patience:
            self.stopped_at = it
            raise EarlyStop(f"val loss did not improve for {self.bad_evals} evaluations")

    def current_weights(self) -> dict:
        from mlx.utils import tree_flatten

        # MLX arrays are immutable and the optimizer assigns new ones, so references are a
        # snapshot: no copy needed.
        return dict(tree_flatten(self.model.trainable_parameters()))

    def consider(self, it: int, loss: float, weights: dict) -> None:
        """Track the lowest validation loss and its weights."""
        if loss < self.best_loss:
            self.best_loss, self.best_iteration, self.best_weights = loss, it, weights
            self.bad_evals = 0
            if self.checkpoint_dir is not None:
                self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
                _atomic_save_safetensors(self.checkpoint_dir / BEST_FILE, weights)
        else:
            self.bad_evals += 1

    def save_checkpoint(self, it: int) -> None:
        if self.checkpoint_dir is None:
            return
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        _atomic_save_safetensors(self.checkpoint_dir / CHECKPOINT_FILE, self.current_weights())
        _atomic_write_json(self.checkpoint_dir / STATE_FILE, {
            "iteration": it, "fingerprint": self.fingerprint, "train": self.train,
            "val": self.val, "tokens": self.tokens, "best_loss": self.best_loss,
            "best_iteration": self.best_iteration, "bad_evals": self.bad_evals,
        })

    def _log(self, name: str, it: int, loss: float) -> None:
        if self.live is not None:
            self.live.step = it
            self.live.log_metric(name, round(loss, 6))


class ShiftedSchedule(float):
    """The learning-rate schedule of an uninterrupted run, `offset` steps in (for resume).

    A float (the peak rate) so that mlx-lm can write it to adapter_config.json, and callable
    so that MLX's optimizer uses it as a schedule.
    """

    def __new__(cls, peak: float, schedule, offset: int):
        obj = super().__new__(cls, peak)
        obj.schedule, obj.offset = schedule, offset
        return obj

    def __call__(self, step):
        return self.schedule(step + self.offset)


def validate_hyperparameters(hp: dict) -> None:
    """Fail before loading anything when a hyperparameter cannot work."""
    # Before the range checks: comparing the string "2e-5" with 0 would raise a TypeError.
    if not isinstance(hp["learning_rate"], (int, float)):
        raise AskBuddyXError(
            f"train.learning_rate is {hp['learning_rate']!r}, not a number.",
            hint="YAML reads 2e-5 as a string: write 2.0e-5.",
        )
    checks = [
        (hp["iters"] >= 1, "train.iters must be >= 1"),
        (hp["batch_size"] >= 1, "train.batch_size must be >= 1"),
        (hp["learning_rate"] > 0, "train.learning_rate must be > 0 (write 2.0e-5, not 2e-5)"),
        (hp["rank"] >= 1, "train.rank must be >= 1"),
        (0 <= hp["warmup"] < hp["iters"], "train.warmup must be in [0, train.iters)"),
        (hp["alpha"] > 0, "train.alpha must be > 0"),
        (0 <= hp["dropout"] < 1, "train.dropout must be in [0, 1)"),
        (hp["max_seq_length"] >= 16, "train.max_seq_length must be >= 16"),
        (hp.get("patience", 0) >= 0, "train.patience must be >= 0 (0 turns it off)"),
    ]
    for ok, message in checks:
        if not ok:
            raise AskBuddyXError(f"Invalid hyperparameter: {message}.", hint="Fix params.yaml.")


def lr_schedule_config(hp: dict) -> dict | None:
    """mlx-lm's schedule config: linear warmup, then cosine decay to 10% of the peak."""
    if hp["warmup"] <= 0:
        return None
    lr = float(hp["learning_rate"])
    return {"name": "cosine_decay", "arguments": [lr, max(1, hp["iters"] - hp["warmup"]), lr / 10],
            "warmup": hp["warmup"]}


def mlx_lm_args(model: str, data_dir: str, adapter_dir: str, hp: dict) -> types.SimpleNamespace:
    """mlx-lm's LoRA arguments: its defaults, updated with ours (same keys as `mlx_lm lora -c`)."""
    from mlx_lm.lora import CONFIG_DEFAULTS

    args = dict(CONFIG_DEFAULTS)
    args.update(
        model=model,
        data=str(data_dir),
        adapter_path=str(adapter_dir),
        train=True,
        fine_tune_type="lora",
        seed=hp["seed"],
        num_layers=hp["num_layers"],
        batch_size=hp["batch_size"],
        iters=hp["iters"],
        val_batches=hp["val_batches"],
        learning_rate=float(hp["learning_rate"]),
        lr_schedule=lr_schedule_config(hp),
        steps_per_report=hp["steps_per_report"],
        steps_per_eval=hp["steps_per_eval"],
        # mlx-lm's own saves write in place; our callback checkpoints (write then rename)
        save_every=10**9,
        max_seq_length=hp["max_seq_length"],
        grad_checkpoint=False,
        mask_prompt=bool(hp["mask_prompt"]),
        lora_parameters={
            "rank": hp["rank"],
            "dropout": float(hp["dropout"]),
            "scale": float(hp["alpha"]) / hp["rank"],  # LoRA alpha / rank
        },
    )
    return types.SimpleNamespace(**args)


def count_parameters(model) -> tuple[int, int]:
    """(trainable, total) parameters; total counts quantized weights at full size."""
    from mlx.utils import tree_flatten
    from mlx_lm.utils import get_total_parameters

    trainable = sum(v.size for _, v in tree_flatten(model.trainable_parameters()))
    return trainable, get_total_parameters(model)


def run_fingerprint(model_path: str, data_dir: Path, hp: dict) -> str:
    """Hash of what determines the trained weights: a checkpoint only resumes the same run."""
    h = hashlib.sha256()
    h.update(json.dumps({"model": str(model_path), "hp": {k: v for k, v in sorted(hp.items())
                                                        if k not in _NOT_FINGERPRINTED}},
                        sort_keys=True, default=str).encode())
    for name in ("train.jsonl", "valid.jsonl"):
        h.update((data_dir / name).read_bytes())
    return h.hexdigest()[:16]


def load_checkpoint(checkpoint_dir: Path, fingerprint: str, iters: int) -> dict | None:
    """The checkpoint state to resume from, or None (with the reason printed)."""
    state_file = checkpoint_dir / STATE_FILE
    if not state_file.is_file() or not (checkpoint_dir / CHECKPOINT_FILE).is_file():
        print(f"train.resume: no checkpoint in {checkpoint_dir}; training from the start.")
        return None
    state = json.loads(state_file.read_text())
    if state.get("fingerprint") != fingerprint:
        print("train.resume: the checkpoint is from another model, dataset or hyperparameters; "
              "training from the start.")
        return None
    if not 0 < state["iteration"] < iters:
        return None
    return state


def make_live(live_dir: str | Path | None):
    """A dvclive logger writing TSV loss curves under live_dir (None: no logging)."""
    if live_dir is None:
        return None
    from dvclive import Live

    class FilesOnlyLive(Live):
        """dvclive as a TSV writer only: our dvc.yaml declares the plots and `dvc exp run`
        records experiments. Its own DVC/git integration is skipped: we use none of it, and
        it fails in a git repo without commits (scmrepo's "Empty git repo")."""

        def _init_dvc(self):
            pass

    return FilesOnlyLive(str(live_dir), dvcyaml=None, save_dvc_exp=False, report=None,
                         monitor_system=False)


def validation_loss(model, valid_set, args) -> float:
    """mlx-lm's validation loss of the model as it is now (same batches as during training)."""
    from mlx_lm.tuner.datasets import CacheDataset
    from mlx_lm.tuner.trainer import evaluate

    return evaluate(model=model, dataset=CacheDataset(valid_set), batch_size=args.batch_size,
                    num_batches=args.val_batches, max_seq_length=args.max_seq_length)


def run_lora_training(model_path: str, data_dir: str | Path, adapter_dir: str | Path, hp: dict,
                      recorder: LossRecorder | None = None, live_dir: str | Path | None = None,
                      load_from: str | Path | None = None) -> dict:
    """Train a LoRA adapter with mlx-lm.

    Args:
        model_path: Base model: local folder or hub id.
        data_dir: Folder with train.jsonl and valid.jsonl (mlx-lm's local layout).
        adapter_dir: Output folder for adapters.safetensors and adapter_config.json.
        hp: Hyperparameters (the `train` section of params.yaml). Optional keys: `patience`
            (0), `keep_best` (False), `resume` (False).
        recorder: Receives the losses; a new TrainingMonitor is made if None.
        live_dir: dvclive folder for the loss curves (None: no dvclive logging).
        load_from: Load the weights from this folder (the fetch_model artifact) while
            `model_path` names the model in adapter_config.json and the fingerprint.

    Returns:
        dict: losses, parameter counts, timings, peak memory, best/stop iterations.
    """
    import mlx.core as mx
    import numpy as np
    from mlx_lm.lora import train_model
    from mlx_lm.tuner.datasets import load_dataset
    from mlx_lm.tuner.utils import build_schedule

    from askbuddyx.models import load_model

    validate_hyperparameters(hp)
    data_dir, adapter_dir = Path(data_dir), Path(adapter_dir)
    for name in ("train.jsonl", "valid.jsonl"):
        if not (data_dir / name).is_file():
            raise AskBuddyXError(f"Training data missing: {data_dir / name}",
                                 hint="Run `dvc repro build_text` first.")
    checkpoint_dir = adapter_dir / CHECKPOINT_DIR
    fingerprint = run_fingerprint(model_path, data_dir, hp)
    state = load_checkpoint(checkpoint_dir, fingerprint, hp["iters"]) if hp.get("resume") \
        else None
    if state is None and checkpoint_dir.exists():
        shutil.rmtree(checkpoint_dir)  # a stale checkpoint must not mix with this run's
    recorder = recorder or TrainingMonitor()
    args = mlx_lm_args(model_path, data_dir, adapter_dir, hp)
    model, tokenizer = load_model(str(load_from or model_path))
    train_set, valid_set, _ = load_dataset(args, tokenizer)
    if len(train_set) < hp["batch_size"]:
        raise AskBuddyXError(
            f"Only {len(train_set)} training examples for batch size {hp['batch_size']}.",
            hint="Lower train.batch_size or add data.",
        )
    if args.num_layers > len(model.layers):
        args.num_layers = len(model.layers)  # "all layers" on a model smaller than asked
    start_it = 0
    if state is not None:
        start_it = state["iteration"]
        print(f"train.resume: continuing from the checkpoint at iteration {start_it} "
              f"of {hp['iters']}.")
        args.resume_adapter_file = str(checkpoint_dir / CHECKPOINT_FILE)
        args.iters = hp["iters"] - start_it
        # Same learning rate as an uninterrupted run at each step: the schedule, shifted.
        if args.lr_schedule:
            args.learning_rate = ShiftedSchedule(args.learning_rate,
                                                 build_schedule(args.lr_schedule), start_it)
            args.lr_schedule = None
        recorder.train = [tuple(x) for x in state["train"]]
        recorder.val = [tuple(x) for x in state["val"]]
        recorder.offset, recorder._tokens_before = start_it, state["tokens"]
    live = make_live(live_dir)
    if isinstance(recorder, TrainingMonitor):
        recorder.model, recorder.live, recorder.patience = model, live, hp.get("patience", 0)
        recorder.checkpoint_dir, recorder.fingerprint = checkpoint_dir, fingerprint
        if state is not None:
            recorder.best_loss = state["best_loss"]
            recorder.best_iteration = state["best_iteration"]
            recorder.bad_evals = state["bad_evals"]
            if state["best_iteration"] is not None:
                recorder.best_weights = dict(mx.load(str(checkpoint_dir / BEST_FILE)))
            for kind, curve in (("train/loss", recorder.train), ("val/loss", recorder.val)):
                for it, loss in curve:
                    recorder._log(kind, it, loss)
    # mlx-lm validates before its last step, never after it. Rather than one more validation
    # pass after the loop (it cost +25% wall time over `mlx_lm lora` at 60 iterations, see
    # bench/bench_train.py), give the loop one extra iteration: the validation mlx-lm makes
    # before it is the final weights' one, and the callback leaves the loop there. Only when
    # the last real step is a report step, so that the train-loss curve still ends there.
    in_loop = isinstance(recorder, TrainingMonitor) and args.iters % args.steps_per_report == 0
    if in_loop:
        recorder.final_iteration = hp["iters"]
        args.iters += 1
    # mlx-lm's `run()` seeds numpy (batch order) and `train_model` seeds MLX (LoRA init,
    # dropout); we call `train_model` directly, so seed numpy here too: same seed, same bytes.
    # A resumed run cannot replay the interrupted run's batch order, so it takes a new one.
    np.random.seed(args.seed + start_it)
    start = time.time()
    try:
        train_model(args, model, train_set, valid_set, training_callback=recorder)
    except FinalValidationDone:
        pass
    except EarlyStop as stop:
        print(f"Early stopping at iteration {recorder.stopped_at}: {stop} "
              f"(train.patience={recorder.patience}).")
    if start_it or in_loop:
        # mlx-lm wrote the resumed run's arguments (or iters + 1); write the whole run's.
        from mlx_lm.utils import save_config

        save_config(vars(mlx_lm_args(model_path, data_dir, adapter_dir, hp)),
                    adapter_dir / "adapter_config.json")
    seconds = time.time() - start
    trainable, total = count_parameters(model)
    if not recorder.train or recorder.train[-1][1] != recorder.train[-1][1]:  # NaN check
        raise AskBuddyXError(
            "Training loss is NaN: training diverged, or max_seq_length cut every answer token.",
            hint="Lower train.learning_rate, or raise train.max_seq_length.")
    result = {"best_iteration": None, "stopped_at": None, "kept": "last"}
    if isinstance(recorder, TrainingMonitor):
        last_it = recorder.stopped_at or hp["iters"]
        if recorder.stopped_at is None and not (in_loop and recorder.val
                                                and recorder.val[-1][0] == last_it):
            # mlx-lm validates before the last step, never after it: validate the final weights
            # so that they can compete for "best" and final_val_loss describes the saved adapter.
            final_val = validation_loss(model, valid_set, args)
            if recorder.val and recorder.val[-1][0] == last_it:
                recorder.val[-1] = (last_it, final_val)
            else:
                recorder.val.append((last_it, final_val))
                recorder._log("val/loss", last_it, final_val)
            recorder.consider(last_it, final_val, recorder.current_weights())
        weights = recorder.current_weights()
        if hp.get("keep_best") and recorder.best_weights is not None:
            weights, result["kept"] = recorder.best_weights, "best"
        _atomic_save_safetensors(adapter_dir / "adapters.safetensors", weights)
        result.update(best_iteration=recorder.best_iteration, stopped_at=recorder.stopped_at,
                      best_val_loss=recorder.best_loss)
        if live is not None:
            live.end()
    # The run finished: its checkpoint is of no more use, and must not leak into the next run.
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    result.update({
        "final_train_loss": recorder.train[-1][1],
        "final_val_loss": recorder.val[-1][1] if recorder.val else None,
        "first_val_loss": recorder.val[0][1] if recorder.val else None,
        "train_curve": recorder.train,
        "val_curve": recorder.val,
        "trainable_parameters": trainable,
        "total_parameters": total,
        "trainable_percentage": round(100.0 * trainable / total, 4),
        "trained_tokens": recorder.tokens,
        "training_seconds": round(seconds, 2),
        "peak_memory_gb": round(recorder.peak_memory_gb, 3),
        "train_examples": len(train_set),
        "valid_examples": len(valid_set),
        "num_layers": args.num_layers,
        "resumed_from": start_it or None,
    })
    return result
