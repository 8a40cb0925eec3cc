"""Token lengths of training chats, measured with the base model's own tokenizer and template.

A record is measured as the chat it becomes in training: AskBuddyX's system prompt, the user
message (instruction + input) and the answer, rendered with the tokenizer's chat template
(`prompting.format_chat`) and encoded without extra special tokens, exactly what mlx-lm
trains on. A chat longer than `max_seq_length` gets its answer cut to the first N tokens
(deterministic; system prompt and question always survive), or is dropped, by parameter.

Speed: a Hugging Face tokenizer splits text at its special tokens (`<|im_start|>`, ...) before
anything else, so a rendered chat's length is the sum of the lengths of the pieces between
them; the system-prompt piece is the same in every chat. `ChatTokenCounter` encodes each
distinct piece once, in Rust batches, and checks itself against a plain `encode` of the whole
chat on a sample first; if the tokenizer does not behave that way it encodes whole chats.
"""

from __future__ import annotations

import re

from askbuddyx.prompting import build_messages, format_chat, user_message

OVERLONG_ACTIONS = ("truncate", "drop")
VERIFY_SAMPLE = 32
RENDER_BATCH = 1024


def record_to_messages(record: dict) -> list:
    return build_messages(user_message(record["instruction"], record.get("input", "")),
                          record["output"], history=record.get("history"))


def chat_token_count(tokenizer, messages: list) -> int:
    return len(tokenizer.encode(format_chat(tokenizer, messages), add_special_tokens=False))


def percentile(values: list, q: float) -> int:
    """Nearest-rank percentile of a list of ints (0 for an empty list)."""
    if not values:
        return 0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _backend(tokenizer):
    """The `tokenizers.Tokenizer` under an mlx-lm wrapper / transformers tokenizer, or None."""
    hf = getattr(tokenizer, "_tokenizer", tokenizer)
    return getattr(hf, "backend_tokenizer", None)


class ChatTokenCounter:
    """Exact token counts of rendered chats, fast for many chats sharing a system prompt."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.backend = _backend(tokenizer)
        self.split = None
        if self.backend is not None:
            added = self.backend.get_added_tokens_decoder().values()
            plain = [t for t in added if t.special and not (t.lstrip or t.rstrip or t.single_word
                                                             or t.normalized)]
            if plain and len(plain) == len([t for t in added if t.special]):
                names = sorted((t.content for t in plain), key=len, reverse=True)
                self.split = re.compile("(" + "|".join(map(re.escape, names)) + ")")
                self.specials = set(names)
        self._cache: dict = {}
        self.verified = False

    def _exact(self, texts: list) -> list:
        if self.backend is not None:
            return [len(e.ids) for e in self.backend.encode_batch(texts, add_special_tokens=False)]
        return [len(self.tokenizer.encode(t, add_special_tokens=False)) for t in texts]

    def _fast(self, texts: list) -> list:
        pieces = [[p for p in self.split.split(t) if p] for t in texts]
        new = {p for ps in pieces for p in ps if p not in self._cache and p not in self.specials}
        new = sorted(new)
        # encode_batch_fast (tokenizers >= 0.21) skips the character offsets we don't need
        encode = getattr(self.backend, "encode_batch_fast", self.backend.encode_batch)
        for piece, enc in zip(new, encode(new, add_special_tokens=False)):
            self._cache[piece] = len(enc.ids)
        return [sum(1 if p in self.specials else self._cache[p] for p in ps) for ps in pieces]

    def count_texts(self, texts: list) -> list:
        """Token counts of already rendered chat texts."""
        if self.split is None:
            return self._exact(texts)
        if not self.verified and texts:
            sample = texts[:VERIFY_SAMPLE]
            if self._fast(sample) != self._exact(sample):
                self.split = None  # this tokenizer merges across special tokens: go exact
                return self._exact(texts)
            self.verified = True
        return self._fast(texts)

    def render(self, message_lists: list) -> list:
        """The chats rendered with the chat template (`format_chat`), in batches.

        One `apply_chat_template` call per batch of conversations (the tokenizer's batch
        form, about twice as fast); checked against `format_chat` on a sample first.
        """
        if not message_lists:
            return []
        sample = message_lists[:VERIFY_SAMPLE]
        expected = [format_chat(self.tokenizer, m) for m in sample]
        try:
            batched = self.tokenizer.apply_chat_template(sample, tokenize=False)
        except Exception:  # noqa: BLE001 - no batch form: render one by one below
            batched = None
        if batched != expected:
            return expected + [format_chat(self.tokenizer, m)
                               for m in message_lists[VERIFY_SAMPLE:]]
        out = list(expected)
        for start in range(VERIFY_SAMPLE, len(message_lists), RENDER_BATCH):
            out += self.tokenizer.apply_chat_template(
                message_lists[start: start + RENDER_BATCH], tokenize=False)
        return out

    def count(self, message_lists: list) -> list:
        """Token counts of chats given as message lists (rendered with the chat template)."""
        return self.count_texts(self.render(message_lists))


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


def fit_records(records: list, tokenizer, max_seq_length: int, overlong: str = "truncate",
                counter: ChatTokenCounter | None = None) -> tuple[list, dict]:
    """Measure every record's chat length; truncate or drop the ones over `max_seq_length`.

    Args:
        records: Normalized records (instruction/input/output, plus any other keys).
        tokenizer: The base model's tokenizer (with its chat template).
        max_seq_length: Token budget of one chat (train.max_seq_length).
        overlong: "truncate" (cut the answer) or "drop" (remove the record).
        counter: A ChatTokenCounter to reuse (its cache), or None.

    Returns:
        (kept records, each with "tokens" set, and a dict of lists: "truncated", "dropped"
        (each (record before, tokens before)), "lengths_before" (all measured lengths))
    """
    if overlong not in OVERLONG_ACTIONS:
        raise ValueError(f"overlong must be one of {OVERLONG_ACTIONS}, got {overlong!r}")
    if max_seq_length < 16:
        raise ValueError(f"max_seq_length must be at least 16, got {max_seq_length}.")
    counter = counter or ChatTokenCounter(tokenizer)
    lengths = counter.count([record_to_messages(r) for r in records])
    kept, found = [], {"truncated": [], "dropped": [], "lengths_before": lengths}
    for record, n_tokens in zip(records, lengths):
        if n_tokens <= max_seq_length:
            kept.append({**record, "tokens": n_tokens})
            continue
        if overlong == "drop":
            found["dropped"].append((record, n_tokens))
            continue
        try:
            messages, fitted, _ = fit_messages(tokenizer, record_to_messages(record),
                                               max_seq_length)
        except ValueError:
            found["dropped"].append((record, n_tokens))  # even the question is too long
            continue
        found["truncated"].append((record, n_tokens))
        kept.append({**record, "output": messages[-1]["content"], "tokens": fitted})
    return kept, found
