"""Format checks (seed 001), sandboxed execution of Solution + Usage + Sanity test, and the
format suite through `askbuddyx eval score`."""

import json

from askbuddyx.cli import main
from askbuddyx.eval.checks import docstrings, format_check, split_sections
from askbuddyx.eval.run import build_cases, execution_programs, score_cases

DOC = ('    """Reverse a string.\n\n    Args:\n        s (str): the text\n\n'
       '    Returns:\n        str: reversed\n    """\n')
PERFECT = ("### Solution\n```python\ndef rev(s):\n" + DOC + "    return s[::-1]\n```\n\n"
           "### Usage\n```python\nprint(rev('ab'))\n```\n\n"
           "### Sanity test\n```python\nassert rev('ab') == 'ba'\n```\n")
WRONG_TEST = PERFECT.replace("== 'ba'", "== 'ab'")
CRASHES = PERFECT.replace("return s[::-1]", "return s.nope()")
NO_DOC = PERFECT.replace(DOC, "")
SEED_001_UNFENCED = ("### Solution\n\ndef factorial(n):\n    \"\"\"\n    Calculate it.\n\n"
                     "    Args:\n        n (int): the number\n\n    Returns:\n"
                     "        int: n!\n    \"\"\"\n    return 1 if n == 0 else n * factorial(n-1)"
                     "\n\n### Usage\n\nresult = factorial(5)\nprint(result)\n\n"
                     "### Sanity test\n\nassert factorial(5) == 120\n")


def test_format_checks_each_part():
    assert format_check(PERFECT)["all_checks"]
    assert format_check(SEED_001_UNFENCED)["all_checks"]  # seed 001's own example, unfenced
    missing = format_check(NO_DOC)
    assert missing["passed"] and not missing["has_docstring"] and not missing["all_checks"]
    args_only = format_check(PERFECT.replace("Returns:", "Gives:"))
    assert args_only["has_args"] and not args_only["has_returns"]
    out_of_order = PERFECT.replace("### Usage", "### X").replace("### Sanity test", "### Usage")
    assert not format_check(out_of_order.replace("### X", "### Sanity test"))["passed"]
    assert docstrings("def f(:\n    '''Args:\n    x'''") == ["Args:\n    x"]  # unparsable


def test_sections_and_programs():
    sections = split_sections(PERFECT)
    assert "def rev" in sections["solution"] and sections["usage"] == "print(rev('ab'))\n"
    assert sections["sanity"] == "assert rev('ab') == 'ba'\n"
    main_prog, sanity_prog = execution_programs(PERFECT)
    assert "assert" not in main_prog and sanity_prog.endswith("assert rev('ab') == 'ba'\n")
    assert execution_programs("```python\nprint(1)\n```")[1] is None  # no sanity test


def test_score_cases_runs_answers_in_the_sandbox():
    heldout = [{"instruction": f"task {i}", "output": PERFECT} for i in range(4)]
    heldout.append({"instruction": "Explain decorators", "output": "A decorator wraps ..."})
    cases = build_cases(heldout, suites=("format",))
    answers = [PERFECT, WRONG_TEST, CRASHES, NO_DOC, PERFECT]
    rates, records = score_cases(cases, answers)
    assert rates["format_rate_heldout"] == 1.0 and rates["format_all_checks_rate"] == 0.75
    assert rates["runnable_rate"] == 0.75  # CRASHES fails at Usage
    assert rates["sanity_pass_rate"] == 0.5  # PERFECT and NO_DOC
    assert rates["format_on_explain_rate"] == 1.0  # the explain prompt got the format forced
    assert records[1]["sanity_passed_status"] == "failed"
    assert "AssertionError" in records[1]["sanity_passed_error"]
    assert "AttributeError" in records[2]["runnable_error"]


def test_format_suite_through_eval_score(tmp_path, capsys):
    path = tmp_path / "answers.jsonl"
    rows = [{"prompt": "Reverse a string", "response": PERFECT},
            {"prompt": "Reverse a string", "response": "def rev(s): return s[::-1]"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["eval", "score", "--responses", str(path), "--suite", "format"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["format_rate_heldout"] == 0.5 and metrics["runnable_rate"] == 1.0
    assert metrics["sanity_pass_rate"] == 0.5
