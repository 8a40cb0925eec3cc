"""`askbuddyx <command>`: what users run by hand, outside DVC.

    askbuddyx build-base-model [--output DIR]     rebuild the embedded tiny Qwen2 (about 4 min)
    askbuddyx eval --model M [--adapter A]        sanity/compile/format suites, JSON on stdout
    askbuddyx serve [--model M] [--adapter A]     OpenAI-compatible server (mlx_lm.server)

The pipeline itself runs through DVC (`dvc repro`, `make run`); its stages call the same
library functions. Errors print as "error: ... / how to fix: ..." and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

DEFAULT_BASE_MODEL_DIR = "assets/models/askbuddyx-tiny-qwen2-4bit"
BUNDLED_SOURCES = ("assets/datasets/code_tasks.jsonl",
                   "assets/datasets/curated_runnable_first.jsonl")


def run_main(main, argv=None) -> int:
    """Run `main(argv)`, turning AskBuddyXError into a clean message and exit code 2."""
    try:
        return main(argv) or 0
    except AskBuddyXError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def cmd_build_base_model(args) -> int:
    from askbuddyx.accel import maybe_reexec_with_openblas

    maybe_reexec_with_openblas()
    from askbuddyx.tiny_model import build_tiny_model

    info = build_tiny_model(args.output, args.sources)
    print(f"Built {info['name']} in {args.output}: {', '.join(info['files'])}")
    return 0


def cmd_eval(args) -> int:
    from askbuddyx.accel import maybe_reexec_with_openblas

    maybe_reexec_with_openblas()
    from askbuddyx.data.io import read_jsonl
    from askbuddyx.eval.run import build_cases, evaluate_model

    heldout = read_jsonl(args.heldout) if args.heldout else []
    rates, _ = evaluate_model(args.model, args.adapter, build_cases(heldout), args.max_tokens,
                              args.batch_size, args.repetition_penalty)
    print(json.dumps(rates, indent=2))
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="askbuddyx", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build-base-model", help="rebuild the embedded tiny Qwen2 base model")
    p.add_argument("--output", default=DEFAULT_BASE_MODEL_DIR)
    p.add_argument("--sources", nargs="+", default=list(BUNDLED_SOURCES))
    p.set_defaults(func=cmd_build_base_model)

    p = sub.add_parser("eval", help="run the evaluation suites on a model (+ adapter)")
    p.add_argument("--model", default=DEFAULT_BASE_MODEL_DIR)
    p.add_argument("--adapter", default=None)
    p.add_argument("--heldout", default=None, help="JSONL of held-out records (format suite)")
    p.add_argument("--max-tokens", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--repetition-penalty", type=float, default=1.0)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", help="OpenAI-compatible server on the trained adapter")
    p.add_argument("--model", default=DEFAULT_BASE_MODEL_DIR)
    p.add_argument("--adapter", default="outputs/adapters/dev")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


def entry_point() -> None:
    sys.exit(run_main(main))


if __name__ == "__main__":
    entry_point()
