"""Throughput of `askbuddyx serve` with 1 vs N concurrent clients, against `mlx_lm.server`,
and its requests/s, latency and 429s at 1, 8 and 32 clients; on the tiny and the smol base
model (same measures for both).

    .venv/bin/python bench/bench_serve.py                  # tiny and smol, sized to --seconds
    .venv/bin/python bench/bench_serve.py --models tiny --clients 8 --requests 3 --max-tokens 128
    .venv/bin/python bench/bench_serve.py --models tiny --skip-mlx-lm --batch-size 8 \
        --max-queue 8                                      # overload on purpose

For each model, starts each server in turn on the same base model + a demo LoRA adapter
(askbuddyx.serve.demo_adapter, the layout training writes: both models measured the same way
whatever was trained), sends the same greedy chat requests (the AskBuddyX system prompt
included explicitly, so both servers see identical prompts), and measures total generated
tokens per second (from each response's `usage.completion_tokens`) with one client alone, then
with N clients at once. Prints:

    scaling = ours(N clients) / ours(1 client)          target >= 2.5
    vs mlx_lm.server = ours(N) / mlx_lm.server(N)        target >= 1.0

Then, on our server only, each of `--levels` (1, 8, 32 clients) sends `--level-requests`
requests per client (8 in all at least): requests/s answered, p50/p95 latency of the answered
ones, and how many got a 429 (the queue of `serve.max_queue` full; `--batch-size` /
`--max-queue` override the server's settings, e.g. to see overload on purpose).

Sizing (`--seconds`, run_all.py's share, split evenly over the models): once a model's servers
are up, one short request to each calibrates its seconds per token; then rounds, requests per
client, max_tokens, the levels and their max_tokens are cut (in that order) until the whole
measurement fits, and the output says so.

Both servers get the same environment (OpenBLAS preloaded when available, as `askbuddyx`
does); ours generates with float32 weights on MLX's CPU backend (`serve.dequantize: auto`).
mlx_lm.server gets the tiny model's 4-bit weights, so there `vs mlx_lm.server` includes that
choice; for smol (`--mlx-lm-float`) a float32 copy made by `mlx_lm convert --dequantize`, the
same computation as ours (its 4-bit CPU path would make one request take minutes).
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
from dataclasses import dataclass, replace
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import Budget, add_seconds_arg, model_dir, write_json  # noqa: E402, I001
from _common import env as bench_env  # noqa: E402
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


@dataclass(frozen=True)
class Plan:
    """What one model's measurement sends: the load rounds, then the levels."""

    rounds: int
    requests: int  # per client, in each load run
    max_tokens: int
    levels: tuple[int, ...]
    level_requests: int
    level_max_tokens: int


def level_requests(clients: int, per_client: int) -> int:
    """Requests per client at a level: at least 8 in all, so 1 client's p50/p95 are not one
    or two samples."""
    return max(per_client, -(-8 // clients))


def plan_cost(plan: Plan, clients: int, token_s: dict) -> float:
    """Estimated seconds: a client alone waits for every token; N clients batched get them at
    least ~2x faster in all (the scaling target is 2.5x)."""
    load = sum(plan.rounds * plan.requests * plan.max_tokens * s * (1 + clients / 2)
               for s in token_s.values())
    ours = token_s["askbuddyx serve"]
    levels = sum(n * level_requests(n, plan.level_requests) * plan.level_max_tokens * ours
                 / (1 if n == 1 else 2) for n in plan.levels)
    return load + levels


def size_plan(wanted: Plan, clients: int, token_s: dict, seconds: float) -> Plan:
    """Cut rounds, requests, max_tokens, the 32-client level, then the levels' max_tokens."""
    steps = [lambda p: replace(p, rounds=p.rounds - 1) if p.rounds > 1 else None,
             lambda p: replace(p, requests=p.requests - 1) if p.requests > 1 else None,
             lambda p: replace(p, max_tokens=p.max_tokens // 2) if p.max_tokens > 32 else None,
             lambda p: replace(p, levels=p.levels[:-1]) if len(p.levels) > 2 else None,
             lambda p: (replace(p, level_max_tokens=p.level_max_tokens // 2)
                        if p.level_max_tokens > 16 else None)]
    plan = wanted
    for cut in steps:
        while plan_cost(plan, clients, token_s) > seconds and (smaller := cut(plan)):
            plan = smaller
    cost = plan_cost(plan, clients, token_s)
    rates = ", ".join(f"{name} ~{1000 * s:.0f} ms" for name, s in token_s.items())
    print(f"sizing: a token alone takes {rates}: {plan.rounds} round(s) x {plan.requests} "
          f"request(s) per client x {plan.max_tokens} max tokens, levels "
          f"{','.join(map(str, plan.levels))} at {plan.level_max_tokens} max tokens "
          f"(asked {wanted.rounds} x {wanted.requests} x {wanted.max_tokens}, levels "
          f"{','.join(map(str, wanted.levels))} at {wanted.level_max_tokens}): ~{cost:.0f} s, "
          + ("fits in" if cost <= seconds else "the least that measures, over")
          + f" {seconds:.0f} s", flush=True)
    return plan


def calibrate(servers: dict, tokens: int = 16) -> dict:
    """Seconds per token of each server answering one short request alone."""
    token_s = {}
    for name, (url, model) in servers.items():
        t0 = time.perf_counter()
        n = one_request(url, model, TASKS[1], tokens)
        token_s[name] = (time.perf_counter() - t0) / max(1, n)
    return token_s


def measure_rounds(servers: dict, plan: Plan, clients: int, tag: str) -> dict:
    """Alternate the servers round by round; keep each one's best round.

    The machine may be shared: alternating gives both servers the same background load, and
    the best of several rounds is the least disturbed measurement of each.
    """
    best = {name: {"single": 0.0, "multi": 0.0} for name in servers}
    for rnd in range(1, plan.rounds + 1):
        for load, n_clients in (("single", 1), ("multi", clients)):
            for name, (url, model) in servers.items():
                tps, n = run_load(url, model, n_clients, plan.requests, plan.max_tokens)
                best[name][load] = max(best[name][load], tps)
                print(f"[{tag}] round {rnd} {name:>15} {n_clients} client(s): {tps:8.1f} "
                      f"tok/s ({n} tokens)", flush=True)
    return best


def float_copy(model: str, out: Path) -> str:
    """The model with float32 weights, by mlx-lm's own `convert --dequantize` (what our server
    computes with on a CPU, `serve.dequantize: auto`)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mlx_lm", "convert", "--hf-path", model,
                    "--mlx-path", str(out), "--dequantize", "--dtype", "float32"],
                   check=True, capture_output=True, env=bench_env())
    print(f"mlx_lm.server gets float32 weights: `mlx_lm convert --dequantize` of {model} "
          f"({time.perf_counter() - start:.0f} s)", flush=True)
    return str(out)


def server_commands(args, model: str, mlx_model: str, adapter: str, tmp: Path) -> dict:
    overrides = [arg for flag, value in (("--batch-size", args.batch_size),
                                         ("--max-queue", args.max_queue))
                 if value is not None for arg in (flag, str(value))]
    commands = {"askbuddyx serve": (lambda port: [
        sys.executable, "-m", "askbuddyx.cli", "serve", "--model", model,
        "--adapter", adapter, "--adapters-dir", str(tmp / "none"), "--port", str(port),
        *overrides], "AskBuddyX")}
    if not args.skip_mlx_lm:
        commands["mlx_lm.server"] = (lambda port: [
            sys.executable, "-m", "mlx_lm", "server", "--model", mlx_model, "--adapter-path",
            adapter, "--port", str(port), "--log-level", "WARNING"], None)
    return commands


def serve_model(tag: str, model: str, args, wanted: Plan, seconds: float, tmp: Path) -> dict:
    """One base model's figures, both servers, sized to `seconds`."""
    from askbuddyx.serve.demo_adapter import make_demo_adapter

    budget = Budget(seconds)
    adapter = str(make_demo_adapter(model, tmp / f"{tag}_adapter"))
    float_for_mlx_lm = tag in args.mlx_lm_float.split(",") and not args.skip_mlx_lm
    mlx_model = float_copy(model, tmp / f"{tag}_float") if float_for_mlx_lm else model
    print(f"[{tag}] model {model}, demo adapter; {args.clients} clients, greedy; cores: "
          f"{os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}", flush=True)
    procs, servers = [], {}
    try:
        for name, (command, served) in server_commands(args, model, mlx_model, adapter,
                                                       tmp).items():
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            procs.append(start(command(port), url, tmp / f"{tag}_{name.split()[0]}.log"))
            one_request(url, served, TASKS[0], 8)  # warm up
            servers[name] = (url, served)
        plan = size_plan(wanted, args.clients, calibrate(servers), budget.left())
        best = measure_rounds(servers, plan, args.clients, tag)
        url, served = servers["askbuddyx serve"]
        levels = {n: run_level(url, served, n, level_requests(n, plan.level_requests),
                               plan.level_max_tokens) for n in plan.levels}
    finally:
        for proc in procs:
            stop(proc)
    report(tag, best, levels, plan, args.clients)
    print(f"[{tag}] {budget.elapsed():.0f} s of {seconds:.0f}; load average after: "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    return {**figures_of(tag, best, levels, plan, args.clients),
            f"{tag}_mlx_lm_float_weights": float_for_mlx_lm}


def report(tag: str, best: dict, levels: dict, plan: Plan, clients: int) -> None:
    ours = best["askbuddyx serve"]
    print(f"\n[{tag}] best of {plan.rounds} round(s) (tokens/s):")
    for name, b in best.items():
        print(f"[{tag}] {name:>15}: 1 client {b['single']:8.1f}   {clients} clients "
              f"{b['multi']:8.1f}   scaling {b['multi'] / b['single']:.2f}x")
    print(f"[{tag}] scaling ({clients} clients / 1 client): "
          f"{ours['multi'] / ours['single']:.2f}x  (target >= 2.5)")
    if "mlx_lm.server" in best:
        print(f"[{tag}] vs mlx_lm.server at {clients} clients: "
              f"{ours['multi'] / best['mlx_lm.server']['multi']:.2f}x  (target >= 1.0)")
    print(f"[{tag}] askbuddyx serve, {plan.level_requests}+ requests per client, max_tokens "
          f"{plan.level_max_tokens}:")
    for n, level in levels.items():
        print(f"[{tag}] {n:>3} clients: {level['rps']:6.2f} requests/s   p50 "
              f"{level['p50_ms']:7.0f} ms   p95 {level['p95_ms']:7.0f} ms   429s {level['n_429']}")


def figures_of(tag: str, best: dict, levels: dict, plan: Plan, clients: int) -> dict:
    """bench/run_all.py's contract: a flat dict, keys prefixed with the model."""
    ours = best["askbuddyx serve"]
    figures = {"clients": clients, "requests_per_client": plan.requests,
               "max_tokens": plan.max_tokens, "rounds": plan.rounds,
               "ours_1_client_tps": round(ours["single"], 1),
               "ours_n_clients_tps": round(ours["multi"], 1),
               "scaling_ratio": round(ours["multi"] / ours["single"], 3), "scaling_target": 2.5}
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
    return {f"{tag}_{k}": v for k, v in figures.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_seconds_arg(p, 180)
    p.add_argument("--models", default="tiny,smol", help="profiles whose base model is served")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--requests", type=int, default=3, help="requests per client (at most)")
    p.add_argument("--max-tokens", type=int, default=128, help="at most")
    p.add_argument("--rounds", type=int, default=3, help="at most")
    p.add_argument("--skip-mlx-lm", action="store_true")
    p.add_argument("--mlx-lm-float", default="smol",
                   help="models for which mlx_lm.server gets float32 weights (mlx_lm convert "
                   "--dequantize), as ours computes: its 4-bit CPU path makes a request minutes")
    p.add_argument("--levels", default="1,8,32", help="client counts for requests/s, latency")
    p.add_argument("--level-requests", type=int, default=2,
                   help="requests per client there (at least 8 per level)")
    p.add_argument("--level-max-tokens", type=int, default=64, help="at most")
    p.add_argument("--batch-size", type=int, help="our server's --batch-size (default: params)")
    p.add_argument("--max-queue", type=int, help="our server's --max-queue (default: params)")
    p.add_argument("--json", default=None, help="also write the figures here (flat JSON)")
    args = p.parse_args(argv)
    wanted = Plan(args.rounds, args.requests, args.max_tokens,
                  tuple(int(c) for c in args.levels.split(",")), args.level_requests,
                  args.level_max_tokens)
    budget = Budget(args.seconds)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    figures = {"seconds": args.seconds}
    with tempfile.TemporaryDirectory(prefix="bench_serve_") as tmp:
        for i, name in enumerate(names):
            model = str(model_dir(name, Path(tmp)))
            figures.update(serve_model(name, model, args, wanted,
                                       budget.left() / (len(names) - i), Path(tmp)))
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
