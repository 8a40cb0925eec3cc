"""A code request is verified in the sandbox, and with serve.candidates > 1 the answer given is
the first best of several (askbuddyx.serve.completions, askbuddyx.sandbox.verify).

The embedded tiny model writes no code that runs, so which candidate wins is checked on fixed
answers (`_verified`); the live server shows the candidates are generated, counted, reported
and reproducible, and that a streamed answer gets its verdict in a last chunk.
"""

import asyncio
import json
from types import SimpleNamespace

import pytest
import requests

from askbuddyx.serve.completions import _candidate_sampling, _verified
from askbuddyx.serve.schema import SamplingParams
from askbuddyx.serve.state import CONFIG, ServeConfig
from tests.serve_live import start_server
from tests.test_sandbox_verify import CRASH, GOOD, WRONG

QUESTION = "Write a function to reverse a string"


def test_the_first_answer_whose_sanity_test_passes_is_given():
    app = {CONFIG: ServeConfig(candidates=3)}
    answers = [SimpleNamespace(text=t) for t in (WRONG, CRASH, GOOD)]
    chosen, report = asyncio.run(_verified(app, answers))
    assert chosen == 2 and report["sanity_passed"] and report["candidates"] == 3
    chosen, report = asyncio.run(_verified(app, answers[:2]))  # none passes: the one that runs
    assert chosen == 0 and report["runnable"] and "AssertionError" in report["error"]


def test_candidates_after_the_first_are_sampled_from_a_fixed_seed():
    greedy = SamplingParams(temperature=0.0)
    cfg = ServeConfig(candidates=4, candidate_temperature=0.7)
    assert _candidate_sampling(greedy, cfg, 0) is greedy
    sampled = _candidate_sampling(greedy, cfg, 2)
    assert sampled.temperature == 0.7 and sampled.seed == 0
    assert _candidate_sampling(SamplingParams(seed=9), cfg, 1).seed == 9


@pytest.fixture(scope="module")
def picking_server(tmp_path_factory):
    from tests.serve_live import free_port

    server = start_server(tmp_path_factory.mktemp("verify"), free_port(),
                          ("--candidates", "3"))
    yield server
    server.proc.terminate()
    server.proc.wait(timeout=15)


def post(server, **extra):
    body = {"model": "AskBuddyX", "max_tokens": 24,
            "messages": [{"role": "user", "content": QUESTION}], **extra}
    return requests.post(server.url + "/v1/chat/completions", json=body,
                         headers=server.headers(), timeout=120)


def test_a_greedy_code_request_gets_candidates_and_says_which(picking_server):
    r = post(picking_server)
    assert r.status_code == 200, r.text
    body = r.json()
    verified = body["askbuddyx"]["verified"]
    assert verified["candidates"] == 3 and 0 <= verified["chosen"] < 3
    assert set(verified) >= {"runnable", "sanity_passed", "runnable_status", "sanity_status"}
    assert len(body["choices"]) == 1 and body["choices"][0]["index"] == 0
    assert body["usage"]["completion_tokens"] > 24  # every candidate's tokens are counted
    again = post(picking_server).json()  # a fixed seed: the same request, the same answer
    assert again["choices"][0]["message"]["content"] == body["choices"][0]["message"]["content"]


def test_sampled_requests_and_explanations_are_not_replaced(picking_server):
    sampled = post(picking_server, temperature=0.9, seed=1).json()
    assert sampled["askbuddyx"]["verified"]["candidates"] == 1  # verified, not replaced
    assert sampled["usage"]["completion_tokens"] <= 24
    several = post(picking_server, n=2).json()  # n answers asked for: all of them, as is
    assert len(several["choices"]) == 2 and "verified" not in several.get("askbuddyx", {})
    prose = post(picking_server, messages=[{"role": "user",
                                            "content": "Explain what a generator is."}]).json()
    assert prose["askbuddyx"]["intent"] == "explain" and "verified" not in prose["askbuddyx"]
    assert prose["usage"]["completion_tokens"] <= 24  # one answer: nothing to pick from


def test_a_streamed_answer_gets_its_verdict_last(picking_server):
    r = post(picking_server, stream=True)
    events = [json.loads(line[6:]) for line in r.text.splitlines()
              if line.startswith("data: {")]
    verdicts = [e["askbuddyx"]["verified"] for e in events
                if "verified" in e.get("askbuddyx", {})]
    assert len(verdicts) == 1 and verdicts[0]["candidates"] == 1
    assert "verified" in events[-1]["askbuddyx"] and r.text.rstrip().endswith("data: [DONE]")
