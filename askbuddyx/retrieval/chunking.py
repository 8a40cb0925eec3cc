"""Splitting files into chunks: Python by definitions (standard `ast`), other text by blocks.

A Python file becomes one chunk per top-level function, one per class (or, for a long class,
one for its header and one per method), and chunks of the module-level code between them.
Every chunk of a file carries the file's context: the first lines of the module docstring and
its imports, so that a function read alone still says what module it lives in and what it
uses. A file that does not parse (Python 2, a template) is split like any text file: runs of
blank-line-separated blocks of at most `TEXT_LINES` lines.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass

MAX_DEF_LINES = 120  # a longer function is cut into parts of PART_LINES, each with its `def`
PART_LINES = 80
LONG_CLASS_LINES = 60  # a longer class is split into its header and its methods
TEXT_LINES = 40
CONTEXT_IMPORTS = 12  # import lines kept as a chunk's context (the rest are noise)
DOC_CHARS = 300


@dataclass(frozen=True)
class Chunk:
    """A span of a file: 1-based inclusive lines, what it is, its text and its file's context.

    Args:
        path: The file, relative to the indexed folder (posix).
        start_line, end_line: The span, 1-based, inclusive.
        kind: "function", "class", "method", "module" (top-level code) or "text".
        name: The qualified name ("Session.request"), or "" for module code and text.
        text: The lines of the span, as in the file.
        context: The module docstring's start and the imports (Python), else "".
    """

    path: str
    start_line: int
    end_line: int
    kind: str
    name: str
    text: str
    context: str = ""

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(f"{self.context}\0{self.text}".encode()).hexdigest()

    @property
    def label(self) -> str:
        """How a source is cited: path:start-end (name)."""
        where = f"{self.path}:{self.start_line}-{self.end_line}"
        return f"{where} ({self.name})" if self.name else where

    def search_text(self) -> str:
        """What the lexical and dense indexes see: where it is, what it is, the code."""
        doc = self.context.split("\n", 1)[0] if self.context.startswith('"""') else ""
        return f"{self.path} {self.name}\n{doc}\n{self.text}"


def chunk_file(path: str, source: str) -> list[Chunk]:
    """The chunks of one file: by definitions for Python that parses, by blocks otherwise."""
    if path.endswith((".py", ".pyi")):
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):  # ValueError: a NUL byte in the source
            tree = None
        if tree is not None:
            return python_chunks(path, source, tree)
    return text_chunks(path, source)


def module_context(tree: ast.Module, lines: list[str]) -> str:
    """The start of the module docstring and the first import lines, as one text."""
    parts = []
    doc = ast.get_docstring(tree)
    if doc:
        parts.append('"""' + doc[:DOC_CHARS].strip() + '"""')
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    parts.extend("\n".join(lines[node.lineno - 1:node.end_lineno])
                 for node in imports[:CONTEXT_IMPORTS])
    return "\n".join(parts)


def _span(node: ast.AST) -> tuple[int, int]:
    """A definition's lines, its decorators included."""
    decorators = getattr(node, "decorator_list", [])
    start = min([node.lineno] + [d.lineno for d in decorators])
    return start, node.end_lineno


def python_chunks(path: str, source: str, tree: ast.Module) -> list[Chunk]:
    lines = source.splitlines()
    context = module_context(tree, lines)
    chunks: list[Chunk] = []
    loose: list[ast.stmt] = []  # module-level statements between definitions

    def flush_loose() -> None:
        code = [n for n in loose if not isinstance(n, (ast.Import, ast.ImportFrom))
                and not _is_docstring(n, tree)]
        if code:
            chunks.extend(_windows(path, lines, code[0].lineno, code[-1].end_lineno, "module",
                                   "", context, TEXT_LINES * 2))
        loose.clear()

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            flush_loose()
            chunks.extend(_definition(path, lines, node, node.name, "function", context))
        elif isinstance(node, ast.ClassDef):
            flush_loose()
            chunks.extend(_class_chunks(path, lines, node, context))
        else:
            loose.append(node)
    flush_loose()
    return chunks


def _is_docstring(node: ast.stmt, tree: ast.Module) -> bool:
    return node is tree.body[0] and isinstance(node, ast.Expr) and isinstance(
        getattr(node, "value", None), ast.Constant) and isinstance(node.value.value, str)


def _definition(path, lines, node, name, kind, context, header="") -> list[Chunk]:
    """One chunk per definition; a very long one in parts that each repeat its first line."""
    start, end = _span(node)
    if end - start + 1 <= MAX_DEF_LINES:
        return [_chunk(path, lines, start, end, kind, name, context, header)]
    signature = lines[node.lineno - 1].strip()
    parts = []
    for part_start in range(start, end + 1, PART_LINES):
        part_end = min(end, part_start + PART_LINES - 1)
        extra = header if part_start == start else f"{header}\n{signature}  # continued".strip()
        parts.append(_chunk(path, lines, part_start, part_end, kind, name, context, extra))
    return parts


def _class_chunks(path, lines, node: ast.ClassDef, context) -> list[Chunk]:
    start, end = _span(node)
    if end - start + 1 <= LONG_CLASS_LINES:
        return [_chunk(path, lines, start, end, "class", node.name, context)]
    methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    first_method = _span(methods[0])[0] if methods else end + 1
    header_end = max(start, first_method - 1)
    chunks = _windows(path, lines, start, header_end, "class", node.name, context, PART_LINES)
    class_line = lines[node.lineno - 1].strip()
    for method in methods:
        chunks.extend(_definition(path, lines, method, f"{node.name}.{method.name}", "method",
                                  context, header=class_line))
    return chunks


def _chunk(path, lines, start, end, kind, name, context, header="") -> Chunk:
    full_context = f"{context}\n{header}".strip() if header else context
    return Chunk(path, start, end, kind, name, "\n".join(lines[start - 1:end]), full_context)


def _windows(path, lines, start, end, kind, name, context, size) -> list[Chunk]:
    return [_chunk(path, lines, s, min(end, s + size - 1), kind, name, context)
            for s in range(start, end + 1, size)]


def text_chunks(path: str, source: str) -> list[Chunk]:
    """Blank-line-separated blocks gathered up to TEXT_LINES lines (a longer block is cut)."""
    lines = source.splitlines()
    chunks, start = [], None
    for i, line in enumerate(lines, start=1):
        if start is None:
            if not line.strip():
                continue
            start = i
        at_break = not line.strip() and i - start + 1 >= TEXT_LINES // 2
        if at_break or i - start + 1 >= TEXT_LINES or i == len(lines):
            end = i - 1 if not line.strip() else i
            if end >= start:
                chunks.append(_chunk(path, lines, start, end, "text", "", ""))
            start = None
    return chunks
