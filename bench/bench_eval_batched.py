"""Bench: evaluation generation batched (mlx-lm batch_generate) vs one prompt at a time.

    .venv/bin/python bench/bench_eval_batched.py [--prompts N] [--max-tokens N] \
        [--batch-size N] [--adapter outputs/adapters/dev]     (run from the repository root)

The evaluate stage's own prompts (the seed's sanity and compile prompts, the held-out format
prompts, the first eval.humaneval_limit HumanEval problems: run `make run` first), same greedy
decoding and repetition penalty as the stage, on the embedded base model and the adapter. Batched:
`askbuddyx.eval.run.generate_answers` (what the stage uses). One at a time: mlx-lm's
`generate` per prompt. Also shown: plain `batch_generate` on the whole batch (no prefix
reuse, no length sorting), to separate what batching alone gives from what the stage's
shared-system-prompt cache and length-sorted prefill add. Both ways use the stage's weights:
float32 on MLX's CPU backend (`eval.dequantize: auto`); when they are, the stage's batched
path is also timed with the 4-bit weights as loaded, to show what dequantizing adds.
Target: batched >= 3x faster.
"""

import argparse
import statistics
import time
from pathlib import Path

from askbuddyx.accel import maybe_reexec_with_openblas
from askbuddyx.config import load_yaml

TARGET = 3.0
MODEL = "assets/models/askbuddyx-tiny-qwen2-4bit"
ADAPTER = "outputs/adapters/dev"
HELDOUT = "data/processed/heldout.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=0,
                        help="0 (default): the evaluate stage's own prompts, when "
                        f"{HELDOUT} exists; N: sanity + compile + HumanEval prompts, N in all")
    # Defaults: the evaluate stage's own settings (params.yaml, embedded profile).
    stage = load_yaml("params.yaml")["eval"]
    parser.add_argument("--max-tokens", type=int, default=stage["max_tokens"])
    parser.add_argument("--batch-size", type=int, default=stage["batch_size"])
    parser.add_argument("--repetition-penalty", type=float,
                        default=stage["repetition_penalty"])
    parser.add_argument("--dequantize", choices=["auto", "true", "false"],
                        default=str(stage["dequantize"]).lower())
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--adapter", default=ADAPTER if Path(ADAPTER).is_dir() else "",
                        help="the stage generates with the base model and with the adapter; "
                        "both are timed when this folder exists ('' : base model only)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", default=None, help="write the figures here (flat JSON)")
    args = parser.parse_args()
    maybe_reexec_with_openblas()
    from mlx_lm import generate
    from mlx_lm.sample_utils import make_logits_processors

    from askbuddyx.eval.humaneval import load_problems, problem_prompt
    from askbuddyx.eval.prompts import COMPILE_SMOKE_PROMPTS, SANITY_PROMPTS
    from askbuddyx.eval.run import generate_answers
    from askbuddyx.models import dequantize_for_generation, load_model, wants_float_weights
    from askbuddyx.prompting import build_messages

    if Path(HELDOUT).is_file() and args.prompts == 0:
        # The evaluate stages' own prompts: sanity, compile, held-out format prompts and the
        # eval.humaneval_limit HumanEval problems.
        from askbuddyx.eval.cases import build_cases, read_heldout

        cases = build_cases(read_heldout(HELDOUT),
                            humaneval_problems=load_problems(stage["humaneval_limit"]))
        prompts = [c.prompt for c in cases]
    else:
        prompts = SANITY_PROMPTS + COMPILE_SMOKE_PROMPTS
        n = args.prompts or 40
        prompts += [problem_prompt(p) for p in load_problems(max(0, n - len(prompts)))]
        prompts = prompts[:n]
    # Like the evaluate stage: the same prompts through the base model, then the adapter.
    adapters = [None, args.adapter] if args.adapter else [None]
    models = [load_model(args.model, adapter_path=a) for a in adapters]
    loaded = []  # the 4-bit weights as loaded, when the stage dequantizes
    if wants_float_weights(args.dequantize):
        loaded = [load_model(args.model, adapter_path=a) for a in adapters]
        if not all([dequantize_for_generation(m) for m, _ in models]):
            loaded = []  # nothing was quantized
    tokenizer = models[0][1]
    for model, tok in models + loaded:
        generate_answers(model, tok, prompts[:2], 8, 2)  # warm up both code paths
    processors = make_logits_processors(repetition_penalty=args.repetition_penalty)

    def one_at_a_time():
        out = []
        for model, tok in models:
            for prompt in prompts:
                tokens = tok.apply_chat_template(build_messages(prompt),
                                                 add_generation_prompt=True)
                out.append(generate(model, tok, tokens, max_tokens=args.max_tokens,
                                    logits_processors=processors))
        return out

    def batch_all(weights=models, **kwargs):
        return [answer for model, tok in weights
                for answer in generate_answers(model, tok, prompts, args.max_tokens,
                                               args.batch_size, args.repetition_penalty,
                                               **kwargs)]

    runs = {
        "single": one_at_a_time,
        "plain": lambda: batch_all(reuse_prefix=False, prefill_batch_size=args.batch_size),
        "batched": batch_all,
    }
    if loaded:
        runs["batched_4bit"] = lambda: batch_all(loaded)
    # Interleaved rounds, median per way: the machine is shared, single timings are noisy.
    times, outputs = {k: [] for k in runs}, {}
    for _ in range(args.rounds):
        for name, fn in runs.items():
            start = time.perf_counter()
            outputs[name] = fn()
            times[name].append(time.perf_counter() - start)
    t_single, t_plain, t_batched = (statistics.median(times[k]) for k in list(runs)[:3])
    single, plain, batched = (outputs[k] for k in list(runs)[:3])
    t_4bit = statistics.median(times["batched_4bit"]) if loaded else None

    n_tokens = sum(len(tokenizer.encode(a)) for a in batched)
    same = sum(a == b == c for a, b, c in zip(batched, single, plain))
    ratio = t_single / t_batched
    which = "base model + adapter" if args.adapter else "base model"
    print(f"{len(prompts)} prompts x {which}, batch {args.batch_size}, "
          f"max_tokens {args.max_tokens}, "
          f"~{n_tokens} tokens generated; median of {args.rounds} interleaved rounds")
    rounds = {k: ", ".join(f"{t:.1f}" for t in v) for k, v in times.items()}
    print(f"one at a time        : {t_single:6.1f} s  (rounds: {rounds['single']})")
    print(f"batch_generate, plain: {t_plain:6.1f} s  ({t_single / t_plain:.1f}x)")
    print(f"batched (eval stage) : {t_batched:6.1f} s  (rounds: {rounds['batched']})"
          + ("; float32 weights (eval.dequantize)" if loaded else ""))
    if loaded:
        print(f"  same, 4-bit weights: {t_4bit:6.1f} s  ({t_single / t_4bit:.1f}x); "
              f"identical answers {sum(a == b for a, b in zip(batched, outputs['batched_4bit']))}"
              f"/{len(batched)}")
    print(f"speed-up             : {ratio:.2f}x (target >= {TARGET:.0f}x: "
          f"{'MET' if ratio >= TARGET else 'NOT MET'}); identical answers {same}/{len(batched)}")
    if args.json:  # bench/run_all.py's contract: a flat dict of the measured figures
        import json

        Path(args.json).write_text(json.dumps({
            "prompts": len(prompts), "models": len(models), "batch_size": args.batch_size,
            "max_tokens": args.max_tokens, "rounds": args.rounds, "generated_tokens": n_tokens,
            "single_s": round(t_single, 2), "plain_s": round(t_plain, 2),
            "batched_s": round(t_batched, 2), "plain_ratio": round(t_single / t_plain, 3),
            "single_runs_s": rounds["single"], "batched_runs_s": rounds["batched"],
            "float_weights": bool(loaded),
            "batched_4bit_s": round(t_4bit, 2) if loaded else None,
            "ratio": round(ratio, 3), "target": TARGET, "met": ratio >= TARGET,
            "identical_answers": same}, indent=2) + "\n")


if __name__ == "__main__":
    main()
