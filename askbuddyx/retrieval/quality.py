"""Retrieval quality on labelled questions: recall@k and MRR, per search mode.

A labelled question names the file and the (qualified) function that answers it, e.g.
{"question": "...", "path": "termui.py", "function": "confirm"}. The function's lines are
looked up with `ast` in the indexed source itself, so the labels survive a new version of the
package that moves code; a hit answers the question when its line span overlaps them (a
chunk of a long function, or the whole of a short class, both count).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

DEPTH = 10  # MRR is MRR@10: an answer ranked lower counts 0


@dataclass(frozen=True)
class LabelledQuestion:
    question: str
    path: str
    function: str
    spans: tuple  # ((start, end), ...): every definition of that name (overloads included)


def definition_spans(source: str, qualname: str) -> list[tuple[int, int]]:
    """The line spans of `qualname` ("f" or "Class.method") defined at module or class level."""
    tree = ast.parse(source)
    owner, _, name = qualname.rpartition(".")
    scopes = [tree.body] if not owner else [
        n.body for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner]
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [(min([n.lineno] + [d.lineno for d in n.decorator_list]), n.end_lineno)
            for body in scopes for n in body if isinstance(n, defs) and n.name == name]


def load_questions(path: str | Path, root: str | Path) -> list[LabelledQuestion]:
    """The labelled questions of a JSONL file, their answers located under `root`."""
    root = Path(root)
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        source = (root / rec["path"]).read_text(encoding="utf-8")
        spans = definition_spans(source, rec["function"])
        if not spans:
            raise AskBuddyXError(f"{rec['function']} is not defined in {root / rec['path']} "
                                 f"(question {rec['question']!r}).",
                                 hint="Fix the label, or index the version it was written for.")
        out.append(LabelledQuestion(rec["question"], rec["path"], rec["function"], tuple(spans)))
    return out


def answer_rank(hits: list, question: LabelledQuestion) -> int | None:
    """1-based rank of the first hit that overlaps the answer, or None."""
    for rank, hit in enumerate(hits, start=1):
        c = hit.chunk
        if c.path == question.path and any(c.start_line <= end and start <= c.end_line
                                           for start, end in question.spans):
            return rank
    return None


def evaluate(index, questions: list[LabelledQuestion], modes: tuple, k: int = 5) -> dict:
    """{mode: {"recall_at_k", "mrr", "ranks"}} over `questions`."""
    results = {}
    for mode in modes:
        ranks = [answer_rank(index.search(q.question, DEPTH, mode), q) for q in questions]
        results[mode] = {
            "recall_at_k": sum(r is not None and r <= k for r in ranks) / len(ranks),
            "mrr": sum(1.0 / r for r in ranks if r is not None) / len(ranks),
            "ranks": ranks,
        }
    return results
