"""The HTTP API (aiohttp): OpenAI-compatible chat completions, models, adapters, chat page.

Routes (all but /health, / and /static/* need `Authorization: Bearer <key>` when a key is set):

    GET  /health                         liveness, no key needed
    GET  /                               the chat page (askbuddyx/serve/static/index.html)
    GET  /v1/models                      AskBuddyX, every registered adapter, the base model
    POST /v1/chat/completions            OpenAI request/response; `stream: true` -> SSE + [DONE]
    GET  /v1/adapters                    registered adapters: path, loaded, which is AskBuddyX
    POST /v1/adapters                    register {"name", "path", "load": bool}
    POST /v1/adapters/switch             {"name"}: AskBuddyX now serves that adapter
    POST /v1/adapters/{name}/load        load now (else it loads on first request)
    POST /v1/adapters/{name}/unload      free its weights
    DELETE /v1/adapters/{name}           forget it

Every bad input is a 4xx with an OpenAI-style body {"error": {message, type, param, code}}.
One log line per request: time, method + route, model, status, latency, prompt and completion
tokens. aiohttp was chosen over the standard library's http.server for its streaming
responses, body-size limit and hardened HTTP parsing (it is already a dependency of DVC).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from askbuddyx.errors import AskBuddyXError
from askbuddyx.prompting import SYSTEM_PROMPT, format_chat
from askbuddyx.serve.engine import Engine, Request
from askbuddyx.serve.registry import ASKBUDDYX, Registry, UnknownModel
from askbuddyx.serve.schema import (
    ApiError,
    bad,
    parse_chat_request,
    parse_json,
    with_system_prompt,
)

STATIC_DIR = Path(__file__).parent / "static"
PUBLIC_PATHS = ("/health", "/", "/favicon.ico")
access_log = logging.getLogger("askbuddyx.serve.access")
log = logging.getLogger("askbuddyx.serve")

REGISTRY = web.AppKey("registry", Registry)
ENGINE = web.AppKey("engine", Engine)
CONFIG = web.AppKey("config", object)
RECORDER = web.AppKey("recorder", object)


@dataclass
class ServeConfig:
    """Request limits and defaults (from params.yaml `serve:` or CLI flags)."""

    default_max_tokens: int = 512
    max_tokens_limit: int = 4096
    max_prompt_tokens: int = 8192
    default_temperature: float = 0.0
    max_body_bytes: int = 1 << 20
    api_key: str | None = None


def error_response(err: ApiError) -> web.Response:
    return web.json_response(err.body(), status=err.status)


_STATUS_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error",
                 429: "rate_limit_error"}


@web.middleware
async def log_middleware(request: web.Request, handler):
    t0 = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        access_log.info(
            "%s %s %s model=%s status=%s latency_ms=%.1f prompt_tokens=%s completion_tokens=%s",
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), request.method,
            request.path, request.get("model", "-"), request.get("status", status),
            (time.perf_counter() - t0) * 1000, request.get("prompt_tokens", 0),
            request.get("completion_tokens", 0))


@web.middleware
async def error_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except ApiError as err:
        return error_response(err)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kind = _STATUS_TYPES.get(exc.status, "invalid_request_error")
        message = exc.reason
        if exc.status == 413:
            message = "The request body is too large."
        elif exc.status == 405:
            message = f"Method {request.method} is not allowed on {request.path}."
        elif exc.status == 404:
            message = f"No route {request.path}."
        return error_response(ApiError(exc.status, message, kind))
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception:  # noqa: BLE001 - a bug: log the traceback, answer a clean 500
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(ApiError(500, "Internal server error; see the server log.",
                                       "server_error"))


def auth_middleware(api_key: str | None):
    @web.middleware
    async def check(request: web.Request, handler):
        if api_key and request.path not in PUBLIC_PATHS and not request.path.startswith(
                "/static/"):
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {api_key}".encode()):
                raise ApiError(401, "Missing or wrong API key: send 'Authorization: Bearer "
                                    "<key>' (the server's ASKBUDDYX_API_KEY).",
                               "authentication_error", code="invalid_api_key")
        return await handler(request)

    return check


# -- handlers -------------------------------------------------------------------------------
async def health(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    if not engine.alive:
        return web.json_response({"status": "error", "engine": "stopped"}, status=503)
    return web.json_response({"status": "ok", "active_requests": engine.active,
                              "peak_batch": engine.peak_batch})


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def favicon(request: web.Request) -> web.Response:
    return web.Response(status=204)


async def models(request: web.Request) -> web.Response:
    registry = request.app[REGISTRY]
    created = int(time.time())
    data = [{"id": d["name"], "object": "model", "created": created, "owned_by": "askbuddyx",
             "adapter": d["adapter"], "loaded": d["loaded"]} for d in registry.describe()]
    return web.json_response({"object": "list", "data": data})


async def _json_body(request: web.Request):
    return parse_json(await request.read())


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


async def chat_completions(request: web.Request) -> web.StreamResponse:
    app = request.app
    cfg: ServeConfig = app[CONFIG]
    body = await _json_body(request)
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        request["model"] = body["model"][:80]  # for the log line, even when the body is bad
    req = parse_chat_request(body, ASKBUDDYX, cfg.default_max_tokens, cfg.max_tokens_limit,
                             cfg.default_temperature)
    request["model"] = req.model
    served = await _served(app, req.model)
    messages = with_system_prompt(req.messages, SYSTEM_PROMPT)
    tokenizer = served.tokenizer
    prompt = tokenizer.encode(format_chat(tokenizer, messages, add_generation_prompt=True),
                              add_special_tokens=False)
    request["prompt_tokens"] = len(prompt)
    prefix_len = _system_prefix_len(tokenizer, messages, prompt)
    if len(prompt) > cfg.max_prompt_tokens:
        raise bad(f"The prompt has {len(prompt)} tokens; this server takes at most "
                  f"{cfg.max_prompt_tokens}.", "messages", "context_length_exceeded")

    events: asyncio.Queue = asyncio.Queue()
    gen = Request(served=served, prompt=prompt, max_tokens=req.max_tokens,
                  temperature=req.temperature, top_p=req.top_p, stop=req.stop,
                  repetition_penalty=req.repetition_penalty, stream=req.stream,
                  prefix_len=prefix_len,
                  deliver=events.put_nowait)
    engine: Engine = app[ENGINE]
    if not engine.alive:
        raise ApiError(503, "The generation engine stopped; restart the server.", "server_error")
    engine.submit(gen)
    ident = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    finished = False
    try:
        if req.stream:
            response = await _stream(request, req, gen, events, ident, created)
        else:
            finish = await _collect(events)
            text = gen.text
            response = web.json_response({
                "id": ident, "object": "chat.completion", "created": created,
                "model": req.model, "system_fingerprint": None,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "logprobs": None, "finish_reason": finish}],
                "usage": _usage(len(prompt), gen.completion_tokens),
            })
        finished = gen.finish_reason is not None
        return response
    finally:
        request["completion_tokens"] = gen.completion_tokens
        if not finished:
            engine.cancel(gen)
        elif app[RECORDER] is not None:
            app[RECORDER].record(req.model, messages, gen.text, gen.finish_reason)


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


def _usage(prompt_tokens: int, completion_tokens: int) -> dict:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


async def _collect(events: asyncio.Queue) -> str:
    """Wait for the end of a non-streamed request; returns its finish_reason."""
    while True:
        for kind, value in await events.get():
            if kind == "done":
                return value
            if kind == "error":
                raise ApiError(503, value, "server_error")


async def _stream(request, req, gen, events, ident, created) -> web.StreamResponse:
    def chunk(delta: dict, finish=None, usage=None) -> bytes:
        body = {"id": ident, "object": "chat.completion.chunk", "created": created,
                "model": req.model, "system_fingerprint": None,
                "choices": [{"index": 0, "delta": delta, "logprobs": None,
                             "finish_reason": finish}]}
        if usage is not None:
            body["choices"] = []
            body["usage"] = usage
        return f"data: {json.dumps(body)}\n\n".encode()

    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
    await response.prepare(request)
    try:
        await response.write(chunk({"role": "assistant", "content": ""}))
        while True:
            batch = await events.get()
            text = "".join(v for k, v in batch if k == "delta")
            done = next((v for k, v in batch if k == "done"), None)
            failed = next((v for k, v in batch if k == "error"), None)
            if text:
                await response.write(chunk({"content": text}))
            if failed:
                await response.write(f"data: {json.dumps(ApiError(503, failed, 'server_error').body())}\n\n".encode())  # noqa: E501
                break
            if done:
                await response.write(chunk({}, finish=done))
                if req.include_usage:
                    await response.write(chunk({}, usage=_usage(len(gen.prompt),
                                                                gen.completion_tokens)))
                break
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
    except ConnectionError:
        request["status"] = 499  # client went away; the finally in the caller cancels
    return response


# -- adapter management (seed 003, Step 7) ------------------------------------------------
def _name_param(body) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
        raise bad("Send {\"name\": \"<registered adapter>\"}.", "name")
    return body["name"]


def _known(request: web.Request, name: str) -> Registry:
    """The registry, once `name` is a registered adapter (404 otherwise); logs it as the model."""
    registry = request.app[REGISTRY]
    request["model"] = name
    if name not in registry.names():
        raise ApiError(404, f"No adapter named '{name}'. Registered: "
                            f"{', '.join(registry.names())}.", "invalid_request_error",
                       "name", "model_not_found")
    return registry


async def _admin(request: web.Request, fn, *args):
    """Run a registry change on the engine thread; its AskBuddyXErrors are the client's 400s."""
    try:
        return await asyncio.wrap_future(request.app[ENGINE].call(fn, *args))
    except UnknownModel as exc:
        raise ApiError(404, f"No adapter named {exc.args[0]!r}.", param="name",
                       code="model_not_found") from None
    except AskBuddyXError as exc:
        raise bad(str(exc)) from None


async def list_adapters(request: web.Request) -> web.Response:
    registry = request.app[REGISTRY]
    current = registry.adapter_of(ASKBUDDYX)
    data = [{"id": d["name"], "object": "adapter", "path": d["adapter"], "loaded": d["loaded"],
             "serves_askbuddyx": d["adapter"] == current and d["name"] != ASKBUDDYX}
            for d in registry.describe()]
    return web.json_response({"object": "list", "current": current, "data": data})


async def register_adapter(request: web.Request) -> web.Response:
    body = await _json_body(request)
    name = _name_param(body)
    path, load = body.get("path"), body.get("load", False)
    if not isinstance(path, str) or not path or not isinstance(load, bool):
        raise bad("Send {\"name\": str, \"path\": \"<adapter folder>\", \"load\": bool}.", "path")
    registry = request.app[REGISTRY]
    request["model"] = name
    await _admin(request, registry.register, name, path, load)
    return web.json_response({"id": name, "path": registry.adapter_of(name), "loaded": load},
                             status=201)


async def switch_adapter(request: web.Request) -> web.Response:
    name = _name_param(await _json_body(request))
    registry = _known(request, name)
    seconds = await _admin(request, registry.switch, name)
    return web.json_response({"id": ASKBUDDYX, "adapter": registry.adapter_of(ASKBUDDYX),
                              "from": name, "seconds": round(seconds, 3)})


async def load_adapter(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    registry = _known(request, name)
    seconds = await _admin(request, registry.load, name)
    return web.json_response({"id": name, "loaded": True, "seconds": round(seconds, 3)})


async def unload_adapter(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    registry = _known(request, name)
    freed = await _admin(request, registry.unload, name)
    return web.json_response({"id": name, "loaded": False, "freed": freed})


async def delete_adapter(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    registry = _known(request, name)
    await _admin(request, registry.unregister, name)
    return web.json_response({"id": name, "deleted": True})


def create_app(registry: Registry, engine: Engine, config: ServeConfig,
               recorder=None) -> web.Application:
    """The aiohttp application; `askbuddyx serve` runs it, tests may too."""
    app = web.Application(
        client_max_size=config.max_body_bytes,
        middlewares=[log_middleware, error_middleware, auth_middleware(config.api_key)],
    )
    app[REGISTRY] = registry
    app[ENGINE] = engine
    app[CONFIG] = config
    app[RECORDER] = recorder
    app.router.add_get("/health", health)
    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_get("/v1/adapters", list_adapters)
    app.router.add_post("/v1/adapters", register_adapter)
    app.router.add_post("/v1/adapters/switch", switch_adapter)
    app.router.add_post("/v1/adapters/{name}/load", load_adapter)
    app.router.add_post("/v1/adapters/{name}/unload", unload_adapter)
    app.router.add_delete("/v1/adapters/{name}", delete_adapter)

    async def bind_engine(_app):
        # The engine thread hands over a batch of events with one wake-up of this loop.
        loop = asyncio.get_running_loop()

        def run(batch):
            for req, events in batch:
                req.deliver(events)

        engine.dispatch = lambda batch: loop.call_soon_threadsafe(run, batch)

    async def close_engine(_app):
        engine.close()

    app.on_startup.append(bind_engine)
    app.on_cleanup.append(close_engine)
    return app
