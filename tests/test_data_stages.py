"""fetch -> prepare -> build_text library functions, on small files made by the tests."""

import json

import pytest

from askbuddyx.data.build_text import build_training_text
from askbuddyx.data.fetch import fetch_sources
from askbuddyx.data.io import read_jsonl
from askbuddyx.data.prepare import (
    PrepareConfig,
    apply_weights,
    mix_curated,
    prepare_dataset,
    stratified_split,
)
from askbuddyx.errors import AskBuddyXError

GITHUB_PAT = "ghp_" + "b" * 36


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def rec(i, out=None):
    return json.dumps({"instruction": f"Task number {i}: compute value {i * 7919 % 1000}",
                       "input": "", "output": out or f"def f{i}():\n    return {i}"})


@pytest.fixture
def raw_sources(tmp_path):
    plain = [rec(i) for i in range(60)]
    plain.append(rec(0))  # exact duplicate
    plain.append("{not json")
    plain.append(json.dumps({"instruction": "no output"}))
    plain.append(json.dumps({"instruction": "leak", "input": "",
                             "output": "token = '" + GITHUB_PAT + "'"}))
    curated = [json.dumps({"instruction": f"Curated example {i}: {'abcdefghijkl'[i]} things",
                           "input": "",
                           "output": f"### Solution\nx{i}\n### Usage\ny\n### Sanity test\nz"})
               for i in range(12)]
    write(tmp_path / "plain.jsonl", plain)
    write(tmp_path / "cur.jsonl", curated)
    return [
        {"name": "plain", "kind": "local", "path": str(tmp_path / "plain.jsonl")},
        {"name": "curated", "kind": "local", "path": str(tmp_path / "cur.jsonl"),
         "curated": True},
    ]


def prepare(tmp_path, sources, tokenizer, **overrides):
    fetch_sources(sources, tmp_path / "raw")
    config = PrepareConfig(seed=42, val_fraction=0.1, curated_ratio=0.16, curated_holdout=2,
                           max_bad_fraction=0.1, min_val=1, max_seq_length=512)
    return prepare_dataset(tmp_path / "raw", tmp_path / "processed", sources, tokenizer, config,
                           report_path=tmp_path / "report.md", **overrides)


def test_prepare_counts_everything(tmp_path, raw_sources, tokenizer):
    report = prepare(tmp_path, raw_sources, tokenizer)
    assert report["malformed"] == 2
    assert report["sources"]["plain"]["malformed"] == 2
    assert report["duplicates"]["exact"] == 1
    assert report["redactions"]["github_token"] == 1
    assert report["heldout_curated"] == 2
    train = read_jsonl(tmp_path / "processed" / "train.jsonl")
    assert all(GITHUB_PAT not in r["output"] for r in train)
    assert all(isinstance(r["tokens"], int) and r["tokens"] <= 512 for r in train)
    assert 0.15 <= report["curated_share_of_train"] <= 0.2
    heldout = {r["instruction"] for r in read_jsonl(tmp_path / "processed" / "heldout.jsonl")}
    assert not heldout & {r["instruction"] for r in train}
    text = (tmp_path / "report.md").read_text()
    # malformed lines are listed under the user's file name and original line number
    assert f"{raw_sources[0]['path']}:62" in text and f"{raw_sources[0]['path']}:63" in text


def test_prepare_is_deterministic(tmp_path, raw_sources, tokenizer):
    prepare(tmp_path / "a", raw_sources, tokenizer)
    prepare(tmp_path / "b", raw_sources, tokenizer)
    for name in ("processed/train.jsonl", "processed/val.jsonl", "processed/heldout.jsonl",
                 "report.md"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_too_many_bad_lines_is_a_clear_error_naming_the_file(tmp_path, raw_sources, tokenizer):
    with pytest.raises(AskBuddyXError, match=r"plain\.jsonl are malformed"):
        prepare(tmp_path, raw_sources, tokenizer, max_bad_fraction=0.01)


def test_missing_dataset_file_is_a_clear_error(tmp_path):
    sources = [{"name": "x", "kind": "local", "path": str(tmp_path / "nope.jsonl")}]
    with pytest.raises(AskBuddyXError, match="Dataset file not found"):
        fetch_sources(sources, tmp_path / "raw")


@pytest.mark.parametrize("bad,match", [
    ({"weight": 0}, "weight"),
    ({"weight": 2, "curated": True}, "curated_ratio"),
    ({"wieght": 2}, "unknown key"),
])
def test_bad_source_entries_are_clear_errors(tmp_path, bad, match):
    source = {"name": "x", "kind": "local", "path": str(tmp_path / "x.jsonl"), **bad}
    with pytest.raises(AskBuddyXError, match=match):
        fetch_sources([source], tmp_path / "raw")


def test_fetch_refuses_a_local_source_outside_the_tracked_folders(tmp_path):
    inside, outside = tmp_path / "tracked", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    write(inside / "a.jsonl", [rec(1)])
    write(outside / "b.jsonl", [rec(2)])
    ok = [{"name": "a", "kind": "local", "path": str(inside / "a.jsonl")}]
    assert fetch_sources(ok, tmp_path / "raw", tracked_dirs=[inside]) == {"a": 1}
    bad = ok + [{"name": "b", "kind": "local", "path": str(outside / "../elsewhere/b.jsonl")}]
    with pytest.raises(AskBuddyXError, match="outside the folders the fetch_data stage depends"
                       ) as err:
        fetch_sources(bad, tmp_path / "raw", tracked_dirs=[inside])
    assert "data/sources" in err.value.hint


def test_fetch_keeps_line_numbers_and_bytes(tmp_path):
    src = tmp_path / "src.jsonl"
    src.write_bytes(b'{"a": 1}\n\n{"b": "\xff"}\r\n{"c": 3}\n')
    fetch_sources([{"name": "s", "kind": "local", "path": str(src), "limit": 2}],
                  tmp_path / "raw")
    assert (tmp_path / "raw" / "s.jsonl").read_bytes() == b'{"a": 1}\n\n{"b": "\xff"}\n'


def test_hub_unreachable_fails_fast_with_the_offline_hint(tmp_path):
    sources = [{"name": "alpaca", "kind": "hub", "dataset_id": "flwrlabs/code-alpaca-20k",
                "limit": 5}]
    with pytest.raises(AskBuddyXError, match="Use an offline profile"):
        fetch_sources(sources, tmp_path / "raw")


def records(n_plain, n_curated, source="plain"):
    out = [{"instruction": str(i), "input": "", "output": "o", "source": source,
            "curated": False} for i in range(n_plain)]
    out += [{"instruction": f"c{i}", "input": "", "output": "o", "source": "cur",
             "curated": True} for i in range(n_curated)]
    return out


def test_split_is_stratified_by_source_and_holds_curated_out():
    data = records(500, 60) + records(100, 0, source="other")
    train, val, heldout = stratified_split(data, 0.1, seed=1, curated_holdout=4)
    assert len(heldout) == 4 and all(r["curated"] for r in heldout)
    by = {s: sum(r["source"] == s for r in val) for s in ("plain", "cur", "other")}
    assert by == {"plain": 50, "cur": 6, "other": 10}
    assert len(train) + len(val) + len(heldout) == len(data)
    held = {r["instruction"] for r in heldout}
    assert not held & {r["instruction"] for r in train + val}


def test_split_of_one_source_does_not_depend_on_the_others():
    a = stratified_split(records(200, 20), 0.1, seed=3, curated_holdout=2)
    b = stratified_split(records(200, 20) + records(50, 0, source="new"), 0.1, seed=3,
                         curated_holdout=2)
    assert ({r["instruction"] for r in a[1] if r["source"] == "plain"}
            == {r["instruction"] for r in b[1] if r["source"] == "plain"})


def test_weights_and_curated_mix():
    train = records(100, 0) + records(100, 0, source="other") + records(0, 20)
    sources = [{"name": "plain", "weight": 2}, {"name": "other", "weight": 0.5},
               {"name": "cur", "curated": True}]
    weighted = apply_weights(train, sources, seed=1)
    counts = {s: sum(r["source"] == s for r in weighted) for s in ("plain", "other", "cur")}
    assert counts == {"plain": 200, "other": 50, "cur": 20}
    mixed, copies = mix_curated(weighted, 0.25, seed=1)
    share = sum(r["curated"] for r in mixed) / len(mixed)
    assert copies > 0 and 0.24 <= share <= 0.27


def test_build_text_writes_chats_within_budget(tmp_path, tokenizer, raw_sources):
    prepare(tmp_path, raw_sources, tokenizer)
    stats = build_training_text(tmp_path / "processed", tmp_path / "ready", 512)
    rows = read_jsonl(tmp_path / "ready" / "train.jsonl")
    assert len(rows) == stats["train"]["examples"] > 0
    assert [m["role"] for m in rows[0]["messages"]] == ["system", "user", "assistant"]
    assert 0 < stats["tokens"]["max"] <= 512
    with pytest.raises(AskBuddyXError, match="max_seq_length"):
        build_training_text(tmp_path / "processed", tmp_path / "ready2", 20)


def test_a_multi_turn_chat_trains_on_every_answer_in_one_split(tmp_path, tokenizer,
                                                               raw_sources):
    chat = {"messages": [
        {"role": "user", "content": "Write a function that squares a number"},
        {"role": "assistant", "content": "def square(x):\n    return x * x"},
        {"role": "user", "content": "Now make it cube the number, key " + GITHUB_PAT},
        {"role": "assistant", "content": "def cube(x):\n    return x ** 3"},
        {"role": "user", "content": "Add a docstring"},
        {"role": "assistant", "content": 'def cube(x):\n    """x cubed."""\n    return x ** 3'}]}
    others = [json.dumps({"messages": [{"role": "user", "content": r["instruction"]},
                                       {"role": "assistant", "content": r["output"]}]})
              for r in map(json.loads, (rec(i) for i in range(70, 90)))]
    write(tmp_path / "chats.jsonl", [json.dumps(chat)] * 2 + others)
    sources = raw_sources + [{"name": "chats", "kind": "local",
                              "path": str(tmp_path / "chats.jsonl")}]
    metrics = prepare(tmp_path, sources, tokenizer)
    assert metrics["duplicates"]["exact"] >= 3  # the second copy of the chat, answer by answer
    build_training_text(tmp_path / "processed", tmp_path / "ready", 512)
    splits = {name: read_jsonl(tmp_path / "ready" / f"{name}.jsonl") for name in ("train", "valid")}
    answers = {name: [r["messages"] for r in rows
                      if any("def square" in m["content"] for m in r["messages"])]
               for name, rows in splits.items()}
    where = [name for name, chats in answers.items() if chats]
    assert len(where) == 1, "the chat's answers must not be split between train and valid"
    chats = answers[where[0]]
    assert sorted(m[-1]["content"][:12] for m in chats) == ["def cube(x):", "def cube(x):",
                                                            "def square(x"]
    last = max(chats, key=len)
    assert [m["role"] for m in last] == ["system"] + ["user", "assistant"] * 3
    assert GITHUB_PAT not in json.dumps(chats)  # the earlier turns are redacted too


def test_fast_chat_writer_gives_write_jsonl_bytes(tmp_path):
    from askbuddyx.data.build_text import write_chats
    from askbuddyx.data.io import write_jsonl
    from askbuddyx.data.lengths import record_to_messages

    chats = [record_to_messages({"instruction": f"Task é {i}", "input": "x\n\"y\"",
                                 "output": f"print({i})\t# ü"}) for i in range(3)]
    write_chats(tmp_path / "a.jsonl", chats)
    write_jsonl(tmp_path / "b.jsonl", ({"messages": m} for m in chats))
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_the_holdout_is_drawn_per_kind_and_heldout_jsonl_carries_the_kind(tmp_path, tokenizer):
    code = [{"instruction": f"Write function number {i} for {'abcdefghij'[i]}", "input": "",
             "output": f"### Solution\nf{i}\n### Usage\nf{i}()\n### Sanity test\nassert f{i}"}
            for i in range(10)]
    prose = [{"instruction": f"Explain idea {'klmnop'[i]} to me", "input": "",
              "output": f"Idea {i} is explained here in plain words.", "kind": "explain"}
             for i in range(6)]
    write(tmp_path / "cur.jsonl", [json.dumps(r) for r in code + prose])  # code: kind inferred
    write(tmp_path / "plain.jsonl", [rec(i) for i in range(40)])
    sources = [{"name": "plain", "kind": "local", "path": str(tmp_path / "plain.jsonl")},
               {"name": "curated", "kind": "local", "path": str(tmp_path / "cur.jsonl"),
                "curated": True}]
    report = prepare(tmp_path, sources, tokenizer, curated_holdout={"code": 3, "explain": 2})
    heldout = read_jsonl(tmp_path / "processed" / "heldout.jsonl")
    assert [r["kind"] for r in heldout] == ["code"] * 3 + ["explain"] * 2
    assert report["heldout_by_kind"] == {"code": 3, "explain": 2}
    assert all("Explain" in r["instruction"] for r in heldout if r["kind"] == "explain")
    train = read_jsonl(tmp_path / "processed" / "train.jsonl")
    assert {r.get("kind") for r in train if r["curated"]} == {"code", "explain"}
    assert all("kind" not in r for r in train if not r["curated"])


def test_the_per_kind_draw_is_seeded_and_refuses_too_many_of_a_kind():
    from askbuddyx.data.prepare import pick_curated_holdout

    curated = [{"id": i, "kind": "code" if i % 4 else "explain"} for i in range(40)]
    plan = {"explain": 2, "code": 5}  # the order of the mapping does not matter
    first = pick_curated_holdout(curated, 7, plan)
    assert first == pick_curated_holdout(curated, 7, {"code": 5, "explain": 2})
    assert [r["kind"] for r in first] == ["code"] * 5 + ["explain"] * 2
    assert first != pick_curated_holdout(curated, 8, plan)
    data = [{**r, "instruction": str(r["id"]), "source": "cur", "curated": True}
            for r in curated]
    assert [r["id"] for r in stratified_split(data, 0.1, 7, plan)[2]] == [r["id"] for r in first]
    with pytest.raises(AskBuddyXError, match="6 of the 10 curated 'explain' examples"):
        pick_curated_holdout(curated, 7, {"explain": 6})


@pytest.mark.parametrize("bad", [{"prose": 1}, {"code": -1}, "8", 2.5, True])
def test_a_malformed_curated_holdout_is_a_clear_error(bad):
    with pytest.raises(AskBuddyXError, match="count per kind or one count"):
        PrepareConfig(curated_holdout=bad).check()


def test_a_curated_record_with_an_unknown_kind_is_refused(tmp_path, tokenizer):
    write(tmp_path / "cur.jsonl", [json.dumps({"instruction": "Do a thing", "output": "done",
                                               "kind": "poem"})])
    sources = [{"name": "cur", "kind": "local", "path": str(tmp_path / "cur.jsonl"),
                "curated": True}]
    with pytest.raises(AskBuddyXError, match=r"cur\.jsonl:1: kind 'poem'"):
        prepare(tmp_path, sources, tokenizer, curated_holdout=0)
