"""DVC stage evaluate_base: the base model alone on every suite, the reference for `evaluate`.

    python stages/evaluate_base.py --base models/base --heldout data/processed/heldout.jsonl \
        --out outputs/eval_base --metrics metrics/eval_base.json

Depends on the base model, the eval params and the prompts only, so a train change never
regenerates these answers. Writes outputs/eval_base/base_responses.jsonl and
metrics/eval_base.json (the base's rates and the settings they were measured under).
"""

import argparse

from askbuddyx.accel import maybe_reexec_with_openblas
from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.eval.compare import evaluate_base
from askbuddyx.eval.config import EvalConfig
from askbuddyx.train.distributed import maybe_launch

PARAMS = ("eval.processes", "eval.hostfile", "eval.max_tokens", "eval.batch_size",
          "eval.repetition_penalty", "eval.dequantize", "eval.humaneval_limit", "eval.samples",
          "eval.candidates", "eval.temperature", "eval.timeout_s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True, help="the base model folder (models/base)")
    parser.add_argument("--heldout", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--metrics", required=True)
    args = parser.parse_args(argv)
    maybe_reexec_with_openblas()
    p = load_stage_params(PARAMS)
    # eval.processes > 1: mlx.launch runs this script on every rank, each generates a share.
    if maybe_launch(p["eval.processes"], p["eval.hostfile"], section="eval"):
        return
    result = evaluate_base(args.base, args.heldout, EvalConfig.from_params(p))
    if result is not None:  # None on ranks other than 0: they only help generate
        result.write(args.out, args.metrics)
        print(result.summary())
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
