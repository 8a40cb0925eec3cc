"""Readable evaluation report: a markdown page and a base-vs-adapter bar chart.

    write_report("outputs/eval", comparison)   # report.md + base_vs_adapter.png
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from askbuddyx.eval.compare import Comparison

RATE_LABELS = {
    "seed_sanity_pass_rate": "seed sanity (10 prompts)",
    "compile_pass_rate": "compile smoke (2)",
    "format_rate_heldout": "headings in order (held-out)",
    "format_docstring_rate": "docstring (held-out)",
    "format_args_rate": "Args (held-out)",
    "format_returns_rate": "Returns (held-out)",
    "format_all_checks_rate": "all format checks (held-out)",
    "format_on_explain_rate": "a heading on explain prompts (lower is better)",
    "format_rate_all_prompts": "headings in order, all code prompts",
    "solution_heading_rate": "has ### Solution",
    "usage_heading_rate": "has ### Usage",
    "sanity_test_heading_rate": "has ### Sanity test",
    "runnable_rate": "Solution+Usage runs (held-out)",
    "sanity_pass_rate": "Sanity test passes (held-out)",
    "humaneval_pass_at_1": "HumanEval pass@1 (greedy)",
    "heading_token_prob_heldout": "P(heading tokens), held-out",
}
# The chart shows these (the table shows every metric).
CHART_KEYS = ("seed_sanity_pass_rate", "compile_pass_rate", "format_rate_heldout",
              "format_all_checks_rate", "format_on_explain_rate", "solution_heading_rate",
              "runnable_rate", "sanity_pass_rate", "humaneval_pass_at_1",
              "heading_token_prob_heldout")


def label(key: str) -> str:
    if key.startswith("humaneval_pass_at_") and key.endswith("_sampled"):
        return f"HumanEval pass@{key.split('_')[3]} (sampled)"
    return RATE_LABELS.get(key, key)


def plot_comparison(metrics: dict, path: Path) -> None:
    """Grouped bars, base vs adapter, one group per rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in CHART_KEYS if metrics["base"].get(k) is not None]
    xs = range(len(keys))
    fig, ax = plt.subplots(figsize=(10, 4.2))
    ax.bar([x - 0.2 for x in xs], [metrics["base"][k] for k in keys], 0.4, label="base")
    ax.bar([x + 0.2 for x in xs], [metrics["adapter"][k] for k in keys], 0.4, label="adapter")
    ax.set_xticks(list(xs), [label(k) for k in keys], rotation=25, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("rate")
    ax.set_title("AskBuddyX: base model vs adapter")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def gate_lines(metrics: dict) -> list[str]:
    """The gate's verdict and both conditions, or nothing when there is no gate."""
    if "gate_passed" not in metrics:
        return []
    gate = metrics["gate"]
    return [f"**Publish gate: {'PASSED' if metrics['gate_passed'] else 'FAILED'}**"
            + (f" ({gate['failed_because']})" if gate["failed_because"] else ""), "",
            f"- {gate['format_metric']} = {gate['format_rate']} "
            f"(needs >= {gate['min_format_rate']})",
            f"- HumanEval pass@1 drop vs base = {gate['pass_at_1_drop']} "
            f"(allowed <= {gate['max_pass_at_1_drop']})", ""]


def answer_lines(comparison: Comparison, shown: int = 4) -> list[str]:
    """A few held-out answers of the adapter, and its first HumanEval failures."""
    records = [r for r in comparison.adapter.records if r.sample is None]
    lines = ["## Held-out prompts (adapter)", ""]
    for r in [r for r in records if r.case.suite == "format"][:shown]:
        lines += [f"### Prompt ({r.case.kind}): {r.case.prompt[:120]}", "",
                  f"format passed: {r.passed}; runnable: {r.ran('runnable')}; "
                  f"sanity test passed: {r.ran('sanity_passed')}", "",
                  "````text", r.response, "````", ""]
    failures = [r for r in records if r.case.suite == "humaneval" and not r.passed][:3]
    if failures:
        lines += ["## HumanEval failures (adapter, first 3)", ""]
        lines += [f"- {r.case.task_id}: {r.runs['program'].status} "
                  f"{r.runs['program'].error[:160]}" for r in failures]
        lines.append("")
    return lines


def write_report(out_dir: str | Path, comparison: Comparison) -> Path:
    """Write report.md (table, chart, a few answers) and base_vs_adapter.png into out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = comparison.to_json()
    plot_comparison(metrics, out_dir / "base_vs_adapter.png")
    lines = ["# Evaluation: base vs adapter", "", *gate_lines(metrics)]
    lines += ["Settings: " + ", ".join(f"{k} {v}" for k, v in metrics["settings"].items()), "",
              "![chart](base_vs_adapter.png)", "",
              "| metric | key | base | adapter | delta |", "|---|---|---|---|---|"]
    for key, value in metrics["adapter"].items():
        lines.append(f"| {label(key)} | `{key}` | {metrics['base'].get(key)} | {value} | "
                     f"{metrics['delta'].get(key, '')} |")
    lines += ["", *answer_lines(comparison)]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines))
    return path
