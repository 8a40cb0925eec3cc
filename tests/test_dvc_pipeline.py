"""dvc.yaml declares exactly the params each stage script reads, and its code deps exist."""

import importlib.util
import re

import pytest
import yaml


def load_stage_module(root, name):
    spec = importlib.util.spec_from_file_location(f"stage_{name}", root / "stages" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dvc(root):
    return yaml.safe_load((root / "dvc.yaml").read_text())


def test_every_stage_has_a_script(root, dvc):
    scripts = {p.stem for p in (root / "stages").glob("*.py")}
    assert set(dvc["stages"]) == scripts


def test_declared_params_equal_what_the_script_reads(root, dvc):
    """Plain keys, each once: what the script names is what DVC tracks."""
    for name, stage in dvc["stages"].items():
        module = load_stage_module(root, name)
        assert stage.get("params", []) == list(module.PARAMS), name


def test_stage_depends_on_its_own_script_and_deps_exist(root, dvc):
    for name, stage in dvc["stages"].items():
        assert f"stages/{name}.py" in stage["deps"], name
        for dep in stage["deps"]:
            if not dep.startswith(("data/", "outputs/", "metrics/", "models/")):
                assert (root / dep).exists(), f"{name}: missing dep {dep}"


def test_metrics_are_small_uncached_files(dvc):
    for stage in dvc["stages"].values():
        for entry in stage.get("metrics", []):
            (path, opts), = entry.items()
            assert path.startswith("metrics/") and opts == {"cache": False}


def test_pipeline_order(dvc):
    assert list(dvc["stages"]) == ["fetch_model", "fetch_data", "prepare_data", "build_text",
                                   "train", "evaluate_base", "evaluate", "bundle", "publish"]


def test_every_folder_local_sources_may_live_in_is_a_dep_of_fetch_data(dvc):
    stage = dvc["stages"]["fetch_data"]
    folders = re.findall(r"--sources-dir (\S+)", stage["cmd"])
    assert "data/sources" in folders and "assets/datasets" in folders
    assert set(folders) <= set(stage["deps"])


def test_base_evaluation_depends_on_nothing_of_training(dvc):
    """evaluate_base reads the base model, the prompts and eval params only: no train param,
    no adapter, no training data, so a train change never regenerates the base's answers."""
    stage = dvc["stages"]["evaluate_base"]
    assert not [p for p in stage["params"] if ".train." in f".{p}"]
    assert not [d for d in stage["deps"] if d.startswith(("outputs/", "data/training_ready"))
                or "train/lora" in d]
    assert "metrics/eval_base.json" in dvc["stages"]["evaluate"]["deps"]


def test_constraints_pin_versions_the_project_accepts(root):
    """constraints.txt pins exact versions (reproducible bytes) that pyproject's ranges allow,
    and the Makefile installs with it: a pin outside a range would make `make` fail to resolve."""
    from packaging.requirements import Requirement

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    ranges = {}
    for dep in deps:
        req = Requirement(dep)
        ranges.setdefault(req.name.lower(), []).append(req.specifier)
    pins = [Requirement(line.split("#")[0]) for line in
            (root / "constraints.txt").read_text().splitlines()
            if line.split("#")[0].strip()]
    assert {p.name.lower() for p in pins} >= {"mlx", "mlx-lm"}
    for pin in pins:
        (version,) = [s.version for s in pin.specifier]
        assert str(pin.specifier) == f"=={version}", f"{pin} is not an exact pin"
        for spec in ranges.get(pin.name.lower(), []):
            assert spec.contains(version), f"{pin} is outside pyproject's {spec}"
    assert "-c constraints.txt" in (root / "Makefile").read_text()
