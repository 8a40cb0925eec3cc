"""JSONL reading and writing shared by every stage.

Writing is byte-stable (fixed key order, `ensure_ascii=False`, "\\n" line ends) because DVC
hashes the files: the same records must always give the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from askbuddyx.errors import AskBuddyXError


@dataclass
class BadLine:
    """A JSONL line that was skipped, and why."""

    path: str
    line: int
    reason: str
    snippet: str = ""  # the start of the line, secrets redacted (for the data report)


@dataclass
class ReadResult:
    records: list = field(default_factory=list)
    bad_lines: list = field(default_factory=list)
    total_lines: int = 0


def require_file(path: str | Path, what: str, hint: str) -> Path:
    """Return `path` as a Path, or raise a clear error saying what is missing and how to fix it."""
    path = Path(path)
    if not path.is_file():
        raise AskBuddyXError(f"{what} not found: {path}", hint=hint)
    return path


def read_jsonl_lenient(path: str | Path, required: tuple = ()) -> ReadResult:
    """Read a JSONL file, skipping (and recording) lines that are not usable records.

    A line is skipped when it is not valid JSON, is not an object, or lacks a required field
    (or has it empty / not a string). Blank lines are ignored.

    Args:
        path: The file.
        required: Field names each record must have as non-empty strings.

    Returns:
        ReadResult: the good records, the bad lines (file, line number, reason), and the
        number of non-blank lines read.
    """
    result = ReadResult()
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            result.total_lines += 1
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                result.bad_lines.append(BadLine(str(path), number, f"invalid JSON ({exc.msg})"))
                continue
            if not isinstance(record, dict):
                result.bad_lines.append(BadLine(str(path), number, "not a JSON object"))
                continue
            missing = [
                k for k in required if not isinstance(record.get(k), str) or not record[k].strip()
            ]
            if missing:
                result.bad_lines.append(
                    BadLine(str(path), number, f"missing or empty field(s): {', '.join(missing)}")
                )
                continue
            result.records.append(record)
    return result


def read_jsonl(path: str | Path) -> list:
    """Read a JSONL file that must be entirely valid (our own outputs and bundled assets)."""
    result = read_jsonl_lenient(path)
    if result.bad_lines:
        first = result.bad_lines[0]
        raise AskBuddyXError(
            f"{first.path}:{first.line}: {first.reason}",
            hint="This file is written by the pipeline; rerun the stage that makes it.",
        )
    return result.records


def dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False)


def write_jsonl(path: str | Path, records) -> int:
    """Write records one JSON object per line, creating parent directories. Returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for record in records:
            f.write(dumps(record) + "\n")
            count += 1
    return count


def write_json(path: str | Path, data) -> None:
    """Write pretty, key-sorted JSON (metrics, metadata), creating parent directories."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
