"""`askbuddyx eval ...`: the evaluation suites outside DVC, same code as the `evaluate` stage.

    askbuddyx eval run --model M [--adapter A] [--suite format|humaneval|sanity|all]
    askbuddyx eval run --endpoint http://127.0.0.1:8080 --model NAME [--suite ...]
    askbuddyx eval run --model M --adapter A --processes 2     # generation split over 2 ranks
    askbuddyx eval score --responses answers.jsonl --suite humaneval|format

`run` generates and scores, printing the metrics as JSON. Settings not given on the command
line come from params.yaml's `eval` section (active profile) when run from the repository,
else from built-in defaults. `score` scores answers made elsewhere: for humaneval one
{"task_id", "response"} per line (several lines per task: pass@k), for format one
{"prompt", "response"} per line. It exits 0 whenever scoring ran, whatever the score.
"""

from __future__ import annotations

import json
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

DEFAULT_BASE_MODEL_DIR = "assets/models/askbuddyx-tiny-qwen2-4bit"
DEFAULT_HELDOUT = "data/processed/heldout.jsonl"
# Built-in defaults; params.yaml (when present) and then the command line override them.
DEFAULTS = {"max_tokens": 320, "batch_size": 16, "repetition_penalty": 1.0,
            "dequantize": "auto", "humaneval_limit": 20, "samples": 1, "temperature": 0.8,
            "timeout_s": 10.0}


def settings(args, params_file: str = "params.yaml") -> dict:
    """Effective eval settings: command line > params.yaml (active profile) > DEFAULTS."""
    values = dict(DEFAULTS)
    if Path(params_file).is_file():
        from askbuddyx.config import load_stage_params

        p = load_stage_params([f"eval.{k}" for k in DEFAULTS], params_file)
        values.update({k: p[f"eval.{k}"] for k in DEFAULTS})
    for key in DEFAULTS:
        if getattr(args, key, None) is not None:
            values[key] = getattr(args, key)
    return values


def limits_for(timeout_s: float):
    from askbuddyx.eval.sandbox import Limits

    return Limits(wall_s=float(timeout_s), cpu_s=max(1, int(timeout_s) // 2))


def cmd_run(args) -> int:
    from askbuddyx.accel import maybe_reexec_with_openblas

    if not args.endpoint:
        maybe_reexec_with_openblas()
    from askbuddyx.data.io import read_jsonl, write_jsonl
    from askbuddyx.eval.humaneval import load_problems
    from askbuddyx.eval.run import build_cases, evaluate_answerer, evaluate_model, suites_for

    if launched_across_ranks(args):
        return 0  # rank 0 printed the metrics
    from askbuddyx.train.distributed import is_main_rank

    s = settings(args)
    suites = suites_for(args.suite)
    heldout = []
    if "format" in suites:
        path = args.heldout or (DEFAULT_HELDOUT if Path(DEFAULT_HELDOUT).is_file() else None)
        if path is None:
            raise AskBuddyXError("The format suite needs held-out prompts.",
                                 hint="Pass --heldout FILE.jsonl (instruction/input/output "
                                 "records), or run `make prep-data` to make "
                                 f"{DEFAULT_HELDOUT}.")
        heldout = read_jsonl(path)
    problems = load_problems(s["humaneval_limit"]) if "humaneval" in suites else []
    cases = build_cases(heldout, suites, problems)
    limits = limits_for(s["timeout_s"])
    if args.endpoint:
        from askbuddyx.eval.endpoint import endpoint_answerer

        answer = endpoint_answerer(args.endpoint, args.model, s["max_tokens"])
        rates, records = evaluate_answerer(answer, cases, s["samples"], s["temperature"],
                                           limits, args.workers)
    else:
        rates, records = evaluate_model(args.model, args.adapter, cases, s["max_tokens"],
                                        s["batch_size"], s["repetition_penalty"], s["samples"],
                                        s["temperature"], limits, args.workers,
                                        score=is_main_rank(), dequantize=s["dequantize"])
        if not is_main_rank():
            return 0  # this rank generated its share of the answers; rank 0 scores them
    if args.out:
        write_jsonl(Path(args.out), records)
    print(json.dumps(rates, indent=2))
    return 0


def launched_across_ranks(args) -> bool:
    """`--processes N` / `--hostfile H`: run this same command on every rank with mlx.launch
    (each rank generates a share of the answers, rank 0 scores and prints) and return True.
    False inside a rank, or for one process: the caller does the work."""
    from askbuddyx.train.distributed import in_worker, world_size

    if args.endpoint and not in_worker() and (args.processes != 1 or args.hostfile):
        raise AskBuddyXError("--processes/--hostfile split local generation across MLX ranks; "
                             "with --endpoint the server generates.",
                             hint="Drop --processes, or evaluate a local --model.")
    world_size(args.processes, args.hostfile or "", "eval")  # validates before any launch
    import askbuddyx.cli
    from askbuddyx.train.distributed import maybe_launch

    return maybe_launch(args.processes, args.hostfile or "",
                        argv=[askbuddyx.cli.__file__, *args.argv], section="eval")


def read_responses(path: str) -> list:
    from askbuddyx.data.io import read_jsonl, require_file

    require_file(path, "responses file", "Pass --responses FILE.jsonl, one JSON object a line.")
    return read_jsonl(path)


def cmd_score(args) -> int:
    rows = read_responses(args.responses)
    limits = limits_for(args.timeout_s if args.timeout_s is not None else DEFAULTS["timeout_s"])
    if args.suite == "humaneval":
        from askbuddyx.eval.humaneval import load_problems, score_responses

        responses = {}
        for i, row in enumerate(rows, 1):
            text = row.get("response", row.get("completion"))
            if "task_id" not in row or text is None:
                raise AskBuddyXError(f"{args.responses} line {i}: needs task_id and response.",
                                     hint='One {"task_id": "HumanEval/0", "response": "..."} '
                                     "per line.")
            responses.setdefault(row["task_id"], []).append(text)
        metrics, records = score_responses(load_problems(), responses, limits, args.workers)
    else:
        from askbuddyx.eval.run import score_cases

        cases, answers = [], []
        for i, row in enumerate(rows, 1):
            if "prompt" not in row or "response" not in row:
                raise AskBuddyXError(f"{args.responses} line {i}: needs prompt and response.",
                                     hint='One {"prompt": "...", "response": "..."} per line.')
            cases.append({"suite": "format", "prompt": row["prompt"],
                          "expects_format": row.get("expects_format", True)})
            answers.append(row["response"])
        metrics, records = score_cases(cases, answers, limits, args.workers)
    if args.out:
        from askbuddyx.data.io import write_jsonl

        write_jsonl(Path(args.out), records)
    print(json.dumps(metrics, indent=2))
    return 0


def register(sub) -> None:
    """Add `eval run` and `eval score` to the `askbuddyx` parser."""
    p = sub.add_parser("eval", help="evaluate a model, an adapter, a server, or answers")
    eval_sub = p.add_subparsers(dest="eval_command", required=True)

    r = eval_sub.add_parser("run", help="generate answers and score them (JSON on stdout)")
    r.add_argument("--model", default=DEFAULT_BASE_MODEL_DIR,
                   help="local model folder or hub id; with --endpoint: the served model name")
    r.add_argument("--adapter", default=None, help="LoRA adapter folder (local models)")
    r.add_argument("--endpoint", default=None,
                   help="OpenAI-compatible server URL, e.g. http://127.0.0.1:8080")
    r.add_argument("--suite", choices=["format", "humaneval", "sanity", "all"], default="all")
    r.add_argument("--heldout", default=None,
                   help=f"held-out JSONL for the format suite (default {DEFAULT_HELDOUT})")
    r.add_argument("--humaneval-limit", dest="humaneval_limit", type=int, default=None,
                   help="first N HumanEval problems (0: all 164)")
    r.add_argument("--samples", type=int, default=None, help="> 1: also pass@k over samples")
    r.add_argument("--temperature", type=float, default=None, help="for the samples")
    r.add_argument("--max-tokens", dest="max_tokens", type=int, default=None)
    r.add_argument("--batch-size", dest="batch_size", type=int, default=None)
    r.add_argument("--repetition-penalty", dest="repetition_penalty", type=float, default=None)
    r.add_argument("--dequantize", choices=["auto", "true", "false"], default=None,
                   help="generate with float32 weights (auto: on MLX's CPU backend only, "
                   "whose 4-bit matmul does not batch)")
    r.add_argument("--timeout-s", dest="timeout_s", type=float, default=None,
                   help="wall-clock limit per program in the sandbox")
    r.add_argument("--workers", type=int, default=None, help="parallel programs (default: cores)")
    r.add_argument("--processes", type=int, default=1,
                   help="split generation across N local MLX ranks (mlx.launch, ring backend)")
    r.add_argument("--hostfile", default=None,
                   help="mlx.launch hostfile: one rank per host entry (README \"Distributed\")")
    r.add_argument("--out", default=None, help="write per-prompt records to this JSONL")
    r.set_defaults(func=cmd_run)

    s = eval_sub.add_parser("score", help="score answers made elsewhere (JSON on stdout)")
    s.add_argument("--responses", required=True, help="JSONL of answers")
    s.add_argument("--suite", choices=["humaneval", "format"], required=True)
    s.add_argument("--timeout-s", dest="timeout_s", type=float, default=None)
    s.add_argument("--workers", type=int, default=None)
    s.add_argument("--out", default=None, help="write per-answer records to this JSONL")
    s.set_defaults(func=cmd_score)
