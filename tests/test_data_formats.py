"""Alpaca, ChatML and ShareGPT files are detected and normalized; bad lines are listed."""

import json

import pytest

from askbuddyx.data.formats import read_records
from askbuddyx.errors import AskBuddyXError

WANT = {"instruction": "Reverse a string", "input": "", "output": "s[::-1]"}


def write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("fmt,row", [
    ("alpaca", {"instruction": "Reverse a string", "input": "", "output": "s[::-1]"}),
    ("alpaca", {"prompt": "Reverse a string", "response": "s[::-1]"}),
    ("chatml", {"messages": [{"role": "system", "content": "be nice"},
                             {"role": "user", "content": "Reverse a string"},
                             {"role": "assistant", "content": "s[::-1]"}]}),
    ("sharegpt", {"conversations": [{"from": "human", "value": "Reverse a string"},
                                    {"from": "gpt", "value": "s[::-1]"}]}),
])
def test_each_format_is_detected_and_normalized(tmp_path, fmt, row):
    result = read_records(write(tmp_path / "f.jsonl", [row, row]))
    assert result.format == fmt
    assert [r for _, r in result.records] == [WANT, WANT]
    assert not result.bad_lines


def test_every_answer_of_a_chat_is_a_record_with_the_turns_before_it(tmp_path):
    row = {"messages": [{"role": "system", "content": "be nice"},
                        {"role": "user", "content": "Reverse a string"},
                        {"role": "assistant", "content": "s[::-1]"},
                        {"role": "user", "content": "and a list?"},
                        {"role": "assistant", "content": "l[::-1]"},
                        {"role": "user", "content": "in place"},
                        {"role": "assistant", "content": "l.reverse()"},
                        {"role": "user", "content": "thanks"}]}
    result = read_records(write(tmp_path / "f.jsonl", [row]))
    records = [r for _, r in result.records]
    assert [r["output"] for r in records] == ["s[::-1]", "l[::-1]", "l.reverse()"]
    assert records[0] == WANT  # the first exchange is an ordinary record
    assert records[2]["instruction"] == "in place"
    assert records[2]["history"] == [
        {"role": "user", "content": "Reverse a string"},
        {"role": "assistant", "content": "s[::-1]"},
        {"role": "user", "content": "and a list?"},
        {"role": "assistant", "content": "l[::-1]"}]
    assert {n for n, _ in result.records} == {1}
    assert result.unanswered_turns == 1  # the trailing "thanks"


def test_consecutive_turns_of_one_role_are_joined(tmp_path):
    row = {"conversations": [{"from": "gpt", "value": "Hi! Ask me anything."},
                             {"from": "human", "value": "Reverse a string"},
                             {"from": "human", "value": "in Python"},
                             {"from": "gpt", "value": "s[::-1]"}]}
    [(_, record)] = read_records(write(tmp_path / "f.jsonl", [row])).records
    assert record == {**WANT, "instruction": "Reverse a string\n\nin Python"}


def test_unknown_shape_is_a_clear_error_naming_the_file(tmp_path):
    path = write(tmp_path / "weird.jsonl", [{"text": "hello"}, {"text": "again"}])
    with pytest.raises(AskBuddyXError, match=r"weird\.jsonl: unknown record format"):
        read_records(path)


def test_bad_lines_are_listed_by_line_with_reasons(tmp_path):
    path = tmp_path / "dirty.jsonl"
    good = json.dumps({"instruction": "a", "output": "b"}).encode()
    lines = [
        b"\xef\xbb\xbf" + good,                                   # 1: BOM, fine
        b"{not json",                                             # 2
        b"",                                                      # 3: blank, ignored
        b"[1, 2]",                                                # 4
        json.dumps({"instruction": "no answer"}).encode(),        # 5
        json.dumps({"instruction": "x", "output": "  "}).encode(),  # 6
        json.dumps({"instruction": "x", "output": ["list"]}).encode(),  # 7
        b'{"instruction": "\xff\xfe", "output": "b"}',           # 8: not UTF-8
        json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode(),  # 9
        good,                                                     # 10
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = read_records(path, display_path="user/dirty.jsonl")
    assert result.format == "alpaca" and result.lines == 9
    assert [n for n, _ in result.records] == [1, 10]
    reasons = {b.line: b.reason for b in result.bad_lines}
    assert set(reasons) == {2, 4, 5, 6, 7, 8, 9}
    assert "invalid JSON" in reasons[2] and "not a JSON object" in reasons[4]
    assert "output" in reasons[5] and "output" in reasons[6] and "not a string" in reasons[7]
    assert "UTF-8" in reasons[8] and "not a alpaca record" in reasons[9]
    assert all(b.path == "user/dirty.jsonl" for b in result.bad_lines)


def test_snippets_of_bad_lines_are_redacted(tmp_path):
    secret = "ghp_" + "Z" * 36
    result = read_records(write(tmp_path / "f.jsonl", [
        {"instruction": "a", "output": "b"}, '{"instruction": "' + secret]))
    assert secret not in result.bad_lines[0].snippet
