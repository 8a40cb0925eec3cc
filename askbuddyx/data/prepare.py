"""Clean and split the raw sources (seed 000, section 7.2; seed 001 for the curated mix).

    raw/<source>.jsonl -> skip malformed lines -> redact secrets -> sha256 dedupe
      -> hold out part of the curated prompts -> seeded 98/2 split
      -> mix curated examples into train at `curated_ratio` (by duplication, as in seed 001)

Everything is a pure function of its inputs and the seed: the same raw files give the same
bytes in `data/processed/`, which `dvc.lock` records.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter
from pathlib import Path

from askbuddyx.data.io import read_jsonl_lenient, require_file, write_jsonl
from askbuddyx.data.redact import SECRET_PATTERNS, redact_record
from askbuddyx.errors import AskBuddyXError

REQUIRED_FIELDS = ("instruction", "output")


def record_hash(record: dict) -> str:
    """sha256 of instruction + input + output (seed 000, section 8.5)."""
    text = record["instruction"] + record.get("input", "") + record["output"]
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_raw(raw_dir: str | Path, sources: list) -> tuple[list, list, dict]:
    """Read each source's raw file, keeping good records tagged with their source.

    Returns:
        (records, bad_lines, per-source counts {"lines", "malformed"})
    """
    records, bad, counts = [], [], {}
    for source in sources:
        path = require_file(
            Path(raw_dir) / f"{source['name']}.jsonl",
            f"Raw file of source {source['name']!r}",
            "Run the fetch_data stage first: `dvc repro fetch_data`.",
        )
        result = read_jsonl_lenient(path, required=REQUIRED_FIELDS)
        for r in result.records:
            records.append(
                {
                    "instruction": r["instruction"],
                    "input": r.get("input") if isinstance(r.get("input"), str) else "",
                    "output": r["output"],
                    "source": source["name"],
                    "curated": bool(source.get("curated", False)),
                }
            )
        bad.extend(result.bad_lines)
        counts[source["name"]] = {"lines": result.total_lines, "malformed": len(result.bad_lines)}
    return records, bad, counts


def redact_all(records: list) -> tuple[list, Counter]:
    total: Counter = Counter()
    out = []
    for record in records:
        clean, counts = redact_record(record)
        out.append(clean)
        total.update(counts)
    return out, total


def dedupe(records: list) -> tuple[list, int]:
    """Keep the first record of each sha256; return (kept, number dropped)."""
    seen, kept = set(), []
    for record in records:
        h = record_hash(record)
        if h not in seen:
            seen.add(h)
            kept.append(record)
    return kept, len(records) - len(kept)


def split_records(records: list, val_fraction: float, seed: int, curated_holdout: int):
    """Seeded split into (train, val, heldout).

    `heldout`: the first `curated_holdout` curated records after a seeded shuffle; never
    trained on, they measure format compliance on unseen prompts. The rest is shuffled with
    the seed and split so that val gets `val_fraction` (at least 1 record).
    """
    if not 0 < val_fraction < 1:
        raise AskBuddyXError(f"data.val_fraction must be between 0 and 1, got {val_fraction}.")
    rng = random.Random(seed)
    curated = [r for r in records if r["curated"]]
    others = [r for r in records if not r["curated"]]
    rng.shuffle(curated)
    if curated_holdout > len(curated) // 2:
        raise AskBuddyXError(
            f"data.curated_holdout={curated_holdout} would hold out more than half of the "
            f"{len(curated)} curated examples.",
            hint="Lower data.curated_holdout.",
        )
    heldout, curated = curated[:curated_holdout], curated[curated_holdout:]
    pool = others + curated
    rng.shuffle(pool)
    n_val = max(1, round(len(pool) * val_fraction))
    if n_val >= len(pool):
        raise AskBuddyXError(f"Only {len(pool)} records after cleaning: too few to split.")
    return pool[n_val:], pool[:n_val], heldout


def mix_curated(train: list, ratio: float, seed: int) -> tuple[list, int]:
    """Duplicate curated records until they are `ratio` of train (seed 001: ~16%).

    Returns (shuffled train, number of copies added). A ratio already met adds nothing.
    """
    if not 0 <= ratio < 1:
        raise AskBuddyXError(f"data.curated_ratio must be in [0, 1), got {ratio}.")
    curated = [r for r in train if r["curated"]]
    if not curated or ratio == 0:
        return train, 0
    others = len(train) - len(curated)
    target = math.ceil(ratio * others / (1 - ratio))
    extra = [curated[i % len(curated)] for i in range(max(0, target - len(curated)))]
    mixed = train + extra
    random.Random(seed).shuffle(mixed)
    return mixed, len(extra)


def prepare_dataset(
    raw_dir: str | Path,
    out_dir: str | Path,
    sources: list,
    *,
    seed: int,
    val_fraction: float,
    curated_ratio: float,
    curated_holdout: int,
    max_bad_fraction: float,
    min_val: int = 10,
) -> dict:
    """Run the whole cleaning pipeline and write train/val/heldout JSONL into `out_dir`.

    Returns:
        dict: the data report (counts, redactions per pattern, ...) for metrics/data.json.
    """
    records, bad, per_source = load_raw(raw_dir, sources)
    total_lines = sum(c["lines"] for c in per_source.values())
    if total_lines and len(bad) / total_lines > max_bad_fraction:
        examples = "; ".join(f"{b.path}:{b.line} {b.reason}" for b in bad[:3])
        raise AskBuddyXError(
            f"{len(bad)} of {total_lines} raw lines are malformed "
            f"(more than data.max_bad_fraction={max_bad_fraction}). First: {examples}",
            hint="Fix the source file, or raise data.max_bad_fraction to accept the loss.",
        )
    for b in bad:
        print(f"warning: skipped {b.path}:{b.line}: {b.reason}")
    records, redactions = redact_all(records)
    records, duplicates = dedupe(records)
    if not records:
        raise AskBuddyXError("No usable records left after cleaning.", hint="Check data.sources.")
    train, val, heldout = split_records(records, val_fraction, seed, curated_holdout)
    if len(val) < min_val:
        print(f"warning: validation set has only {len(val)} examples (< {min_val}).")
    train, copies = mix_curated(train, curated_ratio, seed)
    out_dir = Path(out_dir)
    write_jsonl(out_dir / "train.jsonl", train)
    write_jsonl(out_dir / "val.jsonl", val)
    write_jsonl(out_dir / "heldout.jsonl", heldout)
    curated_train = sum(r["curated"] for r in train)
    report = {
        "sources": per_source,
        "lines_in": total_lines,
        "malformed": len(bad),
        "redactions": {name: redactions.get(name, 0) for name in SECRET_PATTERNS},
        "redactions_total": sum(redactions.values()),
        "duplicates_exact": duplicates,
        "unique_records": len(records),
        "train": len(train),
        "val": len(val),
        "heldout_curated": len(heldout),
        "curated_copies_added": copies,
        "curated_share_of_train": round(curated_train / len(train), 4),
    }
    print(
        f"Loaded {len(records) + duplicates} records ({len(bad)} malformed skipped); "
        f"redacted {report['redactions_total']} secrets; removed {duplicates} duplicates; "
        f"train {len(train)} (curated {report['curated_share_of_train']:.0%}), "
        f"val {len(val)}, held-out curated {len(heldout)}"
    )
    return report
