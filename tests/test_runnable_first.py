"""Plain code answers become runnable-first answers whose Sanity test was measured."""

import pytest

from askbuddyx.data.io import read_jsonl
from askbuddyx.data.runnable_first import convert_records, plan_answer
from askbuddyx.eval.checks import format_check
from askbuddyx.sandbox.runner import run_programs
from askbuddyx.sandbox.verify import answer_programs

BATCH = """def batch(values, size):
    return [values[i:i + size] for i in range(0, len(values), size)]

output = batch([1, 2, 3], 2)
print(output)"""


def run(programs):
    return run_programs(programs)


def test_a_call_assigned_then_printed_is_asserted_as_the_call():
    (record,), skipped = convert_records([{"instruction": "Chunk a list", "output": BATCH}], run)
    assert not skipped
    assert record["output"].endswith(
        "### Sanity test\n```python\nassert batch([1, 2, 3], 2) == [[1, 2], [3]]\n```")
    assert "print(output)  # [[1, 2], [3]]" in record["output"]
    assert format_check(record["output"])["passed"]


@pytest.mark.parametrize("answer", [
    "class Point:\n    pass",                                   # nothing uses the definition
    "print(sum([1, 2]))",                                        # no definition
    "def f():\n    return 1\n\nx = f()",                         # does not print
    "```python\ndef f():\n    return 1\n\nprint(f())\n```",      # already fenced
    "def f(:\n    return 1\n\nprint(f())",                       # does not parse
])
def test_answers_without_a_provable_shape_are_left_out(answer):
    assert plan_answer(answer) is None


def test_values_that_are_not_literals_or_programs_that_fail_are_skipped():
    records = [{"output": "def f():\n    return object()\n\nprint(f())"},
               {"output": "def f():\n    return 1 / 0\n\nprint(f())"},
               {"output": "def f():\n    return float('nan')\n\nprint(f())"}]
    converted, skipped = convert_records(records, run)
    assert converted == []
    assert skipped == {"value is not a short literal": 2, "did not run": 1}


def test_committed_file_is_what_the_tool_builds_and_every_sanity_test_passes(root):
    """A slice of assets/datasets/code_tasks.jsonl converts to the committed records, and a
    sample of the committed answers runs: Solution + Usage, then the Sanity test."""
    source = read_jsonl(root / "assets/datasets/code_tasks.jsonl")[:60]
    committed = read_jsonl(root / "assets/datasets/code_tasks_runnable_first.jsonl")
    converted, _ = convert_records(source, run)
    assert converted and converted == committed[:len(converted)]
    sample = committed[::40]
    programs = [p for r in sample for p in answer_programs(r["output"])]
    results = run_programs(programs)
    failed = [(p, r.status, r.error) for p, r in zip(programs, results) if not r.passed]
    assert not failed, failed[:2]
