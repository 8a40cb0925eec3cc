"""The generation engine: one thread runs mlx-lm's `BatchGenerator`s, requests come and go.

Every served model (the base model, or the base with one LoRA adapter) gets its own
`mlx_lm.generate.BatchGenerator`, which does continuous batching: a request that arrives while
others are decoding joins the running batch at the next step. The engine thread steps each
generator that has work in turn, so requests for different adapters interleave step by step
instead of waiting for one another to drain. Sampling, stop tokens and KV caches are mlx-lm's;
this module only routes tokens to requests, detokenizes them and applies text stop strings.
Per request it also maps the OpenAI sampling fields onto mlx-lm (`logits_processors`: logit
bias, presence/frequency penalties; `seeded_sampler` for `seed`) and, when asked, keeps each
token's logprob and top alternatives (`token_logprob`) from the generator's logprobs. An API
request with `n` answers is `n` Requests, decoded as extra sequences of the same batch.

Events go back in batches: every `flush_interval` seconds (and whenever a request finishes)
the engine hands all pending events of all requests to `dispatch` in one call. The HTTP layer
sets `dispatch` to one `loop.call_soon_threadsafe` per batch, so the event loop wakes a few
dozen times a second however many requests are streaming: on a 2-core machine, waking it once
per token per request cost a third of the throughput (measured with bench/bench_serve.py).

Run only through `askbuddyx serve`; tests drive it through the HTTP API, and its mlx-lm
pieces directly (tests/test_serve_engine.py).
"""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import threading
import time
from dataclasses import dataclass, field

from askbuddyx.serve.schema import SamplingParams

log = logging.getLogger("askbuddyx.serve")


@dataclass
class TokenLogprob:
    """One answer token's log-probability and, if asked, the most likely alternatives.

    `start` is how many characters of the answer came before this token, so the entries of
    tokens cut away by a stop string can be dropped with the text.
    """

    start: int
    token: int
    logprob: float
    top: list  # [(token id, logprob), ...], most likely first


@dataclass(eq=False)  # identity semantics: requests live in sets and dicts
class Request:
    """One answer in flight (an API request with `n` answers is `n` of these).

    Args:
        served: The `ServedModel` (model + tokenizer) that generates it.
        prompt: Prompt token ids (chat template already applied).
        max_tokens: Most tokens to generate.
        sampling: Temperature, top_p, seed, penalties, logit bias (`SamplingParams`).
        stop: Text stop strings; the answer is cut before the first one.
        deliver: Called (through the engine's `dispatch`) as deliver(events), a list of
            ("delta", text), ("logprobs", [TokenLogprob, ...]) and ("done", finish_reason) /
            ("error", message) tuples.
        stream: False: no deltas, only ("done", ...) at the end (read `text` then).
        logprobs: None, or collect each token's logprob and its `logprobs` most likely
            alternatives (0: the chosen token only) into `token_logprobs`.
        choice: Which of the request's `n` answers this is (seeded answers differ by it).
    """

    served: object
    prompt: list
    max_tokens: int
    sampling: SamplingParams
    stop: list
    deliver: object
    stream: bool = True
    logprobs: int | None = None
    choice: int = 0
    prefix_len: int = 0  # tokens of the system-prompt prefix, cached for the next requests
    save_prefix: bool = False
    completion_tokens: int = 0
    text: str = ""
    emitted: int = 0  # chars of `text` already delivered
    token_logprobs: list = field(default_factory=list)
    logprobs_emitted: int = 0  # entries of `token_logprobs` already delivered
    finish_reason: str | None = None
    cancelled: bool = False
    uid: int | None = None
    detokenizer: object = None


def seeded_sampler(temperature: float, top_p: float, seed: int, choice: int):
    """A sampler with its own random key: the same seed gives the same draws however other
    requests in the batch sample (mlx-lm's samplers share MLX's global random state).

    Same math as mlx-lm's `make_sampler` (top-p filter, then a categorical draw at
    `temperature`); answer `choice` of a request draws from its own split of the seed's key.
    """
    import mlx.core as mx
    from mlx_lm.sample_utils import apply_top_p

    key = mx.random.split(mx.random.key(seed % 2 ** 64), choice + 1)[choice]
    state = {"key": key}

    def sample(logprobs):
        if 0 < top_p < 1.0:
            logprobs = apply_top_p(logprobs, top_p)
        state["key"], draw = mx.random.split(state["key"])
        return mx.random.categorical(logprobs * (1.0 / temperature), key=draw)

    return sample


def logits_processors(sampling: SamplingParams, prompt_len: int, max_tokens: int) -> list:
    """mlx-lm's logits processors for one request.

    The repetition penalty keeps mlx-lm's meaning (the last 20 tokens, prompt included).
    OpenAI's presence and frequency penalties count the tokens of the answer so far, so they
    see the token context from `prompt_len` on (the context mlx-lm hands a processor is the
    prompt followed by the tokens generated so far).
    """
    from mlx_lm.sample_utils import make_logits_processors

    processors = []
    if sampling.repetition_penalty not in (None, 1.0):
        processors += make_logits_processors(repetition_penalty=sampling.repetition_penalty)
    if sampling.logit_bias:
        processors += make_logits_processors(logit_bias=sampling.logit_bias)
    penalties = make_logits_processors(
        presence_penalty=sampling.presence_penalty, presence_context_size=max_tokens,
        frequency_penalty=sampling.frequency_penalty, frequency_context_size=max_tokens)
    processors += [_over_answer(p, prompt_len) for p in penalties]
    return processors


def _over_answer(processor, prompt_len: int):
    def apply(tokens, logits):
        return processor(tokens[prompt_len:], logits)

    return apply


def token_logprob(logprobs, token: int, top: int, start: int) -> TokenLogprob:
    """The chosen token's logprob and the `top` most likely tokens, from mlx-lm's per-step
    logprobs (log-softmax of the logits after the request's logits processors)."""
    import mlx.core as mx

    chosen = logprobs[token]
    if top <= 0:
        return TokenLogprob(start, token, chosen.item(), [])
    ids = mx.argpartition(-logprobs, kth=top - 1)[:top]
    values = logprobs[ids]
    mx.eval(chosen, ids, values)
    pairs = sorted(zip(ids.tolist(), values.tolist()), key=lambda p: -p[1])
    return TokenLogprob(start, token, chosen.item(), pairs)


class Engine:
    """Owns the generation thread. `submit` and `cancel` are safe to call from any thread.

    Args:
        completion_batch_size: Most sequences one generator decodes at once.
        prefill_batch_size: Most prompts one generator prefills at once.
    """

    def __init__(self, completion_batch_size: int = 32, prefill_batch_size: int = 8,
                 flush_interval: float = 0.02, prompt_cache_size: int = 16):
        self.prompt_cache_size = prompt_cache_size
        self.completion_batch_size = completion_batch_size
        self.prefill_batch_size = prefill_batch_size
        self._inbox: queue.Queue = queue.Queue()
        self._generators: dict = {}  # ServedModel key -> (BatchGenerator, {uid: Request})
        self._samplers: dict = {}
        self._prompt_cache = None  # mlx-lm's LRUPromptCache, made on the engine thread
        self.peak_batch = 0  # most sequences one generator stepped at once (shown in /health)
        self.flush_interval = flush_interval
        # dispatch(batch): batch is a list of (Request, events). Default: deliver right here.
        self.dispatch = lambda batch: [req.deliver(events) for req, events in batch]
        self._pending: list = []
        self._last_flush = 0.0
        self._stop = False
        self._failed: str | None = None
        self._thread = threading.Thread(target=self._run, name="askbuddyx-engine", daemon=True)
        self._thread.start()

    # -- public API ---------------------------------------------------------------------
    def submit(self, request: Request) -> None:
        if not self.alive:
            raise RuntimeError(f"generation engine is not running ({self._failed})")
        self._inbox.put(("submit", request))

    def call(self, fn, *args) -> concurrent.futures.Future:
        """Run fn(*args) on the engine thread between two steps (MLX work: loading adapters).

        Keeping every MLX computation on one thread avoids evaluating arrays from two threads
        at once; generation pauses for the call's duration.
        """
        future: concurrent.futures.Future = concurrent.futures.Future()
        if not self.alive:
            future.set_exception(RuntimeError(f"generation engine is not running ({self._failed})"))
        else:
            self._inbox.put(("call", (future, fn, args)))
        return future

    def cancel(self, request: Request) -> None:
        request.cancelled = True
        self._inbox.put(("cancel", request))

    def close(self) -> None:
        self._stop = True
        self._inbox.put(("wake", None))
        self._thread.join(timeout=10)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and self._failed is None

    @property
    def active(self) -> int:
        """Answers in the generators now. Read from other threads: list() copies the dict's
        values in one step, so the engine thread adding a generator cannot break the count."""
        return sum(len(reqs) for _, reqs in list(self._generators.values()))

    # -- engine thread ------------------------------------------------------------------
    def _run(self) -> None:
        import mlx.core as mx

        # All generation happens on this thread's stream, as in mlx_lm.server.
        stream = mx.default_stream(mx.default_device())
        from mlx_lm.models.cache import LRUPromptCache

        # KV caches of prompt prefixes (the system prompt, earlier turns of a chat), as
        # mlx_lm.server keeps them: most requests then prefill only the new user message.
        self._prompt_cache = LRUPromptCache(max_size=self.prompt_cache_size)
        try:
            while not self._stop:
                self._drain_inbox(block=self.active == 0, stream=stream)
                self._step()
        except Exception as exc:  # noqa: BLE001 - reported to every waiting request
            log.exception("generation engine died")
            self._failed = f"{type(exc).__name__}: {exc}"
            for _, reqs in self._generators.values():
                for r in reqs.values():
                    self._pending.append((r, [("error", "generation engine failed; see the "
                                                        "server log")]))
            self.dispatch(self._pending)
            self._generators.clear()

    def _drain_inbox(self, block: bool, stream) -> None:
        try:
            item = self._inbox.get(timeout=0.5) if block else self._inbox.get_nowait()
        except queue.Empty:
            return
        while True:
            kind, req = item
            if kind == "submit":
                try:
                    self._insert(req, stream)
                except Exception:  # noqa: BLE001 - this request fails, the engine goes on
                    log.exception("could not start a request")
                    self.dispatch([(req, [("error", "could not start generation; see the "
                                                    "server log")])])
            elif kind == "cancel":
                self._remove(req)
            elif kind == "call":
                future, fn, args = req
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn(*args))
                    except Exception as exc:  # noqa: BLE001 - handed to the caller
                        future.set_exception(exc)
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return

    def _sampler(self, req: Request):
        s = req.sampling
        if s.seed is not None and s.temperature > 0:
            return seeded_sampler(s.temperature, s.top_p, s.seed, req.choice)
        # One sampler object per setting: BatchGenerator samples the whole batch in one call
        # when every sequence shares the same sampler object.
        from mlx_lm.sample_utils import make_sampler

        key = (float(s.temperature), float(s.top_p))
        if key not in self._samplers:
            self._samplers[key] = make_sampler(temp=key[0], top_p=key[1])
        return self._samplers[key]

    def _insert(self, req: Request, stream) -> None:
        if req.cancelled:
            return
        from mlx_lm.generate import BatchGenerator, make_stop_sequences

        served = req.served
        entry = self._generators.get(served.key)
        if entry is None:
            gen = BatchGenerator(served.model, completion_batch_size=self.completion_batch_size,
                                 prefill_batch_size=self.prefill_batch_size, stream=stream)
            entry = self._generators[served.key] = (gen, {})
        gen, reqs = entry
        prompt = req.prompt
        cache, rest = self._prompt_cache.fetch_nearest_cache(served.key, prompt)
        if not rest:  # an exact hit leaves nothing to prefill; the generator needs a token
            cache, rest = None, prompt
        cached = len(prompt) - len(rest)
        if cached < req.prefix_len < len(prompt):
            # Two segments: the generator pauses after the first so we can cache it.
            segments = [prompt[cached:req.prefix_len], prompt[req.prefix_len:]]
            req.save_prefix = True
        else:
            segments = [rest]
        (uid,) = gen.insert_segments(
            [segments], max_tokens=[req.max_tokens], caches=[cache],
            all_tokens=[prompt[:cached]],
            samplers=[self._sampler(req)],
            logits_processors=[logits_processors(req.sampling, len(prompt), req.max_tokens)],
            stop_sequences=[make_stop_sequences(served.tokenizer)],
        )
        req.uid = uid
        req.detokenizer = served.tokenizer.detokenizer
        reqs[uid] = req

    def _remove(self, req: Request) -> None:
        entry = self._generators.get(req.served.key)
        if entry is None or req.uid not in entry[1]:
            return
        gen, reqs = entry
        gen.remove([req.uid])
        del reqs[req.uid]

    def _step(self) -> None:
        any_finished = False
        for key in list(self._generators):
            gen, reqs = self._generators[key]
            if not reqs:
                # Idle: drop it (cheap to make again), so an unloaded model is freed.
                gen.close()
                del self._generators[key]
                if not self._generators:
                    self._release_memory()
                continue
            prompt_responses, responses = gen.next()
            self.peak_batch = max(self.peak_batch, len(responses))
            ends = [p.uid for p in prompt_responses
                    if p.end_of_segment and not p.end_of_prompt and p.uid in reqs
                    and reqs[p.uid].save_prefix]
            for cache, tokens in gen.extract_cache(ends).values():
                self._prompt_cache.insert_cache(key, tokens[:], cache, cache_type="system")
            finished = []
            for r in responses:
                req = reqs.get(r.uid)
                if req is None:
                    continue
                self._on_token(req, r)
                if r.finish_reason is not None and r.prompt_cache is not None:
                    # The whole conversation so far: the next turn of this chat reuses it.
                    self._prompt_cache.insert_cache(key, r.all_tokens[:], r.prompt_cache,
                                                    cache_type="assistant")
                if req.finish_reason is not None:
                    finished.append(req)
                    del reqs[r.uid]
                    if r.finish_reason is None:  # our stop string, not mlx-lm's: drop it there
                        gen.remove([r.uid])
            any_finished = any_finished or bool(finished)
            self._pending.extend((req, None) for req in finished)
        now = time.perf_counter()
        if any_finished or now - self._last_flush >= self.flush_interval:
            self._last_flush = now
            batch = []
            for _, reqs in self._generators.values():
                for req in reqs.values():
                    events = self._events(req)
                    if events:
                        batch.append((req, events))
            for req, _ in self._pending:
                batch.append((req, self._events(req)))
            self._pending = []
            if batch:
                self.dispatch(batch)

    @staticmethod
    def _release_memory() -> None:
        """Nothing is generating: hand MLX's cache of freed buffers (batch KV caches, logits)
        back to the system, so an idle server holds what it uses (the load test checks that
        resident memory returns to its level after warm-up)."""
        import mlx.core as mx

        mx.clear_cache()

    def _on_token(self, req: Request, response) -> None:
        token, finish_reason = response.token, response.finish_reason
        req.completion_tokens += 1
        detok = req.detokenizer
        if finish_reason == "stop":
            # The stop (EOS) token itself is not part of the answer.
            req.completion_tokens -= 1
            detok.finalize()
        else:
            if req.logprobs is not None:
                req.token_logprobs.append(token_logprob(response.logprobs, token, req.logprobs,
                                                        start=len(req.text)))
            detok.add_token(token)
            if finish_reason == "length":
                detok.finalize()
        req.text += detok.last_segment
        if req.stop:
            cut = min((i for i in (req.text.find(s, max(0, req.emitted - len(s)))
                                   for s in req.stop) if i >= 0), default=-1)
            if cut >= 0:
                req.text = req.text[:cut]
                req.token_logprobs = [e for e in req.token_logprobs if e.start < cut]
                finish_reason = "stop"
        if finish_reason is not None:
            req.finish_reason = finish_reason

    @staticmethod
    def _events(req: Request) -> list:
        if not req.stream:
            return [("done", req.finish_reason)] if req.finish_reason is not None else []
        end = len(req.text)
        if req.finish_reason is None and req.stop:
            # Hold back a tail that could be the start of a stop string.
            for s in req.stop:
                for k in range(min(len(s) - 1, end - req.emitted), 0, -1):
                    if req.text.endswith(s[:k]):
                        end = min(end, len(req.text) - k)
                        break
        events = []
        if end > req.emitted:
            events.append(("delta", req.text[req.emitted:end]))
            req.emitted = end
        if req.token_logprobs:
            # The entries of the text delivered so far (all of them once the answer is done).
            done = req.finish_reason is not None
            upto = next((i for i in range(req.logprobs_emitted, len(req.token_logprobs))
                         if not done and req.token_logprobs[i].start >= end),
                        len(req.token_logprobs))
            if upto > req.logprobs_emitted:
                events.append(("logprobs", req.token_logprobs[req.logprobs_emitted:upto]))
                req.logprobs_emitted = upto
        if req.finish_reason is not None:
            events.append(("done", req.finish_reason))
        return events
