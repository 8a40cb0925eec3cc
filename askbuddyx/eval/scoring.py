"""Score answers: per-suite checks, sandboxed execution, HumanEval, and the rates.

    metrics, records = score_cases(cases, answers, config.limits)

Rates (`rates`; each over the prompts named, None when there are none, then left out):

- seed_sanity_pass_rate, compile_pass_rate: seed 000's 10 sanity and 2 compile prompts;
- format_rate_heldout and format_{docstring,args,returns,all_checks}_rate: seed 001's checks
  on the held-out **code** prompts (three headings in order; docstring; Args; Returns; all);
- runnable_rate, sanity_pass_rate: held-out code answers whose Solution + Usage runs in the
  sandbox, and whose Sanity test then passes too and asserts something about the Solution
  (askbuddyx.sandbox.verify);
- with `eval.candidates` N > 1 the answer scored is the one the assistant gives: the first
  best of the greedy answer and N - 1 sampled ones by `verify.pick` (its Sanity test passes,
  else it runs, else it has the format), as `askbuddyx serve` does; the greedy answer's own
  figures are kept as format_rate_heldout_greedy, runnable_rate_greedy and
  sanity_pass_rate_greedy;
- format_on_explain_rate (lower is better): held-out **explain** prompts answered with any
  runnable-first heading: an explanation should stay prose, not be forced into the format;
- {solution,usage,sanity_test}_heading_rate, format_rate_all_prompts: each heading, and all
  three in order, over every prompt that asks for code (seed and held-out): partial progress;
- humaneval_pass_at_1 (greedy), humaneval_pass_at_{k}_sampled when samples > 1.

Generated code only ever runs in `askbuddyx.sandbox.runner`.
"""

from __future__ import annotations

from askbuddyx.eval.cases import Case, Execution, Record
from askbuddyx.eval.checks import compile_check, format_check, sanity_check
from askbuddyx.prompting import HEADINGS
from askbuddyx.sandbox.runner import DEFAULT_LIMITS, Limits
from askbuddyx.sandbox.verify import Verdict, pick, verify_answers

SUITE_CHECKS = {"sanity": sanity_check, "compile": compile_check, "format": format_check}
# format_check key -> rate name, over held-out prompts that ask for code
FORMAT_RATES = {
    "passed": "format_rate_heldout",
    "has_docstring": "format_docstring_rate",
    "has_args": "format_args_rate",
    "has_returns": "format_returns_rate",
    "all_checks": "format_all_checks_rate",
}


def share(flags) -> float | None:
    """Fraction of true flags, rounded to 4 places; None when there are none."""
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else None


def _runs(verdict: Verdict, suffix: str = "") -> dict:
    """A verdict as a record's sandbox runs: "runnable" and, when there was a Sanity test
    to run, "sanity_passed" (+ `suffix`)."""
    runs = {}
    if verdict.has_code:
        runs["runnable" + suffix] = Execution(verdict.runnable, verdict.runnable_status,
                                              verdict.runnable_error)
    if verdict.sanity_status != "no_sanity_test":
        runs["sanity_passed" + suffix] = Execution(verdict.sanity_passed,
                                                   verdict.sanity_status, verdict.sanity_error)
    return runs


def verify_heldout_code(records: list[Record], limits: Limits, workers: int | None,
                        candidates: dict | None = None) -> None:
    """Verify each held-out code answer in the sandbox (askbuddyx.sandbox.verify).

    `candidates` maps a record's index to its answers, greedy first: the record's answer
    becomes the one `pick` gives, its own figures kept as runs "runnable_greedy" and
    "sanity_passed_greedy" and its answer as `greedy_response`.
    """
    candidates = candidates or {}
    jobs = []  # (record index, candidate answers)
    for i, r in enumerate(records):
        if r.case.heldout_code:
            jobs.append((i, candidates.get(i, [r.response])))
    flat = [a for _, answers in jobs for a in answers]
    verdicts = iter(verify_answers(flat, limits, workers, progress="execute"))
    for i, answers in jobs:
        mine = [next(verdicts) for _ in answers]
        r = records[i]
        chosen = pick(mine)
        r.runs.update(_runs(mine[chosen]))
        if len(answers) > 1:
            r.runs.update(_runs(mine[0], "_greedy"))
            r.greedy_response, r.response = answers[0], answers[chosen]
            r.candidate, r.candidates = chosen, len(answers)
            r.checks = format_check(r.response)
            r.passed = r.checks["passed"]


def score_humaneval(records: list[Record], limits: Limits, workers: int | None,
                    samples: dict | None) -> tuple[dict, list[Record]]:
    """Run the greedy HumanEval answers (and `samples`: task_id -> sampled answers);
    returns (rates, the sampled answers' records)."""
    from askbuddyx.eval.humaneval import ks_for, load_problems, score_responses

    problems = load_problems()
    greedy, outcomes = score_responses(
        problems, {r.case.task_id: [r.response] for r in records}, limits, workers)
    by_task = {o["task_id"]: o for o in outcomes}
    for r in records:
        o = by_task[r.case.task_id]
        r.passed = o["passed"]
        r.runs["program"] = Execution(o["passed"], o["status"], o["error"])
    rates = {"humaneval_pass_at_1": greedy["pass_at_1"]}
    sampled_records = []
    if samples:
        sampled, outcomes = score_responses(problems, samples, limits, workers)
        for k in ks_for(min(len(v) for v in samples.values())):
            rates[f"humaneval_pass_at_{k}_sampled"] = sampled[f"pass_at_{k}"]
        cases = {r.case.task_id: r.case for r in records}
        sampled_records = [
            Record(cases[o["task_id"]], o["response"], passed=o["passed"], sample=o["sample"],
                   runs={"program": Execution(o["passed"], o["status"], o["error"])})
            for o in outcomes]
    return rates, sampled_records


def rates(records: list[Record]) -> dict:
    """The rates of the module docstring over scored greedy records (None: not measured)."""
    heldout_code = [r for r in records if r.case.heldout_code]
    # Format checks once per answer to a code prompt (the held-out ones have them already).
    code_checks = [r.checks if r.case.heldout_code else format_check(r.response)
                   for r in records if r.case.asks_for_code]
    out = {
        "seed_sanity_pass_rate": share(r.passed for r in records if r.case.suite == "sanity"),
        "compile_pass_rate": share(r.passed for r in records if r.case.suite == "compile"),
        **{rate: share(r.checks[key] for r in heldout_code)
           for key, rate in FORMAT_RATES.items()},
        "format_on_explain_rate": share(any(h in r.response for h in HEADINGS)
                                        for r in records if r.case.heldout_explain),
        **{f"{key[4:]}_heading_rate": share(c[key] for c in code_checks)
           for key in ("has_solution", "has_usage", "has_sanity_test")},
        "format_rate_all_prompts": share(c["passed"] for c in code_checks),
        "runnable_rate": share(r.ran("runnable") for r in heldout_code),
        "sanity_pass_rate": share(r.ran("sanity_passed") for r in heldout_code),
    }
    picked = [r for r in heldout_code if r.candidates > 1]
    if picked:
        out.update(
            format_rate_heldout_greedy=share(format_check(r.greedy_response)["passed"]
                                             for r in picked),
            runnable_rate_greedy=share(r.ran("runnable_greedy") for r in picked),
            sanity_pass_rate_greedy=share(r.ran("sanity_passed_greedy") for r in picked))
    return out


def score_cases(cases: list[Case], answers: list[str], limits: Limits = DEFAULT_LIMITS,
                workers: int | None = None, samples: dict | None = None,
                candidates: dict | None = None) -> tuple[dict, list[Record]]:
    """Score one greedy answer per case; returns (rates, records: one per case, then one
    per sampled HumanEval answer).

    `samples` maps HumanEval task_id -> list of sampled answers, for pass@k. `candidates`
    maps a held-out code case's index to its candidate answers, the greedy one first.
    """
    records = []
    for case, answer in zip(cases, answers, strict=True):
        record = Record(case, answer)
        check = SUITE_CHECKS.get(case.suite)
        if check is not None:
            record.checks = check(answer)
            record.passed = record.checks["passed"]
        records.append(record)
    verify_heldout_code(records, limits, workers, candidates)
    metrics = rates(records)
    he_records = [r for r in records if r.case.suite == "humaneval"]
    if he_records:
        he_rates, sampled = score_humaneval(he_records, limits, workers, samples)
        metrics.update(he_rates)
        records += sampled
    return {k: v for k, v in metrics.items() if v is not None}, records
