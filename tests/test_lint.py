"""The one lint test: `ruff check` over the whole project, with pyproject.toml's settings.

`make test` runs ruff first too; this keeps a bare `pytest` honest as well.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def test_ruff_is_clean(root):
    local = Path(sys.executable).with_name("ruff")
    ruff = str(local) if local.exists() else shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (make deps installs it)")
    result = subprocess.run([ruff, "check", "--no-cache", str(root)], cwd=root,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
