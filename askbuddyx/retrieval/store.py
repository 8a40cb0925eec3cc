"""One index = one SQLite file: files with their hashes, chunks, and their vectors (sqlite-vec).

    index = CodeIndex.open("outputs/indexes/myrepo.sqlite")
    report = index.update("path/to/repo")           # only new or changed files are re-read
    hits = index.search("where are retries configured", k=5)       # mode: fused|lexical|dense

sqlite-vec was chosen over LanceDB and Chroma because it is one loadable extension of the
standard library's sqlite3 (a 150 kB wheel, no server, no new process): chunks, file hashes
and vectors live in one file and change in one transaction. Its `vec0` table searches by
exact cosine distance, which is fast enough for a repository's tens of thousands of chunks.
Re-indexing compares each file's size and mtime first and its SHA-256 only when they moved,
so an unchanged tree is only listed; a changed file's chunks and vectors are replaced.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from askbuddyx.errors import AskBuddyXError
from askbuddyx.retrieval.chunking import Chunk, chunk_file
from askbuddyx.retrieval.embedding import DEFAULT_MODEL, Embedder
from askbuddyx.retrieval.fusion import RRF_K, reciprocal_rank_fusion
from askbuddyx.retrieval.lexical import LexicalIndex
from askbuddyx.retrieval.walk import SourceFile, list_source_files

SCHEMA_VERSION = "1"
MODES = ("fused", "lexical", "dense")
EMBED_BATCH = 256
CANDIDATES = 50  # each ranking's depth before fusion


@dataclass
class UpdateReport:
    """What one `update` did: counts of files by fate, chunks written, seconds."""

    root: str
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list = field(default_factory=list)  # (path, why): not text
    chunks_written: int = 0
    chunks_total: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.added} added, {self.changed} changed, {self.removed} removed, "
                f"{self.unchanged} unchanged files; {self.chunks_written} chunks embedded, "
                f"{self.chunks_total} in the index ({self.seconds:.1f} s)")


@dataclass(frozen=True)
class Hit:
    """A search result: the chunk, its id in the index, its score and its rank per ranking."""

    chunk_id: int
    chunk: Chunk
    score: float
    ranks: dict


def sqlite_module():
    """The standard library's sqlite3 when it may load extensions, else pysqlite3-binary's.

    Some Pythons (this project's Linux venv among them) build sqlite3 without
    `enable_load_extension`; pysqlite3-binary is the same DB-API module over a newer SQLite
    that allows it (a dependency on Linux only: macOS Pythons' sqlite3 loads extensions).
    """
    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sqlite3
    try:
        import pysqlite3.dbapi2 as pysqlite3
    except ImportError:
        raise AskBuddyXError("This Python's sqlite3 cannot load extensions (sqlite-vec), and "
                             "pysqlite3-binary is not installed.",
                             hint="pip install pysqlite3-binary (Linux), or use a Python "
                             "whose sqlite3 loads extensions.") from None
    return pysqlite3


def connect(path: Path) -> sqlite3.Connection:
    import sqlite_vec

    db = sqlite_module().connect(path, check_same_thread=False)
    try:
        db.enable_load_extension(True)
        sqlite_vec.load(db)
        db.enable_load_extension(False)
    except Exception as exc:  # noqa: BLE001 - either module's OperationalError; re-raised
        db.close()
        raise AskBuddyXError(f"Cannot load the sqlite-vec extension into SQLite: {exc}.",
                             hint="Use a Python whose sqlite3 allows loadable extensions "
                             "(python.org, uv and distribution builds do).") from None
    return db


class CodeIndex:
    """A code index in one SQLite file (see the module docstring)."""

    def __init__(self, db: sqlite3.Connection, path: Path, embedder: Embedder):
        self.db, self.path, self.embedder = db, path, embedder
        self._lexical: tuple[int, LexicalIndex, list[int]] | None = None

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, model: str | None = None, create: bool = False) -> CodeIndex:
        """Open an index; `create` makes a new one (with `model`, default DEFAULT_MODEL)."""
        path = Path(path)
        if not path.is_file() and not create:
            raise AskBuddyXError(f"No index at {path}.",
                                 hint="Build it first: `askbuddyx index PATH --name NAME`.")
        path.parent.mkdir(parents=True, exist_ok=True)
        db = connect(path)
        stored = dict(db.execute("SELECT key, value FROM meta").fetchall()) if _has_meta(db) \
            else {}
        if stored and model and stored["model"] != model:
            raise AskBuddyXError(f"{path} was built with {stored['model']}, not {model}.",
                                 hint="Index under another --name, or delete the file to "
                                 "rebuild it with the new model.")
        if not stored and not create:
            db.close()
            raise AskBuddyXError(f"{path} is not an AskBuddyX index (no meta table).",
                                 hint="Point at a file `askbuddyx index` wrote, or re-index.")
        embedder = Embedder(stored.get("model") or model or DEFAULT_MODEL)
        index = cls(db, path, embedder)
        if not stored:
            index._create_schema()
        elif stored.get("schema") != SCHEMA_VERSION:
            raise AskBuddyXError(f"{path} has schema {stored.get('schema')}, this AskBuddyX "
                                 f"reads {SCHEMA_VERSION}.", hint="Delete it and re-index.")
        return index

    def _create_schema(self) -> None:
        with self.db:
            self.db.executescript(f"""
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT, size INTEGER,
                                    mtime_ns INTEGER);
                CREATE TABLE chunks (id INTEGER PRIMARY KEY, path TEXT, start_line INTEGER,
                                     end_line INTEGER, kind TEXT, name TEXT, text TEXT,
                                     context TEXT, hash TEXT);
                CREATE INDEX chunks_path ON chunks(path);
                CREATE VIRTUAL TABLE vectors USING vec0(
                    embedding float[{self.embedder.dim}] distance_metric=cosine);
            """)
            self.db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("schema", SCHEMA_VERSION), ("model", self.embedder.name), ("root", ""),
                ("generation", "0")])

    def meta(self, key: str) -> str:
        return self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    # -- indexing --------------------------------------------------------------------------
    def update(self, root: str | Path) -> UpdateReport:
        """Bring the index up to date with `root`: read only new or changed files."""
        t0 = time.perf_counter()
        root = Path(root).resolve()
        if not root.is_dir():
            raise AskBuddyXError(f"{root} is not a folder.", hint="Pass the repository's folder.")
        report = UpdateReport(str(root))
        known = {p: (sha, size, mtime) for p, sha, size, mtime in
                 self.db.execute("SELECT path, sha256, size, mtime_ns FROM files")}
        current = list_source_files(root)
        fresh, stats = [], []  # (file, sha, text), (path, sha, size, mtime)
        for src in current:
            st = src.path.stat()
            old = known.get(src.rel)
            if old and old[1:] == (st.st_size, st.st_mtime_ns):
                report.unchanged += 1
                continue
            data = src.path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            stats.append((src.rel, sha, st.st_size, st.st_mtime_ns))
            if old and old[0] == sha:  # touched, same bytes: only the stat moves
                report.unchanged += 1
                continue
            if b"\0" in data:
                report.skipped.append((src.rel, "binary (NUL bytes)"))
                continue
            fresh.append((src, data.decode("utf-8", errors="replace")))
            if old:
                report.changed += 1
            else:
                report.added += 1
        gone = set(known) - {s.rel for s in current}
        report.removed = len(gone)
        with self.db:
            for path in gone | {src.rel for src, _ in fresh}:
                self._delete_file(path)
            report.chunks_written = self._insert(fresh)
            self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", stats)
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'root'", (str(root),))
            if fresh or gone:
                self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                                "WHERE key = 'generation'")
        report.chunks_total = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        report.seconds = time.perf_counter() - t0
        return report

    def _delete_file(self, path: str) -> None:
        ids = [(i,) for (i,) in self.db.execute("SELECT id FROM chunks WHERE path = ?", (path,))]
        self.db.executemany("DELETE FROM vectors WHERE rowid = ?", ids)
        self.db.execute("DELETE FROM chunks WHERE path = ?", (path,))
        self.db.execute("DELETE FROM files WHERE path = ?", (path,))

    def _insert(self, fresh: list[tuple[SourceFile, str]]) -> int:
        chunks = [c for src, text in fresh for c in chunk_file(src.rel, text)]
        # Ids given here (inside the caller's transaction), so both tables take a batch each.
        next_id = self.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM chunks").fetchone()[0]
        for start in range(0, len(chunks), EMBED_BATCH):
            batch = chunks[start:start + EMBED_BATCH]
            vectors = self.embedder.embed([c.search_text() for c in batch])
            ids = range(next_id + start, next_id + start + len(batch))
            self.db.executemany(
                "INSERT INTO chunks (id, path, start_line, end_line, kind, name, text, context, "
                "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(i, c.path, c.start_line, c.end_line, c.kind, c.name, c.text, c.context,
                  c.content_hash) for i, c in zip(ids, batch)])
            self.db.executemany("INSERT INTO vectors (rowid, embedding) VALUES (?, ?)",
                                [(i, v.tobytes()) for i, v in zip(ids, vectors)])
        return len(chunks)

    # -- searching -------------------------------------------------------------------------
    def chunk(self, chunk_id: int) -> Chunk:
        row = self.db.execute("SELECT path, start_line, end_line, kind, name, text, context "
                              "FROM chunks WHERE id = ?", (chunk_id,)).fetchone()
        return Chunk(*row)

    def dense_ranking(self, query: str, depth: int = CANDIDATES) -> list[int]:
        vector = self.embedder.embed([query])[0]
        rows = self.db.execute("SELECT rowid FROM vectors WHERE embedding MATCH ? AND k = ? "
                               "ORDER BY distance", (vector.tobytes(), depth))
        return [r for (r,) in rows]

    def lexical_ranking(self, query: str, depth: int = CANDIDATES) -> list[int]:
        lexical, ids = self._lexical_index()
        scores = lexical.scores(query)
        if not len(scores):
            return []
        top = np.argsort(-scores, kind="stable")[:depth]
        return [ids[i] for i in top if scores[i] > 0]

    def _lexical_index(self) -> tuple[LexicalIndex, list[int]]:
        """The BM25 index of the chunks, rebuilt when an update changed them."""
        generation = int(self.meta("generation"))
        if self._lexical is None or self._lexical[0] != generation:
            rows = self.db.execute("SELECT id, path, start_line, end_line, kind, name, text, "
                                   "context FROM chunks ORDER BY id").fetchall()
            texts = [Chunk(*row[1:]).search_text() for row in rows]
            self._lexical = (generation, LexicalIndex(texts), [row[0] for row in rows])
        return self._lexical[1], self._lexical[2]

    def search(self, query: str, k: int = 5, mode: str = "fused",
               rrf_k: int = RRF_K) -> list[Hit]:
        """The `k` best chunks for `query` by BM25, by cosine distance, or both fused (RRF)."""
        if mode not in MODES:
            raise AskBuddyXError(f"Unknown search mode {mode!r}.", hint=f"One of {MODES}.")
        rankings = {}
        if mode in ("fused", "lexical"):
            rankings["lexical"] = self.lexical_ranking(query)
        if mode in ("fused", "dense"):
            rankings["dense"] = self.dense_ranking(query)
        fused = reciprocal_rank_fusion(list(rankings.values()), rrf_k)[:k]
        positions = {name: {ident: r for r, ident in enumerate(ranking, start=1)}
                     for name, ranking in rankings.items()}
        return [Hit(ident, self.chunk(ident), score,
                    {name: pos.get(ident) for name, pos in positions.items()})
                for ident, score in fused]

    def close(self) -> None:
        self.db.close()


def _has_meta(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is not None


def index_path(indexes_dir: str | Path, name: str) -> Path:
    """Where the index `name` lives; names are plain words (they appear in model names)."""
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise AskBuddyXError(f"Bad index name {name!r}.",
                             hint="Use letters, digits, '-', '_' and '.' (e.g. --name myrepo).")
    return Path(indexes_dir) / f"{name}.sqlite"
