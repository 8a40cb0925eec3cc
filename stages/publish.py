"""DVC stage publish: the release check, without uploading (the upload is `make publish`).

    python stages/publish.py --bundle outputs/hf_bundle --eval metrics/eval.json \
        --published metrics/published.json --out outputs/publish/plan.json

Writes what `askbuddyx publish` would upload and whether it may: the evaluation gate, the
comparison with the last publication (metrics/published.json, if any), the file list. A blocked
release does not fail the pipeline; `askbuddyx publish` refuses it.
"""

import argparse
import json
from pathlib import Path

from askbuddyx.cli import run_main
from askbuddyx.config import load_stage_params
from askbuddyx.publish.publish import publish_bundle

PARAMS = ("bundle.repo_id",)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--eval", required=True)
    parser.add_argument("--published", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    p = load_stage_params(PARAMS)
    plan = publish_bundle(args.bundle, p["bundle.repo_id"], args.eval, args.published,
                          dry_run=True)
    plan["publishable"] = not plan["blocked_by"]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(plan, indent=2, sort_keys=True) + "\n")
    verdict = "publishable" if plan["publishable"] else "blocked: " + "; ".join(plan["blocked_by"])
    print(f"Release check for {plan['repo_id']}: {verdict} ({len(plan['files'])} files)")
    p.assert_all_used()


if __name__ == "__main__":
    raise SystemExit(run_main(main))
