"""The committed embedded base model is exactly what its build script makes (takes minutes)."""

import json

import pytest

from askbuddyx.cli import BUNDLED_SOURCES
from askbuddyx.tiny_model import build_tiny_model, strip_to_plain_code

pytestmark = pytest.mark.slow


def test_strip_to_plain_code_keeps_only_the_solution():
    answer = "### Solution\n```python\ndef f():\n    return 1\n```\n\n### Usage\n```python\nf()\n```"
    assert strip_to_plain_code(answer) == "def f():\n    return 1"
    assert strip_to_plain_code("x = 1") == "x = 1"


def test_committed_model_is_a_quantized_qwen2(root):
    config = json.loads((root / "assets/models/askbuddyx-tiny-qwen2-4bit/config.json").read_text())
    assert config["model_type"] == "qwen2"
    assert config["quantization"]["bits"] == 4 and config["quantization"]["group_size"] == 64


def test_rebuild_gives_the_committed_bytes(tmp_path, root, monkeypatch):
    monkeypatch.chdir(root)
    committed = root / "assets/models/askbuddyx-tiny-qwen2-4bit"
    build_tiny_model(tmp_path / "model", list(BUNDLED_SOURCES))
    names = sorted(p.name for p in committed.iterdir())
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == names
    for name in names:
        assert (tmp_path / "model" / name).read_bytes() == (committed / name).read_bytes(), name
