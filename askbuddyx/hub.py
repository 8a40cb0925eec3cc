"""Fast reachability check for the Hugging Face hub.

Offline, `datasets.load_dataset` and `snapshot_download` retry with back-off for ~25 s before
failing. A 3-second probe of the hub endpoint (`HF_ENDPOINT`, default huggingface.co) lets the
pipeline fail at once with a message that names the offline profile.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request


def hub_endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT.rstrip("/")


def offline_mode() -> bool:
    """True when the user asked the HF libraries to work from their local cache only."""
    return any(os.environ.get(v, "").lower() in ("1", "true", "yes")
               for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))


def probe_hub(timeout: float = 3.0) -> str | None:
    """None when the hub answers HTTP at all (any status), else the reason it does not."""
    url = f"{hub_endpoint()}/api/models?limit=1"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None  # it answered: reachable (auth or rate limits are handled later)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"{url}: {reason}"
