import subprocess
import sys
from pathlib import Path

import pytest

from askbuddyx.errors import AskBuddyXError
from askbuddyx.models import is_hub_id, load_model, resolve_model
from tests.conftest import compose_tiny_params


def test_local_and_hub_ids_are_told_apart(tmp_path):
    assert is_hub_id("mlx-community/Qwen2.5-Coder-0.5B-Instruct-4bit")
    assert not is_hub_id("assets/models/missing-model")
    with pytest.raises(AskBuddyXError, match="Model path not found"):
        resolve_model("assets/models/missing-model")
    (tmp_path / "m").mkdir()
    with pytest.raises(AskBuddyXError, match="no config.json"):
        resolve_model(str(tmp_path / "m"))


def test_unreachable_hub_model_fails_fast_with_hint():
    with pytest.raises(AskBuddyXError, match="Use an offline profile"):
        load_model("mlx-community/Qwen2.5-Coder-0.5B-Instruct-4bit")


def test_missing_adapter_is_a_clear_error(tmp_path, root):
    with pytest.raises(AskBuddyXError, match="Adapter not found"):
        load_model(str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"), str(tmp_path))


def test_cli_prints_error_without_traceback(root):
    out = subprocess.run([sys.executable, "-m", "askbuddyx.cli", "serve", "--model", "nope/x/y"],
                         capture_output=True, text=True, cwd=root)
    assert out.returncode == 2
    assert "error: Model path not found" in out.stderr and "Traceback" not in out.stderr


def test_stage_reports_missing_raw_data_clearly(tmp_path, root):
    compose_tiny_params(tmp_path / "params.yaml")
    out = subprocess.run([sys.executable, str(root / "stages/prepare_data.py"), "--raw",
                          "nowhere", "--base", "b", "--out", "p", "--metrics", "m.json"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "Run the fetch_data stage first" in out.stderr


def test_build_base_model_names_the_missing_sources(tmp_path):
    out = subprocess.run([sys.executable, "-m", "askbuddyx.cli", "build-base-model",
                          "--output", str(tmp_path / "m"), "--sources", "missing.jsonl"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "Source dataset not found: missing.jsonl" in out.stderr
    assert not (tmp_path / "m").exists()


def test_cli_defaults_are_the_projects_from_any_directory(tmp_path, monkeypatch, root):
    """Default paths resolve against the project, not the current directory."""
    from askbuddyx.cli import build_parser

    monkeypatch.chdir(tmp_path)
    parse = build_parser().parse_args
    build = parse(["build-base-model"])
    assert build.sources and all(Path(s).is_file() and Path(s).is_relative_to(root)
                                 for s in build.sources)
    assert Path(build.output) == root / "assets/models/askbuddyx-tiny-qwen2-4bit"
    assert Path(parse(["prepare", "--output-dir", "o"]).model).is_dir()
    publish = parse(["publish"])
    assert Path(publish.eval) == root / "metrics/eval.json"
    assert Path(publish.bundle) == root / "outputs/hf_bundle"
