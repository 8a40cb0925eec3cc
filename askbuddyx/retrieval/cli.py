"""`askbuddyx index` and `askbuddyx search-index`.

    askbuddyx index ~/code/myrepo --name myrepo     # outputs/indexes/myrepo.sqlite
    askbuddyx index ~/code/myrepo --name myrepo     # again: only changed files are re-read
    askbuddyx search-index myrepo "where do we retry failed uploads" [-k 5] [--mode fused]

The index folder is `retrieval.indexes_dir` of params.yaml (default outputs/indexes); the
server reads the same folder, so a chat request with `"askbuddyx": {"index": "myrepo"}` (or
the model `AskBuddyX+myrepo`) is grounded in it.
"""

from __future__ import annotations

from pathlib import Path

from askbuddyx.errors import AskBuddyXError


def indexes_dir(args) -> Path:
    if args.indexes_dir:
        return Path(args.indexes_dir)
    from askbuddyx.config import get_path, load_yaml

    params = load_yaml(args.params) if Path(args.params).is_file() else {}
    return Path(get_path(params, "retrieval.indexes_dir", "outputs/indexes"))


def cmd_index(args) -> int:
    from askbuddyx.retrieval.store import CodeIndex, index_path

    root = Path(args.path)
    if not root.is_dir():
        raise AskBuddyXError(f"{root} is not a folder.", hint="Pass the folder to index.")
    name = args.name or root.resolve().name
    path = index_path(indexes_dir(args), name)
    index = CodeIndex.open(path, model=args.model, create=True)
    try:
        report = index.update(root)
    finally:
        index.close()
    print(f"{path}: {report.summary()}")
    for rel, why in report.skipped:
        print(f"  skipped {rel}: {why}")
    print(f"Use it in chat: \"askbuddyx\": {{\"index\": \"{name}\"}} or model "
          f"\"AskBuddyX+{name}\"")
    return 0


def cmd_search(args) -> int:
    from askbuddyx.retrieval.store import CodeIndex, index_path

    index = CodeIndex.open(index_path(indexes_dir(args), args.name))
    try:
        hits = index.search(args.question, args.k, args.mode)
    finally:
        index.close()
    for rank, hit in enumerate(hits, start=1):
        ranks = ", ".join(f"{m} #{r}" for m, r in hit.ranks.items() if r)
        print(f"{rank}. {hit.chunk.label}  score {hit.score:.4f}  ({ranks})")
    return 0


def _common(p) -> None:
    p.add_argument("--params", default="params.yaml")
    p.add_argument("--indexes-dir", help="default: retrieval.indexes_dir (outputs/indexes)")


def register(sub) -> None:
    """Add `index` and `search-index` to the `askbuddyx` parser."""
    p = sub.add_parser("index", help="index a folder's code (chunks, vectors, BM25) for chat")
    p.add_argument("path", help="the folder (its .gitignore files are respected)")
    p.add_argument("--name", help="the index's name (default: the folder's name)")
    p.add_argument("--model", help="embedding model of a new index "
                   "(default: wordllama:l2_supercat-256, shipped in its wheel)")
    _common(p)
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search-index", help="the chunks of an index that answer a question")
    p.add_argument("name")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--mode", choices=("fused", "lexical", "dense"), default="fused")
    _common(p)
    p.set_defaults(func=cmd_search)
