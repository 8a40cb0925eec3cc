"""Plain code answers -> runnable-first answers whose Sanity test is proven by running them.

    askbuddyx runnable-first --input assets/datasets/code_tasks.jsonl \
        --output assets/datasets/code_tasks_runnable_first.jsonl

A code-alpaca-shaped answer is usually a function, then a call that prints its result:

    def batch(values, size): ...
    output = batch([1, 2, 3], 2)
    print(output)

That is already a Solution and a Usage. What it lacks is a Sanity test, and a small model
copies the shape of the asserts it is trained on, right or wrong (issue 14: trained on
hand-written asserts, a 135M model wrote `assert flatten([1]) == []`). So the Sanity test is
not written, it is measured: the answer runs in the sandbox, the value of the printed
expression is read back, and the assert states exactly that value:

    ### Solution   (imports, constants, functions and classes: everything up to the last def)
    ### Usage      (the rest, the printed line annotated with what it prints)
    ### Sanity test
    assert batch([1, 2, 3], 2) == [[1, 2], [3]]

An answer is converted only when every step is certain: it parses, it has a definition and a
usage that ends in `print(<one expression>)`, it runs, and the value's repr is a Python
literal that reads back equal (numbers, strings, lists, dicts, tuples, sets, booleans, None).
Anything else is left out, not guessed; `convert_records` reports how many and why.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from askbuddyx.prompting import HEADINGS

# The probe prints this, then the repr of the value, on the last line of its output.
MARKER = "@@askbuddyx-value@@"
MAX_LITERAL_CHARS = 160  # longer values make asserts no one would write by hand


@dataclass(frozen=True)
class Plan:
    """How one answer splits, and the program that measures its printed value."""

    solution: str
    usage_lines: list
    print_index: int  # which line of usage_lines is the final print
    expression: str  # what the sanity test asserts on
    probe: str


def _source(node: ast.AST, text: str) -> str:
    return ast.get_source_segment(text, node, padded=False)


def plan_answer(answer: str) -> Plan | None:
    """Split a plain code answer into Solution / Usage and build its probe; None if unsure."""
    if "```" in answer or any(h in answer for h in HEADINGS):
        return None  # already fenced or formatted: not a plain code answer
    try:
        tree = ast.parse(answer)
    except SyntaxError:
        return None
    body = tree.body
    defs = [i for i, n in enumerate(body) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    if not defs or defs[-1] == len(body) - 1:
        return None  # no definition, or nothing that uses it
    split = defs[-1] + 1
    usage = body[split:]
    last = usage[-1]
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
            and isinstance(last.value.func, ast.Name) and last.value.func.id == "print"
            and len(last.value.args) == 1 and not last.value.keywords):
        return None
    printed = last.value.args[0]
    expression = _source(printed, answer)
    # `output = f(x)` then `print(output)`: assert on `f(x)` itself, as a person would.
    if isinstance(printed, ast.Name) and len(usage) >= 2:
        before = usage[-2]
        if (isinstance(before, ast.Assign) and len(before.targets) == 1
                and isinstance(before.targets[0], ast.Name)
                and before.targets[0].id == printed.id and isinstance(before.value, ast.Call)):
            expression = _source(before.value, answer)
    lines = answer.splitlines()
    solution = "\n".join(lines[:body[split].lineno - 1]).rstrip()
    usage_lines = lines[body[split].lineno - 1:last.end_lineno]
    if last.lineno != last.end_lineno:
        return None  # a print over several lines: no place for the "# prints" comment
    probe = (answer.rstrip() + "\n\n"
             f"__value = ({expression})\n"
             f"print({MARKER!r} + repr(__value))\n")
    return Plan(solution, usage_lines, last.lineno - body[split].lineno, expression, probe)


def read_value(stdout: str) -> tuple[str, str] | None:
    """(what the answer printed last, the literal repr of the value) from a probe's output."""
    lines = stdout.rstrip("\n").splitlines()
    if len(lines) < 2 or not lines[-1].startswith(MARKER):
        return None
    literal = lines[-1][len(MARKER):]
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if len(literal) > MAX_LITERAL_CHARS or value != value:  # NaN never equals itself
        return None
    return lines[-2], literal


def render(plan: Plan, printed: str, literal: str) -> str:
    """The runnable-first answer, fenced like the curated examples."""
    usage = list(plan.usage_lines)
    if printed.strip() and len(printed) <= 60 and "#" not in usage[plan.print_index]:
        usage[plan.print_index] += f"  # {printed.strip()}"
    fence = "```python\n{}\n```"
    return "\n\n".join([
        f"{HEADINGS[0]}\n" + fence.format(plan.solution),
        f"{HEADINGS[1]}\n" + fence.format("\n".join(usage).strip()),
        f"{HEADINGS[2]}\n" + fence.format(f"assert {plan.expression} == {literal}"),
    ])


def convert_records(records: list, run: Callable[[list], list]) -> tuple[list, Counter]:
    """Convert every record whose answer can be proven; returns (converted, skip reasons).

    `run(programs) -> results` executes programs in the sandbox (each result has `passed`
    and `stdout`): `askbuddyx.sandbox.runner.run_programs`, passed in by the caller so that
    this module stays free of the evaluation package.
    """
    skipped = Counter()
    plans = []
    for record in records:
        plan = plan_answer(record["output"])
        if plan is None:
            skipped["not a definition followed by print(<expression>)"] += 1
        else:
            plans.append((record, plan))
    results = run([plan.probe for _, plan in plans])
    converted = []
    for (record, plan), result in zip(plans, results, strict=True):
        value = read_value(result.stdout) if result.passed else None
        if not result.passed:
            skipped["did not run"] += 1
        elif value is None:
            skipped["value is not a short literal"] += 1
        else:
            converted.append({**record, "output": render(plan, *value)})
    return converted, skipped
