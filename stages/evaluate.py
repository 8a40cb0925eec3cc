"""DVC stage evaluate: base model vs adapter on every suite, then the publish gate.

    python stages/evaluate.py --adapter outputs/adapters/dev \
        --heldout data/processed/heldout.jsonl --out outputs/eval --metrics metrics/eval.json

Suites (askbuddyx/eval/run.py): the seed's sanity and compile prompts, format checks and
sandboxed execution on held-out prompts, HumanEval pass@1 (and pass@k when eval.samples > 1).
metrics/eval.json holds base, adapter, delta, the settings, and `gate_passed` + `gate`.
"""

import argparse
from pathlib import Path

from askbuddyx.accel import maybe_reexec_with_openblas
from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.data.io import read_jsonl, write_json, write_jsonl
from askbuddyx.train.distributed import is_main_rank, maybe_launch

PARAMS = ("model.path", "eval.processes", "eval.hostfile", "eval.max_tokens", "eval.batch_size",
          "eval.repetition_penalty", "eval.dequantize",
          "eval.humaneval_limit", "eval.samples", "eval.temperature", "eval.timeout_s",
          "eval.gate.format_metric", "eval.gate.min_format_rate", "eval.gate.max_pass_at_1_drop")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--adapter", required=True)
    parser.add_argument("--heldout", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--metrics", required=True)
    args = parser.parse_args(argv)
    maybe_reexec_with_openblas()
    from askbuddyx.eval.cli import limits_for
    from askbuddyx.eval.gate import check_gate
    from askbuddyx.eval.humaneval import load_problems
    from askbuddyx.eval.report import write_report
    from askbuddyx.eval.run import build_cases, compare, evaluate_model

    p = load_stage_params(PARAMS)
    # eval.processes > 1 (or a hostfile): this script runs on every rank via mlx.launch; each
    # rank generates a share of the answers (askbuddyx/eval/distributed.py), rank 0 scores them
    # and writes every output.
    if maybe_launch(p["eval.processes"], p["eval.hostfile"], section="eval"):
        return
    main_rank = is_main_rank()
    problems = load_problems(p["eval.humaneval_limit"])
    cases = build_cases(read_jsonl(args.heldout), humaneval_problems=problems)
    limits = limits_for(p["eval.timeout_s"])
    results, records = {}, {}
    for name, adapter in (("base", None), ("adapter", args.adapter)):
        print(f"Evaluating {name} on {len(cases)} prompts ...", flush=True)
        results[name], records[name] = evaluate_model(
            p["model.path"], adapter, cases, p["eval.max_tokens"], p["eval.batch_size"],
            p["eval.repetition_penalty"], p["eval.samples"], p["eval.temperature"], limits,
            score=main_rank, dequantize=p["eval.dequantize"])
    if not main_rank:
        return
    metrics = compare(results["base"], results["adapter"])
    metrics["settings"] = {"humaneval_problems": len(problems), "samples": p["eval.samples"],
                           "heldout_prompts": sum(c["suite"] == "format" for c in cases)}
    metrics.update(check_gate(metrics, p["eval.gate.format_metric"],
                              p["eval.gate.min_format_rate"], p["eval.gate.max_pass_at_1_drop"]))
    out = Path(args.out)
    for name, rows in records.items():
        write_jsonl(out / f"{name}_responses.jsonl", rows)
    write_report(out, metrics, records)
    write_json(args.metrics, metrics)
    for key, value in metrics["adapter"].items():
        print(f"{key:>30}: base {metrics['base'][key]}  adapter {value}")
    gate = metrics["gate"]
    print(f"gate: {'PASSED' if metrics['gate_passed'] else 'FAILED'}"
          + (f" ({gate['failed_because']})" if gate["failed_because"] else ""))
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
