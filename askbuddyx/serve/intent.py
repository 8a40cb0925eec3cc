"""Which kind of answer a request wants: code, explain or search (rules first).

    route("Write a function that parses ISO dates")        -> "code"
    route("Why does this loop never end?")                 -> "explain"
    route("Search the web for the latest aiohttp release") -> "search"

The rules, in order: an explicit ask for the web (search, look up, latest, a URL) is a search;
a question that opens like an explanation (explain, why, what is, describe) is explain; a
request to make or change code (write, implement, fix, a code block) is code; any other
question word makes it explain. When no rule fires, `fallback` decides: in the server, the
served model itself (`model_intent`: one forward pass, the most likely of the three words
after a short classification prompt), else it is code, the assistant's default. Only code
answers get the runnable-first format (askbuddyx.prompting.SYSTEM_PROMPT); the others get
PLAIN_SYSTEM_PROMPT.

A small model classifies badly; that is why it only breaks ties the rules leave open.
"""

from __future__ import annotations

import re
from collections.abc import Callable

INTENTS = ("code", "explain", "search")
SEARCH = re.compile(r"\b(search (the )?(web|internet|online)|google|look (it )?up|latest|"
                    r"newest|news|release notes|changelog|today|this week|on the web)\b|"
                    r"https?://", re.I)
EXPLAIN_OPENING = re.compile(r"^\s*(please\s+)?(explain|why|what (is|are|does|do)|describe|"
                             r"tell me (about|what)|what's|whats|compare|summari[sz]e)\b", re.I)
CODE = re.compile(r"```|\b(write|implement|create|build|generate|fix|refactor|rewrite|add|"
                  r"make|convert|optimi[sz]e|code|function|script|class|snippet|test|bug|"
                  r"traceback|error)\b", re.I)
QUESTION = re.compile(r"\?\s*$|^\s*(how|where|which|when|who|is|are|does|can)\b", re.I)


CLASSIFY_PROMPT = ("Classify the user's message with one word: code (they want code written, "
                   "changed or fixed), explain (they want something explained) or search "
                   "(they want current information from the web). Answer code, explain or "
                   "search.")


CLASSIFY_CHARS = 2000


def rule_intent(text: str) -> str | None:
    """The intent the rules give one user message, or None when no rule fires."""
    if SEARCH.search(text):
        return "search"
    if EXPLAIN_OPENING.search(text):
        return "explain"
    if CODE.search(text):
        return "code"
    if QUESTION.search(text):
        return "explain"
    return None


def route(text: str, fallback: Callable[[str], str] | None = None) -> str:
    """The intent of one user message: "code", "explain" or "search"."""
    intent = rule_intent(text)
    if intent is not None:
        return intent
    if fallback is not None:
        intent = fallback(text)
        if intent not in INTENTS:
            raise ValueError(f"the intent fallback answered {intent!r}, not one of {INTENTS}")
        return intent
    return "code"


def model_intent(model, tokenizer, text: str) -> str:
    """The served model's pick among INTENTS for `text` (MLX: run it on the engine thread).

    Compares the next-token logits of each intent word's first token after the chat
    template's generation prompt, so the answer is always one of the three. Only the first
    CLASSIFY_CHARS characters are read: what a message asks for is said early, and a forward
    pass over a huge message (one about to be refused as too long) would hold the engine.
    """
    import mlx.core as mx

    messages = [{"role": "system", "content": CLASSIFY_PROMPT},
                {"role": "user", "content": text[:CLASSIFY_CHARS]}]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
    logits = model(mx.array([prompt]))[0, -1]
    firsts = [tokenizer.encode(word, add_special_tokens=False)[0] for word in INTENTS]
    scores = [logits[token].item() for token in firsts]
    return INTENTS[max(range(len(INTENTS)), key=scores.__getitem__)]
