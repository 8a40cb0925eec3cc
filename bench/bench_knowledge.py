"""Knowledge check (issue 17): a document in, an adapter that knows it out, base vs adapter.

    .venv/bin/python bench/bench_knowledge.py [--iters 40] [--json PATH]

In a scratch copy of the project (git + DVC, the smol profile: the real SmolLM2-135M), it
starts `askbuddyx serve` and drives only the HTTP API, as the README walkthrough does with curl:
uploads assets/docs/brimvale_handbook.md (invented facts no model can know) to
/v1/training/data, which turns it into question/answer pairs (askbuddyx.data.doc2data) with
rephrased questions held out; trains a job on it (/v1/training/jobs: a DVC experiment); waits
for its adapter to be registered; then asks the base model and the adapter every question, as
written (the first training phrasing of each fact) and rephrased (the held-out ones, never
trained on), greedy, through /v1/chat/completions.

Scores, per question, against the document's own answer:
- token recall: the share of the answer's content words (lower-cased, 3+ letters or any
  number, minus a few stop words) found in the model's answer;
- fact recall: the same over the answer's facts only: numbers and capitalized words that do
  not open a sentence (the invented names, dates, sizes).
Both are averaged per model and per question set. Target: the adapter ahead of the base on the
held-out questions (issue 17, must-hold 2).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import ROOT, env, machine, write_json  # noqa: E402

DOC = ROOT / "assets" / "docs" / "brimvale_handbook.md"
COPY = ["askbuddyx", "stages", "assets", "conf", "data/sources", "dvc.yaml", ".gitignore"]
STOP = {"the", "and", "for", "that", "with", "this", "from", "are", "was", "which", "when",
        "what", "its", "into", "every", "does", "until"}
WORD = re.compile(r"[A-Za-z][A-Za-z'-]*|\d[\d.,:-]*")


def content_words(text: str) -> set:
    return {w.lower() for w in WORD.findall(text)
            if (w[0].isdigit() or len(w) >= 3) and w.lower() not in STOP}


def fact_words(text: str) -> set:
    """Numbers and capitalized words not at a sentence start (the document's facts)."""
    facts = set()
    for sentence in re.split(r"(?<=[.!?:\n-])\s+", text):
        words = WORD.findall(sentence)
        facts |= {w.lower() for i, w in enumerate(words)
                  if w[0].isdigit() or (i > 0 and w[0].isupper())}
    return facts - STOP


def recall(expected: set, answer: str) -> float:
    got = content_words(answer) | {w.lower() for w in WORD.findall(answer)}
    return len(expected & got) / len(expected) if expected else 0.0


def project(work: Path, environ: dict) -> Path:
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns(
                "__pycache__", "uploads"))
        else:
            shutil.copy(src, work / name)
    steps = [[sys.executable, "-m", "askbuddyx.cli", "params", "--root", ".", "--profile",
              "smol"], ["git", "init", "-q"], ["dvc", "init", "-q"]]
    for cmd in steps:
        subprocess.run(cmd, cwd=work, env=environ, check=True, capture_output=True)
    (work / ".dvc" / "config").write_text(
        "[core]\n    autostage = true\n    analytics = false\n[hydra]\n    enabled = true\n")
    for cmd in (["git", "add", "-A"], ["git", "commit", "-qm", "knowledge bench"]):
        subprocess.run(cmd, cwd=work, env=environ, check=True, capture_output=True)
    return work


def serve(work: Path, environ: dict, port: int, log: Path) -> subprocess.Popen:
    # fetch the smol base first, as the server serves it from models/base (fetch_model)
    subprocess.run(["dvc", "repro", "fetch_model"], cwd=work, env=environ, check=True,
                   capture_output=True, timeout=900)
    cmd = [sys.executable, "-m", "askbuddyx.cli", "serve", "--params", "params.yaml",
           "--adapter", "", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=work, env=environ, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return proc
        except requests.ConnectionError:
            pass
        time.sleep(1)
    proc.kill()
    raise SystemExit(f"server did not start:\n{log.read_text()[-3000:]}")


def train(url: str, iters: int, lr: float) -> dict:
    with DOC.open("rb") as f:
        r = requests.post(url + "/v1/training/data", files={"file": (DOC.name, f)},
                          data={"name": "brimvale"}, timeout=120)
    r.raise_for_status()
    upload = r.json()
    print(f"upload: {upload['records']} pairs ({upload['doc2data']['pairs_by_rule']}), "
          f"{upload['doc2data']['heldout_questions']} held-out questions")
    overrides = {"train.iters": iters, "train.learning_rate": lr, "train.warmup": 4,
                 "train.steps_per_report": 5, "train.steps_per_eval": iters,
                 "train.val_batches": 1}
    r = requests.post(url + "/v1/training/jobs", json={
        "dataset": "brimvale", "adapter": "brimvale-smol", "profile": "smol",
        "overrides": overrides}, timeout=60)
    r.raise_for_status()
    t0, last = time.time(), None
    while True:
        info = requests.get(url + "/v1/training/jobs/brimvale-smol", timeout=60).json()
        if info["state"] == "failed":
            log = requests.get(url + "/v1/training/jobs/brimvale-smol/logs?follow=false",
                               timeout=60).text
            raise SystemExit(f"the job failed: {info.get('error')}\n{log[-3000:]}")
        if info.get("model"):
            break
        if info.get("iteration") != last:
            last = info.get("iteration")
            print(f"  {time.time() - t0:6.0f} s  {info['state']:<10} iteration {last} "
                  f"train loss {info.get('train_loss')}  eta {info.get('eta_s')} s", flush=True)
        time.sleep(5)
    info["wall_s"] = round(time.time() - t0, 1)
    return {"upload": upload, "job": info}


def ask(url: str, model: str, question: str) -> str:
    r = requests.post(url + "/v1/chat/completions", timeout=600, json={
        "model": model, "max_tokens": 80, "temperature": 0,
        "messages": [{"role": "user", "content": question}]})
    r.raise_for_status()
    return r.json()["choices"][0]["message"]["content"]


def score(url: str, models: dict, questions: dict) -> dict:
    out = {}
    jobs = [(label, model, kind, q) for label, model in models.items()
            for kind, qs in questions.items() for q in qs]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda j: ask(url, j[1], j[3]["instruction"]), jobs))
    for (label, _, kind, q), answer in zip(jobs, answers):
        cell = out.setdefault(f"{label}_{kind}", {"token": [], "fact": [], "examples": []})
        cell["token"].append(recall(content_words(q["output"]), answer))
        cell["fact"].append(recall(fact_words(q["output"]), answer))
        if len(cell["examples"]) < 2:
            cell["examples"].append((q["instruction"], answer[:120]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iters", type=int, default=40)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--port", type=int, default=18931)
    parser.add_argument("--json")
    args = parser.parse_args()
    environ = env()
    environ["PYTHONPATH"] = str(ROOT)  # the server and the job's stages run this checkout
    with tempfile.TemporaryDirectory(prefix="bench_knowledge_") as tmp:
        work = project(Path(tmp) / "project", environ)
        proc = serve(work, environ, args.port, Path(tmp) / "server.log")
        url = f"http://127.0.0.1:{args.port}"
        try:
            trained = train(url, args.iters, args.learning_rate)
            uploads = work / "data/sources/uploads/brimvale"
            pairs = [json.loads(x) for x in (uploads / "brimvale.jsonl").read_text().splitlines()]
            heldout = [json.loads(x) for x in
                       (uploads / "brimvale.heldout.jsonl").read_text().splitlines()]
            as_written = pairs[::2]  # the first training phrasing of each fact
            base = next(m["id"] for m in requests.get(url + "/v1/models").json()["data"]
                        if m["adapter"] is None and m["id"] != "AskBuddyX")
            cells = score(url, {"base": base, "adapter": "brimvale-smol"},
                          {"as_written": as_written, "heldout": heldout})
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            subprocess.run(["dvc", "queue", "stop", "--kill"], cwd=work, env=environ,
                           capture_output=True)
    job = trained["job"]
    figures = {"machine": machine(), "iters": args.iters, "learning_rate": args.learning_rate,
               "train_pairs": trained["upload"]["records"], "job_wall_s": job["wall_s"],
               "first_train_loss": job["curves"]["train"][0][1],
               "final_train_loss": job["train_loss"], "val_loss": job["val_loss"],
               "adapter_load_s": job["adapter_load_s"], "adapter_load_target_s": 5}
    print(f"\njob: {args.iters} iterations in {job['wall_s']} s (queue to registered), train "
          f"loss {figures['first_train_loss']} -> {figures['final_train_loss']}, val loss "
          f"{figures['val_loss']}, adapter loaded in {figures['adapter_load_s']} s")
    print(f"{'':22}{'token recall':>14}{'fact recall':>13}   n")
    for key, cell in cells.items():
        n = len(cell["token"])
        figures[f"{key}_token_recall"] = round(sum(cell["token"]) / n, 3)
        figures[f"{key}_fact_recall"] = round(sum(cell["fact"]) / n, 3)
        print(f"{key:22}{figures[f'{key}_token_recall']:>14.3f}"
              f"{figures[f'{key}_fact_recall']:>13.3f}   {n}")
    for key, cell in cells.items():
        for question, answer in cell["examples"][:1]:
            print(f"  {key}: {question!r} -> {answer!r}")
    figures["heldout_fact_recall_gain"] = round(
        figures["adapter_heldout_fact_recall"] - figures["base_heldout_fact_recall"], 3)
    figures["adapter_ahead_on_heldout"] = figures["heldout_fact_recall_gain"] > 0
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
