"""DVC stage build_text: chat-template the processed records into mlx-lm's train/valid JSONL.

    python stages/build_text.py --processed data/processed --out data/training_ready \
        --metrics metrics/build_text.json
"""

import argparse

from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.data.build_text import build_training_text
from askbuddyx.data.io import write_json
from askbuddyx.models import load_tokenizer

PARAMS = ("model.path", "train.max_seq_length")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processed", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--metrics", required=True)
    args = parser.parse_args(argv)
    p = load_stage_params(PARAMS)
    tokenizer = load_tokenizer(p["model.path"])
    stats = build_training_text(args.processed, args.out, tokenizer, p["train.max_seq_length"])
    write_json(args.metrics, stats)
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
