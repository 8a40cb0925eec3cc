"""Grounded requests: local code (an index), taught rules (memory), the web (search tool).

What a chat request gets before it is tokenized (`ground`):

1. Intent (askbuddyx/serve/intent.py) picks the system prompt: the runnable-first one for
   code, the plain one for explain and search (a client's own system message is kept).
2. The memory's rules are appended to the system prompt (askbuddyx/serve/memory.py).
3. With an index (`"askbuddyx": {"index": "N"}` in the body, or the model `AskBuddyX+N`), the
   top `retrieval.top_k` chunks for the last user message, within `retrieval.context_tokens`
   tokens of the served model's tokenizer, go before that message with their paths and line
   numbers.
4. A search request asks the `search` tool (askbuddyx/serve/websearch.py) when a key is set.

The response says what was used: `askbuddyx` = {intent, index, sources: [{path, start_line,
end_line, name, ...}], memory_rules, search} and `usage.sources` ("path:start-end" of each
chunk). Index look-ups run on a worker thread: embedding and SQLite stay off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from askbuddyx.errors import AskBuddyXError
from askbuddyx.prompting import PLAIN_SYSTEM_PROMPT, SYSTEM_PROMPT
from askbuddyx.retrieval.store import CodeIndex, Hit, index_path
from askbuddyx.serve.intent import rule_intent
from askbuddyx.serve.memory import MAX_RULE_CHARS, MemoryFull, MemoryStore, rules_prompt
from askbuddyx.serve.schema import ApiError, bad, parse_json
from askbuddyx.serve.websearch import DEFAULT_URL, OFF_NOTE, SearchFailed, TavilySearch

log = logging.getLogger("askbuddyx.serve")
MIN_CHUNK_LINES = 5  # a chunk cut to fit the budget keeps at least this many lines, or goes


@dataclass
class GroundingConfig:
    """Where indexes and memory live, and how much context a grounded request gets.

    Args:
        indexes_dir: `retrieval.indexes_dir`, where `askbuddyx index` writes N.sqlite.
        memory_path: `serve.memory_path`, the SQLite file of taught rules.
        top_k: `retrieval.top_k`, chunks per request at most.
        context_tokens: `retrieval.context_tokens`, their token budget (served tokenizer).
        search_url: `serve.search_url`, Tavily's search endpoint (a loopback stub in tests).
        search_key: TAVILY_API_KEY, or None: search is off.
    """

    indexes_dir: Path
    memory_path: Path
    top_k: int = 5
    context_tokens: int = 1500
    search_url: str = DEFAULT_URL
    search_key: str | None = None


@dataclass
class Grounded:
    """The messages to generate from, and what the response reports about them."""

    messages: list
    intent: str
    index: str | None = None
    intent_by: str = "rules"  # or "model" (no rule fired; the served model chose) or "default"
    sources: list = field(default_factory=list)  # dicts, in the order given to the model
    rules: list = field(default_factory=list)  # ids
    search: dict | None = None

    def report(self) -> dict:
        return {"intent": self.intent, "intent_by": self.intent_by, "index": self.index,
                "sources": self.sources,
                "memory_rules": self.rules, "search": self.search}

    def usage_sources(self) -> list[str]:
        return [f"{s['path']}:{s['start_line']}-{s['end_line']}" for s in self.sources]


class Grounding:
    """The server's memory, open indexes and search tool (one per app)."""

    def __init__(self, config: GroundingConfig):
        self.config = config
        self.memory = MemoryStore(config.memory_path)
        self.search = (TavilySearch(config.search_key, config.search_url)
                       if config.search_key else None)
        self._indexes: dict[str, tuple[CodeIndex, threading.Lock]] = {}
        self._open_lock = threading.Lock()

    def _index(self, name: str) -> tuple[CodeIndex, threading.Lock]:
        with self._open_lock:
            if name not in self._indexes:
                try:
                    path = index_path(self.config.indexes_dir, name)
                    self._indexes[name] = (CodeIndex.open(path), threading.Lock())
                except AskBuddyXError as exc:
                    raise ApiError(404, f"No index named {name!r} in "
                                        f"{self.config.indexes_dir}: {exc.message}",
                                   param="askbuddyx.index", code="index_not_found") from None
            return self._indexes[name]

    def retrieve(self, name: str, query: str, tokenizer) -> list[tuple[Hit, str]]:
        """The chunks for `query` that fit the token budget, each with the text to show."""
        index, lock = self._index(name)
        with lock:  # one SQLite connection per index: one search at a time on it
            hits = index.search(query, self.config.top_k)
        budget, kept = self.config.context_tokens, []
        for hit in hits:
            text = fit(source_block(hit, hit.chunk.text), budget, tokenizer, hit)
            if text is None:
                continue
            budget -= len(tokenizer.encode(text))
            kept.append((hit, text))
        return kept

    def close(self) -> None:
        self.memory.close()
        for index, _ in self._indexes.values():
            index.close()


def source_block(hit: Hit, text: str) -> str:
    """How a chunk (or its first lines, `text`) is shown to the model: path, lines, code."""
    c = hit.chunk
    name = f" ({c.name})" if c.name else ""
    end = c.start_line + text.count("\n")
    return f"{c.path} lines {c.start_line}-{end}{name}:\n```\n{text}\n```"


def fit(block: str, budget: int, tokenizer, hit: Hit) -> str | None:
    """`block` if it fits `budget` tokens, else the chunk cut to its first lines that fit."""
    if len(tokenizer.encode(block)) <= budget:
        return block
    lines = hit.chunk.text.split("\n")
    while len(lines) > MIN_CHUNK_LINES:
        lines = lines[: max(MIN_CHUNK_LINES, len(lines) * 3 // 4)]
        cut = source_block(hit, "\n".join(lines))
        if len(tokenizer.encode(cut)) <= budget:
            return cut
    return None


GROUNDING = web.AppKey("grounding", Grounding)


def request_options(body: dict, model: str, known_models: list[str]) -> tuple[str, str | None]:
    """(model to serve, index name or None) from `askbuddyx.index` or a model `NAME+INDEX`."""
    options = body.get("askbuddyx")
    index = None
    if options is not None:
        if not isinstance(options, dict) or not isinstance(options.get("index", ""), str):
            raise bad("'askbuddyx' must be an object like {\"index\": \"<index name>\"}.",
                      "askbuddyx")
        index = options.get("index") or None
    if model not in known_models and "+" in model:
        model, _, from_model = model.rpartition("+")
        if index and index != from_model:
            raise bad(f"The model names index {from_model!r} but 'askbuddyx.index' is "
                      f"{index!r}; give one.", "askbuddyx")
        index = from_model
    return model, index


def _last_user(messages: list) -> int:
    return max(i for i, m in enumerate(messages) if m["role"] == "user")


def _with_system(messages: list, intent: str, rules: str) -> list:
    if messages and messages[0]["role"] == "system":
        head = {"role": "system", "content": messages[0]["content"] + rules}
        return [head, *messages[1:]] if rules else list(messages)
    system = SYSTEM_PROMPT if intent == "code" else PLAIN_SYSTEM_PROMPT
    return [{"role": "system", "content": system + rules}, *messages]


def _prepend_to_last_user(messages: list, text: str) -> list:
    i = _last_user(messages)
    question = messages[i]["content"]
    return [*messages[:i], {"role": "user", "content": f"{text}\n\nQuestion: {question}"},
            *messages[i + 1:]]


async def ground(grounding: Grounding, messages: list, index: str | None,
                 tokenizer, classify=None) -> Grounded:
    """The request's messages with system prompt, rules, code and web context (see above).

    `classify`: an async function(question) -> intent, asked only when no rule fires (the
    served model, see askbuddyx.serve.intent.model_intent); without it such a message is code.
    """
    question = messages[_last_user(messages)]["content"]
    intent, intent_by = rule_intent(question), "rules"
    if intent is None and classify is not None:
        intent, intent_by = await classify(question), "model"
    elif intent is None:
        intent, intent_by = "code", "default"
    rules = await asyncio.to_thread(grounding.memory.list)
    grounded = Grounded(_with_system(messages, intent, rules_prompt(rules)), intent, index,
                        intent_by, rules=[r.id for r in rules])
    context = []
    if index:
        kept = await asyncio.to_thread(grounding.retrieve, index, question, tokenizer)
        grounded.sources = [{"id": hit.chunk_id, "path": hit.chunk.path,
                             "start_line": hit.chunk.start_line, "end_line": hit.chunk.end_line,
                             "name": hit.chunk.name, "kind": hit.chunk.kind,
                             "score": round(hit.score, 5)} for hit, _ in kept]
        if kept:
            blocks = "\n\n".join(f"[{n}] {text}" for n, (_, text) in enumerate(kept, 1))
            context.append(f"Code from the index '{index}' that may answer the question "
                           f"(cite the file and lines you use):\n\n{blocks}")
    if intent == "search":
        text, grounded.search = await _web(grounding, question)
        context.append(text)
    if context:
        grounded.messages = _prepend_to_last_user(grounded.messages, "\n\n".join(context))
    return grounded


async def _web(grounding: Grounding, question: str) -> tuple[str, dict]:
    """(context text, the response's `search` report) for a search request."""
    if grounding.search is None:
        return (f"Note: {OFF_NOTE}. Say that you cannot search the web, then answer from "
                "what you know.", {"enabled": False, "note": OFF_NOTE})
    try:
        results = await grounding.search.search(question)
    except SearchFailed as exc:
        log.warning("web search failed: %s", exc)
        return (f"Note: the web search failed ({exc}). Say so, then answer from what you "
                "know.", {"enabled": True, "error": str(exc), "results": []})
    blocks = "\n\n".join(f"[{r.title}]({r.url})\n{r.content}" for r in results)
    return (f"Web search results:\n\n{blocks}",
            {"enabled": True, "results": [{"title": r.title, "url": r.url} for r in results]})


# -- memory routes --------------------------------------------------------------------------
async def add_rule(request: web.Request) -> web.Response:
    body = parse_json(await request.read())
    rule = body.get("rule") if isinstance(body, dict) else None
    if not isinstance(rule, str) or not rule.strip() or len(rule) > MAX_RULE_CHARS:
        raise bad(f"Send {{\"rule\": \"<text, at most {MAX_RULE_CHARS} characters>\"}}.",
                  "rule")
    try:
        stored, redacted = await asyncio.to_thread(request.app[GROUNDING].memory.add, rule)
    except MemoryFull as exc:
        raise ApiError(409, f"{exc}; delete some first (DELETE /v1/memory/{{id}}).",
                       param="rule", code="memory_full") from None
    return web.json_response({**stored.as_dict(), "redacted": redacted}, status=201)


async def list_rules(request: web.Request) -> web.Response:
    rules = await asyncio.to_thread(request.app[GROUNDING].memory.list)
    return web.json_response({"object": "list", "data": [r.as_dict() for r in rules]})


async def delete_rule(request: web.Request) -> web.Response:
    raw = request.match_info["id"]
    if not raw.isdigit() or not await asyncio.to_thread(request.app[GROUNDING].memory.delete,
                                                        int(raw)):
        raise ApiError(404, f"No rule with id {raw!r}; GET /v1/memory lists them.",
                       param="id", code="rule_not_found")
    return web.json_response({"id": int(raw), "deleted": True})


async def list_indexes(request: web.Request) -> web.Response:
    folder = request.app[GROUNDING].config.indexes_dir
    names = sorted(p.stem for p in Path(folder).glob("*.sqlite")) if Path(folder).is_dir() \
        else []
    return web.json_response({"object": "list", "data": [{"id": n} for n in names]})


def setup_grounding(app: web.Application, config: GroundingConfig) -> None:
    """Memory, indexes and search for `app`: its routes and the object the handlers use."""
    app[GROUNDING] = Grounding(config)
    app.router.add_get("/v1/memory", list_rules)
    app.router.add_post("/v1/memory", add_rule)
    app.router.add_delete("/v1/memory/{id}", delete_rule)
    app.router.add_get("/v1/indexes", list_indexes)

    async def close(_app):
        _app[GROUNDING].close()

    app.on_cleanup.append(close)
