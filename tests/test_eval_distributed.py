"""Generation split across 2 mlx.launch ranks, answers gathered in order on every rank."""

import json

from askbuddyx.eval.distributed import generate_across_ranks, rank_share
from askbuddyx.train.distributed import launch

SCRIPT = """
import json, sys
import mlx.core as mx
from askbuddyx.eval.distributed import generate_across_ranks

rank = mx.distributed.init().rank()
prompts = [f"prompt {i} " + "x" * i for i in range(7)]
seen = []
def generate(batch):
    seen.extend(batch)
    return [{"answer": p.upper(), "by": rank, "text": "caf\\u00e9 \\u2713"} for p in batch]
answers = generate_across_ranks(prompts, generate)
with open(f"{sys.argv[1]}/rank{rank}.json", "w") as f:
    json.dump({"answers": answers, "seen": seen}, f)
"""


def test_rank_share_covers_every_prompt_once():
    shares = [rank_share(7, r, 3) for r in range(3)]
    assert sorted(i for s in shares for i in s) == list(range(7))


def test_single_process_is_a_plain_call():
    assert generate_across_ranks(["a", "b"], lambda ps: [p * 2 for p in ps]) == ["aa", "bb"]


def test_two_ranks_split_and_gather(tmp_path):
    script = tmp_path / "gen.py"
    script.write_text(SCRIPT)
    launch([str(script), str(tmp_path)], 2, timeout=120)
    results = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    expected = [f"PROMPT {i} " + "X" * i for i in range(7)]
    for r, res in enumerate(results):
        assert [a["answer"] for a in res["answers"]] == expected
        assert [a["by"] for a in res["answers"]] == [i % 2 for i in range(7)]
        assert res["answers"][0]["text"] == "caf\u00e9 \u2713"
        assert len(res["seen"]) == len(rank_share(7, r, 2))
