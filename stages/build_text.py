"""DVC stage build_text: processed records -> mlx-lm's chat JSONL (train.jsonl, valid.jsonl).

    python stages/build_text.py --processed data/processed --out data/training_ready \
        --metrics metrics/build_text.json

Token lengths were measured (and overlong chats cut) by prepare_data with the base tokenizer;
this stage renders the chats and checks that none exceeds train.max_seq_length.
"""

import argparse

from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.data.build_text import build_training_text
from askbuddyx.data.io import write_json

PARAMS = ("train.max_seq_length",)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processed", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--metrics", required=True)
    args = parser.parse_args(argv)
    p = load_stage_params(PARAMS)
    stats = build_training_text(args.processed, args.out,
                                max_seq_length=p["train.max_seq_length"])
    write_json(args.metrics, stats)
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
