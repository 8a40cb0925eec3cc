"""Pure answer checks, scoring a few cases, base/adapter deltas, and the bundle's file list."""

import json

import pytest

from askbuddyx.errors import AskBuddyXError
from askbuddyx.eval.cases import Case
from askbuddyx.eval.checks import compile_check, extract_code, format_check, sanity_check
from askbuddyx.eval.compare import delta
from askbuddyx.eval.scoring import score_cases
from askbuddyx.prompting import has_runnable_first_format
from askbuddyx.publish.bundle import REQUIRED, make_bundle

GOOD = ("### Solution\n```python\ndef rev(s):\n    return s[::-1]\n```\n\n### Usage\n```python\n"
        "print(rev('ab'))\n```\n\n### Sanity test\n```python\nassert rev('ab') == 'ba'\n```")


def test_format_check_requires_order():
    assert format_check(GOOD)["passed"]
    swapped = GOOD.replace("### Usage", "### TMP").replace("### Sanity test", "### Usage")
    assert not has_runnable_first_format(swapped.replace("### TMP", "### Sanity test"))
    assert not format_check("def f(): pass")["passed"]


def test_extract_and_compile():
    assert "return s[::-1]" in extract_code(GOOD)
    assert compile_check(GOOD)["passed"]
    bad = compile_check("```python\ndef f(:\n```")
    assert not bad["compiles"] and "SyntaxError" in bad["error"]
    assert compile_check("def g(x):\n    return x\n")["passed"]  # unfenced code


def test_sanity_check():
    assert sanity_check("def f():\n    return 1")["passed"]
    assert not sanity_check("ok")["passed"]
    assert not sanity_check("I cannot help with that request at all")["passed"]


def test_score_and_delta():
    cases = [Case("sanity", "p"), Case("compile", "p"), Case("format", "p", kind="code")]
    rates, records = score_cases(cases, [GOOD, GOOD, "def f(): pass"])
    assert rates["seed_sanity_pass_rate"] == 1.0 and rates["format_rate_heldout"] == 0.0
    assert len(records) == 3 and records[2].passed is False
    assert records[2].to_dict()["runnable"] is True  # `def f(): pass` runs, format or not
    base = dict(rates, format_rate_heldout=0.0)
    assert delta(base, dict(rates, format_rate_heldout=1.0))["format_rate_heldout"] == 1
    assert delta({"a": 0.5, "b": None}, {"a": 0.25}) == {"a": -0.25}  # unmeasured: no delta


def test_bundle_complete_and_missing_files(tmp_path, root):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapters.safetensors").write_bytes(b"weights")
    (adapter / "adapter_config.json").write_text("{}")
    with pytest.raises(AskBuddyXError, match="run_meta.json"):
        make_bundle(adapter, root, tmp_path / "b", "me/x", "base")
    (adapter / "run_meta.json").write_text(json.dumps({"seed": 0}))
    out = make_bundle(adapter, root, tmp_path / "b", "me/x", "base")
    assert sorted(p.name for p in out.iterdir()) == sorted(REQUIRED)
    assert "not affiliated" in (out / "README.md").read_text()
