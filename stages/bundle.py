"""DVC stage bundle: outputs/hf_bundle/ with adapter, provenance, docs; checked complete.

    python stages/bundle.py --adapter outputs/adapters/dev --eval metrics/eval.json \
        --docs . --out outputs/hf_bundle
"""

import argparse
import json

from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.publish.bundle import make_bundle

PARAMS = ("model.path", "bundle.repo_id")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--adapter", required=True)
    parser.add_argument("--eval", required=True)
    parser.add_argument("--docs", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    p = load_stage_params(PARAMS)
    with open(args.eval) as f:
        eval_metrics = json.load(f)
    out = make_bundle(args.adapter, args.docs, args.out, p["bundle.repo_id"], p["model.path"],
                      eval_metrics)
    print(f"Bundle created: {out}/")
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
