"""The curated runnable-first examples (assets/curated/*.md): layout, they run, JSONL in step."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from askbuddyx.config import load_yaml
from askbuddyx.data.curated import (
    CATEGORIES,
    KINDS,
    RECORD_KEYS,
    CuratedError,
    load_curated,
    parse_example,
)
from askbuddyx.data.io import read_jsonl, write_jsonl
from askbuddyx.prompting import HEADINGS, SECTION_KEYS, split_sections

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = REPO_ROOT / "assets" / "curated"
JSONL_PATH = REPO_ROOT / "assets" / "datasets" / "curated_runnable_first.jsonl"

RECORDS = load_curated(SOURCE_DIR)
RUNNABLE = [record for record in RECORDS if record["kind"] == "code"]
EXPLAIN = [record for record in RECORDS if record["kind"] == "explain"]
RUNNABLE_IDS = [record["id"] for record in RUNNABLE]
EXPLAIN_IDS = [record["id"] for record in EXPLAIN]

LARGER_CATEGORIES = ("strings", "lists", "dicts", "errors", "classes", "recursion", "parsing")
PRINT_COMMENT_RE = re.compile(r"^\s*print\(.*\)  # (.*)$")
FORBIDDEN_MODULES = {"socket", "ssl", "http", "ftplib", "smtplib", "subprocess", "requests"}

# Runs every example in ONE interpreter, each via exec() in its own fresh namespace,
# capturing stdout per example and reporting the results as JSON on the real stdout.
RUNNER = r"""
import contextlib
import io
import json
import sys
import traceback

examples = json.loads(sys.stdin.read())
report = {}
for example in examples:
    captured = io.StringIO()
    namespace = {"__name__": "__main__"}
    try:
        with contextlib.redirect_stdout(captured):
            exec(compile(example["code"], "<" + example["id"] + ">", "exec"), namespace)
    except BaseException:
        report[example["id"]] = {"ok": False, "stdout": captured.getvalue(),
                                 "error": traceback.format_exc()}
    else:
        report[example["id"]] = {"ok": True, "stdout": captured.getvalue(), "error": ""}
sys.stdout.write(json.dumps(report))
"""


def _by_id(example_id: str) -> dict[str, str]:
    return next(record for record in RECORDS if record["id"] == example_id)


def _full_code(record: dict[str, str]) -> str:
    sections = split_sections(record["output"])
    return sections["solution"] + "\n" + sections["usage"] + "\n" + sections["sanity"]


def _explain_code(record: dict[str, str]) -> str | None:
    match = re.search(r"```python\n(.*?)\n```", record["output"], re.DOTALL)
    return match.group(1) if match else None


@pytest.fixture(scope="module")
def run_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Run all runnable examples (and explain snippets) once, in one fresh subprocess."""
    workdir = tmp_path_factory.mktemp("run_examples")
    tmpdir = workdir / "tmp"
    tmpdir.mkdir()
    payload = [{"id": record["id"], "code": _full_code(record)} for record in RUNNABLE]
    payload += [
        {"id": record["id"], "code": code}
        for record in EXPLAIN
        if (code := _explain_code(record)) is not None
    ]
    result = subprocess.run(
        [sys.executable, "-I", "-c", RUNNER],
        check=False,
        cwd=workdir,
        input=json.dumps(payload),
        timeout=20,
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tmpdir)},
    )
    assert result.returncode == 0, f"runner crashed:\n{result.stderr}"
    report = json.loads(result.stdout)
    report["__leftovers__"] = sorted(
        str(path.relative_to(workdir)) for path in workdir.rglob("*") if path != tmpdir
    )
    return report


# ------------------------------------------------------------------ collection


def test_ids_are_unique_and_well_formed() -> None:
    ids = [record["id"] for record in RECORDS]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for record in RUNNABLE:
        assert re.fullmatch(r"cur-\d{3}-[a-z0-9]+(?:-[a-z0-9]+)*", record["id"]), record["id"]
    for record in EXPLAIN:
        assert re.fullmatch(r"exp-\d{3}-[a-z0-9]+(?:-[a-z0-9]+)*", record["id"]), record["id"]


def test_instructions_are_unique_case_insensitive() -> None:
    counts = Counter(record["instruction"].strip().lower() for record in RECORDS)
    assert [text for text, n in counts.items() if n > 1] == []


def test_record_keys_and_types() -> None:
    for record in RECORDS:
        assert tuple(record) == RECORD_KEYS, record["id"]
        assert all(isinstance(value, str) for value in record.values()), record["id"]
        assert record["instruction"].strip(), record["id"]
        assert record["kind"] in KINDS and record["category"] in CATEGORIES, record["id"]


def test_category_counts() -> None:
    counts = Counter(record["category"] for record in RUNNABLE)
    assert len(RUNNABLE) >= 90
    assert set(counts) >= set(CATEGORIES) - {"language"}
    for category in set(CATEGORIES) - {"language"}:
        assert counts[category] >= 5, (category, counts[category])
    for category in LARGER_CATEGORIES:
        assert counts[category] >= 7, (category, counts[category])


def test_about_a_fifth_are_explanations_and_the_holdout_leaves_most_for_training() -> None:
    from askbuddyx.data.prepare import pick_curated_holdout

    assert 0.18 <= len(EXPLAIN) / len(RECORDS) <= 0.22
    data = load_yaml(REPO_ROOT / "params.yaml")["data"]
    held = Counter(r["kind"] for r in pick_curated_holdout(RECORDS, data["seed"],
                                                          data["curated_holdout"]))
    assert held == {"code": 16, "explain": 4}
    assert len(RUNNABLE) - held["code"] >= 4 * held["code"]
    assert len(EXPLAIN) - held["explain"] >= 4 * held["explain"]


# ------------------------------------------------------------- runnable format


@pytest.mark.parametrize("example_id", RUNNABLE_IDS)
def test_runnable_layout(example_id: str) -> None:
    output = _by_id(example_id)["output"]
    lines = output.split("\n")
    positions = []
    for heading in HEADINGS:
        assert lines.count(heading) == 1, f"{example_id}: {heading!r} must appear once"
        positions.append(lines.index(heading))
    assert positions == sorted(positions), f"{example_id}: headings out of order"
    assert sum(line.startswith("```") for line in lines) == 6, f"{example_id}: extra fences"


@pytest.mark.parametrize("example_id", RUNNABLE_IDS)
def test_sections_and_docstrings(example_id: str) -> None:
    sections = split_sections(_by_id(example_id)["output"])
    assert all(sections[key].strip() for key in SECTION_KEYS), example_id

    solution_tree = ast.parse(sections["solution"])
    defs = [
        node
        for node in ast.walk(solution_tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ]
    assert defs, f"{example_id}: the solution defines no function or class"

    # Every function/class anywhere in the example is documented.
    for node in ast.walk(ast.parse(_full_code(_by_id(example_id)))):
        if isinstance(node, ast.ClassDef):
            assert ast.get_docstring(node), f"{example_id}: class {node.name} has no docstring"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node) or ""
            assert "Args:" in doc and "Returns:" in doc, (
                f"{example_id}: {node.name} needs a docstring with Args: and Returns:"
            )


@pytest.mark.parametrize("example_id", RUNNABLE_IDS)
def test_standard_library_only_and_no_long_sleeps(example_id: str) -> None:
    tree = ast.parse(_full_code(_by_id(example_id)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        else:
            modules = []
        for module in modules:
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names, f"{example_id}: non-stdlib import {module}"
            assert top not in FORBIDDEN_MODULES, f"{example_id}: forbidden import {module}"
            assert module != "urllib.request", f"{example_id}: no network access"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "sleep"
            and node.args
        ):
            delay = node.args[0]
            if isinstance(delay, ast.Constant):
                assert delay.value <= 0.01, f"{example_id}: sleeps longer than 0.01 s"


# ------------------------------------------------------------------- execution


@pytest.mark.parametrize("example_id", RUNNABLE_IDS)
def test_runnable_example_runs(run_report: dict[str, dict], example_id: str) -> None:
    result = run_report[example_id]
    assert result["ok"], f"{example_id} failed:\n{result['error']}"


@pytest.mark.parametrize("example_id", RUNNABLE_IDS)
def test_usage_comments_match_printed_output(run_report: dict[str, dict], example_id: str) -> None:
    usage = split_sections(_by_id(example_id)["output"])["usage"]
    expected = [m.group(1) for line in usage.splitlines() if (m := PRINT_COMMENT_RE.match(line))]
    assert expected, f"{example_id}: usage should print something, with the output in a comment"
    printed = run_report[example_id]["stdout"].splitlines()
    assert printed == expected, f"{example_id}: printed {printed!r}, comments say {expected!r}"


def test_examples_leave_no_files_behind(run_report: dict[str, dict]) -> None:
    assert run_report["__leftovers__"] == []


def test_one_example_runs_standalone(tmp_path: Path) -> None:
    """The plain form of the check: one file example in its own fresh interpreter."""
    record = next(record for record in RUNNABLE if record["category"] == "files")
    result = subprocess.run(
        [sys.executable, "-I", "-c", _full_code(record)],
        check=False,
        cwd=tmp_path,
        timeout=20,
        capture_output=True,
    )
    assert result.returncode == 0, f"{record['id']}:\n{result.stderr.decode()}"


# --------------------------------------------------------------------- explain


@pytest.mark.parametrize("example_id", EXPLAIN_IDS)
def test_explain_examples_have_no_runnable_format(
    run_report: dict[str, dict], example_id: str
) -> None:
    output = _by_id(example_id)["output"]
    assert "###" not in output, f"{example_id}: explain answers must not use headings"
    fences = [line for line in output.split("\n") if line.startswith("```")]
    assert len(fences) in (0, 2), f"{example_id}: at most one fenced example"
    prose = re.sub(r"```python\n.*?\n```", "", output, flags=re.DOTALL).strip()
    assert prose and not output.startswith("```"), f"{example_id}: answer should start with prose"
    for paragraph in prose.split("\n\n"):
        assert "\n" not in paragraph.strip(), f"{example_id}: prose paragraphs are single lines"
    if example_id in run_report:
        assert run_report[example_id]["ok"], run_report[example_id]["error"]


# ------------------------------------------------------ the Markdown source and its JSONL


def test_committed_jsonl_is_what_the_markdown_builds(tmp_path: Path) -> None:
    fresh = tmp_path / "curated_runnable_first.jsonl"
    write_jsonl(fresh, RECORDS)
    assert read_jsonl(JSONL_PATH) == RECORDS
    assert JSONL_PATH.read_bytes() == fresh.read_bytes(), (
        "assets/datasets/curated_runnable_first.jsonl is stale: run `askbuddyx build-datasets`")


def test_an_answer_is_the_markdown_after_the_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "exp-001-demo.md"
    path.write_text("---\nid: exp-001-demo\nkind: explain\ncategory: language\n"
                    "instruction: 'Why: this?'\n---\n\nOne paragraph, kept as written.\n\n"
                    "A second one.\n", encoding="utf-8")
    assert parse_example(path) == {"id": "exp-001-demo", "kind": "explain",
                                   "category": "language", "instruction": "Why: this?", "input": "",
                                   "output": "One paragraph, kept as written.\n\nA second one."}


def _write_example(folder: Path, example_id: str, front: str, answer: str) -> Path:
    path = folder / f"{example_id}.md"
    path.write_text(f"---\n{front}\n---\n\n{answer}\n", encoding="utf-8")
    return path


GOOD_CODE = RUNNABLE[0]["output"]


CODE_FRONT = "id: cur-001-x\nkind: code\ncategory: strings\ninstruction: Do it"
EXPLAIN_FRONT = "id: exp-001-x\nkind: explain\ncategory: language\ninstruction: Why?"
BROKEN = {  # what is wrong: (front matter, answer, the error it gets)
    "missing-key": ("id: cur-001-x\nkind: code\ncategory: strings", GOOD_CODE,
                    r"lacks \['instruction'\]"),
    "unknown-key": (CODE_FRONT + "\nauthor: me", GOOD_CODE, r"unknown keys \['author'\]"),
    "kind": (CODE_FRONT.replace("code", "recipe"), GOOD_CODE, "unknown kind"),
    "category": (CODE_FRONT.replace("strings", "poetry"), GOOD_CODE, "unknown category"),
    "yaml-bool": (CODE_FRONT.replace("Do it", "yes"), GOOD_CODE, "non-empty strings"),
    "id-vs-file": (CODE_FRONT.replace("cur-001-x", "cur-002-y"), GOOD_CODE, "match the file name"),
    "no-usage": (CODE_FRONT, GOOD_CODE.replace("### Usage\n", ""), "expected exactly"),
    "bare-fence": (CODE_FRONT, GOOD_CODE.replace("### Usage\n```python", "### Usage\n```"),
                   "expected exactly"),
    "code-as-prose": (CODE_FRONT, "Just prose.", "expected exactly"),
    "explain-headings": (EXPLAIN_FRONT, GOOD_CODE, "must not use '###'"),
    "explain-code-first": (EXPLAIN_FRONT, "```python\nx = 1\n```\n\nThen.",
                           "must start with prose"),
    "explain-wrapped": (EXPLAIN_FRONT, "One\nparagraph on two lines.", "spans several lines"),
}


@pytest.mark.parametrize(("front", "answer", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_example_is_refused_with_its_file_named(
    tmp_path: Path, front: str, answer: str, message: str
) -> None:
    example_id = re.search(r"(cur|exp)-001-x", front)
    path = _write_example(tmp_path, example_id.group(0) if example_id else "cur-001-x", front,
                          answer)
    with pytest.raises(CuratedError, match=message) as caught:
        parse_example(path)
    assert str(path) in str(caught.value) and caught.value.hint


def test_a_file_without_front_matter_or_a_repeated_prompt_is_refused(tmp_path: Path) -> None:
    (tmp_path / "cur-001-x.md").write_text(GOOD_CODE, encoding="utf-8")
    with pytest.raises(CuratedError, match="no YAML front matter"):
        load_curated(tmp_path)
    for example_id in ("cur-001-x", "cur-002-y"):
        front = CODE_FRONT.replace("cur-001-x", example_id).replace("Do it", "Same prompt")
        _write_example(tmp_path, example_id, front, GOOD_CODE)
    with pytest.raises(CuratedError, match="same instruction in several files"):
        load_curated(tmp_path)
    with pytest.raises(CuratedError, match="No curated examples"):
        load_curated(tmp_path / "empty")
