"""`dvc plots show` writes a page that renders offline: Vega is inlined, no script from a CDN."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_plots_page_has_no_external_script(root, tmp_path):
    work = tmp_path / "proj"
    (work / ".dvc").mkdir(parents=True)
    shutil.copy(root / ".dvc/config", work / ".dvc/config")
    shutil.copytree(root / "assets/plots", work / "assets/plots")
    (work / "loss.csv").write_text("step,loss\n1,2.0\n2,1.5\n3,1.2\n")
    (work / "dvc.yaml").write_text("plots:\n  - loss.csv:\n      x: step\n      y: loss\n")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=path)
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    out = subprocess.run(["dvc", "plots", "show", "-o", "plots"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    page = (work / "plots/index.html").read_text()
    assert "vegaEmbed(" in page and "loss.csv" in page
    assert not re.findall(r"<script[^>]+src=", page), "a script loads from elsewhere"
    assert "cdn.jsdelivr" not in page
