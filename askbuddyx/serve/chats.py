"""Chats become training data (seed 002's active-learning loop).

With `serve.capture_chats: true` (or `askbuddyx serve --capture-chats`) the server appends each
finished exchange to `<serve.chats_dir>/chats-YYYY-MM-DD.jsonl`, every text redacted with the
data stages' own `askbuddyx.data.redact.redact_secrets` (our rules, then detect-secrets'
plugins). The chat page resends the whole conversation each turn, so one conversation is saved
once per turn, each a prefix of the next.

`askbuddyx export-chats` turns those logs into a ChatML source (`{"messages": [...]}` per line)
that the data stages read like any local source:

    askbuddyx export-chats --chats-dir outputs/chats --out data/sources/chats.jsonl

It keeps only the longest version of each conversation, and drops broken or short ones:
answers cut off by max_tokens, empty or very short answers, conversations with no user turn.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from askbuddyx.data.kept_detector import detector_session
from askbuddyx.data.redact import redact_secrets
from askbuddyx.prompting import SYSTEM_PROMPT


class ChatRecorder:
    """Appends redacted chat records to a daily JSONL file (thread-safe)."""

    def __init__(self, chats_dir: str | Path):
        self.dir = Path(chats_dir)
        self._lock = threading.Lock()

    def record(self, model: str, messages: list, answer: str, finish_reason: str) -> Path:
        convo = [*messages, {"role": "assistant", "content": answer}]
        with detector_session():  # one settings switch for the whole conversation
            redacted = [{"role": m["role"], "content": redact_secrets(m["content"])[0]}
                        for m in convo]
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                           "model": model, "finish_reason": finish_reason,
                           "messages": redacted}, ensure_ascii=False)
        path = self.dir / time.strftime("chats-%Y-%m-%d.jsonl", time.gmtime())
        with self._lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            append_line(path, line)
        return path


def append_line(path: Path, line: str) -> None:
    """Append one JSONL line so that a reader never sees half of it as a record.

    One `os.write` of the whole line on an O_APPEND descriptor: the kernel writes it in one
    piece at the end of the file, so lines of several writers never interleave, and the line is
    in the file (the page cache) when this returns: nothing is left to flush at shutdown. If a
    crash (kill -9, power loss) ever left a torn last line, the next append starts on a fresh
    line, and `read_chat_logs` counts the torn one as unreadable instead of failing.
    """
    data = (line + "\n").encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        written = os.write(fd, data)
        if written != len(data):  # a full disk; never silently keep half a line
            raise OSError(f"wrote {written} of {len(data)} bytes of a chat record to {path}")
    finally:
        os.close(fd)


def read_chat_logs(chats_dir: str | Path) -> tuple[list, int]:
    """All records of `chats-*.jsonl` under `chats_dir`, and the number of unreadable lines."""
    records, broken = [], 0
    for path in sorted(Path(chats_dir).glob("chats-*.jsonl")):
        # split("\n"), not splitlines(): a chat may hold U+2028 and other line separators
        # (the records keep non-ASCII text as is), which splitlines() would cut records at.
        # errors="replace": a torn last line may end inside a character; it is unreadable.
        for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                broken += 1
                continue
            if isinstance(rec, dict) and isinstance(rec.get("messages"), list):
                records.append(rec)
            else:
                broken += 1
    return records, broken


def _turns(record: dict) -> list | None:
    """The conversation without the default system prompt, or None if malformed."""
    out = []
    for m in record["messages"]:
        if not (isinstance(m, dict) and m.get("role") in ("system", "user", "assistant")
                and isinstance(m.get("content"), str)):
            return None
        if m["role"] == "system" and m["content"] == SYSTEM_PROMPT:
            continue  # the data stages add it themselves
        out.append({"role": m["role"], "content": m["content"]})
    return out


def why_rejected(record: dict, turns: list | None, min_answer_chars: int) -> str | None:
    if turns is None:
        return "malformed"
    if record.get("finish_reason") != "stop":
        return "cut off"
    if not any(m["role"] == "user" and m["content"].strip() for m in turns):
        return "no user turn"
    if not turns or turns[-1]["role"] != "assistant":
        return "no answer"
    if len(turns[-1]["content"].strip()) < min_answer_chars:
        return "short answer"
    return None


def export_chats(chats_dir: str | Path, out: str | Path, min_answer_chars: int = 40) -> dict:
    """Write the good conversations as ChatML JSONL; returns counts (kept, dropped by reason).

    Args:
        chats_dir: Folder of `chats-*.jsonl` logs written by the server.
        out: Output JSONL path; each line {"messages": [{"role", "content"}, ...]}.
        min_answer_chars: Drop conversations whose last answer is shorter than this.
    """
    records, broken = read_chat_logs(chats_dir)
    dropped: dict = {"unreadable line": broken} if broken else {}
    candidates = []
    for rec in records:
        turns = _turns(rec)
        reason = why_rejected(rec, turns, min_answer_chars)
        if reason:
            dropped[reason] = dropped.get(reason, 0) + 1
        else:
            candidates.append(turns)
    # Keep a conversation only if no longer kept one continues it, and each one once.
    keys = [json.dumps(t, sort_keys=True) for t in candidates]
    kept, seen = [], set()
    for i, turns in enumerate(candidates):
        if keys[i] in seen:
            dropped["duplicate"] = dropped.get("duplicate", 0) + 1
            continue
        if any(len(o) > len(turns) and o[:len(turns)] == turns for o in candidates):
            dropped["continued later"] = dropped.get("continued later", 0) + 1
            continue
        seen.add(keys[i])
        kept.append(turns)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: a reader (or DVC hashing it) sees the old file or the new, never half.
    tmp = out.with_name(f".{out.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for turns in kept:
            f.write(json.dumps({"messages": turns}, ensure_ascii=False) + "\n")
    os.replace(tmp, out)
    return {"kept": len(kept), "dropped": dropped, "out": str(out)}
