"""Turn processed records into the chat data mlx-lm trains on (seed 000, section 7.3).

Each record becomes a chat: the AskBuddyX system prompt, the user message (instruction +
input), the assistant answer (output). It is written to `train.jsonl` / `valid.jsonl` as
`{"messages": [...]}`, the chat layout of `mlx_lm lora --data DIR`: mlx-lm renders it with the
base model's own chat template and, with `mask_prompt`, computes the loss on the answer only.

The prepare stage has already measured every chat with that tokenizer and template and cut
(or dropped) what exceeds `train.max_seq_length`; each record carries its token count
(`tokens`), which this stage only summarizes. So no chat here is longer than the budget.

    python stages/build_text.py --processed data/processed --out data/training_ready \
        --metrics metrics/build_text.json
"""

from __future__ import annotations

from pathlib import Path

from askbuddyx.data.io import dumps, read_jsonl, require_file
from askbuddyx.data.lengths import fit_messages, percentile, record_to_messages
from askbuddyx.errors import AskBuddyXError

__all__ = ["build_training_text", "fit_messages", "record_to_messages"]


def write_chats(path: Path, chats: list) -> None:
    """Write `{"messages": [...]}` lines, the same bytes as `io.write_jsonl`.

    The system message is the same in every chat, so it is serialized once (20k chats: the
    long system prompt would otherwise be escaped 20k times).
    """
    cache: dict = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for messages in chats:
            parts = []
            for message in messages:
                key = (message["role"], message["content"]) if message["role"] == "system" else None
                text = cache.get(key) if key else None
                if text is None:
                    text = dumps(message)
                    if key:
                        cache[key] = text
                parts.append(text)
            f.write('{"messages": [' + ", ".join(parts) + "]}\n")


def build_training_text(processed_dir: str | Path, out_dir: str | Path,
                        max_seq_length: int | None = None) -> dict:
    """Write train.jsonl and valid.jsonl of `{"messages": [...]}` into `out_dir`.

    Args:
        processed_dir: Holds train.jsonl and val.jsonl from the prepare stage.
        out_dir: Destination (mlx-lm's data directory).
        max_seq_length: When given, a record measured longer than this is an error (the
            prepare stage ran with another budget).

    Returns:
        dict: counts and token-length statistics (of the chats as trained, curated copies
        included) for metrics/build_text.json.
    """
    stats = {}
    lengths = []
    for split, target in (("train", "train"), ("val", "valid")):
        path = require_file(Path(processed_dir) / f"{split}.jsonl", f"Processed {split} file",
                            "Run the prepare_data stage first: `dvc repro prepare_data`.")
        rows = []
        for record in read_jsonl(path):
            if not isinstance(record.get("tokens"), int):
                raise AskBuddyXError(f"{path}: a record has no token count.",
                                     hint="Rerun the prepare_data stage: `dvc repro prepare_data`.")
            if max_seq_length is not None and record["tokens"] > max_seq_length:
                raise AskBuddyXError(
                    f"{path}: a chat has {record['tokens']} tokens > train.max_seq_length="
                    f"{max_seq_length}.",
                    hint="Rerun the prepare_data stage with the same train.max_seq_length.")
            lengths.append(record["tokens"])
            rows.append(record_to_messages(record))
        write_chats(Path(out_dir) / f"{target}.jsonl", rows)
        stats[target] = {"examples": len(rows)}
        print(f"{target}: {len(rows)} chats")
    stats["tokens"] = {
        "p50": percentile(lengths, 0.5),
        "p90": percentile(lengths, 0.9),
        "max": max(lengths, default=0),
        "total": sum(lengths),
    }
    return stats
