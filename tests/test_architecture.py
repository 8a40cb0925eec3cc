"""The house rules that keep the code readable: layered imports, thin stages."""

import shutil
import subprocess
from pathlib import Path


def test_import_layers_hold(root):
    """pyproject's [tool.importlinter] contract: cli -> serve|eval|publish -> train|base ->
    data -> models|config|prompting|paths|accel -> errors|hub, no import upwards."""
    lint = shutil.which("lint-imports") or str(Path(__file__).parents[1] / ".venv/bin/lint-imports")
    out = subprocess.run([lint, "--no-cache"], cwd=root, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "1 kept, 0 broken" in out.stdout


def test_stages_are_thin(root):
    """A stage parses args, reads params, makes one library call and writes its outputs."""
    long = {p.name: n for p in (root / "stages").glob("*.py")
            if (n := len(p.read_text().splitlines())) > 50}
    assert not long, long
