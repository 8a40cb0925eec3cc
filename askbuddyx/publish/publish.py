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

Then `create_repo(exist_ok=True)` and `upload_folder`, each retried by tenacity with
exponential backoff (1, 2, 4, ... s) on transport errors and 429/5xx answers; other answers
(401/403: log in) fail at once. huggingface_hub retries each request of the upload itself
(`http_backoff`), not `create_repo`: ours covers that call and outages that outlast its
backoff. The token is never printed or logged.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

from askbuddyx.data.io import write_json
from askbuddyx.errors import AskBuddyXError
from askbuddyx.publish.bundle import assert_no_secrets, verify_bundle

# Metrics where lower is better; every other numeric metric is "higher is better".
LOWER_IS_BETTER = re.compile(r"(loss|perplexity|latency|seconds)", re.IGNORECASE)
LOGIN_HINT = "Run `hf auth login` (or set HF_TOKEN in the environment or in .env)."
RETRY_STATUS = {429, 500, 502, 503, 504}


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
    """HF_TOKEN from the environment, then from `env_file` (python-dotenv), then the token
    `hf auth login` stored (huggingface_hub.get_token)."""
    from dotenv import dotenv_values
    from huggingface_hub import get_token

    return os.environ.get("HF_TOKEN") or dotenv_values(env_file).get("HF_TOKEN") or get_token()


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _transport_errors() -> tuple:
    """Connection refused or reset, DNS, timeouts: from the HTTP client huggingface_hub
    uses (`huggingface_hub.utils.httpx`, whichever httpx it is) and from sockets."""
    from huggingface_hub.utils import httpx

    return (httpx.TransportError, ConnectionError, TimeoutError)


def _retryable(exc: BaseException) -> bool:
    from huggingface_hub.errors import HfHubHTTPError

    if isinstance(exc, HfHubHTTPError):
        return _status(exc) in RETRY_STATUS
    return isinstance(exc, _transport_errors())


def with_retries(fn, what: str, retries: int = 5, base_delay: float = 1.0):
    """Call fn(); on transport errors and 429/5xx answers wait base_delay x 1, 2, 4, ... s
    and try again, `retries` times at most. Failures become an AskBuddyXError that says what
    failed; auth failures (401/403) are not retried and say to log in."""
    from huggingface_hub.errors import HfHubHTTPError
    from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

    attempts = retries + 1

    def announce(state) -> None:
        exc = state.outcome.exception()
        reason = f"HTTP {_status(exc)}" if isinstance(exc, HfHubHTTPError) else \
            type(exc).__name__
        print(f"{what}: {reason}; retrying in {state.next_action.sleep:.0f} s "
              f"(attempt {state.attempt_number + 1} of {attempts})", flush=True)

    retrying = Retrying(retry=retry_if_exception(_retryable), stop=stop_after_attempt(attempts),
                        wait=wait_exponential(multiplier=base_delay), before_sleep=announce,
                        reraise=True)
    try:
        return retrying(fn)
    except HfHubHTTPError as exc:
        status = _status(exc)
        if status in (401, 403):
            raise AskBuddyXError(f"The hub refused the credentials while trying to {what} "
                                 f"(HTTP {status}).", hint=LOGIN_HINT) from exc
        raise AskBuddyXError(f"Could not {what}: HTTP {status} ({str(exc).splitlines()[0]}).",
                             hint="Check the repo id, your quota and permissions.") from exc
    except _transport_errors() as exc:
        raise AskBuddyXError(f"Could not {what}: network error after {attempts} attempts "
                             f"({type(exc).__name__}).",
                             hint="Check the network (or HF_ENDPOINT) and retry.") from exc


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
    write_json(published_path, record)
    return dict(plan, url=str(url), commit=record["commit"])
