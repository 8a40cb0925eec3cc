"""askbuddyx.sandbox.verify: a Sanity test passes only when it ran to the end and asserts
something about the Solution; `pick` gives the first best answer, the greedy one on a tie."""

import pytest

from askbuddyx.sandbox.verify import (
    answer_programs,
    asserts_about,
    defined_names,
    pick,
    sanity_checks_solution,
    verify_answers,
)

SOLUTION = "def square(x):\n    return x * x\n"


def answer(sanity: str, solution: str = SOLUTION, usage: str = "print(square(3))") -> str:
    return (f"### Solution\n```python\n{solution}```\n\n### Usage\n```python\n{usage}\n```\n\n"
            f"### Sanity test\n```python\n{sanity}\n```\n")


GOOD = answer("assert square(2) == 4")
WRONG = answer("assert square(2) == 5")
EMPTY = answer("assert True")
CRASH = answer("assert square(2) == 4", usage="print(square())")


@pytest.mark.parametrize("sanity, checks", [
    ("assert square(2) == 4", True),
    ("r = square(2)\nt = r + 1\nassert t == 5", True),          # through two assignments
    ("for v in [square(1)]:\n    assert v == 1", True),       # a loop over its values
    ("def test():\n    assert square(3) == 9\ntest()", True),  # inside a test function
    ("assert True", False),
    ("x = 2\nassert x == 2", False),                          # nothing of the Solution
    ("print(square(2))", False),                              # no assert at all
    ("assert square(2) ==", False),                           # does not parse
])
def test_asserts_about_the_solution(sanity, checks):
    assert asserts_about(sanity, defined_names(SOLUTION)) is checks


def test_defined_names_cover_functions_classes_and_assignments():
    code = "import os\nclass A: pass\ndef f(): pass\nLIMIT: int = 3\nx, y = 1, 2\n"
    assert defined_names(code) == {"A", "f", "LIMIT", "x", "y"}
    assert defined_names("def broken(:") == set()


def test_verdicts_say_what_ran_and_why():
    good, wrong, empty, crash, prose = verify_answers(
        [GOOD, WRONG, EMPTY, CRASH, "```python\nprint(1)\n```"])
    assert good.runnable and good.sanity_passed and good.formatted
    assert wrong.runnable and not wrong.sanity_passed
    assert wrong.sanity_status == "failed" and "AssertionError" in wrong.sanity_error
    # ran to the end, yet proves nothing: not a pass
    assert empty.runnable and not empty.sanity_passed and empty.sanity_status == "no_check"
    assert not crash.runnable and "TypeError" in crash.runnable_error
    assert prose.runnable and prose.sanity_status == "no_sanity_test" and not prose.formatted
    assert sanity_checks_solution(GOOD) and not sanity_checks_solution(EMPTY)
    assert answer_programs(GOOD)[1].endswith("assert square(2) == 4\n")


def test_pick_prefers_a_passing_test_then_running_code_then_the_earliest():
    wrong, good, empty, crash = verify_answers([WRONG, GOOD, EMPTY, CRASH])
    assert pick([wrong, good]) == 1          # a passing Sanity test wins
    assert pick([crash, wrong]) == 1         # then code that runs
    assert pick([wrong, empty]) == 0         # equals: the first (the greedy answer)
    assert pick([good, good]) == 0
    with pytest.raises(ValueError):
        pick([])


def test_pick_prefers_the_format_among_answers_that_run():
    bare = "```python\ndef square(x):\n    return x * x\nprint(square(3))\n```"
    wrong, unformatted = verify_answers([WRONG, bare])
    assert unformatted.runnable and not unformatted.formatted
    assert pick([unformatted, wrong]) == 1   # both run; the one in the format is given
