"""Run a model on the evaluation cases: generate (mlx-lm, batched) and score.

    config = EvalConfig(max_tokens=320, humaneval_limit=20)
    result = evaluate_model("models/base", None, cases, config)    # None: no adapter
    result.metrics["format_rate_heldout"], result.records[0].response
    result.write("outputs/eval_base", "metrics/eval_base.json")

Answers come from an `answer(prompts, temperature, seed)` function: `mlx_answerer` (batched
through mlx-lm's `batch_generate`, split across ranks under `mlx.launch`) or
`askbuddyx.eval.endpoint.endpoint_answerer`; `askbuddyx.eval.scoring` scores them. The result,
`ModelEval`, knows its metrics and what produced them (model, adapter, settings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from askbuddyx.errors import AskBuddyXError
from askbuddyx.eval.cases import Case, Record, cases_digest
from askbuddyx.eval.config import EvalConfig
from askbuddyx.eval.scoring import score_cases
from askbuddyx.prompting import HEADINGS, build_messages, has_runnable_first_format


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
        texts = generate_with_progress(
            model, tokenizer, chunk, caches, max_tokens, completion_batch_size=batch_size,
            prefill_batch_size=min(batch_size, prefill_batch_size),
            desc=f"generating {start + len(ids)}/{len(order)}", **extra)
        for i, text in zip(ids, texts):
            answers[i] = text
    return answers


def generate_with_progress(model, tokenizer, prompts: list, caches, max_tokens: int,
                           desc: str = "generating", **kwargs) -> list:
    """mlx-lm's `batch_generate`, with a progress bar over the tokens generated.

    `batch_generate` shows progress only when an answer finishes, and greedy answers of a
    small model mostly run to `max_tokens` together: minutes with no sign of life. This drives
    the same `BatchGenerator` the same way (the same tokens: tests/test_eval_generation.py
    compares both) and ticks once per generated token; answers are decoded the same way.
    """
    from mlx_lm.generate import BatchGenerator
    from tqdm import tqdm

    gen = BatchGenerator(model, stop_tokens=[[t] for t in tokenizer.eos_token_ids], **kwargs)
    uids = gen.insert(prompts, [max_tokens] * len(prompts), caches=caches)
    tokens = {uid: [] for uid in uids}
    counted = dict.fromkeys(uids, 0)
    with tqdm(total=max_tokens * len(prompts), desc=desc, unit="tok", leave=False,
              mininterval=2.0) as bar:
        while responses := gen.next_generated():
            for r in responses:
                if r.finish_reason != "stop":
                    tokens[r.uid].append(r.token)
                # a finished answer's unused budget counts as done, so the bar ends at 100%
                done = max_tokens if r.finish_reason else len(tokens[r.uid])
                bar.update(done - counted[r.uid])
                counted[r.uid] = done
    gen.close()
    return [tokenizer.decode(tokens[uid]) for uid in uids]


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
        # Only the heading's positions, evaluated once: a lazy full-vocabulary log-softmax
        # over the whole answer, re-run by each .item(), cost minutes per prompt on SmolLM2.
        logits = model(mx.array([after]))[0, len(before) - 1:len(after) - 1].astype(mx.float32)
        logprobs = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
        targets = mx.array(after[len(before):])
        picked = mx.exp(mx.take_along_axis(logprobs, targets[:, None], axis=-1))[:, 0]
        probs.extend(picked.tolist())
    return sum(probs) / len(probs) if probs else 0.0


def mlx_answerer(model_path: str, adapter_path: str | None, config: EvalConfig):
    """Load the model (with the adapter if given); returns (answer, model, tokenizer).

    `config.dequantize` ("auto", True, False; `eval.dequantize`): generate with float32
    weights, by default on MLX's CPU backend only, whose quantized matmul does not batch
    (askbuddyx.models.dequantize_for_generation).

    Under `mlx.launch` (`askbuddyx eval run --processes N`, `eval.processes`), every rank
    loads the model and `answer` splits the prompts across the ranks
    (askbuddyx.eval.distributed): each rank generates its share and all get every answer.
    """
    from askbuddyx.eval.distributed import generate_across_ranks
    from askbuddyx.models import dequantize_for_generation, load_model, wants_float_weights
    from askbuddyx.train.distributed import in_worker, rank

    model, tokenizer = load_model(model_path, adapter_path=adapter_path)
    if wants_float_weights(config.dequantize):
        dequantize_for_generation(model)

    def answer(prompts: list, temperature: float = 0.0, seed: int = 0) -> list:
        def generate(share: list) -> list:
            # Sampling: each rank its own seed, else ranks would draw the same samples.
            rank_seed = seed + (rank() if temperature > 0 else 0)
            return generate_answers(model, tokenizer, share, config.max_tokens,
                                    config.batch_size, config.repetition_penalty,
                                    temperature, rank_seed)

        if not in_worker():
            return generate(prompts)
        return generate_across_ranks(prompts, generate)

    return answer, model, tokenizer


def evaluate_answerer(answer, cases: list[Case], config: EvalConfig, seed: int = 0,
                      score: bool = True) -> tuple[dict, list[Record]] | None:
    """Answer every case greedily (one batched call); sample HumanEval `config.samples`
    times and every held-out code prompt `config.candidates` - 1 more times, when > 1; then
    score everything: (rates, records). Returns None when `score` is False: the ranks other
    than 0 of a distributed run only help generate.

    Every held-out code prompt gets its candidates, whether or not its greedy answer passed
    (the server samples only when it did not; `pick` keeps a passing greedy answer either
    way): the prompts to generate must not depend on the sandbox, which each rank of a
    distributed run would otherwise consult on its own.
    """
    answers = answer([c.prompt for c in cases], 0.0, seed)
    sampled = None
    he_cases = [c for c in cases if c.suite == "humaneval"]
    n = config.samples
    if n > 1 and he_cases:
        outs = answer([c.prompt for c in he_cases for _ in range(n)], config.temperature, seed)
        sampled = {c.task_id: outs[i * n:(i + 1) * n] for i, c in enumerate(he_cases)}
    candidates = None
    code = [i for i, c in enumerate(cases) if c.heldout_code]
    more = config.candidates - 1
    if more > 0 and code:
        outs = answer([cases[i].prompt for i in code for _ in range(more)],
                      config.temperature, seed + 1)
        candidates = {i: [answers[i], *outs[k * more:(k + 1) * more]]
                      for k, i in enumerate(code)}
    if not score:
        return None
    return score_cases(cases, answers, config.limits, config.workers, sampled, candidates)


def run_settings(config: EvalConfig, cases: list[Case]) -> dict:
    """What an evaluation ran under: the config and which cases (counts and a digest)."""
    return {**config.recorded(),
            "heldout_code_prompts": sum(c.heldout_code for c in cases),
            "heldout_explain_prompts": sum(c.heldout_explain for c in cases),
            "humaneval_problems": sum(c.suite == "humaneval" for c in cases),
            "cases_digest": cases_digest(cases)}


@dataclass
class ModelEval:
    """One model's evaluation: what ran, its metrics, and every record.

    Attributes:
        model: The base model (folder or hub id).
        adapter: The LoRA adapter folder; None for the base model alone.
        metrics: The rates (askbuddyx.eval.scoring) and heading_token_prob_heldout.
        settings: What they were measured under (`run_settings`): a base and an adapter
            are compared only when theirs are equal.
        records: One per answer; empty when read back from a metrics file.
    """

    model: str
    adapter: str | None
    metrics: dict
    settings: dict
    records: list[Record] = field(default_factory=list)

    @property
    def name(self) -> str:
        return "adapter" if self.adapter else "base"

    def to_json(self) -> dict:
        """metrics/eval_<name>.json: {name: metrics, model, adapter (if any), settings}."""
        out = {self.name: self.metrics, "model": self.model, "settings": self.settings}
        if self.adapter:
            out["adapter_path"] = self.adapter
        return out

    def write(self, out_dir: str | Path, metrics_path: str | Path) -> None:
        """`out_dir/<name>_responses.jsonl` (one record a line) and the metrics JSON."""
        from askbuddyx.data.io import write_json, write_jsonl

        write_jsonl(Path(out_dir) / f"{self.name}_responses.jsonl",
                    (r.to_dict() for r in self.records))
        write_json(metrics_path, self.to_json())

    @classmethod
    def read_base(cls, metrics_path: str | Path) -> ModelEval:
        """The base model's evaluation from the metrics file `write` made (no records)."""
        import json

        from askbuddyx.data.io import require_file

        path = require_file(metrics_path, "Base model evaluation",
                            "Run `dvc repro evaluate_base` first.")
        data = json.loads(path.read_text())
        if not {"base", "model", "settings"} <= set(data):
            raise AskBuddyXError(f"{path} is not a base evaluation (needs base, model and "
                                 f"settings; has {', '.join(sorted(data))}).",
                                 hint="Rerun it: `dvc repro evaluate_base`.")
        return cls(data["model"], None, data["base"], data["settings"])

    def summary(self) -> str:
        return "\n".join(f"{key:>30}: {value}" for key, value in self.metrics.items())


def evaluate_model(model_path: str, adapter_path: str | None, cases: list[Case],
                   config: EvalConfig, score: bool = True) -> ModelEval | None:
    """Evaluate the base model (+ adapter) with mlx-lm on `cases`.

    Adds the teacher-forced heading probability over the held-out code prompts whose
    reference answer has the format. `score` False (ranks other than 0 of a distributed
    run): generate only, return None.
    """
    answer, model, tokenizer = mlx_answerer(model_path, adapter_path, config)
    scored = evaluate_answerer(answer, cases, config, score=score)
    if scored is None:
        return None
    metrics, records = scored
    fmt = [c for c in cases if c.heldout_code and has_runnable_first_format(c.reference)]
    if fmt:
        metrics["heading_token_prob_heldout"] = round(sum(
            heading_token_prob(model, tokenizer, c.prompt, c.reference) for c in fmt)
            / len(fmt), 4)
    return ModelEval(str(model_path), str(adapter_path) if adapter_path else None, metrics,
                     run_settings(config, cases), records)
