"""Parameters: `params.yaml` read key by key, with profiles.

`params.yaml` holds every hyperparameter. Its top-level sections (`model`, `data`, `train`,
`eval`, `bundle`) are the values of the default **embedded** profile. Another profile (e.g.
`release`) lists, under `profiles.<name>`, only the keys it changes; with `profile: release` those
win. So:

    dvc exp run --set-param train.iters=200                  # embedded profile, more steps
    dvc exp run --set-param profile=release                  # the real model and dataset
    dvc exp run -S profile=release -S profiles.release.train.iters=200

A stage names the keys it reads (`PARAMS` in `stages/<stage>.py`); `dvc.yaml` declares exactly
those plus their profile overrides (`stage_param_keys`), and a test keeps the two equal.
`StageParams` refuses keys the stage did not name, and `assert_all_used` fails a stage that
names a key it never reads: "read but not declared" and "declared but not read" both fail.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from askbuddyx.errors import AskBuddyXError

DEFAULT_PROFILE = "embedded"
_MISSING = object()
_ABSENT = object()


def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping, with a clear error if the file is missing or not a mapping."""
    path = Path(path)
    if not path.is_file():
        raise AskBuddyXError(
            f"Parameter file not found: {path}",
            hint="Run from the repository root, where params.yaml lives.",
        )
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise AskBuddyXError(f"{path} must hold a YAML mapping, got {type(data).__name__}.")
    return data


def get_path(tree: dict, dotted: str, default=_MISSING):
    """Look up "a.b.c" in nested dicts."""
    node = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            if default is _MISSING:
                raise KeyError(dotted)
            return default
        node = node[part]
    return node


def profile_names(params: dict) -> list:
    return sorted((params.get("profiles") or {}).keys())


def stage_param_keys(params: dict, keys) -> list:
    """The keys dvc.yaml must declare for a stage that reads `keys`.

    That is `profile`, the keys themselves, and each profile's override of them (where a
    profile overrides them), sorted as they appear in dvc.yaml.
    """
    declared = ["profile"] + list(keys)
    for name in profile_names(params):
        for key in keys:
            if get_path(params, f"profiles.{name}.{key}", None) is not None:
                declared.append(f"profiles.{name}.{key}")
    return declared


class StageParams:
    """The parameters one stage may read, with the active profile applied.

    Args:
        params: The whole parsed params.yaml.
        keys: The dotted keys the stage reads.
    """

    def __init__(self, params: dict, keys):
        self.keys = tuple(keys)
        self.profile = params.get("profile", DEFAULT_PROFILE)
        known = [DEFAULT_PROFILE, *profile_names(params)]
        if self.profile not in known:
            raise AskBuddyXError(
                f"Unknown profile {self.profile!r} in params.yaml.",
                hint=f"Set `profile` to one of: {', '.join(known)}.",
            )
        self._values = {}
        for key in self.keys:
            value = get_path(params, key, None)
            override = get_path(params, f"profiles.{self.profile}.{key}", _ABSENT)
            if override is not _ABSENT:
                value = override
            if value is None:
                raise AskBuddyXError(
                    f"params.yaml has no value for {key!r} (profile {self.profile!r}).",
                    hint=f"Add `{key}` to params.yaml.",
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
        """Every declared key with its effective value (marks them all as read)."""
        self._used.update(self._values)
        return dict(self._values)

    def assert_all_used(self) -> None:
        unused = [k for k in self.keys if k not in self._used]
        if unused:
            raise AssertionError(f"params declared but never read: {unused}")


def load_stage_params(keys, params_file: str | Path = "params.yaml") -> StageParams:
    """Read params.yaml and return the view of one stage's keys."""
    return StageParams(load_yaml(params_file), keys)
