"""Tests for the offline code-alpaca-style dataset generator."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
from pathlib import Path

import pytest

from askbuddyx.data import task_generator
from askbuddyx.data.io import write_jsonl
from askbuddyx.data.task_generator import FAMILY_NAMES, Task, generate_tasks

REPO_ROOT = Path(__file__).resolve().parents[1]
DATASET = REPO_ROOT / "assets" / "datasets" / "code_tasks.jsonl"
COUNT, SEED = 2400, 1234
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
    assert write_jsonl(fresh, (t.record() for t in tasks)) == COUNT
    assert DATASET.is_file(), f"{DATASET} is missing; regenerate it with the module's CLI"
    assert DATASET.read_bytes() == fresh.read_bytes(), (
        "assets/datasets/code_tasks.jsonl is stale; regenerate it with "
        "python -m askbuddyx.data.task_generator --count 2400 --seed 1234 "
        "--output assets/datasets/code_tasks.jsonl"
    )


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


def test_cli_writes_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "tasks.jsonl"
    assert task_generator.main(["--count", "25", "--seed", "3", "--output", str(out)]) == 0
    assert "25" in capsys.readouterr().out
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 25
    expected = tmp_path / "expected.jsonl"
    write_jsonl(expected, (t.record() for t in generate_tasks(25, 3)))
    assert out.read_bytes() == expected.read_bytes()
