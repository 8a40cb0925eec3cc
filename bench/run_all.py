"""Run every benchmark in bench/ and write metrics/bench.json (`make bench`).

    .venv/bin/python bench/run_all.py [--only train,dvc] [--budget 840] [--out metrics/bench.json]

Each benchmark is a script `bench/bench_<name>.py` that accepts `--json PATH`, writes a flat
dict of its measured figures there (each ratio with its target) and prints a human-readable
summary; this runner streams that summary, collects the dicts, and prints every ratio at the
end. A script that is not there is reported as missing; one that does not support `--json`
yet is run without it and reported as `no-json` with its output's last lines. The arguments
below keep the whole run under ~15 minutes on the 2-core dev machine; they are passed only
to scripts that define the flag. Exit code 1 when a benchmark failed or timed out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# (name, arguments kept small for the time budget, timeout in seconds); issue numbering.
BENCHES = [
    # 1 stage vs mlx_lm lora: 5 short rounds, not 3 longer ones: this shared machine has slow
    # spells of minutes (+-10% on one run), and the best of 5 is likelier to find a quiet one.
    ("train", ["--iters", "30", "--rounds", "5"], 540),
    ("distributed", ["--iters", "16", "--rounds", "2"], 360),     # 2 processes vs 1
    ("eval_batched", [], 300),                                    # 3 batched vs one at a time
    ("serve", [], 300),                                           # 4 server, 1 vs 8 clients
    ("dvc", ["--rounds", "3"], 300),                              # 5 no-op repro, eval change
    ("prepare", [], 180),                                         # 6 20,000 records
    ("sandbox", [], 240),                                         # 7 sandbox throughput
    ("cpu_matmul", [], 60),             # why eval.dequantize: 4-bit vs float32 matmul, 1/40 rows
    ("retrieval", ["--files", "2000"], 240),  # 18 recall@5/MRR; index 2,000 files, re-index 1
]


def supported(source: str, args: list) -> list:
    """Keep the `--flag value` pairs whose flag the script defines."""
    kept = []
    for flag, value in zip(args[::2], args[1::2]):
        if f'"{flag}"' in source:
            kept += [flag, value]
    return kept


def run_one(name: str, args: list, timeout: float) -> dict:
    script = ROOT / "bench" / f"bench_{name}.py"
    if not script.is_file():
        print(f"\n=== bench_{name}.py: MISSING (not in this checkout)", flush=True)
        return {"status": "missing"}
    source = script.read_text()
    has_json = '"--json"' in source
    with tempfile.TemporaryDirectory() as tmp:
        out_json = Path(tmp) / "figures.json"
        cmd = [sys.executable, str(script), *supported(source, args)]
        cmd += ["--json", str(out_json)] if has_json else []
        print(f"\n=== bench_{name}.py: {' '.join(cmd[1:])}", flush=True)
        start = time.perf_counter()
        lines = []
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        try:
            for line in proc.stdout:  # stream the script's own summary as it comes
                print(line, end="", flush=True)
                lines.append(line.rstrip("\n"))
                if time.perf_counter() - start > timeout:
                    raise subprocess.TimeoutExpired(cmd, timeout)
            proc.wait(timeout=max(1, timeout - (time.perf_counter() - start)))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            print(f"=== bench_{name}.py: TIMED OUT after {timeout:.0f} s", flush=True)
            return {"status": "timeout", "seconds": round(time.perf_counter() - start, 1),
                    "output_tail": lines[-10:]}
        seconds = round(time.perf_counter() - start, 1)
        if proc.returncode != 0:
            return {"status": "failed", "exit_code": proc.returncode, "seconds": seconds,
                    "output_tail": lines[-15:]}
        if not has_json:
            return {"status": "no-json", "seconds": seconds, "output_tail": lines[-8:]}
        figures = json.loads(out_json.read_text()) if out_json.is_file() else {}
        return {"status": "ok" if figures else "no-json", "seconds": seconds,
                "figures": figures}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated names, e.g. train,dvc")
    parser.add_argument("--budget", type=float, default=840.0,
                        help="seconds for the whole run; each script gets what is left")
    parser.add_argument("--out", default=str(ROOT / "metrics" / "bench.json"))
    args = parser.parse_args(argv)
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    started = time.perf_counter()
    report = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "load_average_before": round(os.getloadavg()[0], 2),
        "benchmarks": {},
    }
    for name, bench_args, timeout in BENCHES:
        if only and name not in only:
            continue
        left = args.budget - (time.perf_counter() - started)
        if left < 30:
            report["benchmarks"][name] = {"status": "skipped (time budget spent)"}
            continue
        report["benchmarks"][name] = run_one(name, bench_args, min(timeout, left))
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    report["load_average_after"] = round(os.getloadavg()[0], 2)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")

    print(f"\n=== summary ({report['total_seconds']:.0f} s, {report['machine']}, load "
          f"{report['load_average_before']} -> {report['load_average_after']}); "
          f"written to {args.out}")
    for name, res in report["benchmarks"].items():
        figures = res.get("figures", {})
        ratios = {k: v for k, v in figures.items() if "ratio" in k or "target" in k or k == "met"}
        shown = ", ".join(f"{k}={v}" for k, v in ratios.items()) or (
            res.get("output_tail", [""])[-1] if res.get("output_tail") else "")
        print(f"{name:>13}: {res['status']:<8} {res.get('seconds', '')!s:>6} s  {shown}")
    bad = [n for n, r in report["benchmarks"].items() if r["status"] in ("failed", "timeout")]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
