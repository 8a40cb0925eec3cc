"""A live `askbuddyx serve` for the serve tests (one per test session, shared via conftest).

It runs the real CLI in a subprocess on the embedded model, with two quickly made LoRA
adapters (`askbuddyx.serve.demo_adapter`): one behind `AskBuddyX`, one registered as `exp` and
as `AskBuddyX@0.1.0`; an API key; chat capture on; and a small max_tokens limit so fuzzed
requests that happen to be valid stay cheap.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EMBEDDED_MODEL = ROOT / "assets" / "models" / "askbuddyx-tiny-qwen2-4bit"
API_KEY = "test-key-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    key: str
    proc: subprocess.Popen
    log: Path
    chats_dir: Path
    adapters: dict

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.key}"}

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def health(self) -> dict:
        import requests

        return requests.get(self.url + "/health", timeout=10).json()


def start_server(tmp: Path, port: int, extra_args: tuple = ()) -> LiveServer:
    """`extra_args`: more `askbuddyx serve` flags; they come last, so they win."""
    from askbuddyx.serve.demo_adapter import make_demo_adapter

    adapters = {name: str(make_demo_adapter(str(EMBEDDED_MODEL), tmp / name, seed=seed))
                for seed, name in enumerate(("main", "exp"), start=1)}
    chats = tmp / "chats"
    log = tmp / "server.log"
    env = dict(os.environ, ASKBUDDYX_API_KEY=API_KEY, HF_ENDPOINT="http://127.0.0.1:9",
               PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "askbuddyx.cli", "serve", "--params", str(ROOT / "params.yaml"),
           "--model", str(EMBEDDED_MODEL), "--adapter", adapters["main"],
           "--register", f"exp={adapters['exp']}",
           "--register", f"AskBuddyX@0.1.0={adapters['exp']}",
           "--adapters-dir", str(tmp / "no-such-dir"), "--port", str(port),
           "--max-tokens-limit", "256", "--capture-chats", "--chats-dir", str(chats),
           # one answer per request, whatever params.yaml says: these tests compare answers
           # and token counts; tests/test_serve_verify.py serves several candidates
           "--candidates", "1", *extra_args]
    with log.open("w") as f:
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=f, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", API_KEY, proc, log, chats, adapters)
    import requests

    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{server.log_text()}")
        try:
            if requests.get(server.url + "/health", timeout=2).status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server did not come up in 90 s:\n{server.log_text()}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("serve"), free_port())
    yield server
    server.proc.terminate()
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
