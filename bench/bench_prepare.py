"""Benchmark: 20,000 records from a local file to training-ready text in under 10 seconds.

    .venv/bin/python bench/bench_prepare.py [--records 20000] [--runs 3]

Writes N code-alpaca-shaped records from the bundled generator (askbuddyx.data.task_generator,
the same generator as assets/datasets/code_tasks.jsonl) plus the curated set into a temporary
directory (not timed), then times what the DVC data stages do:

    fetch (copy the local files) -> load the embedded base tokenizer -> prepare (normalize,
    redact, exact + near dedupe, token lengths after the chat template, truncation, split,
    curated mix, report) -> build_text (mlx-lm chat JSONL)

and prints each step, the total, and its ratio to the 10 s target (< 1 meets it). Python's
module imports (mlx-lm, transformers, datasketch) are measured and printed apart: a stage
process pays them once, whatever the data size.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import mlx_lm.utils  # noqa: E402, F401  (the tokenizer loader's import cost, measured here)

from askbuddyx.data.build_text import build_training_text  # noqa: E402
from askbuddyx.data.fetch import fetch_sources  # noqa: E402
from askbuddyx.data.prepare import PrepareConfig, prepare_dataset  # noqa: E402
from askbuddyx.data.task_generator import generate_tasks, write_jsonl  # noqa: E402
from askbuddyx.models import load_tokenizer  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - T0
ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "assets" / "models" / "askbuddyx-tiny-qwen2-4bit"
CURATED = ROOT / "assets" / "datasets" / "curated_runnable_first.jsonl"
TARGET_SECONDS = 10.0


def run_once(work: Path, sources: list, max_seq_length: int) -> dict:
    times = {}
    cpu0 = time.process_time()
    t = time.perf_counter()
    fetch_sources(sources, work / "raw")
    times["fetch"] = time.perf_counter() - t
    t = time.perf_counter()
    tokenizer = load_tokenizer(str(MODEL))
    times["load tokenizer"] = time.perf_counter() - t
    t = time.perf_counter()
    metrics = prepare_dataset(work / "raw", work / "processed", sources, tokenizer,
                              PrepareConfig(max_seq_length=max_seq_length),
                              report_path=work / "data_report.md")
    times["prepare"] = time.perf_counter() - t
    t = time.perf_counter()
    build_training_text(work / "processed", work / "training_ready", max_seq_length)
    times["build_text"] = time.perf_counter() - t
    times["total"] = sum(times.values())
    return {"times": times, "metrics": metrics, "cpu": time.process_time() - cpu0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=1, help="repeat and report the median")
    parser.add_argument("--json", default=None, help="write the figures here (flat JSON)")
    parser.add_argument("--max-seq-length", type=int, default=768)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "generated.jsonl"
        write_jsonl(generate_tasks(args.records, args.seed), data)
        sources = [{"name": "generated", "kind": "local", "path": str(data)},
                   {"name": "curated", "kind": "local", "path": str(CURATED), "curated": True}]
        results = [run_once(tmp / f"run{i}", sources, args.max_seq_length)
                   for i in range(args.runs)]

    m = results[-1]["metrics"]
    print()
    print(f"records in: {m['lines_in']} ({args.records} generated + curated); unique kept "
          f"{m['unique_records']} (exact dups {m['duplicates']['exact']}, near dups "
          f"{m['duplicates']['near']}); train {m['train']}, val {m['val']}; tokens p50/p90/max "
          f"{m['tokens']['p50']}/{m['tokens']['p90']}/{m['tokens']['max']}")
    for step in results[0]["times"]:
        values = [r["times"][step] for r in results]
        print(f"  {step:<15} {statistics.median(values):6.2f} s"
              + (f"   (runs: {', '.join(f'{v:.2f}' for v in values)})" if args.runs > 1 else ""))
    total = statistics.median(r["times"]["total"] for r in results)
    print(f"prepare {m['lines_in']} records, local file -> training-ready text (token lengths "
          f"included): {total:.2f} s; target {TARGET_SECONDS:.0f} s; ratio "
          f"{total / TARGET_SECONDS:.2f} ({'meets' if total < TARGET_SECONDS else 'MISSES'} "
          "the target)")
    if args.json:  # bench/run_all.py's contract: a flat dict of the measured figures
        import json

        Path(args.json).write_text(json.dumps({
            "records": m["lines_in"], "runs": args.runs, "total_s": round(total, 2),
            **{f"{step.replace(' ', '_')}_s": round(statistics.median(
                r["times"][step] for r in results), 2) for step in results[0]["times"]},
            "import_s": round(IMPORT_SECONDS, 2), "ratio": round(total / TARGET_SECONDS, 3),
            "target": 1.0, "target_s": TARGET_SECONDS, "met": total < TARGET_SECONDS},
            indent=2) + "\n")
    cpu = statistics.median(r["cpu"] for r in results)
    load = os.getloadavg()[0]
    print(f"CPU time of those steps (all threads): {cpu:.2f} s; 1-min load average at the end: "
          f"{load:.1f} on {os.cpu_count()} cores (wall time grows when other jobs share them)")
    print(f"module imports (mlx-lm, transformers, datasketch, ...), paid once per process: "
          f"{IMPORT_SECONDS:.2f} s; with them: {total + IMPORT_SECONDS:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
