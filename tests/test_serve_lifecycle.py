"""Overload and shutdown of a live `askbuddyx serve` (issue 15, section 3), each on its own
server: a full queue is a 429 with Retry-After, a too-long wait a 503; SIGTERM or Ctrl+C
finishes short answers, cancels long ones with a clean error, logs and saves what finished,
and exits 0 within a few seconds. Plus the captured-chat file's line-atomic appends."""

import json
import signal
import subprocess
import threading
import time

import pytest
import requests

from tests.serve_live import free_port, start_server

QUESTION = "Write a function to reverse a string"


def body(tokenizer, max_tokens: int, stream: bool, endless: bool = True) -> dict:
    """A chat request; `endless`: the EOS tokens are banned, so it runs to max_tokens."""
    bias = {str(t): -100 for t in tokenizer.eos_token_ids} if endless else None
    return {"model": "AskBuddyX", "max_tokens": max_tokens, "stream": stream,
            "logit_bias": bias, "messages": [{"role": "user", "content": QUESTION}]}


def post(server, payload: dict, **kwargs):
    return requests.post(server.url + "/v1/chat/completions", json=payload,
                         headers=server.headers(), timeout=120, **kwargs)


def wait_until(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stop(server) -> None:
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait(timeout=10)


@pytest.fixture
def small_server(tmp_path):
    """One generation slot, one place in the queue, two seconds of patience."""
    server = start_server(tmp_path, free_port(), ("--batch-size", "1", "--max-queue", "1",
                                                  "--queue-timeout-s", "2",
                                                  "--max-tokens-limit", "4000"))
    yield server
    stop(server)


def test_full_queue_is_429_and_a_long_wait_503(small_server, tokenizer):
    server = small_server
    with post(server, body(tokenizer, 4000, stream=True), stream=True) as holder:
        assert holder.status_code == 200
        # Keep the iterator: closing it mid-stream (even by garbage collection) makes urllib3
        # drop the connection, and the server would cancel the answer.
        lines = holder.iter_lines()
        next(lines)  # generating now: it holds the only slot
        waiting: dict = {}
        thread = threading.Thread(target=lambda: waiting.update(
            r=post(server, body(tokenizer, 4, stream=False, endless=False))))
        thread.start()
        wait_until(lambda: server.health()["queued"] == 1, "the second request to queue")

        t0 = time.perf_counter()
        refused = post(server, body(tokenizer, 4, stream=False, endless=False))
        assert refused.status_code == 429 and time.perf_counter() - t0 < 2, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        err = refused.json()["error"]
        assert (err["type"], err["code"]) == ("rate_limit_error", "server_overloaded")
        assert "serve.max_queue" in err["message"]

        thread.join(timeout=60)
        late = waiting["r"]
        assert late.status_code == 503, late.text
        assert late.json()["error"]["code"] == "queue_timeout"
        assert int(late.headers["Retry-After"]) >= 1
        # Still streaming: it held its slot all along.
        assert next(line for line in lines if line).startswith(b'data: {"id"')
    # The holder hung up: its answer is cancelled and the slot is free again.
    wait_until(lambda: server.health()["running"] == 0 == server.health()["active_requests"],
               "the slot to free")
    r = post(server, body(tokenizer, 4, stream=False, endless=False))
    assert r.status_code == 200, r.text
    log = server.log_text()
    assert " status=429 " in log and " status=503 " in log and " status=499 " in log


def read_events(server, payload: dict, out: dict, started: threading.Event) -> None:
    """Stream one request to its end; out gets the status and the SSE payloads (or JSON)."""
    with post(server, payload, stream=payload["stream"]) as r:
        out["status"] = r.status_code
        if not payload["stream"]:
            started.set()
            out["json"] = r.json()
            return
        out["events"] = []
        for line in r.iter_lines():
            if line.startswith(b"data: "):
                started.set()
                data = line[len(b"data: "):]
                out["events"].append(data if data == b"[DONE]" else json.loads(data))


def finish_reasons(events: list) -> list:
    return [c["finish_reason"] for e in events if isinstance(e, dict)
            for c in e.get("choices", []) if c["finish_reason"]]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_shutdown_finishes_or_cancels_in_flight_requests_and_exits_0(tmp_path, tokenizer, sig):
    grace = 2.0
    server = start_server(tmp_path, free_port(), ("--max-tokens-limit", "4000",
                                                  "--shutdown-grace-s", str(grace)))
    try:
        jobs = {"long stream": body(tokenizer, 4000, stream=True),
                "long plain": body(tokenizer, 4000, stream=False),
                "short stream": body(tokenizer, 24, stream=True)}
        results = {name: {} for name in jobs}
        threads = []
        for name, payload in jobs.items():
            started = threading.Event()
            threads.append(threading.Thread(target=read_events,
                                            args=(server, payload, results[name], started)))
            threads[-1].start()
            if name != "long plain":  # a plain answer says nothing before it is done
                assert started.wait(60), name
        wait_until(lambda: server.health()["active_requests"] == 3, "three answers running")

        t0 = time.perf_counter()
        server.proc.send_signal(sig)
        for thread in threads:
            thread.join(timeout=30)
        answered = time.perf_counter() - t0
        assert server.proc.wait(timeout=grace + 15) == 0
        exited = time.perf_counter() - t0
    finally:
        stop(server)
    # Every client has its answer (or its cancellation) right after the grace; the process
    # then exits (interpreter teardown with torch imported by transformers: 1-3 s here).
    assert answered < grace + 2, f"the last answer came {answered:.1f} s after the signal"
    assert exited < grace + 8, f"the server exited {exited:.1f} s after the signal"

    short = results["short stream"]["events"]
    assert finish_reasons(short) == ["length"] and short[-1] == b"[DONE]"  # finished
    cut = results["long stream"]["events"]
    assert finish_reasons(cut) == [] and cut[-1] == b"[DONE]"
    assert cut[-2]["error"]["code"] == "shutting_down"  # cancelled, and told so
    plain = results["long plain"]
    assert plain["status"] == 503 and plain["json"]["error"]["code"] == "shutting_down"

    log = server.log_text()
    assert log.count("POST /v1/chat/completions model=AskBuddyX status=") == 3
    assert " status=503 " in log and "shutdown complete" in log
    # Captured chats: whole JSON lines only, and only the answer that finished.
    lines = "".join(p.read_text() for p in server.chats_dir.glob("chats-*.jsonl")).splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["finish_reason"] for r in records] == ["length"]


def test_chat_appends_survive_a_torn_last_line(tmp_path):
    from askbuddyx.serve.chats import ChatRecorder, read_chat_logs

    recorder = ChatRecorder(tmp_path)
    path = recorder.record("AskBuddyX", [{"role": "user", "content": "q\u2028two lines?"}],
                           "answer", "stop")
    with path.open("ab") as f:  # what a crash in the middle of a write would leave
        f.write(b'{"time": "2026-01-01T00:00:00Z", "messages": [{"role": "us\xc3')
    recorder.record("AskBuddyX", [{"role": "user", "content": "next"}], "answer 2", "stop")
    records, broken = read_chat_logs(tmp_path)
    assert [r["messages"][0]["content"] for r in records] == ["q\u2028two lines?", "next"]
    assert broken == 1
    assert path.read_bytes().endswith(b"\n")


def test_export_replaces_its_output_whole(tmp_path):
    from askbuddyx.serve.chats import ChatRecorder, export_chats

    ChatRecorder(tmp_path / "chats").record("AskBuddyX", [{"role": "user", "content": "q"}],
                                            "a long enough answer " * 3, "stop")
    out = tmp_path / "out" / "chats.jsonl"
    out.parent.mkdir()
    out.write_text("old contents\n")
    assert export_chats(tmp_path / "chats", out)["kept"] == 1
    assert json.loads(out.read_text())["messages"][-1]["role"] == "assistant"
    assert sorted(p.name for p in out.parent.iterdir()) == ["chats.jsonl"]  # no temp left


def test_bad_overload_settings_fail_before_loading(root, tmp_path):
    import sys

    cmd = [sys.executable, "-m", "askbuddyx.cli", "serve", "--params", str(root / "params.yaml"),
           "--adapter", "", "--port", str(free_port()), "--queue-timeout-s", "0"]
    r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "serve.queue_timeout_s must be > 0" in r.stderr
    assert "--queue-timeout-s" in r.stderr


def test_admission_queue_rules():
    """Without a server: FIFO grants, the queue bound, the wait bound, close()."""
    import asyncio

    from askbuddyx.serve.admission import Admission, Closed, Overloaded, QueueTimeout

    async def scenario():
        adm = Admission(capacity=2, max_queue=1, queue_timeout_s=0.3)
        order = []

        async def job(name, n, hold):
            async with adm.slot(n):
                order.append(name)
                await asyncio.sleep(hold)

        first = asyncio.create_task(job("a", 2, 0.1))  # takes both slots
        await asyncio.sleep(0.01)
        second = asyncio.create_task(job("b", 1, 0))  # waits, first in line
        await asyncio.sleep(0.01)
        assert (adm.running, adm.queued) == (2, 1)
        with pytest.raises(Overloaded) as info:  # the queue holds one
            await job("c", 1, 0)
        assert info.value.retry_after >= 1
        await asyncio.gather(first, second)
        assert order == ["a", "b"] and (adm.running, adm.queued) == (0, 0)

        hog = asyncio.create_task(job("hog", 2, 1.0))
        await asyncio.sleep(0.01)
        with pytest.raises(QueueTimeout):  # 0.3 s is not enough
            await job("late", 1, 0)
        assert adm.queued == 0  # the one that gave up left the queue
        waiter = asyncio.create_task(job("w", 1, 0))
        await asyncio.sleep(0.01)
        adm.close()
        with pytest.raises(Closed):
            await waiter
        with pytest.raises(Closed):
            await job("new", 1, 0)
        await hog
        assert adm.running == 0  # every slot came back

    asyncio.run(scenario())
