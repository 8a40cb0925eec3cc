"""System prompt and chat formatting for AskBuddyX.

The system prompt is verbatim from the architecture document (seed 000, section 10.1). Every
place that talks to a model (training text, evaluation, serving) formats conversations through
`build_messages` + `format_chat`, so the adapter is trained and queried with the same text.

The runnable-first format lives here too, once: `HEADINGS`, `has_runnable_first_format` (all
three, each once, in order) and `split_sections` (the code under each heading), used by the
curated data's checks, the evaluation and the tiny base model's build alike.
"""

from __future__ import annotations

import re

SYSTEM_PROMPT = """You are AskBuddyX, a practical coding assistant.

Default style:
- Be code-forward and concise.
- Prefer runnable solutions.

When the user asks for code, respond using these headings (in this order):
### Solution
### Usage
### Sanity test

Rules:
- "Solution" contains the main implementation.
- "Usage" shows the smallest runnable example (how to call it).
- "Sanity test" is a tiny test snippet (often using assert). Include it only when it makes sense.
- Keep explanations to a few lines maximum. Avoid long essays.
- If something is ambiguous, make one conservative assumption and state it briefly.
- Do not invent APIs or library functions. If unsure, say so and offer a safe alternative.
- If the user explicitly requests a different format, follow the user's format."""

# For requests the intent router (askbuddyx/serve/intent.py) finds are not asking for code:
# the same assistant without the runnable-first headings, which only fit code answers.
PLAIN_SYSTEM_PROMPT = """You are AskBuddyX, a practical coding assistant.

Style:
- Answer the question directly, in a few short paragraphs or a list.
- Quote code only when it helps; no Solution/Usage/Sanity test headings.
- Do not invent APIs or library functions. If unsure, say so.
- If the user explicitly requests a different format, follow the user's format."""

HEADINGS = ("### Solution", "### Usage", "### Sanity test")
# split_sections' key for the code under each heading, in HEADINGS order.
SECTION_KEYS = ("solution", "usage", "sanity")
# A fenced block and its language tag; an unclosed last fence runs to the end of the text
# (a model answer cut off by max_tokens still has its code).
FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
PYTHON_LANGS = ("", "python", "py", "python3")


def user_message(instruction: str, input_text: str = "") -> str:
    """Combine a code-alpaca `instruction` and optional `input` into one user message.

    Args:
        instruction: The task, e.g. "Write a function to reverse a string".
        input_text: Optional context (data, code to fix); appended after a blank line.

    Returns:
        The user message text.
    """
    instruction = instruction.strip()
    input_text = (input_text or "").strip()
    return f"{instruction}\n\n{input_text}" if input_text else instruction


def build_messages(user: str, assistant: str | None = None, system: str = SYSTEM_PROMPT,
                   history: list | None = None) -> list:
    """Return a chat as a list of role/content dicts (OpenAI and HF chat-template shape).

    Args:
        user: The user's message.
        assistant: The assistant's answer, or None for a prompt awaiting generation.
        system: The system prompt; AskBuddyX's by default.
        history: Earlier user/assistant messages of the chat, between system and `user`.

    Returns:
        list[dict]: messages with "role" and "content".
    """
    messages = [{"role": "system", "content": system}, *(history or ()),
                {"role": "user", "content": user}]
    if assistant is not None:
        messages.append({"role": "assistant", "content": assistant})
    return messages


def format_chat(tokenizer, messages: list, add_generation_prompt: bool = False) -> str:
    """Render messages with the tokenizer's own chat template.

    The seed's "SYSTEM:/USER:" fallback is deliberately not used: a model queried with a
    template it was not trained on answers worse, so a tokenizer without a chat template is
    an error the user should fix (use an Instruct/chat model).

    Args:
        tokenizer: A Hugging Face tokenizer (or mlx-lm TokenizerWrapper).
        messages: Chat messages, see `build_messages`.
        add_generation_prompt: Append the assistant header so the model answers next.

    Returns:
        The formatted conversation text.

    Raises:
        ValueError: if the tokenizer has no chat template.
    """
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(
            "The tokenizer has no chat template, so AskBuddyX cannot format conversations. "
            "Use a chat/instruct base model (e.g. mlx-community/Qwen2.5-Coder-0.5B-Instruct-4bit)."
        )
    return tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=add_generation_prompt
    )


def has_runnable_first_format(text: str) -> bool:
    """True when the three headings are all present, each once, in the required order."""
    positions = []
    for heading in HEADINGS:
        if text.count(heading) != 1:
            return False
        positions.append(text.index(heading))
    return positions == sorted(positions)


def python_blocks(text: str) -> list[str]:
    """The bodies of the fenced Python blocks of `text` (```python, ```py or bare ```)."""
    return [body for lang, body in FENCE.findall(text) if lang.lower() in PYTHON_LANGS]


def section_code(text: str) -> tuple[str, bool]:
    """(code, fenced) of a piece of an answer: its fenced Python blocks joined, else the
    text itself without heading lines (indentation kept); "" when there is no code."""
    blocks = python_blocks(text)
    if blocks:
        return "\n".join(b.rstrip() for b in blocks).strip("\n") + "\n", True
    lines = [line for line in text.splitlines() if line.strip() not in HEADINGS]
    code = "\n".join(lines).strip("\n")
    return (code + "\n") if code.strip() else "", False


def split_sections(response: str) -> dict:
    """Code under each runnable-first heading, plus all the code of the answer.

    Lenient on purpose (model answers are not always well formed): a missing heading gives
    "" and the headings may come in any order; `has_runnable_first_format` says whether the
    format itself is right.

    Returns:
        dict: "solution", "usage", "sanity" (the code under `### Solution`, `### Usage`,
        `### Sanity test`), "all" (every fenced Python block of the answer, or the whole
        answer without heading lines) and "fenced" (whether "all" came from fences).
    """
    found = sorted((response.find(h), key) for h, key in zip(HEADINGS, SECTION_KEYS)
                   if h in response)
    sections = dict.fromkeys(SECTION_KEYS, "")
    for i, (pos, key) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(response)
        body = response[pos:end].split("\n", 1)[1] if "\n" in response[pos:end] else ""
        sections[key] = section_code(body)[0]
    sections["all"], sections["fenced"] = section_code(response)
    return sections
