"""Turn processed records into the chat data mlx-lm trains on (seed 000, section 7.3).

Each record becomes a chat: the AskBuddyX system prompt, the user message (instruction +
input), the assistant answer (output). It is written to `train.jsonl` / `valid.jsonl` as
`{"messages": [...]}`, the chat layout of `mlx_lm lora --data DIR`: mlx-lm renders it with the
base model's own chat template and, with `mask_prompt`, computes the loss on the answer only.

Lengths are measured here with the same tokenizer and template (`apply_chat_template`). A chat
longer than `max_seq_length` tokens gets its answer cut (first N tokens, deterministic), so
the system prompt and question always survive; cuts are counted.
"""

from __future__ import annotations

from pathlib import Path

from askbuddyx.data.io import read_jsonl, require_file, write_jsonl
from askbuddyx.prompting import build_messages, format_chat, user_message


def record_to_messages(record: dict) -> list:
    return build_messages(user_message(record["instruction"], record.get("input", "")),
                          record["output"])


def chat_token_count(tokenizer, messages: list) -> int:
    return len(tokenizer.encode(format_chat(tokenizer, messages), add_special_tokens=False))


def fit_messages(tokenizer, messages: list, max_tokens: int) -> tuple[list, int, bool]:
    """Cut the assistant answer so the rendered chat has at most `max_tokens` tokens.

    Returns (messages, token count, truncated?). Raises ValueError when even the prompt alone
    does not fit (the answer would be empty).
    """
    total = chat_token_count(tokenizer, messages)
    if total <= max_tokens:
        return messages, total, False
    answer = messages[-1]["content"]
    ids = tokenizer.encode(answer, add_special_tokens=False)
    overhead = total - len(ids)  # prompt + template tokens around the answer
    budget = max_tokens - overhead
    if budget < 1:
        raise ValueError(f"prompt alone needs {overhead} tokens > max_seq_length={max_tokens}")
    cut = tokenizer.decode(ids[:budget])
    # Decoding then re-encoding can merge bytes differently; shrink until it fits.
    while budget > 1 and chat_token_count(
            tokenizer, messages[:-1] + [{"role": "assistant", "content": cut}]) > max_tokens:
        budget -= 1
        cut = tokenizer.decode(ids[:budget])
    fitted = messages[:-1] + [{"role": "assistant", "content": cut}]
    return fitted, chat_token_count(tokenizer, fitted), True


def percentile(values: list, q: float) -> int:
    """Nearest-rank percentile of a non-empty list of ints."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def build_training_text(processed_dir: str | Path, out_dir: str | Path, tokenizer,
                        max_seq_length: int) -> dict:
    """Write train.jsonl and valid.jsonl of `{"messages": [...]}` into `out_dir`.

    Args:
        processed_dir: Holds train.jsonl and val.jsonl from the prepare stage.
        out_dir: Destination (mlx-lm's data directory).
        tokenizer: The base model's tokenizer (its chat template is used).
        max_seq_length: Token budget per chat (train.max_seq_length).

    Returns:
        dict: counts and token-length statistics for metrics/build_text.json.
    """
    if max_seq_length < 16:
        raise ValueError(f"train.max_seq_length must be at least 16, got {max_seq_length}.")
    stats = {}
    lengths = []
    for split, target in (("train", "train"), ("val", "valid")):
        path = require_file(Path(processed_dir) / f"{split}.jsonl", f"Processed {split} file",
                            "Run the prepare_data stage first: `dvc repro prepare_data`.")
        rows, truncated, dropped = [], 0, 0
        for record in read_jsonl(path):
            try:
                messages, n_tokens, cut = fit_messages(tokenizer, record_to_messages(record),
                                                       max_seq_length)
            except ValueError:
                dropped += 1
                continue
            truncated += cut
            lengths.append(n_tokens)
            rows.append({"messages": messages})
        write_jsonl(Path(out_dir) / f"{target}.jsonl", rows)
        stats[target] = {"examples": len(rows), "truncated": truncated,
                         "dropped_prompt_too_long": dropped}
        print(f"{target}: {len(rows)} chats ({truncated} answers cut to fit "
              f"{max_seq_length} tokens, {dropped} dropped)")
    stats["tokens"] = {
        "p50": percentile(lengths, 0.5),
        "p90": percentile(lengths, 0.9),
        "max": max(lengths),
        "total": sum(lengths),
    }
    return stats
