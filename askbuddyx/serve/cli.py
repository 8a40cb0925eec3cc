"""`askbuddyx serve`: the OpenAI-compatible server on the base model + trained adapter."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

DEFAULT_BASE_MODEL_DIR = "assets/models/askbuddyx-tiny-qwen2-4bit"


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex((host, port)) == 0


def cmd_serve(args) -> int:
    from askbuddyx.models import resolve_model

    resolve_model(args.model)
    if args.adapter and not (Path(args.adapter) / "adapters.safetensors").is_file():
        raise AskBuddyXError(f"Adapter not found: {args.adapter}/adapters.safetensors",
                             hint="Train it first with `make run`, or pass --adapter ''.")
    if port_in_use(args.host, args.port):
        raise AskBuddyXError(f"Port {args.port} on {args.host} is already in use.",
                             hint=f"Pick another: `askbuddyx serve --port {args.port + 1}`.")
    cmd = [sys.executable, "-m", "mlx_lm", "server", "--model", args.model,
           "--host", args.host, "--port", str(args.port)]
    if args.adapter:
        cmd += ["--adapter-path", args.adapter]
    print(f"Starting OpenAI-compatible server on http://{args.host}:{args.port}\n"
          f"Try: curl http://{args.host}:{args.port}/v1/chat/completions "
          "-H 'Content-Type: application/json' -d '{\"messages\": [{\"role\": \"user\", "
          "\"content\": \"Write a function to reverse a string\"}]}'", flush=True)
    return subprocess.call(cmd)


def register(sub) -> None:
    """Add the `serve` subcommand to the `askbuddyx` parser."""
    p = sub.add_parser("serve", help="OpenAI-compatible server on the trained adapter")
    p.add_argument("--model", default=DEFAULT_BASE_MODEL_DIR)
    p.add_argument("--adapter", default="outputs/adapters/dev")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.set_defaults(func=cmd_serve)
