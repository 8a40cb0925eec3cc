"""Parameters: `params.yaml`, plain and complete, composed from `conf/` by DVC's Hydra support.

What a stage reads is exactly what `params.yaml` says: no profile logic at read time. The file
is composed (DVC's own `compose_and_dump`, the function `dvc exp run` calls when
`.dvc/config` has `hydra.enabled`) from

    conf/config.yaml          shared defaults, the same in every profile
    conf/profile/<name>.yaml  one complete profile (smol: the default, tiny, release)
    the command line          `-S key=value`, applied last, so it always wins

so `dvc exp run -S profile=release -S train.iters=200` runs the release profile with 200
iterations, and `dvc exp show` / `dvc params diff` list what ran. `askbuddyx params
[--profile NAME] [-S key=value ...]` writes the same file for a plain `dvc repro`.

A stage names the keys it reads (`PARAMS` in `stages/<stage>.py`); `dvc.yaml` declares
exactly those, and a test keeps the two equal. `StageParams` refuses keys the stage did not
name, and `assert_all_used` fails a stage that names a key it never reads.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from askbuddyx.errors import AskBuddyXError

PARAMS_FILE = "params.yaml"
CONF_DIR = "conf"
CONFIG_NAME = "config"
PROFILE_GROUP = "profile"


class ParamsLoader(yaml.SafeLoader):
    """SafeLoader that reads `1e-5` as a float (YAML 1.1 wants `1.0e-5`), as mlx_lm/lora.py
    does, without changing PyYAML's global SafeLoader."""


ParamsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def parse_yaml(text: str):
    """YAML text -> Python, with `ParamsLoader`'s floats."""
    return yaml.load(text, Loader=ParamsLoader)  # noqa: S506 - a SafeLoader subclass


def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping, with a clear error if the file is missing or not a mapping."""
    path = Path(path)
    if not path.is_file():
        raise AskBuddyXError(
            f"Parameter file not found: {path}",
            hint="Run from the repository root, where params.yaml lives.",
        )
    data = parse_yaml(path.read_text()) or {}
    if not isinstance(data, dict):
        raise AskBuddyXError(f"{path} must hold a YAML mapping, got {type(data).__name__}.")
    return data


def get_path(tree: dict, dotted: str, default=KeyError):
    """Look up "a.b.c" in nested dicts; `default` when absent (KeyError: raise)."""
    node = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            if default is KeyError:
                raise KeyError(dotted)
            return default
        node = node[part]
    return node


def leaf_keys(tree: dict, prefix: str = "") -> list[str]:
    """Every dotted key of a nested mapping whose value is not itself a non-empty mapping."""
    keys = []
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and value:
            keys.extend(leaf_keys(value, f"{key}."))
        else:
            keys.append(key)
    return keys


def find_project_root(start: str | Path = ".") -> Path:
    """The nearest folder at or above `start` that holds conf/config.yaml and dvc.yaml."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / CONF_DIR / f"{CONFIG_NAME}.yaml").is_file() and \
                (folder / "dvc.yaml").is_file():
            return folder
    raise AskBuddyXError(f"No AskBuddyX project at or above {start}.",
                         hint="Run inside the repository (where dvc.yaml and conf/ live), "
                              "or pass --root.")


def profile_names(conf_dir: str | Path = CONF_DIR) -> list[str]:
    """The profiles that `conf/profile/` holds."""
    return sorted(p.stem for p in (Path(conf_dir) / PROFILE_GROUP).glob("*.yaml"))


def compose_params(out: str | Path = PARAMS_FILE, profile: str | None = None,
                   overrides=(), conf_dir: str | Path = CONF_DIR) -> dict:
    """Write `out` as `dvc exp run -S` would: conf/ composed, profile chosen, overrides last.

    Uses DVC's own `compose_and_dump`, so the bytes are those of an experiment run.
    Returns the composed params.
    """
    from dvc.utils.hydra import compose_and_dump
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    conf_dir = Path(conf_dir).resolve()
    known = profile_names(conf_dir)
    if not known:
        raise AskBuddyXError(f"No profiles under {conf_dir}/{PROFILE_GROUP}/.",
                             hint="Run from the repository root (conf/ lives there).")
    if profile is not None and profile not in known:
        raise AskBuddyXError(f"Unknown profile {profile!r}.",
                             hint=f"Use one of: {', '.join(known)}.")
    args = ([f"{PROFILE_GROUP}={profile}"] if profile else []) + list(overrides)
    try:
        compose_and_dump(str(out), str(conf_dir), None, CONFIG_NAME, "", args)
    except (HydraException, OmegaConfBaseException) as exc:
        raise AskBuddyXError(
            f"Could not compose params from {conf_dir} with {args}: {exc}",
            hint="Overrides look like train.iters=200; a key must exist in conf/ "
                 "(a typo is refused, not added).",
        ) from exc
    return load_yaml(out)


class StageParams:
    """The parameters one stage may read, from a plain params mapping.

    Args:
        params: The whole parsed params.yaml.
        keys: The dotted keys the stage reads.
    """

    def __init__(self, params: dict, keys):
        self.keys = tuple(keys)
        self._values = {}
        for key in self.keys:
            value = get_path(params, key, None)
            if value is None:
                raise AskBuddyXError(
                    f"params.yaml has no value for {key!r}.",
                    hint=f"Add `{key}` to conf/ (shared: conf/config.yaml, or every "
                         "conf/profile/*.yaml), then run `askbuddyx params`.",
                )
            self._values[key] = value
        self._used = set()

    def __getitem__(self, key: str):
        if key not in self._values:
            raise KeyError(
                f"{key!r} is not among this stage's declared params {self.keys}; "
                "add it to the stage's PARAMS and to dvc.yaml."
            )
        self._used.add(key)
        return self._values[key]

    def as_dict(self) -> dict:
        """Every declared key with its value (marks them all as read)."""
        self._used.update(self._values)
        return dict(self._values)

    def assert_all_used(self) -> None:
        unused = [k for k in self.keys if k not in self._used]
        if unused:
            raise AssertionError(f"params declared but never read: {unused}")


def load_stage_params(keys, params_file: str | Path = PARAMS_FILE) -> StageParams:
    """Read params.yaml and return the view of one stage's keys."""
    return StageParams(load_yaml(params_file), keys)
