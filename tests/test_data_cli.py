"""`askbuddyx prepare` on a dirty file: no traceback, every problem counted in the report."""

import json

import pytest

from askbuddyx.cli import main, run_main
from askbuddyx.data.io import read_jsonl

SECRET = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def dirty_lines():
    good = [{"instruction": f"Write a function that returns item {i} of a list called data{i}",
             "input": "", "output": f"def item_{i}(data{i}):\n    return data{i}[{i}]"}
            for i in range(40)]
    lines = [json.dumps(r) for r in good]
    lines += [
        "{bad json",                                                       # 41 malformed
        json.dumps({"instruction": "no answer here"}),                     # 42 missing field
        json.dumps({"instruction": "empty answer", "output": "   "}),     # 43 empty output
        json.dumps(good[3]),                                               # 44 exact duplicate
        json.dumps({**good[5], "instruction": good[5]["instruction"] + "!"}),  # 45 near dup
        json.dumps({"instruction": "Print many lines", "input": "",       # 46 oversize
                    "output": "print('x')\n" * 400}),
        json.dumps({"instruction": "Configure the client", "input": "",   # 47 a secret
                    "output": f"stripe.api_key = '{SECRET}'"}),
    ]
    return lines


@pytest.fixture
def dirty(tmp_path):
    path = tmp_path / "dirty.jsonl"
    path.write_bytes(("\n".join(dirty_lines()) + "\n").encode() + b'{"instruction": "\xff"}\n')
    return path


def test_prepare_command_counts_every_problem(tmp_path, dirty, root, capsys):
    out = tmp_path / "out"
    code = run_main(main, ["prepare", "--input", str(dirty), "--curated",
                           str(root / "assets/datasets/curated_runnable_first.jsonl"),
                           "--output-dir", str(out), "--max-seq-length", "700",
                           "--max-bad-fraction", "0.2",
                           "--model", str(root / "assets/models/askbuddyx-tiny-qwen2-4bit")])
    printed = capsys.readouterr().out
    assert code == 0
    metrics = json.loads((out / "data.json").read_text())
    src = metrics["sources"]["dirty"]
    assert src["lines"] == 48 and src["malformed"] == 4  # bad JSON, missing, empty, not UTF-8
    assert metrics["duplicates"] == {"exact": 1, "near": 1}
    assert metrics["overlong"] == {"truncated": 1, "dropped": 0}
    assert metrics["redactions"]["stripe_secret_key"] == 1
    assert metrics["tokens"]["max"] <= 700 < metrics["tokens"]["max_before_fit"]
    # more curated than other records here: the 0.16 ratio is met without copies
    assert metrics["heldout_curated"] == 8 and metrics["curated_copies_added"] == 0
    report = (out / "data_report.md").read_text()
    for line in (41, 42, 43, 48):
        assert f"{dirty}:{line} " in report
    assert "truncated" in report and "near" in report and SECRET not in report
    for name in ("processed/train.jsonl", "processed/val.jsonl", "processed/heldout.jsonl",
                 "training_ready/train.jsonl", "training_ready/valid.jsonl"):
        assert SECRET not in (out / name).read_text()
    chats = read_jsonl(out / "training_ready" / "train.jsonl")
    assert chats and all(len(c["messages"]) == 3 for c in chats)
    assert "4 malformed" in printed and "1 exact + 1 near" in printed


def test_prepare_command_fails_cleanly(tmp_path, dirty, capsys):
    code = run_main(main, ["prepare", "--input", str(dirty), "--output-dir", str(tmp_path),
                           "--max-bad-fraction", "0.01"])
    assert code == 2 and "are malformed" in capsys.readouterr().err
    weird = tmp_path / "weird.jsonl"
    weird.write_text('{"text": "hi"}\n')
    code = run_main(main, ["prepare", "--input", str(weird), "--output-dir", str(tmp_path)])
    assert code == 2 and "weird.jsonl: unknown record format" in capsys.readouterr().err


def good_lines(n):
    return [json.dumps({"instruction": f"Write a function that doubles item {i} of data{i}",
                        "input": "", "output": f"def double_{i}(data):\n    return 2 * data[{i}]"})
            for i in range(n)]


def test_prepare_runs_from_any_directory_with_the_project_tokenizer(tmp_path, monkeypatch,
                                                                     capsys):
    """No --model: the default tokenizer model is the project's, not ./assets/..."""
    monkeypatch.chdir(tmp_path)  # a directory without assets/
    (tmp_path / "mine.jsonl").write_text("\n".join(good_lines(30)) + "\n")
    code = run_main(main, ["prepare", "--input", "mine.jsonl", "--output-dir", "out",
                           "--val-fraction", "0.1"])
    assert code == 0, capsys.readouterr().err
    assert json.loads((tmp_path / "out/data.json").read_text())["val"] == 3
    assert (tmp_path / "out/training_ready/train.jsonl").is_file()


def test_too_small_input_names_the_flag_and_still_writes_the_report(tmp_path, capsys):
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(good_lines(3)) + "\n{bad json\n")
    out = tmp_path / "out"
    code = run_main(main, ["prepare", "--input", str(small), "--output-dir", str(out)])
    assert code == 2 and "raise --max-bad-fraction" in capsys.readouterr().err  # 1 of 4 bad
    code = run_main(main, ["prepare", "--input", str(small), "--output-dir", str(out),
                           "--max-bad-fraction", "0.5"])
    err = capsys.readouterr().err
    assert code == 2 and "too few to split with --val-fraction=0.02" in err
    assert "raise --val-fraction" in err and "data.val_fraction" not in err
    report = (out / "data_report.md").read_text()
    assert "| lines read | 4 |" in report and f"{small}:4 " in report  # the bad line, listed
    assert not (out / "processed/train.jsonl").exists()  # nothing split, nothing written
    code = run_main(main, ["prepare", "--input", str(small), "--output-dir", str(out),
                           "--near-dup-threshold", "1.5"])
    assert code == 2 and "--near-dup-threshold must be in (0, 1]" in capsys.readouterr().err


def test_build_datasets_checks_and_rebuilds_the_committed_files(tmp_path, root, capsys):
    import shutil

    assert run_main(main, ["build-datasets", "--check", "--root", str(root)]) == 0
    assert run_main(main, ["build-datasets", "--root", str(tmp_path)]) == 2
    assert "Pass --root" in capsys.readouterr().err
    shutil.copytree(root / "assets" / "curated", tmp_path / "assets" / "curated")
    stale = tmp_path / "assets" / "datasets" / "curated_runnable_first.jsonl"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}\n", encoding="utf-8")
    capsys.readouterr()
    assert run_main(main, ["build-datasets", "--check", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"stale: {stale}" in out and "code_tasks.jsonl" in out  # missing counts as stale
    assert stale.read_text(encoding="utf-8") == "{}\n"  # --check changes nothing
    assert run_main(main, ["build-datasets", "--root", str(tmp_path)]) == 0
    for name in ("curated_runnable_first.jsonl", "code_tasks.jsonl"):
        committed = root / "assets" / "datasets" / name
        assert (tmp_path / "assets" / "datasets" / name).read_bytes() == committed.read_bytes()
