"""The HTTP API (aiohttp): OpenAI-compatible chat completions, models, adapters, chat page.

Routes (all but /health, / and /static/* need `Authorization: Bearer <key>` when a key is set):

    GET  /health                         liveness + load (running, queued), no key needed
    GET  /                               the chat page (askbuddyx/serve/static/index.html)
    GET  /v1/models                      AskBuddyX, every registered adapter, the base model
    POST /v1/chat/completions            OpenAI request/response (completions.py)
    GET  /v1/adapters                    registered adapters: path, loaded, which is AskBuddyX
    POST /v1/adapters                    register {"name", "path", "load": bool}
    POST /v1/adapters/switch             {"name"}: AskBuddyX now serves that adapter
    POST /v1/adapters/{name}/load        load now (else it loads on first request)
    POST /v1/adapters/{name}/unload      free its weights
    DELETE /v1/adapters/{name}           forget it
    GET|POST /v1/memory, DELETE /v1/memory/{id}, GET /v1/indexes   (grounding.py)
    /v1/training/...                     upload data, train adapters as DVC experiments
                                         (askbuddyx/serve/training.py adds these routes)

Every bad input is a 4xx with an OpenAI-style body {"error": {message, type, param, code}};
overload is a 429 with Retry-After, a too-long wait for a slot a 503 (admission.py).
One log line per request: time, method + route, model, status (499: the client left),
latency, prompt and completion tokens. Shutdown (SIGTERM, Ctrl+C) drains in-flight answers
for `serve.shutdown_grace_s`, cancels the rest, and exits 0 (`drain`).
aiohttp was chosen over the standard library's http.server for its streaming responses,
body-size limit and hardened HTTP parsing (it is already a dependency of DVC).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from pathlib import Path

from aiohttp import web

from askbuddyx.errors import AskBuddyXError
from askbuddyx.serve.admission import Admission
from askbuddyx.serve.completions import chat_completions, shutting_down
from askbuddyx.serve.engine import Engine
from askbuddyx.serve.grounding import setup_grounding
from askbuddyx.serve.registry import ASKBUDDYX, Registry, UnknownModel
from askbuddyx.serve.schema import ApiError, bad, parse_json
from askbuddyx.serve.state import (
    ADMISSION,
    CONFIG,
    ENGINE,
    INFLIGHT,
    RECORDER,
    REGISTRY,
    ServeConfig,
)

STATIC_DIR = Path(__file__).parent / "static"
PUBLIC_PATHS = ("/health", "/", "/favicon.ico")
access_log = logging.getLogger("askbuddyx.serve.access")
log = logging.getLogger("askbuddyx.serve")

def error_response(err: ApiError) -> web.Response:
    return web.json_response(err.body(), status=err.status, headers=err.headers)


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
    except asyncio.CancelledError:
        status = 499  # the client went away (or shutdown cancelled the handler)
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
    import mlx.core as mx

    admission = request.app[ADMISSION]
    # MLX's allocator: arrays alive now, freed buffers it keeps for reuse (its cache).
    memory = {"active_mb": round(mx.get_active_memory() / 2**20, 1),
              "cache_mb": round(mx.get_cache_memory() / 2**20, 1)}
    return web.json_response({"status": "ok", "active_requests": engine.active,
                              "running": admission.running, "queued": admission.queued,
                              "peak_batch": engine.peak_batch, "memory": memory})


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
    return web.json_response({"id": name, "path": registry.adapter_of(name),
                              "loaded": registry.is_loaded(name)}, status=201)


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
               recorder=None, grounding=None) -> web.Application:
    """The aiohttp application; `askbuddyx serve` runs it, tests may too."""
    app = web.Application(
        client_max_size=config.max_body_bytes,
        middlewares=[log_middleware, error_middleware, auth_middleware(config.api_key)],
    )
    app[REGISTRY] = registry
    app[ENGINE] = engine
    app[CONFIG] = config
    app[RECORDER] = recorder
    app[ADMISSION] = Admission(config.batch_size, config.max_queue, config.queue_timeout_s)
    app[INFLIGHT] = set()
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
    if grounding is not None:  # /v1/memory, /v1/indexes and grounded chat (grounding.py)
        setup_grounding(app, grounding)

    async def bind_engine(_app):
        # The engine thread hands over a batch of events with one wake-up of this loop.
        loop = asyncio.get_running_loop()

        def run(batch):
            for req, events in batch:
                req.deliver(events)

        engine.dispatch = lambda batch: loop.call_soon_threadsafe(run, batch)

    async def close_engine(_app):
        engine.close()
        log.info("shutdown complete")

    app.on_startup.append(bind_engine)
    app.on_shutdown.append(drain)
    app.on_cleanup.append(close_engine)
    return app


async def drain(app: web.Application) -> None:
    """First step of a shutdown (SIGTERM, Ctrl+C; aiohttp has stopped listening): admit
    nothing more (queued and new requests get a 503), give the answers in flight
    `serve.shutdown_grace_s` to finish, then cancel the rest in the engine; their clients get
    a 503 (or, mid-stream, an error event and `data: [DONE]`). aiohttp then waits for the
    handlers to write their last bytes, log their line and save captured chats."""
    admission, inflight, engine = app[ADMISSION], app[INFLIGHT], app[ENGINE]
    admission.close()
    loop = asyncio.get_running_loop()
    start = loop.time()
    at_start = len(inflight)
    while inflight and loop.time() - start < app[CONFIG].shutdown_grace_s:
        await asyncio.sleep(0.05)
    unfinished = [answer for answer in inflight if answer.finish_reason is None]
    for answer in unfinished:
        engine.cancel(answer)
        answer.deliver([("error", shutting_down())])
    log.info("shutting down: %d answers in flight; after %.1f s, %d cancelled", at_start,
             loop.time() - start, len(unfinished))
