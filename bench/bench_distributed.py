"""Bench 2: data-parallel training on 2 processes vs 1 (mlx.launch, ring backend, 127.0.0.1).

    .venv/bin/python bench/bench_distributed.py [--seconds 90] [--iters 8] [--batch-size 4] \
        [--rounds 2] [--json out.json]

In a scratch copy of the project (data from the fetch/prepare/build_text stages, not timed),
runs the train stage with train.processes = 1 and = 2, alternating, with the same global batch
(each of 2 ranks takes half of it) and iterations, and prints training tokens per second
(trained tokens, summed over ranks, / seconds in mlx-lm's train_model on rank 0) and the
ratio 2 processes / 1. Validation is cut to one batch so that the figure is training.

What bounds it: 2 ranks can at best double throughput when each has a core of its own; they
exchange the LoRA gradients (~39k floats for the embedded model) every step over loopback
TCP, which is cheap here, so on an idle 2-core machine the ratio is bounded by the cores.
On a shared machine it is bounded by the cores the other work leaves: the load average is
printed with each run. The tiny profile (the embedded model).

Sizing (`--seconds`): the first round (1 process, then 2) calibrates how many more rounds (up
to `--rounds`, best of each reported) fit.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (Budget, add_seconds_arg, env, fit, machine, prepare_training_data, run,  # noqa: E402, I001
                     scratch_project, write_json)


def train_once(work: Path, processes: int) -> dict:
    params = yaml.safe_load((work / "params.yaml").read_text())
    params["train"]["processes"] = processes
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    adapter = f"adapter_{processes}"
    start = time.perf_counter()
    run([sys.executable, "stages/train.py", "--data", "data/training_ready", "--adapter",
         adapter, "--metrics", f"train_{processes}.json"],
        work, env(openblas=False))
    wall = time.perf_counter() - start
    meta = json.loads((work / adapter / "run_meta.json").read_text())
    tokens = json.loads((work / f"train_{processes}.json").read_text())["trained_tokens"]
    return {"wall": wall, "tokens": tokens, "seconds": meta["training_seconds"],
            "tps": tokens / meta["training_seconds"], "loss": meta["final_train_loss"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_seconds_arg(parser, 90)
    parser.add_argument("--iters", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2, help="at most; best of each")
    parser.add_argument("--json", default=None, help="write the figures here (flat JSON)")
    args = parser.parse_args(argv)
    budget = Budget(args.seconds)

    def edit(params):
        params["train"].update(iters=args.iters, warmup=min(params["train"]["warmup"],
                                                            args.iters // 4),
                               batch_size=args.batch_size, val_batches=1,
                               steps_per_eval=10**6)

    results = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="bench_dist_") as tmp:
        work = scratch_project(Path(tmp), edit)
        prepare_training_data(work)
        print(f"{args.iters} iters, global batch {args.batch_size}, {machine()}", flush=True)
        rounds, rnd = 1, 0
        while rnd < rounds:
            rnd += 1
            t0 = time.perf_counter()
            for n in ((1, 2) if rnd % 2 else (2, 1)):
                r = train_once(work, n)
                results[n].append(r)
                print(f"round {rnd} processes {n}: {r['tps']:7.1f} tok/s ({r['tokens']} tokens "
                      f"in {r['seconds']:.1f} s; wall {r['wall']:.1f} s; final loss "
                      f"{r['loss']:.3f})  ({machine()})", flush=True)
            if rnd == 1:  # the calibration
                rounds = 1 + fit("one more round (1 + 2 processes)", time.perf_counter() - t0,
                                 budget.left(), 0, args.rounds - 1)
    best = {n: max(results[n], key=lambda r: r["tps"]) for n in results}
    ratio = best[2]["tps"] / best[1]["tps"]
    wall_ratio = best[1]["wall"] / best[2]["wall"]
    print(f"tokens/s, 2 processes / 1: {ratio:.2f}x (best of {rounds}); whole stage wall "
          f"time 1 / 2: {wall_ratio:.2f}x; ideal on 2 idle cores: 2.0x")
    print("limit: 2 cores shared by both ranks and by everything else on the machine "
          f"(load average now {machine()}); see docs/PERFORMANCE.md")
    write_json(args.json, {
        "iters": args.iters, "global_batch_size": args.batch_size, "rounds": rounds,
        "tokens_per_s_1": round(best[1]["tps"], 1), "tokens_per_s_2": round(best[2]["tps"], 1),
        "ratio": round(ratio, 3), "wall_s_1": round(best[1]["wall"], 1),
        "wall_s_2": round(best[2]["wall"], 1), "wall_ratio": round(wall_ratio, 3),
        "target": 2.0, "target_kind": "ideal (no target)", "cores": __import__("os").cpu_count(),
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
