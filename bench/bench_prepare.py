"""Benchmark: 20,000 records from a local file to training-ready text in under 10 seconds.

    .venv/bin/python bench/bench_prepare.py [--seconds 60] [--records 20000] [--runs 3]

Writes N code-alpaca-shaped records from the bundled generator (askbuddyx.data.code_tasks,
the same generator as assets/datasets/code_tasks.jsonl) plus the curated set into a temporary
directory (not timed), then times what the DVC data stages do:

    fetch (copy the local files) -> load the embedded base tokenizer -> prepare (normalize,
    redact, exact + near dedupe, token lengths after the chat template, truncation, split,
    curated mix, report) -> build_text (mlx-lm chat JSONL)

and prints each step, the total, and its ratio to the 10 s target (< 1 meets it). Python's
module imports (mlx-lm, transformers, datasketch) are measured and printed apart: a stage
process pays them once, whatever the data size.

Then the redaction pass alone (what prepare's `redact_all` does) over the same records: the
whole pass (our rules + detect-secrets), the detect-secrets part of it, how many lines passed
its gate to `scan_line`; and again with a secret of the kinds issue 15 found planted in every
50th record (each must be counted by its detector).

Sizing (`--seconds`): the record count is the target's, so it stays; the first run calibrates
how many more (up to `--runs`, median reported) fit once the redaction passes (about one run's
time) are set aside.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import mlx_lm.utils  # noqa: E402, F401  (the tokenizer loader's import cost, measured here)

from askbuddyx.data import kept_detector  # noqa: E402
from askbuddyx.data.build_text import build_training_text  # noqa: E402
from askbuddyx.data.code_tasks import generate_tasks  # noqa: E402
from askbuddyx.data.fetch import fetch_sources  # noqa: E402
from askbuddyx.data.io import write_jsonl  # noqa: E402
from askbuddyx.data.prepare import PrepareConfig, prepare_dataset  # noqa: E402
from askbuddyx.data.redact import redact_record  # noqa: E402
from askbuddyx.models import load_tokenizer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Budget, add_seconds_arg, fit  # noqa: E402

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


FIELDS = ("instruction", "input", "output")
# One secret per kind that issue 15 found unredacted -> the detector that must count it.
PLANTED = {
    "sk-ant-api03-" + "Xy7_" * 23 + "-AbcdAA": "anthropic_api_key",
    "glpat-" + "x9Kd2LmQ7vR4tY8wZ1aB": "GitLabTokenDetector",
    "npm_" + "Zq8" * 12: "npm_token",
    "postgres://app:Tr0ub4dor3@db.internal:5432/shop": "url_credentials",
    "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=" + "Fq3x" * 21 + "Zk8==;"
    "EndpointSuffix=core.windows.net": "AzureStorageKeyDetector",
    "https://hooks.slack.com/services/T0A1B2C3D/B4E5F6G7H/" + "q" * 20 + "Z9y8": "SlackDetector",
    "SG.n7Hq2Lk9Xw3Vb8Mz4Rt6Yp." + "Kd8" * 14 + "e": "SendGridDetector",
}


def time_redaction(records: list) -> dict:
    """Seconds of the redaction pass over `records`, of its detect-secrets part, and counts."""
    texts = [r[k] for r in records for k in FIELDS]
    counts: Counter = Counter()
    with kept_detector.detector_session():  # as prepare's redact_all
        t = time.perf_counter()
        for record in records:
            counts.update(redact_record(record)[1])
        whole = time.perf_counter() - t
        t = time.perf_counter()
        for text in texts:
            kept_detector.find_secrets(text)
        kept = time.perf_counter() - t
    lines = [line for text in texts for line in text.split("\n")]
    gated = sum(kept_detector.gate_admits(line) for line in lines)
    return {"seconds": whole, "detect_secrets_seconds": kept, "lines": len(lines),
            "gated_lines": gated, "counts": counts}


def with_planted_secrets(records: list, every: int = 50) -> tuple[list, Counter]:
    """A copy of `records` with one PLANTED secret (in turn) in every `every`-th output."""
    out, expected = [], Counter()
    secrets = list(PLANTED.items())
    for i, record in enumerate(records):
        if i % every == 0:
            secret, detector = secrets[(i // every) % len(secrets)]
            record = dict(record, output=f"{record['output']}\n# deploy: {secret}\n")
            expected[detector] += 1
        out.append(record)
    return out, expected


def report_redaction(records: list) -> dict:
    clean = time_redaction(records)
    seeded_records, expected = with_planted_secrets(records)
    seeded = time_redaction(seeded_records)
    missed = {k: (seeded["counts"][k], n) for k, n in expected.items() if seeded["counts"][k] < n}
    print(f"redaction pass over {len(records)} records ({clean['lines']} lines): "
          f"{clean['seconds']:.2f} s; detect-secrets' part {clean['detect_secrets_seconds']:.2f} s"
          f" ({clean['gated_lines']} lines passed its gate to scan_line); redactions "
          f"{sum(clean['counts'].values())}")
    print(f"  with a secret in every 50th record ({sum(expected.values())} planted): "
          f"{seeded['seconds']:.2f} s; detect-secrets' part {seeded['detect_secrets_seconds']:.2f}"
          f" s ({seeded['gated_lines']} lines gated); counted {dict(seeded['counts'])}"
          + (f"; MISSED {missed}" if missed else "; every planted secret counted"))
    return {"redact_s": round(clean["seconds"], 2),
            "redact_detect_secrets_s": round(clean["detect_secrets_seconds"], 2),
            "redact_gated_lines": clean["gated_lines"],
            "redact_seeded_s": round(seeded["seconds"], 2),
            "redact_seeded_missed": sum(n - c for c, n in missed.values())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000)
    add_seconds_arg(parser, 60)
    parser.add_argument("--runs", type=int, default=3,
                        help="at most: repeat and report the median")
    parser.add_argument("--json", default=None, help="write the figures here (flat JSON)")
    parser.add_argument("--max-seq-length", type=int, default=768)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    budget = Budget(args.seconds)

    tasks = generate_tasks(args.records, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "generated.jsonl"
        write_jsonl(data, (t.record() for t in tasks))
        sources = [{"name": "generated", "kind": "local", "path": str(data)},
                   {"name": "curated", "kind": "local", "path": str(CURATED), "curated": True}]
        results = [run_once(tmp / "run0", sources, args.max_seq_length)]  # the calibration
        first = results[0]["times"]["total"]
        runs = 1 + fit("one more prepare run", first, budget.left(), 0, args.runs - 1,
                       fixed_s=first)  # the redaction passes take about one run
        results += [run_once(tmp / f"run{i}", sources, args.max_seq_length)
                    for i in range(1, runs)]

    m = results[-1]["metrics"]
    print()
    print(f"records in: {m['lines_in']} ({args.records} generated + curated); unique kept "
          f"{m['unique_records']} (exact dups {m['duplicates']['exact']}, near dups "
          f"{m['duplicates']['near']}); train {m['train']}, val {m['val']}; tokens p50/p90/max "
          f"{m['tokens']['p50']}/{m['tokens']['p90']}/{m['tokens']['max']}")
    for step in results[0]["times"]:
        values = [r["times"][step] for r in results]
        print(f"  {step:<15} {statistics.median(values):6.2f} s"
              + (f"   (runs: {', '.join(f'{v:.2f}' for v in values)})" if runs > 1 else ""))
    total = statistics.median(r["times"]["total"] for r in results)
    print(f"prepare {m['lines_in']} records, local file -> training-ready text (token lengths "
          f"included): {total:.2f} s; target {TARGET_SECONDS:.0f} s; ratio "
          f"{total / TARGET_SECONDS:.2f} ({'meets' if total < TARGET_SECONDS else 'MISSES'} "
          "the target)")
    redaction = report_redaction([{k: getattr(t, k) for k in FIELDS} for t in tasks])
    if args.json:  # bench/run_all.py's contract: a flat dict of the measured figures
        import json

        Path(args.json).write_text(json.dumps({**redaction,
            "records": m["lines_in"], "runs": runs, "total_s": round(total, 2),
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
