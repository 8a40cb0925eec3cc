"""DVC stage train: a LoRA adapter through mlx-lm's trainer (askbuddyx/train/lora.py).

    python stages/train.py --data data/training_ready --adapter outputs/adapters/dev \
        --metrics metrics/train.json --live metrics/train_live --base models/base

Writes the adapter, its metrics (reproducible), run_meta.json (provenance), dvclive's curves.
"""

import argparse
from pathlib import Path

from askbuddyx.accel import cpu_cores, maybe_reexec_with_openblas
from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.data.io import write_json
from askbuddyx.train.distributed import is_main_rank, maybe_launch, rank_output_dir, world_size
from askbuddyx.train.job import Hyperparameters, TrainJob

PARAMS = ("model.path", "data.sources", *Hyperparameters.param_keys())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    for flag in ("--data", "--adapter", "--metrics"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--live", help="dvclive folder for the loss curves")
    parser.add_argument("--base", help="load the base model from here (models/base); "
                        "model.path is still what is recorded")
    args = parser.parse_args(argv)
    p = load_stage_params(PARAMS)
    # Every core for BLAS, shared by the ranks of a run on this machine (one per host else).
    local_ranks = 1 if p["train.hostfile"] else world_size(p["train.processes"])
    maybe_reexec_with_openblas(threads=cpu_cores() // local_ranks)
    if maybe_launch(p["train.processes"], p["train.hostfile"], p["train.batch_size"]):
        return  # rank 0 of the mlx.launch run wrote the outputs
    from askbuddyx.train.lora import train_adapter

    result = train_adapter(TrainJob(
        model=p["model.path"], data_dir=Path(args.data), hp=Hyperparameters.from_params(p),
        adapter_dir=Path(rank_output_dir(args.adapter)), load_from=args.base and Path(args.base),
        live_dir=args.live and Path(rank_output_dir(args.live)), data_sources=p["data.sources"]))
    if is_main_rank():
        write_json(args.metrics, result.metrics())
        write_json(Path(args.adapter) / "run_meta.json", result.run_meta())
        print(f"Adapter saved to {args.adapter}/ ({result.summary()})")
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
