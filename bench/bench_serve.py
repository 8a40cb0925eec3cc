"""Throughput of `askbuddyx serve` with 1 vs N concurrent clients, against `mlx_lm.server`,
and its requests/s, latency and 429s at 1, 8 and 32 clients.

    .venv/bin/python bench/bench_serve.py                  # embedded model, 8 clients
    .venv/bin/python bench/bench_serve.py --clients 8 --requests 3 --max-tokens 128
    .venv/bin/python bench/bench_serve.py --skip-mlx-lm --batch-size 8 --max-queue 8  # overload

Starts each server in turn on the same base model + adapter (outputs/adapters/dev when it
exists, else a demo LoRA adapter made on the spot), sends the same greedy chat requests (the
AskBuddyX system prompt included explicitly, so both servers see identical prompts), and
measures total generated tokens per second (from each response's `usage.completion_tokens`)
with one client alone, then with N clients at once. Prints:

    scaling = ours(N clients) / ours(1 client)          target >= 2.5
    vs mlx_lm.server = ours(N) / mlx_lm.server(N)        target >= 1.0

Then, on our server only, each of `--levels` (1, 8, 32 clients) sends `--level-requests`
requests per client (8 in all at least): requests/s answered, p50/p95 latency of the answered
ones, and how many got a 429 (the queue of `serve.max_queue` full; `--batch-size` /
`--max-queue` override the server's settings, e.g. to see overload on purpose). A fixed count
of short requests: about 20 s of the run.

Both servers get the same environment (OpenBLAS preloaded when available, as `askbuddyx`
does); ours generates with float32 weights on MLX's CPU backend (`serve.dequantize: auto`),
mlx_lm.server with the model's 4-bit ones, so `vs mlx_lm.server` includes that choice.
Numbers depend on the machine and on whatever else runs on it: run it on a quiet one.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import env as bench_env  # noqa: E402, I001
from askbuddyx.prompting import SYSTEM_PROMPT  # noqa: E402

TASKS = [
    "Write a function to reverse a string",
    "Write a Python function that counts the vowels in a string",
    "Create a function that returns the largest number in a list",
    "Write a function to check whether a number is prime",
    "Write a function that removes duplicates from a list, keeping order",
    "Write a function that merges two dictionaries",
    "Write a function that reads a text file and returns its lines",
    "Write a function to compute the factorial of n recursively",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list, url: str, log: Path) -> subprocess.Popen:
    with log.open("w") as f:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=bench_env(), stdout=f,
                                stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[2:4]} exited:\n{log.read_text()[-2000:]}")
        try:
            requests.get(url + "/health", timeout=2)
            return proc
        except requests.ConnectionError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"server did not start:\n{log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def one_request(url: str, model: str | None, task: str, max_tokens: int) -> int:
    body = {"messages": [{"role": "system", "content": SYSTEM_PROMPT},
                         {"role": "user", "content": task}],
            "max_tokens": max_tokens, "temperature": 0.0}
    if model:
        body["model"] = model
    r = requests.post(url + "/v1/chat/completions", json=body, timeout=600)
    r.raise_for_status()
    return r.json()["usage"]["completion_tokens"]


def timed_request(url: str, model: str | None, task: str, max_tokens: int) -> tuple:
    """(HTTP status, seconds) of one greedy chat request; a 429 is a result, not an error."""
    body = {"model": model, "max_tokens": max_tokens, "temperature": 0.0,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                         {"role": "user", "content": task}]}
    t0 = time.perf_counter()
    r = requests.post(url + "/v1/chat/completions", json=body, timeout=600)
    if r.status_code not in (200, 429):
        raise SystemExit(f"request failed: {r.status_code} {r.text[:300]}")
    return r.status_code, time.perf_counter() - t0


def run_clients(client, clients: int) -> float:
    """Run `client(i)` for i in range(clients), each in its own thread; seconds for all."""
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def run_level(url: str, model: str | None, clients: int, per_client: int,
              max_tokens: int) -> dict:
    """Requests/s, p50/p95 latency (answered requests) and 429s of `clients` in parallel."""
    results: list = []
    lock = threading.Lock()

    def client(i: int) -> None:
        for j in range(per_client):
            result = timed_request(url, model, TASKS[(i + j) % len(TASKS)], max_tokens)
            with lock:
                results.append(result)

    elapsed = run_clients(client, clients)
    latencies = sorted(s for status, s in results if status == 200)
    if len(results) != clients * per_client or not latencies:
        raise SystemExit(f"{clients} clients: {len(results)} results, {len(latencies)} answered")
    return {"rps": len(latencies) / elapsed, "n_429": sum(st == 429 for st, _ in results),
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p95_ms": 1000 * latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]}


def run_load(url: str, model: str | None, clients: int, per_client: int,
             max_tokens: int) -> tuple[float, int]:
    """(tokens/s, tokens) for `clients` threads each sending `per_client` requests in a row."""
    counts = [0] * clients
    errors = []

    def client(i: int) -> None:
        try:
            for j in range(per_client):
                counts[i] += one_request(url, model, TASKS[(i + j) % len(TASKS)], max_tokens)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    elapsed = run_clients(client, clients)
    if errors:
        raise SystemExit(f"requests failed: {errors[0]!r}")
    return sum(counts) / elapsed, sum(counts)


def measure_rounds(servers: dict, args) -> dict:
    """Alternate the servers round by round; keep each one's best round.

    The machine may be shared: alternating gives both servers the same background load, and
    the best of several rounds is the least disturbed measurement of each.
    """
    best = {name: {"single": 0.0, "multi": 0.0} for name in servers}
    for rnd in range(1, args.rounds + 1):
        for load, clients in (("single", 1), ("multi", args.clients)):
            for name, (url, model) in servers.items():
                tps, n = run_load(url, model, clients, args.requests, args.max_tokens)
                best[name][load] = max(best[name][load], tps)
                print(f"round {rnd} {name:>15} {clients} client(s): {tps:8.1f} tok/s "
                      f"({n} tokens)", flush=True)
    return best


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(ROOT / "assets/models/askbuddyx-tiny-qwen2-4bit"))
    p.add_argument("--adapter", default=str(ROOT / "outputs/adapters/dev"))
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=3, help="requests per client")
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--skip-mlx-lm", action="store_true")
    p.add_argument("--levels", default="1,8,32", help="client counts for requests/s, latency")
    p.add_argument("--level-requests", type=int, default=2,
                   help="requests per client there (at least 8 per level)")
    p.add_argument("--level-max-tokens", type=int, default=64)
    p.add_argument("--batch-size", type=int, help="our server's --batch-size (default: params)")
    p.add_argument("--max-queue", type=int, help="our server's --max-queue (default: params)")
    p.add_argument("--json", default=None, help="also write the figures here (flat JSON)")
    args = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="bench_serve_"))
    adapter = args.adapter
    if not (Path(adapter) / "adapters.safetensors").is_file():
        from askbuddyx.serve.demo_adapter import make_demo_adapter

        adapter = str(make_demo_adapter(args.model, tmp / "adapter"))
        print(f"(no trained adapter at {args.adapter}: using a demo LoRA adapter)")
    print(f"model {args.model}\nadapter {adapter}\n{args.clients} clients x {args.requests} "
          f"requests, max_tokens {args.max_tokens}, greedy; cores: {os.cpu_count()}, "
          f"load average before: {os.getloadavg()[0]:.2f}", flush=True)

    overrides = [arg for flag, value in (("--batch-size", args.batch_size),
                                         ("--max-queue", args.max_queue))
                 if value is not None for arg in (flag, str(value))]
    commands = {"askbuddyx serve": (lambda port: [
        sys.executable, "-m", "askbuddyx.cli", "serve", "--model", args.model,
        "--adapter", adapter, "--adapters-dir", str(tmp / "none"), "--port", str(port),
        *overrides], "AskBuddyX")}
    if not args.skip_mlx_lm:
        commands["mlx_lm.server"] = (lambda port: [
            sys.executable, "-m", "mlx_lm", "server", "--model", args.model, "--adapter-path",
            adapter, "--port", str(port), "--log-level", "WARNING"], None)
    procs, servers = [], {}
    try:
        for name, (command, model) in commands.items():
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            procs.append(start(command(port), url, tmp / f"{name.split()[0]}.log"))
            one_request(url, model, TASKS[0], 8)  # warm up
            servers[name] = (url, model)
        best = measure_rounds(servers, args)
        url, model = servers["askbuddyx serve"]
        # At least 8 requests per level, so 1 client's p50/p95 are not one or two samples.
        levels = {n: run_level(url, model, n, max(args.level_requests, -(-8 // n)),
                               args.level_max_tokens)
                  for n in (int(c) for c in args.levels.split(","))}
    finally:
        for proc in procs:
            stop(proc)

    ours = best["askbuddyx serve"]
    print(f"\nbest of {args.rounds} rounds (tokens/s):")
    for name, b in best.items():
        print(f"{name:>15}: 1 client {b['single']:8.1f}   {args.clients} clients "
              f"{b['multi']:8.1f}   scaling {b['multi'] / b['single']:.2f}x")
    print(f"scaling ({args.clients} clients / 1 client): {ours['multi'] / ours['single']:.2f}x"
          "  (target >= 2.5)")
    if "mlx_lm.server" in best:
        vs = ours["multi"] / best["mlx_lm.server"]["multi"]
        print(f"vs mlx_lm.server at {args.clients} clients: {vs:.2f}x  (target >= 1.0)")
    print(f"\naskbuddyx serve, {args.level_requests}+ requests per client, max_tokens "
          f"{args.level_max_tokens}{' ' + ' '.join(overrides) if overrides else ''}:")
    for n, level in levels.items():
        print(f"{n:>3} clients: {level['rps']:6.2f} requests/s   p50 {level['p50_ms']:7.0f} ms"
              f"   p95 {level['p95_ms']:7.0f} ms   429s {level['n_429']}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.json:  # bench/run_all.py's contract: a flat dict of the measured figures
        import json

        figures = {"clients": args.clients, "requests_per_client": args.requests,
                   "max_tokens": args.max_tokens, "rounds": args.rounds,
                   "ours_1_client_tps": round(ours["single"], 1),
                   "ours_n_clients_tps": round(ours["multi"], 1),
                   "scaling_ratio": round(ours["multi"] / ours["single"], 3),
                   "scaling_target": 2.5}
        for n, level in levels.items():
            figures.update({f"clients_{n}_rps": round(level["rps"], 2),
                            f"clients_{n}_p50_ms": round(level["p50_ms"], 1),
                            f"clients_{n}_p95_ms": round(level["p95_ms"], 1),
                            f"clients_{n}_429": level["n_429"]})
        if "mlx_lm.server" in best:
            figures.update(
                mlx_lm_1_client_tps=round(best["mlx_lm.server"]["single"], 1),
                mlx_lm_n_clients_tps=round(best["mlx_lm.server"]["multi"], 1),
                vs_mlx_lm_ratio=round(ours["multi"] / best["mlx_lm.server"]["multi"], 3),
                vs_mlx_lm_target=1.0)
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
