"""A Markdown document -> question/answer training pairs, with no LLM (seed 003, "42 document").

    askbuddyx doc2data DOC.md [--name NAME] [--out-dir data/sources]
    POST /v1/training/data  (a text/markdown body or a .md file: the same function)

writes, for NAME (default: the document's file stem),

    NAME.jsonl            the training pairs (Alpaca JSONL: a `data.sources` entry as it is)
    NAME.heldout.jsonl    the held-out questions: rephrasings never trained on (with `rule`)
    NAME.report.json      the data_report: pairs per rule, sections, what was skipped and why

Every answer is the document's own text (markup stripped, code kept fenced); only the questions
are written by templates. The rules, in document order, under the nearest heading H (its
title with any numbering removed, `#` levels nest but only the nearest one names the question):

- **definition**: a list item or a paragraph that starts with a bold term followed by `:`,
  an en/em dash or ` - ` (`**Term**: text`), or a paragraph `Term: text` whose term has at
  most six words. Questions: "What is Term?", "Define Term."; held out: "What does Term mean?".
  Answer: "Term: text".
- **section**: the paragraphs of H that are not definitions (joined, up to MAX_ANSWER_CHARS).
  Questions: "What does the document say about H?", "Tell me about H."; held out:
  "Can you explain H?".
- **list**: the other items of a list under H, as written ("- item" lines). Questions:
  "List the H.", "What are the H?"; held out: "Which H are there?".
- **code**: each fenced code block under H (its language, if given, is named). Questions:
  "Show the code for H.", "Give an example of H."; held out: "What does the code for H look
  like?".

A block with nothing to ask about is skipped and counted: text before the first heading (no
H to name), an empty section. Each fact gets two training phrasings (the model sees the
question in two forms) and one held-out rephrasing, so asking the held-out question checks
that the adapter learned the fact, not the wording. Duplicate questions keep their first
answer (counted as `duplicate_questions`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from askbuddyx.data.io import write_jsonl
from askbuddyx.errors import AskBuddyXError

MAX_ANSWER_CHARS = 1200
MAX_TERM_WORDS = 6
RULES = ("definition", "section", "list", "code")
# (training phrasings, held-out phrasing) per rule; {h} is the heading, {t} the term.
TEMPLATES = {
    "definition": (("What is {t}?", "Define {t}."), "What does {t} mean?"),
    "section": (("What does the document say about {h}?", "Tell me about {h}."),
                "Can you explain {h}?"),
    "list": (("List the {h}.", "What are the {h}?"), "Which {h} are there?"),
    "code": (("Show the code for {h}.", "Give an example of {h}."),
             "What does the code for {h} look like?"),
}
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+-]*)")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_BOLD_DEF = re.compile(r"^\*\*(.+?)\*\*\s*(?::|—|–|\s-\s)\s*(.+)$", re.S)
_PLAIN_DEF = re.compile(r"^([A-Z][^:.!?\n]{0,60}):\s+(.+)$", re.S)
_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+")


@dataclass
class Block:
    """One piece of the document: kind is heading, paragraph, item or code; `heading` is the
    nearest heading (for a heading: itself)."""

    kind: str
    text: str
    heading: str | None
    language: str = ""


@dataclass
class Doc2DataResult:
    """The pairs of one document and its report."""

    train: list = field(default_factory=list)  # Alpaca records (instruction, input, output)
    heldout: list = field(default_factory=list)  # + rule, answer (what the answer should say)
    report: dict = field(default_factory=dict)


def strip_inline(text: str) -> str:
    """Inline Markdown -> plain text: links keep their text, emphasis and code marks go."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|_|`)(.+?)\1", r"\2", text)
    return " ".join(text.split())


def heading_title(raw: str) -> str:
    return _NUMBERING.sub("", strip_inline(raw)).strip() or raw.strip()


def parse_blocks(text: str) -> list:
    """The document's paragraphs, list items and code blocks, each with its nearest heading."""
    blocks, heading, para, code, fence = [], None, [], None, None

    def flush():
        if para:
            blocks.append(Block("paragraph", " ".join(para), heading))
            para.clear()

    for line in text.splitlines():
        if code is not None:
            if line.strip().startswith(fence):
                blocks.append(Block("code", "\n".join(code[1:]), heading, code[0]))
                code = None
            else:
                code.append(line)
            continue
        if m := _FENCE.match(line):
            flush()
            fence, code = m.group(1), [m.group(2)]
        elif m := _HEADING.match(line):
            flush()
            heading = heading_title(m.group(2))
            blocks.append(Block("heading", heading, heading))
        elif m := _ITEM.match(line):
            flush()
            blocks.append(Block("item", m.group(1).strip(), heading))
        elif not line.strip():
            flush()
        elif blocks and blocks[-1].kind == "item" and not para and line.startswith((" ", "\t")):
            blocks[-1].text += " " + line.strip()  # an item's continuation line
        else:
            para.append(line.strip())
    flush()
    if code is not None:
        raise AskBuddyXError(f"The document has an unclosed code fence ({fence}{code[0]}).",
                             hint="Close every ``` block, then run doc2data again.")
    return blocks


def definition(block: Block) -> tuple[str, str] | None:
    """(term, definition) when the block defines a term (the `definition` rule), else None."""
    if block.kind in ("code", "heading"):
        return None
    if m := _BOLD_DEF.match(block.text):
        term, body = strip_inline(m.group(1)).rstrip(":"), strip_inline(m.group(2))
    elif m := _PLAIN_DEF.match(block.text):
        term, body = strip_inline(m.group(1)), strip_inline(m.group(2))
        if len(term.split()) > MAX_TERM_WORDS:
            return None
    else:
        return None
    return (term, body) if term and body else None


def facts(blocks: list, skipped: Counter) -> list:
    """(rule, subject, answer) per fact, in document order (the rules of the docstring)."""
    out, sections, order = [], {}, []
    for block in blocks:
        if block.heading is None:
            skipped["before_first_heading"] += 1
            continue
        if block.heading not in sections:
            sections[block.heading] = {"paragraph": [], "item": [], "code": [],
                                       "definition": []}
            order.append(block.heading)
        if block.kind == "heading":
            continue
        if d := definition(block):
            out.append(("definition", d[0], f"{d[0]}: {d[1]}"))
            sections[block.heading]["definition"].append(d[0])
        elif block.kind == "code":
            fenced = f"```{block.language}\n{block.text}\n```"
            sections[block.heading]["code"].append(fenced)
        else:
            sections[block.heading][block.kind].append(strip_inline(block.text))
    for heading in order:
        parts = sections[heading]
        if parts["paragraph"]:
            out.append(("section", heading, " ".join(parts["paragraph"])[:MAX_ANSWER_CHARS]))
        if parts["item"]:
            out.append(("list", heading, "\n".join(f"- {item}" for item in parts["item"])))
        out += [("code", heading, fenced) for fenced in parts["code"]]
        if not any(parts.values()):
            skipped["empty_section"] += 1
    return out


def _question(template: str, rule: str, subject: str) -> str:
    # A list heading reads better lower-cased inside the sentence ("List the key dates.").
    h = subject if rule != "list" else subject[:1].lower() + subject[1:]
    return template.format(h=h, t=subject)


def doc_to_pairs(text: str, source: str = "document") -> Doc2DataResult:
    """Questions and answers from Markdown `text` by the module's rules.

    Args:
        text: The Markdown document.
        source: Its name, recorded in the report.

    Raises:
        AskBuddyXError: when no rule finds anything to ask (e.g. no headings at all).
    """
    skipped: Counter = Counter()
    found = facts(parse_blocks(text), skipped)
    result, seen, per_rule = Doc2DataResult(), set(), Counter()
    for rule, subject, answer in found:
        asked, held = TEMPLATES[rule]
        for template in asked:
            question = _question(template, rule, subject)
            if question.casefold() in seen:
                skipped["duplicate_questions"] += 1
                continue
            seen.add(question.casefold())
            result.train.append({"instruction": question, "input": "", "output": answer})
            per_rule[rule] += 1
        result.heldout.append({"instruction": _question(held, rule, subject), "input": "",
                               "output": answer, "rule": rule})
    if not result.train:
        raise AskBuddyXError(
            f"No question could be made from {source}: no heading with text, list, code or "
            "definition under it.",
            hint="doc2data needs Markdown headings (`# Title`, `## Section`) with content "
            "under them; see `askbuddyx doc2data --help` for the rules.")
    result.report = {"source": source, "facts": len(found), "train_pairs": len(result.train),
                     "heldout_questions": len(result.heldout),
                     "pairs_by_rule": {r: per_rule[r] for r in RULES},
                     "sections": len({s for r, s, _ in found if r != "definition"}),
                     "skipped": dict(sorted(skipped.items()))}
    return result


def write_doc2data(doc: str | Path, out_dir: str | Path, name: str | None = None) -> dict:
    """Run `doc_to_pairs` on the file `doc` and write NAME.jsonl, NAME.heldout.jsonl and
    NAME.report.json into `out_dir`. Returns the report with the three paths added."""
    doc = Path(doc)
    if not doc.is_file():
        raise AskBuddyXError(f"Document not found: {doc}.", hint="Give a Markdown file path.")
    result = doc_to_pairs(doc.read_text(encoding="utf-8"), doc.name)
    return write_result(result, out_dir, name or doc.stem)


def write_result(result: Doc2DataResult, out_dir: str | Path, name: str) -> dict:
    out_dir = Path(out_dir)
    paths = {"train": out_dir / f"{name}.jsonl", "heldout": out_dir / f"{name}.heldout.jsonl",
             "report": out_dir / f"{name}.report.json"}
    write_jsonl(paths["train"], result.train)
    write_jsonl(paths["heldout"], result.heldout)
    report = {**result.report, "files": {k: str(v) for k, v in paths.items()}}
    paths["report"].write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
