import pytest
import yaml

from askbuddyx.config import StageParams, stage_param_keys
from askbuddyx.errors import AskBuddyXError

PARAMS = {
    "profile": "embedded",
    "train": {"iters": 10, "learning_rate": 1.0e-3},
    "profiles": {"release": {"train": {"iters": 50}}},
}


def test_embedded_profile_uses_top_level_values():
    p = StageParams(PARAMS, ["train.iters", "train.learning_rate"])
    assert p["train.iters"] == 10
    assert p["train.learning_rate"] == 1.0e-3


def test_release_profile_overrides_only_what_it_lists():
    p = StageParams({**PARAMS, "profile": "release"}, ["train.iters", "train.learning_rate"])
    assert p["train.iters"] == 50
    assert p["train.learning_rate"] == 1.0e-3


def test_undeclared_key_is_refused():
    p = StageParams(PARAMS, ["train.iters"])
    with pytest.raises(KeyError, match="not among this stage's declared params"):
        p["train.learning_rate"]


def test_declared_but_unread_key_fails():
    p = StageParams(PARAMS, ["train.iters", "train.learning_rate"])
    p["train.iters"]
    with pytest.raises(AssertionError, match="train.learning_rate"):
        p.assert_all_used()


def test_unknown_profile_and_missing_key_are_clear_errors():
    with pytest.raises(AskBuddyXError, match="Unknown profile 'nope'"):
        StageParams({**PARAMS, "profile": "nope"}, ["train.iters"])
    with pytest.raises(AskBuddyXError, match="no value for 'train.rank'"):
        StageParams(PARAMS, ["train.rank"])


def test_stage_param_keys_lists_profile_overrides():
    assert stage_param_keys(PARAMS, ["train.iters", "train.learning_rate"]) == [
        "profile", "train.iters", "train.learning_rate", "profiles.release.train.iters"]


def test_params_yaml_floats_are_floats(root):
    """PyYAML reads `1e-5` as a string: every learning rate must parse as a number."""
    params = yaml.safe_load((root / "params.yaml").read_text())
    rates = [params["train"]["learning_rate"]] + [
        p["train"]["learning_rate"] for p in params["profiles"].values() if "train" in p]
    assert all(isinstance(r, float) for r in rates), rates
