"""Base model vs adapter: the two evaluation stages' library calls, and their result.

    base = evaluate_base("models/base", "data/processed/heldout.jsonl", config)
    base.write("outputs/eval_base", "metrics/eval_base.json")           # stage evaluate_base

    comparison = evaluate_adapter("models/base", "outputs/adapters/dev",
                                  "data/processed/heldout.jsonl", "metrics/eval_base.json",
                                  config, gate)
    comparison.write("outputs/eval", "metrics/eval.json")               # stage evaluate

The base model is evaluated once, in its own stage, on the base model, the eval params and the
prompts only: a train change reruns only the adapter's evaluation, which reads the base's
metrics back and refuses them when they were measured under other settings or prompts.
`compare_models` does both in one call (`askbuddyx eval compare`, `make eval-full`).
Under `mlx.launch` (eval.processes > 1) each call returns None on the ranks other than 0,
which only help generate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from askbuddyx.errors import AskBuddyXError
from askbuddyx.eval.cases import SUITES, Case, build_cases, read_heldout
from askbuddyx.eval.config import EvalConfig
from askbuddyx.eval.gate import GateConfig, GateResult
from askbuddyx.eval.run import ModelEval, evaluate_model, run_settings


def delta(base: dict, adapter: dict) -> dict:
    """adapter - base for every rate both measured."""
    return {k: round(adapter[k] - base[k], 4) for k in base
            if base[k] is not None and adapter.get(k) is not None}


@dataclass
class Comparison:
    """Base and adapter evaluated alike, and the publish gate's verdict (None: no gate)."""

    base: ModelEval
    adapter: ModelEval
    gate: GateResult | None = None

    def to_json(self) -> dict:
        """metrics/eval.json: base, adapter, delta, settings (+ gate_passed and gate)."""
        out = {"base": self.base.metrics, "adapter": self.adapter.metrics,
               "delta": delta(self.base.metrics, self.adapter.metrics),
               "settings": self.adapter.settings}
        if self.gate is not None:
            out.update(gate_passed=self.gate.passed, gate=self.gate.as_dict())
        return out

    def write(self, out_dir: str | Path, metrics_path: str | Path) -> None:
        """The adapter's answers, report.md and base_vs_adapter.png into out_dir; the
        metrics JSON (`to_json`) to metrics_path."""
        from askbuddyx.data.io import write_json, write_jsonl
        from askbuddyx.eval.report import write_report

        out = Path(out_dir)
        write_jsonl(out / "adapter_responses.jsonl", (r.to_dict() for r in self.adapter.records))
        write_report(out, self)
        write_json(metrics_path, self.to_json())

    def summary(self) -> str:
        lines = [f"{key:>30}: base {self.base.metrics.get(key)}  adapter {value}"
                 for key, value in self.adapter.metrics.items()]
        return "\n".join(lines + ([self.gate.summary()] if self.gate else []))


def stage_cases(heldout_path: str | Path, config: EvalConfig) -> list[Case]:
    """Every suite: seed prompts, the held-out prompts, `config.humaneval_limit` problems."""
    from askbuddyx.eval.humaneval import load_problems

    return build_cases(read_heldout(heldout_path), SUITES,
                       load_problems(config.humaneval_limit))


def is_main() -> bool:
    from askbuddyx.train.distributed import is_main_rank

    return is_main_rank()


def evaluate_base(base_path: str, heldout_path: str | Path,
                  config: EvalConfig) -> ModelEval | None:
    """The base model alone on every suite (stage evaluate_base)."""
    print(f"Evaluating the base model {base_path} ...", flush=True)
    return evaluate_model(base_path, None, stage_cases(heldout_path, config), config,
                          score=is_main())


def check_same_settings(base: ModelEval, settings: dict, source: str) -> None:
    """Refuse to compare with a base evaluation made under other settings or prompts."""
    differ = sorted(k for k in settings.keys() | base.settings.keys()
                    if settings.get(k) != base.settings.get(k))
    if differ:
        shown = "; ".join(f"{k}: base {base.settings.get(k)!r}, now {settings.get(k)!r}"
                          for k in differ)
        raise AskBuddyXError(f"{source} was measured under other settings ({shown}): its "
                             "scores are not comparable with this evaluation.",
                             hint="Rerun the base evaluation: `dvc repro evaluate_base`.")


def evaluate_adapter(base_path: str, adapter_path: str, heldout_path: str | Path,
                     base_metrics: str | Path, config: EvalConfig,
                     gate: GateConfig) -> Comparison | None:
    """The adapter on every suite, compared with the base's stored evaluation, then the
    gate (stage evaluate). The base's settings are checked before anything is generated."""
    base = ModelEval.read_base(base_metrics)
    cases = stage_cases(heldout_path, config)
    check_same_settings(base, run_settings(config, cases), str(base_metrics))
    print(f"Evaluating the adapter {adapter_path} on {base_path} ...", flush=True)
    adapter = evaluate_model(base_path, adapter_path, cases, config, score=is_main())
    if adapter is None:
        return None
    return Comparison(base, adapter, gate.check(base.metrics, adapter.metrics))


def compare_models(base_path: str, adapter_path: str, cases: list[Case],
                   config: EvalConfig) -> Comparison | None:
    """Base, then base + adapter, on the same cases; no gate (`askbuddyx eval compare`)."""
    results = []
    for adapter in (None, adapter_path):
        print(f"Evaluating {adapter or 'the base model'} on {len(cases)} prompts ...",
              flush=True)
        results.append(evaluate_model(base_path, adapter, cases, config, score=is_main()))
    if None in results:
        return None
    return Comparison(*results)
