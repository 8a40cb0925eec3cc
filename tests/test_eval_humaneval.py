"""HumanEval scoring through `askbuddyx eval score`: canonical solutions pass, broken ones fail;
the unbiased pass@k estimator; how answers become programs."""

import json

import pytest

from askbuddyx.cli import main
from askbuddyx.eval.humaneval import (
    build_program,
    completion_code,
    ks_for,
    load_problems,
    pass_at_k,
    score_responses,
)
from askbuddyx.sandbox.runner import run_program


@pytest.fixture(scope="module")
def problems():
    return load_problems()


def score_cli(tmp_path, capsys, rows, suite="humaneval"):
    path = tmp_path / "responses.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["eval", "score", "--responses", str(path), "--suite", suite]) == 0
    return json.loads(capsys.readouterr().out)


def test_all_164_problems_ship_offline(problems):
    assert len(problems) == 164
    assert [p["task_id"] for p in problems[:2]] == ["HumanEval/0", "HumanEval/1"]
    spread = [p["task_id"] for p in load_problems(20)]  # the default subset: spaced, fixed
    assert spread[:3] == ["HumanEval/0", "HumanEval/8", "HumanEval/16"]
    assert spread[-1] == "HumanEval/155" and len(set(spread)) == 20
    assert len(load_problems(164)) == len(load_problems(0)) == 164


@pytest.mark.slow
def test_canonical_solutions_pass_and_broken_ones_fail(problems, tmp_path, capsys):
    canonical = score_cli(tmp_path, capsys, [
        {"task_id": p["task_id"], "response": p["canonical_solution"]} for p in problems])
    assert canonical["humaneval_problems"] == 164
    assert canonical["pass_at_1"] == 1.0 and canonical["passed_count"] == 164
    broken = score_cli(tmp_path, capsys, [
        {"task_id": p["task_id"], "response": "    raise NotImplementedError\n"}
        for p in problems])
    assert broken["pass_at_1"] == 0.0 and broken["failed_count"] == 164


def test_pass_at_k_is_the_unbiased_estimator():
    # one problem, n=4 samples, c=1 correct: pass@1 = 1/4, pass@2 = 1 - C(3,2)/C(4,2) = 1/2
    assert pass_at_k([4], [1], 1) == pytest.approx(0.25)
    assert pass_at_k([4], [1], 2) == pytest.approx(0.5)
    assert pass_at_k([4, 4], [0, 4], 2) == pytest.approx(0.5)
    assert ks_for(1) == [1] and ks_for(10) == [1, 5, 10]


def test_samples_give_pass_at_k(problems, tmp_path, capsys):
    first = problems[0]
    rows = [{"task_id": first["task_id"], "response": first["canonical_solution"]}]
    rows += [{"task_id": first["task_id"], "response": "    return None\n"}] * 4
    metrics = score_cli(tmp_path, capsys, rows)
    assert metrics["pass_at_1"] == pytest.approx(0.2) and metrics["pass_at_5"] == 1.0


def test_chat_answers_become_programs(problems):
    p = problems[2]  # truncate_number(number) -> number % 1.0
    whole = ("Here you go:\n```python\ndef truncate_number(number: float) -> float:\n"
             "    return number % 1.0\n```\nDone.")
    runnable_first = ("### Solution\n```python\ndef truncate_number(number):\n"
                      "    return number % 1.0\n```\n### Usage\n```python\n"
                      "print(truncate_number(3.5))\n```\n### Sanity test\n```python\n"
                      "assert truncate_number(3.5) == 99  # a wrong self-test\n```\n")
    body = "    return number % 1.0\n"
    for answer in (whole, runnable_first, body):
        assert run_program(build_program(p, answer)).status == "passed", answer
    assert "def truncate_number" in completion_code(p, whole)
    wrong = "```python\ndef truncate_number(number):\n    return number\n```"
    assert run_program(build_program(p, wrong)).status == "failed"


def test_unknown_task_is_a_clear_error(problems):
    from askbuddyx.errors import AskBuddyXError

    with pytest.raises(AskBuddyXError, match="unknown HumanEval"):
        score_responses(problems, {"HumanEval/999": ["x"]})


def test_score_exits_zero_whatever_the_score_and_reports_bad_input(tmp_path, capsys):
    metrics = score_cli(tmp_path, capsys, [{"task_id": "HumanEval/0", "response": "nonsense("}])
    assert metrics["pass_at_1"] == 0.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"response": "x"}) + "\n")
    from askbuddyx.cli import run_main

    assert run_main(main, ["eval", "score", "--responses", str(bad), "--suite", "humaneval"]) == 2
    assert "task_id" in capsys.readouterr().err
