"""Checking OpenAI chat-completion requests: every bad input becomes a 4xx `ApiError`.

Pure Python (no mlx), so the rules are unit-tested without a model. The shapes follow the
OpenAI Chat Completions API: https://platform.openai.com/docs/api-reference/chat/create
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
                 param: str | None = None, code: str | None = None):
        super().__init__(message)
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


@dataclass
class ChatRequest:
    model: str
    messages: list
    max_tokens: int
    temperature: float
    top_p: float
    stop: list = field(default_factory=list)
    stream: bool = False
    include_usage: bool = False
    repetition_penalty: float | None = None


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
    model = body.get("model", default_model)
    if not isinstance(model, str) or not model:
        raise bad("'model' must be a non-empty string.", "model")
    messages = parse_messages(body.get("messages"))

    max_key = "max_completion_tokens" if body.get("max_completion_tokens") is not None \
        else "max_tokens"
    max_tokens = body.get(max_key)
    if max_tokens is None:
        max_tokens = default_max_tokens
    elif isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
        raise bad(f"'{max_key}' must be an integer.", max_key)
    if not 1 <= max_tokens <= max_tokens_limit:
        raise bad(f"'{max_key}' must be between 1 and {max_tokens_limit}, got {max_tokens}.",
                  max_key)

    n = body.get("n", 1)
    if n != 1 or isinstance(n, bool):
        raise bad("Only n=1 is supported.", "n")

    stop = body.get("stop")
    if stop is None:
        stop = []
    elif isinstance(stop, str):
        stop = [stop]
    if not (isinstance(stop, list) and len(stop) <= MAX_STOP
            and all(isinstance(s, str) and s for s in stop)):
        raise bad(f"'stop' must be a non-empty string or a list of up to {MAX_STOP} of them.",
                  "stop")

    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise bad("'stream' must be a boolean.", "stream")
    options = body.get("stream_options")
    include_usage = False
    if options is not None:
        if not isinstance(options, dict) or not isinstance(options.get("include_usage", False),
                                                           bool):
            raise bad("'stream_options' must be {'include_usage': bool}.", "stream_options")
        include_usage = options.get("include_usage", False)

    penalty = body.get("repetition_penalty")
    if penalty is not None:
        penalty = _number(body, "repetition_penalty", 1.0, 0.0, 10.0, lo_open=True)

    return ChatRequest(
        model=model,
        messages=messages,
        max_tokens=max_tokens,
        temperature=_number(body, "temperature", default_temperature, 0.0, 2.0),
        top_p=_number(body, "top_p", 1.0, 0.0, 1.0, lo_open=True),
        stop=stop,
        stream=stream,
        include_usage=include_usage,
        repetition_penalty=penalty,
    )


def with_system_prompt(messages: list, system_prompt: str) -> list:
    """Prepend the AskBuddyX system prompt unless the client sent a system message."""
    if any(m["role"] == "system" for m in messages):
        return messages
    return [{"role": "system", "content": system_prompt}, *messages]
