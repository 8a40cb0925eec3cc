"""`askbuddyx publish` against a loopback stand-in for the Hugging Face hub (HF_ENDPOINT).

The stub speaks the three calls `create_repo` + `upload_folder` make (repo creation, preupload,
NDJSON commit), checks the bearer token, records every uploaded file, and can fail the first
commits with 503 to exercise the retries.
"""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from askbuddyx.cli import main
from askbuddyx.errors import AskBuddyXError
from askbuddyx.publish.bundle import REQUIRED, make_bundle, scan_for_secrets
from askbuddyx.publish.publish import check_release, metrics_diff, with_retries

TOKEN = "hf_" + "T" * 34


class HubStub(BaseHTTPRequestHandler):
    uploads: dict = {}
    repos: list = []
    requests: list = []
    validated: list = []
    fail_commits = 0
    fail_creates = 0

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server.server_port}"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.requests.append(("GET", self.path))
        self._send(404, {"error": "not found"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.requests.append(("POST", self.path))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"error": "Invalid credentials"})
        if self.path == "/api/repos/create":
            if HubStub.fail_creates > 0:
                HubStub.fail_creates -= 1
                return self._send(503, {"error": "overloaded"})
            req = json.loads(body)
            self.repos.append(req)
            name = f"{req.get('organization') or 'user'}/{req['name']}"
            return self._send(200, {"url": f"{self.base}/{name}", "name": name})
        if self.path == "/api/validate-yaml":  # the hub checks README.md's front matter
            content = json.loads(body)["content"]
            meta = yaml.safe_load(content.split("---")[1]) if content.startswith("---") else {}
            self.validated.append(meta)
            if not meta:
                return self._send(200, {"warnings": [{"message": "empty metadata"}]})
            if "/" not in str(meta.get("base_model", "x/y")):
                return self._send(400, {"errors": [{"message": "base_model: invalid id"}]})
            return self._send(200, {})
        if "/preupload/" in self.path:
            files = json.loads(body)["files"]
            return self._send(200, {"files": [{"path": f["path"], "uploadMode": "regular",
                                               "shouldIgnore": False} for f in files]})
        if "/commit/" in self.path:
            if HubStub.fail_commits > 0:
                HubStub.fail_commits -= 1
                return self._send(503, {"error": "overloaded"})
            for line in body.decode().splitlines():
                item = json.loads(line)
                if item["key"] == "file":
                    value = item["value"]
                    self.uploads[value["path"]] = base64.b64decode(value["content"])
            repo = self.path.split("/api/models/")[1].split("/commit/")[0]
            return self._send(200, {"commitUrl": f"{self.base}/{repo}/commit/{'a' * 40}",
                                    "commitOid": "a" * 40})
        self._send(404, {"error": f"unexpected {self.path}"})


@pytest.fixture
def hub(monkeypatch):
    HubStub.uploads, HubStub.repos, HubStub.requests, HubStub.fail_commits = {}, [], [], 0
    HubStub.fail_creates = 0
    HubStub.validated = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), HubStub)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    yield HubStub
    server.shutdown()


EVAL = {"adapter": {"format_rate_heldout": 0.75, "sanity_pass_rate": 1.0},
        "base": {"format_rate_heldout": 0.0, "sanity_pass_rate": 1.0},
        "delta": {"format_rate_heldout": 0.75, "sanity_pass_rate": 0.0}}


@pytest.fixture
def release(tmp_path, root, monkeypatch):
    """A bundle, eval metrics, in a scratch working directory (as the CLI sees it)."""
    monkeypatch.chdir(tmp_path)
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapters.safetensors").write_bytes(b"\x00weights" * 100)
    (adapter / "adapter_config.json").write_text(json.dumps({"lora_parameters": {"rank": 8}}))
    (adapter / "run_meta.json").write_text(json.dumps({
        "model_id": "mlx-community/Qwen2.5-Coder-0.5B-Instruct-4bit",
        "data_sources": [{"name": "codealpaca", "kind": "hub",
                          "dataset_id": "flwrlabs/code-alpaca-20k"}],
        "hyperparameters": {"iters": 50, "rank": 8, "alpha": 16, "num_layers": 16},
        "data_counts": {"train": 2000, "valid": 40}}))
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics/eval.json").write_text(json.dumps(dict(EVAL, gate_passed=True)))
    bundle = make_bundle(adapter, root, tmp_path / "bundle",
                         "me/AskBuddyX", "mlx-community/Qwen2.5-Coder-0.5B-Instruct-4bit", EVAL)
    return tmp_path, bundle


def publish(*extra):
    """`askbuddyx publish` on the scratch release (paths as typed: relative to the cwd)."""
    return main(["publish", "--bundle", "bundle", "--repo-id", "me/AskBuddyX",
                 "--eval", "metrics/eval.json", "--published", "metrics/published.json",
                 "--retries", "3", *extra])


def test_publish_uploads_exactly_the_bundle(hub, release, capsys):
    work, bundle = release
    assert publish() == 0
    assert sorted(hub.uploads) == sorted(REQUIRED)
    for name, data in hub.uploads.items():
        assert data == (bundle / name).read_bytes(), name
    assert hub.repos and hub.repos[0]["name"] == "AskBuddyX"
    # the hub shows README.md's front matter as the model's metadata
    assert hub.validated[0]["base_model"] == "mlx-community/Qwen2.5-Coder-0.5B-Instruct-4bit"
    out = capsys.readouterr().out
    assert "Upload complete" in out and TOKEN not in out
    record = json.loads((work / "metrics/published.json").read_text())
    assert record["metrics"]["adapter"] == EVAL["adapter"] and record["forced"] is None


def test_publish_retries_then_succeeds(hub, release, monkeypatch, capsys):
    """create_repo's 503 is retried by our backoff; the commit's 503s by huggingface_hub's
    own (it retries its upload requests, not create_repo)."""
    waits = []
    monkeypatch.setattr("time.sleep", waits.append)
    hub.fail_creates, hub.fail_commits = 1, 2
    assert publish() == 0
    assert sum(1 for m, p in hub.requests if p == "/api/repos/create") == 2
    assert sum(1 for m, p in hub.requests if "/commit/" in p) == 3
    assert sorted(hub.uploads) == sorted(REQUIRED)
    out = capsys.readouterr().out
    assert "create the repo me/AskBuddyX: HTTP 503; retrying in 1 s (attempt 2 of 4)" in out
    assert waits[0] == 1 and len(waits) == 3  # ours once, then huggingface_hub's twice


def test_transport_errors_are_retried_and_other_errors_are_not(monkeypatch):
    """A dropped connection (the HTTP client huggingface_hub uses) is retried; running out of
    attempts says what failed; a local error is neither retried nor disguised."""
    from huggingface_hub.utils import httpx

    monkeypatch.setattr("time.sleep", lambda s: None)
    calls = []

    def flaky():  # fails twice, then works
        calls.append("call")
        if len(calls) < 3:
            raise httpx.ConnectError("connection refused")
        return "done"

    assert with_retries(flaky, "create the repo", retries=3) == "done" and len(calls) == 3
    calls.clear()
    with pytest.raises(AskBuddyXError, match="upload: network error after 2 attempts"):
        with_retries(flaky, "upload", retries=1)
    assert len(calls) == 2

    def local():
        calls.append("local")
        raise FileNotFoundError("bundle/adapters.safetensors")

    with pytest.raises(FileNotFoundError):
        with_retries(local, "upload", retries=3)
    assert calls.count("local") == 1


def test_refuses_when_gate_fails_or_is_missing(hub, release):
    work, _ = release
    (work / "metrics/eval.json").write_text(json.dumps(dict(EVAL, gate_passed=False)))
    with pytest.raises(AskBuddyXError, match="gate did not pass"):
        publish()
    (work / "metrics/eval.json").write_text(json.dumps(EVAL))
    with pytest.raises(AskBuddyXError, match="no `gate_passed` key"):
        publish()
    assert hub.uploads == {} and not any("/commit/" in p for _, p in hub.requests)
    assert publish("--force", "hotfix of the card") == 0  # the override, with a reason
    assert json.loads((work / "metrics/published.json").read_text())["forced"] == \
        "hotfix of the card"


def test_refuses_a_regression_against_the_last_publication(hub, release):
    work, _ = release
    (work / "metrics/published.json").write_text(json.dumps(
        {"metrics": {"adapter": {"format_rate_heldout": 0.9, "sanity_pass_rate": 1.0}}}))
    with pytest.raises(AskBuddyXError, match="format_rate_heldout regressed: 0.9"):
        publish()
    assert hub.uploads == {}


def test_dry_run_lists_files_and_uploads_nothing(hub, release, capsys):
    assert publish("--dry-run") == 0
    out = capsys.readouterr().out
    for name in REQUIRED:
        assert f"  {name}" in out
    assert "Dry run" in out and hub.requests == []


def test_first_publication_says_there_is_nothing_to_compare(hub, release, capsys):
    work, _ = release
    assert not (work / "metrics/published.json").exists()
    assert publish("--dry-run") == 0
    out = capsys.readouterr().out
    assert "no earlier publication (metrics/published.json is absent)" in out
    assert "no regression" not in out
    (work / "metrics/published.json").write_text(json.dumps({"metrics": {"adapter": {
        "format_rate_heldout": 0.5, "sanity_pass_rate": 1.0}}}))
    assert publish("--dry-run") == 0
    out = capsys.readouterr().out
    assert "no regression against the last publication" in out
    assert "no earlier publication" not in out


def test_auth_failure_says_to_log_in(hub, release, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_" + "W" * 34)
    with pytest.raises(AskBuddyXError, match="hf auth login") as err:
        publish()
    assert "W" * 34 not in str(err.value)


@pytest.mark.parametrize("text, found", [
    ("key: AKIA" + "A" * 16, "aws_access_key_id"),  # our rule
    ("deploy token: glpat-" + "x9Kd2LmQ7vR4tY8wZ1aB", "GitLabTokenDetector"),  # detect-secrets
])
def test_secret_in_bundle_blocks_publishing(hub, release, text, found):
    _, bundle = release
    (bundle / "README.md").write_text(text)
    assert scan_for_secrets(bundle) == [f"README.md: {found}"]
    with pytest.raises(AskBuddyXError, match="contains secrets"):
        publish()
    assert hub.requests == []


def test_metrics_diff_directions():
    rows = metrics_diff({"adapter": {"rate": 0.5, "val_loss": 2.0}},
                        {"adapter": {"rate": 0.6, "val_loss": 2.5}})
    assert {r["metric"]: r["regressed"] for r in rows} == {"adapter.rate": False,
                                                          "adapter.val_loss": True}
    assert check_release(None, None) == \
        ["metrics/eval.json is missing: run the evaluation (`make eval`)"]


def test_model_card_front_matter_and_sections(release):
    _, bundle = release
    card = (bundle / "MODEL_CARD.md").read_text()
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["base_model"] == "mlx-community/Qwen2.5-Coder-0.5B-Instruct-4bit"
    assert meta["library_name"] == "mlx" and meta["license"] == "apache-2.0"
    assert meta["datasets"] == ["flwrlabs/code-alpaca-20k"] and "lora" in meta["tags"]
    for section in ("## Training setup", "## Evaluation: base vs adapter", "## Limitations",
                    "## Attribution", "not affiliated with, endorsed by"):
        assert section in card
    assert "| format_rate_heldout | 0 | 0.75 | 0.75 |" in card


def test_token_from_dotenv_then_login(tmp_path, monkeypatch):
    from askbuddyx.publish.publish import resolve_token

    monkeypatch.delenv("HF_TOKEN", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\nOTHER=1\nHF_TOKEN='hf_fromdotenv'\n")
    assert resolve_token(env_file) == "hf_fromdotenv"
    monkeypatch.setenv("HF_TOKEN", "hf_fromenv")
    assert resolve_token(env_file) == "hf_fromenv"
    monkeypatch.delenv("HF_TOKEN")
    monkeypatch.setattr("huggingface_hub.get_token", lambda: "hf_fromlogin")
    assert resolve_token(tmp_path / "missing.env") == "hf_fromlogin"
