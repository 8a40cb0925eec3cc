"""askbuddyx.retrieval: walking, chunking, the index and its incremental updates, search."""

import json
import os

import pytest

from askbuddyx.errors import AskBuddyXError
from askbuddyx.retrieval.chunking import chunk_file
from askbuddyx.retrieval.fusion import reciprocal_rank_fusion
from askbuddyx.retrieval.lexical import words
from askbuddyx.retrieval.quality import answer_rank, definition_spans, evaluate, load_questions
from askbuddyx.retrieval.store import CodeIndex, index_path
from askbuddyx.retrieval.walk import list_source_files
from tests.retrieval_repo import FUNCTIONS, make_repo


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path / "repo")


@pytest.fixture
def index(tmp_path, repo):
    ix = CodeIndex.open(tmp_path / "ix.sqlite", create=True)
    ix.update(repo)
    yield ix
    ix.close()


def test_walk_respects_gitignore_and_lists_python_first(repo):
    rels = [f.rel for f in list_source_files(repo)]
    assert "build/generated.py" not in rels and "debug.log" not in rels
    assert rels[-1] == "README.md" and all(r.endswith(".py") for r in rels[:-1])
    (repo / "shop" / ".gitignore").write_text("orders.py\n")  # nested .gitignore, as in git
    assert "shop/orders.py" not in [f.rel for f in list_source_files(repo)]


def test_python_is_chunked_by_definition_with_module_context(repo):
    chunks = chunk_file("shop/stock.py", (repo / "shop/stock.py").read_text())
    by_name = {c.name: c for c in chunks}
    assert set(by_name) == {"Warehouse", "items_running_low"}
    low = by_name["items_running_low"]
    assert (low.start_line, low.end_line) == FUNCTIONS["items_running_low"][1:]
    assert low.text.startswith("def items_running_low")
    assert "The warehouse" in low.context and "import json" in low.context
    assert len(low.content_hash) == 64


def test_long_class_is_split_into_methods_and_long_functions_into_parts():
    methods = "\n".join(f"    def m{i}(self):\n" + "        x = 1\n" * 10 for i in range(8))
    body = "\n".join(f"    y{i} = {i}" for i in range(200))
    source = f"class Big:\n    '''Doc.'''\n{methods}\n\ndef long():\n{body}\n"
    chunks = chunk_file("big.py", source)
    names = [c.name for c in chunks]
    assert names[:9] == ["Big"] + [f"Big.m{i}" for i in range(8)]
    assert all("class Big:" in c.context for c in chunks if c.kind == "method")
    parts = [c for c in chunks if c.name == "long"]
    assert len(parts) == 3 and parts[1].start_line == parts[0].end_line + 1
    assert "def long():  # continued" in parts[1].context


def test_text_and_unparsable_python_fall_back_to_blocks():
    text = "\n\n".join(f"para {i}\nline" for i in range(30))
    chunks = chunk_file("notes.md", text)
    assert len(chunks) > 1 and all(c.kind == "text" for c in chunks)
    assert chunks[0].start_line == 1 and chunks[-1].end_line == len(text.splitlines())
    assert all(c.kind == "text" for c in chunk_file("old.py", "print 'python 2'\n"))


def test_words_split_identifiers_and_stem():
    assert words("parseOrderCode parses HTTPAdapter") == [
        "parseordercod", "pars", "order", "code", "pars", "httpadapt", "http", "adapt"]
    assert words("def self return the a") == []


def test_rrf_fuses_rankings():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 2, 4]], k=60)
    # 3 (ranks 3 and 1) edges out 2 (ranks 2 and 2): 1/63 + 1/61 > 2/62
    assert [i for i, _ in fused] == [3, 2, 1, 4]
    assert fused[0][1] == pytest.approx(1 / 63 + 1 / 61)


@pytest.mark.parametrize("mode", ["fused", "lexical", "dense"])
def test_search_finds_a_function_by_behaviour(index, mode):
    hits = index.search("which products need to be reordered because few units are left",
                        k=3, mode=mode)
    path, start, end = FUNCTIONS["items_running_low"]
    assert (hits[0].chunk.path, hits[0].chunk.start_line, hits[0].chunk.end_line) == (
        path, start, end), [h.chunk.label for h in hits]


def test_reindex_reads_only_changed_files(tmp_path, repo, index):
    again = index.update(repo)
    assert (again.added, again.changed, again.removed, again.chunks_written) == (0, 0, 0, 0)
    total = again.chunks_total
    pricing = repo / "shop" / "pricing.py"
    pricing.write_text(pricing.read_text()
                       + "\n\ndef free_shipping(total):\n    return total > 50\n")
    (repo / "shop" / "orders.py").unlink()
    os.utime(repo / "shop" / "stock.py")  # touched, same bytes: not re-read
    report = index.update(repo)
    assert (report.added, report.changed, report.removed) == (0, 1, 1)
    assert report.chunks_written == 3  # pricing.py's three functions, nothing else
    # one function more; orders.py's two chunks (its CODE pattern, its function) gone
    assert report.chunks_total == total + 1 - 2
    hits = index.search("is shipping free above some order total", k=1)
    assert hits[0].chunk.name == "free_shipping"
    assert not any(h.chunk.path == "shop/orders.py" for h in index.search("order code", k=10))


def test_index_reopens_with_its_model_and_rejects_another(tmp_path, index):
    path = index.path
    index.close()
    reopened = CodeIndex.open(path)
    assert reopened.meta("model") == "wordllama:l2_supercat-256"
    assert reopened.search("tax on an amount", k=1)[0].chunk.name == "add_sales_tax"
    reopened.close()
    with pytest.raises(AskBuddyXError, match="built with"):
        CodeIndex.open(path, model="wordllama:l3_supercat-256")
    with pytest.raises(AskBuddyXError, match="No index"):
        CodeIndex.open(tmp_path / "missing.sqlite")
    (tmp_path / "other.sqlite").write_bytes(b"")  # an empty file is not an index
    with pytest.raises(AskBuddyXError, match="not an AskBuddyX index"):
        CodeIndex.open(tmp_path / "other.sqlite")
    with pytest.raises(AskBuddyXError, match="Bad index name"):
        index_path(tmp_path, "../etc")


def test_hub_hosted_embedding_model_fails_clearly_offline():
    from askbuddyx.retrieval.embedding import Embedder

    # conftest points HF_ENDPOINT at a closed loopback port: the hub is unreachable.
    with pytest.raises(AskBuddyXError, match="not shipped in the wordllama package"):
        Embedder("wordllama:l3_supercat-256")
    with pytest.raises(AskBuddyXError, match="Unknown embedding model"):
        Embedder("sentence-transformers/all-MiniLM-L6-v2")


def test_quality_metrics_on_labelled_questions(tmp_path, repo, index):
    labels = tmp_path / "q.jsonl"
    labels.write_text("\n".join(json.dumps(q) for q in [
        {"question": "lower a price by some percent", "path": "shop/pricing.py",
         "function": "apply_discount"},
        {"question": "add delivered items to the shelf", "path": "shop/stock.py",
         "function": "Warehouse.restock"}]))
    questions = load_questions(labels, repo)
    assert questions[1].spans == ((14, 17),)
    results = evaluate(index, questions, ("fused",), k=5)["fused"]
    assert results["recall_at_k"] == 1.0 and 0 < results["mrr"] <= 1
    assert answer_rank([], questions[0]) is None
    assert definition_spans("class A:\n    def f(self): pass\n", "A.f") == [(2, 2)]


def test_index_command_builds_then_updates(tmp_path, repo, capsys):
    from askbuddyx.cli import main

    out_dir = tmp_path / "indexes"
    assert main(["index", str(repo), "--name", "shop", "--indexes-dir", str(out_dir)]) == 0
    assert "5 added" in capsys.readouterr().out  # 4 Python files + README.md
    assert main(["index", str(repo), "--name", "shop", "--indexes-dir", str(out_dir)]) == 0
    assert "0 added, 0 changed, 0 removed, 5 unchanged" in capsys.readouterr().out
    assert main(["search-index", "shop", "split a customer's order code", "-k", "1",
                 "--indexes-dir", str(out_dir)]) == 0
    assert "shop/orders.py:8-13 (parse_order_code)" in capsys.readouterr().out
