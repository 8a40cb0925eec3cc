"""`askbuddyx publish` and `askbuddyx export`: the release commands (outside DVC).

    askbuddyx publish --dry-run                   gate check + the files that would be uploaded
    askbuddyx publish [--repo-id ORG/NAME]        gated upload of outputs/hf_bundle (make publish)
    askbuddyx publish --force "reason"            upload despite a failed gate or a regression
    askbuddyx export --format fused|peft|gguf     the adapter in another format (outputs/export/)

Default paths are the project's (askbuddyx.paths: bundle, metrics, adapter, params.yaml, .env),
whatever the current directory; paths given on the command line are taken as typed.
"""

from __future__ import annotations

from askbuddyx.paths import PARAMS_FILE, TINY_MODEL, project_path

DEFAULT_ADAPTER = "outputs/adapters/dev"


def _param(key: str, default=None):
    """A value from the project's params.yaml (active profile), or `default` when the file
    or the key is missing."""
    from askbuddyx.config import get_path, load_stage_params, load_yaml

    params_file = project_path(PARAMS_FILE)
    if not params_file.is_file() or get_path(load_yaml(params_file), key, None) is None:
        return default
    return load_stage_params([key], params_file)[key]


def cmd_publish(args) -> int:
    from askbuddyx.publish.publish import publish_bundle

    repo_id = args.repo_id or _param("bundle.repo_id", "salakash/AskBuddyX")
    result = publish_bundle(args.bundle, repo_id, args.eval, args.published,
                            dry_run=args.dry_run, force=args.force, retries=args.retries,
                            env_file=project_path(".env"))
    print(f"Repo: {repo_id}")
    print(f"Files ({len(result['files'])}):")
    for name in result["files"]:
        print(f"  {name}")
    for row in result["diff"]:
        flag = "  REGRESSED" if row["regressed"] else ""
        print(f"  {row['metric']}: {row['old']} -> {row['new']} ({row['change']:+}){flag}")
    if result["blocked_by"]:
        print("Gate: blocked: " + "; ".join(result["blocked_by"]))
        if result["forced"]:
            print(f"Forced: {result['forced']}")
    elif result["compared_with"] is None:
        print(f"Gate: passed; no earlier publication ({args.published} is absent), so "
              "nothing to compare against")
    else:
        print("Gate: passed, no regression against the last publication")
    if args.dry_run:
        print("Dry run: nothing uploaded.")
    else:
        print(f"Upload complete. View at: {result['url']}")
        print(f"Recorded in {args.published}: commit it, so the next release is compared "
              "against this one.")
    return 0


def cmd_export(args) -> int:
    from askbuddyx.publish.export import export_adapter

    model = args.model or _param("model.path", str(project_path(TINY_MODEL)))
    out = export_adapter(args.format, model, args.adapter,
                         args.out or project_path(f"outputs/export/{args.format}"),
                         dequantize=args.dequantize, hf_base=args.hf_base)
    print(f"Exported ({args.format}) to {out}")
    return 0


def register(sub) -> None:
    """Add the `publish` and `export` subcommands to the `askbuddyx` parser."""
    p = sub.add_parser("publish", help="gated upload of the bundle to the Hugging Face hub")
    p.add_argument("--bundle", default=str(project_path("outputs/hf_bundle")))
    p.add_argument("--repo-id", default=None, help="default: bundle.repo_id in params.yaml")
    p.add_argument("--eval", default=str(project_path("metrics/eval.json")))
    p.add_argument("--published", default=str(project_path("metrics/published.json")),
                   help="metrics of the last publication (compared, then rewritten)")
    p.add_argument("--dry-run", action="store_true", help="check and list files, upload nothing")
    p.add_argument("--force", default=None, metavar="REASON",
                   help="publish despite a failed gate or a regression; the reason is recorded")
    p.add_argument("--retries", type=int, default=5)
    p.set_defaults(func=cmd_publish)

    e = sub.add_parser("export", help="export the adapter: fused MLX model, PEFT, or GGUF")
    e.add_argument("--format", required=True, choices=["fused", "peft", "gguf"])
    e.add_argument("--model", default=None, help="base model (default: model.path in params)")
    e.add_argument("--adapter", default=str(project_path(DEFAULT_ADAPTER)))
    e.add_argument("--out", default=None, help="default: outputs/export/<format>")
    e.add_argument("--dequantize", action="store_true",
                   help="fused: write full-precision weights (what transformers and GGUF need)")
    e.add_argument("--hf-base", default=None,
                   help="peft: the base model id recorded in adapter_config.json")
    e.set_defaults(func=cmd_export)
