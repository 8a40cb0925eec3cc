"""Bench: evaluation generation batched (mlx-lm batch_generate) vs one prompt at a time.

    .venv/bin/python bench/bench_eval_batched.py [--prompts 32] [--max-tokens 320] \
        [--batch-size 24] [--adapter outputs/adapters/dev]

Same prompts (the seed's sanity and compile prompts plus HumanEval prompts), same greedy
decoding and repetition penalty as the evaluate stage, on the embedded base model. Batched:
`askbuddyx.eval.run.generate_answers` (what the stage uses). One at a time: mlx-lm's
`generate` per prompt. Also shown: plain `batch_generate` on the whole batch (no prefix
reuse, no length sorting), to separate what batching alone gives from what the stage's
shared-system-prompt cache and length-sorted prefill add. Target: batched >= 3x faster.
"""

import argparse
import statistics
import time

from askbuddyx.accel import maybe_reexec_with_openblas

TARGET = 3.0
MODEL = "assets/models/askbuddyx-tiny-qwen2-4bit"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=320)  # the stage's eval.max_tokens
    parser.add_argument("--batch-size", type=int, default=24)  # the stage's eval.batch_size
    parser.add_argument("--repetition-penalty", type=float, default=1.3)
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--adapter", default=None, help="e.g. outputs/adapters/dev")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", default=None, help="write the figures here (flat JSON)")
    args = parser.parse_args()
    maybe_reexec_with_openblas()
    from mlx_lm import generate
    from mlx_lm.sample_utils import make_logits_processors

    from askbuddyx.eval.humaneval import load_problems, problem_prompt
    from askbuddyx.eval.prompts import COMPILE_SMOKE_PROMPTS, SANITY_PROMPTS
    from askbuddyx.eval.run import generate_answers
    from askbuddyx.models import load_model
    from askbuddyx.prompting import build_messages

    prompts = SANITY_PROMPTS + COMPILE_SMOKE_PROMPTS
    prompts += [problem_prompt(p) for p in load_problems(max(0, args.prompts - len(prompts)))]
    prompts = prompts[:args.prompts]
    model, tokenizer = load_model(args.model, adapter_path=args.adapter)
    generate_answers(model, tokenizer, prompts[:2], 8, 2)  # warm up both code paths
    processors = make_logits_processors(repetition_penalty=args.repetition_penalty)

    def one_at_a_time():
        out = []
        for prompt in prompts:
            tokens = tokenizer.apply_chat_template(build_messages(prompt),
                                                   add_generation_prompt=True)
            out.append(generate(model, tokenizer, tokens, max_tokens=args.max_tokens,
                                logits_processors=processors))
        return out

    runs = {
        "single": one_at_a_time,
        "plain": lambda: generate_answers(model, tokenizer, prompts, args.max_tokens,
                                          args.batch_size, args.repetition_penalty,
                                          reuse_prefix=False, prefill_batch_size=args.batch_size),
        "batched": lambda: generate_answers(model, tokenizer, prompts, args.max_tokens,
                                            args.batch_size, args.repetition_penalty),
    }
    # Interleaved rounds, median per way: the machine is shared, single timings are noisy.
    times, outputs = {k: [] for k in runs}, {}
    for _ in range(args.rounds):
        for name, fn in runs.items():
            start = time.perf_counter()
            outputs[name] = fn()
            times[name].append(time.perf_counter() - start)
    t_single, t_plain, t_batched = (statistics.median(times[k]) for k in runs)
    single, plain, batched = (outputs[k] for k in runs)

    n_tokens = sum(len(tokenizer.encode(a)) for a in batched)
    same = sum(a == b == c for a, b, c in zip(batched, single, plain))
    ratio = t_single / t_batched
    print(f"{len(prompts)} prompts, batch {args.batch_size}, max_tokens {args.max_tokens}, "
          f"~{n_tokens} tokens generated; median of {args.rounds} interleaved rounds")
    print(f"one at a time        : {t_single:6.1f} s")
    print(f"batch_generate, plain: {t_plain:6.1f} s  ({t_single / t_plain:.1f}x)")
    print(f"batched (eval stage) : {t_batched:6.1f} s")
    print(f"speed-up             : {ratio:.1f}x (target >= {TARGET:.0f}x: "
          f"{'MET' if ratio >= TARGET else 'NOT MET'}); identical answers {same}/{len(prompts)}")
    if args.json:  # bench/run_all.py's contract: a flat dict of the measured figures
        import json
        from pathlib import Path

        Path(args.json).write_text(json.dumps({
            "prompts": len(prompts), "batch_size": args.batch_size,
            "max_tokens": args.max_tokens, "rounds": args.rounds, "generated_tokens": n_tokens,
            "single_s": round(t_single, 2), "plain_s": round(t_plain, 2),
            "batched_s": round(t_batched, 2), "plain_ratio": round(t_single / t_plain, 3),
            "ratio": round(ratio, 3), "target": TARGET, "met": ratio >= TARGET,
            "identical_answers": same}, indent=2) + "\n")


if __name__ == "__main__":
    main()
