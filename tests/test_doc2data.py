"""askbuddyx.data.doc2data: Markdown -> question/answer pairs by its documented rules."""

import json
import subprocess
import sys

import pytest

from askbuddyx.data.doc2data import doc_to_pairs, parse_blocks
from askbuddyx.errors import AskBuddyXError

DOC = """Intro text before any heading.

# 2. Harbour Rules

Boats dock at pier **seven** after
sunset, never before.

- **Tideglass**: the brass gauge on the north wall.
- Keeper: Alma Rusk

## Signal flags

- red over white
- two blues

```python
def hoist(flag):
    return flag.upper()
```

## Empty
"""


def test_every_rule_asks_with_the_documents_own_text():
    result = doc_to_pairs(DOC, "harbour.md")
    qa = {r["instruction"]: r["output"] for r in result.train}
    assert qa["What is Tideglass?"] == "Tideglass: the brass gauge on the north wall."
    assert qa["Define Keeper."] == "Keeper: Alma Rusk"
    # numbering and markup go from the heading; a paragraph's lines are joined
    assert qa["What does the document say about Harbour Rules?"] == \
        "Boats dock at pier seven after sunset, never before."
    assert qa["List the signal flags."] == "- red over white\n- two blues"
    assert qa["Show the code for Signal flags."] == \
        "```python\ndef hoist(flag):\n    return flag.upper()\n```"
    assert result.report["pairs_by_rule"] == {"definition": 4, "section": 2, "list": 2,
                                              "code": 2}
    assert result.report["skipped"] == {"before_first_heading": 1, "empty_section": 1}


def test_heldout_questions_are_rephrasings_never_trained_on():
    result = doc_to_pairs(DOC)
    trained = {r["instruction"] for r in result.train}
    held = {r["instruction"]: r for r in result.heldout}
    assert len(held) == result.report["facts"] == 5
    assert not trained & set(held)
    assert held["What does Tideglass mean?"]["output"].startswith("Tideglass: the brass")
    assert held["Which signal flags are there?"]["rule"] == "list"


def test_a_document_without_headings_or_with_an_open_fence_is_refused():
    with pytest.raises(AskBuddyXError, match="No question could be made"):
        doc_to_pairs("just some words\n\nand more")
    with pytest.raises(AskBuddyXError, match="unclosed code fence"):
        parse_blocks("# T\n```\ncode")


def test_cli_writes_pairs_heldout_and_report(tmp_path, root):
    doc = tmp_path / "harbour.md"
    doc.write_text(DOC)
    out = subprocess.run([sys.executable, "-m", "askbuddyx.cli", "doc2data", str(doc),
                          "--out-dir", str(tmp_path / "out")], capture_output=True, text=True,
                         cwd=tmp_path, check=True).stdout
    assert "10 pairs from 5 facts" in out
    rows = (tmp_path / "out/harbour.jsonl").read_text().splitlines()
    assert set(json.loads(rows[0])) == {"instruction", "input", "output"}  # Alpaca
    report = json.loads((tmp_path / "out/harbour.report.json").read_text())
    assert report["heldout_questions"] == 5
    assert len((tmp_path / "out/harbour.heldout.jsonl").read_text().splitlines()) == 5


def test_the_bundled_document_makes_a_dataset_the_prepare_stage_reads(root, tmp_path):
    from askbuddyx.data.formats import read_records
    from askbuddyx.data.io import write_jsonl

    result = doc_to_pairs((root / "assets/docs/brimvale_handbook.md").read_text())
    write_jsonl(tmp_path / "doc.jsonl", result.train)
    records = read_records(tmp_path / "doc.jsonl")
    assert records.format == "alpaca" and not records.bad_lines
    assert len(records.records) == len(result.train) >= 12
