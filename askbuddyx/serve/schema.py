"""Checking OpenAI chat-completion requests: every bad input becomes a 4xx `ApiError`.

Pure Python (no mlx), so the rules are unit-tested without a model. The shapes follow the
OpenAI Chat Completions API: https://platform.openai.com/docs/api-reference/chat/create

Every field the API defines for generation either works or is refused: `n`, `seed`,
`logprobs` / `top_logprobs`, `logit_bias`, `presence_penalty` / `frequency_penalty` work
(`SamplingParams` maps them onto mlx-lm); `tools`, `tool_choice`, `functions`, `function_call`
and `response_format` other than text are a 400 naming the field (`UNSUPPORTED`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

ROLES = ("system", "user", "assistant", "developer", "tool")
MAX_STOP = 4


class ApiError(Exception):
    """An OpenAI-style error: HTTP status, message, type, offending param, code."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.headers = headers or {}  # e.g. Retry-After on a 429
        self.status = status
        self.message = message
        self.type = type_
        self.param = param
        self.code = code

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param,
                          "code": self.code}}


def bad(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


# Fields of the OpenAI API that this server does not implement. A request that uses one
# (with anything but its "off" value) is a 400 naming it, never an answer that ignores it.
UNSUPPORTED = {
    "tools": ("tool calls are not supported (the model is not trained to call tools)", [[]]),
    "tool_choice": ("tool calls are not supported", ["none"]),
    "functions": ("function calls are not supported", [[]]),
    "function_call": ("function calls are not supported", ["none"]),
    "response_format": ("structured output (JSON mode, json_schema) is not supported; "
                        "only {'type': 'text'}", [{"type": "text"}]),
}
MAX_N = 128  # OpenAI's bound; the server also keeps n within serve.batch_size
MAX_TOP_LOGPROBS = 20
MAX_LOGIT_BIAS = 300


@dataclass
class SamplingParams:
    """How the next token is picked; every field maps onto an mlx-lm sampler or logits processor.

    Args:
        temperature, top_p: mlx-lm's `make_sampler` (temperature 0 = greedy).
        seed: None, or the seed of this request's own random generator (reproducible sampling).
        repetition_penalty: mlx-lm's multiplicative penalty over the last 20 tokens (None: off).
        presence_penalty, frequency_penalty: OpenAI's additive penalties over the answer so far.
        logit_bias: token id -> value added to its logit (OpenAI's `logit_bias`).
    """

    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    repetition_penalty: float | None = None
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    logit_bias: dict = field(default_factory=dict)


@dataclass
class ChatRequest:
    model: str
    messages: list
    max_tokens: int
    sampling: SamplingParams
    stop: list = field(default_factory=list)
    stream: bool = False
    include_usage: bool = False
    n: int = 1
    logprobs: bool = False
    top_logprobs: int = 0


def parse_json(raw: bytes):
    """Decode a request body; a 400 for anything that is not one JSON value in UTF-8."""
    if not raw:
        raise bad("The request body is empty; send a JSON object.")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except ApiError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, nesting
        raise bad(f"The request body is not valid JSON ({type(exc).__name__}).") from None


def _reject_constant(name: str):
    raise bad(f"{name} is not valid JSON.")


def _number(body: dict, key: str, default: float, lo: float, hi: float,
            lo_open: bool = False) -> float:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise bad(f"'{key}' must be a number.", key)
    if value > hi or value < lo or (lo_open and value == lo):
        bound = f"({lo}, {hi}]" if lo_open else f"[{lo}, {hi}]"
        raise bad(f"'{key}' must be in {bound}, got {value}.", key)
    return float(value)


def _content_text(content, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": "..."}] parts
        texts = []
        for part in content:
            if not (isinstance(part, dict) and part.get("type") == "text"
                    and isinstance(part.get("text"), str)):
                raise bad(f"{where}.content parts must be {{'type': 'text', 'text': str}}; "
                          "only text is supported.", where)
            texts.append(part["text"])
        return "".join(texts)
    raise bad(f"{where}.content must be a string or a list of text parts.", where)


def parse_messages(value) -> list:
    if not isinstance(value, list) or not value:
        raise bad("'messages' must be a non-empty list of {role, content} objects.", "messages")
    messages = []
    for i, m in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            raise bad(f"{where} must be an object with 'role' and 'content'.", where)
        role = m.get("role")
        if role not in ROLES:
            raise bad(f"{where}.role must be one of {', '.join(ROLES)}.", where)
        content = m.get("content")
        if content is None and role == "assistant":
            content = ""
        text = _content_text(content, where)
        messages.append({"role": "system" if role == "developer" else role, "content": text})
    if not any(m["role"] == "user" and m["content"].strip() for m in messages):
        raise bad("'messages' needs at least one user message with content.", "messages")
    return messages


def parse_chat_request(body, default_model: str, default_max_tokens: int,
                       max_tokens_limit: int, default_temperature: float) -> ChatRequest:
    """Validate a /v1/chat/completions body (already JSON-decoded) into a ChatRequest."""
    if not isinstance(body, dict):
        raise bad("The request body must be a JSON object.")
    refuse_unsupported(body)
    model = body.get("model", default_model)
    if not isinstance(model, str) or not model:
        raise bad("'model' must be a non-empty string.", "model")
    stream, include_usage = _stream(body)
    logprobs, top_logprobs = _logprobs(body)
    return ChatRequest(
        model=model,
        messages=parse_messages(body.get("messages")),
        max_tokens=_max_tokens(body, default_max_tokens, max_tokens_limit),
        sampling=parse_sampling(body, default_temperature),
        stop=_stop(body),
        stream=stream,
        include_usage=include_usage,
        n=_integer(body, "n", 1, 1, MAX_N),
        logprobs=logprobs,
        top_logprobs=top_logprobs,
    )


def refuse_unsupported(body: dict) -> None:
    """A 400 naming the first field of `UNSUPPORTED` that is set to something but "off"."""
    for key, (why, off_values) in UNSUPPORTED.items():
        value = body.get(key)
        if value is not None and value not in off_values:
            raise bad(f"'{key}' is not supported by this server: {why}. Remove it from the "
                      "request.", key, "unsupported_parameter")


def _integer(body: dict, key: str, default: int | None, lo: int, hi: int) -> int | None:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(f"'{key}' must be an integer.", key)
    if not lo <= value <= hi:
        raise bad(f"'{key}' must be between {lo} and {hi}, got {value}.", key)
    return value


def _max_tokens(body: dict, default: int, limit: int) -> int:
    key = "max_completion_tokens" if body.get("max_completion_tokens") is not None \
        else "max_tokens"
    return _integer(body, key, default, 1, limit)


def _stop(body: dict) -> list:
    stop = body.get("stop")
    if stop is None:
        return []
    if isinstance(stop, str):
        stop = [stop]
    if not (isinstance(stop, list) and len(stop) <= MAX_STOP
            and all(isinstance(s, str) and s for s in stop)):
        raise bad(f"'stop' must be a non-empty string or a list of up to {MAX_STOP} of them.",
                  "stop")
    return stop


def _stream(body: dict) -> tuple[bool, bool]:
    """(stream, include_usage)."""
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise bad("'stream' must be a boolean.", "stream")
    options = body.get("stream_options")
    if options is None:
        return stream, False
    if not isinstance(options, dict) or not isinstance(options.get("include_usage", False),
                                                       bool):
        raise bad("'stream_options' must be {'include_usage': bool}.", "stream_options")
    return stream, options.get("include_usage", False)


def _logprobs(body: dict) -> tuple[bool, int]:
    """(logprobs, top_logprobs); top_logprobs needs logprobs, as in OpenAI's API."""
    logprobs = body.get("logprobs")
    if logprobs is None:
        logprobs = False
    if not isinstance(logprobs, bool):
        raise bad("'logprobs' must be a boolean.", "logprobs")
    top = _integer(body, "top_logprobs", 0, 0, MAX_TOP_LOGPROBS)
    if body.get("top_logprobs") is not None and not logprobs:
        raise bad("'top_logprobs' needs 'logprobs': true.", "top_logprobs")
    return logprobs, top


def parse_sampling(body: dict, default_temperature: float) -> SamplingParams:
    penalty = body.get("repetition_penalty")
    if penalty is not None:
        penalty = _number(body, "repetition_penalty", 1.0, 0.0, 10.0, lo_open=True)
    return SamplingParams(
        temperature=_number(body, "temperature", default_temperature, 0.0, 2.0),
        top_p=_number(body, "top_p", 1.0, 0.0, 1.0, lo_open=True),
        seed=_integer(body, "seed", None, -(2 ** 63), 2 ** 64 - 1),
        repetition_penalty=penalty,
        presence_penalty=_number(body, "presence_penalty", 0.0, -2.0, 2.0),
        frequency_penalty=_number(body, "frequency_penalty", 0.0, -2.0, 2.0),
        logit_bias=_logit_bias(body.get("logit_bias")),
    )


def _logit_bias(value) -> dict:
    """{"token id": bias in [-100, 100]} -> {int: float}. Ids are checked against the model's
    vocabulary later, by `check_token_ids`, once the model is known."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_LOGIT_BIAS:
        raise bad(f"'logit_bias' must map up to {MAX_LOGIT_BIAS} token ids to numbers "
                  "in [-100, 100].", "logit_bias")
    bias = {}
    for key, v in value.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit()):
            raise bad(f"'logit_bias' keys must be token ids (e.g. \"1234\"), got {key!r}.",
                      "logit_bias")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not -100 <= v <= 100:
            raise bad(f"'logit_bias'[{key!r}] must be a number in [-100, 100], got {v!r}.",
                      "logit_bias")
        bias[int(key)] = float(v)
    return bias


def check_token_ids(bias: dict, vocab_size: int) -> None:
    """A 400 when a `logit_bias` token id is outside the model's vocabulary."""
    outside = sorted(t for t in bias if t >= vocab_size)
    if outside:
        raise bad(f"'logit_bias' names token id {outside[0]}, but this model's vocabulary has "
                  f"{vocab_size} tokens (ids 0..{vocab_size - 1}).", "logit_bias")


def with_system_prompt(messages: list, system_prompt: str) -> list:
    """Prepend the AskBuddyX system prompt unless the client sent a system message."""
    if any(m["role"] == "system" for m in messages):
        return messages
    return [{"role": "system", "content": system_prompt}, *messages]
