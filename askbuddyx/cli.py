"""`askbuddyx <command>`: what users run by hand, outside DVC.

    askbuddyx params [--profile P] [-S key=val]   compose params.yaml from conf/ (profiles)
    askbuddyx build-base-model [--output DIR]     rebuild the embedded tiny Qwen2 (about 30 min)
    askbuddyx runnable-first --input F --output G plain code answers -> proven runnable-first
    askbuddyx eval run --model M [--adapter A]    sanity/format/HumanEval suites, JSON on stdout
    askbuddyx eval score --responses F --suite S  score answers made elsewhere
    askbuddyx serve [--model M] [--adapter A]     OpenAI-compatible server + chat page
    askbuddyx export-chats                        captured chats -> ChatML training source
    askbuddyx index PATH [--name N]               index a folder's code for grounded answers
    askbuddyx search-index N "question"           the chunks a grounded request would get
    askbuddyx doc2data DOC.md [--name N]          Markdown -> Q/A pairs + held-out questions

The pipeline itself runs through DVC (`dvc repro`, `make run`); its stages call the same
library functions. Errors print as "error: ... / how to fix: ..." and exit with status 2.
Default paths are the project's (askbuddyx.paths), so every command works from any directory.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path

from askbuddyx.errors import AskBuddyXError
from askbuddyx.paths import BUNDLED_SOURCES, TINY_MODEL, project_path

# Each concern that has commands owns `askbuddyx/<concern>/cli.py` with a
# `register(subparsers)` function; importing it must stay cheap (no mlx at import time).
CONCERNS = ("data", "train", "eval", "serve", "publish", "retrieval")


def run_main(main, argv=None) -> int:
    """Run `main(argv)`, turning AskBuddyXError into a clean message and exit code 2."""
    try:
        return main(argv) or 0
    except AskBuddyXError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def cmd_build_base_model(args) -> int:
    from askbuddyx.accel import maybe_reexec_with_openblas

    missing = [s for s in args.sources if not Path(s).is_file()]
    if missing:
        raise AskBuddyXError(f"Source dataset not found: {', '.join(missing)}",
                             hint="Pass --sources FILE ... (the bundled ones live in the "
                             "project's assets/datasets/).")
    maybe_reexec_with_openblas()
    from askbuddyx.base.tiny import build_tiny_model

    info = build_tiny_model(args.output, args.sources)
    print(f"Built {info['name']} in {args.output}: {', '.join(info['files'])}")
    return 0


def cmd_runnable_first(args) -> int:
    from askbuddyx.data.io import read_jsonl, write_jsonl
    from askbuddyx.data.runnable_first import convert_records
    from askbuddyx.sandbox.runner import run_programs

    records = read_jsonl(args.input)
    converted, skipped = convert_records(
        records, lambda programs: run_programs(programs, progress="run answers"))
    write_jsonl(args.output, converted)
    print(f"{args.output}: {len(converted)} of {len(records)} answers, each Sanity test "
          "measured by running the answer")
    for reason, count in skipped.most_common():
        print(f"  skipped {count}: {reason}")
    return 0


def cmd_doc2data(args) -> int:
    from askbuddyx.data.doc2data import write_doc2data

    report = write_doc2data(args.doc, args.out_dir, args.name)
    rules = ", ".join(f"{rule} {n}" for rule, n in report["pairs_by_rule"].items())
    skipped = ", ".join(f"{k} {v}" for k, v in report["skipped"].items()) or "nothing"
    print(f"{report['files']['train']}: {report['train_pairs']} pairs from {report['facts']} "
          f"facts ({rules}); held out: {report['heldout_questions']} rephrased questions in "
          f"{report['files']['heldout']}; skipped: {skipped}; report: "
          f"{report['files']['report']}")
    return 0


def cmd_params(args) -> int:
    from askbuddyx.config import PARAMS_FILE, compose_params, find_project_root

    root = find_project_root(args.root)
    params = compose_params(root / PARAMS_FILE, args.profile, args.set_param, root / "conf")
    print(f"{root / PARAMS_FILE}: profile {params['profile']}"
          + (f", overrides {' '.join(args.set_param)}" if args.set_param else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="askbuddyx", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("params", help="compose params.yaml from conf/ (profile + overrides)",
                       description="Write params.yaml as `dvc exp run -S ...` would: "
                       "conf/config.yaml, then the profile, then each -S override.")
    p.add_argument("--profile", help="conf/profile/<name>.yaml (default: conf/config.yaml's)")
    p.add_argument("-S", "--set-param", action="append", default=[], metavar="KEY=VALUE",
                   help="override, applied last (Hydra syntax, e.g. train.iters=200)")
    p.add_argument("--root", default=".", help="the project (or a folder inside it)")
    p.set_defaults(func=cmd_params)

    p = sub.add_parser("runnable-first", help="plain code answers -> runnable-first answers "
                       "whose Sanity test is measured in the sandbox (a dataset build tool)")
    p.add_argument("--input", default=str(project_path("assets/datasets/code_tasks.jsonl")))
    p.add_argument("--output",
                   default=str(project_path("assets/datasets/code_tasks_runnable_first.jsonl")))
    p.set_defaults(func=cmd_runnable_first)

    p = sub.add_parser("doc2data", help="a Markdown document -> question/answer training "
                       "pairs (no LLM), held-out rephrasings apart, a data report",
                       description=importlib.import_module("askbuddyx.data.doc2data").__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("doc", help="the Markdown file")
    p.add_argument("--name", help="names the output files (default: the file's stem)")
    p.add_argument("--out-dir", default="data/sources",
                   help="where NAME.jsonl, NAME.heldout.jsonl, NAME.report.json go")
    p.set_defaults(func=cmd_doc2data)

    p = sub.add_parser("build-base-model", help="rebuild the embedded tiny Qwen2 base model")
    p.add_argument("--output", default=str(project_path(TINY_MODEL)))
    p.add_argument("--sources", nargs="+", default=[str(project_path(s)) for s in BUNDLED_SOURCES])
    p.set_defaults(func=cmd_build_base_model)

    for concern in CONCERNS:
        module = f"askbuddyx.{concern}.cli"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module).register(sub)
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # a command may rerun itself, e.g. on every rank of an mlx.launch run
    return args.func(args)


def entry_point() -> None:
    sys.exit(run_main(main))


if __name__ == "__main__":
    entry_point()
