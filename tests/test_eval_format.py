"""Format checks (seed 001), sandboxed execution of Solution + Usage + Sanity test, and the
format suite through `askbuddyx eval score`."""

import json

from askbuddyx.cli import main
from askbuddyx.eval.cases import build_cases, heldout_case
from askbuddyx.eval.checks import docstrings, format_check
from askbuddyx.eval.scoring import score_cases
from askbuddyx.prompting import split_sections
from askbuddyx.sandbox.verify import answer_programs

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
    main_prog, sanity_prog = answer_programs(PERFECT)
    assert "assert" not in main_prog and sanity_prog.endswith("assert rev('ab') == 'ba'\n")
    assert answer_programs("```python\nprint(1)\n```")[1] is None  # no sanity test


def test_score_cases_runs_answers_in_the_sandbox():
    heldout = [heldout_case({"instruction": f"task {i}", "output": PERFECT, "kind": "code"})
               for i in range(4)]
    heldout.append(heldout_case({"instruction": "Explain decorators", "kind": "explain",
                                 "output": "A decorator wraps ..."}))
    cases = build_cases(heldout, suites=("format",))
    answers = [PERFECT, WRONG_TEST, CRASHES, NO_DOC, PERFECT]
    rates, records = score_cases(cases, answers)
    # code prompts only: the explain prompt's answer does not count here
    assert rates["format_rate_heldout"] == 1.0 and rates["format_all_checks_rate"] == 0.75
    assert rates["runnable_rate"] == 0.75  # CRASHES fails at Usage
    assert rates["sanity_pass_rate"] == 0.5  # PERFECT and NO_DOC
    assert rates["format_on_explain_rate"] == 1.0  # the explain prompt got the format forced
    assert "runnable" not in records[4].runs  # explanations are not run
    rows = [r.to_dict() for r in records]
    assert rows[1]["sanity_passed_status"] == "failed" and rows[4]["kind"] == "explain"
    assert "AssertionError" in rows[1]["sanity_passed_error"]
    assert "AttributeError" in rows[2]["runnable_error"]


def test_explain_rate_counts_any_heading_and_kind_defaults_to_code():
    """An explanation with even one runnable-first heading is forced into the format; a
    held-out record without `kind` (files made before it existed) is a code prompt."""
    explain = heldout_case({"instruction": "Explain generators", "output": "...",
                            "kind": "explain"})
    rates, _ = score_cases([explain, explain], ["Generators yield values lazily.",
                                                "### Solution\nGenerators yield."])
    assert rates["format_on_explain_rate"] == 0.5
    assert "format_rate_heldout" not in rates  # no code prompt: not measured
    assert heldout_case({"instruction": "Reverse", "output": PERFECT}).heldout_code


def test_unknown_kind_is_a_clear_error(tmp_path):
    import pytest

    from askbuddyx.errors import AskBuddyXError
    from askbuddyx.eval.cases import read_heldout

    path = tmp_path / "heldout.jsonl"
    path.write_text(json.dumps({"instruction": "x", "output": "y", "kind": "essay"}) + "\n")
    with pytest.raises(AskBuddyXError, match="line 1: kind 'essay' is not one of code, explain"):
        read_heldout(path)


def test_format_suite_through_eval_score(tmp_path, capsys):
    path = tmp_path / "answers.jsonl"
    rows = [{"prompt": "Reverse a string", "response": PERFECT},
            {"prompt": "Reverse a string", "response": "def rev(s): return s[::-1]"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["eval", "score", "--responses", str(path), "--suite", "format"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["format_rate_heldout"] == 0.5 and metrics["runnable_rate"] == 1.0
    assert metrics["sanity_pass_rate"] == 0.5


def test_candidates_score_the_answer_the_assistant_gives_and_keep_the_greedy_one():
    """eval.candidates: the greedy answer and sampled ones; the first whose Sanity test
    passes is scored, as the server picks it, and the greedy answer's figures are kept."""
    code = [heldout_case({"instruction": f"task {i}", "output": PERFECT, "kind": "code"})
            for i in range(2)]
    cases = build_cases(code, suites=("format",))
    candidates = {0: [WRONG_TEST, CRASHES, PERFECT], 1: [PERFECT, WRONG_TEST, PERFECT]}
    rates, records = score_cases(cases, [WRONG_TEST, PERFECT], candidates=candidates)
    assert rates["sanity_pass_rate"] == 1.0 and rates["sanity_pass_rate_greedy"] == 0.5
    assert rates["runnable_rate"] == 1.0 and rates["runnable_rate_greedy"] == 1.0
    assert records[0].response == PERFECT and records[0].candidate == 2
    assert records[1].candidate == 0  # a passing greedy answer is kept
    row = records[0].to_dict()
    assert row["greedy_response"] == WRONG_TEST and row["candidates"] == 3
    assert row["sanity_passed"] and not row["sanity_passed_greedy"]
