"""DVC stage evaluate: the adapter on every suite, against the base model's scores, and the gate.

    python stages/evaluate.py --base models/base --adapter outputs/adapters/dev \
        --heldout data/processed/heldout.jsonl --base-metrics metrics/eval_base.json \
        --out outputs/eval --metrics metrics/eval.json

The base's scores come from the evaluate_base stage (refused if measured under other
settings). metrics/eval.json holds base, adapter, delta, settings and `gate_passed` + `gate`;
outputs/eval/ the adapter's answers, report.md and base_vs_adapter.png.
"""

import argparse

from askbuddyx.accel import maybe_reexec_with_openblas
from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.eval.compare import evaluate_adapter
from askbuddyx.eval.config import EvalConfig
from askbuddyx.eval.gate import GateConfig
from askbuddyx.train.distributed import maybe_launch

PARAMS = ("eval.processes", "eval.hostfile", "eval.max_tokens", "eval.batch_size",
          "eval.repetition_penalty", "eval.dequantize", "eval.humaneval_limit", "eval.samples",
          "eval.candidates", "eval.temperature", "eval.timeout_s", "eval.gate.format_metric",
          "eval.gate.min_format_rate", "eval.gate.max_pass_at_1_drop")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    for flag in ("--base", "--adapter", "--heldout", "--base-metrics", "--out", "--metrics"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args(argv)
    maybe_reexec_with_openblas()
    p = load_stage_params(PARAMS)
    # eval.processes > 1: mlx.launch runs this script on every rank, each generates a share.
    if maybe_launch(p["eval.processes"], p["eval.hostfile"], section="eval"):
        return
    comparison = evaluate_adapter(args.base, args.adapter, args.heldout, args.base_metrics,
                                  EvalConfig.from_params(p), GateConfig.from_params(p))
    if comparison is not None:  # None on ranks other than 0: they only help generate
        comparison.write(args.out, args.metrics)
        print(comparison.summary())
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
