"""Params: profiles composed from conf/, plain keys, and a command line that always wins."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from askbuddyx.config import (
    StageParams,
    compose_params,
    get_path,
    leaf_keys,
    load_yaml,
    parse_yaml,
    profile_names,
)
from askbuddyx.errors import AskBuddyXError

PARAMS = {"train": {"iters": 10, "learning_rate": 1.0e-3}}


def stage_modules(root):
    for path in sorted((root / "stages").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"stage_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield path.stem, module


def readers(root) -> dict:
    """Who reads which key: every stage's PARAMS and `askbuddyx serve`."""
    from askbuddyx.serve.cli import SERVE_PARAMS

    found = {name: set(module.PARAMS) for name, module in stage_modules(root)}
    found["askbuddyx serve"] = set(SERVE_PARAMS)
    return found


def read_key(key: str, read: set) -> bool:
    """`read` names `key` itself or a section above it (e.g. data.sources)."""
    return any(key == r or key.startswith(r + ".") for r in read)


@pytest.fixture(scope="module")
def profiles(root, tmp_path_factory):
    out = tmp_path_factory.mktemp("profiles")
    return {name: compose_params(out / f"{name}.yaml", name, conf_dir=root / "conf")
            for name in profile_names(root / "conf")}


def test_yaml_floats_without_a_dot_are_floats():
    assert parse_yaml("lr: 1e-5\nb: 2E+3\nc: -3.5e-2\nd: 1.0e-3\ne: 10\nf: '1e-5'") == {
        "lr": 1e-5, "b": 2000.0, "c": -0.035, "d": 1e-3, "e": 10, "f": "1e-5"}
    assert yaml.safe_load("lr: 1e-5") == {"lr": "1e-5"}  # PyYAML's own loader is untouched


def test_the_profiles_are_the_documented_three(root):
    assert profile_names(root / "conf") == ["release", "smol", "tiny"]
    config = load_yaml(root / "conf/config.yaml")
    assert config["defaults"][-1] == {"profile": "smol"}  # the default profile


def test_every_profile_is_complete_and_inherits_nothing(root):
    """Each key lives in conf/config.yaml (shared) or in every profile file, never both."""
    config = load_yaml(root / "conf/config.yaml")
    # `???` (Hydra's "must be set") and `{}` only fix the order of params.yaml's sections
    shared = {k for k in leaf_keys(config) if k != "defaults"
              and get_path(config, k) not in ("???", {})}
    files = {name: set(leaf_keys(load_yaml(root / f"conf/profile/{name}.yaml")))
             for name in profile_names(root / "conf")}
    first = next(iter(files.values()))
    for name, keys in files.items():
        assert keys == first, f"{name} differs: {sorted(keys ^ first)}"
        assert not keys & shared, f"{name} repeats shared keys {sorted(keys & shared)}"


def test_every_profile_names_only_keys_some_stage_reads(root, profiles):
    found = readers(root)
    read = set().union(*found.values())
    for name, params in profiles.items():
        assert params["profile"] == name
        # `profile` itself names the composition: dvc exp show lists it, no stage needs it.
        unread = [k for k in leaf_keys(params) if k != "profile" and not read_key(k, read)]
        assert not unread, f"profile {name}: keys no stage reads: {unread}"
        for keys in found.values():  # ... and gives every reader all it reads
            StageParams(params, keys)


def test_every_profile_validates(root, profiles):
    from askbuddyx.data.fetch import validate_source
    from askbuddyx.train.job import Hyperparameters

    for params in profiles.values():
        for source in params["data"]["sources"]:
            validate_source(source)
        Hyperparameters(**params["train"])  # every key a field, every value valid
        assert params["eval"]["gate"]["format_metric"]


def test_committed_params_yaml_is_the_default_composition(root, tmp_path):
    assert load_yaml(root / "params.yaml") == compose_params(tmp_path / "p.yaml",
                                                             conf_dir=root / "conf")


def test_override_wins_and_typos_are_refused(root, tmp_path):
    params = compose_params(tmp_path / "p.yaml", "release", ["train.iters=200"], root / "conf")
    assert params["train"]["iters"] == 200 and params["profile"] == "release"
    with pytest.raises(AskBuddyXError, match="train.iterz"):
        compose_params(tmp_path / "p.yaml", "release", ["train.iterz=200"], root / "conf")
    with pytest.raises(AskBuddyXError, match="Unknown profile 'nope'"):
        compose_params(tmp_path / "p.yaml", "nope", [], root / "conf")


def test_askbuddyx_params_works_from_a_subfolder(root, tmp_path):
    shutil.copytree(root / "conf", tmp_path / "conf")
    shutil.copy(root / "dvc.yaml", tmp_path / "dvc.yaml")
    (tmp_path / "sub").mkdir()
    out = subprocess.run([sys.executable, "-m", "askbuddyx.cli", "params", "--profile", "tiny",
                          "-S", "train.iters=7"], cwd=tmp_path / "sub", capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    params = load_yaml(tmp_path / "params.yaml")
    assert (params["profile"], params["train"]["iters"]) == ("tiny", 7)


def test_undeclared_key_is_refused():
    p = StageParams(PARAMS, ["train.iters"])
    with pytest.raises(KeyError, match="not among this stage's declared params"):
        p["train.learning_rate"]


def test_declared_but_unread_key_fails():
    p = StageParams(PARAMS, ["train.iters", "train.learning_rate"])
    p["train.iters"]
    with pytest.raises(AssertionError, match="train.learning_rate"):
        p.assert_all_used()


def test_missing_key_is_a_clear_error():
    with pytest.raises(AskBuddyXError, match="no value for 'train.rank'"):
        StageParams(PARAMS, ["train.rank"])


SHOW = """\
import json
from askbuddyx.config import load_stage_params
p = load_stage_params(["profile", "train.iters", "train.learning_rate", "eval.max_tokens"])
json.dump(p.as_dict(), open("ran.json", "w"))
"""


@pytest.mark.slow
def test_profile_and_override_precedence_through_dvc(root, tmp_path):
    """`dvc exp run -S profile=release -S train.iters=200` runs release with 200 iterations,
    and `dvc exp show` lists what ran."""
    work = tmp_path / "proj"
    shutil.copytree(root / "conf", work / "conf")
    (work / "show.py").write_text(SHOW)
    (work / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"show": {
        "cmd": "python show.py", "deps": ["show.py"],
        "params": ["profile", "train.iters", "train.learning_rate", "eval.max_tokens"],
        "outs": [{"ran.json": {"cache": False}}]}}}))
    compose_params(work / "params.yaml", conf_dir=work / "conf")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=path, PYTHONPATH=str(root),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")

    def run(*cmd):
        out = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, f"{cmd}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
        return out.stdout

    run("git", "init", "-q")
    run("dvc", "init", "-q")
    run("dvc", "config", "hydra.enabled", "True")
    run("git", "add", "-A")
    run("git", "commit", "-qm", "init")
    release = load_yaml(work / "conf/profile/release.yaml")
    run("dvc", "exp", "run", "-S", "profile=release", "-S", "train.iters=200")
    ran = json.loads((work / "ran.json").read_text())
    assert ran == {"profile": "release", "train.iters": 200,
                   "train.learning_rate": release["train"]["learning_rate"],
                   "eval.max_tokens": release["eval"]["max_tokens"]}
    shown = json.loads(run("dvc", "exp", "show", "--json"))
    exp_params = [exp["data"]["params"]["params.yaml"]["data"]
                  for rev in shown for exp in (rev.get("experiments") or [])
                  for exp in exp.get("revs", [])]
    assert any(p["profile"] == "release" and p["train"]["iters"] == 200 for p in exp_params)
    assert "200" in run("dvc", "params", "diff")  # workspace vs HEAD (smol, default iters)
