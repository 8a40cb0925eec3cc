"""Fetch the raw training sources into `data/raw/` (seed 000, section 7.1).

Two kinds of source, listed under `data.sources` in params.yaml:

- `kind: local`: a JSONL file we ship or the user provides. Copied byte for byte, line by line
  (up to `limit` non-blank lines; blank lines kept so line numbers match the original); bad
  lines are kept as they are, the prepare stage counts them and lists them by file and line,
  so nothing the user gave is lost silently.
- `kind: hub`: a Hugging Face dataset (e.g. `flwrlabs/code-alpaca-20k` or an Evol-Instruct
  set; optional `config`) through `datasets.load_dataset`, rows written as they come. Offline
  this fails fast with a message naming the embedded profile.

A local source must live under one of the folders the DVC stage depends on (`--sources-dir`:
`assets/datasets`, and `data/sources` for your own files and exported chats, which git
ignores): a file anywhere else would not be hashed by DVC, so editing it (new chats appended)
would never rerun the pipeline. `fetch_sources(..., tracked_dirs=...)` refuses such a source and
says how to fix it.

Any source may say `curated: true` (runnable-first examples: mixed in at
`data.curated_ratio`, part held out) or, if not curated, `weight: W` (its share of train is
scaled by W). Records may be Alpaca, ChatML or ShareGPT; the prepare stage detects which.
"""

from __future__ import annotations

import json
from pathlib import Path

from askbuddyx.data.io import require_file
from askbuddyx.errors import AskBuddyXError

SOURCE_KEYS = {"name", "kind", "path", "dataset_id", "split", "config", "limit", "curated",
               "weight"}


def validate_source(source: dict) -> None:
    """Raise a clear error for a malformed entry of `data.sources`."""
    name = source.get("name")
    if not name or not isinstance(name, str):
        raise AskBuddyXError(
            f"data.sources entry {source!r} has no `name`.",
            hint="Give each source a short unique name (it names data/raw/<name>.jsonl).",
        )
    kind = source.get("kind")
    if kind not in ("local", "hub"):
        raise AskBuddyXError(
            f"data source {name!r}: unknown kind {kind!r}.",
            hint="Use `kind: local` or `kind: hub`.",
        )
    key = "path" if kind == "local" else "dataset_id"
    if not source.get(key):
        raise AskBuddyXError(f"data source {name!r} (kind {kind}) needs `{key}`.")
    unknown = sorted(set(source) - SOURCE_KEYS)
    if unknown:
        raise AskBuddyXError(f"data source {name!r}: unknown key(s) {unknown}.",
                             hint=f"Known keys: {', '.join(sorted(SOURCE_KEYS))}.")
    weight = source.get("weight")
    if weight is not None:
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
            raise AskBuddyXError(f"data source {name!r}: `weight` must be a positive number.")
        if source.get("curated"):
            raise AskBuddyXError(
                f"data source {name!r}: a curated source has no `weight`.",
                hint="The curated share of train is set by data.curated_ratio.")
    limit = source.get("limit")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise AskBuddyXError(f"data source {name!r}: `limit` must be a positive integer or null.")


def fetch_local(path: str | Path, out_path: Path, limit: int | None) -> int:
    """Copy the first `limit` non-blank lines of a local JSONL file. Returns lines copied.

    Bytes are copied as they are (a line that is not UTF-8 is the prepare stage's to report),
    blank lines included, so a line number in the copy is the line number in the original.
    """
    path = require_file(
        path,
        "Dataset file",
        "Check `data.sources[].path` in params.yaml; the bundled sets live in assets/datasets/.",
    )
    written = 0
    with open(path, "rb") as src, open(out_path, "wb") as dst:
        for line in src:
            if line.strip():
                if limit is not None and written >= limit:
                    break
                written += 1
            dst.write(line.rstrip(b"\r\n") + b"\n")
    return written


def hub_unreachable_error(dataset_id: str, exc: BaseException) -> AskBuddyXError:
    return AskBuddyXError(
        f"Could not load dataset {dataset_id!r} from the Hugging Face hub "
        f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}).",
        hint=(
            "The hub is unreachable (offline?). Use an offline profile: "
            "`dvc exp run -S profile=smol` (or `askbuddyx params --profile smol` then "
            "`dvc repro`), or point the source at a local JSONL file with `kind: local`."
        ),
    )


def fetch_hub(dataset_id: str, split: str, out_path: Path, limit: int | None,
              config: str | None = None) -> int:
    """Download a hub dataset split (first `limit` rows) and write its rows as JSONL."""
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - datasets is a core dependency
        raise AskBuddyXError("The `datasets` package is missing.", hint="Run `make deps`.") from exc
    split_spec = f"{split}[:{limit}]" if limit else split
    from askbuddyx.hub import offline_mode, probe_hub

    if not offline_mode() and (reason := probe_hub()) is not None:
        raise hub_unreachable_error(dataset_id, ConnectionError(reason))
    try:
        rows = datasets.load_dataset(dataset_id, config, split=split_spec)
    except Exception as exc:  # noqa: BLE001 - any hub failure becomes one clear message
        raise hub_unreachable_error(dataset_id, exc) from exc
    written = 0
    with open(out_path, "w", encoding="utf-8") as dst:
        for row in rows:
            dst.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            written += 1
    return written


def check_tracked(source: dict, tracked_dirs: list) -> None:
    """Refuse a local source outside every folder in `tracked_dirs` (the stage's DVC deps)."""
    path = Path(source["path"]).resolve()
    if any(path.is_relative_to(Path(d).resolve()) for d in tracked_dirs):
        return
    raise AskBuddyXError(
        f"data source {source['name']!r}: {source['path']} is outside the folders the fetch_data "
        f"stage depends on ({', '.join(map(str, tracked_dirs))}), so DVC would not notice when "
        "it changes and would never retrain on it.",
        hint="Copy it into data/sources/ (git ignores that folder; DVC hashes it) and point "
        "`path` there, or add its folder to fetch_data's `deps` and `--sources-dir` in dvc.yaml.")


def fetch_sources(sources: list, out_dir: str | Path, tracked_dirs: list | None = None) -> dict:
    """Fetch every source into `out_dir/<name>.jsonl`.

    Args:
        sources: The `data.sources` list from params.yaml.
        out_dir: Output directory (created; stale files from removed sources are deleted).
        tracked_dirs: When given (the DVC stage), every local source must be inside one of
            these folders (see `check_tracked`).

    Returns:
        dict: source name -> number of lines written.
    """
    if not sources:
        raise AskBuddyXError("`data.sources` is empty.", hint="List at least one source.")
    for source in sources:
        validate_source(source)
        if tracked_dirs is not None and source["kind"] == "local":
            check_tracked(source, tracked_dirs)
    names = [s["name"] for s in sources]
    if len(set(names)) != len(names):
        raise AskBuddyXError(f"data.sources names must be unique, got {names}.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.jsonl"):
        if stale.stem not in names:
            stale.unlink()
    counts = {}
    for source in sources:
        out_path = out_dir / f"{source['name']}.jsonl"
        if source["kind"] == "local":
            counts[source["name"]] = fetch_local(source["path"], out_path, source.get("limit"))
        else:
            counts[source["name"]] = fetch_hub(
                source["dataset_id"], source.get("split", "train"), out_path, source.get("limit"),
                source.get("config"),
            )
        print(f"Wrote {counts[source['name']]} examples to {out_path}")
    return counts
