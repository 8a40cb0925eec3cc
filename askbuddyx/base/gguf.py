"""A llama.cpp GGUF file (Llama architecture) as an MLX model folder that `mlx_lm.load` reads.

    python -c "from askbuddyx.base.gguf import convert_gguf; convert_gguf('m.gguf', 'out')"

(the `fetch_model` stage does this for a `pypi:` model.path, see `askbuddyx.base.fetch`).

No re-quantization: MLX reads GGUF's Q4_0/Q4_1/Q8_0 blocks as its own affine quantization,
group size 32 (packed uint32 weight, float16 scales and biases), and F16/F32 tensors as they
are, so the folder holds exactly the GGUF's numbers. Three things change on the way:

- names: GGUF's (`blk.3.attn_q`) become mlx-lm's / Hugging Face's (`model.layers.3.self_attn.
  q_proj`);
- q/k rows: llama.cpp's converter permutes the rows of each head of the q and k projections so
  that its rotary embedding can rotate adjacent pairs (x0, x1), (x2, x3)...; Hugging Face and
  mlx-lm (`rope_traditional: false`) rotate the two halves of a head (x_i, x_{i+d/2}).
  `unpermute_rows` restores the Hugging Face order. It moves whole rows, so it applies to the
  packed weights, the scales and the biases alike (quantization groups run along a row).
  Keeping llama.cpp's order with `rope_traditional: true` would compute the same logits, but
  a LoRA adapter trained on it would not fit the Hugging Face model (the PEFT export);
- the tokenizer: transformers builds it from the GGUF metadata (`gguf_file=`, needs the `gguf`
  package) and saves it as tokenizer.json + tokenizer_config.json + chat_template.jinja.

The output is deterministic: sorted tensors, sorted JSON, no timestamps.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

WEIGHTS_FILE = "model.safetensors"

# GGUF tensor name (inside a block, or global) -> mlx-lm module path.
BLOCK_NAMES = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
}
GLOBAL_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm",
                "output": "lm_head"}
BLOCK = re.compile(r"^blk\.(\d+)\.(\w+)\.(weight|scales|biases)$")
GLOBAL = re.compile(r"^(\w+)\.(weight|scales|biases)$")
# Metadata whose meaning this converter does not implement: refuse rather than guess.
UNSUPPORTED_KEYS = ("llama.rope.scaling.type", "llama.expert_count", "llama.attention.key_length")


def read_gguf(path: str | Path) -> tuple[dict, dict]:
    """(tensors, metadata) of a GGUF file, as MLX reads them."""
    import mlx.core as mx

    path = Path(path)
    if not path.is_file():
        raise AskBuddyXError(f"GGUF file not found: {path}",
                             hint="Check the path (or the `pypi:` model.path that names it).")
    tensors, metadata = mx.load(str(path), return_metadata=True)
    return tensors, metadata


def _scalar(metadata: dict, key: str):
    if key not in metadata:
        raise AskBuddyXError(f"The GGUF metadata has no {key!r}.",
                             hint="Only llama.cpp GGUF files of Llama models are supported.")
    value = metadata[key].item()
    if isinstance(value, float):
        import numpy as np

        # GGUF stores float32: 1e-05 reads back as 9.99999974e-06; keep the shortest spelling.
        value = float(str(np.float32(value)))
    return value


def llama_config(metadata: dict, tensors: dict) -> dict:
    """mlx-lm's config.json for the Llama model that a GGUF file holds (before quantization)."""
    arch = metadata.get("general.architecture")
    if arch != "llama":
        raise AskBuddyXError(f"GGUF architecture {arch!r} is not supported, only 'llama'.",
                             hint="Convert the model with mlx_lm.convert from its Hugging Face "
                             "weights instead.")
    if present := [k for k in UNSUPPORTED_KEYS if k in metadata]:
        raise AskBuddyXError(f"The GGUF metadata has {present}, which this converter does not "
                             "implement.", hint="Convert this model with mlx_lm.convert.")
    hidden = _scalar(metadata, "llama.embedding_length")
    heads = _scalar(metadata, "llama.attention.head_count")
    head_dim = hidden // heads
    rope_dims = _scalar(metadata, "llama.rope.dimension_count")
    if rope_dims != head_dim:
        raise AskBuddyXError(f"Partial rotary embedding ({rope_dims} of {head_dim} dims) is "
                             "not supported.", hint="Convert this model with mlx_lm.convert.")
    config = {
        "model_type": "llama",
        "hidden_size": hidden,
        "num_hidden_layers": _scalar(metadata, "llama.block_count"),
        "intermediate_size": _scalar(metadata, "llama.feed_forward_length"),
        "num_attention_heads": heads,
        "num_key_value_heads": _scalar(metadata, "llama.attention.head_count_kv"),
        "head_dim": head_dim,
        "rms_norm_eps": _scalar(metadata, "llama.attention.layer_norm_rms_epsilon"),
        "rope_theta": _scalar(metadata, "llama.rope.freq_base"),
        "rope_traditional": False,  # true after unpermute_rows (module docstring)
        "max_position_embeddings": _scalar(metadata, "llama.context_length"),
        "vocab_size": len(metadata["tokenizer.ggml.tokens"]),
        "tie_word_embeddings": "output.weight" not in tensors,
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
    }
    for name in ("bos", "eos", "padding"):
        key = f"tokenizer.ggml.{name}_token_id"
        if key in metadata:
            config[f"{'pad' if name == 'padding' else name}_token_id"] = _scalar(metadata, key)
    return config


def unpermute_rows(w, n_heads: int):
    """Undo llama.cpp's q/k row permutation (see the module docstring) on the rows of `w`.

    llama.cpp writes row (h, j, i) of head h from Hugging Face row (h, i, j), for i in the two
    halves and j within a half: rows viewed as (n_heads, half, 2) there, (n_heads, 2, half)
    here. Trailing dimensions (packed columns, quantization groups) move with their row.
    """
    rows = w.shape[0]
    if rows % (2 * n_heads):
        raise AskBuddyXError(f"A q/k projection with {rows} rows does not split into "
                             f"{n_heads} heads of pairs.", hint="Is the GGUF a Llama model?")
    half = rows // n_heads // 2
    return w.reshape(n_heads, half, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def mlx_name(gguf_name: str) -> str:
    """GGUF tensor name -> mlx-lm parameter name ("blk.0.attn_q.scales" ->
    "model.layers.0.self_attn.q_proj.scales")."""
    if m := BLOCK.match(gguf_name):
        layer, part, kind = m.groups()
        if part in BLOCK_NAMES:
            return f"model.layers.{layer}.{BLOCK_NAMES[part]}.{kind}"
    elif (m := GLOBAL.match(gguf_name)) and m.group(1) in GLOBAL_NAMES:
        return f"{GLOBAL_NAMES[m.group(1)]}.{m.group(2)}"
    raise AskBuddyXError(f"Unknown GGUF tensor {gguf_name!r} for a Llama model.",
                         hint="Only llama.cpp GGUF files of plain Llama models are supported.")


def mlx_weights(tensors: dict, config: dict, unpermute: bool = True) -> dict:
    """The GGUF tensors under mlx-lm's names, q/k rows in Hugging Face order (`unpermute`
    False keeps llama.cpp's order: only for the test that shows the un-permute matters)."""
    heads = {"q_proj": config["num_attention_heads"], "k_proj": config["num_key_value_heads"]}
    weights = {}
    for gguf_name, value in tensors.items():
        name = mlx_name(gguf_name)
        proj = name.rsplit(".", 2)[-2]
        if unpermute and proj in heads:
            value = unpermute_rows(value, heads[proj])
        weights[name] = value
    return dict(sorted(weights.items()))


def quantization_config(weights: dict, config: dict) -> dict | None:
    """mlx-lm's `quantization` entry: the most common (group_size, bits) as the default, and a
    per-module entry for modules quantized differently (e.g. a Q8_0 token embedding in a Q4_1
    file) or kept in float (False). None when nothing is quantized."""
    found = {}
    for name, scales in weights.items():
        if name.endswith(".scales"):
            module = name[: -len(".scales")]
            in_dims = config["intermediate_size"] if "down_proj" in module else config[
                "hidden_size"]
            packed = weights[f"{module}.weight"].shape[-1]
            found[module] = {"group_size": in_dims // scales.shape[-1],
                             "bits": packed * 32 // in_dims}
    if not found:
        return None
    shapes = [tuple(sorted(q.items())) for q in found.values()]
    default = dict(max(set(shapes), key=shapes.count))
    quant = {**default, "mode": "affine"}
    for module, q in sorted(found.items()):
        if q != default:
            quant[module] = {**q, "mode": "affine"}
    for name, value in weights.items():  # float matrices of a quantized model stay float
        module = name.rsplit(".", 1)[0]
        if name.endswith(".weight") and value.ndim == 2 and module not in found:
            quant[module] = False
    return quant


def save_tokenizer(gguf_path: Path, out: Path, metadata: dict) -> None:
    """transformers' tokenizer from the GGUF metadata, saved into `out`; checks that the chat
    template came along unchanged."""
    from transformers import AutoTokenizer

    # transformers also reads tokenizer files lying beside the GGUF (mlx-lm's GGUF export
    # leaves a tokenizer_config.json there, and the chat template was lost): show it the file
    # alone, through a link in an empty folder.
    with tempfile.TemporaryDirectory() as alone:
        (Path(alone) / gguf_path.name).symlink_to(gguf_path.resolve())
        try:
            tokenizer = AutoTokenizer.from_pretrained(alone, gguf_file=gguf_path.name)
        except ImportError as exc:
            raise AskBuddyXError("transformers needs the `gguf` package to read a GGUF "
                                 "tokenizer.", hint="pip install -c constraints.txt -e . "
                                 "(it pins gguf)") from exc
    template = metadata.get("tokenizer.chat_template")
    if template is not None and tokenizer.chat_template != template:
        raise AskBuddyXError("The tokenizer built from the GGUF lost its chat template.",
                             hint="Check the transformers and gguf versions (constraints.txt).")
    tokenizer.save_pretrained(str(out))


def convert_gguf(gguf_path: str | Path, out: str | Path) -> Path:
    """Write the MLX model folder `out` (replaced): config.json, model.safetensors, tokenizer
    files. Then loads it with mlx-lm (strict), so a folder mlx_lm.load refuses never stays."""
    import mlx.core as mx
    from mlx_lm.utils import load_model, save_config

    gguf_path, out = Path(gguf_path), Path(out)
    tensors, metadata = read_gguf(gguf_path)
    config = llama_config(metadata, tensors)
    weights = mlx_weights(tensors, config)
    if (quant := quantization_config(weights, config)) is not None:
        config["quantization"] = quant
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    mx.save_safetensors(str(out / WEIGHTS_FILE), weights, metadata={"format": "mlx"})
    save_config(config, config_path=out / "config.json")
    save_tokenizer(gguf_path, out, metadata)
    try:
        load_model(out, strict=True)
    except ValueError as exc:
        raise AskBuddyXError(f"mlx-lm cannot load the converted folder {out}: {exc}",
                             hint="A tensor name or shape does not match mlx-lm's llama model; "
                             "this GGUF may not be a plain Llama.") from exc
    return out

