"""The data report: `metrics/data.json` (numbers, for `dvc metrics diff`) and a readable
markdown file with the same figures plus a few flagged examples per category.

What it holds (seed 004, TS-5): lines in and records out per source, malformed lines (each
listed by file and line), redactions per detector (our rules and detect-secrets' plugins),
exact and near duplicates, chats truncated or dropped for the token budget, very short
answers, code share, token length p50/p90/max after the chat template, and the curated share
of train. Nothing in it depends on the clock, so the same data gives the same bytes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from askbuddyx.data.kept_detector import PLUGINS
from askbuddyx.data.lengths import percentile
from askbuddyx.data.redact import DETECTORS, REDACTED

MAX_BAD_LINES_LISTED = 500
SOURCE_COLUMNS = ("lines", "malformed", "records", "redactions", "duplicates_exact",
                  "duplicates_near", "truncated", "overlong_dropped", "kept", "train", "val",
                  "heldout", "train_mixed")
# An answer "has code" when it holds a fenced block or a line that only code starts with.
_CODE = re.compile(
    r"```|^[ \t]*(?:def |class |import |from [\w.]+ import |return\b|print\(|for \w+ in |"
    r"while .+:|if .+:|try:|with .+:|#include|public |function |SELECT |[\w.\[\]]+ = \S)",
    re.MULTILINE,
)


def has_code(text: str) -> bool:
    return bool(_CODE.search(text))


def redaction_snippet(record: dict, width: int = 60) -> str:
    """Text around the first [REDACTED] of a (redacted) record, on one line."""
    for key in ("instruction", "input", "output"):
        text = record.get(key, "")
        at = text.find(REDACTED)
        if at >= 0:
            start = max(0, at - width)
            return _one_line(text[start: at + len(REDACTED) + width])
    return ""


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Findings:
    """Counts and flagged examples collected while preparing; input of the report."""

    max_examples: int = 5
    sources: dict = field(default_factory=dict)
    bad_lines: list = field(default_factory=list)
    redactions: Counter = field(default_factory=Counter)
    redaction_examples: list = field(default_factory=list)
    duplicates: Counter = field(default_factory=Counter)
    duplicate_examples: list = field(default_factory=list)
    truncated_examples: list = field(default_factory=list)
    dropped_examples: list = field(default_factory=list)
    short_examples: list = field(default_factory=list)
    short_answers: int = 0
    overlong: Counter = field(default_factory=Counter)
    max_tokens_before: int = 0

    def source(self, name: str) -> dict:
        if name not in self.sources:
            self.sources[name] = {"format": "", "chat_unanswered_turns": 0,
                                  **{k: 0 for k in SOURCE_COLUMNS}}
        return self.sources[name]

    def add_duplicates(self, dups: list) -> None:
        per_kind_shown = Counter()
        for d in dups:
            self.duplicates[d.kind] += 1
            self.source(d.dropped["source"])[f"duplicates_{d.kind}"] += 1
            if per_kind_shown[d.kind] < self.max_examples:
                per_kind_shown[d.kind] += 1
                self.duplicate_examples.append(d)

    def add_lengths(self, found: dict, kept: list, min_answer_chars: int) -> None:
        self.max_tokens_before = max(found["lengths_before"], default=0)
        for kind in ("truncated", "dropped"):
            self.overlong[kind] = len(found[kind])
            column = "truncated" if kind == "truncated" else "overlong_dropped"
            for record, _ in found[kind]:
                self.source(record["source"])[column] += 1
        self.truncated_examples = found["truncated"][: self.max_examples]
        self.dropped_examples = found["dropped"][: self.max_examples]
        for record in kept:
            self.source(record["source"])["kept"] += 1
            if len(record["output"].strip()) < min_answer_chars:
                self.short_answers += 1
                if len(self.short_examples) < self.max_examples:
                    self.short_examples.append(record)


def build_metrics(findings: Findings, records: list, train: list, val: list, heldout: list,
                  copies: int, code_share: float) -> dict:
    """The numbers of metrics/data.json (numeric leaves only, so `dvc metrics diff` shows all)."""
    lines = sum(s["lines"] for s in findings.sources.values())
    malformed = len(findings.bad_lines)
    lengths = [r["tokens"] for r in records]
    return {
        "sources": {name: {k: s[k] for k in ("chat_unanswered_turns", *SOURCE_COLUMNS)}
                    for name, s in findings.sources.items()},
        "lines_in": lines,
        "malformed": malformed,
        "malformed_share": round(malformed / lines, 4) if lines else 0.0,
        "redactions": {name: findings.redactions.get(name, 0) for name in DETECTORS},
        "redactions_total": sum(findings.redactions.values()),
        "redactions_by_detect_secrets": sum(findings.redactions.get(name, 0) for name in PLUGINS),
        "duplicates": {"exact": findings.duplicates["exact"], "near": findings.duplicates["near"]},
        "overlong": {"truncated": findings.overlong["truncated"],
                     "dropped": findings.overlong["dropped"]},
        "short_answers": findings.short_answers,
        "unique_records": len(records),
        "code_share": round(code_share, 4),
        "tokens": {"p50": percentile(lengths, 0.5), "p90": percentile(lengths, 0.9),
                   "max": max(lengths, default=0), "max_before_fit": findings.max_tokens_before},
        "train": len(train),
        "val": len(val),
        "heldout_curated": len(heldout),
        "heldout_by_kind": dict(sorted(Counter(r.get("kind", "any") for r in heldout).items())),
        "curated_copies_added": copies,
        "curated_share_of_train": (round(sum(r["curated"] for r in train) / len(train), 4)
                                   if train else 0.0),
    }


def _table(header: list, rows: list) -> list:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def _md(text: str) -> str:
    """Text safe inside a markdown table cell / inline code."""
    return _one_line(text).replace("|", "\\|").replace("`", "'")


def render_markdown(m: dict, f: Findings, config) -> str:
    """The readable report: the metrics as tables, then flagged examples per category."""
    out = ["# Data report", ""]
    out += _table(["figure", "value"], [
        ["lines read", m["lines_in"]],
        ["malformed lines skipped", f"{m['malformed']} ({m['malformed_share']:.1%}; "
                                    f"limit {config.max_bad_fraction:.0%} per file)"],
        ["secrets redacted", f"{m['redactions_total']} ({m['redactions_by_detect_secrets']} "
                             "of them by detect-secrets' plugins)"],
        ["exact duplicates dropped", m["duplicates"]["exact"]],
        ["near duplicates dropped", f"{m['duplicates']['near']} (prompt 5-gram Jaccard >= "
                                    f"{config.near_dup_threshold})"],
        ["chats over the token budget", f"{m['overlong']['truncated']} truncated, "
                                        f"{m['overlong']['dropped']} dropped "
                                        f"(max_seq_length {config.max_seq_length}, "
                                        f"action: {config.overlong})"],
        ["very short answers (flagged, kept)", f"{m['short_answers']} (< "
                                               f"{config.min_answer_chars} characters)"],
        ["unique records kept", m["unique_records"]],
        ["answers with code", f"{m['code_share']:.1%}"],
        ["tokens per chat p50 / p90 / max", f"{m['tokens']['p50']} / {m['tokens']['p90']} / "
                                            f"{m['tokens']['max']} (before fitting: max "
                                            f"{m['tokens']['max_before_fit']})"],
        ["train / val / held-out curated", f"{m['train']} / {m['val']} / "
                                           f"{m['heldout_curated']}"],
        ["curated share of train", f"{m['curated_share_of_train']:.1%} "
                                   f"(target {config.curated_ratio:.0%}, "
                                   f"{m['curated_copies_added']} copies added)"],
    ])
    out += ["", "## Per source", ""]
    out += _table(["source", "format", *SOURCE_COLUMNS],
                  [[name, s["format"], *(s[k] for k in SOURCE_COLUMNS)]
                   for name, s in f.sources.items()])
    out += ["", "`kept`: unique records after cleaning; `train_mixed`: in train after source "
            "weights and curated copies."]
    turns = sum(s["chat_unanswered_turns"] for s in f.sources.values())
    if turns:
        out += ["", f"{turns} chats end with a user turn that has no answer: that turn is not "
                "trained on (each answered turn is its own record, with the turns before it)."]

    out += ["", "## Redactions per detector", ""]
    out += _table(["detector", "from", "count"],
                  [[k, "detect-secrets plugin" if k in PLUGINS else "our rule", v]
                   for k, v in m["redactions"].items()])
    out += ["", "Our rules run first; detect-secrets' plugins see what they left (see "
            "askbuddyx/data/kept_detector.py for which plugins are on, and why)."]
    if f.redaction_examples:
        out += ["", "Examples (after redaction):", ""]
        out += [f"- `{src}` ({', '.join(names)}): `{_md(snippet)}`"
                for src, names, snippet in f.redaction_examples]

    out += ["", "## Duplicates", ""]
    if f.duplicate_examples:
        out += _table(["kind", "similarity", "dropped (source: prompt)", "kept (source: prompt)"],
                      [[d.kind, d.similarity,
                        f"{d.dropped['source']}: {_md(d.dropped['instruction'])[:80]}",
                        f"{d.kept['source']}: {_md(d.kept['instruction'])[:80]}"]
                       for d in f.duplicate_examples])
    else:
        out.append("None.")

    out += ["", "## Malformed lines", ""]
    if f.bad_lines:
        listed = f.bad_lines[:MAX_BAD_LINES_LISTED]
        out += _table(["file:line", "reason", "line starts with"],
                      [[f"{b.path}:{b.line}", _md(b.reason), f"`{_md(b.snippet)[:60]}`"]
                       for b in listed])
        if len(f.bad_lines) > len(listed):
            out.append(f"... and {len(f.bad_lines) - len(listed)} more.")
    else:
        out.append("None.")

    out += ["", "## Length outliers", ""]
    rows = [["truncated", n, _md(r["instruction"])[:80]] for r, n in f.truncated_examples]
    rows += [["dropped", n, _md(r["instruction"])[:80]] for r, n in f.dropped_examples]
    rows += [["short answer", r["tokens"], f"{_md(r['instruction'])[:60]} -> "
              f"`{_md(r['output'])[:30]}`"] for r in f.short_examples]
    out += _table(["flag", "tokens", "prompt"], rows) if rows else ["None."]
    out.append("")
    return "\n".join(out)
