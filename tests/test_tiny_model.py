"""The committed embedded base model is exactly what its build script makes.

The full rebuild takes about 30 minutes on a 2-core CPU, so it runs with `make test-rebuild`
(or ASKBUDDYX_REBUILD_TEST=1 pytest), not in every `make test`.
"""

import json
import os
import subprocess
import sys

import pytest

from askbuddyx.base.tiny import base_answer


def test_base_answer_fences_every_block_without_the_headings():
    answer = ("### Solution\n```python\ndef f():\n    return 1\n```\n\n"
              "### Usage\n```python\nf()\n```\n\n### Sanity test\n```python\nassert f() == 1\n```")
    plain = base_answer(answer)
    assert plain == ("```python\ndef f():\n    return 1\n```\n\n```python\nf()\n```\n\n"
                     "```python\nassert f() == 1\n```")
    assert "###" not in plain
    assert base_answer("x = 1") == "```python\nx = 1\n```"  # code_tasks answers: one block
    assert base_answer("Prose, kept.", is_code=False) == "Prose, kept."


def test_base_answer_on_every_curated_example(root):
    from askbuddyx.data.io import read_jsonl

    for record in read_jsonl(root / "assets/datasets/curated_runnable_first.jsonl"):
        plain = base_answer(record["output"], is_code=False)
        if "### Solution" in record["output"]:
            assert "###" not in plain and plain.count("```python") == 3, record["id"]
            assert "assert" in plain.rsplit("```python", 1)[1], record["id"]
        else:
            assert plain == record["output"], record["id"]


def test_committed_model_is_a_quantized_qwen2(root):
    config = json.loads((root / "assets/models/askbuddyx-tiny-qwen2-4bit/config.json").read_text())
    assert config["model_type"] == "qwen2"
    assert config["quantization"]["bits"] == 4 and config["quantization"]["group_size"] == 64


@pytest.mark.skipif(os.environ.get("ASKBUDDYX_REBUILD_TEST") != "1",
                    reason="takes ~30 min: run `make test-rebuild`")
def test_rebuild_gives_the_committed_bytes(tmp_path, root):
    """Through the CLI, in its own process: it preloads the same BLAS as the committed build."""
    committed = root / "assets/models/askbuddyx-tiny-qwen2-4bit"
    out = subprocess.run([sys.executable, "-m", "askbuddyx.cli", "build-base-model", "--output",
                          str(tmp_path / "model")], cwd=root, capture_output=True, text=True,
                         timeout=3600)
    assert out.returncode == 0, out.stderr[-3000:]
    names = sorted(p.name for p in committed.iterdir())
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == names
    for name in names:
        assert (tmp_path / "model" / name).read_bytes() == (committed / name).read_bytes(), name


@pytest.mark.parametrize("holdout", [8, {"code": 6, "explain": 2}])
def test_base_model_build_holds_out_the_same_prompts_as_the_pipeline(holdout):
    from askbuddyx.data.prepare import pick_curated_holdout, stratified_split

    records = [{"id": f"c{i}", "source": "curated", "curated": True,
                "kind": "explain" if i % 5 == 0 else "code"} for i in range(40)]
    records += [{"id": f"t{i}", "source": "tasks", "curated": False} for i in range(200)]
    for seed in (0, 42, 7):
        _, _, heldout = stratified_split(records, 0.02, seed, holdout)
        picked = pick_curated_holdout([r for r in records if r["curated"]], seed, holdout)
        assert [r["id"] for r in picked] == [r["id"] for r in heldout]


def test_committed_base_model_never_saw_the_held_out_prompts(root, tiny_params):
    info = json.loads((root / "assets/models/askbuddyx-tiny-qwen2-4bit/build_info.json")
                      .read_text())
    from askbuddyx.data.io import read_jsonl
    from askbuddyx.data.prepare import pick_curated_holdout

    data = tiny_params["data"]
    curated = read_jsonl(root / "assets/datasets/curated_runnable_first.jsonl")
    held = pick_curated_holdout(curated, data["seed"], data["curated_holdout"])
    assert info["curated_held_out"] == sorted(r["id"] for r in held)
