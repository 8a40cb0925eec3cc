"""The datasets committed under assets/datasets/, each built from its reviewed source.

    assets/curated/*.md                  -> assets/datasets/curated_runnable_first.jsonl
    askbuddyx/data/code_tasks (families) -> assets/datasets/code_tasks.jsonl

    askbuddyx build-datasets             rebuild both (from any directory: see askbuddyx.paths)
    askbuddyx build-datasets --check     exit 1, naming each stale file, when one is out of date

The JSONL files stay committed because the fetch_data stage depends on `assets/datasets` and
`dvc.lock` hashes it: a rebuild that changes a byte reruns the pipeline from there.
"""

from __future__ import annotations

import filecmp
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from askbuddyx.data.curated import load_curated
from askbuddyx.data.io import write_jsonl

CURATED_SOURCE = Path("assets/curated")


def _code_tasks(root: Path) -> list:
    from askbuddyx.data.code_tasks import bundled_records

    return bundled_records()


@dataclass(frozen=True)
class BundledDataset:
    """A committed JSONL file (relative to the checkout) and how its records are made."""

    path: Path
    records: Callable[[Path], list]  # given the checkout root


BUNDLED = (
    BundledDataset(Path("assets/datasets/curated_runnable_first.jsonl"),
                   lambda root: load_curated(root / CURATED_SOURCE)),
    BundledDataset(Path("assets/datasets/code_tasks.jsonl"), _code_tasks),
)


def build_datasets(root: Path, check: bool = False) -> list[Path]:
    """Rebuild every bundled dataset under `root`, or with `check` only compare.

    Returns:
        The files whose committed bytes differ from what their source builds (with `check`
        False these have just been rewritten).
    """
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        for dataset in BUNDLED:
            fresh = Path(tmp) / dataset.path.name
            write_jsonl(fresh, dataset.records(root))
            target = root / dataset.path
            if target.is_file() and filecmp.cmp(fresh, target, shallow=False):
                continue
            stale.append(target)
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(fresh.read_bytes())
    return stale
