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


def _eval_run(root, tmp_path, name, *extra):
    import subprocess
    import sys

    out = tmp_path / f"{name}.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "askbuddyx.cli", "eval", "run", "--suite", "humaneval",
         "--humaneval-limit", "5", "--max-tokens", "24", "--batch-size", "8",
         "--model", str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"),
         "--out", str(out), *extra],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, [json.loads(line) for line in out.read_text().splitlines()]


def test_eval_run_splits_generation_across_two_ranks(tmp_path, root):
    """`askbuddyx eval run --processes 2`: both ranks generate, rank 0 alone scores and
    prints; every problem is answered once, in order, as one process would answer it."""
    one, one_rows = _eval_run(root, tmp_path, "one")
    two, two_rows = _eval_run(root, tmp_path, "two", "--processes", "2")
    assert "2 local ranks, ring backend" in two.stdout
    assert two.stdout.count('"humaneval_pass_at_1"') == 1  # printed by rank 0 only
    # 5 problems spread over the 164 (askbuddyx.eval.humaneval.load_problems)
    assert [r["task_id"] for r in two_rows] == [f"HumanEval/{i}" for i in (0, 32, 65, 98, 131)]
    # Greedy decoding of the same prompts: the split changes who answers, not the answers
    # (a batch's padding can move a float's last bit, so allow one answer to differ).
    same = sum(a["response"] == b["response"] for a, b in zip(one_rows, two_rows))
    assert same >= 4, [(a["response"], b["response"]) for a, b in zip(one_rows, two_rows)]


def test_eval_processes_is_validated_before_launching(tmp_path, root):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "askbuddyx.cli", "eval", "run", "--processes",
                           "0", "--suite", "humaneval"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "eval.processes is 0" in proc.stderr
    assert "Traceback" not in proc.stderr
