"""DVC stage fetch_data: copy or download every `data.sources` entry into data/raw/.

    python stages/fetch_data.py --out data/raw --sources-dir assets/datasets \
        --sources-dir data/sources

Every `--sources-dir` is a dep of the stage in dvc.yaml; a local source elsewhere is refused.
"""

import argparse

from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.data.fetch import fetch_sources

PARAMS = ("data.sources",)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--sources-dir", action="append", default=[], required=True,
                        help="a folder local sources may live in (a dep of this stage)")
    args = parser.parse_args(argv)
    params = load_stage_params(PARAMS)
    fetch_sources(params["data.sources"], args.out, tracked_dirs=args.sources_dir)
    params.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
