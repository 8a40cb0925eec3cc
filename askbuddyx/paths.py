"""Where the project's own files are, whatever the current directory.

    from askbuddyx.paths import project_path, TINY_MODEL
    project_path(TINY_MODEL)       # <checkout>/assets/models/askbuddyx-tiny-qwen2-4bit

The command-line defaults (the embedded tiny base model, params.yaml, the pipeline's outputs)
are files of the repository checkout this package is imported from (`pip install -e .`, as
`make deps` does, or PYTHONPATH), so `askbuddyx prepare` and friends resolve them here rather
than against the current directory and work from any folder. Paths a user types are taken as
typed (relative to where they are). DVC stages run from the repository root and pass every
path explicitly, so they do not need this.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Relative to PROJECT_ROOT.
TINY_MODEL = "assets/models/askbuddyx-tiny-qwen2-4bit"
BUNDLED_SOURCES = ("assets/datasets/code_tasks.jsonl",
                   "assets/datasets/curated_runnable_first.jsonl")
PARAMS_FILE = "params.yaml"


def project_path(relative: str | Path) -> Path:
    """`relative` inside the project checkout (absolute paths come back unchanged)."""
    return PROJECT_ROOT / relative
