"""`askbuddyx serve` against a live server on the embedded model (tests/serve_live.py).

Covers the issue's must-hold 1 (the official openai client, completion + stream), the model
names, adapter management and switching time, the system prompt, stop/max_tokens, 4xx for bad
input, the API key, the per-request log line, and chat capture -> export-chats.
"""

import json
import threading
import time

import pytest
import requests

from askbuddyx.prompting import SYSTEM_PROMPT, build_messages, format_chat

QUESTION = "Write a function to reverse a string"


def chat(server, model="AskBuddyX", content=QUESTION, **extra):
    body = {"model": model, "messages": [{"role": "user", "content": content}],
            "max_tokens": 24, **extra}
    r = requests.post(server.url + "/v1/chat/completions", json=body, headers=server.headers(),
                      timeout=60)
    return r


def answer(server, model="AskBuddyX", **extra):
    r = chat(server, model, **extra)
    assert r.status_code == 200, r.text
    return r.json()


def test_openai_client_completion_and_stream(live_server):
    from openai import OpenAI

    client = OpenAI(base_url=live_server.url + "/v1", api_key=live_server.key, max_retries=0)
    done = client.chat.completions.create(
        model="AskBuddyX", messages=[{"role": "user", "content": QUESTION}], max_tokens=24)
    text = done.choices[0].message.content
    assert done.model == "AskBuddyX" and text
    assert done.choices[0].finish_reason in ("stop", "length")
    assert done.usage.completion_tokens > 0
    assert done.usage.total_tokens == done.usage.prompt_tokens + done.usage.completion_tokens

    stream = client.chat.completions.create(
        model="AskBuddyX", messages=[{"role": "user", "content": QUESTION}], max_tokens=24,
        stream=True, stream_options={"include_usage": True})
    pieces, finish, usage = [], None, None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            finish = choice.finish_reason or finish
    assert len(pieces) > 1, "the answer should arrive in several chunks"
    assert "".join(pieces) == text  # greedy: streaming changes the transport, not the answer
    assert finish == done.choices[0].finish_reason
    assert usage.completion_tokens == done.usage.completion_tokens


def test_models_lists_askbuddyx_adapters_and_base(live_server):
    r = requests.get(live_server.url + "/v1/models", headers=live_server.headers(), timeout=10)
    ids = [m["id"] for m in r.json()["data"]]
    assert ids[0] == "AskBuddyX"
    assert {"askbuddyx-tiny-qwen2-4bit", "exp", "AskBuddyX@0.1.0"} <= set(ids)


def test_unknown_model_is_openai_style_404(live_server):
    r = chat(live_server, model="gpt-4")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == "model_not_found" and err["param"] == "model"
    assert "gpt-4" in err["message"]


def test_api_key_required_except_health(live_server):
    assert requests.get(live_server.url + "/health", timeout=10).status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        r = requests.get(live_server.url + "/v1/models", headers=headers, timeout=10)
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
        r = requests.post(live_server.url + "/v1/chat/completions", headers=headers,
                          json={"messages": [{"role": "user", "content": "x"}]}, timeout=10)
        assert r.status_code == 401


def test_system_prompt_applied_when_client_sends_none(live_server, tokenizer):
    expected = len(tokenizer.encode(format_chat(tokenizer, build_messages(QUESTION),
                                                add_generation_prompt=True),
                                    add_special_tokens=False))
    assert answer(live_server)["usage"]["prompt_tokens"] == expected
    own = {"model": "AskBuddyX", "max_tokens": 4, "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}]}
    r = requests.post(live_server.url + "/v1/chat/completions", json=own,
                      headers=live_server.headers(), timeout=60)
    assert r.json()["usage"]["prompt_tokens"] < expected - len(tokenizer.encode(SYSTEM_PROMPT)) // 2


def text_of(server, model):
    return answer(server, model)["choices"][0]["message"]["content"]


def test_adapters_pick_the_weights_and_switch_at_runtime(live_server):
    url, h = live_server.url, live_server.headers()
    main, exp, base = (text_of(live_server, m)
                       for m in ("AskBuddyX", "exp", "askbuddyx-tiny-qwen2-4bit"))
    assert len({main, exp, base}) == 3, "each adapter (and the base) answers differently"
    assert text_of(live_server, "AskBuddyX@0.1.0") == exp  # same adapter, another name

    requests.post(f"{url}/v1/adapters/exp/unload", headers=h, timeout=10).raise_for_status()
    listed = {a["id"]: a for a in requests.get(f"{url}/v1/adapters", headers=h).json()["data"]}
    assert listed["exp"]["loaded"] is False

    t0 = time.perf_counter()
    r = requests.post(f"{url}/v1/adapters/switch", json={"name": "exp"}, headers=h, timeout=10)
    switch_s = time.perf_counter() - t0
    assert r.status_code == 200 and switch_s < 5, (r.text, switch_s)
    try:
        assert text_of(live_server, "AskBuddyX") == exp
    finally:
        r = requests.post(f"{url}/v1/adapters", headers=h, timeout=10,
                          json={"name": "main-again", "path": live_server.adapters["main"]})
        assert r.status_code == 201
        requests.post(f"{url}/v1/adapters/switch", json={"name": "main-again"}, headers=h,
                      timeout=10).raise_for_status()
    assert text_of(live_server, "AskBuddyX") == main
    r = requests.post(f"{url}/v1/adapters/main-again/load", headers=h, timeout=10)
    assert r.json()["loaded"] is True
    assert requests.delete(f"{url}/v1/adapters/main-again", headers=h).status_code == 200
    assert chat(live_server, model="main-again").status_code == 404
    r = requests.post(f"{url}/v1/adapters", headers=h, json={"name": "x", "path": "/nope"})
    assert r.status_code == 400 and "Adapter not found" in r.json()["error"]["message"]
    assert requests.post(f"{url}/v1/adapters/nope/load", headers=h).status_code == 404


def test_max_tokens_and_stop(live_server):
    short = answer(live_server, max_tokens=3)
    assert short["usage"]["completion_tokens"] == 3
    assert short["choices"][0]["finish_reason"] == "length"
    full = answer(live_server, max_tokens=40)["choices"][0]["message"]["content"]
    stop = full[len(full) // 2: len(full) // 2 + 3]
    assert stop.strip(), full
    cut = answer(live_server, max_tokens=40, stop=[stop])
    assert cut["choices"][0]["finish_reason"] == "stop"
    assert cut["choices"][0]["message"]["content"] == full[:full.index(stop)]


def test_concurrent_requests_all_answered(live_server):
    results = []

    def one(i):
        results.append(chat(live_server, content=f"{QUESTION} number {i}", max_tokens=16))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [200] * 6
    assert all(r.json()["usage"]["completion_tokens"] > 0 for r in results)
    health = requests.get(live_server.url + "/health", timeout=5).json()
    assert health["peak_batch"] >= 2, "concurrent requests were decoded in one batch"


BAD = [
    (b"", 400), (b"{", 400), (b"[1, 2]", 400), (b'"text"', 400), (b"\xff\xfe", 400),
    (b'{"messages": []}', 400), (b'{"messages": "hi"}', 400),
    (b'{"messages": [{"role": "user"}]}', 400),
    (b'{"messages": [{"role": "wizard", "content": "x"}]}', 400),
    (b'{"messages": [{"role": "system", "content": "only system"}]}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 100000000}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": "9"}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "temperature": NaN}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "temperature": -1}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "top_p": 0}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "stream": "yes"}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "stop": [1]}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "n": 0}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "n": 33}', 400),  # > serve.batch_size
    (b'{"messages": [{"role": "user", "content": "x"}], "n": 1.5}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "logprobs": "yes"}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "top_logprobs": 2}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "logprobs": true, '
     b'"top_logprobs": 21}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "seed": "7"}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "presence_penalty": 2.5}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "frequency_penalty": "1"}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "logit_bias": {"a": 1}}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "logit_bias": {"5": 101}}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "logit_bias": {"999999": 1}}', 400),
    (b'{"messages": [{"role": "user", "content": "x"}], "logit_bias": [1]}', 400),
    (b'{"model": 7, "messages": [{"role": "user", "content": "x"}]}', 400),
    (b"[" * 50000, 400),
    (b'{"messages": [{"role": "user", "content": "' + b"word " * 300000 + b'"}]}', 413),
]


@pytest.mark.parametrize("body,status", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_is_a_clean_4xx(live_server, body, status):
    r = requests.post(live_server.url + "/v1/chat/completions", data=body,
                      headers={**live_server.headers(), "Content-Type": "application/json"},
                      timeout=30)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["message"] and err["type"]


def test_prompt_too_long_is_400(live_server):
    r = chat(live_server, content="word " * 12000)
    assert r.status_code == 400 and r.json()["error"]["code"] == "context_length_exceeded"


def test_one_log_line_per_request(live_server):
    data = answer(live_server, max_tokens=5)
    usage = data["usage"]
    time.sleep(0.2)
    lines = [ln for ln in live_server.log_text().splitlines()
             if "POST /v1/chat/completions model=AskBuddyX status=200" in ln
             and f"prompt_tokens={usage['prompt_tokens']} completion_tokens=5" in ln]
    assert lines and "latency_ms=" in lines[-1] and lines[-1][:4].isdigit()
    # An error gets its line too (written before the response is sent).
    model = f"nope-{time.monotonic_ns()}"
    assert chat(live_server, model=model).status_code == 404
    assert any(f"POST /v1/chat/completions model={model} status=404 " in ln
               for ln in live_server.log_text().splitlines())


def test_captured_chats_are_redacted_and_export_as_chatml(live_server, tmp_path):
    from askbuddyx.serve.chats import export_chats

    secret = "sk-" + "A1b2C3d4" * 5
    r = chat(live_server, content=f"My key is {secret}. Write a function to add two numbers",
             max_tokens=48)
    assert r.status_code == 200
    logs = "".join(p.read_text() for p in live_server.chats_dir.glob("chats-*.jsonl"))
    assert "[REDACTED]" in logs and secret not in logs
    records = [json.loads(line) for line in logs.splitlines()]
    assert all(rec["messages"][-1]["role"] == "assistant" for rec in records)

    result = export_chats(live_server.chats_dir, tmp_path / "chats.jsonl", min_answer_chars=1)
    rows = [json.loads(line) for line in (tmp_path / "chats.jsonl").read_text().splitlines()]
    assert result["kept"] == len(rows) > 0
    assert all(set(row) == {"messages"} and row["messages"][-1]["role"] == "assistant"
               for row in rows)
    assert result["dropped"].get("cut off", 0) > 0  # max_tokens answers are not training data


def test_client_leaving_mid_stream_frees_its_slot(live_server):
    body = {"model": "AskBuddyX", "stream": True, "max_tokens": 256,
            "messages": [{"role": "user", "content": QUESTION}]}
    with requests.post(live_server.url + "/v1/chat/completions", json=body, stream=True,
                       headers=live_server.headers(), timeout=60) as r:
        assert r.status_code == 200
        first = next(r.iter_lines())
        assert first.startswith(b"data: ")
    deadline = time.time() + 10
    while time.time() < deadline:
        if requests.get(live_server.url + "/health", timeout=5).json()["active_requests"] == 0:
            break
        time.sleep(0.1)
    assert requests.get(live_server.url + "/health", timeout=5).json()["active_requests"] == 0
    assert answer(live_server, max_tokens=4)["usage"]["completion_tokens"] == 4


# -- the fields of the API edge: each works or is a 400 naming it (issue 15, must-hold 6) ---
def test_openai_client_gets_logprobs_and_n_answers(live_server):
    from openai import OpenAI

    client = OpenAI(base_url=live_server.url + "/v1", api_key=live_server.key, max_retries=0)
    done = client.chat.completions.create(
        model="AskBuddyX", messages=[{"role": "user", "content": QUESTION}], max_tokens=12,
        n=2, logprobs=True, top_logprobs=3)
    assert [c.index for c in done.choices] == [0, 1]
    assert done.usage.completion_tokens == sum(len(c.logprobs.content) for c in done.choices)
    for choice in done.choices:
        assert choice.message.content == done.choices[0].message.content  # greedy: the same
        for entry in choice.logprobs.content:
            assert len(entry.top_logprobs) == 3
            ranked = [t.logprob for t in entry.top_logprobs]
            assert ranked == sorted(ranked, reverse=True) and ranked[0] <= 0.0
            # Greedy picks the most likely token: it heads its own alternatives.
            assert entry.token == entry.top_logprobs[0].token
            assert abs(entry.logprob - ranked[0]) < 1e-4
        pieces = [e.token for e in choice.logprobs.content]
        assert "".join(pieces).strip() == choice.message.content.strip() or \
            any("\ufffd" in p for p in pieces)  # a byte token shows as U+FFFD alone

    stream = client.chat.completions.create(
        model="AskBuddyX", messages=[{"role": "user", "content": QUESTION}], max_tokens=12,
        n=2, logprobs=True, stream=True, stream_options={"include_usage": True})
    texts, tokens, finish = ["", ""], [[], []], [None, None]
    for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.logprobs is not None:
                tokens[choice.index] += [(e.token, e.logprob) for e in choice.logprobs.content]
            finish[choice.index] = choice.finish_reason or finish[choice.index]
    expected = [[(e.token, e.logprob) for e in c.logprobs.content] for c in done.choices]
    assert texts == [c.message.content for c in done.choices]
    assert [[t for t, _ in row] for row in tokens] == [[t for t, _ in row] for row in expected]
    assert finish == [c.finish_reason for c in done.choices]


def test_openai_client_tools_request_is_a_400_naming_the_field(live_server):
    import openai

    client = openai.OpenAI(base_url=live_server.url + "/v1", api_key=live_server.key,
                           max_retries=0)
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}}}
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="AskBuddyX", max_tokens=4, tools=[tool],
                                       messages=[{"role": "user", "content": "Weather?"}])
    assert info.value.body["param"] == "tools" and "'tools'" in info.value.body["message"]
    assert info.value.body["code"] == "unsupported_parameter"


UNSUPPORTED = [
    ("tools", [{"type": "function", "function": {"name": "f"}}]),
    ("tool_choice", "auto"),
    ("tool_choice", {"type": "function", "function": {"name": "f"}}),
    ("functions", [{"name": "f"}]),
    ("function_call", "auto"),
    ("response_format", {"type": "json_object"}),
    ("response_format", {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}),
]


@pytest.mark.parametrize("key,value", UNSUPPORTED, ids=[f"{k}-{i}" for i, (k, _)
                                                        in enumerate(UNSUPPORTED)])
def test_unsupported_fields_are_refused_by_name(live_server, key, value):
    r = chat(live_server, **{key: value})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["param"] == key and f"'{key}'" in err["message"]


def test_unsupported_fields_set_to_off_are_fine(live_server):
    r = chat(live_server, tools=[], tool_choice="none", response_format={"type": "text"},
             max_tokens=4)
    assert r.status_code == 200, r.text


def test_seed_makes_sampling_reproducible_and_n_answers_differ(live_server):
    def sampled(seed):
        data = answer(live_server, temperature=1.5, seed=seed, n=2, max_tokens=16)
        return [c["message"]["content"] for c in data["choices"]]

    first = sampled(7)
    assert sampled(7) == first  # same seed, same answers
    assert first[0] != first[1]  # the n answers of one request are different samples
    assert sampled(8) != first


def test_logit_bias_steers_the_tokens(live_server, tokenizer):
    forced = tokenizer.encode(" line", add_special_tokens=False)
    assert len(forced) == 1
    data = answer(live_server, max_tokens=4, logit_bias={str(forced[0]): 100})
    assert data["choices"][0]["message"]["content"].strip() == \
        tokenizer.decode(forced * 4).strip()

    plain = answer(live_server, max_tokens=1, logprobs=True, top_logprobs=2)
    first = plain["choices"][0]["logprobs"]["content"][0]
    banned = tokenizer.encode(first["token"], add_special_tokens=False)
    assert len(banned) == 1, first  # the greedy first token is one piece of text: ban it
    data = answer(live_server, max_tokens=1, logprobs=True, logit_bias={str(banned[0]): -100})
    assert data["choices"][0]["logprobs"]["content"][0]["token"] == \
        first["top_logprobs"][1]["token"]  # the runner-up wins


def test_presence_and_frequency_penalties_change_a_repetitive_answer(live_server):
    def tokens(**extra):
        data = answer(live_server, max_tokens=48, logprobs=True, **extra)
        return [e["token"] for e in data["choices"][0]["logprobs"]["content"]]

    plain = tokens()
    assert len(set(plain)) < len(plain), "the greedy answer repeats some token"
    for key in ("presence_penalty", "frequency_penalty"):
        penalized = tokens(**{key: 2.0})
        assert penalized != plain, key
        # Fewer repeats: each answer token seen before costs 2 logits.
        assert len(penalized) - len(set(penalized)) < len(plain) - len(set(plain)), key


def test_serve_dequantize_auto_means_float_weights_on_the_cpu(live_server):
    import mlx.core as mx

    expected = "float32 (serve.dequantize)" if mx.default_device() == mx.cpu else "as stored"
    assert f"weights {expected}" in live_server.log_text()
