"""Secret redaction applied to every text field before it can reach training.

Two detectors, in this order:
1. our rules (`SECRET_PATTERNS`): the five patterns of the architecture document (seed 000,
   section 8.4) plus the token formats of GitHub, Slack, Stripe, Hugging Face, OpenAI,
   Anthropic, npm, AWS secret keys in assignments, JWTs, PEM private-key blocks of every key
   type, credentials inside URLs, and `password=` / `token=` style assignments of a literal;
2. the kept detector (askbuddyx.data.kept_detector): Yelp's detect-secrets provider plugins,
   for the formats no list of ours will ever be complete about (GitLab, Azure storage keys,
   Slack webhooks, SendGrid, PyPI, Square, Mailchimp, .npmrc tokens, ...).
Each rule and each plugin is named, so the prepare stage counts redactions per detector
(metrics/data.json, `DETECTORS`): a secret caught by both counts once, for our rule.

Design rules, because a false positive damages ordinary training code:
- token formats are matched by their fixed vendor prefix and length, not by "looks random"
  (detect-secrets' entropy plugins are off for that reason: see kept_detector);
- assignments are redacted only when the value is a quoted literal (never `password=pw` or
  `token = tokens[0]`) and not an obvious placeholder ("secret", "<password>"), and for
  token/secret/key names only when the literal looks like a credential (8+ characters with a
  letter and a digit, no spaces), so a lexer's `token = "("` or a game's
  `secret_word = "python"` stay; only the value is replaced, so the code keeps its shape
  (`password = "[REDACTED]"`, `postgres://user:[REDACTED]@host`);
- each pattern and plugin has a cheap substring pre-check, so clean text costs a few `in` tests.

Try it: `python -m askbuddyx.data.redact < file.txt` prints the redacted text and the counts.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass

from askbuddyx.data import kept_detector

REDACTED = "[REDACTED]"

# Obvious placeholders are not secrets (`"password": "secret"` in an example dict, "<token>",
# "${PASSWORD}", "****"); leaving them keeps ordinary example code intact. A `<...>` value is
# also a model's special token (`image_token = "<|unused_200054|>"`).
_NOT_PLACEHOLDER = (
    r"(?!(?i:secret|password|passwd|pass|changeme|change_me|example|dummy|test|placeholder"
    r"|none|null|your[_-]?\w*|x+|\*+|\.+)(?P=q))(?!\$\{|%\(|\{\{|<)"
)
# A quoted literal that looks like a credential: not a placeholder, no spaces or quotes, 8+
# chars, a letter and a digit somewhere (real tokens are random; words, operators and slugs
# have no digit).
_CREDENTIAL_LITERAL = (
    r"(?P<q>[\"'`])(?!\[REDACTED\])" + _NOT_PLACEHOLDER
    + r"(?=[^\"'`\s]*[0-9])(?=[^\"'`\s]*[A-Za-z])(?P<value>[^\"'`\s]{8,})(?P=q)"
)
# A name is matched from its first character only (and at most 64 long), so a long run of
# word characters costs linear time, not quadratic.
_NAME_START = r"(?<![A-Za-z0-9_.-])"
# `name = "..."`, `name: "..."`, `"name": "..."`, `name := "..."` (never `==`).
_ASSIGN = r"[\"']?\s*(?::=|(?<![=!<>])=(?!=)|:)\s*"


@dataclass(frozen=True)
class SecretPattern:
    """A named secret format.

    Attributes:
        regex: What to find. A group named `value` means only that part is replaced.
        needles: Substrings one of which must occur (case-insensitive when `lower`) for the
            regex to be tried at all: a fast pre-check for the common, clean case.
        lower: Check the needles against the lower-cased text.
    """

    regex: re.Pattern
    needles: tuple
    lower: bool = False


SECRET_PATTERNS = {
    # PEM private keys of every type (RSA, DSA, EC, OPENSSH, ENCRYPTED, PKCS#8, PGP ... BLOCK).
    # An unterminated block (a pasted, cut key) is redacted up to the first blank line.
    "private_key_block": SecretPattern(
        re.compile(
            r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:.*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|.*?(?=\n[ \t]*\n)|.*\Z)",
            re.DOTALL,
        ),
        ("PRIVATE KEY",),
    ),
    "aws_access_key_id": SecretPattern(
        re.compile(r"(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![0-9A-Z])"), ("AKIA", "ASIA", "ABIA",
                                                                           "ACCA")),
    # 40 base64 characters assigned to an AWS secret-key name (bare, they look like any hash).
    "aws_secret_access_key": SecretPattern(
        re.compile(
            r"(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)" + _ASSIGN
            + r"(?P<q>[\"'`]?)(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])(?P=q)"
        ),
        ("secret",),
        lower=True,
    ),
    # sk-ant-api03-..., sk-ant-admin01-...: 90+ characters of base64url.
    "anthropic_api_key": SecretPattern(
        re.compile(r"(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{32,}"), ("sk-ant-",)),
    "openai_api_key": SecretPattern(
        re.compile(
            r"(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{32,}|[A-Za-z0-9]{32,})"
        ),
        ("sk-",),
    ),
    # Classic PATs (ghp_), OAuth (gho_), app/server (ghs_), user-to-server (ghu_), refresh (ghr_).
    # A vendor prefix inside a longer token (a SendGrid or PyPI key's body) is not a token:
    # matching it there would cut that key, so the rest of it would escape its own detector.
    "github_token": SecretPattern(re.compile(r"(?<![A-Za-z0-9_-])gh[pousr]_[A-Za-z0-9]{36,}"),
                                  ("ghp_", "gho_", "ghs_", "ghu_", "ghr_")),
    "github_fine_grained_pat": SecretPattern(re.compile(r"github_pat_[A-Za-z0-9_]{40,}"),
                                             ("github_pat_",)),
    # npm access tokens: npm_ and 36 base62 characters (detect-secrets only knows the .npmrc
    # `_authToken=` line).
    "npm_token": SecretPattern(
        re.compile(r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"), ("npm_",)),
    "google_api_key": SecretPattern(re.compile(r"AIza[0-9A-Za-z_-]{35}"), ("AIza",)),
    "slack_token": SecretPattern(re.compile(r"xox[abprs]-[A-Za-z0-9-]{10,}"), ("xox",)),
    "stripe_secret_key": SecretPattern(re.compile(r"(?:sk|rk)_live_[A-Za-z0-9]{16,}"),
                                       ("_live_",)),
    "huggingface_token": SecretPattern(re.compile(r"(?<![A-Za-z0-9_-])hf_[A-Za-z0-9]{30,}"),
                                       ("hf_",)),
    # scheme://user:password@host (the user may be empty: redis://:password@host). Only the
    # password goes; a template (`${DB_PASSWORD}`, `{password}`, `<password>`, `$PASS`) stays.
    # detect-secrets' BasicAuthDetector misses an empty user and passwords with `!$&'()*+,;=`,
    # which RFC 3986 allows there.
    "url_credentials": SecretPattern(
        re.compile(
            r"://[^\s:/?#\[\]@\"'`<>]*:(?!\$\{|\$[A-Za-z_]|\{|<|%\()"
            r"(?P<value>[^\s/?#\[\]@\"'`<>]+)@"
        ),
        ("://",),
    ),
    # header.payload.signature, both JSON parts base64url of '{"...' (so they start "eyJ").
    "jwt": SecretPattern(
        re.compile(r"eyJ[A-Za-z0-9_-]{5,500}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}"), ("eyJ",)),
    # Any quoted literal assigned to a password-like name.
    "password_assignment": SecretPattern(
        re.compile(
            _NAME_START + r"(?i:[A-Za-z0-9_.-]{0,64}?(?:password|passwd|passphrase))"
            r"(?![A-Za-z0-9_])" + _ASSIGN
            + r"(?P<q>[\"'`])(?!\[REDACTED\])" + _NOT_PLACEHOLDER
            + r"(?P<value>[^\"'`\s]+)(?P=q)"
        ),
        ("passw", "passphrase"),
        lower=True,
    ),
    # A credential-looking quoted literal assigned to a token/secret/key name.
    "token_assignment": SecretPattern(
        re.compile(
            _NAME_START + r"(?i:[A-Za-z0-9_.-]{0,64}?(?:token|secret|api_?key|access_?key"
            r"|auth_?key|private_?key|client_?secret))(?![A-Za-z0-9_])" + _ASSIGN
            + _CREDENTIAL_LITERAL
        ),
        ("token", "secret", "key"),
        lower=True,
    ),
}


# Every secret contains one of these (case-sensitive) or a secret-like name assigned a value;
# clean text (almost all of it) is let through by a few fast substring tests.
_VENDOR_NEEDLES = ("AKIA", "ASIA", "ABIA", "ACCA", "sk-", "ghp_", "gho_", "ghs_", "ghu_", "ghr_",
                   "github_pat_", "AIza", "xox", "_live_", "hf_", "eyJ", "PRIVATE KEY", "npm_",
                   "://")
_NAME_NEEDLES = ("pass", "token", "secret", "key")
_NAME_ASSIGNED = re.compile(r"(?:pass|token|secret|key)[a-z0-9_.-]{0,64}[\"']?\s*(?::=|=|:)")


# Every detector's name, ours first: the keys of the per-detector counts in metrics/data.json.
DETECTORS = (*SECRET_PATTERNS, *kept_detector.PLUGINS)


def may_contain_secret(text: str) -> bool:
    """False only when no detector can match `text` (a cheap pre-check, no false negatives)."""
    if any(needle in text for needle in _VENDOR_NEEDLES):
        return True
    lowered = text.lower()
    if any(n in lowered for n in _NAME_NEEDLES) and _NAME_ASSIGNED.search(lowered):
        return True
    return kept_detector.gate_admits(text)


def _replace(match: re.Match) -> str:
    if "value" not in match.re.groupindex:
        return REDACTED
    start, end = match.span("value")
    whole = match.group(0)
    offset = match.start()
    return whole[: start - offset] + REDACTED + whole[end - offset:]


def redact_secrets(text: str) -> tuple[str, Counter]:
    """Replace every secret in `text` with "[REDACTED]": our rules, then the kept detector.

    Args:
        text: Any string (instruction, input or output of a record, a chat message, a file).

    Returns:
        (redacted text, Counter of detector name -> number of secrets replaced)
    """
    counts: Counter = Counter()
    if not may_contain_secret(text):
        return text, counts
    text = _redact_with_our_rules(text, counts)
    return _redact_with_kept_detector(text, counts), counts


def _redact_with_our_rules(text: str, counts: Counter) -> str:
    lowered = None
    for name, pattern in SECRET_PATTERNS.items():
        if pattern.lower:
            if lowered is None:
                lowered = text.lower()
            haystack = lowered
        else:
            haystack = text
        if not any(needle in haystack for needle in pattern.needles):
            continue
        text, n = pattern.regex.subn(_replace, text)
        if n:
            counts[name] += n
            lowered = None  # the text changed
    return text


def _redact_with_kept_detector(text: str, counts: Counter) -> str:
    """Replace what detect-secrets finds; overlapping findings become one, counted once."""
    merged: list = []
    for f in sorted(kept_detector.find_secrets(text), key=lambda f: (f.start, -f.end)):
        if merged and f.start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], f.end)
        else:
            merged.append([f.start, f.end, f.plugin])
    for start, end, plugin in reversed(merged):
        text = text[:start] + REDACTED + text[end:]
        counts[plugin] += 1
    return text


def redact_record(record: dict, fields=("instruction", "input", "output")) -> tuple[dict, Counter]:
    """Redact the given text fields of a record, and a chat's earlier turns (`history`).

    Returns a new record and the counts.
    """
    out = dict(record)
    history = out.get("history") or []
    texts = [v for k in fields if isinstance(v := out.get(k), str)]
    total: Counter = Counter()
    if not may_contain_secret("\n".join(texts + [t["content"] for t in history])):
        return out, total
    for key in fields:
        if isinstance(out.get(key), str):
            out[key], counts = redact_secrets(out[key])
            total.update(counts)
    if history:
        out["history"] = []
        for turn in history:
            content, counts = redact_secrets(turn["content"])
            out["history"].append({**turn, "content": content})
            total.update(counts)
    return out, total


def main() -> int:
    text, counts = redact_secrets(sys.stdin.read())
    sys.stdout.write(text)
    print(dict(counts), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
