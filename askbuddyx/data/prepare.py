"""Clean, measure and split the raw sources (seed 000, section 7.2; seed 001 for the curated mix).

    raw/<source>.jsonl
      -> detect the format per file, normalize, skip malformed lines (listed by file:line)
      -> redact secrets: our rules, then detect-secrets' plugins (counted per detector)
      -> drop exact duplicates (sha256) and near-duplicate prompts (MinHash LSH + exact check)
      -> measure token lengths with the base tokenizer after the chat template;
         truncate (or drop) chats over train.max_seq_length; flag very short answers
      -> hold out part of the curated prompts, per kind (code / explain); split the rest by
         source (stratified, seeded)
      -> apply source weights to train; mix curated examples in at `curated_ratio`
      -> data/processed/{train,val,heldout}.jsonl + the report (metrics/data.json, markdown)

Everything is a pure function of the inputs, the parameters and the seed: the same raw files
give the same bytes in `data/processed/` and in the report, which `dvc.lock` records.
Use it from Python (`prepare_dataset`), from DVC (`stages/prepare_data.py`) or on any files
(`askbuddyx prepare --input FILE ... --output-dir DIR`).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from askbuddyx.data.curated import KINDS
from askbuddyx.data.dedupe import drop_exact, drop_near
from askbuddyx.data.formats import read_records
from askbuddyx.data.io import require_file, write_jsonl
from askbuddyx.data.kept_detector import detector_session
from askbuddyx.data.lengths import OVERLONG_ACTIONS, fit_records
from askbuddyx.data.redact import redact_record
from askbuddyx.data.report import Findings, build_metrics, has_code, redaction_snippet
from askbuddyx.errors import AskBuddyXError
from askbuddyx.prompting import has_runnable_first_format

# `kind` ("code" or "explain") is set on curated records only: evaluation reads it from
# heldout.jsonl to tell the prompts that want the format from those that want prose.
# `history`: the earlier exchanges of a chat's later answers (see askbuddyx.data.formats).
RECORD_KEYS = ("instruction", "input", "output", "history", "source", "curated", "kind")
DEFAULT_HOLDOUT = {"code": 16, "explain": 4}
# How messages name each setting: its params.yaml key (the DVC stage). `askbuddyx prepare`
# passes its flags instead (PrepareConfig.names), so a hint names what the user typed.
PARAM_KEYS = {
    "seed": "data.seed", "val_fraction": "data.val_fraction", "min_val": "data.min_val",
    "curated_ratio": "data.curated_ratio", "curated_holdout": "data.curated_holdout",
    "max_bad_fraction": "data.max_bad_fraction", "near_dup_threshold": "data.near_dup_threshold",
    "max_seq_length": "train.max_seq_length", "overlong": "data.overlong",
    "min_answer_chars": "data.min_answer_chars",
}


@dataclass
class PrepareConfig:
    """The prepare parameters (`data.*` and `train.max_seq_length` in params.yaml).

    The defaults are the release profile's: the embedded profile overrides curated_ratio.
    `curated_holdout` is a count per kind ({"code": 16, "explain": 4}), or one count drawn
    over all curated records whatever their kind. `names` maps each setting to how error
    messages name it (default: PARAM_KEYS).
    """

    seed: int = 42
    val_fraction: float = 0.02
    min_val: int = 10
    curated_ratio: float = 0.16
    curated_holdout: int | dict = field(default_factory=lambda: dict(DEFAULT_HOLDOUT))
    max_bad_fraction: float = 0.05
    near_dup_threshold: float = 0.9
    max_seq_length: int = 2048
    overlong: str = "truncate"
    min_answer_chars: int = 20
    names: dict = field(default_factory=lambda: dict(PARAM_KEYS), repr=False, compare=False)

    def check(self) -> None:
        n = self.names
        if not 0 < self.val_fraction < 1:
            raise AskBuddyXError(
                f"{n['val_fraction']} must be between 0 and 1, got {self.val_fraction}.")
        if not 0 <= self.curated_ratio < 1:
            raise AskBuddyXError(
                f"{n['curated_ratio']} must be in [0, 1), got {self.curated_ratio}.")
        if not 0 <= self.max_bad_fraction <= 1:
            raise AskBuddyXError(
                f"{n['max_bad_fraction']} must be in [0, 1], got {self.max_bad_fraction}.")
        if not 0 < self.near_dup_threshold <= 1:
            raise AskBuddyXError(
                f"{n['near_dup_threshold']} must be in (0, 1], got {self.near_dup_threshold}.",
                hint="1.0 drops only prompts with identical 5-grams; 0.9 is the default.")
        if self.overlong not in OVERLONG_ACTIONS:
            raise AskBuddyXError(
                f"{n['overlong']} must be one of {OVERLONG_ACTIONS}, got {self.overlong!r}.")
        if self.max_seq_length < 16:
            raise AskBuddyXError(
                f"{n['max_seq_length']} must be at least 16, got {self.max_seq_length}.")
        holdout_plan(self.curated_holdout, n["curated_holdout"])


def source_paths(sources: list, raw_dir: str | Path | None) -> list:
    """(source, file to read, name to report) for each source.

    With `raw_dir` (the DVC pipeline) the file is the fetched copy `raw_dir/<name>.jsonl`;
    a local source is still reported under its own path (fetch keeps line numbers).
    """
    out = []
    for source in sources:
        if raw_dir is None:
            path = require_file(source["path"], f"Input file of source {source['name']!r}",
                                "Check the path you gave.")
            shown = str(source["path"])
        else:
            path = require_file(Path(raw_dir) / f"{source['name']}.jsonl",
                                f"Raw file of source {source['name']!r}",
                                "Run the fetch_data stage first: `dvc repro fetch_data`.")
            shown = str(source["path"]) if source.get("kind") == "local" else str(path)
        out.append((source, path, shown))
    return out


def load_sources(sources: list, raw_dir: str | Path | None, max_bad_fraction: float,
                 findings: Findings, names: dict = PARAM_KEYS) -> list:
    """Read, detect and normalize every source; curated sources first (they win dedupe)."""
    ordered = sorted(sources, key=lambda s: not s.get("curated", False))
    records = []
    for source, path, shown in source_paths(ordered, raw_dir):
        name = source["name"]
        result = read_records(path, display_path=shown)
        stats = findings.source(name)
        stats.update(format=result.format or "none", lines=result.lines,
                     malformed=len(result.bad_lines), records=len(result.records),
                     chat_unanswered_turns=result.unanswered_turns)
        findings.bad_lines.extend(result.bad_lines)
        if result.lines and len(result.bad_lines) / result.lines > max_bad_fraction:
            first = "; ".join(f"{b.path}:{b.line} {b.reason}" for b in result.bad_lines[:3])
            raise AskBuddyXError(
                f"{len(result.bad_lines)} of {result.lines} lines of {shown} are malformed "
                f"(more than {names['max_bad_fraction']}={max_bad_fraction}). First: {first}",
                hint=f"Fix the file, or raise {names['max_bad_fraction']} to accept the loss.",
            )
        curated = bool(source.get("curated", False))
        per_line = Counter(line for line, _ in result.records)
        for line, r in result.records:
            declared = r.pop("kind", None)
            record = {**r, "source": name, "curated": curated}
            if per_line[line] > 1:
                record["chat"] = line  # one chat's answers stay in one split (no leak)
            if curated:
                record["kind"] = curated_kind(declared, r["output"], f"{shown}:{line}")
            records.append(record)
    return records


def curated_kind(declared, output: str, where: str) -> str:
    """A curated record's kind: as its file says, else "code" when the answer has the format."""
    if declared is None:
        return "code" if has_runnable_first_format(output) else "explain"
    if declared not in KINDS:
        raise AskBuddyXError(f"{where}: kind {declared!r} is not one of {', '.join(KINDS)}.",
                             hint="Mark code requests 'code' and explanations 'explain', or "
                             "leave kind out to infer it from the answer's headings.")
    return declared


def redact_all(records: list, findings: Findings) -> list:
    """Every record redacted (askbuddyx.data.redact), counts and examples into `findings`."""
    with detector_session():  # detect-secrets' settings installed once for the whole pass
        return [_redact_one(record, findings) for record in records]


def _redact_one(record: dict, findings: Findings) -> dict:
    clean, counts = redact_record(record)
    if counts:
        findings.redactions.update(counts)
        findings.source(record["source"])["redactions"] += sum(counts.values())
        if len(findings.redaction_examples) < findings.max_examples:
            findings.redaction_examples.append(
                (record["source"], sorted(counts), redaction_snippet(clean)))
    return clean


def _is_count(n) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and n >= 0


def holdout_plan(curated_holdout, name: str = PARAM_KEYS["curated_holdout"]) -> dict:
    """`curated_holdout` as {kind: count}, kinds in KINDS order; one int N is {None: N}.

    `name` is how messages call the setting (the params key, or the flag).
    """
    if isinstance(curated_holdout, dict):
        plan = {kind: curated_holdout[kind] for kind in KINDS if kind in curated_holdout}
        valid = len(plan) == len(curated_holdout)
    else:
        plan, valid = {None: curated_holdout}, True
    if not valid or not all(_is_count(n) for n in plan.values()):
        raise AskBuddyXError(
            f"{name} must be a count per kind or one count, got {curated_holdout!r}.",
            hint="E.g. {code: 16, explain: 4}, or 8 over all kinds.")
    return plan


def pick_curated_holdout(curated: list, seed: int, curated_holdout) -> list:
    """The curated records held out for evaluation, per kind.

    `curated_holdout` is `data.curated_holdout`: {"code": 16, "explain": 4} shuffles each
    kind's records (in file order) with one Random(seed), code first, and keeps the first ones
    of each; one int N draws N over all curated records. The embedded base model's build calls
    this too, so that it never pretrains on these prompts either.
    """
    return _draw_holdout(curated, random.Random(seed), holdout_plan(curated_holdout))


def _draw_holdout(curated: list, rng: random.Random, plan: dict,
                  name: str = PARAM_KEYS["curated_holdout"]) -> list:
    """Shuffle each kind's records with `rng` and keep the first `plan[kind]` of each."""
    held = []
    for kind, count in plan.items():
        pool = [r for r in curated if kind is None or r.get("kind") == kind]
        if count > len(pool) // 2:
            what = "curated examples" if kind is None else f"curated {kind!r} examples"
            raise AskBuddyXError(
                f"{name} asks for {count} of the {len(pool)} {what}: it may hold out half of "
                "them at most.",
                hint=f"Lower {name} (0 when no source is curated), or add curated examples of "
                "that kind.")
        rng.shuffle(pool)
        held += pool[:count]
    return held


def stratified_split(records: list, val_fraction: float, seed: int, curated_holdout,
                     names: dict = PARAM_KEYS):
    """Seeded split into (train, val, heldout), stratified by source.

    `heldout`: `curated_holdout` curated records (per kind, seeded: see `pick_curated_holdout`);
    never trained on, they measure format compliance, and whether explanations stay prose, on
    prompts the adapter never saw. Every source then gives `round(n * val_fraction)` of its
    records to val, so each source (curated included) is in both splits in proportion. Each
    source is shuffled with its own seed, so adding a source does not reshuffle the others.
    `names`: how messages name the settings.
    """
    if not 0 < val_fraction < 1:
        raise AskBuddyXError(
            f"{names['val_fraction']} must be between 0 and 1, got {val_fraction}.")
    groups: dict = {}
    for record in records:
        groups.setdefault(record["source"], []).append(record)
    curated = [r for r in records if r["curated"]]
    # The draw of pick_curated_holdout (which the base model's build uses); the same
    # generator goes on to shuffle train and val below.
    rng = random.Random(seed)
    name = names["curated_holdout"]
    heldout = _draw_holdout(curated, rng, holdout_plan(curated_holdout, name), name)
    held_ids = {id(r) for r in heldout}
    train, val = [], []
    for name, group in groups.items():
        units = _chat_units([r for r in group if id(r) not in held_ids])
        random.Random(f"{seed}:{name}").shuffle(units)
        n_val, taken = round(sum(map(len, units)) * val_fraction), 0
        for unit in units:
            if taken < n_val:
                val.extend(unit)
                taken += len(unit)
            else:
                train.extend(unit)
    if not val or not train:
        raise AskBuddyXError(
            f"Only {len(train) + len(val)} records after cleaning: too few to split with "
            f"{names['val_fraction']}={val_fraction}.",
            hint=f"Add data or raise {names['val_fraction']}.")
    rng.shuffle(train)
    rng.shuffle(val)
    return train, val, heldout


def _chat_units(records: list) -> list:
    """The records as split units: a chat's answers together, any other record alone.

    Units keep the records' order, so a source without multi-answer chats shuffles and splits
    exactly as record by record.
    """
    units, by_chat = [], {}
    for record in records:
        chat = record.get("chat")
        if chat is None:
            units.append([record])
        elif chat in by_chat:
            by_chat[chat].append(record)
        else:
            by_chat[chat] = [record]
            units.append(by_chat[chat])
    return units


def apply_weights(train: list, sources: list, seed: int) -> list:
    """Scale each non-curated source's share of train by its `weight` (default 1).

    weight 0.5 keeps a seeded half of that source's train records; 2 repeats them twice.
    """
    weights = {s["name"]: float(s.get("weight", 1)) for s in sources}
    if all(w == 1 for w in weights.values()):
        return train
    out = []
    for name, weight in weights.items():
        group = [r for r in train if r["source"] == name]
        target = round(len(group) * weight)
        if target <= len(group):
            keep = sorted(random.Random(f"{seed}:weight:{name}").sample(range(len(group)),
                                                                         target))
            out += [group[i] for i in keep]
        else:
            out += [group[i % len(group)] for i in range(target)]
    random.Random(seed).shuffle(out)
    return out


def mix_curated(train: list, ratio: float, seed: int) -> tuple[list, int]:
    """Duplicate curated records until they are `ratio` of train (seed 001: ~16%).

    Returns (shuffled train, number of copies added). A ratio already met adds nothing.
    """
    if not 0 <= ratio < 1:
        raise AskBuddyXError(f"data.curated_ratio must be in [0, 1), got {ratio}.")
    curated = [r for r in train if r["curated"]]
    if not curated or ratio == 0:
        return train, 0
    others = len(train) - len(curated)
    target = math.ceil(ratio * others / (1 - ratio))
    extra = [curated[i % len(curated)] for i in range(max(0, target - len(curated)))]
    mixed = train + extra
    random.Random(seed).shuffle(mixed)
    return mixed, len(extra)


def _public(record: dict) -> dict:
    return {k: record[k] for k in (*RECORD_KEYS, "tokens") if k in record}


def prepare_dataset(raw_dir: str | Path | None, out_dir: str | Path, sources: list, tokenizer,
                    config: PrepareConfig | None = None, report_path: str | Path | None = None,
                    **overrides) -> dict:
    """Run the whole cleaning pipeline and write train/val/heldout JSONL into `out_dir`.

    Args:
        raw_dir: Where fetch_data put `<name>.jsonl` per source; None reads each source's
            `path` directly (the `askbuddyx prepare` command).
        out_dir: Destination of train.jsonl, val.jsonl, heldout.jsonl.
        sources: The `data.sources` list (name, kind, path, curated, weight, ...).
        tokenizer: The base model's tokenizer (token lengths after its chat template).
        config: The parameters; keyword `overrides` replace single fields.
        report_path: Where to write the readable markdown report (None: not written).

    Returns:
        dict: the metrics for metrics/data.json (counts per source, redactions per detector,
        duplicates, malformed, truncated, code share, token lengths, curated share of train).
    """
    config = config or PrepareConfig()
    for key, value in overrides.items():
        setattr(config, key, value)
    config.check()
    findings = Findings()
    for source in sources:
        findings.source(source["name"])  # every source gets a row, in params order

    records = load_sources(sources, raw_dir, config.max_bad_fraction, findings, config.names)
    for b in findings.bad_lines:
        print(f"warning: skipped {b.path}:{b.line}: {b.reason}")
    records = redact_all(records, findings)
    records, exact = drop_exact(records)
    records, near = drop_near(records, config.near_dup_threshold)
    findings.add_duplicates(exact + near)
    if records:
        records, lengths = fit_records(records, tokenizer, config.max_seq_length,
                                       config.overlong)
        findings.add_lengths(lengths, records, config.min_answer_chars)
    try:
        if not records:
            raise AskBuddyXError("No usable records left after cleaning.",
                                 hint="Check the sources and the malformed lines.")
        train, val, heldout = stratified_split(records, config.val_fraction, config.seed,
                                               config.curated_holdout, config.names)
    except AskBuddyXError as exc:
        # Refused: the report still shows what cleaning kept and dropped, and why.
        if report_path is None:
            raise
        write_report(report_path, build_metrics(findings, records, [], [], [], 0,
                                                code_share(records)), findings, config)
        raise AskBuddyXError(exc.message, hint=f"{exc.hint} The data report: {report_path}.") \
            from exc
    if len(val) < config.min_val:
        print(f"warning: validation set has only {len(val)} examples (< {config.min_val}).")
    for split_name, rows in (("train", train), ("val", val), ("heldout", heldout)):
        for name, n in Counter(r["source"] for r in rows).items():
            findings.source(name)[split_name] = n
    train = apply_weights(train, sources, config.seed)
    train, copies = mix_curated(train, config.curated_ratio, config.seed)
    for name, n in Counter(r["source"] for r in train).items():
        findings.source(name)["train_mixed"] = n

    out_dir = Path(out_dir)
    write_jsonl(out_dir / "train.jsonl", (_public(r) for r in train))
    write_jsonl(out_dir / "val.jsonl", (_public(r) for r in val))
    write_jsonl(out_dir / "heldout.jsonl", (_public(r) for r in heldout))

    metrics = build_metrics(findings, records, train, val, heldout, copies, code_share(records))
    if report_path is not None:
        write_report(report_path, metrics, findings, config)
    print(summary_line(metrics))
    return metrics


def code_share(records: list) -> float:
    """Share of the records whose answer has code (0.0 for none)."""
    return sum(has_code(r["output"]) for r in records) / len(records) if records else 0.0


def write_report(path: str | Path, metrics: dict, findings: Findings,
                 config: PrepareConfig) -> None:
    """The readable markdown data report."""
    from askbuddyx.data.report import render_markdown

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(metrics, findings, config), encoding="utf-8")


def summary_line(m: dict) -> str:
    return (
        f"{m['lines_in']} lines -> {m['unique_records']} records "
        f"({m['malformed']} malformed, {m['duplicates']['exact']} exact + "
        f"{m['duplicates']['near']} near duplicates, {m['redactions_total']} secrets redacted, "
        f"{m['overlong']['truncated']} truncated / {m['overlong']['dropped']} dropped over "
        f"the token budget); train {m['train']} (curated {m['curated_share_of_train']:.0%}), "
        f"val {m['val']}, held-out curated {m['heldout_curated']}; tokens p50/p90/max "
        f"{m['tokens']['p50']}/{m['tokens']['p90']}/{m['tokens']['max']}"
    )
