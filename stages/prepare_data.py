"""DVC stage prepare_data: normalize, redact, dedupe, measure tokens, split, mix; report.

    python stages/prepare_data.py --raw data/raw --base models/base --out data/processed \
        --metrics metrics/data.json --report outputs/reports/data_report.md
"""

import argparse

from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.data.io import write_json
from askbuddyx.data.prepare import PrepareConfig, prepare_dataset, source_paths
from askbuddyx.models import load_tokenizer

PARAMS = (
    "data.sources",
    "data.seed",
    "data.val_fraction",
    "data.min_val",
    "data.curated_ratio",
    "data.curated_holdout",
    "data.max_bad_fraction",
    "data.near_dup_threshold",
    "data.overlong",
    "data.min_answer_chars",
    "train.max_seq_length",
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", required=True)
    parser.add_argument("--base", required=True, help="the fetched base model (its tokenizer)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--report", default=None, help="readable markdown report to write")
    args = parser.parse_args(argv)
    p = load_stage_params(PARAMS)
    # every key but data.sources names a PrepareConfig field (data.seed -> seed, ...)
    config = PrepareConfig(**{key.split(".", 1)[1]: p[key] for key in PARAMS[1:]})
    source_paths(p["data.sources"], args.raw)  # missing raw data: say so before loading a model
    tokenizer = load_tokenizer(args.base)
    metrics = prepare_dataset(args.raw, args.out, p["data.sources"], tokenizer, config,
                              report_path=args.report)
    write_json(args.metrics, metrics)
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
