"""assets/datasets/explanations.jsonl: prose answers to "explain"-style questions, a source of
the smol profile so that the adapter learns an explanation stays prose (issue 14:
format_on_explain_rate). Not curated: none of it is held out, so it must not repeat a curated
prompt, held-out ones included."""

import json
import re
from pathlib import Path

import pytest

from askbuddyx.data.dedupe import drop_near
from askbuddyx.prompting import HEADINGS, python_blocks
from askbuddyx.serve.intent import rule_intent

ROOT = Path(__file__).resolve().parents[1]
RECORDS = [json.loads(line) for line in
           (ROOT / "assets/datasets/explanations.jsonl").read_text().splitlines()]
CURATED = [json.loads(line) for line in
           (ROOT / "assets/datasets/curated_runnable_first.jsonl").read_text().splitlines()]


def test_records_are_well_formed_and_unique():
    assert len(RECORDS) >= 30
    for r in RECORDS:
        assert set(r) == {"id", "kind", "category", "instruction", "input", "output"}, r["id"]
        assert r["kind"] == "explain" and r["id"].startswith("expl-")
    assert len({r["id"] for r in RECORDS}) == len(RECORDS)
    assert len({r["instruction"].lower() for r in RECORDS}) == len(RECORDS)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r["id"])
def test_an_explanation_is_prose_with_at_most_one_example_that_parses(record):
    out = record["output"]
    assert not any(h in out for h in HEADINGS) and "###" not in out
    assert not out.startswith("```") and 200 <= len(out) <= 1200
    assert out.count("```") in (0, 2)
    for block in python_blocks(out):
        compile(block, record["id"], "exec")  # parses; names it uses may be the reader's
    prose = re.sub(r"```.*?```", "", out, flags=re.DOTALL)
    assert all("\n" not in p.strip() for p in prose.split("\n\n")), "one line per paragraph"


def test_questions_route_to_explain_and_repeat_no_curated_prompt():
    """The server's router sends each of them to the prose prompt, and none is a near copy
    of a curated prompt (which may be held out: that would leak it into training)."""
    assert all(rule_intent(r["instruction"]) == "explain" for r in RECORDS)
    curated = [{"instruction": r["instruction"], "input": "", "output": ""} for r in CURATED]
    mine = [{"instruction": r["instruction"], "input": "", "output": ""} for r in RECORDS]
    alone, _ = drop_near(curated, 0.7)
    together, _ = drop_near(curated + mine, 0.7)
    assert len(together) == len(alone) + len(mine)
