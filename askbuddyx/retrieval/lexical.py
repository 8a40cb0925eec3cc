"""The lexical side of search: BM25 (bm25s) over code-aware, stemmed words.

Code names are split into words (`read_json_file`, `HTTPAdapter` -> read, json, file, http,
adapter) so that a question in English meets the identifiers that spell it; words are
lower-cased, English stopwords and Python's own boilerplate dropped, and stemmed with Snowball
(PyStemmer, as bm25s recommends) so "parses" meets "parsing". The index lives in memory: it
is built from the chunks in the store when a search needs it (about a second for 20,000
chunks), so the SQLite file stays the one source of truth.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

RUN = re.compile(r"[A-Za-z0-9]+")
PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
CODE_STOPWORDS = {"self", "cls", "def", "return", "none", "true", "false", "import", "from",
                  "args", "kwargs", "py", "elif", "else", "pass", "raise", "class", "lambda"}
# bm25s sets its logger to DEBUG at import; its per-index messages are not ours to print.
logging.getLogger("bm25s").setLevel(logging.WARNING)
STOPWORDS = frozenset(STOPWORDS_EN) | CODE_STOPWORDS
_STEMMER = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def words(text: str) -> list[str]:
    """The stemmed, lower-cased words of `text`, identifiers split at `_` and case changes
    (a camel-case run also counts whole: "URLs" is "urls" as well as "ur", "ls")."""
    out = []
    for run in RUN.findall(text):
        parts = PART.findall(run)
        for raw in parts if len(parts) < 2 else [run, *parts]:
            word = raw.lower()
            if len(word) > 1 and word not in STOPWORDS:
                out.append(_stem(word))
    return out


class LexicalIndex:
    """BM25 over a fixed list of texts; `scores(query)` gives one score per text."""

    def __init__(self, texts: list[str]):
        self.size = len(texts)
        self._bm25 = bm25s.BM25()
        if texts:
            self._bm25.index([words(t) or ["_empty_"] for t in texts], show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        if not self.size:
            return np.zeros(0, dtype=np.float32)
        vocab = self._bm25.vocab_dict
        ids = [vocab[w] for w in words(query) if w in vocab]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return self._bm25.get_scores_from_ids(ids)
