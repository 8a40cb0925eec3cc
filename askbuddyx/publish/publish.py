"""Gated upload of the bundle to the Hugging Face hub (seed 000, section 7.9).

    askbuddyx publish --dry-run                  what would be uploaded, and whether it may be
    askbuddyx publish                            check the gate, upload, record what was published
    askbuddyx publish --force "reason"           upload despite a failed gate or a regression

Order of checks, each with a clear error:

1. the bundle is complete (`verify_bundle`) and holds no secret (`scan_for_secrets`);
2. `metrics/eval.json` says `"gate_passed": true` (written by the evaluation);
3. no metric regressed against `metrics/published.json`, the metrics of the last publication
   (written by a successful publish: commit it, so the next release is compared with it;
   before the first publication it is absent, and the command says so: "no earlier publication");
4. a token: `HF_TOKEN` in the environment, then `HF_TOKEN` in `.env`, then `hf auth login`'s.

Then `create_repo(exist_ok=True)` and `upload_folder`, retried with exponential backoff on
network errors and 5xx/429 answers. The token is never printed or logged.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from pathlib import Path

from askbuddyx.data.kept_detector import detector_session
from askbuddyx.data.redact import redact_secrets
from askbuddyx.errors import AskBuddyXError

# Metrics where lower is better; every other numeric metric is "higher is better".
LOWER_IS_BETTER = re.compile(r"(loss|perplexity|latency|seconds)", re.IGNORECASE)
LOGIN_HINT = "Run `hf auth login` (or set HF_TOKEN in the environment or in .env)."
RETRY_STATUS = {429, 500, 502, 503, 504}


def scan_for_secrets(folder: str | Path) -> list[str]:
    """'file: detector' for every kind of secret found in any file under `folder`.

    The same detectors as the data stages' redaction (askbuddyx.data.redact: our rules, Hugging
    Face tokens included, then detect-secrets' plugins).
    """
    found = []
    with detector_session():
        for path in sorted(Path(folder).rglob("*")):
            if not path.is_file():
                continue
            text = path.read_bytes().decode("latin-1")  # binary-safe: every byte maps to a char
            _, counts = redact_secrets(text)
            found += [f"{path.relative_to(folder)}: {name}" for name in sorted(counts)]
    return found


def assert_no_secrets(folder: str | Path) -> None:
    found = scan_for_secrets(folder)
    if found:
        raise AskBuddyXError(
            f"Refusing to let {folder} leave the machine: it contains secrets "
            f"({'; '.join(found)}).",
            hint="Remove them from the source files (adapter folder, MODEL_CARD.md, docs) and "
            "rebuild the bundle with `make bundle`.")


def bundle_files(bundle_dir: str | Path) -> list[str]:
    """The bundle's files, relative and sorted: exactly what `upload_folder` sends."""
    bundle_dir = Path(bundle_dir)
    return sorted(p.relative_to(bundle_dir).as_posix() for p in bundle_dir.rglob("*")
                  if p.is_file())


def flatten_metrics(tree: dict, prefix: str = "") -> dict:
    """{"adapter.format_rate_heldout": 0.5, ...}: numeric leaves, like `dvc metrics diff`."""
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_metrics(value, f"{name}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[name] = value
    return flat


def metrics_diff(old: dict, new: dict) -> list[dict]:
    """Rows {metric, old, new, change, regressed} for the adapter's metrics in both files.

    Only the `adapter` section counts (the base model's scores are not ours to regress);
    a metric regresses when it moves the wrong way by more than 1e-9.
    """
    old_flat = flatten_metrics(old.get("adapter", {}), "adapter.")
    new_flat = flatten_metrics(new.get("adapter", {}), "adapter.")
    rows = []
    for name in sorted(old_flat.keys() & new_flat.keys()):
        change = new_flat[name] - old_flat[name]
        worse = change > 1e-9 if LOWER_IS_BETTER.search(name) else change < -1e-9
        rows.append({"metric": name, "old": old_flat[name], "new": new_flat[name],
                     "change": round(change, 6), "regressed": worse})
    return rows


def check_release(eval_metrics: dict | None, published: dict | None) -> list[str]:
    """Why this bundle must not be published (empty list: it may)."""
    reasons = []
    if eval_metrics is None:
        reasons.append("metrics/eval.json is missing: run the evaluation (`make eval`)")
    elif "gate_passed" not in eval_metrics:
        reasons.append("metrics/eval.json has no `gate_passed` key: this evaluation predates "
                       "the release gate, so it counts as not passed; rerun `make eval`")
    elif eval_metrics["gate_passed"] is not True:
        reasons.append("the evaluation gate did not pass (`gate_passed` is false in "
                       "metrics/eval.json; see outputs/eval/report.md)")
    if eval_metrics is not None and published is not None:
        for row in metrics_diff(published.get("metrics", {}), eval_metrics):
            if row["regressed"]:
                reasons.append(f"{row['metric']} regressed: {row['old']} at the last "
                               f"publication, {row['new']} now")
    return reasons


def read_json(path: str | Path) -> dict | None:
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else None


def resolve_token(env_file: str | Path = ".env") -> str | None:
    """HF_TOKEN from the environment, then from .env, then the `hf auth login` token."""
    if os.environ.get("HF_TOKEN"):
        return os.environ["HF_TOKEN"]
    env_file = Path(env_file)
    if env_file.is_file():
        for line in env_file.read_text().splitlines():
            key, sep, value = line.strip().partition("=")
            if sep and key.strip() == "HF_TOKEN" and value.strip():
                return value.strip().strip("'\"")
    from huggingface_hub import get_token

    return get_token()


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def with_retries(fn, what: str, retries: int = 5, base_delay: float = 1.0, sleep=None):
    """Call fn(); on network errors and 429/5xx answers wait 1, 2, 4, ... s and try again.

    Auth failures (401/403) are not retried: they become an error that says to log in.
    """
    from huggingface_hub.errors import HfHubHTTPError

    for attempt in range(retries + 1):
        try:
            return fn()
        except HfHubHTTPError as exc:
            status = _status(exc)
            if status in (401, 403):
                raise AskBuddyXError(
                    f"The hub refused the credentials while trying to {what} "
                    f"(HTTP {status}).", hint=LOGIN_HINT) from exc
            if status not in RETRY_STATUS or attempt == retries:
                raise AskBuddyXError(f"Could not {what}: HTTP {status} "
                                     f"({str(exc).splitlines()[0]}).",
                                     hint="Check the repo id, your quota and permissions.") \
                    from exc
            reason = f"HTTP {status}"
        except OSError as exc:  # connection refused/reset, DNS, timeouts (httpx errors too)
            if attempt == retries:
                raise AskBuddyXError(f"Could not {what}: network error after {retries + 1} "
                                     f"attempts ({type(exc).__name__}).",
                                     hint="Check the network (or HF_ENDPOINT) and retry.") \
                    from exc
            reason = type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - httpx transport errors are not OSErrors
            if type(exc).__module__.split(".")[0] != "httpx" or attempt == retries:
                raise
            reason = type(exc).__name__
        delay = base_delay * 2 ** attempt
        print(f"{what}: {reason}; retrying in {delay:.0f} s "
              f"(attempt {attempt + 2} of {retries + 1})", flush=True)
        (sleep or time.sleep)(delay)
    raise AssertionError("unreachable")


def publish_bundle(bundle_dir: str | Path, repo_id: str, eval_path: str | Path,
                   published_path: str | Path, dry_run: bool = False, force: str | None = None,
                   retries: int = 5, base_delay: float = 1.0, env_file: str | Path = ".env",
                   endpoint: str | None = None) -> dict:
    """Check and upload the bundle; returns what was (or would be) done.

    Args:
        bundle_dir: The bundle (outputs/hf_bundle).
        repo_id: Hub model repo, e.g. salakash/AskBuddyX.
        eval_path: metrics/eval.json (needs `"gate_passed": true`).
        published_path: metrics/published.json: compared against, and rewritten on success.
        dry_run: Check and list the files; upload nothing.
        force: A reason to publish despite a failed gate or a regression (recorded).
        endpoint: Hub URL; default HF_ENDPOINT or huggingface.co.
    """
    from askbuddyx.publish.bundle import verify_bundle

    bundle_dir = Path(bundle_dir)
    if not bundle_dir.is_dir():
        raise AskBuddyXError(f"No bundle at {bundle_dir}.", hint="Build it with `make bundle`.")
    verify_bundle(bundle_dir)
    assert_no_secrets(bundle_dir)
    eval_metrics, published = read_json(eval_path), read_json(published_path)
    reasons = check_release(eval_metrics, published)
    if force is not None and not force.strip():
        raise AskBuddyXError("--force needs a reason.", hint='e.g. --force "hotfix: card typo"')
    files = bundle_files(bundle_dir)
    # compared_with: the last publication's record, None before the first publication
    plan = {"repo_id": repo_id, "files": files, "blocked_by": reasons, "forced": force,
            "compared_with": str(published_path) if published is not None else None,
            "diff": metrics_diff(published.get("metrics", {}), eval_metrics or {})
            if published else []}
    if dry_run:
        return plan
    if reasons and force is None:
        raise AskBuddyXError("Not publishing: " + "; ".join(reasons) + ".",
                             hint='Improve the adapter and rerun the pipeline, or override '
                                  'with --force "reason" (the reason is recorded).')
    token = resolve_token(env_file)
    if not token:
        raise AskBuddyXError("No Hugging Face token found.", hint=LOGIN_HINT)
    from huggingface_hub import HfApi

    endpoint = endpoint or os.environ.get("HF_ENDPOINT") or None
    api = HfApi(endpoint=endpoint, token=token)
    url = with_retries(lambda: api.create_repo(repo_id, repo_type="model", exist_ok=True),
                       f"create the repo {repo_id}", retries, base_delay)
    run_meta = read_json(bundle_dir / "run_meta.json") or {}
    message = (f"AskBuddyX adapter: {run_meta.get('hyperparameters', {}).get('iters', '?')} "
               f"iters, {dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}")
    commit = with_retries(lambda: api.upload_folder(folder_path=str(bundle_dir), repo_id=repo_id,
                                                    repo_type="model", commit_message=message),
                          f"upload {bundle_dir} to {repo_id}", retries, base_delay)
    record = {"repo_id": repo_id, "commit": getattr(commit, "oid", None),
              "url": str(url), "files": files, "forced": force,
              "published_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "metrics": {k: eval_metrics[k] for k in ("adapter", "base", "gate_passed")
                          if eval_metrics and k in eval_metrics}}
    Path(published_path).parent.mkdir(parents=True, exist_ok=True)
    Path(published_path).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return dict(plan, url=str(url), commit=record["commit"])
