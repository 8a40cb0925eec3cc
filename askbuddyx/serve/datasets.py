"""Uploaded training data: check it with the data stages' own code, store it under a name.

`POST /v1/training/data` (askbuddyx/serve/training.py) hands the bytes here. A JSONL upload
(Alpaca, ChatML or ShareGPT, detected per file by `askbuddyx.data.formats`) is stored as it
came, `<uploads>/<name>/<name>.jsonl`, so the pipeline's fetch_data/prepare_data stages clean
it again exactly as they clean any source; a Markdown document goes through
`askbuddyx.data.doc2data` first (its pairs are the `.jsonl`, its rephrased questions
`<name>.heldout.jsonl`). Either way the stored file is a `data.sources` entry as it is:

    - {name: <name>, kind: local, path: data/sources/uploads/<name>/<name>.jsonl}

The report answered (and kept as `<name>.report.json`) is the prepare stage's figures for that
one source: lines, malformed lines (with file:line and reason), records, secrets redacted per
detector, exact and near duplicates, truncated or dropped over the token budget. It runs the
stage's functions (formats, redact, dedupe, lengths) up to, not including, the split: a split
needs the job's `data.val_fraction`, which the job chooses.

The uploads live in data/sources/ (your own sources: git ignores it, the fetch_data stage
depends on it, see askbuddyx/data/fetch.py), so a changed upload under the same name reruns the
data stages instead of reusing DVC's run cache. `dvc exp run --queue --copy-paths` copies the
dataset's folder (one folder per dataset: DVC copies a folder with its parents, a lone file
only into an existing folder) into the job's clone, where it is the only upload.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

UPLOADS_DIR = "data/sources/uploads"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
MARKDOWN_SUFFIXES = (".md", ".markdown")


def check_name(name, what: str = "dataset") -> str:
    """`name` if it can name a file and a DVC experiment (letters, digits, `_`, `-`)."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise AskBuddyXError(
            f"Invalid {what} name {name!r}.",
            hint="Use 1-64 letters, digits, '_' or '-', starting with a letter or digit.")
    return name


def dataset_path(uploads: Path, name: str) -> Path:
    return Path(uploads) / check_name(name) / f"{name}.jsonl"


def source_entry(uploads: Path, name: str, root: Path) -> dict:
    """The `data.sources` entry of a stored dataset, its path relative to the project."""
    path = dataset_path(uploads, name)
    if not path.is_file():
        raise AskBuddyXError(f"No dataset named {name!r} (no {path}).",
                             hint="Upload it first: POST /v1/training/data?name=" + name)
    return {"name": name, "kind": "local", "path": relative(path, root)}


def validate_records(raw_dir: Path, source: dict, tokenizer, max_seq_length: int,
                     max_bad_fraction: float, near_dup_threshold: float) -> dict:
    """The prepare stage's cleaning figures for one `source` read from `raw_dir/<name>.jsonl`
    (messages name the source's `path`, as the stage's do)."""
    from askbuddyx.data.dedupe import drop_exact, drop_near
    from askbuddyx.data.lengths import fit_records
    from askbuddyx.data.prepare import load_sources, redact_all
    from askbuddyx.data.report import Findings

    findings = Findings()
    records = load_sources([source], raw_dir, max_bad_fraction, findings)
    records = redact_all(records, findings)
    records, exact = drop_exact(records)
    records, near = drop_near(records, near_dup_threshold)
    findings.add_duplicates(exact + near)
    lengths = {"truncated": 0, "dropped": 0}
    if records:
        records, found = fit_records(records, tokenizer, max_seq_length, "truncate")
        lengths = {"truncated": len(found["truncated"]), "dropped": len(found["dropped"])}
    stats = findings.source(source["name"])
    return {"format": stats["format"], "lines": stats["lines"], "malformed": stats["malformed"],
            "malformed_lines": [{"line": b.line, "reason": b.reason}
                                for b in findings.bad_lines[:20]],
            "records": len(records), "duplicates": {"exact": len(exact), "near": len(near)},
            "redactions": dict(sorted(findings.redactions.items())),
            "redactions_total": sum(findings.redactions.values()), "overlong": lengths}


def store_upload(uploads: Path, root: Path, name: str, body: bytes, markdown: bool,
                 tokenizer, max_seq_length: int, max_bad_fraction: float = 0.05,
                 near_dup_threshold: float = 0.9) -> dict:
    """Store an upload as `<uploads>/<name>/<name>.jsonl`; returns its report (also written).

    The files are checked in a staging folder first: a refused upload leaves an earlier one
    of the same name as it was."""
    import shutil

    from askbuddyx.data.doc2data import doc_to_pairs, write_result

    path = dataset_path(uploads, name)
    staging = Path(uploads) / f".incoming-{name}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    doc = None
    try:
        if markdown:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise AskBuddyXError(f"The document is not UTF-8 text ({exc.reason}).") from None
            doc = write_result(doc_to_pairs(text, name), staging, name)
            doc.pop("files")
        else:
            (staging / path.name).write_bytes(body)
        source = {"name": name, "kind": "local", "path": relative(path, root)}
        report = validate_records(staging, source, tokenizer, max_seq_length,
                                  max_bad_fraction, near_dup_threshold)
        if not report["records"]:
            raise AskBuddyXError(f"No usable record in the upload {name!r} "
                                 f"({report['malformed']} malformed lines).",
                                 hint="Send Alpaca, ChatML or ShareGPT JSONL, one record a line.")
        report = {"name": name, "kind": "markdown" if markdown else "jsonl", **report,
                  "source": source, "doc2data": doc}
        (staging / f"{name}.report.json").write_text(json.dumps(report, indent=2) + "\n")
        shutil.rmtree(path.parent, ignore_errors=True)
        staging.replace(path.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def relative(path: Path, root: Path) -> str:
    """`path` relative to the project, as a `data.sources` entry names it."""
    return str(Path(path).resolve().relative_to(Path(root).resolve()))


def list_datasets(uploads: Path) -> list:
    """The stored datasets' reports, by name."""
    out = []
    for path in sorted(Path(uploads).glob("*/*.jsonl")):
        if path.stem != path.parent.name or path.parent.name.startswith("."):
            continue
        report = path.with_suffix(".report.json")
        out.append(json.loads(report.read_text()) if report.is_file()
                   else {"name": path.stem, "path": str(path)})
    return out
