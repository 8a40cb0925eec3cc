"""The publish gate: is the adapter good enough to publish? Checked after evaluation.

    gate = GateConfig("format_rate_heldout", min_format_rate=0.8, max_pass_at_1_drop=0.02)
    result = gate.check(base_metrics, adapter_metrics)      # a GateResult
    result.passed, result.failed_because

Two conditions, both from params.yaml (`eval.gate.*`):
- format: the adapter's `format_metric` (e.g. `format_rate_heldout`: the three headings, in
  order, on held-out code prompts) is at least `min_format_rate`;
- no regression: the adapter's greedy HumanEval pass@1 is at most `max_pass_at_1_drop` below
  the base model's.

A metric that was not measured fails its condition (a gate must not pass by omission).
The result goes into metrics/eval.json as top-level `gate_passed` and `gate` (thresholds and
measured values); the publish step refuses when `gate_passed` is false or missing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GateResult:
    """The gate's thresholds, the measured values, and the verdict (`passed`)."""

    format_metric: str
    min_format_rate: float
    format_rate: float | None
    format_ok: bool
    max_pass_at_1_drop: float
    base_pass_at_1: float | None
    adapter_pass_at_1: float | None
    pass_at_1_drop: float | None
    pass_at_1_ok: bool
    failed_because: str

    @property
    def passed(self) -> bool:
        return self.format_ok and self.pass_at_1_ok

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        return f"gate: {verdict}" + (f" ({self.failed_because})" if self.failed_because else "")


@dataclass(frozen=True)
class GateConfig:
    """The thresholds (`eval.gate.format_metric`, `.min_format_rate`, `.max_pass_at_1_drop`)."""

    format_metric: str
    min_format_rate: float
    max_pass_at_1_drop: float

    @classmethod
    def from_params(cls, params) -> GateConfig:
        """From a stage's params (a mapping of dotted keys)."""
        return cls(params["eval.gate.format_metric"], params["eval.gate.min_format_rate"],
                   params["eval.gate.max_pass_at_1_drop"])

    def check(self, base: dict, adapter: dict) -> GateResult:
        """Judge the adapter's metrics against the base model's."""
        fmt = adapter.get(self.format_metric)
        base_p1 = base.get("humaneval_pass_at_1")
        adapter_p1 = adapter.get("humaneval_pass_at_1")
        drop = round(base_p1 - adapter_p1, 4) if None not in (base_p1, adapter_p1) else None
        format_ok = fmt is not None and fmt >= self.min_format_rate
        pass_ok = drop is not None and drop <= self.max_pass_at_1_drop
        reasons = []
        if not format_ok:
            reasons.append(f"{self.format_metric} {fmt} < {self.min_format_rate}"
                           if fmt is not None else f"{self.format_metric} not measured")
        if not pass_ok:
            reasons.append(f"pass@1 drop {drop} > {self.max_pass_at_1_drop}"
                           if drop is not None else "humaneval_pass_at_1 not measured")
        return GateResult(self.format_metric, self.min_format_rate, fmt, format_ok,
                          self.max_pass_at_1_drop, base_p1, adapter_p1, drop, pass_ok,
                          "; ".join(reasons))
