"""POST /v1/chat/completions: one OpenAI request -> `n` engine answers -> an OpenAI response.

The way through: check the body (`schema.parse_chat_request`; unsupported fields are a 400),
find the model (loading an adapter on first use), apply the chat template, wait for `n`
generation slots (`admission`: 429 when the queue is full, 503 after `serve.queue_timeout_s`),
submit `n` engine Requests (they decode in the same batch), then answer as one JSON body or
as server-sent events (`stream: true`, ending in `data: [DONE]`). With grounding set up
(askbuddyx/serve/grounding.py), the messages get the routed system prompt, the memory's rules
and the retrieved code first, and the response an `askbuddyx` field and `usage.sources`.
With `logprobs`, each answer's tokens come with their log-probabilities (and `top_logprobs`
alternatives), as OpenAI shapes them.

A code request with one answer is verified in the sandbox (askbuddyx.sandbox.verify): does its
Solution + Usage run, does its own Sanity test pass. A greedy, non-streamed one gets
`serve.candidates` answers in the same batch (the greedy one first, the others sampled at
`serve.candidate_temperature` from a fixed seed, so the same request gets the same answer) and
is given the first best: Sanity test passes, else runs, else has the format. The response says
so in `askbuddyx.verified` {runnable, sanity_passed, ..., candidates, chosen}; usage counts
every candidate's tokens. A streamed answer cannot be swapped once sent: its verdict comes in
a last chunk before `[DONE]`. A client that leaves, or a request still running when
the server shuts down, has its answers cancelled in the engine at once.

Tested through the live server: tests/test_serve_api.py, tests/test_serve_lifecycle.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import math
import time
import uuid

from aiohttp import web

from askbuddyx.errors import AskBuddyXError
from askbuddyx.prompting import SYSTEM_PROMPT, format_chat
from askbuddyx.sandbox.runner import Limits
from askbuddyx.sandbox.verify import pick, verify_answers
from askbuddyx.serve.admission import Closed, Overloaded, QueueTimeout
from askbuddyx.serve.engine import Request
from askbuddyx.serve.grounding import GROUNDING, ground, request_options
from askbuddyx.serve.intent import model_intent
from askbuddyx.serve.registry import ASKBUDDYX, UnknownModel
from askbuddyx.serve.schema import (
    ApiError,
    bad,
    check_token_ids,
    parse_chat_request,
    parse_json,
    with_system_prompt,
)
from askbuddyx.serve.state import ADMISSION, CONFIG, ENGINE, INFLIGHT, RECORDER, REGISTRY

MIN_LOGPROB = -9999.0  # what OpenAI reports for a token of (numerically) zero probability


async def chat_completions(request: web.Request) -> web.StreamResponse:
    app = request.app
    cfg = app[CONFIG]
    body = parse_json(await request.read())
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        request["model"] = body["model"][:80]  # for the log line, even when the body is bad
    req = parse_chat_request(body, ASKBUDDYX, cfg.default_max_tokens, cfg.max_tokens_limit,
                             cfg.default_temperature)
    grounding = app.get(GROUNDING)
    index = None
    if grounding is not None:
        req.model, index = request_options(body, req.model, app[REGISTRY].names())
    request["model"] = req.model
    if req.n > cfg.batch_size:
        raise bad(f"'n' must be at most {cfg.batch_size} on this server (serve.batch_size).",
                  "n")
    served = await _served(app, req.model)
    check_token_ids(req.sampling.logit_bias, served.vocab_size)
    tokenizer = served.tokenizer
    grounded = None
    if grounding is None:
        messages = with_system_prompt(req.messages, SYSTEM_PROMPT)
    else:
        grounded = await ground(grounding, req.messages, index, tokenizer,
                                functools.partial(_model_intent, app, served))
        messages = grounded.messages
    prompt = tokenizer.encode(format_chat(tokenizer, messages, add_generation_prompt=True),
                              add_special_tokens=False)
    request["prompt_tokens"] = len(prompt)
    if len(prompt) > cfg.max_prompt_tokens:
        raise bad(f"The prompt has {len(prompt)} tokens; this server takes at most "
                  f"{cfg.max_prompt_tokens}.", "messages", "context_length_exceeded")
    verify = req.n == 1 and (grounded is None or grounded.intent == "code")
    picking = (verify and not req.stream and not req.logprobs
               and req.sampling.temperature == 0 and cfg.candidates > 1)
    events: asyncio.Queue = asyncio.Queue()
    answers = [Request(served=served, prompt=prompt, max_tokens=req.max_tokens,
                       sampling=_candidate_sampling(req.sampling, cfg, i) if picking
                       else req.sampling, stop=req.stop,
                       stream=req.stream, logprobs=req.top_logprobs if req.logprobs else None,
                       choice=i, prefix_len=_system_prefix_len(tokenizer, messages, prompt),
                       deliver=functools.partial(_tagged, events, i))
               for i in range(cfg.candidates if picking else req.n)]
    admission = app[ADMISSION]
    try:
        async with admission.slot(len(answers)):
            return await _generate(request, req, answers, events, messages, grounded,
                                   verify)
    except (Overloaded, QueueTimeout, Closed) as exc:
        raise overload_error(exc, admission) from None


def _candidate_sampling(sampling, cfg, choice: int):
    """Candidate 0 is the request as asked (greedy); the others are sampled from seed 0 (or
    the request's), each from its own split of it (engine.seeded_sampler)."""
    if choice == 0:
        return sampling
    return dataclasses.replace(sampling, temperature=cfg.candidate_temperature,
                               seed=sampling.seed if sampling.seed is not None else 0)


async def _verified(app, answers: list) -> tuple[int, dict]:
    """(index of the answer to give, its `askbuddyx.verified` report): every answer's programs
    run in the sandbox, off the event loop."""
    timeout = app[CONFIG].verify_timeout_s
    limits = Limits(wall_s=timeout, cpu_s=max(1, int(timeout) // 2))
    verdicts = await asyncio.get_running_loop().run_in_executor(
        None, verify_answers, [a.text for a in answers], limits)
    chosen = pick(verdicts)
    return chosen, {**verdicts[chosen].as_dict(), "candidates": len(answers), "chosen": chosen}


async def _model_intent(app, served, question: str) -> str:
    """The served model's intent pick (one forward pass, on the engine thread like all MLX)."""
    return await asyncio.wrap_future(
        app[ENGINE].call(model_intent, served.model, served.tokenizer, question))


async def _served(app, name: str):
    """The model for a request; loading an adapter runs on the engine thread."""
    registry = app[REGISTRY]
    try:
        served = registry.peek(name)
        if served is None:
            served = await asyncio.wrap_future(app[ENGINE].call(registry.get, name))
        return served
    except UnknownModel:
        raise ApiError(404, f"The model '{name}' does not exist. Available: "
                            f"{', '.join(registry.names())}.", "invalid_request_error",
                       "model", "model_not_found") from None
    except AskBuddyXError as exc:
        raise ApiError(409, f"The model '{name}' could not be loaded: {exc.message}",
                       "invalid_request_error", "model", "model_unavailable") from None


def overload_error(exc: Exception, admission) -> ApiError:
    """The HTTP answer to a request the admission control did not let in."""
    if isinstance(exc, Overloaded):
        return ApiError(429, f"The server is at capacity ({admission.running} answers "
                             f"generating, {exc.queued} requests waiting, serve.max_queue "
                             f"{admission.max_queue}); retry after {exc.retry_after} s.",
                        "rate_limit_error", code="server_overloaded",
                        headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, QueueTimeout):
        return ApiError(503, f"No generation slot freed up in {exc.waited_s:.1f} s "
                             f"(serve.queue_timeout_s); retry after {exc.retry_after} s.",
                        "server_error", code="queue_timeout",
                        headers={"Retry-After": str(exc.retry_after)})
    return shutting_down()


def shutting_down() -> ApiError:
    return ApiError(503, "The server is shutting down; retry in a moment.", "server_error",
                    code="shutting_down", headers={"Retry-After": "5", "Connection": "close"})


def _engine_error(value) -> ApiError:
    """An ("error", value) event: a message from the engine, or an ApiError from shutdown."""
    return value if isinstance(value, ApiError) else ApiError(503, value, "server_error")


async def _generate(request, req, answers: list, events: asyncio.Queue, messages: list,
                    grounded=None, verify: bool = False):
    app = request.app
    engine, inflight = app[ENGINE], app[INFLIGHT]
    if not engine.alive:
        raise ApiError(503, "The generation engine stopped; restart the server.", "server_error")
    for answer in answers:
        engine.submit(answer)
        inflight.add(answer)
    reply = Reply(req, answers, grounded)
    complete = False
    try:
        if req.stream:
            response, complete = await _stream(request, reply, events, verify)
        else:
            await _collect(events, len(answers))
            if verify:
                chosen, reply.verified = await _verified(app, answers)
                reply.shown = [answers[chosen]]
            response, complete = web.json_response(reply.completion()), True
        return response
    finally:
        request["completion_tokens"] = reply.completion_tokens
        for answer in answers:
            inflight.discard(answer)
            if answer.finish_reason is None:
                engine.cancel(answer)
            elif complete and app[RECORDER] is not None and answer in reply.shown:
                app[RECORDER].record(req.model, messages, answer.text, answer.finish_reason)


def _tagged(events: asyncio.Queue, index: int, batch: list) -> None:
    events.put_nowait((index, batch))


async def _collect(events: asyncio.Queue, n: int) -> None:
    """Wait until all `n` answers of a non-streamed request are done."""
    pending = set(range(n))
    while pending:
        index, batch = await events.get()
        for kind, value in batch:
            if kind == "done":
                pending.discard(index)
            elif kind == "error":
                raise _engine_error(value)


class Reply:
    """OpenAI response bodies for one request's answers (engine Requests, same order)."""

    def __init__(self, req, answers: list, grounded=None):
        self.req = req
        self.grounded = grounded  # grounding.Grounded: what the context held, or None
        self.answers = answers  # every answer generated (usage counts them all)
        self.shown = answers  # the ones the response gives: one of the candidates when picking
        self.verified: dict | None = None  # askbuddyx.sandbox.verify's report of it
        self.ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())
        self.tokenizer = answers[0].served.tokenizer

    @property
    def completion_tokens(self) -> int:
        return sum(a.completion_tokens for a in self.answers)

    def usage(self) -> dict:
        prompt = len(self.answers[0].prompt)  # counted once, as OpenAI does for n > 1
        usage = {"prompt_tokens": prompt, "completion_tokens": self.completion_tokens,
                 "total_tokens": prompt + self.completion_tokens}
        if self.grounded is not None:
            usage["sources"] = self.grounded.usage_sources()
        return usage

    def grounding(self) -> dict:
        """The response's `askbuddyx` field: what the context held, and the verdict."""
        info = self.grounded.report() if self.grounded is not None else {}
        if self.verified is not None:
            info["verified"] = self.verified
        return {"askbuddyx": info} if info else {}

    def completion(self) -> dict:
        return {**self._head("chat.completion"), **self.grounding(), "usage": self.usage(),
                "choices": [
            {"index": i, "message": {"role": "assistant", "content": a.text},
             "logprobs": self.logprobs(a.token_logprobs) if self.req.logprobs else None,
             "finish_reason": a.finish_reason}
            for i, a in enumerate(self.shown)]}

    def chunk(self, index: int, delta: dict, finish=None, entries=None,
              first: bool = False) -> bytes:
        choice = {"index": index, "delta": delta, "finish_reason": finish,
                  "logprobs": self.logprobs(entries) if entries else None}
        extra = self.grounding() if first else {}  # said once, with the first chunk
        return _sse({**self._head("chat.completion.chunk"), **extra, "choices": [choice]})

    def usage_chunk(self) -> bytes:
        return _sse({**self._head("chat.completion.chunk"), "choices": [],
                     "usage": self.usage()})

    def logprobs(self, entries: list) -> dict:
        """OpenAI's `logprobs` object for some `TokenLogprob`s of one answer."""
        ids = [e.token for e in entries] + [t for e in entries for t, _ in e.top]
        text = dict(zip(ids, self.tokenizer.batch_decode([[t] for t in ids])))

        def one(token: int, logprob: float) -> dict:
            word = text[token]
            # A token that is part of a multi-byte character decodes to U+FFFD alone: its
            # bytes are unknown here, which OpenAI's schema allows as null.
            return {"token": word, "bytes": None if "\ufffd" in word else list(word.encode()),
                    "logprob": logprob if math.isfinite(logprob) else MIN_LOGPROB}

        return {"content": [{**one(e.token, e.logprob),
                             "top_logprobs": [one(t, lp) for t, lp in e.top]}
                            for e in entries], "refusal": None}

    def _head(self, kind: str) -> dict:
        return {"id": self.ident, "object": kind, "created": self.created,
                "model": self.req.model, "system_fingerprint": None}


def _sse(body: dict) -> bytes:
    return f"data: {json.dumps(body)}\n\n".encode()


async def _stream(request, reply: Reply, events: asyncio.Queue, verify: bool = False):
    """Stream every answer's deltas as they come; returns (response, every answer done).
    With `verify`, the answer's sandbox verdict follows it in a chunk of its own."""
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
    await response.prepare(request)
    pending = set(range(len(reply.answers)))
    try:
        for index in sorted(pending):
            await response.write(reply.chunk(index, {"role": "assistant", "content": ""},
                                             first=True))
        while pending:
            index, batch = await events.get()
            text = "".join(v for k, v in batch if k == "delta")
            entries = [e for k, v in batch if k == "logprobs" for e in v]
            done = next((v for k, v in batch if k == "done"), None)
            failed = next((v for k, v in batch if k == "error"), None)
            if text or entries:
                await response.write(reply.chunk(index, {"content": text}, entries=entries))
            if failed:
                await response.write(_sse(_engine_error(failed).body()))
                break
            if done:
                await response.write(reply.chunk(index, {}, finish=done))
                pending.discard(index)
        if not pending and verify:
            _, verified = await _verified(request.app, reply.answers)
            await response.write(_sse({**reply._head("chat.completion.chunk"), "choices": [],
                                       "askbuddyx": {"verified": verified}}))
        if not pending and reply.req.include_usage:
            await response.write(reply.usage_chunk())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
    except ConnectionError:
        request["status"] = 499  # the client went away; the caller cancels what is left
        return response, False
    return response, not pending


_PREFIX_TOKENS: dict = {}  # (tokenizer id, system texts) -> tokens of the system turn(s)


def _system_prefix_len(tokenizer, messages: list, prompt: list) -> int:
    """How many leading prompt tokens are the system turn(s): the engine caches their KV."""
    n = 0
    while n < len(messages) and messages[n]["role"] == "system":
        n += 1
    if n == 0:
        return 0
    key = (id(tokenizer), tuple(m["content"] for m in messages[:n]))
    head = _PREFIX_TOKENS.get(key)
    if head is None:
        head = tokenizer.encode(format_chat(tokenizer, messages[:n] + [{"role": "user",
                                                                         "content": ""}]),
                                add_special_tokens=False)
        if len(_PREFIX_TOKENS) > 64:
            _PREFIX_TOKENS.clear()
        _PREFIX_TOKENS[key] = head
    same = 0
    for a, b in zip(head, prompt):
        if a != b:
            break
        same += 1
    return same
