"""`askbuddyx serve` startup errors, settings, and `export-chats` filtering (no live server)."""

import json
import socket
import subprocess
import sys

import pytest

from askbuddyx.errors import AskBuddyXError
from askbuddyx.prompting import SYSTEM_PROMPT
from askbuddyx.serve.chats import ChatRecorder, export_chats
from askbuddyx.serve.cli import check_port, parse_registrations, read_api_key
from askbuddyx.serve.schema import ApiError, parse_chat_request, with_system_prompt


def serve_cli(root, tmp_path, *args):
    cmd = [sys.executable, "-m", "askbuddyx.cli", "serve", "--params", str(root / "params.yaml"),
           "--model", str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"), *args]
    return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_port_in_use_is_a_clear_error_with_a_free_port_suggested():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(AskBuddyXError, match="already in use") as info:
            check_port("127.0.0.1", port)
    assert "--port" in info.value.hint


def test_missing_adapter_and_model_are_clear_startup_errors(root, tmp_path):
    r = serve_cli(root, tmp_path, "--adapter", str(tmp_path / "nope"), "--port", "0")
    assert r.returncode == 2 and "Adapter not found" in r.stderr and "how to fix" in r.stderr
    r = serve_cli(root, tmp_path, "--model", str(tmp_path / "no-model"), "--port", "0")
    assert r.returncode == 2 and "Model path not found" in r.stderr


def test_port_in_use_from_the_command_line(root, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        r = serve_cli(root, tmp_path, "--port", str(s.getsockname()[1]), "--adapter", "")
    assert r.returncode == 2 and "already in use" in r.stderr and "--port" in r.stderr


def test_api_key_from_env_or_dotenv(tmp_path, monkeypatch):
    monkeypatch.delenv("ASKBUDDYX_API_KEY", raising=False)
    assert read_api_key(tmp_path / ".env") is None
    (tmp_path / ".env").write_text("ASKBUDDYX_API_KEY=from-file\n")
    assert read_api_key(tmp_path / ".env") == "from-file"
    monkeypatch.setenv("ASKBUDDYX_API_KEY", "from-env")
    assert read_api_key(tmp_path / ".env") == "from-env"


def test_register_flags():
    assert parse_registrations(["AskBuddyX@0.1.0=a/b"]) == {"AskBuddyX@0.1.0": "a/b"}
    with pytest.raises(AskBuddyXError, match="NAME=PATH"):
        parse_registrations(["oops"])


def test_request_rules():
    def parse(body):
        return parse_chat_request(body, "AskBuddyX", 64, 128, 0.0)

    req = parse({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
                 "stop": "###"})
    assert (req.model, req.max_tokens, req.stop, req.messages[0]["content"]) == \
        ("AskBuddyX", 64, ["###"], "hi")
    for body in ({"messages": [{"role": "user", "content": "x"}], "max_tokens": True},
                 {"messages": [{"role": "user", "content": "x"}], "temperature": float("inf")},
                 {"messages": [{"role": "user", "content": {"a": 1}}]}):
        with pytest.raises(ApiError) as info:
            parse(body)
        assert info.value.status == 400
    own = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    assert with_system_prompt(own, SYSTEM_PROMPT) == own
    assert with_system_prompt(own[1:], SYSTEM_PROMPT)[0]["content"] == SYSTEM_PROMPT


def test_generation_fields_parse_or_are_refused_by_name():
    from askbuddyx.serve.schema import check_token_ids

    def parse(**extra):
        return parse_chat_request({"messages": [{"role": "user", "content": "x"}], **extra},
                                  "AskBuddyX", 64, 128, 0.0)

    req = parse(n=3, logprobs=True, top_logprobs=5, seed=-1, presence_penalty=-2,
                frequency_penalty=1.5, logit_bias={"12": -100, "7": 2.5})
    assert (req.n, req.logprobs, req.top_logprobs) == (3, True, 5)
    s = req.sampling
    assert (s.seed, s.presence_penalty, s.frequency_penalty) == (-1, -2.0, 1.5)
    assert s.logit_bias == {12: -100.0, 7: 2.5}
    assert parse(tools=[], tool_choice="none", response_format={"type": "text"}).n == 1
    for field, value in (("tools", [{"type": "function"}]), ("tool_choice", "required"),
                         ("response_format", {"type": "json_object"}),
                         ("function_call", "auto"), ("top_logprobs", 2), ("n", 0),
                         ("logprobs", 1), ("seed", 1.0), ("logit_bias", {"-1": 1}),
                         ("logit_bias", {"3": True}), ("presence_penalty", -2.01)):
        with pytest.raises(ApiError) as info:
            parse(**{field: value})
        assert (info.value.status, info.value.param) == (400, field), (field, value)
        assert f"'{field}'" in info.value.message
    check_token_ids({3071: 1.0}, vocab_size=3072)
    with pytest.raises(ApiError, match="vocabulary has 3072 tokens"):
        check_token_ids({3072: 1.0}, vocab_size=3072)


def test_export_chats_keeps_good_whole_conversations(tmp_path):
    rec = ChatRecorder(tmp_path / "chats")
    user1 = {"role": "user", "content": "Write add(a, b)"}
    good = "### Solution\ndef add(a, b):\n    return a + b\n"
    base = [{"role": "system", "content": SYSTEM_PROMPT}, user1]
    rec.record("AskBuddyX", base, good, "stop")  # turn 1 ...
    turn2 = [*base, {"role": "assistant", "content": good},
             {"role": "user", "content": "Now multiply"}]
    rec.record("AskBuddyX", turn2, "### Solution\ndef mul(a, b):\n    return a * b\n", "stop")
    rec.record("AskBuddyX", [user1], "def add(a, b", "length")  # cut off
    rec.record("AskBuddyX", [user1], "ok", "stop")  # too short
    rec.record("AskBuddyX", [user1], "ghp_" + "x" * 36 + " is my token; " + good, "stop")
    with (tmp_path / "chats" / "chats-2000-01-01.jsonl").open("w") as f:
        f.write("{not json\n")

    result = export_chats(tmp_path / "chats", tmp_path / "out.jsonl", min_answer_chars=20)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert result["kept"] == len(rows) == 2
    assert result["dropped"] == {"continued later": 1, "cut off": 1, "short answer": 1,
                                 "unreadable line": 1}
    whole = rows[0]["messages"]
    assert [m["role"] for m in whole] == ["user", "assistant", "user", "assistant"]
    assert all(m["content"] != SYSTEM_PROMPT for row in rows for m in row["messages"])
    assert "[REDACTED]" in rows[1]["messages"][-1]["content"]
    assert "ghp_" not in (tmp_path / "out.jsonl").read_text()


def test_export_chats_command(root, tmp_path):
    ChatRecorder(tmp_path / "chats").record("AskBuddyX", [{"role": "user", "content": "q"}],
                                            "a long enough answer " * 3, "stop")
    r = subprocess.run([sys.executable, "-m", "askbuddyx.cli", "export-chats", "--chats-dir",
                        str(tmp_path / "chats"), "--out", str(tmp_path / "o.jsonl")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "Wrote 1 conversations" in r.stdout, r.stderr
    r = subprocess.run([sys.executable, "-m", "askbuddyx.cli", "export-chats", "--chats-dir",
                        str(tmp_path / "none")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--capture-chats" in r.stderr
