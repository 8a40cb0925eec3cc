"""DVC stage evaluate: base model vs adapter on the seed's prompts and held-out curated prompts.

    python stages/evaluate.py --adapter outputs/adapters/dev \
        --heldout data/processed/heldout.jsonl --out outputs/eval --metrics metrics/eval.json
"""

import argparse
from pathlib import Path

from askbuddyx.accel import maybe_reexec_with_openblas
from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.data.io import read_jsonl, write_json, write_jsonl

PARAMS = ("model.path", "eval.max_tokens", "eval.batch_size", "eval.repetition_penalty")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--adapter", required=True)
    parser.add_argument("--heldout", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--metrics", required=True)
    args = parser.parse_args(argv)
    maybe_reexec_with_openblas()
    from askbuddyx.eval.report import write_report
    from askbuddyx.eval.run import build_cases, compare, evaluate_model

    p = load_stage_params(PARAMS)
    cases = build_cases(read_jsonl(args.heldout))
    results, records = {}, {}
    for name, adapter in (("base", None), ("adapter", args.adapter)):
        print(f"Evaluating {name} on {len(cases)} prompts ...", flush=True)
        results[name], records[name] = evaluate_model(
            p["model.path"], adapter, cases, p["eval.max_tokens"], p["eval.batch_size"],
            p["eval.repetition_penalty"])
    metrics = compare(results["base"], results["adapter"])
    out = Path(args.out)
    for name, rows in records.items():
        write_jsonl(out / f"{name}_responses.jsonl", rows)
    write_report(out, metrics, records)
    write_json(args.metrics, metrics)
    for key, value in metrics["adapter"].items():
        print(f"{key:>26}: base {metrics['base'][key]}  adapter {value}")
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
