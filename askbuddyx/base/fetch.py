"""The base model as a DVC artifact: `models/base/`, made by the `fetch_model` stage.

Release profile: downloaded from the Hugging Face hub once (`snapshot_download`), then cached by
DVC and pushed with `dvc push`, so an air-gapped machine gets it with `dvc pull`.
Embedded profile: a copy of the model that ships in assets/ (tiny, so a copy is cheap).

    python stages/fetch_model.py --out models/base
"""

from __future__ import annotations

import shutil
from pathlib import Path

from askbuddyx.errors import AskBuddyXError
from askbuddyx.models import OFFLINE_HINT, check_hub, is_hub_id, resolve_model

# What mlx-lm needs to load a model; README/license files come along when the hub has them.
HUB_PATTERNS = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "*.md", "LICENSE*"]


def fetch_base_model(model: str, out: str | Path) -> Path:
    """Put the base model `model` (local folder or hub id) into `out`, replacing it."""
    out = Path(out)
    model = resolve_model(model)
    if out.exists():
        shutil.rmtree(out)
    if not is_hub_id(model):
        shutil.copytree(model, out, ignore=shutil.ignore_patterns("__pycache__", ".*"))
        return out
    check_hub(model)  # fail at once, with the offline hint, when the hub is unreachable
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(model, local_dir=str(out), allow_patterns=HUB_PATTERNS)
    except Exception as exc:  # noqa: BLE001 - any download failure becomes one clear error
        raise AskBuddyXError(f"Could not download {model!r} ({type(exc).__name__}).",
                             hint=OFFLINE_HINT) from exc
    shutil.rmtree(out / ".cache", ignore_errors=True)  # huggingface_hub's download metadata
    if not (out / "config.json").is_file():
        raise AskBuddyXError(f"{model!r} downloaded without a config.json: not an MLX model.",
                             hint="Point model.path at an mlx-community (MLX) model.")
    return out
