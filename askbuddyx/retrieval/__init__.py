"""A local code index: chunks of a folder's files, searched by meaning and by words.

    askbuddyx index PATH [--name N]       build or update outputs/indexes/N.sqlite

`walk` lists the files (.gitignore respected), `chunking` splits them (Python by definitions
with the standard `ast`), `embedding` turns text into vectors offline (WordLlama's weights,
shipped inside its wheel), `store` keeps chunks, hashes and vectors in one SQLite file
(sqlite-vec), and `search` ranks chunks by BM25 (bm25s), by cosine distance, or by both fused
with reciprocal rank fusion. The server's grounding (askbuddyx/serve/grounding.py) reads it.
"""
