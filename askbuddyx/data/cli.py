"""`askbuddyx prepare ...` and `askbuddyx build-datasets`: the data library outside DVC.

    askbuddyx prepare --input my_data.jsonl [--input more.jsonl ...] \
        [--curated runnable_first.jsonl ...] --output-dir out/

reads each file (Alpaca, ChatML or ShareGPT, detected per file), cleans it exactly like the
prepare_data + build_text stages (redaction, exact and near dedupe, token lengths with the
base tokenizer after the chat template, stratified split, curated mix) and writes

    out/processed/{train,val,heldout}.jsonl     the cleaned split (with token counts)
    out/training_ready/{train,valid}.jsonl     chats for `mlx_lm lora --data out/training_ready`
    out/data.json, out/data_report.md          the data report (numbers; readable + examples)

then prints the summary. Defaults are the release profile's (curated ratio 0.16); the default
tokenizer model is the project's embedded tiny model, found from any directory. Errors name the
flags (`--val-fraction`), and a refused split still writes the data report.

    askbuddyx build-datasets [--check]

rebuilds the committed assets/datasets/*.jsonl from their sources (askbuddyx.data.bundled);
`--check` changes nothing and exits 1 when a committed file is stale.
"""

from __future__ import annotations

from pathlib import Path

from askbuddyx.paths import TINY_MODEL, project_path


def flag_names(param_keys: dict) -> dict:
    """PrepareConfig field -> the flag that sets it (val_fraction -> --val-fraction), for the
    messages; min_val has no flag (1 here) and keeps its name."""
    return {name: "--" + name.replace("_", "-") if name != "min_val" else key
            for name, key in param_keys.items()}


def input_sources(inputs: list, curated: list) -> list:
    """`data.sources` entries for the given files; names from file stems, made unique."""
    sources, seen = [], set()
    for path, is_curated in [(p, False) for p in inputs] + [(p, True) for p in curated]:
        stem = Path(path).stem or "input"
        name, n = stem, 2
        while name in seen:
            name, n = f"{stem}_{n}", n + 1
        seen.add(name)
        sources.append({"name": name, "kind": "local", "path": str(path), "curated": is_curated})
    return sources


def cmd_prepare(args) -> int:
    from askbuddyx.data.build_text import build_training_text
    from askbuddyx.data.fetch import validate_source
    from askbuddyx.data.io import require_file, write_json
    from askbuddyx.data.prepare import PARAM_KEYS, PrepareConfig, prepare_dataset
    from askbuddyx.errors import AskBuddyXError
    from askbuddyx.models import load_tokenizer

    if not args.input and not args.curated:
        raise AskBuddyXError("No input files.", hint="Pass --input FILE (repeatable).")
    sources = input_sources(args.input, args.curated)
    for source in sources:
        validate_source(source)
        require_file(source["path"], "Input file", "Check the --input / --curated path.")
    holdout = args.curated_holdout if args.curated_holdout is not None else (
        8 if args.curated else 0)
    config = PrepareConfig(
        seed=args.seed, val_fraction=args.val_fraction, min_val=1,
        curated_ratio=args.curated_ratio, curated_holdout=holdout,
        max_bad_fraction=args.max_bad_fraction, near_dup_threshold=args.near_dup_threshold,
        max_seq_length=args.max_seq_length, overlong=args.overlong,
        min_answer_chars=args.min_answer_chars, names=flag_names(PARAM_KEYS),
    )
    config.check()
    out = Path(args.output_dir)
    tokenizer = load_tokenizer(args.model)
    metrics = prepare_dataset(None, out / "processed", sources, tokenizer, config,
                              report_path=out / "data_report.md")
    write_json(out / "data.json", metrics)
    build_training_text(out / "processed", out / "training_ready", args.max_seq_length)
    print(f"Wrote {out}/processed/ (train, val, heldout), {out}/training_ready/ "
          f"(mlx_lm lora --data), {out}/data.json and {out}/data_report.md")
    return 0


def cmd_build_datasets(args) -> int:
    from askbuddyx.data.bundled import CURATED_SOURCE, build_datasets
    from askbuddyx.errors import AskBuddyXError
    from askbuddyx.paths import PROJECT_ROOT

    root = Path(args.root) if args.root else PROJECT_ROOT
    if not (root / CURATED_SOURCE).is_dir():
        raise AskBuddyXError(f"{root} is not an AskBuddyX checkout: it has no {CURATED_SOURCE}/.",
                             hint="Pass --root with the folder of your clone.")
    stale = build_datasets(root, check=args.check)
    for path in stale:
        print(f"{'stale' if args.check else 'rebuilt'}: {path}")
    if args.check and stale:
        print("Rebuild them with `askbuddyx build-datasets` and commit the result.")
        return 1
    if not stale:
        print("Every bundled dataset is up to date.")
    return 0


def register(sub) -> None:
    """Add the `prepare` and `build-datasets` subcommands to the `askbuddyx` parser."""
    b = sub.add_parser("build-datasets", help="rebuild assets/datasets/*.jsonl from their "
                       "sources (assets/curated/*.md, the code-task families)")
    b.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 when a committed file is stale")
    b.add_argument("--root", default=None,
                   help="the checkout to build in (default: the one askbuddyx runs from)")
    b.set_defaults(func=cmd_build_datasets)

    p = sub.add_parser("prepare", help="clean, dedupe, measure and split JSONL files, with a "
                       "data report (same code as the DVC data stages)")
    p.add_argument("--input", action="append", default=[], metavar="FILE",
                   help="JSONL file (Alpaca, ChatML or ShareGPT); repeatable")
    p.add_argument("--curated", action="append", default=[], metavar="FILE",
                   help="JSONL of curated runnable-first examples (mixed in, part held out)")
    p.add_argument("--output-dir", required=True, metavar="DIR")
    p.add_argument("--model", default=str(project_path(TINY_MODEL)),
                   help="base model whose tokenizer and chat template measure lengths "
                   "(default: the project's embedded tiny model)")
    p.add_argument("--max-seq-length", type=int, default=2048)
    p.add_argument("--overlong", choices=("truncate", "drop"), default="truncate")
    p.add_argument("--near-dup-threshold", type=float, default=0.9)
    p.add_argument("--val-fraction", type=float, default=0.02)
    p.add_argument("--curated-ratio", type=float, default=0.16)
    p.add_argument("--curated-holdout", type=int, default=None,
                   help="curated prompts held out (default: 8 with --curated, else 0)")
    p.add_argument("--max-bad-fraction", type=float, default=0.05)
    p.add_argument("--min-answer-chars", type=int, default=20)
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(func=cmd_prepare)
