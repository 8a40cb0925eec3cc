"""Exports: the PEFT adapter gives transformers+peft (CPU torch) the MLX adapter's logits; GGUF
says what to do for an architecture mlx-lm cannot export; the config maps scale to lora_alpha.

The base is the embedded 4-bit model, dequantized to float32 in the Hugging Face layout (what
`export_peft` writes to base_model/), so both frameworks run the same weights. The adapter is
random (non-zero B, rank 4, scale 2.5, LoRA on the last 3 of 4 layers), so a transposition,
a scaling or a layer-selection mistake shows in the logits.
"""

import json

import numpy as np
import pytest

from askbuddyx.errors import AskBuddyXError
from askbuddyx.publish.export import export_adapter, peft_config

RANK, SCALE, LAYERS = 4, 2.5, 3
TOKENS = [5, 17, 123, 42, 7, 300, 2048, 9]


@pytest.fixture(scope="module")
def random_adapter(tmp_path_factory, root):
    """An mlx-lm LoRA adapter folder with random weights, on the embedded model."""
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm import load
    from mlx_lm.tuner.utils import linear_to_lora_layers

    out = tmp_path_factory.mktemp("adapter")
    model, _ = load(str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"))
    model.freeze()
    params = {"rank": RANK, "scale": SCALE, "dropout": 0.0}
    linear_to_lora_layers(model, LAYERS, params)
    mx.random.seed(1)
    weights = {k: mx.random.normal(v.shape) * 0.2
               for k, v in tree_flatten(model.trainable_parameters())}
    mx.save_safetensors(str(out / "adapters.safetensors"), weights)
    (out / "adapter_config.json").write_text(json.dumps(
        {"fine_tune_type": "lora", "num_layers": LAYERS, "lora_parameters": params}))
    return out


def test_peft_config_scaling_and_layers():
    keys = [f"model.layers.{i}.self_attn.{m}.lora_{ab}" for i in (2, 3)
            for m in ("q_proj", "v_proj") for ab in "ab"]
    cfg = peft_config({"lora_parameters": {"rank": 8, "scale": 2.0}}, keys, 4, "org/base")
    assert cfg["r"] == 8 and cfg["lora_alpha"] == 16.0  # scale 2 = alpha / r
    assert cfg["target_modules"] == ["q_proj", "v_proj"]
    assert cfg["layers_to_transform"] == [2, 3] and cfg["layers_pattern"] == "layers"
    every_layer = [k.replace("layers.2.", "layers.0.").replace("layers.3.", "layers.1.")
                   for k in keys] + keys
    assert peft_config({"lora_parameters": {"rank": 8, "scale": 2.0}}, every_layer, 4,
                       "org/base")["layers_to_transform"] is None


def test_gguf_names_the_alternative_for_qwen2(random_adapter, root, tmp_path):
    with pytest.raises(AskBuddyXError, match="convert_hf_to_gguf.py") as err:
        export_adapter("gguf", str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"),
                       random_adapter, tmp_path / "gguf")
    assert "not 'qwen2'" in str(err.value)


@pytest.mark.slow
def test_peft_export_matches_mlx_logits(random_adapter, root, tmp_path):
    torch = pytest.importorskip(
        "torch", reason="torch is not installed: `make deps` installs the CPU wheel when one is "
        "on disk (scripts/install_torch_cpu.sh), else `pip install -e '.[export]'`")
    pytest.importorskip("peft", reason="peft is not installed: pip install -e '.[export]'")
    import mlx.core as mx
    from mlx_lm import load
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    out = export_adapter("peft", str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"),
                         random_adapter, tmp_path / "peft")
    cfg = json.loads((out / "adapter_config.json").read_text())
    assert cfg["lora_alpha"] == SCALE * RANK and cfg["layers_to_transform"] == [1, 2, 3]
    base_dir = cfg["base_model_name_or_path"]
    assert base_dir.endswith("base_model")

    mlx_model, _ = load(base_dir, adapter_path=str(random_adapter))
    mlx_logits = np.array(mlx_model(mx.array([TOKENS]))[0].astype(mx.float32))
    mlx_base, _ = load(base_dir)
    base_logits = np.array(mlx_base(mx.array([TOKENS]))[0].astype(mx.float32))

    hf = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    peft_model = PeftModel.from_pretrained(hf, str(out)).eval()
    with torch.no_grad():
        peft_logits = peft_model(torch.tensor([TOKENS])).logits[0].numpy()

    effect = np.abs(mlx_logits - base_logits).max()
    error = np.abs(mlx_logits - peft_logits).max()
    print(f"adapter effect on logits {effect:.4f}; MLX vs PEFT max abs difference {error:.2e}")
    assert effect > 0.1  # the adapter really changes the logits: the comparison is not vacuous
    assert error < 1e-3


@pytest.mark.slow
def test_fused_export_matches_base_plus_adapter(random_adapter, root, tmp_path):
    """mlx-lm fuse with --dequantize: one full-precision model, same logits as base + adapter."""
    import mlx.core as mx
    from mlx_lm import load

    base = str(root / "assets/models/askbuddyx-tiny-qwen2-4bit")
    out = export_adapter("fused", base, random_adapter, tmp_path / "fused", dequantize=True)
    config = json.loads((out / "config.json").read_text())
    assert "quantization" not in config
    fused, _ = load(str(out))
    with_adapter, _ = load(base, adapter_path=str(random_adapter))
    a = np.array(fused(mx.array([TOKENS]))[0].astype(mx.float32))
    b = np.array(with_adapter(mx.array([TOKENS]))[0].astype(mx.float32))
    assert np.abs(a - b).max() < 1e-3


@pytest.mark.slow
def test_peft_export_of_a_local_base_loads_from_another_directory(random_adapter, root,
                                                                  tmp_path, monkeypatch):
    """The tiny base has no hub id: the dequantized copy is named by its absolute path, even
    when the export folder was given relative to the working directory."""
    torch = pytest.importorskip("torch", reason="torch is not installed: `make deps`")
    pytest.importorskip("peft", reason="peft is not installed: pip install -e '.[export]'")
    import mlx.core as mx
    from mlx_lm import load
    from peft import AutoPeftModelForCausalLM

    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)
    out = export_adapter("peft", str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"),
                         random_adapter, "outputs/export/peft")
    base = json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"]
    assert base == str(repo / "outputs/export/peft/base_model")

    monkeypatch.chdir(tmp_path)
    model = AutoPeftModelForCausalLM.from_pretrained(str(repo / out)).eval()
    with torch.no_grad():
        peft_logits = model(torch.tensor([TOKENS])).logits[0].numpy()
    mlx_model, _ = load(base, adapter_path=str(random_adapter))
    mlx_logits = np.array(mlx_model(mx.array([TOKENS]))[0].astype(mx.float32))
    assert np.abs(mlx_logits - peft_logits).max() < 1e-3
