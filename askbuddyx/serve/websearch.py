"""The `search` tool: web results from Tavily's HTTP API, when TAVILY_API_KEY is set.

    TAVILY_API_KEY=tvly-... askbuddyx serve       # or a line in .env

A request the intent router calls "search" asks Tavily (POST `serve.search_url`, default
https://api.tavily.com/search, `Authorization: Bearer <key>`, {"query", "max_results"}) and
gets its results' titles, URLs and text into the context; its response lists the URLs. With
no key the request is answered all the same and its `askbuddyx.search` says search is off.
The key is read like the server's own (environment first, then `.env`, with python-dotenv).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import aiohttp

KEY_ENV = "TAVILY_API_KEY"
DEFAULT_URL = "https://api.tavily.com/search"
OFF_NOTE = f"web search is off: set {KEY_ENV} (environment or .env) to turn it on"


@dataclass(frozen=True)
class WebResult:
    title: str
    url: str
    content: str


class SearchFailed(Exception):
    pass


def read_search_key(env_file: str | Path = ".env") -> str | None:
    key = os.environ.get(KEY_ENV)
    if key is None and Path(env_file).is_file():
        from dotenv import dotenv_values

        key = dotenv_values(env_file).get(KEY_ENV)
    return key or None


@dataclass(frozen=True)
class TavilySearch:
    """Tavily's search endpoint; `timeout_s` bounds one call."""

    api_key: str
    url: str = DEFAULT_URL
    max_results: int = 3
    timeout_s: float = 10.0

    async def search(self, query: str) -> list[WebResult]:
        body = {"query": query, "max_results": self.max_results, "search_depth": "basic"}
        headers = {"Authorization": f"Bearer {self.api_key}"}
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, session.post(
                    self.url, json=body, headers=headers) as resp:
                if resp.status != 200:
                    raise SearchFailed(f"Tavily answered HTTP {resp.status}: "
                                       f"{(await resp.text())[:200]}")
                data = await resp.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SearchFailed(f"Tavily did not answer ({type(exc).__name__}: {exc})") from None
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise SearchFailed("Tavily's answer has no 'results' list")
        return [WebResult(str(r.get("title", "")), str(r.get("url", "")),
                          str(r.get("content", ""))[:1500])
                for r in results if isinstance(r, dict)]
