"""Rules the user teaches the assistant ("always use type hints"), kept across restarts.

    POST   /v1/memory        {"rule": "Always use type hints"} -> 201 {"id", "rule", "redacted"}
    GET    /v1/memory        {"object": "list", "data": [{"id", "rule", "created"}]}
    DELETE /v1/memory/{id}   {"id", "deleted": true}; 404 for an unknown id

Rules are redacted like training data and captured chats (askbuddyx.data.redact: our rules,
then detect-secrets' plugins) before they are stored, in one SQLite file
(`serve.memory_path`, default outputs/memory.sqlite), and every later request's system prompt
lists them (askbuddyx/serve/grounding.py).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from askbuddyx.data.kept_detector import detector_session
from askbuddyx.data.redact import redact_secrets

MAX_RULE_CHARS = 2000
MAX_RULES = 200  # every rule goes into every prompt: a bound keeps prompts sane


@dataclass(frozen=True)
class Rule:
    id: int
    rule: str
    created: str

    def as_dict(self) -> dict:
        return {"id": self.id, "rule": self.rule, "created": self.created}


class MemoryFull(Exception):
    pass


class MemoryStore:
    """Rules in a SQLite file; safe to use from the server's threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        with self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS rules (id INTEGER PRIMARY KEY "
                             "AUTOINCREMENT, rule TEXT NOT NULL, created TEXT NOT NULL)")

    def add(self, text: str) -> tuple[Rule, dict]:
        """Store a rule, redacted; returns it and the count of secrets redacted by kind."""
        with detector_session():
            redacted, counts = redact_secrets(text.strip())
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self._lock, self._db:
            if self._db.execute("SELECT COUNT(*) FROM rules").fetchone()[0] >= MAX_RULES:
                raise MemoryFull(f"memory holds {MAX_RULES} rules already")
            cur = self._db.execute("INSERT INTO rules (rule, created) VALUES (?, ?)",
                                   (redacted, created))
        return Rule(cur.lastrowid, redacted, created), dict(counts)

    def list(self) -> list[Rule]:
        with self._lock:
            rows = self._db.execute("SELECT id, rule, created FROM rules ORDER BY id").fetchall()
        return [Rule(*row) for row in rows]

    def delete(self, rule_id: int) -> bool:
        with self._lock, self._db:
            return self._db.execute("DELETE FROM rules WHERE id = ?", (rule_id,)).rowcount == 1

    def close(self) -> None:
        self._db.close()


def rules_prompt(rules: list[Rule]) -> str:
    """The system-prompt paragraph that lists the rules ("" when there are none)."""
    if not rules:
        return ""
    lines = "\n".join(f"- {r.rule}" for r in rules)
    return f"\n\nRules the user taught you (always follow them):\n{lines}"
