"""The training API over HTTP (askbuddyx/serve/training.py) on the tiny profile.

A scratch copy of the project (git + DVC, params.yaml of the tiny profile) and a live
`askbuddyx serve` in it; every job is a real DVC experiment run by DVC's queue worker. One test
walks the issue's path: upload a Markdown document, submit two jobs at once (they run one after
the other: one worker), chat while the first trains, watch its loss fall, ask its adapter, then
cancel the second mid-training (its process gone, DVC's queue says Failed); a third job fails
and says why, and a job queued from the command line is listed too. About a minute.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import compose_tiny_params
from tests.serve_live import free_port, start_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
COPY = ["askbuddyx", "stages", "assets", "conf", "data/sources", "dvc.yaml", ".gitignore"]
DOC = ROOT / "assets" / "docs" / "brimvale_handbook.md"
FAST = {"train.warmup": 2, "train.steps_per_report": 2, "train.val_batches": -1}


def git_dvc_project(work: Path, env: dict) -> None:
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns(
                "__pycache__", "uploads"))
        else:
            shutil.copy(src, work / name)
    compose_tiny_params(work / "params.yaml")
    for cmd in (["git", "init", "-q"], ["dvc", "init", "-q"]):
        subprocess.run(cmd, cwd=work, env=env, check=True)
    (work / ".dvc" / "config").write_text(
        "[core]\n    autostage = true\n    analytics = false\n[hydra]\n    enabled = true\n")
    for cmd in (["git", "add", "-A"], ["git", "-c", "user.name=t", "-c", "user.email=t@t",
                                       "commit", "-qm", "scratch"]):
        subprocess.run(cmd, cwd=work, env=env, check=True)


@pytest.fixture(scope="module")
def trainer(tmp_path_factory):
    work = tmp_path_factory.mktemp("project")
    # The job's stages import this checkout's askbuddyx, like the server does.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=path, PYTHONPATH=str(ROOT),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    git_dvc_project(work, env)
    saved = dict(os.environ)
    os.environ.update(env)  # start_server passes os.environ on to the server
    try:
        server = start_server(tmp_path_factory.mktemp("serve"), free_port(), (
            "--params", str(work / "params.yaml"),
            "--adapters-dir", str(work / "outputs" / "adapters")))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    server.project, server.env = work, env
    yield server
    server.proc.terminate()
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
    subprocess.run(["dvc", "queue", "stop", "--kill"], cwd=work, env=env, capture_output=True)


def api(server, method, path, headers=None, **kw):
    return requests.request(method, server.url + path, timeout=60,
                            headers={**server.headers(), **(headers or {})}, **kw)


def job(server, name):
    r = api(server, "GET", f"/v1/training/jobs/{name}")
    assert r.status_code == 200, r.text
    return r.json()


def wait_for(server, name, states, timeout=300):  # a loaded machine: DVC setup is slow
    deadline = time.time() + timeout
    while time.time() < deadline:
        info = job(server, name)
        if info["state"] in states:
            return info
        time.sleep(0.5)
    raise AssertionError(f"{name} never reached {states}: {info}\n{server.log_text()[-3000:]}")


def chat(server, model, content="What is Quillstone?"):
    return api(server, "POST", "/v1/chat/completions", json={
        "model": model, "max_tokens": 8, "messages": [{"role": "user", "content": content}]})


def dvc_queue_status(server) -> dict:
    out = subprocess.run(["dvc", "queue", "status"], cwd=server.project, env=server.env,
                         capture_output=True, text=True, check=True).stdout
    return {p[1]: p[-1] for p in (line.split() for line in out.splitlines()) if len(p) >= 4}


def test_upload_jsonl_reports_the_data_stages_figures(trainer):
    lines = [json.dumps({"instruction": f"Name planet number {i} of the Brimvale chart",
                         "input": "", "output": f"Planet {i} is called Orb-{i * 37}."})
             for i in range(18)]
    body = "\n".join(lines + [lines[0], "{not json", json.dumps(
        {"instruction": "key?", "output": "AKIAIOSFODNN7EXAMPLE is the key"})]) + "\n"
    r = api(trainer, "POST", "/v1/training/data?name=small", data=body.encode(),
            headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["format"], report["lines"], report["malformed"]) == ("alpaca", 21, 1)
    assert report["malformed_lines"][0]["line"] == 20
    assert report["duplicates"]["exact"] == 1 and report["redactions_total"] >= 1
    assert report["records"] == 19
    # mostly broken: refused as the prepare stage refuses it, naming the stored path
    r = api(trainer, "POST", "/v1/training/data?name=small", data=b"{x\n{y\n" + lines[0].encode())
    assert r.status_code == 400 and "data/sources/uploads/small/small.jsonl" in \
        r.json()["error"]["message"]
    assert report["source"] == {"name": "small", "kind": "local",
                                "path": "data/sources/uploads/small/small.jsonl"}
    listed = api(trainer, "GET", "/v1/training/data").json()["data"]
    assert "small" in [d["name"] for d in listed]
    r = api(trainer, "POST", "/v1/training/data?name=bad/name", data=body.encode())
    assert r.status_code == 400 and r.json()["error"]["param"] == "name"


def test_bad_job_requests_are_openai_style_400s(trainer):
    for body, param in (({"adapter": "x"}, "dataset"),
                        ({"dataset": "nope", "adapter": "x"}, "dataset"),
                        ({"dataset": "small", "adapter": "x", "profile": "huge"}, "profile"),
                        ({"dataset": "small", "adapter": "x",
                          "overrides": {"data.sources": "y"}}, "overrides"),
                        ({"dataset": "small", "adapter": "AskBuddyX"}, "adapter")):
        r = api(trainer, "POST", "/v1/training/jobs", json=body)
        assert r.status_code in (400, 409), (body, r.text)
        assert r.json()["error"]["param"] == param, (body, r.text)
    assert api(trainer, "GET", "/v1/training/jobs/nope").status_code == 404
    r = requests.get(trainer.url + "/v1/training/jobs", timeout=10)
    assert r.status_code == 401  # same API key as the rest of the server


def test_upload_train_chat_cancel_over_http(trainer):
    with DOC.open("rb") as f:
        r = requests.post(trainer.url + "/v1/training/data", headers=trainer.headers(),
                          files={"file": ("brimvale.md", f, "text/markdown")}, timeout=60)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["kind"] == "markdown" and doc["records"] == doc["doc2data"]["train_pairs"] > 10
    assert (trainer.project / "data/sources/uploads/brimvale/brimvale.heldout.jsonl").is_file()

    # Two jobs at once: one worker, so the second waits for the first.
    first = api(trainer, "POST", "/v1/training/jobs", json={
        "dataset": "brimvale", "adapter": "brim-a",
        "overrides": {**FAST, "train.iters": 40, "train.steps_per_eval": 20}})
    second = api(trainer, "POST", "/v1/training/jobs", json={
        "dataset": "brimvale", "adapter": "brim-b",
        "overrides": {**FAST, "train.iters": 20000, "train.steps_per_eval": 20000}})
    assert first.status_code == second.status_code == 202, (first.text, second.text)
    assert first.json()["id"] == "brim-a" and first.json()["state"] == "submitting"

    # One worker: whichever DVC's queue takes first runs alone, the other waits.
    first_up = wait_any_running(trainer, ("brim-a", "brim-b"))
    other = "brim-b" if first_up == "brim-a" else "brim-a"
    assert job(trainer, other)["state"] in ("submitting", "queued")
    assert chat(trainer, "AskBuddyX").status_code == 200  # the server answers while it trains
    if first_up == "brim-a":
        check_finished(trainer)
        cancel_mid_training(trainer)
    else:
        cancel_mid_training(trainer)
        check_finished(trainer)


def wait_any_running(server, names, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for name in names:
            if job(server, name)["state"] == "running":
                return name
        time.sleep(0.5)
    raise AssertionError(f"none of {names} ran:\n{server.log_text()[-3000:]}")


def check_finished(trainer):
    """brim-a: falling loss, then its adapter registered and answering."""
    done = wait_for(trainer, "brim-a", ("succeeded", "failed"))
    assert done["state"] == "succeeded", done
    train = done["curves"]["train"]
    assert done["iteration"] == 40 and len(train) == 20 and done["val_loss"] is not None
    assert train[-1][1] < train[0][1], train  # the loss fell
    deadline = time.time() + 60
    while done.get("model") is None and time.time() < deadline:
        time.sleep(0.3)
        done = job(trainer, "brim-a")
    assert done["model"] == "brim-a" and done["adapter_load_s"] < 5, done
    answer = chat(trainer, "brim-a")
    assert answer.status_code == 200 and answer.json()["model"] == "brim-a"
    logs = api(trainer, "GET", "/v1/training/jobs/brim-a/logs").text
    assert "Running stage 'train'" in logs and "Adapter saved to" in logs


def cancel_mid_training(trainer):
    """brim-b (20,000 iterations): cancelled once it trains; its process gone, DVC: Failed."""
    info = wait_for(trainer, "brim-b", ("running",))
    deadline = time.time() + 120
    while info.get("iteration", 0) < 4 and time.time() < deadline:
        time.sleep(0.3)
        info = job(trainer, "brim-b")
    assert info["iteration"] >= 4 and info["eta_s"] > 0, info
    r = api(trainer, "DELETE", "/v1/training/jobs/brim-b")
    assert r.status_code == 200, r.text
    cancelled = r.json()
    assert cancelled["state"] == "cancelled" and cancelled["process_gone"] is True
    with pytest.raises(ProcessLookupError):
        os.kill(cancelled["pid"], 0)
    assert job(trainer, "brim-b")["state"] == "cancelled"
    assert wait_dvc_state(trainer, "brim-b") == "Failed"
    assert chat(trainer, "brim-b").status_code == 404  # no adapter from a cancelled job


def wait_dvc_state(server, name, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = dvc_queue_status(server).get(name)
        if state in ("Failed", "Success"):
            return state
        time.sleep(0.5)
    return dvc_queue_status(server).get(name)


def test_failed_job_says_why_and_cli_jobs_are_listed(trainer):
    # the data stages of brim-a's dataset come from DVC's run cache: only train runs (and fails)
    r = api(trainer, "POST", "/v1/training/jobs", json={
        "dataset": "brimvale", "adapter": "broken",
        "overrides": {**FAST, "train.iters": 4, "train.warmup": 9}})
    assert r.status_code == 202, r.text
    failed = wait_for(trainer, "broken", ("failed", "succeeded"))
    assert failed["state"] == "failed" and "train.warmup" in failed["error"], failed

    # queued from the command line (no worker started): the server lists it, then we drop it
    subprocess.run(["dvc", "exp", "run", "--queue", "train", "-n", "from-cli", "-S",
                    "profile=tiny"], cwd=trainer.project, env=trainer.env, check=True,
                   capture_output=True)
    listed = {j["id"]: j for j in api(trainer, "GET", "/v1/training/jobs").json()["data"]}
    assert listed["from-cli"]["submitted_by"] == "dvc"
    # queued; or running, when the worker of the failed job had not yet exited (10 s idle)
    assert listed["from-cli"]["state"] in ("queued", "running")
    assert listed["brim-a"]["state"] == "succeeded"
    r = api(trainer, "POST", "/v1/training/jobs/from-cli/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled", r.text
    assert dvc_queue_status(trainer).get("from-cli") in (None, "Failed")


def test_registry_follows_the_disk_and_tells_the_truth(trainer):
    from askbuddyx.serve.demo_adapter import make_demo_adapter
    from tests.serve_live import EMBEDDED_MODEL

    adapters = trainer.project / "outputs" / "adapters"
    make_demo_adapter(str(EMBEDDED_MODEL), adapters / "late", seed=5)
    r = chat(trainer, "late")
    assert r.status_code == 200, r.text  # added after start: found without registering
    shutil.rmtree(adapters / "late")
    assert "late" not in [m["id"] for m in api(trainer, "GET", "/v1/models").json()["data"]]
    make_demo_adapter(str(EMBEDDED_MODEL), adapters / "late2", seed=6)
    assert chat(trainer, "late2").status_code == 200
    assert api(trainer, "DELETE", "/v1/adapters/late2").status_code == 200
    assert chat(trainer, "late2").status_code == 404  # forgotten by hand: not found again

    # the pipeline's adapter keeps its folder name, so a switch can be undone
    main_name = Path(trainer.adapters["main"]).name
    for name in ("exp", main_name):
        assert api(trainer, "POST", "/v1/adapters/switch", json={"name": name}).status_code \
            == 200
    listed = api(trainer, "GET", "/v1/adapters").json()
    assert listed["current"] == trainer.adapters["main"]

    # the real loaded state: this path is loaded already (it serves AskBuddyX)
    r = api(trainer, "POST", "/v1/adapters", json={"name": "again", "path":
                                                   trainer.adapters["main"], "load": False})
    assert r.status_code == 201 and r.json()["loaded"] is True
