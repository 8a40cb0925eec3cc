"""Which model names the server answers to, and the models behind them.

Names:
- `AskBuddyX`: the base model + the pipeline's adapter (`serve.adapter`, outputs/adapters/dev),
  or whichever registered adapter `switch` made current;
- every registered adapter by name: each folder under `serve.adapters_dir` that holds an
  `adapters.safetensors` (an experiment's adapter is `outputs/adapters/<name>`), the entries of
  `serve.adapters` (e.g. `AskBuddyX@0.1.0: path/to/adapter`), and adapters registered at run
  time through `POST /v1/adapters`;
- the pipeline's adapter also under its folder name (`dev`), so that after a `switch`
  `AskBuddyX` can be switched back to it.

The names follow the disk: a folder added under `adapters_dir` after start is found on the
first request that names it (or lists the names), and a discovered folder that is gone is
dropped (its weights freed). Explicit registrations stay until they are unregistered; a
discovered adapter unregistered by hand stays away until it is registered again (or a restart).
- the bare base model, by its folder name or hub id (e.g. `askbuddyx-tiny-qwen2-4bit`).

The base weights are loaded once. Each loaded adapter is its own module tree (mlx-lm's
`load_model(lazy=True)` + `load_adapters`) whose base parameters are the *same arrays* as the
base model's, so an adapter costs only its LoRA weights in memory and loads in well under a
second on the embedded model; switching between loaded adapters costs nothing.

With float weights (`serve.dequantize`, on by default on MLX's CPU backend, whose quantized
matmuls gain almost nothing from batching: see `askbuddyx.models.dequantize_for_generation`)
the base is dequantized once, when it loads; each adapter's module tree is then built with
float layers too, before it takes the base's arrays, so adapters still share one copy.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

ASKBUDDYX = "AskBuddyX"


class UnknownModel(KeyError):
    """A model name that is not registered."""


@dataclass
class ServedModel:
    """A model ready to generate: `key` is stable per (base, adapter path)."""

    name: str
    key: tuple
    model: object
    tokenizer: object

    @property
    def vocab_size(self) -> int:
        """Width of the model's logits: the token ids a `logit_bias` may name."""
        return int(self.model.args.vocab_size)


def base_model_name(model_path: str) -> str:
    """The API name of the bare base model: a local folder's name, or the hub id."""
    path = Path(model_path)
    return path.name if path.exists() else model_path


def check_adapter_dir(path: str | Path) -> Path:
    path = Path(path)
    if not all((path / f).is_file() for f in ("adapters.safetensors", "adapter_config.json")):
        raise AskBuddyXError(
            f"Adapter not found: {path} has no adapters.safetensors + adapter_config.json.",
            hint="Train it first (`make train`), point at a folder made by mlx-lm LoRA "
            "training, or serve the base model alone with `--adapter ''`.",
        )
    return path


def discover_adapters(adapters_dir: str | Path) -> dict:
    """name -> path for each adapter folder directly under `adapters_dir` (none if missing)."""
    root = Path(adapters_dir)
    if not root.is_dir():
        return {}
    return {p.name: str(p) for p in sorted(root.iterdir())
            if (p / "adapters.safetensors").is_file() and (p / "adapter_config.json").is_file()}


class Registry:
    """Names, adapter paths and loaded models. Thread-safe (one lock around changes).

    Args:
        model_path: Base model folder or hub id.
        adapter: The pipeline adapter folder behind `AskBuddyX`, or None for the base alone.
        adapters: Extra name -> adapter folder registrations.
        float_weights: Generate with the base dequantized to float32 (`serve.dequantize`
            resolved by `askbuddyx.models.wants_float_weights`).
        adapters_dir: Folder whose adapter folders are served under their names, followed
            as it changes (`serve.adapters_dir`); None: none.
    """

    def __init__(self, model_path: str, adapter: str | None, adapters: dict | None = None,
                 float_weights: bool = False, adapters_dir: str | Path | None = None):
        from askbuddyx.models import dequantize_for_generation, load_model

        self.model_path = model_path
        self.base_name = base_model_name(model_path)
        t0 = time.perf_counter()
        self.base_model, self.tokenizer = load_model(model_path)
        # True only when there was something to dequantize (a float base stays as it is).
        self.float_weights = float_weights and dequantize_for_generation(self.base_model)
        self.base_load_s = time.perf_counter() - t0
        self._lock = threading.RLock()
        self._paths: dict = {}  # name -> adapter path (None: the base model)
        self._loaded: dict = {}  # adapter path -> ServedModel
        self._discovered: set = set()  # names that come from adapters_dir (follow the disk)
        self._hidden: set = set()  # discovered names unregistered by hand: not found again
        self.adapters_dir = Path(adapters_dir) if adapters_dir else None
        self._paths[self.base_name] = None
        for name, path in (adapters or {}).items():
            self.register(name, path, load=False)
        if adapter:
            self.register(ASKBUDDYX, adapter, load=True)
            folder_name = Path(adapter).resolve().name
            if folder_name not in self._paths:
                self._paths[folder_name] = self._paths[ASKBUDDYX]
        else:
            self._paths[ASKBUDDYX] = None
        self.refresh()

    # -- queries ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Register new adapter folders of `adapters_dir`, drop discovered ones that are gone."""
        if self.adapters_dir is None:
            return
        found = discover_adapters(self.adapters_dir)
        with self._lock:
            for name in self._discovered - set(found):
                self._discovered.discard(name)
                self._forget(name)
            known = {str(Path(p).resolve()) for p in self._paths.values() if p is not None}
            for name, path in found.items():
                if name not in self._paths and name not in self._hidden and \
                        str(Path(path).resolve()) not in known:
                    self._paths[name] = path
                    self._discovered.add(name)

    def _known(self, name: str) -> bool:
        """Whether `name` is registered, looking at the disk again if it is not (yet)."""
        if name not in self._paths:
            self.refresh()
        return name in self._paths

    def names(self) -> list:
        self.refresh()
        with self._lock:
            return [ASKBUDDYX] + sorted(n for n in self._paths if n != ASKBUDDYX)

    def describe(self) -> list:
        """One dict per name: name, adapter path (None for the base), loaded."""
        with self._lock:
            return [{"name": n, "adapter": self._paths[n],
                     "loaded": self._paths[n] is None or self._paths[n] in self._loaded}
                    for n in self.names()]

    def adapter_of(self, name: str):
        with self._lock:
            if not self._known(name):
                raise UnknownModel(name)
            return self._paths[name]

    def peek(self, name: str) -> ServedModel | None:
        """The model behind `name` if it needs no loading, else None (UnknownModel if unknown)."""
        with self._lock:
            if not self._known(name):
                raise UnknownModel(name)
            path = self._paths[name]
            return self._load_path(path) if path is None or path in self._loaded else None

    def get(self, name: str) -> ServedModel:
        """The model behind `name`, loading its adapter on first use."""
        with self._lock:
            if not self._known(name):
                raise UnknownModel(name)
            return self._load_path(self._paths[name])

    # -- changes ------------------------------------------------------------------------
    def register(self, name: str, path: str, load: bool = False) -> None:
        path = str(check_adapter_dir(path))
        with self._lock:
            if name == self.base_name:
                raise AskBuddyXError(f"{name!r} is the base model's name; pick another.")
            self._paths[name] = path
            self._discovered.discard(name)
            self._hidden.discard(name)
            if load:
                self._load_path(path)

    def is_loaded(self, name: str) -> bool:
        """Whether `name`'s weights are in memory now (the base model always is)."""
        with self._lock:
            path = self.adapter_of(name)
            return path is None or path in self._loaded

    def unregister(self, name: str) -> None:
        with self._lock:
            if name not in self._paths:
                raise UnknownModel(name)
            if name in (ASKBUDDYX, self.base_name):
                raise AskBuddyXError(f"{name!r} cannot be removed; switch it instead.")
            if name in self._discovered:
                self._hidden.add(name)
            self._discovered.discard(name)
            self._forget(name)

    def _forget(self, name: str) -> None:
        path = self._paths.pop(name)
        if path not in self._paths.values():
            self._loaded.pop(path, None)

    def load(self, name: str) -> float:
        """Load `name`'s adapter now; returns the seconds it took (0 if already loaded)."""
        t0 = time.perf_counter()
        self.get(name)
        return time.perf_counter() - t0

    def unload(self, name: str) -> bool:
        """Free `name`'s adapter weights (it loads again on next use). False if not loaded."""
        with self._lock:
            path = self.adapter_of(name)
            return path is not None and self._loaded.pop(path, None) is not None

    def switch(self, name: str) -> float:
        """Make `AskBuddyX` serve `name`'s adapter (loading it); returns the seconds taken."""
        t0 = time.perf_counter()
        with self._lock:
            path = self.adapter_of(name)
            if path is not None:
                self._load_path(path)
            self._paths[ASKBUDDYX] = path
        return time.perf_counter() - t0

    def _load_path(self, path) -> ServedModel:
        if path is None:
            return ServedModel(self.base_name, (None,), self.base_model, self.tokenizer)
        served = self._loaded.get(path)
        if served is None:
            model = self._build_adapted(path)
            served = ServedModel(path, (path, time.monotonic_ns()), model, self.tokenizer)
            self._loaded[path] = served
        return served

    def _build_adapted(self, path: str):
        """A module tree sharing the base arrays, with LoRA layers and this adapter's weights."""
        import mlx.core as mx
        from mlx.utils import tree_flatten
        from mlx_lm.tuner.utils import load_adapters
        from mlx_lm.utils import dequantize_model, load_model

        check_adapter_dir(path)
        model_dir = Path(self.model_path)
        if not model_dir.exists():  # a hub id: mlx-lm cached it when the base model loaded
            from huggingface_hub import snapshot_download

            model_dir = Path(snapshot_download(self.model_path, local_files_only=True))
        # lazy=True: the weight files are mapped but never read, because every parameter is
        # replaced by the base model's already-loaded array just below.
        model, _ = load_model(model_dir, lazy=True)
        if self.float_weights:
            # The same float layers as the base (their lazy values are never computed).
            dequantize_model(model)
        model.load_weights(tree_flatten(self.base_model.parameters()), strict=True)
        try:
            load_adapters(model, path)
        except (ValueError, FileNotFoundError, KeyError) as exc:
            raise AskBuddyXError(
                f"Adapter {path} does not fit base model {self.model_path}: {exc}",
                hint="Serve it with the base model it was trained on (`--model`).",
            ) from exc
        model.eval()
        mx.eval(model.parameters())
        return model
