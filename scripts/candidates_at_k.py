"""How many candidates, at which temperature? Estimate an adapter's sanity rate with
"greedy + k - 1 sampled candidates" (eval.candidates = k) from N samples per prompt.

    python scripts/candidates_at_k.py --adapter A --records R.jsonl --samples 16 \
        --temperature 0.3 --out at_k.json

R.jsonl: `askbuddyx eval run --out` records of the prompts to score; their greedy answers
are reused, not regenerated. Use it on validation prompts only: choosing eval.candidates or
eval.temperature by the held-out prompts would make their figures a tuned result. README
"Profiles" says how the smol values were chosen with it.

Drawing N samples once and estimating every k from them (the unbiased pass@k estimator of
Chen et al. 2021) reads far less noise than one draw of k candidates per setting: with 16
prompts, one draw moves by a prompt or two between seeds.
"""

from __future__ import annotations

import argparse
import json
import time


def sanity_at_k(rows: list[dict], n: int, k: int) -> float:
    """Expected share of prompts whose greedy answer or one of k - 1 candidates (drawn from
    the n samples without replacement) passes its Sanity test. rows: {"greedy": bool, "c":
    passing samples of n}. A passing greedy answer counts as n passing samples: the sampled
    part is then HumanEval's unbiased pass@(k - 1) (askbuddyx.eval.humaneval.pass_at_k)."""
    from askbuddyx.eval.humaneval import pass_at_k

    if not 1 <= k <= n + 1:
        raise ValueError(f"k={k} needs 1 <= k <= n + 1 = {n + 1}")
    if k == 1:
        return round(sum(row["greedy"] for row in rows) / len(rows), 3)
    correct = [n if row["greedy"] else row["c"] for row in rows]
    return round(pass_at_k([n] * len(rows), correct, k - 1), 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--base", default="models/base")
    ap.add_argument("--records", required=True)
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--temperature", type=float, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--max-tokens", type=int, default=320)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    from askbuddyx.accel import maybe_reexec_with_openblas

    maybe_reexec_with_openblas()
    from askbuddyx.eval.config import EvalConfig
    from askbuddyx.eval.run import mlx_answerer
    from askbuddyx.sandbox.verify import verify_answers

    with open(args.records) as f:
        code = [r for r in map(json.loads, f) if r.get("kind") == "code"]
    n = args.samples
    answer, _, _ = mlx_answerer(args.base, args.adapter,
                                EvalConfig(max_tokens=args.max_tokens, batch_size=64))
    start = time.time()
    samples = answer([r["prompt"] for r in code for _ in range(n)], args.temperature, args.seed)
    rows = []
    for i, record in enumerate(code):
        greedy = record.get("greedy_response") or record["response"]
        verdicts = verify_answers([greedy, *samples[i * n:(i + 1) * n]])
        rows.append({"prompt": record["prompt"][:60], "greedy": verdicts[0].sanity_passed,
                     "c": sum(v.sanity_passed for v in verdicts[1:]),
                     "runs": sum(v.runnable for v in verdicts[1:])})
    result = {"temperature": args.temperature, "samples": n,
              "generate_s": round(time.time() - start),
              "sanity_at_k": {k: sanity_at_k(rows, n, k) for k in range(1, n + 2)},
              "one_sample_sanity": round(sum(r["c"] for r in rows) / (n * len(rows)), 3),
              "one_sample_runs": round(sum(r["runs"] for r in rows) / (n * len(rows)), 3),
              "rows": rows}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1))


if __name__ == "__main__":
    main()
