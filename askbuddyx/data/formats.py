"""Read a JSONL file in any of the common instruction formats and normalize its records.

Formats, detected per file from the shape of its records:

- **alpaca**: `instruction` / `input` / `output` (also the aliases hub datasets use:
  `prompt`/`question`/`query`, `context`, `response`/`answer`/`completion`);
- **chatml**: `messages: [{"role": "system"|"user"|"assistant", "content": ...}, ...]`;
- **sharegpt**: `conversations: [{"from": "system"|"human"|"gpt", "value": ...}, ...]`.

Every record becomes `{"instruction", "input", "output"}` (plus an Alpaca record's `kind`, when
it has one: curated examples say "code" or "explain"). A chat becomes one record per assistant
answer: the user turn before it is the `instruction`, the exchanges before that are its
`history` (`[{"role": "user"|"assistant", "content"}, ...]`), so a 3-exchange chat gives 3
records and every assistant turn is trained on (mlx-lm's chat format computes the loss on the
last message only; the earlier turns are the prompt). The chat's system prompt is not kept (the
pipeline trains with ours); a user turn with no answer after it is counted, not trained on.
Consecutive turns of one role are joined (blank line between), as chat UIs that send one
message in parts would mean them. A line that cannot be used (not UTF-8, bad JSON, not an
object, missing or empty field, a chat without an answer) is skipped and kept as a `BadLine`
with its file and line number; a file whose records match no format at all is an error that
names it.

    python -m askbuddyx.data.formats FILE     prints the detected format and line counts
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from askbuddyx.data.io import BadLine
from askbuddyx.errors import AskBuddyXError

FORMATS = ("alpaca", "chatml", "sharegpt")
ALPACA_FIELDS = {
    "instruction": ("instruction", "prompt", "question", "query"),
    "input": ("input", "context"),
    "output": ("output", "response", "answer", "completion"),
}
ROLES = {
    "system": "system",
    "user": "user", "human": "user", "prompter": "user",
    "assistant": "assistant", "gpt": "assistant", "bot": "assistant", "model": "assistant",
    "chatgpt": "assistant",
}
# How much of a bad line the report may quote (after redaction).
SNIPPET_CHARS = 120


class Malformed(ValueError):
    """A record that has the file's format but cannot be used; the message says why."""


@dataclass
class FileRecords:
    """What one file gave: the normalized records (with their line numbers) and the rest."""

    path: str
    format: str | None = None
    # (line number, {"instruction", "input", "output"[, "history"]}): a chat's records share
    # its line number
    records: list = field(default_factory=list)
    bad_lines: list = field(default_factory=list)
    lines: int = 0
    unanswered_turns: int = 0  # chats' last user turns with no assistant answer after them


def record_format(record: dict) -> str | None:
    """The format a single JSON object looks like, or None."""
    if isinstance(record.get("messages"), list):
        return "chatml"
    if isinstance(record.get("conversations"), list):
        return "sharegpt"
    if any(k in record for k in ALPACA_FIELDS["instruction"] + ALPACA_FIELDS["output"]):
        return "alpaca"
    return None


def _text(value, what: str) -> str:
    if not isinstance(value, str):
        raise Malformed(f"{what} is {type(value).__name__}, not a string")
    return value


def normalize_alpaca(record: dict) -> dict:
    out = {}
    for name, aliases in ALPACA_FIELDS.items():
        key = next((k for k in aliases if k in record and record[k] is not None), None)
        out[name] = "" if key is None else _text(record[key], f"field {key!r}")
    missing = [name for name in ("instruction", "output") if not out[name].strip()]
    if missing:
        raise Malformed(f"missing or empty field(s): {', '.join(missing)}")
    if isinstance(record.get("kind"), str):
        out["kind"] = record["kind"]  # code / explain, for curated records (see prepare)
    return out


def _chat_turns(turns: list, role_key: str, text_key: str) -> list:
    """[(role, text)] without system turns, consecutive turns of one role joined."""
    merged: list = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict):
            raise Malformed(f"turn {i} is not an object")
        role = ROLES.get(str(turn.get(role_key, "")).lower())
        if role is None:
            raise Malformed(f"turn {i} has unknown {role_key} {turn.get(role_key)!r}")
        text = _text(turn.get(text_key), f"turn {i} {text_key!r}")
        if role == "system" or not text.strip():
            continue
        if merged and merged[-1][0] == role:
            merged[-1] = (role, merged[-1][1] + "\n\n" + text)
        else:
            merged.append((role, text))
    while merged and merged[0][0] == "assistant":
        merged.pop(0)  # a greeting before the first question answers nothing
    return merged


def normalize_turns(turns: list, role_key: str, text_key: str) -> tuple[list, int]:
    """One record per assistant answer (see the module docstring).

    Returns (records, 1 if the chat ends with an unanswered user turn else 0).
    """
    merged = _chat_turns(turns, role_key, text_key)
    if not merged:
        raise Malformed("no user turn with text")
    records, history = [], []
    for (role, text), (next_role, answer) in zip(merged, merged[1:]):
        if role == "user" and next_role == "assistant":
            records.append({"instruction": text, "input": "", "output": answer,
                            "history": list(history)})
        history.append({"role": role, "content": text})
    if not records:
        raise Malformed("no assistant answer after a user turn")
    for record in records:
        if not record["history"]:
            del record["history"]  # a one-exchange chat is an ordinary record
    return records, int(merged[-1][0] == "user")


def normalize(record: dict, fmt: str) -> tuple[list, int]:
    """Normalize one record of format `fmt`. Returns (records, unanswered chat turns)."""
    if fmt == "alpaca":
        return [normalize_alpaca(record)], 0
    if fmt == "chatml":
        return normalize_turns(record["messages"], "role", "content")
    turns = record["conversations"]
    first = next((t for t in turns if isinstance(t, dict)), {})
    if "role" in first and "from" not in first:  # ShareGPT files written with role/content
        return normalize_turns(turns, "role", "content")
    return normalize_turns(turns, "from", "value")


def _bad(path: str, number: int, reason: str, raw: str) -> BadLine:
    from askbuddyx.data.redact import redact_secrets  # the report may show it: redact first

    snippet = redact_secrets(raw.strip()[:SNIPPET_CHARS])[0]
    return BadLine(path, number, reason, snippet)


def read_records(path: str | Path, display_path: str | None = None) -> FileRecords:
    """Read a JSONL file leniently, detect its format and normalize its records.

    Args:
        path: The file to read (bytes: a line that is not UTF-8 is one bad line, not a crash).
        display_path: The name to report bad lines under (e.g. the user's original file
            rather than its copy in data/raw/); defaults to `path`.

    Returns:
        FileRecords with the records in file order.

    Raises:
        AskBuddyXError: when no record of the file has a known format.
    """
    shown = display_path or str(path)
    result = FileRecords(shown)
    objects = []  # (line number, dict, raw text)
    with open(path, "rb") as f:
        for number, raw_bytes in enumerate(f, start=1):
            if number == 1 and raw_bytes.startswith(b"\xef\xbb\xbf"):
                raw_bytes = raw_bytes[3:]  # a UTF-8 byte-order mark from some editors
            if not raw_bytes.strip():
                continue
            result.lines += 1
            try:
                line = raw_bytes.decode("utf-8")
            except UnicodeDecodeError as exc:
                result.bad_lines.append(_bad(shown, number, f"not valid UTF-8 ({exc.reason})",
                                             raw_bytes.decode("utf-8", "replace")))
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                result.bad_lines.append(_bad(shown, number, f"invalid JSON ({exc.msg})", line))
                continue
            if not isinstance(obj, dict):
                result.bad_lines.append(_bad(shown, number, "not a JSON object", line))
                continue
            objects.append((number, obj, line))
    shapes = Counter(record_format(obj) for _, obj, _ in objects)
    shapes.pop(None, None)
    if not shapes:
        if not objects:
            result.format = None  # nothing usable at all: every line is already a bad line
            return result
        keys = sorted(objects[0][1])[:8]
        raise AskBuddyXError(
            f"{shown}: unknown record format (first record's keys: {keys}).",
            hint="Use Alpaca (instruction/input/output), ChatML (messages with role/content) "
            "or ShareGPT (conversations with from/value) JSONL.",
        )
    # Most common shape wins; ties go to the order of FORMATS so the choice is stable.
    result.format = max(FORMATS, key=lambda name: (shapes.get(name, 0), -FORMATS.index(name)))
    for number, obj, line in objects:
        shape = record_format(obj)
        if shape != result.format:
            result.bad_lines.append(_bad(
                shown, number, f"not a {result.format} record (keys: {sorted(obj)[:6]})", line))
            continue
        try:
            records, unanswered = normalize(obj, result.format)
        except Malformed as exc:
            result.bad_lines.append(_bad(shown, number, str(exc), line))
            continue
        result.unanswered_turns += unanswered
        result.records += [(number, record) for record in records]
    result.bad_lines.sort(key=lambda b: b.line)
    return result


def main(argv=None) -> int:
    for path in argv if argv is not None else sys.argv[1:]:
        r = read_records(path)
        print(f"{path}: {r.format}, {r.lines} lines, {len(r.records)} records, "
              f"{len(r.bad_lines)} bad")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
