"""Verify code answers in the sandbox: does the code run, and does its own Sanity test pass?

    verdicts = verify_answers([answer_1, answer_2], limits)
    verdicts[0].runnable, verdicts[0].sanity_passed
    best = pick(verdicts)            # the answer to give: the first of the best

An answer in the runnable-first format is checked twice, each a fresh sandboxed program:

- runnable: Solution + Usage runs to the end (no exception, no early exit: the sandbox's
  proof); an answer without the headings runs all of its Python code instead;
- sanity_passed: Solution + Usage + Sanity test also runs to the end, **and** the Sanity test
  asserts something about the Solution: an `assert` that names what the Solution defines,
  directly or through a value computed from it (`r = f(2)` then `assert r == 4`). A Sanity
  test that asserts nothing about it (`assert True`, only prints) proves nothing and does
  not pass; the sandbox alone cannot tell (askbuddyx.sandbox.runner: what it does not
  protect against).

`pick` is how the assistant chooses among candidate answers to one request (the evaluation
and `askbuddyx serve` alike): the first whose Sanity test passes, else the first in the format
whose code runs, else the first that runs, else the first in the format, else the first.
Candidate 0 is the greedy answer, so a greedy answer that passes is always kept.

What a pass does not prove: that the code is right. The model wrote the Sanity test too; a
wrong solution with a wrong assert that agrees with it passes (CodeT, Chen et al. 2022, picks
code by model-written tests for the same reason: they are often right, not always).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from askbuddyx.prompting import has_runnable_first_format, split_sections
from askbuddyx.sandbox.runner import DEFAULT_LIMITS, Limits, run_programs

NO_CHECK = "the Sanity test asserts nothing about the Solution"


def answer_programs(response: str) -> tuple[str, str | None]:
    """(Solution + Usage, Solution + Usage + Sanity test) of an answer; the second is None
    when the answer has no Sanity test. Without headings, all of the answer's code."""
    sections = split_sections(response)
    main = (sections["solution"] + "\n" + sections["usage"] if sections["solution"]
            else sections["all"])
    sanity = main + "\n" + sections["sanity"] if sections["sanity"].strip() else None
    return main, sanity


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        return None


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def defined_names(code: str) -> set[str]:
    """Top-level names `code` defines: functions, classes, assigned and imported names."""
    tree = _parse(code)
    if tree is None:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= _names(target)
    return names


def asserts_about(sanity: str, defined: set[str]) -> bool:
    """Whether some `assert` of `sanity` names one of `defined`, directly or through names
    assigned (anywhere in `sanity`) from expressions that do."""
    tree = _parse(sanity)
    if tree is None or not defined:
        return False
    flows = []  # (names read, names written) of every assignment-like node
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            flows.append((node.value, node.targets))
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
            flows.append((node.value, [node.target]))
        elif isinstance(node, (ast.For, ast.comprehension)):
            flows.append((node.iter, [node.target]))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            flows.append((node.context_expr, [node.optional_vars]))
    flows = [(_names(v), set().union(*map(_names, ts))) for v, ts in flows]
    tainted, grew = set(defined), True
    while grew:  # to a fixed point: `a = f(1)`, `b = a + 1`, `assert b == 3`
        grew = False
        for read, written in flows:
            if read & tainted and not written <= tainted:
                tainted |= written
                grew = True
    return any(isinstance(n, ast.Assert) and _names(n.test) & tainted for n in ast.walk(tree))


def sanity_checks_solution(response: str) -> bool:
    """Whether the answer's Sanity test asserts something about its Solution (+ Usage)."""
    sections = split_sections(response)
    defined = defined_names(sections["solution"]) | defined_names(sections["usage"])
    return bool(sections["sanity"].strip()) and asserts_about(sections["sanity"], defined)


@dataclass(frozen=True)
class Verdict:
    """What the sandbox said of one answer.

    Attributes:
        runnable: Solution + Usage (or all the code) ran to the end.
        sanity_passed: + the Sanity test ran to the end, and it asserts about the Solution.
        formatted: The three runnable-first headings, each once, in order.
        has_code: There was code to run at all.
        runnable_status, sanity_status: The sandbox's status (passed, failed, timed_out,
            killed), "no_code" / "no_sanity_test" when there was nothing to run, "no_check"
            for a Sanity test that ran but asserts nothing about the Solution.
        runnable_error, sanity_error: The last lines of the error.
    """

    runnable: bool
    sanity_passed: bool
    formatted: bool
    has_code: bool
    runnable_status: str
    sanity_status: str
    runnable_error: str = ""
    sanity_error: str = ""

    @property
    def rank(self) -> tuple[bool, bool, bool, bool]:
        """Higher is a better answer to give: its Sanity test passed; else it runs and has
        the format; else it runs; else it has the format."""
        return (self.sanity_passed, self.runnable and self.formatted, self.runnable,
                self.formatted)

    def as_dict(self) -> dict:
        """The verdict as the server reports it (`askbuddyx.verified`)."""
        return {"runnable": self.runnable, "sanity_passed": self.sanity_passed,
                "runnable_status": self.runnable_status, "sanity_status": self.sanity_status,
                "error": self.sanity_error or self.runnable_error}


def verify_answers(responses: list[str], limits: Limits = DEFAULT_LIMITS,
                   workers: int | None = None, progress: str | None = None) -> list[Verdict]:
    """One `Verdict` per answer; every program runs in the sandbox, `workers` at a time."""
    jobs = []  # (answer index, "runnable" | "sanity", program)
    for i, response in enumerate(responses):
        main, sanity = answer_programs(response)
        if main.strip():
            jobs.append((i, "runnable", main))
        if sanity is not None:
            jobs.append((i, "sanity", sanity))
    results = run_programs([p for _, _, p in jobs], limits, workers, progress=progress)
    ran = {(i, name): res for (i, name, _), res in zip(jobs, results)}
    verdicts = []
    for i, response in enumerate(responses):
        main_run, sanity_run = ran.get((i, "runnable")), ran.get((i, "sanity"))
        checks = sanity_run is not None and sanity_checks_solution(response)
        if sanity_run is None:
            sanity_status, sanity_error = "no_sanity_test", ""
        elif sanity_run.passed and not checks:
            sanity_status, sanity_error = "no_check", NO_CHECK
        else:
            sanity_status, sanity_error = sanity_run.status, sanity_run.error
        verdicts.append(Verdict(
            runnable=bool(main_run and main_run.passed),
            sanity_passed=bool(sanity_run and sanity_run.passed and checks),
            formatted=has_runnable_first_format(response),
            has_code=main_run is not None,
            runnable_status=main_run.status if main_run else "no_code",
            sanity_status=sanity_status,
            runnable_error=main_run.error if main_run else "",
            sanity_error=sanity_error))
    return verdicts


def pick(verdicts: list[Verdict]) -> int:
    """Index of the answer to give: the best `Verdict.rank`, the earliest among equals."""
    if not verdicts:
        raise ValueError("pick() needs at least one verdict")
    return max(range(len(verdicts)), key=lambda i: (verdicts[i].rank, -i))
