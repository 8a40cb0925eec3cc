"""`askbuddyx serve` and `askbuddyx export-chats`.

    askbuddyx serve                                  # params.yaml `serve:` + `model.path`
    askbuddyx serve --port 8081 --register exp1=outputs/adapters/exp1 --capture-chats
    askbuddyx serve --adapter ''                     # AskBuddyX = the base model alone
    askbuddyx export-chats --out data/chats/chats.jsonl

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
    "serve.chats_dir",
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
                      ("chats_dir", "chats_dir"), ("adapters_dir", "adapters_dir")):
        if getattr(args, flag, None) is not None:
            s[key] = getattr(args, flag)
    if not isinstance(s["adapters"], dict):
        raise AskBuddyXError("params.yaml serve.adapters must map names to adapter folders.",
                             hint="e.g. serve.adapters: {AskBuddyX@0.1.0: outputs/adapters/v1}")
    s["adapters"] = {**s["adapters"], **parse_registrations(args.register)}
    return s


def cmd_serve(args) -> int:
    from askbuddyx.accel import maybe_reexec_with_openblas

    maybe_reexec_with_openblas()
    import logging

    from askbuddyx.base.fetch import base_model_dir
    from askbuddyx.serve.registry import check_adapter_dir, discover_adapters

    s = serve_settings(args)
    check_port(s["host"], int(s["port"]))
    # a `pypi:` GGUF spec (smol) is served from the folder fetch_model converted it into
    s["model.path"] = base_model_dir(s["model.path"])
    adapter = s["adapter"] or None
    if adapter:
        check_adapter_dir(adapter)
    extra = {name: path for name, path in discover_adapters(s["adapters_dir"]).items()
             if adapter is None or Path(path).resolve() != Path(adapter).resolve()}
    extra.update(s["adapters"])
    for path in extra.values():
        check_adapter_dir(path)

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from aiohttp import web

    from askbuddyx.serve.app import ServeConfig, create_app
    from askbuddyx.serve.chats import ChatRecorder
    from askbuddyx.serve.engine import Engine
    from askbuddyx.serve.registry import Registry

    registry = Registry(s["model.path"], adapter, extra)
    engine = Engine(completion_batch_size=int(s["batch_size"]),
                    prefill_batch_size=min(8, int(s["batch_size"])))
    api_key = read_api_key()
    config = ServeConfig(default_max_tokens=min(int(s["max_tokens"]),
                                                 int(s["max_tokens_limit"])),
                         max_tokens_limit=int(s["max_tokens_limit"]),
                         max_prompt_tokens=int(s["max_prompt_tokens"]),
                         default_temperature=float(s["temperature"]),
                         max_body_bytes=int(s["max_body_bytes"]), api_key=api_key)
    recorder = ChatRecorder(s["chats_dir"]) if s["capture_chats"] else None
    app = create_app(registry, engine, config, recorder)
    url = f"http://{s['host']}:{s['port']}"

    async def announce(_app):
        print(f"AskBuddyX serving on {url}  (chat page: {url}/)\n"
              f"  models: {', '.join(registry.names())}\n"
              f"  AskBuddyX = {registry.base_name} + {adapter or 'no adapter'}"
              f"  (base loaded in {registry.base_load_s:.1f}s)\n"
              f"  API key: {'required (' + API_KEY_ENV + ')' if api_key else 'off'};"
              f"  chat capture: {'on -> ' + str(s['chats_dir']) if recorder else 'off'}\n"
              f"Try: curl {url}/v1/chat/completions -H 'Content-Type: application/json' -d "
              "'{\"model\": \"AskBuddyX\", \"messages\": [{\"role\": \"user\", \"content\": "
              "\"Write a function to reverse a string\"}]}'", flush=True)

    app.on_startup.append(announce)
    try:
        web.run_app(app, host=s["host"], port=int(s["port"]), print=None, access_log=None)
    except OSError as exc:
        raise AskBuddyXError(f"Cannot listen on {url}: {exc.strerror or exc}.",
                             hint=f"Pick another port: --port {free_port(s['host'], 8081)}.") \
            from None
    return 0


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
          f"Mix them into training with a data source in params.yaml:\n"
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
    p.add_argument("--batch-size", type=int, help="most sequences decoded at once per model")
    _bool_flag(p, "capture-chats", "save redacted chats for export-chats")
    p.add_argument("--chats-dir")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("export-chats", help="captured chats -> ChatML JSONL training source")
    p.add_argument("--params", default="params.yaml")
    p.add_argument("--chats-dir", help="default: serve.chats_dir")
    p.add_argument("--out", default="data/chats/chats.jsonl")
    p.add_argument("--min-answer-chars", type=int, default=40)
    p.set_defaults(func=cmd_export_chats)
