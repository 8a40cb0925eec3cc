"""Fuzz the live server (must-hold 3): hundreds of malformed requests, no 5xx, still alive.

Hypothesis builds request bodies three ways: arbitrary JSON values, chat-completion-shaped
objects whose fields have random types and values, and raw bytes; plus random methods on the
API's paths. Each must get a status below 500 with a JSON error body for 4xx. Afterwards the
server still answers /health and a normal completion.

The generation fields of the OpenAI API (`n`, `logprobs`, `top_logprobs`, `seed`,
`logit_bias`, `presence_penalty`, `frequency_penalty`, `tools`, `tool_choice`,
`response_format`) must work or be refused: a valid request that sets any of them gets either
an answer that honours them, or a 400 whose `param` names one of them (issue 15).
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
        "n": st.integers(min_value=-2, max_value=200) | anything,
        "repetition_penalty": st.floats() | anything,
        **{key: strategy | anything for key, strategy in {
            "tools": st.lists(st.fixed_dictionaries({"type": st.just("function")}), max_size=2),
            "tool_choice": st.sampled_from(["none", "auto", "required"]),
            "response_format": st.sampled_from([{"type": "text"}, {"type": "json_object"}]),
            "logprobs": st.booleans(),
            "top_logprobs": st.integers(min_value=-2, max_value=30),
            "seed": st.integers(min_value=-2**70, max_value=2**70),
            "presence_penalty": st.floats(min_value=-3, max_value=3),
            "frequency_penalty": st.floats(min_value=-3, max_value=3),
            "logit_bias": st.dictionaries(st.integers(0, 4000).map(str) | st.text(max_size=4),
                                          st.floats(min_value=-150, max_value=150), max_size=3),
        }.items()},
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


FIELDS = {
    "n": st.integers(min_value=0, max_value=40),
    "logprobs": st.booleans() | st.none(),
    "top_logprobs": st.integers(min_value=0, max_value=22) | st.none(),
    "seed": st.integers(min_value=-2**64, max_value=2**65) | st.none(),
    "temperature": st.sampled_from([0.0, 0.7, 1.5]),
    "presence_penalty": st.floats(min_value=-2.5, max_value=2.5) | st.none(),
    "frequency_penalty": st.floats(min_value=-2.5, max_value=2.5) | st.none(),
    "logit_bias": st.dictionaries(st.integers(0, 3100).map(str),
                                  st.floats(min_value=-120, max_value=120), max_size=3)
    | st.none(),
    "tools": st.just([]) | st.just([{"type": "function", "function": {"name": "f"}}])
    | st.none(),
    "tool_choice": st.sampled_from(["none", "auto", None]),
    "response_format": st.sampled_from([{"type": "text"}, {"type": "json_object"}, None]),
}


def honoured(body: dict, data: dict) -> None:
    """A 200 answer does what the request's generation fields asked."""
    choices = data["choices"]
    assert [c["index"] for c in choices] == list(range(body.get("n", 1)))
    for choice in choices:
        if body.get("logprobs"):
            entries = choice["logprobs"]["content"]
            assert all(len(e["top_logprobs"]) == (body.get("top_logprobs") or 0)
                       for e in entries)
        else:
            assert choice["logprobs"] is None
    assert data["usage"]["completion_tokens"] <= 2 * len(choices)


@pytest.mark.slow
def test_fuzz_generation_fields_work_or_are_refused_by_name(live_server, session):
    seen = {"answered": 0, "refused": 0}

    @settings(max_examples=150, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(fields=st.fixed_dictionaries({}, optional=FIELDS))
    def run(fields):
        body = {"model": "AskBuddyX", "max_tokens": 2,
                "messages": [{"role": "user", "content": "Write a function to add numbers"}],
                **{k: v for k, v in fields.items() if v is not None}}
        r = session.post(live_server.url + "/v1/chat/completions", json=body, timeout=60)
        if r.status_code == 200:
            seen["answered"] += 1
            honoured(body, r.json())
        else:
            seen["refused"] += 1
            assert r.status_code == 400, r.text
            assert r.json()["error"]["param"] in FIELDS, r.text

    run()
    assert seen["answered"] > 10 and seen["refused"] > 10, seen
