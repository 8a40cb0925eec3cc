"""Grounded chat (issue 18): intent router, memory, the search tool, retrieval into the context.

The unit tests run without a server (a loopback aiohttp stub stands in for Tavily); the
end-to-end ones use the shared live server (tests/serve_live.py), whose working directory
holds its `outputs/indexes` and `outputs/memory.sqlite`.
"""

import asyncio
import json

import pytest
import requests
from aiohttp import web

from askbuddyx.prompting import PLAIN_SYSTEM_PROMPT, SYSTEM_PROMPT
from askbuddyx.retrieval.store import CodeIndex
from askbuddyx.serve.grounding import (
    Grounding,
    GroundingConfig,
    ground,
    request_options,
)
from askbuddyx.serve.intent import INTENTS, model_intent, route
from askbuddyx.serve.memory import MemoryStore, rules_prompt
from askbuddyx.serve.schema import ApiError
from askbuddyx.serve.websearch import SearchFailed, TavilySearch
from tests.retrieval_repo import FUNCTIONS, make_repo

SECRET = "sk-" + "Q9w8E7r6" * 5


@pytest.mark.parametrize("text,intent", [
    ("Write a function to reverse a string", "code"),
    ("Fix this: ```print(x```", "code"),
    ("How do I add a retry to this function?", "code"),
    ("Explain what this function does", "explain"),
    ("Why does my loop never end?", "explain"),
    ("What is a context manager?", "explain"),
    ("Where is the discount applied?", "explain"),
    ("Search the web for the latest aiohttp release", "search"),
    ("What changed in https://example.org/changelog", "search"),
    ("hello there", "code"),
])
def test_router_rules(text, intent):
    assert route(text) == intent


def test_router_asks_the_fallback_only_when_no_rule_fires():
    asked = []

    def fallback(text):
        asked.append(text)
        return "explain"

    assert route("Write a parser", fallback) == "code" and asked == []
    assert route("hello there", fallback) == "explain" and asked == ["hello there"]
    with pytest.raises(ValueError, match="not one of"):
        route("hello", lambda _: "chat")


def test_request_options_from_body_or_model_name():
    known = ["AskBuddyX", "exp"]
    assert request_options({}, "AskBuddyX", known) == ("AskBuddyX", None)
    assert request_options({"askbuddyx": {"index": "shop"}}, "exp", known) == ("exp", "shop")
    assert request_options({}, "AskBuddyX+shop", known) == ("AskBuddyX", "shop")
    with pytest.raises(ApiError, match="give one"):
        request_options({"askbuddyx": {"index": "a"}}, "AskBuddyX+b", known)
    with pytest.raises(ApiError, match="must be an object"):
        request_options({"askbuddyx": "shop"}, "AskBuddyX", known)


def test_memory_rules_are_redacted_and_persist(tmp_path):
    store = MemoryStore(tmp_path / "m.sqlite")
    rule, redacted = store.add(f"Always use type hints. My key is {SECRET}")
    assert SECRET not in rule.rule and "[REDACTED]" in rule.rule and sum(redacted.values()) == 1
    second, _ = store.add("Prefer pathlib over os.path")
    store.close()
    again = MemoryStore(tmp_path / "m.sqlite")  # a restart: a new store on the same file
    assert [r.id for r in again.list()] == [rule.id, second.id]
    assert again.delete(rule.id) and not again.delete(rule.id)
    assert rules_prompt(again.list()).endswith("- Prefer pathlib over os.path")
    assert rules_prompt([]) == ""


class TavilyStub:
    """A loopback stand-in for Tavily's /search: records requests, answers canned results."""

    def __init__(self, status=200):
        self.status, self.requests = status, []

    async def handle(self, request):
        self.requests.append((request.headers.get("Authorization"), await request.json()))
        if self.status != 200:
            return web.json_response({"detail": "bad key"}, status=self.status)
        return web.json_response({"results": [
            {"title": "aiohttp 9 released", "url": "https://example.org/aiohttp-9",
             "content": "aiohttp 9 drops Python 3.9."}]})

    async def __aenter__(self):
        app = web.Application()
        app.router.add_post("/search", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/search"
        return self

    async def __aexit__(self, *exc):
        await self.runner.cleanup()


def test_tavily_search_against_a_loopback_stub():
    async def scenario():
        async with TavilyStub() as stub:
            results = await TavilySearch("tvly-test", stub.url).search("aiohttp release")
        async with TavilyStub(status=401) as failing:
            with pytest.raises(SearchFailed, match="HTTP 401"):
                await TavilySearch("tvly-wrong", failing.url).search("x")
        return stub, results

    stub, results = asyncio.run(scenario())
    assert [r.url for r in results] == ["https://example.org/aiohttp-9"]
    auth, body = stub.requests[0]
    assert auth == "Bearer tvly-test" and body["query"] == "aiohttp release"


def grounding_for(tmp_path, **kw) -> Grounding:
    return Grounding(GroundingConfig(indexes_dir=tmp_path / "indexes",
                                     memory_path=tmp_path / "memory.sqlite", **kw))


def test_the_model_breaks_ties_the_rules_leave_open(tmp_path, tokenizer, root):
    from askbuddyx.models import load_model

    model, tok = load_model(str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"))
    assert model_intent(model, tok, "hello there") in INTENTS  # always one of the three
    asked = []

    async def classify(question):
        asked.append(question)
        return "explain"

    async def scenario():
        g = grounding_for(tmp_path)
        open_tie = await ground(g, [{"role": "user", "content": "hello there"}], None,
                                tokenizer, classify)
        ruled = await ground(g, [{"role": "user", "content": "Write a parser"}], None,
                             tokenizer, classify)
        default = await ground(g, [{"role": "user", "content": "hello there"}], None,
                               tokenizer)
        g.close()
        return open_tie, ruled, default

    open_tie, ruled, default = asyncio.run(scenario())
    assert asked == ["hello there"]  # the rules decided "Write a parser"
    assert (open_tie.intent, open_tie.report()["intent_by"]) == ("explain", "model")
    assert open_tie.messages[0]["content"].startswith(PLAIN_SYSTEM_PROMPT)
    assert (ruled.intent, ruled.intent_by) == ("code", "rules")
    assert (default.intent, default.intent_by) == ("code", "default")


def test_ground_routes_prompt_adds_rules_and_search_results(tmp_path, tokenizer):
    async def scenario():
        async with TavilyStub() as stub:
            g = grounding_for(tmp_path, search_key="tvly-test", search_url=stub.url)
            g.memory.add("Answer in English")
            asked = [{"role": "user", "content": "Search the web for the latest aiohttp"}]
            searched = await ground(g, asked, None, tokenizer)
            code = await ground(g, [{"role": "user", "content": "Write a parser"}], None,
                                tokenizer)
            g.close()
            return searched, code

    searched, code = asyncio.run(scenario())
    assert searched.intent == "search" and searched.messages[0]["content"].startswith(
        PLAIN_SYSTEM_PROMPT)
    assert "- Answer in English" in searched.messages[0]["content"]
    assert "aiohttp 9 drops Python 3.9." in searched.messages[-1]["content"]
    assert searched.report()["search"]["results"][0]["url"] == "https://example.org/aiohttp-9"
    assert code.messages[0]["content"].startswith(SYSTEM_PROMPT) and code.search is None


def test_retrieved_chunks_stay_within_the_token_budget(tmp_path, tokenizer):
    repo = make_repo(tmp_path / "repo")
    ix = CodeIndex.open(tmp_path / "indexes" / "shop.sqlite", create=True)
    ix.update(repo)
    ix.close()
    question = "lower a price by a percentage"
    roomy = grounding_for(tmp_path, top_k=5, context_tokens=4000).retrieve("shop", question,
                                                                           tokenizer)
    tight = grounding_for(tmp_path, top_k=5, context_tokens=120).retrieve("shop", question,
                                                                          tokenizer)
    assert len(roomy) == 5 and 1 <= len(tight) < 5
    assert sum(len(tokenizer.encode(text)) for _, text in tight) <= 120
    assert tight[0][0].chunk.name == "apply_discount"
    with pytest.raises(ApiError, match="No index named 'nope'"):
        grounding_for(tmp_path).retrieve("nope", question, tokenizer)


# -- end to end, on the live server -----------------------------------------------------
def chat(server, content, model="AskBuddyX", **extra):
    body = {"model": model, "messages": [{"role": "user", "content": content}],
            "max_tokens": 16, **extra}
    return requests.post(server.url + "/v1/chat/completions", json=body,
                         headers=server.headers(), timeout=60)


@pytest.fixture(scope="module")
def shop_index(live_server, tmp_path_factory):
    """Our small repo, indexed where the live server looks (its cwd's outputs/indexes)."""
    repo = make_repo(tmp_path_factory.mktemp("shop"))
    ix = CodeIndex.open(live_server.chats_dir.parent / "outputs" / "indexes" / "shop.sqlite",
                        create=True)
    ix.update(repo)
    ix.close()
    return "shop"


def test_served_answer_cites_the_function_asked_about_by_behaviour(live_server, shop_index):
    question = "Which products have so few units left that we should order more?"
    r = chat(live_server, question, askbuddyx={"index": shop_index})
    assert r.status_code == 200, r.text
    data = r.json()
    path, start, end = FUNCTIONS["items_running_low"]
    sources = data["askbuddyx"]["sources"]
    assert (sources[0]["path"], sources[0]["start_line"], sources[0]["end_line"]) == (
        path, start, end), sources
    assert f"{path}:{start}-{end}" in data["usage"]["sources"]
    assert data["choices"][0]["message"]["content"]
    # The same through the model name, streamed: the first chunk says what was used.
    r = chat(live_server, question, model=f"AskBuddyX+{shop_index}", stream=True)
    first = json.loads(r.text.split("\n\n")[0].removeprefix("data: "))
    assert first["askbuddyx"]["sources"][0]["path"] == path and first["model"] == "AskBuddyX"


def test_indexes_are_listed_and_an_unknown_one_is_404(live_server, shop_index):
    r = requests.get(live_server.url + "/v1/indexes", headers=live_server.headers(), timeout=10)
    assert {"id": shop_index} in r.json()["data"]
    r = chat(live_server, "anything", askbuddyx={"index": "no-such-index"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "index_not_found"


def test_memory_rules_through_the_api_reach_the_prompt(live_server):
    url, headers = live_server.url + "/v1/memory", live_server.headers()
    before = chat(live_server, "Write a function to add two numbers").json()
    r = requests.post(url, json={"rule": f"Always use type hints; my token is {SECRET}"},
                      headers=headers, timeout=10)
    assert r.status_code == 201, r.text
    rule = r.json()
    try:
        assert SECRET not in rule["rule"] and "[REDACTED]" in rule["rule"]
        listed = requests.get(url, headers=headers, timeout=10).json()["data"]
        assert rule["id"] in [x["id"] for x in listed]
        after = chat(live_server, "Write a function to add two numbers").json()
        assert after["askbuddyx"]["memory_rules"] == [rule["id"]]
        assert after["usage"]["prompt_tokens"] > before["usage"]["prompt_tokens"]
    finally:
        deleted = requests.delete(f"{url}/{rule['id']}", headers=headers, timeout=10)
    assert deleted.status_code == 200 and deleted.json() == {"id": rule["id"], "deleted": True}
    assert requests.delete(f"{url}/{rule['id']}", headers=headers, timeout=10).status_code == 404
    assert requests.post(url, json={"rule": ""}, headers=headers, timeout=10).status_code == 400


def test_search_without_a_key_still_answers_and_says_search_is_off(live_server):
    r = chat(live_server, "Search the web for the latest aiohttp release")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["askbuddyx"]["intent"] == "search"
    assert data["askbuddyx"]["intent_by"] == "rules"
    assert data["askbuddyx"]["search"]["enabled"] is False
    assert "TAVILY_API_KEY" in data["askbuddyx"]["search"]["note"]
    assert data["choices"][0]["message"]["content"]


def test_a_message_no_rule_decides_is_routed_by_the_served_model(live_server):
    r = chat(live_server, "hello there")
    assert r.status_code == 200, r.text
    report = r.json()["askbuddyx"]
    assert report["intent_by"] == "model" and report["intent"] in INTENTS
