"""Fuzz the live server (must-hold 3): hundreds of malformed requests, no 5xx, still alive.

Hypothesis builds request bodies three ways: arbitrary JSON values, chat-completion-shaped
objects whose fields have random types and values, and raw bytes; plus random methods on the
API's paths. Each must get a status below 500 with a JSON error body for 4xx. Afterwards the
server still answers /health and a normal completion.
"""

import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PATHS = ["/v1/chat/completions", "/v1/models", "/v1/adapters", "/v1/adapters/switch",
         "/v1/adapters/exp/load", "/v1/adapters/%00/unload", "/health", "/nope", "/"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=12,
)
anything = json_values | st.integers(min_value=-10**30, max_value=10**30)
message = st.fixed_dictionaries(
    {}, optional={"role": st.sampled_from(["user", "system", "assistant", "tool", "bot", ""])
                  | anything,
                  "content": st.text(max_size=40) | anything
                  | st.lists(st.fixed_dictionaries({"type": st.just("text"),
                                                    "text": st.text(max_size=20)}), max_size=2)})
chat_body = st.fixed_dictionaries(
    {},
    optional={
        "model": st.sampled_from(["AskBuddyX", "exp", "askbuddyx-tiny-qwen2-4bit", "x", ""])
        | anything,
        "messages": st.lists(message, max_size=3) | anything,
        "max_tokens": st.integers(min_value=-5, max_value=10**12) | anything,
        "temperature": st.floats() | anything,
        "top_p": st.floats() | anything,
        "stop": st.text(max_size=3) | st.lists(st.text(max_size=3), max_size=6) | anything,
        "stream": st.booleans() | anything,
        "stream_options": anything,
        "n": anything,
        "repetition_penalty": st.floats() | anything,
    },
)


def encode(value) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


bodies = (chat_body.map(encode) | json_values.map(encode) | st.binary(max_size=200)
          | st.text(max_size=60).map(str.encode))


@pytest.fixture(scope="module")
def session(live_server):
    s = requests.Session()
    s.headers.update(live_server.headers())
    yield s
    s.close()


def check(response):
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert "error" in response.json()


@pytest.mark.slow
def test_fuzz_chat_completions_never_5xx(live_server, session):
    seen = []

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(body=bodies, content_type=st.sampled_from(["application/json", "text/plain", ""]))
    def run(body, content_type):
        # A body that is valid by chance generates at most 256 tokens (the test server's
        # limit) and often far fewer: still cheap.
        r = session.post(live_server.url + "/v1/chat/completions", data=body, timeout=60,
                         headers={"Content-Type": content_type} if content_type else {})
        seen.append(r.status_code)
        check(r)

    run()
    assert len(seen) >= 300 and any(400 <= s < 500 for s in seen)


@pytest.mark.slow
def test_fuzz_routes_and_methods_never_5xx(live_server, session):
    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
           path=st.sampled_from(PATHS), body=bodies)
    def run(method, path, body):
        check(session.request(method, live_server.url + path, data=body, timeout=30))

    run()
    # Afterwards the server is alive and still serves completions.
    assert requests.get(live_server.url + "/health", timeout=10).json()["status"] == "ok"
    r = session.post(live_server.url + "/v1/chat/completions", timeout=60, json={
        "model": "AskBuddyX", "max_tokens": 8,
        "messages": [{"role": "user", "content": "Write a function to add two numbers"}]})
    assert r.status_code == 200 and r.json()["usage"]["completion_tokens"] > 0
