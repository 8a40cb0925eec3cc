"""The curated runnable-first examples: one Markdown file each, compiled into one JSONL file.

    assets/curated/<id>.md  --askbuddyx build-datasets-->  assets/datasets/curated_*.jsonl

Each file is YAML front matter (`id`, `kind`, `category`, `instruction`, optional `input`) and
then the answer, verbatim, as the model should learn to write it:

- a code request (kind `code`, id `cur-NNN-...`) answers with exactly three sections, in order,
  `### Solution`, `### Usage` and `### Sanity test`, each one fenced python block (an optional
  one-line note may follow `### Solution`). Solution + Usage + Sanity test run green with plain
  `python` and the standard library: `tests/test_curated_examples.py` runs every one;
- an explanation (kind `explain`, id `exp-NNN-...`) answers in prose: no headings, at most
  one fenced example, one line per paragraph (the text is copied as it is, nothing reflows it).

`category` is the topic. The Markdown files are the one source of truth; the JSONL is what the
pipeline reads (and what `dvc.lock` hashes), rebuilt by `askbuddyx build-datasets` and checked
by the tests. The kind travels with each record into data/processed/heldout.jsonl, so that the
evaluation can tell prompts that want the format from those that want prose.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml

from askbuddyx.errors import AskBuddyXError
from askbuddyx.prompting import HEADINGS

KINDS = ("code", "explain")
CATEGORIES = ("strings", "lists", "dicts", "files", "errors", "classes", "recursion", "async",
              "parsing", "math", "iteration", "datetime", "language")
ID_PATTERNS = {"code": re.compile(r"cur-\d{3}-[a-z0-9]+(?:-[a-z0-9]+)*"),
               "explain": re.compile(r"exp-\d{3}-[a-z0-9]+(?:-[a-z0-9]+)*")}
REQUIRED_KEYS = ("id", "kind", "category", "instruction")
OPTIONAL_KEYS = ("input",)
RECORD_KEYS = ("id", "kind", "category", "instruction", "input", "output")

_BLOCK = r"```python\n(?:(?!```).)+?\n```"
# The exact layout of a code answer (prompting.split_sections reads the code of each section).
RUNNABLE_LAYOUT = re.compile(
    f"{re.escape(HEADINGS[0])}\n(?:[^\n`#][^\n]*\n)?{_BLOCK}\n\n{re.escape(HEADINGS[1])}\n"
    f"{_BLOCK}\n\n{re.escape(HEADINGS[2])}\n{_BLOCK}",
    re.DOTALL,
)
FENCED_EXAMPLE = re.compile(r"```python\n.*?\n```", re.DOTALL)


class CuratedError(AskBuddyXError):
    """A curated example file that cannot be compiled; the message names the file."""


def split_front_matter(text: str, where: str) -> tuple[dict, str]:
    """(front matter as a dict, the rest of the file) of a Markdown file."""
    match = re.match(r"---\n(.*?)\n---\n(.*)", text, re.DOTALL)
    if match is None:
        raise CuratedError(f"{where}: no YAML front matter",
                           hint="Start the file with '---', the id/category/instruction lines, "
                           "and '---'; the answer follows.")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise CuratedError(f"{where}: the front matter is not valid YAML ({exc})",
                           hint="Quote values that contain ': ' or start with a quote or `."
                           ) from exc
    if not isinstance(meta, dict):
        raise CuratedError(f"{where}: the front matter is not a mapping of keys to values",
                           hint="Write one 'key: value' per line.")
    return meta, match.group(2)


def check_meta(meta: dict, where: str) -> None:
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    unknown = sorted(set(meta) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if missing or unknown:
        raise CuratedError(f"{where}: front matter lacks {missing}, has unknown keys {unknown}",
                           hint=f"Use exactly {list(REQUIRED_KEYS)} and optionally "
                           f"{list(OPTIONAL_KEYS)}.")
    bad = [k for k, v in meta.items() if not isinstance(v, str) or (k != "input" and not v)]
    if bad:
        raise CuratedError(f"{where}: {bad} must be non-empty strings",
                           hint="Quote a value that YAML reads as something else (yes, 1.0).")
    for key, allowed in (("kind", KINDS), ("category", CATEGORIES)):
        if meta[key] not in allowed:
            raise CuratedError(f"{where}: unknown {key} {meta[key]!r}",
                               hint=f"Use one of {', '.join(allowed)}.")


def check_answer(record: dict, where: str) -> None:
    """Refuse an answer that breaks its kind's layout (see the module docstring)."""
    output = record["output"]
    if record["kind"] == "code":
        if RUNNABLE_LAYOUT.fullmatch(output) is None:
            raise CuratedError(
                f"{where}: expected exactly: '### Solution' (optional one-line note), a ```python "
                "block, a blank line, '### Usage' and a block, a blank line, '### Sanity test' "
                "and a block", hint="Compare with any cur-*.md file.")
        return
    if "###" in output:
        raise CuratedError(f"{where}: an explanation must not use '###' headings",
                           hint="Answer in plain prose; the format is for code requests only.")
    if len(FENCED_EXAMPLE.findall(output)) > 1 or output.count("```") > 2:
        raise CuratedError(f"{where}: more than one fenced example",
                           hint="Keep one short ```python example at most.")
    prose = FENCED_EXAMPLE.sub("", output).strip()
    if not prose or output.startswith("```"):
        raise CuratedError(f"{where}: the answer must start with prose",
                           hint="Explain first; an example may follow.")
    if any("\n" in paragraph.strip() for paragraph in prose.split("\n\n")):
        raise CuratedError(f"{where}: a prose paragraph spans several lines",
                           hint="Write each paragraph on one line (the JSONL keeps the text "
                           "as written).")


def parse_example(path: Path) -> dict:
    """One curated record, in RECORD_KEYS order, from its Markdown file."""
    where = str(path)
    meta, body = split_front_matter(path.read_text(encoding="utf-8"), where)
    check_meta(meta, where)
    record = {"id": meta["id"], "kind": meta["kind"], "category": meta["category"],
              "instruction": meta["instruction"], "input": meta.get("input", ""),
              "output": body.strip()}
    id_pattern = ID_PATTERNS[record["kind"]]
    if not id_pattern.fullmatch(record["id"]) or path.stem != record["id"]:
        raise CuratedError(
            f"{where}: id {record['id']!r} must match the file name and {id_pattern.pattern}",
            hint="Name the file <id>.md; code ids start with cur-, explanations with exp-.")
    check_answer(record, where)
    return record


def load_curated(source_dir: str | Path) -> list:
    """Every curated record of `source_dir`/*.md, in file-name order (the JSONL's order)."""
    paths = sorted(Path(source_dir).glob("*.md"))
    if not paths:
        raise CuratedError(f"No curated examples (*.md) in {source_dir}",
                           hint="Run from an AskBuddyX checkout, or pass the folder of them.")
    records = [parse_example(path) for path in paths]
    for field, normalize in (("id", str), ("instruction", lambda s: s.strip().lower())):
        repeated = [v for v, n in Counter(normalize(r[field]) for r in records).items() if n > 1]
        if repeated:
            raise CuratedError(f"{source_dir}: the same {field} in several files: {repeated}",
                               hint=f"Each example needs its own {field}.")
    return records
