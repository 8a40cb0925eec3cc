"""The publish gate: is the adapter good enough to publish? Checked after evaluation.

Two conditions, both from params.yaml (`eval.gate.*`):
- format: the adapter's `format_metric` (default `format_rate_heldout`: the three headings,
  in order, on held-out code prompts) is at least `min_format_rate`;
- no regression: the adapter's greedy HumanEval pass@1 is at most `max_pass_at_1_drop` below
  the base model's.

A metric that was not measured fails its condition (a gate must not pass by omission).
The result goes into metrics/eval.json as top-level `gate_passed` and `gate` (thresholds and
measured values); the publish step refuses when `gate_passed` is false or missing.
"""

from __future__ import annotations


def check_gate(metrics: dict, format_metric: str, min_format_rate: float,
               max_pass_at_1_drop: float) -> dict:
    """Returns {"gate_passed": bool, "gate": {...}} for a base/adapter/delta metrics dict."""
    fmt = metrics["adapter"].get(format_metric)
    base_p1 = metrics["base"].get("humaneval_pass_at_1")
    adapter_p1 = metrics["adapter"].get("humaneval_pass_at_1")
    drop = round(base_p1 - adapter_p1, 4) if None not in (base_p1, adapter_p1) else None
    format_ok = fmt is not None and fmt >= min_format_rate
    pass_ok = drop is not None and drop <= max_pass_at_1_drop
    reasons = []
    if not format_ok:
        reasons.append(f"{format_metric} {fmt} < {min_format_rate}" if fmt is not None
                       else f"{format_metric} not measured")
    if not pass_ok:
        reasons.append(f"pass@1 drop {drop} > {max_pass_at_1_drop}" if drop is not None
                       else "humaneval_pass_at_1 not measured")
    gate = {
        "format_metric": format_metric,
        "min_format_rate": min_format_rate,
        "format_rate": fmt,
        "format_ok": format_ok,
        "max_pass_at_1_drop": max_pass_at_1_drop,
        "base_pass_at_1": base_p1,
        "adapter_pass_at_1": adapter_p1,
        "pass_at_1_drop": drop,
        "pass_at_1_ok": pass_ok,
        "failed_because": "; ".join(reasons),
    }
    return {"gate_passed": format_ok and pass_ok, "gate": gate}
