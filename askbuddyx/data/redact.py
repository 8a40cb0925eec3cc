"""Secret redaction applied to every text field before it can reach training.

The patterns are the five of the architecture document (seed 000, section 8.4), each named, so
the prepare stage can count redactions per pattern in `metrics/data.json`.
"""

from __future__ import annotations

import re
from collections import Counter

REDACTED = "[REDACTED]"

SECRET_PATTERNS = {
    "private_key_block": re.compile(
        r"-----BEGIN[^\n-]*PRIVATE KEY-----.*?-----END[^\n-]*PRIVATE KEY-----", re.DOTALL
    ),
    "aws_access_key_id": re.compile(r"AKIA[0-9A-Z]{16}"),
    "openai_api_key": re.compile(r"sk-[a-zA-Z0-9]{32,}"),
    "github_pat": re.compile(r"ghp_[a-zA-Z0-9]{36}"),
    "google_api_key": re.compile(r"AIza[0-9A-Za-z\-_]{35}"),
}


def redact_secrets(text: str) -> tuple[str, Counter]:
    """Replace every secret in `text` with "[REDACTED]".

    Args:
        text: Any string (instruction, input or output of a record).

    Returns:
        (redacted text, Counter of pattern name -> number of matches replaced)
    """
    counts: Counter = Counter()
    for name, pattern in SECRET_PATTERNS.items():
        text, n = pattern.subn(REDACTED, text)
        if n:
            counts[name] += n
    return text, counts


def redact_record(record: dict, fields=("instruction", "input", "output")) -> tuple[dict, Counter]:
    """Redact the given text fields of a record; returns a new record and the counts."""
    out = dict(record)
    total: Counter = Counter()
    for key in fields:
        if isinstance(out.get(key), str):
            out[key], counts = redact_secrets(out[key])
            total.update(counts)
    return out, total
