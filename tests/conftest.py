"""Shared fixtures. Tests run offline: the hub endpoint points at a closed loopback port."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EMBEDDED_MODEL = ROOT / "assets" / "models" / "askbuddyx-tiny-qwen2-4bit"

# No test may reach the real hub: any attempt hits a closed loopback port and fails fast.
os.environ.setdefault("HF_ENDPOINT", "http://127.0.0.1:9")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def compose_tiny_params(dest: Path) -> dict:
    """Write `dest` as params.yaml of the tiny profile (the tests' workhorse) and return it."""
    from askbuddyx.config import compose_params

    return compose_params(dest, "tiny", conf_dir=ROOT / "conf")


@pytest.fixture(scope="session")
def tiny_params(tmp_path_factory) -> dict:
    """The tiny profile's params, composed from conf/ as `dvc exp run -S profile=tiny` would."""
    return compose_tiny_params(tmp_path_factory.mktemp("tiny") / "params.yaml")


@pytest.fixture(scope="session")
def tokenizer():
    from askbuddyx.models import load_tokenizer

    return load_tokenizer(str(EMBEDDED_MODEL))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    """A tiny training-ready folder (8 train, 4 valid chats) for LoRA training tests."""
    from askbuddyx.data.io import write_jsonl
    from askbuddyx.prompting import build_messages

    d = tmp_path_factory.mktemp("ready")
    chats = [{"messages": build_messages(f"Write f{i}", f"def f{i}():\n    return {i}")}
             for i in range(12)]
    write_jsonl(d / "train.jsonl", chats[:8])
    write_jsonl(d / "valid.jsonl", chats[8:])
    return d


# The live `askbuddyx serve` that the tests/test_serve_*.py files share (started on first use).
from tests.serve_live import live_server  # noqa: E402,F401

# The real SmolLM2 base (converted once per run) for test_base_gguf and test_export_smol.
from tests.smol import smol_base, smol_gguf, smol_hf  # noqa: E402,F401
