"""The publish gate recorded in metrics/eval.json."""

from askbuddyx.eval.gate import check_gate
from askbuddyx.eval.run import compare


def metrics(base_fmt, adapter_fmt, base_p1, adapter_p1):
    base = {"format_rate_heldout": base_fmt, "humaneval_pass_at_1": base_p1}
    adapter = {"format_rate_heldout": adapter_fmt, "humaneval_pass_at_1": adapter_p1}
    return compare(base, adapter)


def test_gate_passes_and_records_thresholds_and_values():
    result = check_gate(metrics(0.0, 0.5, 0.30, 0.29), "format_rate_heldout", 0.25, 0.02)
    assert result["gate_passed"] is True
    gate = result["gate"]
    assert gate["format_rate"] == 0.5 and gate["min_format_rate"] == 0.25
    assert gate["pass_at_1_drop"] == 0.01 and gate["max_pass_at_1_drop"] == 0.02
    assert gate["failed_because"] == ""


def test_gate_fails_on_format_or_regression_or_missing_metric():
    low = check_gate(metrics(0.0, 0.1, 0.3, 0.3), "format_rate_heldout", 0.25, 0.02)
    assert low["gate_passed"] is False and "format_rate_heldout" in low["gate"]["failed_because"]
    worse = check_gate(metrics(0.0, 0.9, 0.30, 0.20), "format_rate_heldout", 0.25, 0.02)
    assert worse["gate_passed"] is False and "drop 0.1" in worse["gate"]["failed_because"]
    m = metrics(0.0, 0.9, 0.3, 0.3)
    del m["adapter"]["humaneval_pass_at_1"]
    missing = check_gate(m, "format_rate_heldout", 0.25, 0.02)
    assert missing["gate_passed"] is False and "not measured" in missing["gate"]["failed_because"]
