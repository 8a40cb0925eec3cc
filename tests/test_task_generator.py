"""The offline code-alpaca-style generator (askbuddyx.data.code_tasks) and what it built."""

from __future__ import annotations

import collections
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from askbuddyx.data.code_tasks import (
    BUNDLED_COUNT,
    BUNDLED_SEED,
    FAMILIES,
    FAMILY_NAMES,
    Task,
    generate_tasks,
)
from askbuddyx.data.code_tasks.core import FunctionTask
from askbuddyx.data.io import write_jsonl

REPO_ROOT = Path(__file__).resolve().parents[1]
DATASET = REPO_ROOT / "assets" / "datasets" / "code_tasks.jsonl"
COUNT, SEED = BUNDLED_COUNT, BUNDLED_SEED
OUTPUT_FAMILY = "code_output"  # "What is the output of the following code?" records

RUNNER = r"""
import contextlib
import io
import json
import traceback

with open("tasks.json", encoding="utf-8") as fh:
    tasks = json.load(fh)

failures = []
printed = []
for index, task in enumerate(tasks):
    buffer = io.StringIO()
    namespace = {"__name__": "__task__"}
    stage = "output"
    try:
        with contextlib.redirect_stdout(buffer):
            if task["family"] == "code_output":
                stage = "input"
                exec(compile(task["input"], f"<task {index} input>", "exec"), namespace)
            else:
                exec(compile(task["output"], f"<task {index} output>", "exec"), namespace)
            if task["check"]:
                stage = "check"
                exec(compile(task["check"], f"<task {index} check>", "exec"), namespace)
    except BaseException as exc:  # noqa: BLE001 - report everything, SystemExit included
        failures.append({
            "index": index,
            "family": task["family"],
            "error": f"{stage}: {type(exc).__name__}: {exc}",
            "trace": traceback.format_exc(limit=3)[-600:],
        })
        printed.append(buffer.getvalue())
        continue
    stdout = buffer.getvalue()
    printed.append(stdout)
    if task["family"] == "code_output":
        if stdout.strip() != task["output"].strip():
            failures.append({
                "index": index,
                "family": task["family"],
                "error": f"printed {stdout.strip()!r}, record says {task['output'].strip()!r}",
            })
    elif "print(" in task["output"] and not stdout.strip():
        failures.append({"index": index, "family": task["family"], "error": "printed nothing"})

n_printed = sum(1 for s in printed if s)
print(json.dumps({"ran": len(tasks), "printed": n_printed, "failures": failures}))
"""


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    return generate_tasks(COUNT, SEED)


def test_generation_is_deterministic(tasks: list[Task]) -> None:
    assert generate_tasks(COUNT, SEED) == tasks
    assert generate_tasks(50, 7) == generate_tasks(50, 7)


def test_different_seeds_differ() -> None:
    assert generate_tasks(200, 1) != generate_tasks(200, 2)


def test_count_and_edge_cases() -> None:
    assert generate_tasks(0, SEED) == []
    assert len(generate_tasks(7, SEED)) == 7
    with pytest.raises(ValueError):
        generate_tasks(-1, SEED)


def test_committed_dataset_is_up_to_date(tasks: list[Task], tmp_path: Path) -> None:
    fresh = tmp_path / "nested" / "dir" / "code_tasks.jsonl"
    assert write_jsonl(fresh, (task.record() for task in tasks)) == COUNT
    assert DATASET.is_file(), f"{DATASET} is missing; rebuild it: askbuddyx build-datasets"
    assert DATASET.read_bytes() == fresh.read_bytes(), (
        "assets/datasets/code_tasks.jsonl is stale; rebuild it: askbuddyx build-datasets")


def test_jsonl_records_look_like_code_alpaca(tasks: list[Task]) -> None:
    lines = DATASET.read_text(encoding="utf-8").splitlines()
    assert len(lines) == COUNT
    for line, task in zip(lines, tasks, strict=True):
        record = json.loads(line)
        assert list(record) == ["instruction", "input", "output"]
        assert record == {
            "instruction": task.instruction,
            "input": task.input,
            "output": task.output,
        }


def test_families_are_many_and_balanced(tasks: list[Task]) -> None:
    counts = collections.Counter(task.family for task in tasks)
    assert len(counts) >= 40, sorted(counts)
    assert set(counts) <= set(FAMILY_NAMES)
    family, top = counts.most_common(1)[0]
    assert top <= 0.06 * COUNT, f"{family} has {top} of {COUNT} records"


def test_no_exact_duplicates(tasks: list[Task]) -> None:
    keys = [(t.instruction, t.input, t.output) for t in tasks]
    assert len(set(keys)) == len(keys)


def test_no_markdown_in_records(tasks: list[Task]) -> None:
    banned = ("### ", "```", "### Solution", "### Usage", "### Sanity test")
    for index, task in enumerate(tasks):
        for field in (task.instruction, task.input, task.output):
            for marker in banned:
                assert marker not in field, (index, task.family, marker)
        assert task.instruction.strip() and task.output.strip(), (index, task.family)
        if task.family != OUTPUT_FAMILY:
            assert task.check.strip(), (index, task.family)


def test_every_output_really_runs(tasks: list[Task], tmp_path: Path) -> None:
    payload = [
        {"family": t.family, "input": t.input, "output": t.output, "check": t.check}
        for t in tasks
    ]
    (tmp_path / "tasks.json").write_text(json.dumps(payload), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-I", "-c", RUNNER],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ran"] == COUNT
    assert result["failures"] == [], json.dumps(result["failures"][:10], indent=2)
    assert result["printed"] > 0


def test_every_family_draws_its_own_kind_of_record() -> None:
    """Each family, on its own, makes a record of its kind; "write a function" ones render."""
    assert len(FAMILY_NAMES) == len(set(FAMILY_NAMES)) == len(FAMILIES)
    for family in FAMILIES:
        made = family.make(random.Random(0))
        task = family.task(random.Random(0))
        assert task.family == family.name
        assert task.instruction.strip() and task.output.strip(), family.name
        if isinstance(made, FunctionTask):
            assert f"def {made.name}(" in made.code and made.cases, family.name
