"""Which files of a folder an index reads: text files by extension, .gitignore respected.

Each folder's `.gitignore` applies below it, as in git (pathspec's GitIgnoreSpec);
`.git` and the usual build and environment folders are skipped even without a .gitignore.
Python files come first so that a partial index (or a slow one) has the code before the docs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

PYTHON_SUFFIXES = (".py", ".pyi")
TEXT_SUFFIXES = (".md", ".rst", ".txt", ".toml", ".yaml", ".yml", ".json", ".cfg", ".ini",
                 ".sh", ".js", ".ts", ".tsx", ".jsx", ".html", ".css", ".c", ".h", ".cpp",
                 ".hpp", ".rs", ".go", ".java", ".rb", ".sql")
ALWAYS_SKIPPED = {".git", ".hg", ".svn", ".dvc", ".venv", "venv", "node_modules", "__pycache__",
                  ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox"}
MAX_FILE_BYTES = 1 << 20  # larger text files are data, not code to read


@dataclass(frozen=True)
class SourceFile:
    """A file to index: its path relative to the root (posix), and its absolute path."""

    rel: str
    path: Path

    @property
    def is_python(self) -> bool:
        return self.rel.endswith(PYTHON_SUFFIXES)


def _ignore_spec(folder: Path) -> pathspec.GitIgnoreSpec | None:
    gitignore = folder / ".gitignore"
    if not gitignore.is_file():
        return None
    lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)  # git's own matching rules


def _ignored(rel_path: str, is_dir: bool, specs: list) -> bool:
    """Whether any .gitignore above `rel_path` (posix, relative to the root) ignores it."""
    for base, spec in specs:
        inner = rel_path[len(base) + 1:] if base else rel_path
        if spec.match_file(inner + ("/" if is_dir else "")):
            return True
    return False


def iter_source_files(root: str | Path) -> Iterator[SourceFile]:
    """Every indexable file under `root`, in no particular order (see `list_source_files`)."""
    root = Path(root).resolve()
    stack: list[tuple[str, list]] = [("", [])]
    while stack:
        rel_dir, specs = stack.pop()
        folder = root / rel_dir if rel_dir else root
        spec = _ignore_spec(folder)
        specs = specs + [(rel_dir, spec)] if spec else specs
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in ALWAYS_SKIPPED and not _ignored(rel, True, specs):
                        stack.append((rel, specs))
                elif (entry.is_file(follow_symlinks=False)
                      and entry.name.endswith(PYTHON_SUFFIXES + TEXT_SUFFIXES)
                      and entry.stat().st_size <= MAX_FILE_BYTES
                      and not _ignored(rel, False, specs)):
                    yield SourceFile(rel, Path(entry.path))


def list_source_files(root: str | Path) -> list[SourceFile]:
    """The indexable files of `root`: Python first, then the other text files, each by path."""
    return sorted(iter_source_files(root), key=lambda f: (not f.is_python, f.rel))
