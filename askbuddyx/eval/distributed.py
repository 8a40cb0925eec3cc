"""Split generation across the ranks of an `mlx.launch` run and gather the answers.

    from askbuddyx.eval.distributed import generate_across_ranks

    answers = generate_across_ranks(prompts, answer)   # same call on every rank
    if rank == 0: write the results                     # every rank gets the full list

Works with any list of prompts (HumanEval, held-out prompts, ...) and any generate function
`fn(list_of_prompts) -> list_of_answers` (e.g. askbuddyx.eval.run's `answer` closure).
Each rank answers every `size`-th prompt (interleaved, so that long and short prompts spread
evenly), then the answers are exchanged with `mx.distributed.all_gather` as UTF-8 JSON bytes
and put back in the prompts' order. With one process (no mlx.launch) it is just `fn(prompts)`.

Run a script that uses it on 2 local ranks with:

    python -c "from askbuddyx.train.distributed import launch; launch(['script.py'], 2)"
"""

from __future__ import annotations

import json


def rank_share(n: int, rank: int, size: int) -> list:
    """Indices of the prompts `rank` answers out of `n`: rank, rank + size, ..."""
    return list(range(rank, n, size))


def all_gather_bytes(payload: bytes, group) -> list:
    """Every rank's `payload`, in rank order (all_gather needs equal sizes: pad, then cut)."""
    import mlx.core as mx
    import numpy as np

    size = group.size()
    lengths = mx.distributed.all_gather(mx.array([len(payload)], dtype=mx.int32), group=group,
                                        stream=mx.cpu)
    lengths = [int(v) for v in np.array(lengths)]
    padded = np.zeros(max(lengths) or 1, dtype=np.uint8)
    padded[:len(payload)] = np.frombuffer(payload, dtype=np.uint8)
    gathered = np.array(mx.distributed.all_gather(mx.array(padded), group=group, stream=mx.cpu))
    width = len(padded)
    return [gathered[r * width:r * width + lengths[r]].tobytes() for r in range(size)]


def generate_across_ranks(prompts: list, generate, group=None) -> list:
    """Answers to `prompts`, in order, on every rank; each rank generates 1/size of them.

    Args:
        prompts: The same list on every rank (anything `generate` takes, JSON-safe answers).
        generate: `generate(list_of_prompts) -> list_of_answers`, called once per rank
            (also with an empty list, so that collective calls inside it stay matched).
        group: An mx.distributed group; default the global one (`mx.distributed.init()`).
    """
    import mlx.core as mx

    group = group or mx.distributed.init()
    if group.size() == 1:
        return list(generate(list(prompts)))
    mine = rank_share(len(prompts), group.rank(), group.size())
    answers = list(generate([prompts[i] for i in mine]))
    if len(answers) != len(mine):
        raise ValueError(f"generate returned {len(answers)} answers for {len(mine)} prompts")
    merged = [None] * len(prompts)
    for r, blob in enumerate(all_gather_bytes(json.dumps(answers).encode(), group)):
        for i, answer in zip(rank_share(len(prompts), r, group.size()), json.loads(blob)):
            merged[i] = answer
    return merged
