"""DVC stage prepare_data: redact, dedupe, split, mix curated examples; report to metrics.

    python stages/prepare_data.py --raw data/raw --out data/processed --metrics metrics/data.json
"""

import argparse

from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.data.io import write_json
from askbuddyx.data.prepare import prepare_dataset

PARAMS = (
    "data.sources",
    "data.seed",
    "data.val_fraction",
    "data.min_val",
    "data.curated_ratio",
    "data.curated_holdout",
    "data.max_bad_fraction",
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--metrics", required=True)
    args = parser.parse_args(argv)
    p = load_stage_params(PARAMS)
    report = prepare_dataset(
        args.raw,
        args.out,
        p["data.sources"],
        seed=p["data.seed"],
        val_fraction=p["data.val_fraction"],
        min_val=p["data.min_val"],
        curated_ratio=p["data.curated_ratio"],
        curated_holdout=p["data.curated_holdout"],
        max_bad_fraction=p["data.max_bad_fraction"],
    )
    write_json(args.metrics, report)
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
