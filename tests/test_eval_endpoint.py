"""`askbuddyx eval run --endpoint URL --model NAME` against a loopback OpenAI-compatible stub."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from askbuddyx.cli import main, run_main
from askbuddyx.eval.endpoint import chat_url
from askbuddyx.eval.humaneval import load_problems
from askbuddyx.prompting import SYSTEM_PROMPT

PERFECT = ("### Solution\n```python\ndef rev(s):\n    \"\"\"Reverse.\n\n    Args:\n        s: text"
           "\n\n    Returns:\n        str: reversed\n    \"\"\"\n    return s[::-1]\n```\n\n"
           "### Usage\n```python\nprint(rev('ab'))\n```\n\n"
           "### Sanity test\n```python\nassert rev('ab') == 'ba'\n```\n")


@pytest.fixture
def stub_server():
    """Answers HumanEval prompts with the canonical solution, everything else with PERFECT."""
    problems = load_problems(3)
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append((self.path, body))
            user = body["messages"][-1]["content"]
            answer = next((p["canonical_solution"] for p in problems
                           if f"def {p['entry_point']}(" in user), PERFECT)
            payload = json.dumps({"id": "x", "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": answer},
                 "finish_reason": "stop"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def test_chat_url():
    assert chat_url("http://h:1") == "http://h:1/v1/chat/completions"
    assert chat_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"
    assert chat_url("http://h:1/v1/chat/completions") == "http://h:1/v1/chat/completions"


def test_eval_run_against_an_endpoint(stub_server, tmp_path, capsys):
    url, requests = stub_server
    heldout = tmp_path / "heldout.jsonl"
    heldout.write_text(json.dumps({"instruction": "Reverse a string", "output": PERFECT}) + "\n")
    out = tmp_path / "records.jsonl"
    assert main(["eval", "run", "--endpoint", url, "--model", "stub-model", "--suite", "all",
                 "--heldout", str(heldout), "--humaneval-limit", "3", "--samples", "5",
                 "--candidates", "3", "--temperature", "0.8", "--out", str(out)]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["humaneval_pass_at_1"] == 1.0 and metrics["humaneval_pass_at_5_sampled"] == 1.0
    assert metrics["format_all_checks_rate"] == 1.0 and metrics["sanity_pass_rate"] == 1.0
    assert metrics["seed_sanity_pass_rate"] == 1.0
    assert metrics["humaneval_pass_at_1_sampled"] == 1.0
    # 12 seed prompts + 1 held-out + 3 HumanEval greedy + 3 x 5 samples + 2 more candidates
    # for the held-out code prompt
    assert len(requests) == 12 + 1 + 3 + 15 + 2
    path, body = requests[0]
    assert path == "/v1/chat/completions" and body["model"] == "stub-model"
    assert body["messages"][0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert {b["temperature"] for _, b in requests} == {0.0, 0.8}
    assert len(out.read_text().splitlines()) == 12 + 1 + 3 + 15


def test_unreachable_endpoint_is_a_clear_error(capsys):
    code = run_main(main, ["eval", "run", "--endpoint", "http://127.0.0.1:9", "--model", "m",
                           "--suite", "sanity"])
    assert code == 2 and "Cannot reach the server" in capsys.readouterr().err
