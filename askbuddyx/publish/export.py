"""Export the MLX LoRA adapter for other runtimes (seed 004, D-4).

    askbuddyx export --format fused [--dequantize]   base + adapter fused into one MLX model
    askbuddyx export --format peft                   adapter_model.safetensors + adapter_config.json
    askbuddyx export --format gguf                   GGUF through mlx-lm, where it supports the arch

fused and gguf run mlx-lm's own `fuse` (with `--dequantize` / `--export-gguf`). peft converts
the adapter file itself; two differences between the formats matter:

- shapes: mlx-lm computes `x @ lora_a @ lora_b` with lora_a (in, r) and lora_b (r, out);
  PEFT's `lora_A.weight` is (r, in) and `lora_B.weight` is (out, r) (torch Linear layout), so
  both are transposed;
- scaling: mlx-lm multiplies by `scale` (we train with scale = alpha / rank); PEFT multiplies
  by `lora_alpha / r`, so `lora_alpha = scale * r`.

A PEFT adapter applies to a full-precision transformers model. For a hub base we record the
original (unquantized) model id; for a local quantized base (the embedded profile) the export
also writes a dequantized copy in `base_model/` and points `base_model_name_or_path` at it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from askbuddyx.errors import AskBuddyXError
from askbuddyx.models import is_hub_id, resolve_model

GGUF_ARCHS = ("llama", "mixtral", "mistral")  # what mlx_lm.fuse --export-gguf accepts
GGUF_ALTERNATIVE = (
    "Export a full-precision model and convert it with llama.cpp: `askbuddyx export --format "
    "fused --dequantize` (or `--format peft`, then PEFT's merge_and_unload), then "
    "`python llama.cpp/convert_hf_to_gguf.py outputs/export/fused --outfile askbuddyx-f16.gguf` "
    "and `llama-quantize askbuddyx-f16.gguf askbuddyx-q4_k_m.gguf Q4_K_M` (seed 004, D-4)."
)


def _check_adapter(adapter_dir: Path) -> dict:
    for name in ("adapters.safetensors", "adapter_config.json"):
        if not (adapter_dir / name).is_file():
            raise AskBuddyXError(f"Adapter file missing: {adapter_dir / name}",
                                 hint="Train first: `make train` (or pass --adapter).")
    return json.loads((adapter_dir / "adapter_config.json").read_text())


def base_config(model: str) -> dict:
    """config.json of the base model (local folder, or the hub cache / download)."""
    model = resolve_model(model)
    if Path(model).is_dir():
        return json.loads((Path(model) / "config.json").read_text())
    from huggingface_hub import hf_hub_download

    return json.loads(Path(hf_hub_download(model, "config.json")).read_text())


def _fuse(model: str, adapter_dir: Path, out: Path, extra: list[str]) -> None:
    cmd = [sys.executable, "-m", "mlx_lm", "fuse", "--model", model, "--adapter-path",
           str(adapter_dir), "--save-path", str(out), *extra]
    print("Running: " + " ".join(cmd), flush=True)
    result = subprocess.run(cmd)
    if result.returncode != 0:
        raise AskBuddyXError(f"mlx_lm fuse failed (exit status {result.returncode}).",
                             hint="See its output above.")


def export_fused(model: str, adapter_dir: Path, out: Path, dequantize: bool = False) -> Path:
    """mlx-lm fuse: the adapter merged into the base weights (dequantized on request)."""
    _check_adapter(adapter_dir)
    _fuse(resolve_model(model), adapter_dir, out, ["--dequantize"] if dequantize else [])
    return out


def export_gguf(model: str, adapter_dir: Path, out: Path) -> Path:
    """mlx-lm fuse --export-gguf, for the architectures it supports; else a clear error."""
    _check_adapter(adapter_dir)
    arch = base_config(model).get("model_type")
    if arch not in GGUF_ARCHS:
        raise AskBuddyXError(
            f"mlx-lm's GGUF export supports {', '.join(GGUF_ARCHS)}, not {arch!r} "
            f"(the base model {model}).", hint=GGUF_ALTERNATIVE)
    _fuse(resolve_model(model), adapter_dir, out,
          ["--dequantize", "--export-gguf", "--gguf-path", "askbuddyx-f16.gguf"])
    return out / "askbuddyx-f16.gguf"


def dequantized_base(model: str, out: Path) -> Path:
    """A full-precision copy of a local MLX model, in the Hugging Face layout transformers reads."""
    from mlx_lm import convert

    if out.exists():
        import shutil

        shutil.rmtree(out)
    convert(hf_path=resolve_model(model), mlx_path=str(out), dequantize=True, dtype="float32")
    config = json.loads((out / "config.json").read_text())
    for key in ("quantization", "quantization_config"):
        config.pop(key, None)
    (out / "config.json").write_text(json.dumps(config, indent=2))
    return out


def peft_config(mlx_config: dict, keys: list[str], num_hidden_layers: int | None,
                base_model: str) -> dict:
    """adapter_config.json for PEFT, from mlx-lm's adapter config and the adapter's keys."""
    if mlx_config.get("fine_tune_type", "lora") != "lora":
        raise AskBuddyXError(f"Only LoRA adapters convert to PEFT, not "
                             f"{mlx_config.get('fine_tune_type')!r}.")
    lora = mlx_config["lora_parameters"]
    rank, scale = int(lora["rank"]), float(lora["scale"])
    modules = sorted({k.rsplit(".", 1)[0].rsplit(".", 1)[1] for k in keys})
    layers = sorted({int(k.split(".layers.")[1].split(".")[0]) for k in keys if ".layers." in k})
    config = {
        "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": base_model,
        "r": rank, "lora_alpha": scale * rank,  # PEFT scales by lora_alpha / r
        "lora_dropout": float(lora.get("dropout", 0.0)), "target_modules": modules,
        "bias": "none", "fan_in_fan_out": False, "use_rslora": False, "use_dora": False,
        "inference_mode": True, "init_lora_weights": True, "modules_to_save": None,
        "layers_to_transform": None, "layers_pattern": None,
    }
    if num_hidden_layers is not None and layers != list(range(num_hidden_layers)):
        config.update(layers_to_transform=layers, layers_pattern="layers")
    return config


def export_peft(model: str, adapter_dir: Path, out: Path, hf_base: str | None = None) -> Path:
    """adapter_model.safetensors + adapter_config.json that peft/transformers/vLLM load."""
    import mlx.core as mx
    import numpy as np
    from safetensors.numpy import save_file

    from askbuddyx.publish.model_card import ORIGINAL_MODELS

    mlx_config = _check_adapter(adapter_dir)
    weights = mx.load(str(adapter_dir / "adapters.safetensors"))
    tensors = {}
    for key, value in weights.items():
        prefix, _, kind = key.rpartition(".")
        if kind not in ("lora_a", "lora_b"):
            raise AskBuddyXError(f"Unexpected adapter tensor {key!r}: not a LoRA weight.",
                                 hint="DoRA and full fine-tunes do not convert to PEFT LoRA.")
        name = f"base_model.model.{prefix}.lora_{kind[-1].upper()}.weight"
        # transposed: mlx-lm's (in, r)/(r, out) are torch Linear's (r, in)/(out, r)
        tensors[name] = np.ascontiguousarray(np.array(value.astype(mx.float32)).T)
    out.mkdir(parents=True, exist_ok=True)
    config = base_config(model)
    if hf_base is None:
        if is_hub_id(model):
            hf_base = ORIGINAL_MODELS.get(model, model)
        elif "quantization" in config:
            hf_base = str(dequantized_base(model, out / "base_model"))
        else:
            hf_base = str(Path(model).resolve())
    save_file(tensors, str(out / "adapter_model.safetensors"), metadata={"format": "pt"})
    cfg = peft_config(mlx_config, list(weights), config.get("num_hidden_layers"), hf_base)
    (out / "adapter_config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    return out


def export_adapter(fmt: str, model: str, adapter_dir: str | Path, out: str | Path,
                   dequantize: bool = False, hf_base: str | None = None) -> Path:
    """Dispatch on `fmt` (fused, peft, gguf)."""
    adapter_dir, out = Path(adapter_dir), Path(out)
    if fmt == "fused":
        return export_fused(model, adapter_dir, out, dequantize)
    if fmt == "peft":
        return export_peft(model, adapter_dir, out, hf_base)
    if fmt == "gguf":
        return export_gguf(model, adapter_dir, out)
    raise AskBuddyXError(f"Unknown export format {fmt!r}.", hint="Use fused, peft or gguf.")
