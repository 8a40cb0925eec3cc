"""Bench: evaluation generation batched (mlx-lm batch_generate) vs one prompt at a time, on
the tiny and the smol base model (same measures for both).

    .venv/bin/python bench/bench_eval_batched.py [--seconds 180] [--models tiny,smol] \
        [--prompts N] [--max-tokens N] [--batch-size N] [--json out.json]
    (run from the repository root)

The evaluate stage's prompts (the seed's sanity and compile prompts, then HumanEval problems;
the held-out format prompts too when data/processed/heldout.jsonl exists: run `make run`
first), the stage's greedy decoding and repetition penalty, through the base model and an
adapter, as the evaluate stages do. The adapter is a demo LoRA one made on the spot
(askbuddyx.serve.demo_adapter, same layout as a trained one), so that both models are measured
the same way whatever has been trained. Batched: `askbuddyx.eval.run.generate_answers` (what
the stage uses). One at a time: mlx-lm's `generate` per prompt. Also shown: plain
`batch_generate` on the whole batch (no prefix reuse, no length sorting), to separate what
batching alone gives from what the stage's shared-system-prompt cache and length-sorted prefill
add. Both ways use the stage's weights: float32 on MLX's CPU backend (`eval.dequantize: auto`);
when they are, the stage's batched path is also timed with the 4-bit weights as loaded, to show
what dequantizing adds (the tiny model only by default: on smol that way takes minutes).
Target: batched >= 3x faster.

Sizing (`--seconds`, run_all.py's share, split evenly over the models): after loading and
warming up a model, one short one-at-a-time generation calibrates the seconds per token; the
rounds, then max_tokens, then the number of prompts, then the adapter's pass are cut until a
whole measurement fits, and the output says so.
"""

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Budget, add_seconds_arg, model_dir, write_json  # noqa: E402

from askbuddyx.accel import maybe_reexec_with_openblas  # noqa: E402
from askbuddyx.config import load_yaml  # noqa: E402

TARGET = 3.0
HELDOUT = "data/processed/heldout.jsonl"
MIN_PROMPTS = 8  # fewer and batching has little to batch: the ratio would mean little
MIN_MAX_TOKENS = 16
# A round's cost in units of its one-at-a-time part: single + plain + batched, the batched
# ways each at most ~1/2 of single on this machine (the target is 1/3). The 4-bit batched way
# is costed apart: MLX's CPU quantized matmul pays about a single-row product per row, so it
# is costed as one 4-bit answer at a time.
ROUND_UNITS = 2.0


@dataclass
class Size:
    prompts: int
    max_tokens: int
    rounds: int
    models: int  # 2: base model and adapter, as the stage; 1: the base model only


def eval_prompts(stage: dict, n: int) -> list:
    """The evaluate stage's prompts: held-out + sanity + compile + HumanEval when the held-out
    set exists and n is 0, else sanity + compile + HumanEval prompts, n (default 40) in all."""
    from askbuddyx.eval.humaneval import load_problems, problem_prompt
    from askbuddyx.eval.prompts import COMPILE_SMOKE_PROMPTS, SANITY_PROMPTS

    if Path(HELDOUT).is_file() and n == 0:
        from askbuddyx.eval.cases import build_cases, read_heldout

        cases = build_cases(read_heldout(HELDOUT),
                            humaneval_problems=load_problems(stage["humaneval_limit"]))
        return [c.prompt for c in cases]
    prompts = SANITY_PROMPTS + COMPILE_SMOKE_PROMPTS
    n = n or 40
    prompts += [problem_prompt(p) for p in load_problems(max(0, n - len(prompts)))]
    return prompts[:n]


def size_to(seconds: float, answer: tuple[float, float], answer_4bit: tuple | None,
            wanted: Size) -> Size:
    """Cut rounds, then max_tokens, then prompts, then the adapter's pass until a
    measurement fits in `seconds`;
    `answer` is one-at-a-time generation's (seconds of a prompt's prefill, of a token), with
    the stage's weights; `answer_4bit` the same with the 4-bit ones (None: not timed)."""
    size = Size(wanted.prompts, wanted.max_tokens, wanted.rounds, wanted.models)
    prefill_s, token_s = answer

    def cost(sz: Size) -> float:
        one = ROUND_UNITS * (prefill_s + sz.max_tokens * token_s)
        if answer_4bit:
            one += answer_4bit[0] + sz.max_tokens * answer_4bit[1]
        return sz.rounds * sz.models * sz.prompts * one

    while cost(size) > seconds and size.rounds > 1:
        size.rounds -= 1
    # Answers and prompts in turn, each down to a middle size first, then to its least: a
    # short answer to many prompts and a long one to few both misstate the stage's work.
    for least_tokens, least_prompts in ((64, 16), (MIN_MAX_TOKENS, MIN_PROMPTS)):
        while cost(size) > seconds and size.max_tokens > least_tokens:
            size.max_tokens = max(least_tokens, size.max_tokens * 3 // 4)
        while cost(size) > seconds and size.prompts > least_prompts:
            size.prompts = max(least_prompts, size.prompts * 3 // 4)
    if cost(size) > seconds:
        size.models = 1
    fits = "fits" if cost(size) <= seconds else "is the least that measures (over the share)"
    print(f"sizing: one answer at a time takes ~{prefill_s:.2f} s of prefill + "
          f"{1000 * token_s:.1f} ms a token: "
          f"{size.rounds} round(s) x {size.prompts} prompts x {size.models} model(s) x "
          f"{size.max_tokens} max tokens (asked {wanted.rounds} x {wanted.prompts} x "
          f"{wanted.models} x {wanted.max_tokens}) {fits} in {seconds:.0f} s "
          f"(~{cost(size):.0f} s)", flush=True)
    return size


def load_models(model: str, adapter: str | None, dequantize: str, four_bit: bool):
    """(models, loaded, float_weights): the stage's weights for base (+ adapter); with
    `four_bit`, the 4-bit weights as loaded too when the stage dequantizes (else [])."""
    from askbuddyx.models import dequantize_for_generation, load_model, wants_float_weights

    adapters = [None, adapter] if adapter else [None]
    models = [load_model(model, adapter_path=a) for a in adapters]
    if not wants_float_weights(dequantize):
        return models, [], False
    float_weights = all([dequantize_for_generation(m) for m, _ in models])
    loaded = [load_model(model, adapter_path=a) for a in adapters] if four_bit else []
    return models, loaded if float_weights else [], float_weights


def calibrate(models, prompts: list, tokens: int = 16) -> tuple[float, float]:
    """One-at-a-time generation's (seconds of prefill, seconds per token), from a prompt of
    median length answered with 1 token, then with 1 + `tokens` (HumanEval prompts are long:
    their prefill is much of an answer's cost)."""
    from mlx_lm import generate

    from askbuddyx.prompting import build_messages

    model, tok = models[0]
    prompt = tok.apply_chat_template(build_messages(sorted(prompts, key=len)[len(prompts) // 2]),
                                     add_generation_prompt=True)
    seconds = []
    for n in (1, 1 + tokens):
        start = time.perf_counter()
        generate(model, tok, prompt, max_tokens=n)
        seconds.append(time.perf_counter() - start)
    return seconds[0], max(0.0, seconds[1] - seconds[0]) / tokens


def measure(name: str, model: str, adapter: str | None, all_prompts: list, args,
            seconds: float) -> dict:
    """The figures of one base model (+ adapter): single vs plain vs batched (vs 4-bit)."""
    from mlx_lm import generate
    from mlx_lm.sample_utils import make_logits_processors

    from askbuddyx.eval.run import generate_answers
    from askbuddyx.prompting import build_messages

    budget = Budget(seconds)
    four_bit = name in args.four_bit_models.split(",")
    models, loaded, float_weights = load_models(model, adapter, args.dequantize, four_bit)
    if float_weights and not four_bit:
        print(f"[{name}] the 4-bit batched way is not timed on {name} (--four-bit-models): "
              "MLX's CPU quantized matmul pays a row's cost per row, prefill included, which "
              "makes it minutes here (bench_cpu_matmul.py shows why)", flush=True)
    tokenizer = models[0][1]
    for m, tok in models + loaded:
        generate_answers(m, tok, all_prompts[:2], 8, 2)  # warm up both code paths
    size = size_to(budget.left(), calibrate(models, all_prompts),
                   calibrate(loaded, all_prompts) if loaded else None,
                   Size(len(all_prompts), args.max_tokens, args.rounds, len(models)))
    models, loaded = models[:size.models], loaded[:size.models]
    prompts = all_prompts[:size.prompts]
    processors = make_logits_processors(repetition_penalty=args.repetition_penalty)

    def one_at_a_time():
        out = []
        for m, tok in models:
            for prompt in prompts:
                tokens = tok.apply_chat_template(build_messages(prompt),
                                                 add_generation_prompt=True)
                out.append(generate(m, tok, tokens, max_tokens=size.max_tokens,
                                    logits_processors=processors))
        return out

    def batch_all(weights=models, **kwargs):
        return [answer for m, tok in weights
                for answer in generate_answers(m, tok, prompts, size.max_tokens,
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
    for _ in range(size.rounds):
        for way, fn in runs.items():
            start = time.perf_counter()
            outputs[way] = fn()
            times[way].append(time.perf_counter() - start)
    t_single, t_plain, t_batched = (statistics.median(times[k]) for k in list(runs)[:3])
    single, plain, batched = (outputs[k] for k in list(runs)[:3])
    t_4bit = statistics.median(times["batched_4bit"]) if loaded else None

    n_tokens = sum(len(tokenizer.encode(a)) for a in batched)
    same = sum(a == b == c for a, b, c in zip(batched, single, plain))
    ratio = t_single / t_batched
    which = "base model + demo adapter" if len(models) > 1 else "base model"
    print(f"[{name}] {len(prompts)} prompts x {which}, batch {args.batch_size}, max_tokens "
          f"{size.max_tokens}, ~{n_tokens} tokens generated; median of {size.rounds} "
          "interleaved round(s)")
    rounds = {k: ", ".join(f"{t:.1f}" for t in v) for k, v in times.items()}
    print(f"[{name}] one at a time        : {t_single:6.1f} s  (rounds: {rounds['single']})")
    print(f"[{name}] batch_generate, plain: {t_plain:6.1f} s  ({t_single / t_plain:.1f}x)")
    print(f"[{name}] batched (eval stage) : {t_batched:6.1f} s  (rounds: {rounds['batched']})"
          + ("; float32 weights (eval.dequantize)" if float_weights else ""))
    if loaded:
        print(f"[{name}]   same, 4-bit weights: {t_4bit:6.1f} s  ({t_single / t_4bit:.1f}x); "
              f"identical answers {sum(a == b for a, b in zip(batched, outputs['batched_4bit']))}"
              f"/{len(batched)}")
    print(f"[{name}] speed-up             : {ratio:.2f}x (target >= {TARGET:.0f}x: "
          f"{'MET' if ratio >= TARGET else 'NOT MET'}); identical answers {same}/{len(batched)}"
          f"; {budget.elapsed():.0f} s of {seconds:.0f}", flush=True)
    figures = {
        "prompts": len(prompts), "models": len(models), "max_tokens": size.max_tokens,
        "rounds": size.rounds, "generated_tokens": n_tokens, "single_s": round(t_single, 2),
        "plain_s": round(t_plain, 2), "batched_s": round(t_batched, 2),
        "plain_ratio": round(t_single / t_plain, 3), "single_runs_s": rounds["single"],
        "batched_runs_s": rounds["batched"], "float_weights": float_weights,
        "batched_4bit_s": round(t_4bit, 2) if loaded else None,
        "ratio": round(ratio, 3), "target": TARGET, "met": ratio >= TARGET,
        "identical_answers": same}
    return {f"{name}_{k}": v for k, v in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_seconds_arg(parser, 180)
    parser.add_argument("--models", default="tiny,smol", help="profiles whose base model runs")
    parser.add_argument("--prompts", type=int, default=0,
                        help="0 (default): the evaluate stage's own prompts, when "
                        f"{HELDOUT} exists; N: sanity + compile + HumanEval prompts, N in all")
    # Defaults: the evaluate stage's own settings (params.yaml), the same for both models.
    stage = load_yaml("params.yaml")["eval"]
    parser.add_argument("--max-tokens", type=int, default=stage["max_tokens"],
                        help="at most (sizing may lower it)")
    parser.add_argument("--batch-size", type=int, default=stage["batch_size"])
    parser.add_argument("--repetition-penalty", type=float,
                        default=stage["repetition_penalty"])
    parser.add_argument("--dequantize", choices=["auto", "true", "false"],
                        default=str(stage["dequantize"]).lower())
    parser.add_argument("--no-adapter", action="store_true",
                        help="base model only (the stage also generates with the adapter)")
    parser.add_argument("--rounds", type=int, default=3, help="at most (sizing may lower it)")
    parser.add_argument("--four-bit-models", default="tiny",
                        help="models whose batched way is also timed with the 4-bit weights")
    parser.add_argument("--json", default=None, help="write the figures here (flat JSON)")
    args = parser.parse_args()
    maybe_reexec_with_openblas()
    from askbuddyx.serve.demo_adapter import make_demo_adapter

    budget = Budget(args.seconds)
    prompts = eval_prompts(stage, args.prompts)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    figures = {"batch_size": args.batch_size, "seconds": args.seconds}
    with tempfile.TemporaryDirectory(prefix="bench_eval_") as tmp:
        for i, name in enumerate(names):
            model = str(model_dir(name, Path(tmp)))
            adapter = None if args.no_adapter else str(
                make_demo_adapter(model, Path(tmp) / f"{name}_adapter"))
            figures.update(measure(name, model, adapter, prompts, args,
                                   budget.left() / (len(names) - i)))
    write_json(args.json, figures)


if __name__ == "__main__":
    main()
