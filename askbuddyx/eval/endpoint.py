"""Answers from any OpenAI-compatible server (`/v1/chat/completions`), for `eval run --endpoint`.

    answer = endpoint_answerer("http://127.0.0.1:8080", "my-model", max_tokens=320)
    texts = answer(["Write a function to reverse a string"], temperature=0.0, seed=0)

Plain HTTP (urllib) on purpose: one POST per prompt is all this needs, and it keeps the
evaluator free of a client SDK. Every request carries the AskBuddyX system prompt, exactly as
the local evaluation does, so answers are comparable. `OPENAI_API_KEY`, when set, is sent as
a bearer token. Requests run a few at a time (servers batch concurrent requests).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from askbuddyx.errors import AskBuddyXError
from askbuddyx.prompting import build_messages


def chat_url(base_url: str) -> str:
    """http://host:port, http://host:port/v1 or the full URL -> the chat completions URL."""
    url = base_url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if not url.endswith("/v1"):
        url += "/v1"
    return url + "/chat/completions"


def chat_completion(url: str, model: str, prompt: str, max_tokens: int,
                    temperature: float = 0.0, seed: int | None = None,
                    timeout_s: float = 300.0) -> str:
    """One chat completion: the assistant message text."""
    body = {"model": model, "messages": build_messages(prompt), "max_tokens": max_tokens,
            "temperature": temperature, "stream": False}
    if seed is not None:
        body["seed"] = seed
    headers = {"Content-Type": "application/json"}
    if os.environ.get("OPENAI_API_KEY"):
        headers["Authorization"] = f"Bearer {os.environ['OPENAI_API_KEY']}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:
            payload = json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        raise AskBuddyXError(f"The server at {url} answered HTTP {exc.code}: {detail}",
                             hint="Check --model (the name the server serves) and the URL.")\
            from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise AskBuddyXError(f"Cannot reach the server at {url}: {exc}",
                             hint="Start it first (e.g. `askbuddyx serve`) and check --endpoint."
                             ) from exc
    except json.JSONDecodeError as exc:
        raise AskBuddyXError(f"The server at {url} did not answer JSON.",
                             hint="--endpoint must point at an OpenAI-compatible server.") from exc
    try:
        return payload["choices"][0]["message"]["content"] or ""
    except (KeyError, IndexError, TypeError) as exc:
        raise AskBuddyXError(f"Unexpected answer from {url}: {str(payload)[:200]}",
                             hint="--endpoint must point at an OpenAI-compatible server.") from exc


def endpoint_answerer(base_url: str, model: str, max_tokens: int, concurrency: int = 4,
                      timeout_s: float = 300.0):
    """An `answer(prompts, temperature, seed)` function backed by the server at base_url."""
    url = chat_url(base_url)

    def answer(prompts: list, temperature: float = 0.0, seed: int = 0) -> list:
        from tqdm import tqdm

        def one(item):
            i, prompt = item
            # distinct seeds per request, so n samples of one prompt differ
            return chat_completion(url, model, prompt, max_tokens, temperature,
                                   seed + i if temperature > 0 else None, timeout_s)

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return list(tqdm(pool.map(one, enumerate(prompts)), total=len(prompts),
                             desc="endpoint", leave=False))

    return answer
