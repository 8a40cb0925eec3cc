"""Reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009).

A chunk's fused score is the sum over rankings of 1 / (k + rank), rank counted from 1. The
constant k = 60 is the paper's, chosen a priori and not tuned on our labelled questions
(bench/bench_retrieval.py reports on all of them); both rankings weigh the same.
"""

from __future__ import annotations

RRF_K = 60


def reciprocal_rank_fusion(rankings: list[list[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Ids of several best-first rankings, fused best-first as (id, score)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, ident in enumerate(ranking, start=1):
            scores[ident] = scores.get(ident, 0.0) + 1.0 / (k + rank)
    # ties: the id seen first in the first ranking wins (stable, deterministic)
    order = {ident: i for i, ident in enumerate(x for r in rankings for x in r)}
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))
