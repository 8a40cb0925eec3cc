"""A bounded load test of a live `askbuddyx serve` (issue 15, section 3; must-hold 3).

    .venv/bin/python -m pytest -q -m load -s     # on its own, with its figures printed

32 concurrent streaming clients on the embedded model send 3 requests each (96, loopback
only), after a warm-up round of the same; every third request hangs up after its first
words. Afterwards every request was answered (finish_reason, `data: [DONE]`) or cancelled
(logged as 499), no generation slot is left running (`/health`: active_requests, running,
queued all 0), the server's resident memory is within 10% of its value after the warm-up,
and `/health` answers. About 30 s on a 2-core machine.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.serve_live import free_port, start_server

pytestmark = pytest.mark.load

CLIENTS = 32
REQUESTS_PER_CLIENT = 3
MAX_TOKENS = 48
DEADLINE_S = 300  # the whole load phase; a hung request fails the test instead of hanging it
TASKS = ["Write a function to reverse a string", "Write a function that checks for primes",
         "Write a function that merges two sorted lists", "Write a function to count vowels"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, tokenizer):
    server = start_server(tmp_path_factory.mktemp("load"), free_port(),
                          ("--max-tokens-limit", "512"))
    server.eos = [str(t) for t in tokenizer.eos_token_ids]
    yield server
    server.proc.terminate()
    server.proc.wait(timeout=30)


def rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024


def one_request(server, i: int, hang_up: bool) -> dict:
    """Stream one answer; `hang_up`: close the connection after the first content chunk
    (that request runs long, EOS banned, so it is surely mid-stream then)."""
    body = {"model": "AskBuddyX", "stream": True, "messages": [
        {"role": "user", "content": f"{TASKS[i % len(TASKS)]} (request {i})"}]}
    if hang_up:
        body.update(max_tokens=512, logit_bias={t: -100 for t in server.eos})
    else:
        body.update(max_tokens=MAX_TOKENS)
    t0 = time.perf_counter()
    with requests.post(server.url + "/v1/chat/completions", json=body, stream=True,
                       headers=server.headers(), timeout=120) as r:
        out = {"status": r.status_code, "hang_up": hang_up, "finish": None, "done": False}
        for line in r.iter_lines():
            if line == b"data: [DONE]":
                out["done"] = True
            elif line.startswith(b'data: {"id"') and b'"content": "' in line and \
                    b'"content": ""' not in line and hang_up:
                out["hung_up"] = True
                break  # leaving the `with` closes the connection mid-stream
            elif b'"finish_reason": "' in line:
                out["finish"] = re.search(rb'"finish_reason": "(\w+)"', line).group(1)
    out["seconds"] = time.perf_counter() - t0
    return out


def run_clients(server, clients: int, per_client: int, first: int) -> list:
    results: list = []
    lock = threading.Lock()

    def client(c: int) -> None:
        for j in range(per_client):
            i = first + c * per_client + j
            result = one_request(server, i, hang_up=i % 3 == 0)
            with lock:
                results.append(result)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=DEADLINE_S)
    assert not any(t.is_alive() for t in threads), f"clients still running after {DEADLINE_S} s"
    return results


def settle(server) -> dict:
    """/health once every answer has left the engine (cancellations take a step or two),
    and the engine, idle, has handed its freed buffers back (its idle wake-up: 0.5 s)."""
    deadline = time.monotonic() + 30
    while True:
        health = server.health()
        if health["active_requests"] == health["running"] == health["queued"] == 0:
            time.sleep(1.0)
            return server.health()
        assert time.monotonic() < deadline, f"slots still in use: {health}"
        time.sleep(0.1)


def chat_log_statuses(server) -> list:
    return re.findall(r"POST /v1/chat/completions model=AskBuddyX status=(\d+)",
                      server.log_text())


def test_32_streaming_clients_a_third_hanging_up(server):
    # Warm-up: the same traffic once (allocator, prompt cache, MLX's buffer cache fill up).
    warm = run_clients(server, CLIENTS, REQUESTS_PER_CLIENT, first=10_000)
    settle(server)
    rss_warm = rss_bytes(server.proc.pid)

    t0 = time.perf_counter()
    results = run_clients(server, CLIENTS, REQUESTS_PER_CLIENT, first=0)
    elapsed = time.perf_counter() - t0
    health = settle(server)
    rss_after = rss_bytes(server.proc.pid)

    total = CLIENTS * REQUESTS_PER_CLIENT
    answered = [r for r in results if not r["hang_up"]]
    hung_up = [r for r in results if r["hang_up"]]
    assert len(results) == total and len(hung_up) == total // 3
    assert all(r["status"] == 200 for r in results)
    assert all(r["done"] and r["finish"] in (b"stop", b"length") for r in answered)
    assert all(r.get("hung_up") for r in hung_up), "each of those left mid-stream"

    statuses = chat_log_statuses(server)
    assert len(statuses) == len(warm) + total  # one line per request, none lost
    assert set(statuses) <= {"200", "499"}
    cancelled = statuses.count("499")  # a hang-up after the answer was complete logs a 200
    assert 0 < cancelled <= sum(r["hang_up"] for r in warm + results)

    assert health["status"] == "ok" and health["peak_batch"] > 1
    growth = (rss_after - rss_warm) / rss_warm
    assert abs(growth) <= 0.10, f"RSS {rss_warm / 2**20:.0f} -> {rss_after / 2**20:.0f} MiB"
    latencies = sorted(r["seconds"] for r in answered)
    print(f"\nload: {total} requests ({len(hung_up)} hung up) from {CLIENTS} clients in "
          f"{elapsed:.1f} s ({total / elapsed:.1f} req/s); answered p50 "
          f"{latencies[len(latencies) // 2]:.2f} s, p95 "
          f"{latencies[int(len(latencies) * 0.95)]:.2f} s; 499 logged {cancelled}; RSS "
          f"{rss_warm / 2**20:.1f} -> {rss_after / 2**20:.1f} MiB ({growth:+.1%}); peak batch "
          f"{health['peak_batch']}")
