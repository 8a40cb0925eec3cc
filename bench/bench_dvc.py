"""Bench 5: DVC bookkeeping cost, and what an eval-only param change reruns.

    .venv/bin/python bench/bench_dvc.py [--seconds 120] [--rounds 3] [--json out.json]

In a scratch git + DVC copy of the project on a small slice (as tests/test_pipeline_e2e.py
does): one full `dvc repro` (timed, for reference), then `rounds` no-op `dvc repro` runs
(nothing changed: DVC hashes deps, params and outs and runs nothing; best and median shown),
then `eval.max_tokens` is changed and we record which stages `dvc status` reports changed and
which `dvc repro` actually runs. Must be: the evaluations (evaluate, and evaluate_base, which
reads the eval params too) and the stages downstream of them (bundle, publish), nothing
upstream (no retraining, no data stage). The tiny profile (the pipeline's plumbing, not the model).

Sizing (`--seconds`): the full repro and one no-op repro are always run (the first no-op is
the calibration); further no-op rounds, up to `--rounds`, as fit in what is left once the
eval change (estimated from the full repro) is set aside.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Budget, add_seconds_arg, env, fit, machine, run, scratch_project, write_json  # noqa: E402, I001

EVAL_STAGES = ("evaluate", "evaluate_base")  # the stages that read the eval params
# What the eval-change repro is set aside as, a part of the full repro: it reruns the two
# evaluations and bundle, not the data stages and training (the rest of a full repro).
CHANGE_SHARE_OF_FULL = 0.6


def small(params: dict) -> None:
    params["data"]["sources"][0]["limit"] = 150
    params["data"]["curated_holdout"] = 3
    params["data"]["val_fraction"] = 0.05
    params["train"].update(iters=4, warmup=1, batch_size=2, steps_per_report=2,
                           steps_per_eval=2, val_batches=2, max_seq_length=384)
    params["eval"].update(max_tokens=16, batch_size=8)
    if "humaneval_limit" in params["eval"]:  # evaluation with HumanEval (issue 4)
        params["eval"]["humaneval_limit"] = 2


def downstream(dvc: dict, stage: str) -> set:
    """`stage` and every stage that (transitively) depends on one of its outputs."""
    def outs(name):
        s = dvc["stages"][name]
        return {next(iter(o)) if isinstance(o, dict) else o
                for key in ("outs", "metrics", "plots") for o in s.get(key, [])}

    found, changed = {stage}, True
    while changed:
        changed = False
        produced = set().union(*(outs(s) for s in found))
        for name, s in dvc["stages"].items():
            if name not in found and any(
                    d == p or d.startswith(p.rstrip("/") + "/") or p.startswith(d.rstrip("/") + "/")
                    for d in s.get("deps", []) for p in produced):
                found.add(name)
                changed = True
    return found


def ran(output: str) -> set:
    return {line.split("'")[1] for line in output.splitlines()
            if line.startswith("Running stage '")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_seconds_arg(parser, 120)
    parser.add_argument("--rounds", type=int, default=3, help="no-op repro rounds at most")
    parser.add_argument("--json", default=None, help="write the figures here (flat JSON)")
    args = parser.parse_args(argv)
    budget = Budget(args.seconds)
    e = env(openblas=False)  # the stages choose their BLAS themselves, as under `make run`
    with tempfile.TemporaryDirectory(prefix="bench_dvc_") as tmp:
        work = scratch_project(Path(tmp), small)
        run(["git", "init", "-q"], work, e)
        run(["dvc", "init", "-q"], work, e)
        t = time.perf_counter()
        full_ran = ran(run(["dvc", "repro"], work, e))
        full = time.perf_counter() - t
        print(f"full dvc repro (small slice): {full:.1f} s, ran {sorted(full_ran)}  ({machine()})")
        noop, noop_ran = [], set()
        rounds = args.rounds
        while len(noop) < rounds:
            t = time.perf_counter()
            noop_ran |= ran(run(["dvc", "repro"], work, e))
            noop.append(time.perf_counter() - t)
            if len(noop) == 1:  # the calibration
                rounds = 1 + fit("one more no-op dvc repro", noop[0], budget.left(),
                                 0, args.rounds - 1, fixed_s=CHANGE_SHARE_OF_FULL * full)
        print(f"no-op dvc repro: best {min(noop):.2f} s, median {statistics.median(noop):.2f} s "
              f"(runs: {', '.join(f'{x:.2f}' for x in noop)}); stages run: {sorted(noop_ran)}")
        params = yaml.safe_load((work / "params.yaml").read_text())
        params["eval"]["max_tokens"] += 1
        (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        status = set(json.loads(run(["dvc", "status", "--json"], work, e).splitlines()[-1]
                                or "{}"))
        t = time.perf_counter()
        change_ran = ran(run(["dvc", "repro"], work, e))
        change = time.perf_counter() - t
        dvc = yaml.safe_load((work / "dvc.yaml").read_text())
        allowed = set().union(*(downstream(dvc, s) for s in EVAL_STAGES if s in dvc["stages"]))
    ok = "evaluate" in change_ran and change_ran <= allowed and not noop_ran
    print(f"eval.max_tokens changed: dvc status reports {sorted(status)}; dvc repro ran "
          f"{sorted(change_ran)} in {change:.1f} s; allowed (the evaluations and downstream): "
          f"{sorted(allowed)}: {'MET' if ok else 'NOT MET'}")
    write_json(args.json, {
        "full_repro_s": round(full, 2), "noop_rounds": len(noop),
        "noop_repro_s": round(min(noop), 2),
        "noop_repro_median_s": round(statistics.median(noop), 2),
        "noop_stages_run": ",".join(sorted(noop_ran)),
        "eval_param_status_changed": ",".join(sorted(status)),
        "eval_param_reran": ",".join(sorted(change_ran)), "eval_param_repro_s": round(change, 2),
        "allowed": ",".join(sorted(allowed)), "met": ok,
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
