"""DVC stage train: LoRA adapter through mlx-lm's trainer, with metrics, loss curve, provenance.

    python stages/train.py --data data/training_ready --adapter outputs/adapters/dev \
        --metrics metrics/train.json --plot metrics/train_loss.csv --live metrics/train_live \
        --base models/base

Outputs that depend on the clock (timestamps, durations, memory, git commit) go to
`<adapter>/run_meta.json` only; adapters.safetensors and the metrics are byte-reproducible.
Loss curves also go to dvclive (`--live`): `dvc plots show` renders them. With
`train.resume: true`, a run interrupted after a validation continues from
`<adapter>/checkpoints/` (see askbuddyx/train/lora.py).
"""

import argparse
import datetime as dt
import subprocess

from askbuddyx.accel import blas_in_use, maybe_reexec_with_openblas
from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.data.io import write_json
from askbuddyx.train.distributed import is_main_rank, maybe_launch, rank_output_dir

PARAMS = (
    "model.path",
    "data.sources",
    "train.seed",
    "train.iters",
    "train.batch_size",
    "train.learning_rate",
    "train.warmup",
    "train.rank",
    "train.alpha",
    "train.dropout",
    "train.num_layers",
    "train.max_seq_length",
    "train.mask_prompt",
    "train.val_batches",
    "train.steps_per_report",
    "train.steps_per_eval",
    "train.patience",
    "train.keep_best",
    "train.resume",
    "train.processes",
    "train.hostfile",
)


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def write_loss_csv(path, train_curve, val_curve) -> None:
    rows = {it: [loss, ""] for it, loss in train_curve}
    for it, loss in val_curve:
        rows.setdefault(it, ["", ""])[1] = loss
    with open(path, "w") as f:
        f.write("iteration,train_loss,val_loss\n")
        for it in sorted(rows):
            f.write(f"{it},{rows[it][0]},{rows[it][1]}\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True)
    parser.add_argument("--adapter", required=True)
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--plot", required=True)
    parser.add_argument("--live", default=None, help="dvclive folder for the loss curves")
    parser.add_argument("--base", default=None,
                        help="load the base model from here (models/base, the fetch_model "
                        "artifact) instead of model.path; model.path is still what is recorded")
    args = parser.parse_args(argv)
    maybe_reexec_with_openblas()
    from askbuddyx.train.lora import run_lora_training

    p = load_stage_params(PARAMS)
    # Distributed (askbuddyx/train/distributed.py): with train.processes > 1 or a hostfile,
    # this process only runs the stage on every rank via mlx.launch; rank 0 writes outputs.
    if maybe_launch(p["train.processes"], p["train.hostfile"], p["train.batch_size"]):
        return
    hp = {k.split(".", 1)[1]: p[k] for k in PARAMS if k.startswith("train.")}
    started = dt.datetime.now(dt.timezone.utc)
    result = run_lora_training(p["model.path"], args.data, rank_output_dir(args.adapter), hp,
                               live_dir=args.live and rank_output_dir(args.live),
                               load_from=args.base)
    finished = dt.datetime.now(dt.timezone.utc)
    if not is_main_rank():  # distributed: rank 0 alone writes metrics and provenance
        return
    write_json(args.metrics, {
        "final_train_loss": round(result["final_train_loss"], 4),
        "final_val_loss": round(result["final_val_loss"], 4),
        "first_val_loss": round(result["first_val_loss"], 4),
        "trainable_parameters": result["trainable_parameters"],
        "total_parameters": result["total_parameters"],
        "trained_tokens": result["trained_tokens"],
        "best_val_loss": round(result["best_val_loss"], 4),
        "best_iteration": result["best_iteration"],
        "early_stopped": result["stopped_at"] is not None,
    })
    write_loss_csv(args.plot, result["train_curve"], result["val_curve"])
    sources = p["data.sources"]
    write_json(f"{args.adapter}/run_meta.json", {
        "model_id": p["model.path"],
        "dataset_ids": [s.get("dataset_id") or s.get("path") for s in sources],
        "data_sources": sources,
        "data_counts": {"train": result["train_examples"], "valid": result["valid_examples"]},
        "hyperparameters": hp,
        "seed": hp["seed"],
        "git_commit": git_commit(),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "training_seconds": result["training_seconds"],
        "final_train_loss": result["final_train_loss"],
        "final_val_loss": result["final_val_loss"],
        "trainable_parameters": result["trainable_parameters"],
        "total_parameters": result["total_parameters"],
        "trainable_percentage": result["trainable_percentage"],
        "peak_memory_gb": result["peak_memory_gb"],
        "blas": blas_in_use(),
        "adapter_kept": result["kept"],  # "best" (train.keep_best) or "last"
        "best_iteration": result["best_iteration"],
        "stopped_at": result["stopped_at"],
        "resumed_from": result["resumed_from"],
    })
    print(f"Adapter saved to {args.adapter}/ (final train loss {result['final_train_loss']:.3f}, "
          f"val loss {result['final_val_loss']:.3f}, {result['training_seconds']:.0f} s)")
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
