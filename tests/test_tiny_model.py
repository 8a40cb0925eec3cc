"""The committed embedded base model is exactly what its build script makes.

The full rebuild takes about 9 minutes on a 2-core CPU, so it runs with `make test-rebuild`
(or ASKBUDDYX_REBUILD_TEST=1 pytest), not in every `make test`.
"""

import json
import os
import subprocess
import sys

import pytest

from askbuddyx.tiny_model import strip_to_plain_code


def test_strip_to_plain_code_keeps_only_the_solution():
    answer = ("### Solution\n```python\ndef f():\n    return 1\n```\n\n"
              "### Usage\n```python\nf()\n```")
    assert strip_to_plain_code(answer) == "def f():\n    return 1"
    assert strip_to_plain_code("x = 1") == "x = 1"


def test_committed_model_is_a_quantized_qwen2(root):
    config = json.loads((root / "assets/models/askbuddyx-tiny-qwen2-4bit/config.json").read_text())
    assert config["model_type"] == "qwen2"
    assert config["quantization"]["bits"] == 4 and config["quantization"]["group_size"] == 64


@pytest.mark.skipif(os.environ.get("ASKBUDDYX_REBUILD_TEST") != "1",
                    reason="takes ~9 min: run `make test-rebuild`")
def test_rebuild_gives_the_committed_bytes(tmp_path, root):
    """Through the CLI, in its own process: it preloads the same BLAS as the committed build."""
    committed = root / "assets/models/askbuddyx-tiny-qwen2-4bit"
    out = subprocess.run([sys.executable, "-m", "askbuddyx.cli", "build-base-model", "--output",
                          str(tmp_path / "model")], cwd=root, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    names = sorted(p.name for p in committed.iterdir())
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == names
    for name in names:
        assert (tmp_path / "model" / name).read_bytes() == (committed / name).read_bytes(), name
