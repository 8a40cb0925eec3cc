"""LoRA training through mlx-lm's own trainer (seed 000, section 7.4).

We do not re-implement training: the arguments are mlx-lm's `CONFIG_DEFAULTS` updated with
our hyperparameters, and `mlx_lm.lora.train_model` does the work (LoRA layers, optimizer,
adapter_config.json, adapters.safetensors). We add a `TrainingCallback` that records the loss
curve, so that the stage can write metrics and plots without parsing logs.

`mlx_lm.lora.run` is not used because it replaces the callback it is given.
"""

from __future__ import annotations

import time
import types
from dataclasses import dataclass, field
from pathlib import Path

from askbuddyx.errors import AskBuddyXError


@dataclass
class LossRecorder:
    """An mlx-lm TrainingCallback (duck-typed) that keeps the reported losses."""

    train: list = field(default_factory=list)  # (iteration, loss)
    val: list = field(default_factory=list)
    peak_memory_gb: float = 0.0
    tokens: int = 0
    on_report: object = None  # optional callable(kind, iteration, loss) for live display

    def on_train_loss_report(self, info: dict) -> None:
        self.train.append((int(info["iteration"]), float(info["train_loss"])))
        self.peak_memory_gb = max(self.peak_memory_gb, float(info.get("peak_memory", 0.0)))
        self.tokens = int(info.get("trained_tokens", self.tokens))
        if self.on_report:
            self.on_report("train", info["iteration"], float(info["train_loss"]))

    def on_val_loss_report(self, info: dict) -> None:
        self.val.append((int(info["iteration"]), float(info["val_loss"])))
        if self.on_report:
            self.on_report("val", info["iteration"], float(info["val_loss"]))


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
    ]
    for ok, message in checks:
        if not ok:
            raise AskBuddyXError(f"Invalid hyperparameter: {message}.", hint="Fix params.yaml.")


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
        # mlx-lm's own schedule config: linear warmup, then cosine decay to 10% of the peak
        lr_schedule={
            "name": "cosine_decay",
            "arguments": [float(hp["learning_rate"]), max(1, hp["iters"] - hp["warmup"]),
                          float(hp["learning_rate"]) / 10],
            "warmup": hp["warmup"],
        } if hp["warmup"] > 0 else None,
        steps_per_report=hp["steps_per_report"],
        steps_per_eval=hp["steps_per_eval"],
        save_every=10**9,  # no intermediate checkpoints: only the final adapter is an output
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


def run_lora_training(model_path: str, data_dir: str | Path, adapter_dir: str | Path, hp: dict,
                      recorder: LossRecorder | None = None) -> dict:
    """Train a LoRA adapter with mlx-lm.

    Args:
        model_path: Base model: local folder or hub id.
        data_dir: Folder with train.jsonl and valid.jsonl (mlx-lm's local layout).
        adapter_dir: Output folder for adapters.safetensors and adapter_config.json.
        hp: Hyperparameters (the `train` section of params.yaml).
        recorder: Receives the losses; a new one is made if None.

    Returns:
        dict: losses, parameter counts, timings and peak memory.
    """
    import numpy as np
    from mlx_lm.lora import train_model
    from mlx_lm.tuner.datasets import load_dataset

    from askbuddyx.models import load_model

    validate_hyperparameters(hp)
    data_dir = Path(data_dir)
    for name in ("train.jsonl", "valid.jsonl"):
        if not (data_dir / name).is_file():
            raise AskBuddyXError(f"Training data missing: {data_dir / name}",
                                 hint="Run `dvc repro build_text` first.")
    recorder = recorder or LossRecorder()
    args = mlx_lm_args(model_path, data_dir, adapter_dir, hp)
    model, tokenizer = load_model(model_path)
    train_set, valid_set, _ = load_dataset(args, tokenizer)
    if len(train_set) < hp["batch_size"]:
        raise AskBuddyXError(
            f"Only {len(train_set)} training examples for batch size {hp['batch_size']}.",
            hint="Lower train.batch_size or add data.",
        )
    if args.num_layers > len(model.layers):
        args.num_layers = len(model.layers)  # "all layers" on a model smaller than asked
    # mlx-lm's `run()` seeds numpy (batch order) and `train_model` seeds MLX (LoRA init,
    # dropout); we call `train_model` directly, so seed numpy here too: same seed, same bytes.
    np.random.seed(args.seed)
    start = time.time()
    train_model(args, model, train_set, valid_set, training_callback=recorder)
    seconds = time.time() - start
    trainable, total = count_parameters(model)
    if not recorder.train or recorder.train[-1][1] != recorder.train[-1][1]:  # NaN check
        raise AskBuddyXError(
            "Training loss is NaN: training diverged, or max_seq_length cut every answer token.",
            hint="Lower train.learning_rate, or raise train.max_seq_length.")
    return {
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
    }
