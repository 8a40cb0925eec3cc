"""Load a base model (local directory or Hugging Face hub id) with clear errors.

`mlx_lm.load` treats any path that does not exist as a hub repo id and tries to download it.
That turns a typo in a local path into a confusing hub error, and being offline into a long
traceback. `resolve_model` tells the cases apart first; `load_model` wraps `mlx_lm.load`.
"""

from __future__ import annotations

import re
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")
OFFLINE_HINT = (
    "The Hugging Face hub is unreachable (offline?). Use an offline profile: "
    "`dvc exp run -S profile=smol` (or `askbuddyx params --profile smol` then `dvc repro`), "
    "or download the model once where you have network and point `model.path` at the folder."
)


def is_hub_id(model: str) -> bool:
    """True for "org/name" strings that are not an existing local path."""
    return bool(HUB_ID.match(model)) and not Path(model).exists()


def resolve_model(model: str) -> str:
    """Return `model` if it is a usable local model dir or a hub id; else raise a clear error."""
    path = Path(model)
    if path.exists():
        if not (path / "config.json").is_file():
            raise AskBuddyXError(
                f"Model path {model} exists but has no config.json, so it is not a model folder.",
                hint="Point `model.path` at a folder made by mlx_lm.convert (config.json, "
                "*.safetensors, tokenizer files).",
            )
        return model
    if is_hub_id(model):
        return model
    raise AskBuddyXError(
        f"Model path not found: {model}",
        hint="Check `model.path` in params.yaml. The embedded model ships in "
        "assets/models/askbuddyx-tiny-qwen2-4bit (rebuild: `askbuddyx build-base-model`).",
    )


def check_hub(model: str) -> None:
    """For a hub id that is not in the local cache, fail at once when the hub is unreachable."""
    if not is_hub_id(model):
        return
    from huggingface_hub import snapshot_download

    from askbuddyx.hub import offline_mode, probe_hub

    try:
        snapshot_download(model, local_files_only=True)
        return  # cached: mlx-lm loads it without the network
    except Exception:  # noqa: BLE001 - not cached (or partial): we need the hub
        pass
    if offline_mode():
        reason = "HF_HUB_OFFLINE is set and the model is not in the local cache"
    else:
        reason = probe_hub()
    if reason is not None:
        raise AskBuddyXError(f"Cannot download model {model!r}: {reason}", hint=OFFLINE_HINT)


def load_model(model: str, adapter_path: str | None = None):
    """`mlx_lm.load` with our errors. Returns (model, tokenizer)."""
    from mlx_lm import load

    model = resolve_model(model)
    check_hub(model)
    if adapter_path is not None and not (Path(adapter_path) / "adapters.safetensors").is_file():
        raise AskBuddyXError(
            f"Adapter not found: {adapter_path}/adapters.safetensors",
            hint="Train it first: `make train` (or `dvc repro train`).",
        )
    try:
        return load(model, adapter_path=adapter_path)
    except AskBuddyXError:
        raise
    except Exception as exc:  # noqa: BLE001 - hub/network failures become one clear message
        if is_hub_id(model):
            raise AskBuddyXError(
                f"Could not load model {model!r} from the Hugging Face hub "
                f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}).",
                hint=OFFLINE_HINT,
            ) from exc
        raise


def load_tokenizer(model: str):
    """The model's tokenizer alone (mlx-lm's TokenizerWrapper), with the same errors."""
    from mlx_lm.utils import load_tokenizer as _load_tokenizer

    model = resolve_model(model)
    check_hub(model)
    try:
        return _load_tokenizer(model)
    except Exception as exc:  # noqa: BLE001
        if is_hub_id(model):
            raise AskBuddyXError(
                f"Could not load the tokenizer of {model!r} from the Hugging Face hub "
                f"({type(exc).__name__}).",
                hint=OFFLINE_HINT,
            ) from exc
        raise


def wants_float_weights(mode: str | bool, key: str = "eval.dequantize") -> bool:
    """Resolve a `dequantize` param (`key` names it in errors): "auto" (only on MLX's CPU
    backend), True or False."""
    if isinstance(mode, str) and mode.lower() in ("true", "false"):
        mode = mode.lower() == "true"
    if isinstance(mode, bool):
        return mode
    if mode != "auto":
        raise AskBuddyXError(f"{key} must be auto, true or false, not {mode!r}.",
                             hint="Use `auto` (float weights on the CPU backend only).")
    import mlx.core as mx

    return mx.default_device() == mx.cpu


def dequantize_for_generation(model) -> bool:
    """Turn the quantized layers of a loaded model (LoRA-wrapped ones too) into float32, in
    place, for generation. Returns whether there was anything to dequantize.

    Why: MLX's CPU backend multiplies quantized weights about one row at a time
    (bench/bench_cpu_matmul.py, mlx 0.32 on a 2-core Xeon, a 4864x896 4-bit layer of
    Qwen2.5-0.5B: 13x slower than float32 for 1 row, 215x for 40), so a batch of 40 answers
    costs about 40 single ones and batching gains little. The float32 weights are the exact
    dequantized values; only the order of summation differs. Costs memory, 8x the 4-bit size
    (0.5B parameters: 2 GB), so only where it pays: Metal and CUDA have fast quantized
    kernels (`wants_float_weights`).
    """
    import mlx.core as mx
    import mlx.nn as nn
    from mlx_lm.utils import dequantize_model

    if not any(isinstance(m, (nn.QuantizedLinear, nn.QuantizedEmbedding))
               for _, m in model.named_modules()):
        return False
    # float32 first: dequantize_model computes in the scales' dtype, and float16 scales would
    # round every weight (SmolLM2's GGUF: logits off by up to 0.1 against the exact values).
    model.set_dtype(mx.float32)  # bf16/fp16 matmuls have no fast CPU path either
    dequantize_model(model)
    mx.eval(model.parameters())
    return True
