"""Readable evaluation report: a markdown page and a base-vs-adapter bar chart."""

from __future__ import annotations

from pathlib import Path

RATE_LABELS = {
    "sanity_pass_rate": "sanity (10 seed prompts)",
    "compile_pass_rate": "compile smoke (2)",
    "format_rate_heldout": "format, held-out curated",
    "format_rate_all_prompts": "format, all code prompts",
    "solution_heading_rate": "has ### Solution",
    "usage_heading_rate": "has ### Usage",
    "sanity_test_heading_rate": "has ### Sanity test",
    "heading_token_prob_heldout": "P(heading tokens), held-out",
}


def plot_comparison(metrics: dict, path: Path) -> None:
    """Grouped bars, base vs adapter, one group per rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in RATE_LABELS if metrics["base"].get(k) is not None]
    xs = range(len(keys))
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.bar([x - 0.2 for x in xs], [metrics["base"][k] for k in keys], 0.4, label="base")
    ax.bar([x + 0.2 for x in xs], [metrics["adapter"][k] for k in keys], 0.4, label="adapter")
    ax.set_xticks(list(xs), [RATE_LABELS[k] for k in keys], rotation=15, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("rate")
    ax.set_title("AskBuddyX: base model vs adapter")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def write_report(out_dir: str | Path, metrics: dict, records: dict) -> Path:
    """Write report.md (table, chart, a few answers) and base_vs_adapter.png into out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plot_comparison(metrics, out_dir / "base_vs_adapter.png")
    lines = ["# Evaluation: base vs adapter", "", "![chart](base_vs_adapter.png)", "",
             "| metric | base | adapter | delta |", "|---|---|---|---|"]
    for key, value in metrics["adapter"].items():
        lines.append(f"| {key} | {metrics['base'][key]} | {value} | "
                     f"{metrics['delta'].get(key, '')} |")
    lines += ["", "## Held-out prompts (adapter)", ""]
    for row in [r for r in records["adapter"] if r["suite"] == "format"][:4]:
        lines += [f"### Prompt: {row['prompt'][:120]}", "",
                  f"format passed: {row['passed']}", "", "````text", row["response"], "````", ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines))
    return path
