"""fetch -> prepare -> build_text library functions, on small files made by the tests."""

import json

import pytest

from askbuddyx.data.build_text import build_training_text, fit_messages, record_to_messages
from askbuddyx.data.fetch import fetch_sources
from askbuddyx.data.io import read_jsonl
from askbuddyx.data.prepare import dedupe, mix_curated, prepare_dataset, split_records
from askbuddyx.data.redact import redact_secrets
from askbuddyx.errors import AskBuddyXError

SECRETS = {
    "private_key_block": "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    "aws_access_key_id": "AKIA" + "ABCDEFGHIJKLMNOP",
    "openai_api_key": "sk-" + "a1" * 20,
    "github_pat": "ghp_" + "b" * 36,
    "google_api_key": "AIza" + "c" * 35,
}


@pytest.mark.parametrize("name,secret", SECRETS.items())
def test_each_seed_pattern_is_redacted(name, secret):
    text, counts = redact_secrets(f"key = '{secret}'  # keep this")
    assert secret not in text and "[REDACTED]" in text and "# keep this" in text
    assert counts[name] == 1


def test_ordinary_code_is_untouched():
    code = "import sklearn\nask = 'task-1234'\nsha = 'e3b0c44298fc1c149afbf4c8996fb924'\n"
    assert redact_secrets(code) == (code, {})


def write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def rec(i, out=None, curated=False):
    return json.dumps({"instruction": f"Task number {i}", "input": "",
                       "output": out or f"def f{i}():\n    return {i}"})


@pytest.fixture
def raw_sources(tmp_path):
    plain = [rec(i) for i in range(60)]
    plain.append(rec(0))  # exact duplicate
    plain.append("{not json")
    plain.append(json.dumps({"instruction": "no output"}))
    plain.append(json.dumps({"instruction": "leak", "input": "",
                             "output": "token = '" + SECRETS["github_pat"] + "'"}))
    curated = [json.dumps({"instruction": f"Curated {i}", "input": "",
                           "output": f"### Solution\nx{i}\n### Usage\ny\n### Sanity test\nz"})
               for i in range(12)]
    write(tmp_path / "plain.jsonl", plain)
    write(tmp_path / "cur.jsonl", curated)
    return [
        {"name": "plain", "kind": "local", "path": str(tmp_path / "plain.jsonl")},
        {"name": "curated", "kind": "local", "path": str(tmp_path / "cur.jsonl"),
         "curated": True},
    ]


def prepare(tmp_path, sources, **overrides):
    fetch_sources(sources, tmp_path / "raw")
    kwargs = dict(seed=42, val_fraction=0.1, curated_ratio=0.16, curated_holdout=2,
                  max_bad_fraction=0.1, min_val=1)
    kwargs.update(overrides)
    return prepare_dataset(tmp_path / "raw", tmp_path / "processed", sources, **kwargs)


def test_prepare_counts_everything(tmp_path, raw_sources):
    report = prepare(tmp_path, raw_sources)
    assert report["malformed"] == 2
    assert report["duplicates_exact"] == 1
    assert report["redactions"]["github_pat"] == 1
    assert report["heldout_curated"] == 2
    train = read_jsonl(tmp_path / "processed" / "train.jsonl")
    assert all(SECRETS["github_pat"] not in r["output"] for r in train)
    assert 0.15 <= report["curated_share_of_train"] <= 0.2
    heldout = {r["instruction"] for r in read_jsonl(tmp_path / "processed" / "heldout.jsonl")}
    assert not heldout & {r["instruction"] for r in train}


def test_prepare_is_deterministic(tmp_path, raw_sources):
    prepare(tmp_path / "a", raw_sources)
    prepare(tmp_path / "b", raw_sources)
    for name in ("train.jsonl", "val.jsonl", "heldout.jsonl"):
        a = (tmp_path / "a" / "processed" / name).read_bytes()
        assert a == (tmp_path / "b" / "processed" / name).read_bytes()


def test_too_many_bad_lines_is_a_clear_error(tmp_path, raw_sources):
    with pytest.raises(AskBuddyXError, match="malformed"):
        prepare(tmp_path, raw_sources, max_bad_fraction=0.01)


def test_missing_dataset_file_is_a_clear_error(tmp_path):
    sources = [{"name": "x", "kind": "local", "path": str(tmp_path / "nope.jsonl")}]
    with pytest.raises(AskBuddyXError, match="Dataset file not found"):
        fetch_sources(sources, tmp_path / "raw")


def test_hub_unreachable_fails_fast_with_the_offline_hint(tmp_path):
    sources = [{"name": "alpaca", "kind": "hub", "dataset_id": "flwrlabs/code-alpaca-20k",
                "limit": 5}]
    with pytest.raises(AskBuddyXError, match="embedded offline profile"):
        fetch_sources(sources, tmp_path / "raw")


def test_split_and_mix_helpers():
    records = [{"instruction": str(i), "input": "", "output": "o", "curated": i < 10}
               for i in range(100)]
    kept, dropped = dedupe(records + records[:3])
    assert dropped == 3 and len(kept) == 100
    train, val, heldout = split_records(records, 0.02, seed=1, curated_holdout=4)
    assert len(val) == 2 and len(heldout) == 4 and all(r["curated"] for r in heldout)
    mixed, copies = mix_curated(train, 0.25, seed=1)
    share = sum(r["curated"] for r in mixed) / len(mixed)
    assert copies > 0 and 0.24 <= share <= 0.27


def test_build_text_writes_chats_within_budget(tmp_path, tokenizer, raw_sources):
    prepare(tmp_path, raw_sources)
    stats = build_training_text(tmp_path / "processed", tmp_path / "ready", tokenizer, 200)
    rows = read_jsonl(tmp_path / "ready" / "train.jsonl")
    assert len(rows) == stats["train"]["examples"] > 0
    assert [m["role"] for m in rows[0]["messages"]] == ["system", "user", "assistant"]
    assert stats["tokens"]["max"] <= 200


def test_long_answers_are_cut_deterministically(tokenizer):
    messages = record_to_messages({"instruction": "Write it", "input": "",
                                   "output": "x = 1\n" * 400})
    fitted, n, cut = fit_messages(tokenizer, messages, 256)
    assert cut and n <= 256 and fitted[-1]["content"].startswith("x = 1\n")
    assert fit_messages(tokenizer, messages, 256) == (fitted, n, cut)
