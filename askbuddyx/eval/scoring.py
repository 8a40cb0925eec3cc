"""Score answers: per-suite checks, sandboxed execution, HumanEval, and the rates.

    metrics, records = score_cases(cases, answers, config.limits)

Rates (`rates`; each over the prompts named, None when there are none, then left out):

- seed_sanity_pass_rate, compile_pass_rate: seed 000's 10 sanity and 2 compile prompts;
- format_rate_heldout and format_{docstring,args,returns,all_checks}_rate: seed 001's checks
  on the held-out **code** prompts (three headings in order; docstring; Args; Returns; all);
- runnable_rate, sanity_pass_rate: held-out code answers whose Solution + Usage runs in the
  sandbox, and whose Sanity test then passes too;
- format_on_explain_rate (lower is better): held-out **explain** prompts answered with any
  runnable-first heading: an explanation should stay prose, not be forced into the format;
- {solution,usage,sanity_test}_heading_rate, format_rate_all_prompts: each heading, and all
  three in order, over every prompt that asks for code (seed and held-out): partial progress;
- humaneval_pass_at_1 (greedy), humaneval_pass_at_{k}_sampled when samples > 1.

Generated code only ever runs in `askbuddyx.eval.sandbox`.
"""

from __future__ import annotations

from askbuddyx.eval.cases import Case, Execution, Record
from askbuddyx.eval.checks import compile_check, format_check, sanity_check
from askbuddyx.eval.sandbox import DEFAULT_LIMITS, Limits, run_programs
from askbuddyx.prompting import HEADINGS, split_sections

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


def execution_programs(response: str) -> tuple[str, str | None]:
    """(Solution + Usage, Solution + Usage + Sanity test) of an answer; the second is None
    when the answer has no sanity test. Without headings, all of the answer's code."""
    sections = split_sections(response)
    if sections["solution"]:
        main = sections["solution"] + "\n" + sections["usage"]
    else:
        main = sections["all"]
    sanity = main + "\n" + sections["sanity"] if sections["sanity"].strip() else None
    return main, sanity


def execute_heldout_code(records: list[Record], limits: Limits,
                         workers: int | None) -> None:
    """Run Solution + Usage ("runnable"), then with the Sanity test ("sanity_passed"), of
    each held-out code answer; an answer without that code does not run (and fails)."""
    jobs = []  # (record, run name, program)
    for r in records:
        if not r.case.heldout_code:
            continue
        main, sanity = execution_programs(r.response)
        if main.strip():
            jobs.append((r, "runnable", main))
        if sanity is not None:
            jobs.append((r, "sanity_passed", sanity))
    results = run_programs([p for _, _, p in jobs], limits, workers, progress="execute")
    for (r, name, _), res in zip(jobs, results):
        r.runs[name] = Execution(res.passed, res.status, res.error)


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
    return {
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


def score_cases(cases: list[Case], answers: list[str], limits: Limits = DEFAULT_LIMITS,
                workers: int | None = None,
                samples: dict | None = None) -> tuple[dict, list[Record]]:
    """Score one greedy answer per case; returns (rates, records: one per case, then one
    per sampled HumanEval answer).

    `samples` maps HumanEval task_id -> list of sampled answers, for pass@k.
    """
    records = []
    for case, answer in zip(cases, answers, strict=True):
        record = Record(case, answer)
        check = SUITE_CHECKS.get(case.suite)
        if check is not None:
            record.checks = check(answer)
            record.passed = record.checks["passed"]
        records.append(record)
    execute_heldout_code(records, limits, workers)
    metrics = rates(records)
    he_records = [r for r in records if r.case.suite == "humaneval"]
    if he_records:
        he_rates, sampled = score_humaneval(he_records, limits, workers, samples)
        metrics.update(he_rates)
        records += sampled
    return {k: v for k, v in metrics.items() if v is not None}, records
