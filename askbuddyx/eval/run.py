"""Evaluate a model (base, base + adapter, or any OpenAI-compatible server) on every suite.

Suites (`SUITES`; `build_cases` picks them):

- sanity: seed 000 section 11: the 10 sanity prompts (non-empty, no error, contains code) and
  the 2 compile-smoke prompts (the code parses and defines a function);
- format: held-out curated prompts the adapter never trained on. Seed 001's checks per answer
  (three headings, in order; docstring; Args; Returns; all of them), and execution in the
  sandbox: Solution + Usage must run (`runnable_rate`), then with the Sanity test appended it
  must still pass (`sanity_pass_rate`). Held-out explanatory prompts are scored apart
  (`format_on_explain_rate`, lower is better): the format must not be forced on them;
- humaneval: the first `humaneval_limit` problems of HumanEval (0: all 164), greedy pass@1,
  and pass@k (unbiased estimator) over `samples` sampled answers when samples > 1.

Answers come from an `answer(prompts, temperature, seed)` function: `mlx_answerer` (batched
through mlx-lm's `batch_generate`) or `askbuddyx.eval.endpoint.endpoint_answerer`.
Generated code only ever runs in `askbuddyx.eval.sandbox`.
"""

from __future__ import annotations

from askbuddyx.eval.checks import compile_check, format_check, sanity_check, split_sections
from askbuddyx.eval.prompts import COMPILE_SMOKE_PROMPTS, SANITY_PROMPTS
from askbuddyx.eval.sandbox import DEFAULT_LIMITS, Limits, run_programs
from askbuddyx.prompting import HEADINGS, build_messages, has_runnable_first_format, user_message

SUITES = ("sanity", "format", "humaneval")
# format_check key -> rate name, over held-out prompts that ask for code
FORMAT_RATES = {
    "passed": "format_rate_heldout",
    "has_docstring": "format_docstring_rate",
    "has_args": "format_args_rate",
    "has_returns": "format_returns_rate",
    "all_checks": "format_all_checks_rate",
}


def suites_for(name: str) -> tuple:
    """CLI suite name ("all" or one of SUITES) -> the suites to run."""
    return SUITES if name == "all" else (name,)


def build_cases(heldout: list, suites=SUITES, humaneval_problems=()) -> list:
    """All evaluation cases: dicts with suite, prompt, and per suite what scoring needs."""
    from askbuddyx.eval.humaneval import problem_prompt

    cases = []
    if "sanity" in suites:
        cases += [{"suite": "sanity", "prompt": p} for p in SANITY_PROMPTS]
        cases += [{"suite": "compile", "prompt": p} for p in COMPILE_SMOKE_PROMPTS]
    if "format" in suites:
        for record in heldout:
            cases.append({
                "suite": "format",
                "prompt": user_message(record["instruction"], record.get("input", "")),
                "expects_format": has_runnable_first_format(record["output"]),
                "reference": record["output"],
            })
    if "humaneval" in suites:
        cases += [{"suite": "humaneval", "prompt": problem_prompt(p), "task_id": p["task_id"]}
                  for p in humaneval_problems]
    return cases


def shared_prefix(token_prompts: list) -> list:
    """The longest token prefix common to all prompts, leaving each at least one token."""
    if not token_prompts:
        return []
    n = min(len(t) for t in token_prompts) - 1
    first = token_prompts[0]
    for t in token_prompts[1:]:
        n = next((i for i in range(n) if t[i] != first[i]), n)
    return list(first[:max(n, 0)])


def generate_answers(model, tokenizer, prompts: list, max_tokens: int, batch_size: int,
                     repetition_penalty: float = 1.0, temperature: float = 0.0,
                     seed: int = 0, reuse_prefix: bool = True,
                     prefill_batch_size: int = 8) -> list:
    """Answers to `prompts` (user messages, AskBuddyX system prompt), batched.

    Greedy when `temperature` is 0 (deterministic), else sampled with mx.random seeded by
    `seed`. `repetition_penalty` > 1 applies mlx-lm's repetition penalty (last 20 tokens);
    small models otherwise fall into loops like "1, 1, 1, ..." under greedy decoding.
    With `reuse_prefix`, the tokens every prompt of a batch starts with (the system prompt)
    are prefilled once and handed to `batch_generate` as each prompt's cache, instead of
    once per prompt: prefill dominates evaluation time on a CPU.
    """
    import mlx.core as mx
    from mlx_lm.generate import batch_generate
    from mlx_lm.models.cache import make_prompt_cache
    from mlx_lm.sample_utils import make_logits_processors, make_sampler

    extra = {}
    if repetition_penalty != 1.0:
        extra["logits_processors"] = make_logits_processors(
            repetition_penalty=repetition_penalty)
    if temperature > 0:
        mx.random.seed(seed)
        extra["sampler"] = make_sampler(temp=temperature)

    token_prompts = [
        tokenizer.apply_chat_template(build_messages(p), add_generation_prompt=True)
        for p in prompts
    ]
    # Shortest first: prompts are right-padded to the longest of their prefill batch, so
    # batches of similar lengths waste no compute on padding. Answers go back in order.
    order = sorted(range(len(token_prompts)), key=lambda i: len(token_prompts[i]))
    answers = [""] * len(token_prompts)
    for start in range(0, len(order), batch_size):
        ids = order[start:start + batch_size]
        chunk = [token_prompts[i] for i in ids]
        prefix = shared_prefix(chunk) if reuse_prefix else []
        caches = None
        if prefix:
            cache = make_prompt_cache(model)
            model(mx.array([prefix]), cache=cache)
            mx.eval([c.state for c in cache])
            caches = [cache] * len(chunk)  # batch_generate copies, never updates, these
            chunk = [t[len(prefix):] for t in chunk]
        response = batch_generate(model, tokenizer, chunk, prompt_caches=caches,
                                  max_tokens=max_tokens, completion_batch_size=batch_size,
                                  prefill_batch_size=min(batch_size, prefill_batch_size),
                                  **extra)
        for i, text in zip(ids, response.texts):
            answers[i] = text
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


def is_explanatory(prompt: str) -> bool:
    """A seed prompt that asks for an explanation, not code ("Explain Python decorators")."""
    return prompt.strip().lower().startswith(("explain", "what is", "why "))


def share(flags) -> float | None:
    """Fraction of true flags, rounded to 4 places; None when there are none."""
    flags = list(flags)
    return round(sum(flags) / len(flags), 4) if flags else None


def execution_programs(response: str) -> tuple[str, str | None]:
    """(Solution + Usage, Solution + Usage + Sanity test) of an answer; the second is None
    when the answer has no sanity test. Without headings, all of the answer's code."""
    sections = split_sections(response)
    if sections["solution"]:
        main = sections["solution"] + "\n" + sections["usage"]
    else:
        main = sections["all"]
    sanity = main + "\n" + sections["sanity"] if sections["sanity"].strip() else None
    return main, sanity


def _execute_format_answers(records: list, limits: Limits, workers: int | None) -> None:
    """Run Solution+Usage, then with the Sanity test, of each held-out code answer."""
    jobs = []  # (record, key, program)
    for r in records:
        if not expects_format(r):
            continue
        main, sanity = execution_programs(r["response"])
        r["runnable"], r["sanity_passed"] = False, False
        if main.strip():
            jobs.append((r, "runnable", main))
        if sanity is not None:
            jobs.append((r, "sanity_passed", sanity))
    results = run_programs([p for _, _, p in jobs], limits, workers, progress="execute")
    for (r, key, _), res in zip(jobs, results):
        r[key] = res.passed
        r[f"{key}_status"], r[f"{key}_error"] = res.status, res.error


def score_cases(cases: list, answers: list, limits: Limits = DEFAULT_LIMITS,
                workers: int | None = None, samples: dict | None = None) -> tuple[dict, list]:
    """Score answers (one per case, greedy); returns (rates, per-case records).

    `samples` maps HumanEval task_id -> list of sampled answers, for pass@k.
    """
    from askbuddyx.eval.humaneval import ks_for, load_problems, score_responses

    records = []
    for case, answer in zip(cases, answers, strict=True):
        record = {**case, "response": answer}
        if case["suite"] == "sanity":
            record["checks"] = sanity_check(answer)
        elif case["suite"] == "compile":
            record["checks"] = compile_check(answer)
        elif case["suite"] == "format":
            record["checks"] = format_check(answer)
        if "checks" in record:
            record["passed"] = record["checks"]["passed"]
        records.append(record)
    _execute_format_answers(records, limits, workers)

    heldout_code = [r for r in records if expects_format(r)]
    # Format checks once per answer to a code prompt (seed prompts that do not just ask for
    # an explanation, and held-out code prompts).
    code_checks = [format_check(r["response"]) for r in records
                   if (r["suite"] in ("sanity", "compile") and not is_explanatory(r["prompt"]))
                   or expects_format(r)]
    rates = {
        "seed_sanity_pass_rate": share(r["passed"] for r in records if r["suite"] == "sanity"),
        "compile_pass_rate": share(r["passed"] for r in records if r["suite"] == "compile"),
        **{rate: share(r["checks"][key] for r in heldout_code)
           for key, rate in FORMAT_RATES.items()},
        "format_on_explain_rate": share(r["passed"] for r in records
                                        if r["suite"] == "format" and not r["expects_format"]),
        # Each heading on its own, over every prompt that asks for code: shows partial
        # progress (e.g. the adapter opens with "### Solution" but never reaches "### Usage").
        **{f"{key[4:]}_heading_rate": share(c[key] for c in code_checks)
           for key in ("has_solution", "has_usage", "has_sanity_test")},
        "format_rate_all_prompts": share(c["passed"] for c in code_checks),
        "runnable_rate": share(r["runnable"] for r in heldout_code),
        "sanity_pass_rate": share(r["sanity_passed"] for r in heldout_code),
    }

    he_cases = [r for r in records if r["suite"] == "humaneval"]
    if he_cases:
        problems = load_problems()
        greedy, he_records = score_responses(
            problems, {r["task_id"]: [r["response"]] for r in he_cases}, limits, workers)
        by_task = {h["task_id"]: h for h in he_records}
        for r in he_cases:
            h = by_task[r["task_id"]]
            r.update(passed=h["passed"], status=h["status"], error=h["error"])
        rates["humaneval_pass_at_1"] = greedy["pass_at_1"]
        if samples:
            sampled, sample_records = score_responses(problems, samples, limits, workers)
            n = min(len(v) for v in samples.values())
            for k in ks_for(n):
                rates[f"humaneval_pass_at_{k}_sampled"] = sampled[f"pass_at_{k}"]
            records += [{**s, "sampled": True} for s in sample_records]
    return {k: v for k, v in rates.items() if v is not None}, records


def mlx_answerer(model_path: str, adapter_path: str | None, max_tokens: int, batch_size: int,
                 repetition_penalty: float = 1.0, dequantize: str | bool = "auto"):
    """Load the model (with the adapter if given); returns (answer, model, tokenizer).

    `dequantize` ("auto", True, False; `eval.dequantize`): generate with float32 weights,
    by default on MLX's CPU backend only, whose quantized matmul does not batch
    (askbuddyx.models.dequantize_for_generation).

    Under `mlx.launch` (`askbuddyx eval run --processes N`, `eval.processes`), every rank
    loads the model and `answer` splits the prompts across the ranks
    (askbuddyx.eval.distributed): each rank generates its share and all get every answer.
    """
    from askbuddyx.eval.distributed import generate_across_ranks
    from askbuddyx.models import dequantize_for_generation, load_model, wants_float_weights
    from askbuddyx.train.distributed import in_worker, rank

    model, tokenizer = load_model(model_path, adapter_path=adapter_path)
    if wants_float_weights(dequantize):
        dequantize_for_generation(model)

    def answer(prompts: list, temperature: float = 0.0, seed: int = 0) -> list:
        def generate(share: list) -> list:
            # Sampling: each rank its own seed, else ranks would draw the same samples.
            rank_seed = seed + (rank() if temperature > 0 else 0)
            return generate_answers(model, tokenizer, share, max_tokens, batch_size,
                                    repetition_penalty, temperature, rank_seed)

        if not in_worker():
            return generate(prompts)
        return generate_across_ranks(prompts, generate)

    return answer, model, tokenizer


def evaluate_answerer(answer, cases: list, samples: int = 1, temperature: float = 0.8,
                      limits: Limits = DEFAULT_LIMITS, workers: int | None = None,
                      seed: int = 0, score: bool = True) -> tuple[dict, list]:
    """Answer every case greedily (one batched call), sample HumanEval `samples` times when
    samples > 1, then score everything (unless `score` is False: the ranks other than 0 of
    a distributed run only help generate)."""
    answers = answer([c["prompt"] for c in cases], 0.0, seed)
    sampled = None
    he_cases = [c for c in cases if c["suite"] == "humaneval"]
    if samples > 1 and he_cases:
        outs = answer([c["prompt"] for c in he_cases for _ in range(samples)], temperature, seed)
        sampled = {c["task_id"]: outs[i * samples:(i + 1) * samples]
                   for i, c in enumerate(he_cases)}
    if not score:
        return {}, []
    return score_cases(cases, answers, limits, workers, sampled)


def evaluate_model(model_path: str, adapter_path: str | None, cases: list, max_tokens: int,
                   batch_size: int, repetition_penalty: float = 1.0, samples: int = 1,
                   temperature: float = 0.8, limits: Limits = DEFAULT_LIMITS,
                   workers: int | None = None, score: bool = True,
                   dequantize: str | bool = "auto") -> tuple[dict, list]:
    """Evaluate base (+ adapter) with mlx-lm on `cases`; adds the teacher-forced heading
    probability on held-out code prompts. `score` False: generate only (see
    evaluate_answerer)."""
    answer, model, tokenizer = mlx_answerer(model_path, adapter_path, max_tokens, batch_size,
                                            repetition_penalty, dequantize)
    rates, records = evaluate_answerer(answer, cases, samples, temperature, limits, workers,
                                       score=score)
    fmt = [c for c in cases if expects_format(c)]
    if fmt and score:
        rates["heading_token_prob_heldout"] = round(sum(
            heading_token_prob(model, tokenizer, c["prompt"], c["reference"]) for c in fmt)
            / len(fmt), 4)
    return rates, records


def compare(base: dict, adapter: dict) -> dict:
    """metrics/eval.json layout: base, adapter, and adapter - base for each rate."""
    delta = {k: round(adapter[k] - base[k], 4) for k in base
             if base[k] is not None and adapter.get(k) is not None}
    return {"base": base, "adapter": adapter, "delta": delta}
