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

A PEFT adapter applies to a full-precision transformers model. `base_model_name_or_path` is
a hub id or an absolute path, so the export loads from any working directory:
- a base converted from a packaged GGUF (smol profile) names the model's hub id from its
  build_info.json (`HuggingFaceTB/SmolLM2-135M-Instruct`). The adapter was trained over the
  GGUF's Q4_1 weights, so on the bf16 hub weights it behaves as a QLoRA adapter does;
- a hub base names the original (unquantized) model id;
- a local quantized base (the tiny profile) gets a dequantized copy in `base_model/`, named by
  its absolute path.

GGUF (Llama bases, e.g. smol): mlx-lm's export writes an F16 file whose vocabulary is
SentencePiece-style (`tokenizer.ggml.model = llama`); for a base converted from a GGUF the
export puts back that file's own tokenizer metadata (GPT-2 BPE vocabulary and merges, special
token ids, chat template), so llama.cpp tokenizes as the original. Run it with
`llama-cli -m outputs/export/gguf/askbuddyx-f16.gguf -cnv` (llama.cpp applies the chat
template from the metadata), or in Ollama with a Modelfile `FROM ./askbuddyx-f16.gguf` and
`ollama create askbuddyx -f Modelfile && ollama run askbuddyx`.

A `pypi:` model.path (the packaged GGUF) is not a folder: exports use its conversion, the
fetch_model stage's `models/base/`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from askbuddyx.base.fetch import (
    PACKAGED_GGUFS,
    base_model_dir,
    packaged_gguf_file,
    read_build_info,
)
from askbuddyx.errors import AskBuddyXError
from askbuddyx.models import is_hub_id, resolve_model

GGUF_FILE = "askbuddyx-f16.gguf"

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
    _fuse(base_model_dir(model), adapter_dir, out, ["--dequantize"] if dequantize else [])
    return out


def export_gguf(model: str, adapter_dir: Path, out: Path) -> Path:
    """mlx-lm fuse --export-gguf, for the architectures it supports; else a clear error."""
    _check_adapter(adapter_dir)
    model = base_model_dir(model)
    arch = base_config(model).get("model_type")
    if arch not in GGUF_ARCHS:
        raise AskBuddyXError(
            f"mlx-lm's GGUF export supports {', '.join(GGUF_ARCHS)}, not {arch!r} "
            f"(the base model {model}).", hint=GGUF_ALTERNATIVE)
    _fuse(model, adapter_dir, out, ["--dequantize", "--export-gguf", "--gguf-path", GGUF_FILE])
    info = read_build_info(model) if Path(model).is_dir() else None
    if info is not None and info.get("source") in PACKAGED_GGUFS:
        restore_gguf_tokenizer(out / GGUF_FILE, packaged_gguf_file(PACKAGED_GGUFS[info["source"]]))
    return out / GGUF_FILE


def restore_gguf_tokenizer(exported: Path, source: Path) -> None:
    """Replace the `tokenizer.*` metadata of `exported` with the source GGUF's (see the module
    docstring: mlx-lm writes every vocabulary as SentencePiece's)."""
    import mlx.core as mx

    weights, metadata = mx.load(str(exported), return_metadata=True)
    _, original = mx.load(str(source), return_metadata=True)
    metadata = {k: v for k, v in metadata.items() if not k.startswith("tokenizer.")}
    metadata.update({k: v for k, v in original.items() if k.startswith("tokenizer.")})
    mx.save_gguf(str(exported), weights, metadata)


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


def peft_base(model: str, config: dict, out: Path) -> str:
    """What `base_model_name_or_path` names (module docstring): a hub id, else an absolute
    path, never one relative to the working directory."""
    from askbuddyx.publish.model_card import ORIGINAL_MODELS

    if is_hub_id(model):
        return ORIGINAL_MODELS.get(model, model)
    if (info := read_build_info(model)) is not None and info.get("hub_id"):
        return info["hub_id"]
    if "quantization" in config:
        return str(dequantized_base(model, out / "base_model").resolve())
    return str(Path(model).resolve())


def export_peft(model: str, adapter_dir: Path, out: Path, hf_base: str | None = None) -> Path:
    """adapter_model.safetensors + adapter_config.json that peft/transformers/vLLM load."""
    import mlx.core as mx
    import numpy as np
    from safetensors.numpy import save_file

    mlx_config = _check_adapter(adapter_dir)
    model = base_model_dir(model)
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
    hf_base = hf_base or peft_base(model, config, out)
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
