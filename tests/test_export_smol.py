"""Exports of an adapter on the SmolLM2 base (the real model, tests/smol.py), and PEFT exports
that load from any working directory.

- PEFT: `base_model_name_or_path` is the hub id from the base's build_info.json. Offline we
  cannot download it, so the adapter is applied (from another working directory) to
  transformers' reading of the same GGUF, and must give MLX's base + adapter logits.
- GGUF: the F16 file that `--format gguf` writes reads back with the `gguf` package, carries
  the GPT-2 BPE tokenizer of the source GGUF, and converts back (askbuddyx.base.gguf, which
  un-permutes q/k again) to the logits of the fused MLX model mlx-lm wrote beside it.

Tolerances: 1e-3 where both sides hold the same float32 numbers (summation order only, measured
~1e-4 as in test_base_gguf).
"""

import copy
import json

import numpy as np
import pytest

from askbuddyx.base.fetch import SMOLLM2, read_build_info
from askbuddyx.errors import AskBuddyXError
from askbuddyx.publish.export import base_model_dir, export_adapter
from tests.smol import float32_model

RANK, SCALE, LAYERS = 4, 2.0, 2
TOLERANCE = 1e-3
PROMPT = "<|im_start|>user\nReverse a string in Python.<|im_end|>\n<|im_start|>assistant\n"


@pytest.fixture(scope="module")
def smol_adapter(smol_base, tmp_path_factory):
    """A random LoRA adapter (every linear of the last 2 layers, q/k included) on SmolLM2."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm import load
    from mlx_lm.tuner.utils import linear_to_lora_layers

    out = tmp_path_factory.mktemp("smol_adapter")
    model, _ = load(str(smol_base))
    model.freeze()
    params = {"rank": RANK, "scale": SCALE, "dropout": 0.0}
    linear_to_lora_layers(model, LAYERS, params)
    mx.random.seed(2)
    weights = {k: mx.random.normal(v.shape) * 0.05
               for k, v in tree_flatten(model.trainable_parameters())}
    assert any("k_proj" in k for k in weights) and any("q_proj" in k for k in weights)
    mx.save_safetensors(str(out / "adapters.safetensors"), weights)
    (out / "adapter_config.json").write_text(json.dumps(
        {"fine_tune_type": "lora", "num_layers": LAYERS, "lora_parameters": params}))
    return out


def mlx_logits(model, tokens) -> np.ndarray:
    import mlx.core as mx

    return np.array(model(mx.array([tokens]))[0].astype(mx.float32))


def test_pypi_model_path_exports_from_the_fetched_folder(tmp_path):
    fetched = tmp_path / "models/base"
    with pytest.raises(AskBuddyXError, match="dvc repro fetch_model"):
        base_model_dir(SMOLLM2.spec, fetched)  # not fetched yet
    fetched.mkdir(parents=True)
    (fetched / "build_info.json").write_text(json.dumps({"source": "pypi:other==1/x.gguf"}))
    with pytest.raises(AskBuddyXError, match="is not its conversion"):
        base_model_dir(SMOLLM2.spec, fetched)
    (fetched / "build_info.json").write_text(json.dumps({"source": SMOLLM2.spec}))
    assert base_model_dir(SMOLLM2.spec, fetched) == str(fetched)


@pytest.mark.slow
def test_peft_export_names_the_hub_model_and_matches_mlx(smol_base, smol_adapter, smol_hf,
                                                         tmp_path, monkeypatch):
    import torch
    from peft import PeftModel

    out = export_adapter("peft", str(smol_base), smol_adapter, tmp_path / "peft")
    cfg = json.loads((out / "adapter_config.json").read_text())
    assert cfg["base_model_name_or_path"] == read_build_info(smol_base)["hub_id"] \
        == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert cfg["layers_to_transform"] == [28, 29]

    model, tokenizer = float32_model(smol_base, adapter_path=str(smol_adapter))
    tokens = tokenizer.encode(PROMPT)
    ours = mlx_logits(model, tokens)
    base = mlx_logits(float32_model(smol_base)[0], tokens)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the export must not depend on the working directory
    peft_model = PeftModel.from_pretrained(copy.deepcopy(smol_hf), str(out)).eval()
    with torch.no_grad():
        theirs = peft_model(torch.tensor([tokens])).logits[0].numpy()
    effect, error = np.abs(ours - base).max(), np.abs(ours - theirs).max()
    print(f"adapter effect on logits {effect:.3f}; MLX vs PEFT max abs difference {error:.2e}")
    assert effect > 0.1  # the adapter really changes the logits: the comparison is not vacuous
    assert error < TOLERANCE


@pytest.mark.slow
def test_gguf_export_reads_back_with_the_source_tokenizer(smol_base, smol_gguf, smol_adapter,
                                                          tmp_path):
    import gguf

    from askbuddyx.base.gguf import convert_gguf

    path = export_adapter("gguf", str(smol_base), smol_adapter, tmp_path / "gguf")
    assert path.name == "askbuddyx-f16.gguf"
    reader = gguf.GGUFReader(str(path))
    source = gguf.GGUFReader(str(smol_gguf))

    def field(r, key):
        return r.fields[key].contents()

    assert field(reader, "general.architecture") == "llama"
    assert field(reader, "tokenizer.ggml.model") == "gpt2"  # not mlx-lm's SentencePiece "llama"
    for key in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.chat_template",
                "tokenizer.ggml.eos_token_id", "tokenizer.ggml.bos_token_id"):
        assert field(reader, key) == field(source, key), key
    names = {t.name for t in reader.tensors}
    assert len(names) == 272 and "output.weight" not in names  # tied embeddings, like the source
    assert {t.tensor_type.name for t in reader.tensors} == {"F16", "F32"}  # F32: the norms

    back = convert_gguf(path, tmp_path / "back")  # un-permutes q/k the way it does for the source
    fused, tokenizer = float32_model(tmp_path / "gguf")  # the fused MLX model beside the GGUF
    tokens = tokenizer.encode(PROMPT)
    roundtrip, back_tokenizer = float32_model(back)
    assert back_tokenizer.encode(PROMPT) == tokens
    assert np.abs(mlx_logits(fused, tokens) - mlx_logits(roundtrip, tokens)).max() < TOLERANCE
