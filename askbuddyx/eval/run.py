"""Evaluate the base model and the adapter side by side (seed 000 section 11, seed 001).

Suites, all generated greedily (deterministic) in batches through mlx-lm's `batch_generate`:

- sanity: the seed's 10 prompts; pass = long enough, not an error, contains code;
- compile: the seed's 2 smoke prompts; pass = extracted code compiles and defines a function;
- format: held-out curated prompts the adapter never trained on; pass = the three headings in
  order. Held-out explanatory prompts are reported apart (`format_on_explain_rate`): there the
  format should *not* be forced.

Nothing generated is executed here.
"""

from __future__ import annotations

from askbuddyx.eval.checks import compile_check, format_check, sanity_check
from askbuddyx.eval.prompts import COMPILE_SMOKE_PROMPTS, SANITY_PROMPTS
from askbuddyx.prompting import (
    HEADINGS,
    build_messages,
    has_runnable_first_format,
    user_message,
)


def build_cases(heldout: list) -> list:
    """All evaluation cases: dicts with suite, prompt, and (for format) whether it applies."""
    cases = [{"suite": "sanity", "prompt": p} for p in SANITY_PROMPTS]
    cases += [{"suite": "compile", "prompt": p} for p in COMPILE_SMOKE_PROMPTS]
    for record in heldout:
        cases.append({
            "suite": "format",
            "prompt": user_message(record["instruction"], record.get("input", "")),
            "expects_format": has_runnable_first_format(record["output"]),
            "reference": record["output"],
        })
    return cases


def generate_answers(model, tokenizer, prompts: list, max_tokens: int, batch_size: int,
                     repetition_penalty: float = 1.0) -> list:
    """Greedy answers to `prompts` (user messages, AskBuddyX system prompt), batched.

    `repetition_penalty` > 1 applies mlx-lm's repetition penalty (last 20 tokens); small
    models otherwise fall into loops like "1, 1, 1, ..." under greedy decoding.
    """
    from mlx_lm.generate import batch_generate
    from mlx_lm.sample_utils import make_logits_processors

    extra = {}
    if repetition_penalty != 1.0:
        extra["logits_processors"] = make_logits_processors(
            repetition_penalty=repetition_penalty)

    token_prompts = [
        tokenizer.apply_chat_template(build_messages(p), add_generation_prompt=True)
        for p in prompts
    ]
    answers = []
    for start in range(0, len(token_prompts), batch_size):
        chunk = token_prompts[start:start + batch_size]
        response = batch_generate(model, tokenizer, chunk, max_tokens=max_tokens,
                                  completion_batch_size=batch_size,
                                  prefill_batch_size=batch_size, **extra)
        answers.extend(response.texts)
    return answers


def heading_token_prob(model, tokenizer, prompt: str, reference: str) -> float:
    """Mean probability the model gives each token of the three headings of `reference`.

    Teacher-forced on the reference answer (text before each heading given): it measures how
    much the model expects the format even when greedy decoding does not (yet) produce it.
    """
    import mlx.core as mx

    head = tokenizer.apply_chat_template(build_messages(prompt), add_generation_prompt=True,
                                         tokenize=False)
    probs = []
    for heading in HEADINGS:
        prefix = head + reference[:reference.index(heading)]
        before = tokenizer.encode(prefix, add_special_tokens=False)
        after = tokenizer.encode(prefix + heading, add_special_tokens=False)
        if after[:len(before)] != before:  # heading merged into the prefix's last token
            continue
        logits = model(mx.array([after]))[0].astype(mx.float32)
        logprobs = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
        for pos in range(len(before), len(after)):
            probs.append(mx.exp(logprobs[pos - 1, after[pos]]).item())
    return sum(probs) / len(probs) if probs else 0.0


def expects_format(case: dict) -> bool:
    """A held-out prompt whose reference answer uses the runnable-first format."""
    return case["suite"] == "format" and case["expects_format"]


def share(flags) -> float | None:
    """Fraction of true flags, rounded to 4 places; None when there are none."""
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else None


def score_cases(cases: list, answers: list) -> tuple[dict, list]:
    """Score answers; returns (rates, per-case records)."""
    records = []
    for case, answer in zip(cases, answers, strict=True):
        if case["suite"] == "sanity":
            checks = sanity_check(answer)
        elif case["suite"] == "compile":
            checks = compile_check(answer)
        else:
            checks = format_check(answer)
        records.append({**case, "response": answer, "checks": checks,
                        "passed": checks["passed"]})

    # Format checks once per answer to a code prompt (seed prompts + held-out code prompts).
    code_checks = [format_check(r["response"]) for r in records
                   if r["suite"] != "format" or r["expects_format"]]
    rates = {
        "sanity_pass_rate": share(r["passed"] for r in records if r["suite"] == "sanity"),
        "compile_pass_rate": share(r["passed"] for r in records if r["suite"] == "compile"),
        "format_rate_heldout": share(r["passed"] for r in records if expects_format(r)),
        "format_on_explain_rate": share(r["passed"] for r in records
                                        if r["suite"] == "format" and not r["expects_format"]),
        # Each heading on its own, over every prompt that asks for code: shows partial
        # progress (e.g. the adapter opens with "### Solution" but never reaches "### Usage").
        **{f"{key[4:]}_heading_rate": share(c[key] for c in code_checks)
           for key in ("has_solution", "has_usage", "has_sanity_test")},
        "format_rate_all_prompts": share(c["passed"] for c in code_checks),
    }
    return rates, records


def evaluate_model(model_path: str, adapter_path: str | None, cases: list, max_tokens: int,
                   batch_size: int, repetition_penalty: float = 1.0) -> tuple[dict, list]:
    """Load the model (with the adapter if given), answer every case, score. No execution."""
    from askbuddyx.models import load_model

    model, tokenizer = load_model(model_path, adapter_path=adapter_path)
    answers = generate_answers(model, tokenizer, [c["prompt"] for c in cases], max_tokens,
                               batch_size, repetition_penalty)
    rates, records = score_cases(cases, answers)
    fmt = [c for c in cases if expects_format(c)]
    if fmt:
        rates["heading_token_prob_heldout"] = round(sum(
            heading_token_prob(model, tokenizer, c["prompt"], c["reference"]) for c in fmt)
            / len(fmt), 4)
    return rates, records


def compare(base: dict, adapter: dict) -> dict:
    """metrics/eval.json layout: base, adapter, and adapter - base for each rate."""
    delta = {k: round(adapter[k] - base[k], 4) for k in base
             if base[k] is not None and adapter.get(k) is not None}
    return {"base": base, "adapter": adapter, "delta": delta}
