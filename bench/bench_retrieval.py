"""Benchmark: code retrieval quality (recall@5, MRR) and indexing speed (issue 18).

    .venv/bin/python bench/bench_retrieval.py [--seconds 60] [--files 2000] [--queries FILE]

1. Quality: indexes the source of the installed `click` package (a real codebase none of us
   wrote) and asks the labelled questions of assets/retrieval/click_queries.jsonl (each asks
   by behaviour for one known function); prints recall@5 and MRR@10 for lexical (BM25),
   dense (WordLlama vectors in sqlite-vec) and fused (RRF) retrieval. Target: fused recall@5
   >= 0.8. Nothing was tuned on these questions: RRF's k = 60 and equal weights are the
   published defaults, fixed before the questions were written; every question is reported.
2. Speed: copies `--files` Python files of the venv's site-packages into a scratch tree (not
   timed), indexes it from scratch (target < 120 s), then changes one file and re-indexes
   (target < 5 s).

Sizing (`--seconds`, run_all.py's share): the quality part is fixed (every question counts);
its indexing of click calibrates the seconds per chunk, and the speed part indexes as many of
the `--files` as fit in what is left (200 at least). With fewer than 2,000 files, the index
target scales with the count (120 s per 2,000 files), and the output says so.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import Budget, add_seconds_arg, machine, write_json  # noqa: E402

from askbuddyx.retrieval.quality import evaluate, load_questions  # noqa: E402
from askbuddyx.retrieval.store import MODES, CodeIndex  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "assets" / "retrieval" / "click_queries.jsonl"
TARGET_RECALL, TARGET_INDEX_S, TARGET_REINDEX_S = 0.8, 120.0, 5.0
TARGET_FILES = 2000  # the index target is for this many files
CHUNKS_PER_FILE = 17  # site-packages files average ~16.7 chunks (33,359 in 2,000)
MIN_FILES = 200


def sized_files(wanted: int, chunk_s: float, seconds: float) -> int:
    """How many files the speed part indexes: as many of `wanted` as fit in `seconds` (with
    the copy and the re-index, ~80% of it indexing), at `chunk_s` seconds a chunk."""
    file_s = chunk_s * CHUNKS_PER_FILE
    files = max(MIN_FILES, min(wanted, int(0.8 * seconds / file_s)))
    print(f"sizing: indexing took ~{1000 * chunk_s:.2f} ms a chunk (click): {files} of "
          f"{wanted} files fit in {seconds:.0f} s (~{files * file_s:.0f} s)", flush=True)
    return files


def quality(work: Path, queries: Path, k: int) -> dict:
    click_dir = Path(importlib.util.find_spec("click").origin).parent
    index = CodeIndex.open(work / "click.sqlite", create=True)
    t = time.perf_counter()
    report = index.update(click_dir)
    index_s = time.perf_counter() - t
    questions = load_questions(queries, click_dir)
    results = evaluate(index, questions, MODES, k)
    print(f"quality: {len(questions)} questions over click ({report.chunks_total} chunks)")
    print(f"{'mode':>8}  recall@{k}   MRR@10")
    figures = {"questions": len(questions), "click_chunks": report.chunks_total,
               "click_chunk_s": index_s / max(1, report.chunks_total)}
    for mode in ("lexical", "dense", "fused"):
        r = results[mode]
        print(f"{mode:>8}  {r['recall_at_k']:8.3f}  {r['mrr']:7.3f}")
        figures[f"{mode}_recall_at_{k}"] = round(r["recall_at_k"], 3)
        figures[f"{mode}_mrr"] = round(r["mrr"], 3)
    missed = [q.function for q, r in zip(questions, results["fused"]["ranks"])
              if r is None or r > k]
    print(f"fused misses (not in top {k}): {', '.join(missed) or 'none'}")
    figures[f"fused_recall_at_{k}_target"] = TARGET_RECALL
    index.close()
    return figures


def python_files(count: int) -> list[Path]:
    site = Path(sysconfig.get_paths()["purelib"])
    files = sorted(p for p in site.rglob("*.py") if p.is_file() and "-info" not in str(p))
    if len(files) < count:
        raise SystemExit(f"only {len(files)} Python files under {site}; pass --files")
    step = len(files) / count  # spread over many packages, not the first few alphabetically
    return [files[int(i * step)] for i in range(count)], site


def speed(work: Path, count: int) -> dict:
    target_s = TARGET_INDEX_S * count / TARGET_FILES
    if count != TARGET_FILES:
        print(f"index target for {count} files: {target_s:.1f} s ({TARGET_INDEX_S:.0f} s per "
              f"{TARGET_FILES})", flush=True)
    files, site = python_files(count)
    tree = work / "tree"
    for src in files:
        dest = tree / src.relative_to(site)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
    index = CodeIndex.open(work / "tree.sqlite", create=True)
    t = time.perf_counter()
    first = index.update(tree)
    index_s = time.perf_counter() - t
    print(f"index {count} Python files: {index_s:.1f} s ({first.summary()})")
    changed = tree / files[len(files) // 2].relative_to(site)
    with changed.open("a", encoding="utf-8") as f:
        f.write("\n\ndef bench_added_function():\n    return 'changed'\n")
    t = time.perf_counter()
    again = index.update(tree)
    reindex_s = time.perf_counter() - t
    print(f"re-index after changing one file: {reindex_s:.2f} s ({again.summary()})")
    assert again.changed == 1 and again.added == again.removed == 0, again.summary()
    index.close()
    return {"files": count, "chunks": first.chunks_total, "index_seconds": round(index_s, 2),
            "index_seconds_target": round(target_s, 1),
            "index_ratio": round(index_s / target_s, 3),
            "reindex_seconds": round(reindex_s, 3), "reindex_seconds_target": TARGET_REINDEX_S,
            "reindex_ratio": round(reindex_s / TARGET_REINDEX_S, 3)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_seconds_arg(parser, 60)
    parser.add_argument("--files", type=int, default=TARGET_FILES, help="at most")
    parser.add_argument("--queries", default=str(QUERIES))
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    budget = Budget(args.seconds)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        figures = quality(Path(tmp), Path(args.queries), args.k)
        files = sized_files(args.files, figures.pop("click_chunk_s"), budget.left())
        figures.update(speed(Path(tmp), files))
    figures["met"] = (figures[f"fused_recall_at_{args.k}"] >= TARGET_RECALL
                      and figures["index_ratio"] < 1 and figures["reindex_ratio"] < 1)
    print(f"targets met: {figures['met']}")
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
