"""Token lengths: the fast counter equals a plain encode of the rendered chat; overlong chats
are truncated deterministically or dropped, by parameter."""

import json

import pytest

from askbuddyx.data.lengths import (
    ChatTokenCounter,
    chat_token_count,
    fit_messages,
    fit_records,
    record_to_messages,
)


@pytest.fixture(scope="module")
def bundled(root):
    lines = (root / "assets" / "datasets" / "code_tasks.jsonl").read_text().splitlines()
    curated = (root / "assets" / "datasets" / "curated_runnable_first.jsonl").read_text()
    return [json.loads(x) for x in lines[:300] + curated.splitlines()]


def test_fast_counter_equals_encoding_the_whole_chat(tokenizer, bundled):
    counter = ChatTokenCounter(tokenizer)
    assert counter.split is not None  # the fast path is what we measure here
    chats = [record_to_messages(r) for r in bundled]
    fast = counter.count(chats)
    assert counter.verified
    assert fast == [chat_token_count(tokenizer, m) for m in chats]


def test_counter_falls_back_when_pieces_do_not_add_up(tokenizer, bundled):
    counter = ChatTokenCounter(tokenizer)
    counter._fast = lambda texts: [0] * len(texts)  # a tokenizer that merges across specials
    chats = [record_to_messages(r) for r in bundled[:5]]
    assert counter.count(chats) == [chat_token_count(tokenizer, m) for m in chats]
    assert counter.split is None


def test_long_answers_are_cut_deterministically(tokenizer):
    messages = record_to_messages({"instruction": "Write it", "input": "",
                                   "output": "x = 1\n" * 400})
    fitted, n, cut = fit_messages(tokenizer, messages, 256)
    assert cut and n <= 256 and fitted[-1]["content"].startswith("x = 1\n")
    assert fit_messages(tokenizer, messages, 256) == (fitted, n, cut)


def overlong_records():
    return [
        {"instruction": "short", "input": "", "output": "def f():\n    return 1", "source": "s"},
        {"instruction": "long", "input": "", "output": "y = 2\n" * 300, "source": "s"},
        {"instruction": "huge question " * 200, "input": "", "output": "z", "source": "s"},
    ]


def test_truncate_keeps_the_record_with_a_cut_answer(tokenizer):
    kept, found = fit_records(overlong_records(), tokenizer, 300, "truncate")
    assert [r["instruction"] for r in kept] == ["short", "long"]
    assert kept[1]["tokens"] <= 300 and kept[1]["output"].startswith("y = 2\n")
    assert len(found["truncated"]) == 1 and len(found["dropped"]) == 1  # question too long
    assert kept[1]["tokens"] == chat_token_count(tokenizer, record_to_messages(kept[1]))


def test_drop_removes_every_overlong_record(tokenizer):
    kept, found = fit_records(overlong_records(), tokenizer, 300, "drop")
    assert [r["instruction"] for r in kept] == ["short"]
    assert len(found["dropped"]) == 2 and not found["truncated"]
