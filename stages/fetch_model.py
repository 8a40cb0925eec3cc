"""DVC stage fetch_model: the base model as a tracked, pushable artifact in models/base/.

    python stages/fetch_model.py --out models/base

Release profile: downloads `model.path` from the hub once; DVC caches it and `dvc push` stores
it in the remote, so `dvc pull` restores it on a machine without hub access. Embedded profile:
copies the model shipped in assets/.
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
