"""What the HTTP handlers share: the server's settings and the keys of its aiohttp app state.

A module of its own so that the route modules (`app.py`, `completions.py`) import it without
importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from askbuddyx.serve.admission import Admission
from askbuddyx.serve.engine import Engine
from askbuddyx.serve.registry import Registry


@dataclass
class ServeConfig:
    """Request limits, defaults and overload rules (params.yaml `serve:` or CLI flags).

    Args:
        batch_size: Most sequences generating at once (`serve.batch_size`); also the largest `n`.
        max_queue: Most requests waiting for a slot; the next gets a 429 (`serve.max_queue`).
        queue_timeout_s: A request that waited this long gets a 503 (`serve.queue_timeout_s`).
        shutdown_grace_s: On SIGTERM / Ctrl+C, in-flight answers get this long to finish
            before they are cancelled (`serve.shutdown_grace_s`).
        candidates: Answers generated for one greedy code request, the greedy one and
            candidates - 1 sampled at `candidate_temperature`; the one given is the first
            whose own Sanity test passes in the sandbox (askbuddyx.sandbox.verify.pick).
            1: the greedy answer alone (still verified and reported). `serve.candidates`.
        verify_timeout_s: Wall-clock limit of one answer's program in the sandbox.
    """

    default_max_tokens: int = 512
    max_tokens_limit: int = 4096
    max_prompt_tokens: int = 8192
    default_temperature: float = 0.0
    max_body_bytes: int = 1 << 20
    api_key: str | None = None
    batch_size: int = 32
    max_queue: int = 64
    queue_timeout_s: float = 30.0
    shutdown_grace_s: float = 3.0
    candidates: int = 1
    candidate_temperature: float = 0.8
    verify_timeout_s: float = 10.0


REGISTRY = web.AppKey("registry", Registry)
ENGINE = web.AppKey("engine", Engine)
CONFIG = web.AppKey("config", ServeConfig)
RECORDER = web.AppKey("recorder", object)  # askbuddyx.serve.chats.ChatRecorder, or None
ADMISSION = web.AppKey("admission", Admission)
INFLIGHT = web.AppKey("inflight", set)  # the engine Requests being generated now
