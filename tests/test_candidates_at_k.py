"""scripts/candidates_at_k.py's estimator: how the smol candidates were chosen (README)."""

import importlib.util
from pathlib import Path

import pytest


def load_script():
    path = Path(__file__).resolve().parents[1] / "scripts" / "candidates_at_k.py"
    spec = importlib.util.spec_from_file_location("candidates_at_k", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sanity_at_k_counts_greedy_and_draws_without_replacement():
    at_k = load_script().sanity_at_k
    rows = [{"greedy": True, "c": 0}, {"greedy": False, "c": 1}, {"greedy": False, "c": 0}]
    assert at_k(rows, n=4, k=1) == round(1 / 3, 3)          # greedy only
    assert at_k(rows, n=4, k=3) == round((1 + 1 / 2) / 3, 3)  # 2 of 4 drawn: half hold the pass
    assert at_k(rows, n=4, k=5) == round(2 / 3, 3)          # every sample drawn: counted
    with pytest.raises(ValueError, match="k=6"):
        at_k(rows, n=4, k=6)
