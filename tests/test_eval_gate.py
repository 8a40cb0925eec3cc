"""The publish gate recorded in metrics/eval.json."""

from askbuddyx.eval.gate import GateConfig

GATE = GateConfig("format_rate_heldout", min_format_rate=0.25, max_pass_at_1_drop=0.02)


def rates(fmt, p1):
    return {"format_rate_heldout": fmt, "humaneval_pass_at_1": p1}


def test_gate_passes_and_records_thresholds_and_values():
    result = GATE.check(rates(0.0, 0.30), rates(0.5, 0.29))
    assert result.passed is True
    gate = result.as_dict()
    assert gate["format_rate"] == 0.5 and gate["min_format_rate"] == 0.25
    assert gate["pass_at_1_drop"] == 0.01 and gate["max_pass_at_1_drop"] == 0.02
    assert gate["failed_because"] == "" and result.summary() == "gate: PASSED"


def test_gate_fails_on_format_or_regression_or_missing_metric():
    low = GATE.check(rates(0.0, 0.3), rates(0.1, 0.3))
    assert low.passed is False and "format_rate_heldout" in low.failed_because
    worse = GATE.check(rates(0.0, 0.30), rates(0.9, 0.20))
    assert worse.passed is False and "drop 0.1" in worse.failed_because
    missing = GATE.check(rates(0.0, 0.3), {"format_rate_heldout": 0.9})
    assert missing.passed is False and "not measured" in missing.failed_because
    assert missing.summary() == "gate: FAILED (humaneval_pass_at_1 not measured)"


def test_gate_reads_its_params():
    params = {"eval.gate.format_metric": "solution_heading_rate",
              "eval.gate.min_format_rate": 0.5, "eval.gate.max_pass_at_1_drop": 0.0}
    assert GateConfig.from_params(params) == GateConfig("solution_heading_rate", 0.5, 0.0)
