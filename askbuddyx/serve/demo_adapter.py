"""A LoRA adapter made in a second, for tests and benchmarks that need one before training.

It has the exact layout mlx-lm training writes (`adapters.safetensors` + `adapter_config.json`)
and is loaded with mlx-lm's own `load_adapters`, but its weights are random: `lora_b` is not
zero, so the adapted model answers differently from the base. Real adapters come from
`make train`.

    python -m askbuddyx.serve.demo_adapter assets/models/askbuddyx-tiny-qwen2-4bit /tmp/adapter
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def make_demo_adapter(model_path: str, out_dir: str | Path, seed: int = 0, rank: int = 4,
                      scale: float = 20.0) -> Path:
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.tuner.utils import linear_to_lora_layers

    from askbuddyx.models import load_model

    mx.random.seed(seed)
    model, _ = load_model(model_path)
    model.freeze()
    lora = {"rank": rank, "scale": scale, "dropout": 0.0}
    num_layers = len(model.layers)
    linear_to_lora_layers(model, num_layers, lora)
    weights = dict(tree_flatten(model.trainable_parameters()))
    for name, w in weights.items():
        if name.endswith("lora_b"):
            weights[name] = mx.random.normal(w.shape) * 0.05
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mx.save_safetensors(str(out / "adapters.safetensors"), weights)
    config = {"fine_tune_type": "lora", "num_layers": num_layers, "lora_parameters": lora}
    (out / "adapter_config.json").write_text(json.dumps(config, indent=2))
    return out


if __name__ == "__main__":
    print(make_demo_adapter(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3
                            else 0))
