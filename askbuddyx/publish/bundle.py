"""Assemble the Hugging Face bundle (seed 000, sections 7.8 and 13.2) and check it is complete.

    outputs/hf_bundle/
      adapters.safetensors  adapter_config.json  run_meta.json   (from the adapter folder)
      LICENSE-THIRD-PARTY.md                                     (from the repository)
      MODEL_CARD.md  README.md                 (generated from run_meta.json and eval metrics)

The finished bundle is checked complete (`verify_bundle`) and scanned for secrets
(`assert_no_secrets`, the data stages' redaction patterns) before anything can leave the
machine; `askbuddyx.publish.publish` repeats both checks before an upload.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from askbuddyx.data.kept_detector import detector_session
from askbuddyx.data.redact import redact_secrets
from askbuddyx.errors import AskBuddyXError
from askbuddyx.publish.model_card import (
    disclaimer,
    front_matter,
    published_base,
    render_model_card,
)

ADAPTER_FILES = ("adapters.safetensors", "adapter_config.json", "run_meta.json")
DOC_FILES = ("LICENSE-THIRD-PARTY.md",)
GENERATED = ("MODEL_CARD.md", "README.md")
REQUIRED = ADAPTER_FILES + DOC_FILES + GENERATED


def render_readme(repo_id: str, base_model: str, eval_metrics: dict | None,
                  run_meta: dict | None = None) -> str:
    """The bundle's README: what it is, how to run it, how it scored, attribution.

    The hub reads a model's metadata from README.md, so it carries the card's front matter.
    """
    import yaml

    base_model = published_base(base_model)
    lines = [
        "---", yaml.safe_dump(front_matter(run_meta or {}, base_model), sort_keys=False).strip(),
        "---", "",
        "# AskBuddyX",
        "",
        "A LoRA adapter that makes a small code model answer *runnable-first*: "
        "`### Solution`, `### Usage`, `### Sanity test`.",
        "",
        f"- Base model: `{base_model}`",
        f"- Adapter repo: `{repo_id}`",
        "",
        "## Quick start (MLX)",
        "",
        "```bash",
        "pip install mlx-lm",
        f"hf download {repo_id} --local-dir askbuddyx-adapter",
        f"mlx_lm.generate --model {base_model} --adapter-path askbuddyx-adapter \\",
        "  --prompt 'Write a Python function to reverse a string'",
        "```",
        "",
        "Serve it with an OpenAI-compatible API and query it:",
        "",
        "```bash",
        f"mlx_lm.server --model {base_model} --adapter-path askbuddyx-adapter --port 8080",
        "curl http://localhost:8080/v1/chat/completions -H 'Content-Type: application/json' \\",
        "  -d '{\"messages\": [{\"role\": \"user\", \"content\": \"Write a function to reverse a "
        "string\"}]}'",
        "```",
        "",
    ]
    if eval_metrics:
        lines += ["## Evaluation (base vs adapter)", "", "| metric | base | adapter |",
                  "|---|---|---|"]
        for key, value in eval_metrics.get("adapter", {}).items():
            lines.append(f"| {key} | {eval_metrics.get('base', {}).get(key)} | {value} |")
        lines.append("")
    lines += ["## Attribution", "", "See MODEL_CARD.md and LICENSE-THIRD-PARTY.md.", "",
              disclaimer(base_model), ""]
    return "\n".join(lines)


def make_bundle(adapter_dir: str | Path, docs_dir: str | Path, output_dir: str | Path,
                repo_id: str, base_model: str, eval_metrics: dict | None = None) -> Path:
    """Create the bundle folder (replacing an old one) and verify it.

    Raises:
        AskBuddyXError: when an adapter file or document is missing, or a JSON file is invalid.
    """
    adapter_dir, docs_dir, output_dir = Path(adapter_dir), Path(docs_dir), Path(output_dir)
    missing = [str(adapter_dir / f) for f in ADAPTER_FILES if not (adapter_dir / f).is_file()]
    missing += [str(docs_dir / f) for f in DOC_FILES if not (docs_dir / f).is_file()]
    if missing:
        raise AskBuddyXError(f"Cannot build the bundle, missing: {', '.join(missing)}",
                             hint="Run `make train` (adapter files) from the repository root.")
    if output_dir.exists():
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True)
    for name in ADAPTER_FILES:
        shutil.copyfile(adapter_dir / name, output_dir / name)
    for name in DOC_FILES:
        shutil.copyfile(docs_dir / name, output_dir / name)
    try:
        run_meta = json.loads((adapter_dir / "run_meta.json").read_text())
    except json.JSONDecodeError as exc:
        raise AskBuddyXError(f"{adapter_dir / 'run_meta.json'} is not valid JSON ({exc.msg}).",
                             hint="Retrain: `dvc repro train`.") from exc
    (output_dir / "README.md").write_text(render_readme(repo_id, base_model, eval_metrics,
                                                        run_meta))
    (output_dir / "MODEL_CARD.md").write_text(
        render_model_card(run_meta, eval_metrics, repo_id, base_model))
    verify_bundle(output_dir)
    assert_no_secrets(output_dir)
    return output_dir


def verify_bundle(bundle_dir: str | Path) -> None:
    """Every required file present and non-empty, and the JSON files parse."""
    bundle_dir = Path(bundle_dir)
    problems = [f"{name} missing or empty" for name in REQUIRED
                if not (bundle_dir / name).is_file() or (bundle_dir / name).stat().st_size == 0]
    for name in ("adapter_config.json", "run_meta.json"):
        path = bundle_dir / name
        if path.is_file():
            try:
                json.loads(path.read_text())
            except json.JSONDecodeError as exc:
                problems.append(f"{name} is not valid JSON ({exc.msg})")
    if problems:
        raise AskBuddyXError(f"Bundle {bundle_dir} is incomplete: {'; '.join(problems)}",
                             hint="Rebuild it with `make bundle`.")


def scan_for_secrets(folder: str | Path) -> list[str]:
    """'file: detector' for every kind of secret found in any file under `folder`.

    The same detectors as the data stages' redaction (askbuddyx.data.redact: our rules, Hugging
    Face tokens included, then detect-secrets' plugins).
    """
    found = []
    with detector_session():
        for path in sorted(Path(folder).rglob("*")):
            if not path.is_file():
                continue
            text = path.read_bytes().decode("latin-1")  # binary-safe: every byte maps to a char
            _, counts = redact_secrets(text)
            found += [f"{path.relative_to(folder)}: {name}" for name in sorted(counts)]
    return found


def assert_no_secrets(folder: str | Path) -> None:
    found = scan_for_secrets(folder)
    if found:
        raise AskBuddyXError(
            f"Refusing to let {folder} leave the machine: it contains secrets "
            f"({'; '.join(found)}).",
            hint="Remove them from the source files (adapter folder, MODEL_CARD.md, docs) and "
            "rebuild the bundle with `make bundle`.")
