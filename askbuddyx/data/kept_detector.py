"""The kept secret detector: Yelp's detect-secrets (Apache-2.0) run in-process, behind a gate.

Our own rules (askbuddyx.data.redact) know the formats we listed; a hand-kept list always
trails, so every text also goes through the provider plugins that detect-secrets' maintainers
keep (GitLab `glpat-`, Azure `AccountKey=`, Slack webhooks, SendGrid `SG.`, PyPI, Square, ...).

    python -m askbuddyx.data.kept_detector < file.txt     prints each finding: line, plugin

How detect-secrets is used, and why:
- through its own one-string API, `detect_secrets.core.scan.scan_line`, inside its
  `transient_settings`, which installs our plugins and filters (`SETTINGS`) and puts back
  whatever global settings were there before; a module lock serializes sessions because those
  settings are process-global. `detector_session()` lets a batch (the prepare stage, one chat,
  the bundle scan) pay the settings switch (about 0.7 ms) once instead of per text.
- a line reaches `scan_line` (about 0.1 ms with these plugins) only when it holds one of the
  literal needles of an enabled plugin (`PLUGINS`); clean code costs a few substring tests.
- a plugin may report only part of a secret (GitLab's reports its `glpat` group), so each
  finding is widened to the whole token around it.
- never enabled: detect-secrets' allowlist filter (a `pragma: allowlist secret` comment must not
  let a secret into training data) and its verification filter (it calls the providers' APIs).

Which plugins, measured with tests/test_data_redact.py's corpus (installed packages' code):
- on: every provider plugin whose format starts with a fixed literal, so the gate is exact and
  cheap. None of them flagged a line of that code.
- off: the two entropy plugins: the Hex one flags every git SHA and ObjectId, the Base64 one any
  random base64 fixture, which is the ordinary code that must survive; and through `scan_line`
  they report every word, leaving the entropy limit to the caller. KeywordDetector flags
  `"password": "secret"`, `secret_word = "python"` and `password_hint = "first pet"`; our
  password/token assignment rules catch the real cases without those. IPPublicDetector: an
  address is not a credential. PrivateKeyDetector: it reports the words `BEGIN RSA PRIVATE
  KEY` only, also in code that merely names them (PEM parsers, its own source); our
  private_key_block rule redacts whole PEM blocks. Twilio: its `AC`/`SK` + 32 patterns are
  account and key SIDs, identifiers rather than secrets. Artifactory: `AP` + a hex digit + 8
  alphanumerics is an ordinary identifier shape, and it only matches between spaces or double
  quotes. Discord and Telegram: no literal to gate on (each would run on every line). IBM Cloud
  IAM, IBM COS HMAC, Cloudant and SoftLayer: assignments gated on everyday names (`key`,
  `token`, `pass`: 1 to 5% of code lines) that our assignment rules already cover.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from askbuddyx.errors import AskBuddyXError


@dataclass(frozen=True)
class Gate:
    """Literal needles, one of which occurs in every line that a plugin can flag.

    Attributes:
        exact: Compared with the line as it is.
        folded: Compared with the lower-cased line (for case-insensitive plugins).
    """

    exact: tuple = ()
    folded: tuple = ()


# Plugin class name -> its gate. Each gate's needles come from the plugin's own regexes
# (tests/test_data_redact.py checks that every regex of the plugin holds one of them).
PLUGINS = {
    "AWSKeyDetector": Gate(("AKIA", "ASIA", "ABIA", "ACCA", "A3T"), ("aws",)),
    "AzureStorageKeyDetector": Gate(("AccountKey=",)),
    "BasicAuthDetector": Gate(("://",)),
    "GitHubTokenDetector": Gate(("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    "GitLabTokenDetector": Gate(("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "GR1348941",
                                 "glcbt-", "glimt-", "glptt-", "glagent-", "gloas-")),
    "JwtTokenDetector": Gate(("eyJ",)),
    "MailchimpDetector": Gate(("-us",)),
    "NpmDetector": Gate(("_authToken",)),
    "OpenAIDetector": Gate(("T3BlbkFJ",)),
    "PypiTokenDetector": Gate(("pypi-",)),
    "SendGridDetector": Gate(("SG.",)),
    "SlackDetector": Gate((), ("xox", "hooks.slack.com")),
    "SquareOAuthDetector": Gate(("sq0csp-",)),
    "StripeDetector": Gate(("k_live_",)),
}
# Every gate's needles in one tuple: the common (clean) line costs one pass over them.
_EXACT = tuple(dict.fromkeys(n for gate in PLUGINS.values() for n in gate.exact))
_FOLDED = tuple(dict.fromkeys(n for gate in PLUGINS.values() for n in gate.folded))
# detect-secrets' filters that judge a reported value: placeholders (`<password>`, `{pw}`,
# `${PW}`), values without a letter (`****`), alphabet runs (`ABCDEF...`, `0123...`). Not its
# UUID filter: these plugins report a UUID only where it is a credential (an .npmrc
# `_authToken=<uuid>`, the password of a URL).
FILTERS = tuple(f"detect_secrets.filters.heuristic.{name}" for name in (
    "is_templated_secret", "is_not_alphanumeric_string", "is_sequential_string"))
SETTINGS = {"plugins_used": [{"name": name} for name in PLUGINS],
            "filters_used": [{"path": path} for path in FILTERS]}

# A token: a run of base64 / base64url characters and the dots of a JWT or a SendGrid key,
# ended by any `=` padding (so `KEY=SG.xxx` holds two tokens). A partial finding grows to the
# tokens it touches (JwtTokenDetector's lazy last part reports `header.payload.` without the
# signature; GitLab's plugin reports its `glpat` group).
_TOKEN = re.compile(r"[A-Za-z0-9_\-+/.]+=*")
_EDGE_CHARS = " \t\r\n\"'`"
# A reported `AccountKey=...` keeps its name, as our assignment rules keep theirs.
_NAME_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=(?=.)")

# Some plugin regexes are quadratic in a line's length (NpmDetector's `//.+/:_authToken=` on a
# minified line full of `//`: 33 s for 150,000 characters), so a long line is scanned in
# windows; they overlap by more than any secret these plugins know is long (PyPI's, about 200
# characters), so each secret lies whole in some window.
WINDOW = 1200
OVERLAP = 300

_LOCK = threading.RLock()
_depth = 0  # sessions open in the thread that holds _LOCK (nested ones reuse the outer)


@dataclass(frozen=True)
class Finding:
    """A secret found by a plugin: text[start:end] is to be replaced."""

    start: int
    end: int
    plugin: str


@dataclass(frozen=True)
class _DetectSecrets:
    """The parts of detect-secrets' API that we call."""

    scan_line: Callable
    transient_settings: Callable
    plugin_of_type: dict  # a finding's `type` ("GitLab Token") -> its plugin's class name


@functools.cache
def _detect_secrets() -> _DetectSecrets:
    """detect-secrets' API, imported on first use (the import costs about 0.2 s)."""
    shown = warnings.showwarning
    try:
        from detect_secrets.core import scan
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.settings import transient_settings
    except ImportError as exc:
        raise AskBuddyXError(
            "detect-secrets is not installed: secrets outside our own list would reach the "
            "training data unredacted.",
            hint="Install the project's dependencies: `pip install -c constraints.txt -e .` "
                 "(or `pip install detect-secrets==1.5.0`).") from exc
    if warnings.showwarning is not shown:
        # Its logger module turns on logging.captureWarnings for the whole process on import;
        # put Python's warnings back where they were.
        logging.captureWarnings(False)
    types = {cls.__name__: secret_type
             for secret_type, cls in get_mapping_from_secret_type_to_class().items()}
    missing = sorted(set(PLUGINS) - set(types))
    if missing:
        raise AskBuddyXError(f"This detect-secrets has no plugin {', '.join(missing)}.",
                             hint="Install the pinned version: "
                                  "`pip install -c constraints.txt -e .`.")
    return _DetectSecrets(scan.scan_line, transient_settings,
                          {types[name]: name for name in PLUGINS})


@contextmanager
def detector_session() -> Iterator[None]:
    """Our detect-secrets settings, installed for the calls inside the block, then restored.

    Nested sessions (in the same thread) reuse the outer one; other threads wait.
    """
    global _depth
    api = _detect_secrets()
    with _LOCK:
        if _depth:
            _depth += 1
            try:
                yield
            finally:
                _depth -= 1
            return
        with api.transient_settings(SETTINGS):
            _depth = 1
            try:
                yield
            finally:
                _depth = 0


def gate_admits(line: str) -> bool:
    """True when some enabled plugin could flag `line` (no false negatives)."""
    if any(n in line for n in _EXACT):
        return True
    lowered = line.lower()
    return any(n in lowered for n in _FOLDED)


def find_secrets(text: str) -> list:
    """Every finding of the enabled plugins in `text`, as spans of `text`, in order.

    Opens a detector_session unless one is open already.
    """
    if not gate_admits(text):
        return []
    found = []
    with detector_session():
        offset = 0
        for line in text.split("\n"):
            for start, piece in _windows(line):
                if gate_admits(piece):
                    found += [Finding(offset + start + s, offset + start + e, plugin)
                              for s, e, plugin in _line_findings(piece)]
            offset += len(line) + 1
    return sorted(set(found), key=lambda f: (f.start, f.end))  # windows overlap: once each


def _windows(line: str) -> list:
    """(offset, piece) covering `line`: the line itself, or overlapping WINDOW-long pieces."""
    if len(line) <= WINDOW:
        return [(0, line)]
    step = WINDOW - OVERLAP
    return [(start, line[start:start + WINDOW]) for start in range(0, len(line) - OVERLAP, step)]


def _line_findings(line: str) -> list:
    """(start, end, plugin) in `line` for each secret detect-secrets reports there."""
    api = _detect_secrets()
    out = []
    for secret in api.scan_line(line):
        plugin = api.plugin_of_type[secret.type]
        out += [(start, end, plugin) for start, end in _value_spans(line, secret.secret_value)]
    return out


def _value_spans(line: str, value: str | None) -> list:
    """Where a reported value sits in `line`, each occurrence widened to the tokens it touches.

    A `Name=` in front of the value stays. Occurrences that start a token are preferred (a
    short value can also occur inside other words); a value that is not in the line verbatim
    costs the whole line, never a leak.
    """
    value = (value or "").strip(_EDGE_CHARS)
    value = value[_NAME_PREFIX.match(value).end():] if _NAME_PREFIX.match(value) else value
    if not value:
        return [(0, len(line))]
    starts = [m.start() for m in re.finditer(re.escape(value), line)]
    if not starts:
        return [(0, len(line))]
    tokens = _Tokens(line)
    at_token_start = [s for s in starts if tokens.at(s) in (None, s)]
    return [tokens.widen(s, s + len(value)) for s in at_token_start or starts]


class _Tokens:
    """The tokens of a line, to find the one holding a character in O(log n)."""

    def __init__(self, line: str):
        self.line = line
        self.spans = [m.span() for m in _TOKEN.finditer(line)]
        self.starts = [start for start, _ in self.spans]

    def span_at(self, i: int) -> tuple | None:
        k = bisect.bisect_right(self.starts, i) - 1
        return self.spans[k] if k >= 0 and i < self.spans[k][1] else None

    def at(self, i: int) -> int | None:
        """The start of the token holding character i (None: i is not in a token)."""
        span = self.span_at(i)
        return span[0] if span else None

    def widen(self, start: int, end: int) -> tuple:
        """[start, end) grown to the tokens it touches, but not over a sentence's dots."""
        first, last = start, end
        if span := self.span_at(start):
            start = span[0]
        if span := self.span_at(end - 1):
            end = span[1]
        while start < first and self.line[start] == ".":
            start += 1
        while end > last and self.line[end - 1] == ".":
            end -= 1
        return start, end


def main() -> int:
    text = sys.stdin.read()
    for f in find_secrets(text):
        line = text.count("\n", 0, f.start) + 1
        # the start only: the output may end up in a log
        print(f"line {line}: {f.plugin}: {text[f.start:f.start + 6]!r}... "
              f"({f.end - f.start} characters)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
