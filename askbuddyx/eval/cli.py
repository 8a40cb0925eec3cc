"""`askbuddyx eval ...`: the evaluation suites: outside DVC, same code as the `evaluate` stage."""

from __future__ import annotations

import json

DEFAULT_BASE_MODEL_DIR = "assets/models/askbuddyx-tiny-qwen2-4bit"


def cmd_eval(args) -> int:
    from askbuddyx.accel import maybe_reexec_with_openblas

    maybe_reexec_with_openblas()
    from askbuddyx.data.io import read_jsonl
    from askbuddyx.eval.run import build_cases, evaluate_model

    heldout = read_jsonl(args.heldout) if args.heldout else []
    rates, _ = evaluate_model(args.model, args.adapter, build_cases(heldout), args.max_tokens,
                              args.batch_size, args.repetition_penalty)
    print(json.dumps(rates, indent=2))
    return 0


def register(sub) -> None:
    """Add the `eval` subcommand to the `askbuddyx` parser."""
    p = sub.add_parser("eval", help="run the evaluation suites on a model (+ adapter)")
    p.add_argument("--model", default=DEFAULT_BASE_MODEL_DIR)
    p.add_argument("--adapter", default=None)
    p.add_argument("--heldout", default=None, help="JSONL of held-out records (format suite)")
    p.add_argument("--max-tokens", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--repetition-penalty", type=float, default=1.0)
    p.set_defaults(func=cmd_eval)
