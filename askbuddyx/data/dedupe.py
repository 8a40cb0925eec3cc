"""Exact and near-duplicate removal, keeping the first record of each group.

- Exact: sha256 of the normalized instruction + input + output (Unicode NFKC, case-folded,
  whitespace collapsed), so re-indented or re-cased copies count as the same record.
- Near: records whose *prompts* (instruction + input) share at least `threshold` of their
  character 5-grams (Jaccard similarity). Candidates come from MinHash LSH (datasketch, a
  well-kept library); every candidate is then checked with the exact Jaccard similarity of the
  two 5-gram sets, so LSH only decides what to compare, never what to drop. The input is part
  of the prompt because "Fix the bug in this code" means a different task for each code.

Both are deterministic: a fixed MinHash seed and a fixed n-gram hash (not Python's salted
`hash`). "First" is the input order; the prepare stage puts curated sources first, so a
hand-written example is never dropped in favour of a scraped near-copy.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

SHINGLE = 5
NUM_PERM = 64
MINHASH_SEED = 1
LSH_MAX_THRESHOLD = 0.95
_PUNCT = re.compile(r"[^\w\s]+")
# Polynomial n-gram hash: wraps modulo 2**64 (numpy uint64), then folded to 32 bits.
_BASE = np.uint64(1_000_003)


@dataclass
class Duplicate:
    """A dropped record and the earlier record it duplicates."""

    kind: str  # "exact" or "near"
    dropped: dict
    kept: dict
    similarity: float = 1.0


def normalize_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _history_text(record: dict) -> str:
    """A chat answer's earlier turns, one string ("" for an ordinary record)."""
    return " ".join(turn["content"] for turn in record.get("history", ()))


def exact_key(record: dict) -> str:
    """sha256 of normalized instruction, input and output (separated, so fields can't blur).

    A later answer of a chat adds its earlier turns: "now add tests" after two different
    questions is two records.
    """
    parts = [normalize_text(record[k]) for k in ("instruction", "input", "output")]
    if record.get("history"):
        parts.append(normalize_text(_history_text(record)))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def prompt_text(record: dict) -> str:
    """The normalized prompt compared for near-duplicates (punctuation is noise here).

    A chat's later answer is compared with its earlier turns in front of its question.
    """
    prompt = record["instruction"] + " " + record.get("input", "")
    if record.get("history"):
        prompt = _history_text(record) + " " + prompt
    text = normalize_text(prompt)
    return " ".join(_PUNCT.sub(" ", text).split())


def prompt_shingles_batch(records: list, k: int = SHINGLE) -> list:
    """Sorted unique 32-bit hashes of each prompt's character k-grams (one numpy pass for all).

    A prompt shorter than k characters is one shingle (itself); an empty one has none.
    """
    texts = [prompt_text(r) for r in records]
    joined = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    hashes = np.zeros(len(joined), dtype=np.uint64)
    with np.errstate(over="ignore"):
        # hashes[i] = hash of joined[i:i+k] (the last k-1 positions hash a shorter tail,
        # which is exactly the whole-text shingle of a text shorter than k at its end)
        for j in range(min(k, len(joined)) - 1, -1, -1):
            hashes[: len(joined) - j] = hashes[: len(joined) - j] * _BASE + joined[j:]
        hashes = (hashes >> np.uint64(32)) ^ (hashes & np.uint64(0xFFFFFFFF))
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.cumsum(lengths) - lengths
    # k-grams per text: n - k + 1, or one (the text itself) when 0 < n < k
    grams = np.where(lengths >= k, lengths - k + 1, np.minimum(lengths, 1))
    owner = np.repeat(np.arange(len(texts)), grams)
    offset = np.arange(int(grams.sum())) - np.repeat(np.cumsum(grams) - grams, grams)
    values = hashes[np.repeat(starts, grams) + offset]
    short = (lengths > 0) & (lengths < k)
    for i in np.flatnonzero(short):  # rare: hash the whole short text on its own
        tail = joined[starts[i]: starts[i] + lengths[i]]
        value = np.uint64(0)
        with np.errstate(over="ignore"):
            for code in tail:
                value = value * _BASE + code
        values[np.searchsorted(owner, i)] = (value >> np.uint64(32)) ^ (value & np.uint64(
            0xFFFFFFFF))
    # one sort of (text << 32 | hash) and the first of each run: each text's unique grams
    keyed = np.sort((owner.astype(np.uint64) << np.uint64(32)) | values)
    first = np.ones(len(keyed), dtype=bool)
    first[1:] = keyed[1:] != keyed[:-1]
    keyed = keyed[first]
    owner = (keyed >> np.uint64(32)).astype(np.int64)
    counts = np.bincount(owner, minlength=len(texts))
    return np.split(keyed & np.uint64(0xFFFFFFFF), np.cumsum(counts)[:-1])


def prompt_shingles(record: dict, k: int = SHINGLE) -> np.ndarray:
    return prompt_shingles_batch([record], k)[0]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) == 0 or len(b) == 0:
        return 0.0
    # both are sorted and unique: look a's values up in b (no concatenate-and-sort)
    at = np.searchsorted(b, a)
    inter = int(np.count_nonzero(b[np.minimum(at, len(b) - 1)] == a))
    return inter / (len(a) + len(b) - inter)


def _identity(value):
    return value


def drop_exact(records: list) -> tuple[list, list]:
    """Keep the first record of each exact key. Returns (kept, [Duplicate])."""
    first, kept, dups = {}, [], []
    for record in records:
        key = exact_key(record)
        if key in first:
            dups.append(Duplicate("exact", record, first[key]))
            continue
        first[key] = record
        kept.append(record)
    return kept, dups


def drop_near(records: list, threshold: float) -> tuple[list, list]:
    """Drop records whose prompt is at least `threshold` similar to an earlier kept one.

    Args:
        records: Records in priority order (the first of a group is kept).
        threshold: Jaccard similarity of prompt 5-grams in (0, 1]; 1.0 drops only prompts
            with identical 5-gram sets. Use `None` or a value > 1 to turn it off.

    Returns:
        (kept records, [Duplicate] for the dropped ones, with the similarity found)
    """
    if threshold is None or threshold > 1 or not records:
        return list(records), []
    if threshold <= 0:
        raise ValueError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
    shingles = prompt_shingles_batch(records)
    # False negatives cost quality, false positives only an exact check: weight recall.
    # LSH only proposes candidates (each is checked exactly), so a lower LSH threshold is
    # safe; datasketch cannot band 64 permutations for thresholds above ~0.98.
    lsh = MinHashLSH(threshold=min(threshold, LSH_MAX_THRESHOLD), num_perm=NUM_PERM,
                     weights=(0.1, 0.9))
    # One MinHash reused for every record: LSH keeps only band hashes of what it inserts.
    signature = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=_identity)
    kept, dups = [], []
    same_prompt: dict = {}  # identical 5-gram sets: similarity 1, no MinHash needed
    for index, (record, grams) in enumerate(zip(records, shingles)):
        if len(grams) == 0:
            kept.append(record)
            continue
        key = grams.tobytes()
        if key in same_prompt:
            dups.append(Duplicate("near", record, records[same_prompt[key]], 1.0))
            continue
        signature.clear()
        signature.update_batch(grams.tolist())
        best, best_sim = None, 0.0
        for candidate in sorted(lsh.query(signature)):
            sim = jaccard(grams, shingles[candidate])
            if sim >= threshold and sim > best_sim:
                best, best_sim = candidate, sim
        if best is not None:
            dups.append(Duplicate("near", record, records[best], round(best_sim, 4)))
            continue
        lsh.insert(index, signature)
        same_prompt[key] = index
        kept.append(record)
    return kept, dups
