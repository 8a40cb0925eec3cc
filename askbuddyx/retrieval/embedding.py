"""Text -> unit vectors, offline: WordLlama's static embeddings, shipped inside its wheel.

The default model, `wordllama:l2_supercat-256`, is WordLlama's `l2_supercat` at 256
dimensions: a token-embedding table distilled from large models' input embeddings (MIT,
see LICENSE-THIRD-PARTY.md). Its weights (16 MB) and tokenizer are files of the `wordllama`
package, so loading reads the installed package and nothing else; an embedding is the
average of a text's token vectors, which runs at thousands of chunks a second on one core.

WordLlama's other configurations and dimensions are hosted on the Hugging Face hub; asking
for one probes the hub first (askbuddyx.hub) and fails with a clear message offline instead
of hanging in retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from askbuddyx.errors import AskBuddyXError

DEFAULT_MODEL = "wordllama:l2_supercat-256"
MAX_TOKENS = 512  # WordLlama's default truncation; a chunk's first 512 tokens say what it is


@dataclass(frozen=True)
class ModelSpec:
    """`wordllama:<config>-<dim>`, e.g. wordllama:l2_supercat-256."""

    config: str
    dim: int

    @classmethod
    def parse(cls, spec: str) -> ModelSpec:
        family, _, rest = spec.partition(":")
        config, _, dim = rest.rpartition("-")
        if family != "wordllama" or not config or not dim.isdigit():
            raise AskBuddyXError(f"Unknown embedding model {spec!r}.",
                                 hint=f"Use {DEFAULT_MODEL!r} (shipped in the wordllama "
                                 "wheel) or another wordllama:<config>-<dim>.")
        return cls(config, int(dim))

    def __str__(self) -> str:
        return f"wordllama:{self.config}-{self.dim}"


class Embedder:
    """Embeds texts as float32 unit vectors (cosine similarity = dot product)."""

    def __init__(self, spec: str = DEFAULT_MODEL):
        self.spec = ModelSpec.parse(spec)
        self._model = _load_wordllama(self.spec)
        # WordLlama pads a batch to its longest text and truncates nothing: one long file
        # would make the whole batch that long.
        self._model.tokenizer.enable_truncation(MAX_TOKENS)
        self.dim = self.spec.dim

    @property
    def name(self) -> str:
        return str(self.spec)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.embed(list(texts), norm=True), dtype=np.float32)


def _package_dir() -> Path:
    import wordllama

    return Path(wordllama.__file__).parent


def shipped(spec: ModelSpec) -> bool:
    """Whether the installed wordllama package holds this model's weights and tokenizer."""
    from wordllama import WordLlama
    from wordllama.config.models import WordLlamaModels

    uri = getattr(WordLlamaModels, spec.config, None)
    if uri is None:
        return False
    return ((_package_dir() / "weights" / WordLlama.get_filename(spec.config, spec.dim, False))
            .is_file() and (_package_dir() / "tokenizers" / uri.tokenizer_config).is_file())


@lru_cache(maxsize=4)
def _load_wordllama(spec: ModelSpec):
    from wordllama import WordLlama
    from wordllama.config.models import WordLlamaModels

    if spec.config not in WordLlamaModels.list_configs():
        raise AskBuddyXError(f"WordLlama has no configuration {spec.config!r}.",
                             hint=f"One of {', '.join(WordLlamaModels.list_configs())}; "
                             f"the shipped one is {DEFAULT_MODEL!r}.")
    if shipped(spec):
        # The wheel lays its files out as wordllama's cache does (weights/, tokenizers/), so
        # the package folder *is* the cache; downloads stay off.
        return WordLlama.load(spec.config, cache_dir=_package_dir(), dim=spec.dim,
                              disable_download=True)
    from askbuddyx.hub import probe_hub

    unreachable = probe_hub()
    if unreachable:
        raise AskBuddyXError(
            f"The embedding model {spec} is not shipped in the wordllama package; it would be "
            f"downloaded from the Hugging Face hub, which is not reachable ({unreachable}).",
            hint=f"Use the shipped {DEFAULT_MODEL!r} (works offline), or go online once.")
    return WordLlama.load(spec.config, dim=spec.dim)
