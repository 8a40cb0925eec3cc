"""The engine's mlx-lm pieces without HTTP: logits processors, the seeded sampler, logprobs,
and the registry's float weights (`serve.dequantize`) shared by every adapter."""

import mlx.core as mx
import pytest

from askbuddyx.serve.engine import logits_processors, seeded_sampler, token_logprob
from askbuddyx.serve.schema import SamplingParams
from tests.serve_live import EMBEDDED_MODEL


def processed(sampling: SamplingParams, context: list, prompt_len: int) -> list:
    logits = mx.zeros((1, 8))
    for processor in logits_processors(sampling, prompt_len=prompt_len, max_tokens=16):
        logits = processor(mx.array(context), logits)
    return logits[0].tolist()


def test_openai_penalties_count_the_answer_only():
    # Prompt tokens 1, 1, 2; answer so far 3, 3, 4.
    context = [1, 1, 2, 3, 3, 4]
    presence = processed(SamplingParams(presence_penalty=0.5), context, prompt_len=3)
    assert presence == [0, 0, 0, -0.5, -0.5, 0, 0, 0]
    frequency = processed(SamplingParams(frequency_penalty=0.5), context, prompt_len=3)
    assert frequency == [0, 0, 0, -1.0, -0.5, 0, 0, 0]
    # Nothing generated yet: nothing to penalize (the prompt's tokens are free to repeat).
    assert processed(SamplingParams(frequency_penalty=2.0), [1, 2], prompt_len=2) == [0] * 8


def test_logit_bias_and_repetition_penalty():
    assert processed(SamplingParams(logit_bias={2: 5.0, 7: -100.0}), [1], prompt_len=1) == \
        [0, 0, 5.0, 0, 0, 0, 0, -100.0]
    assert logits_processors(SamplingParams(), prompt_len=3, max_tokens=8) == []
    assert len(logits_processors(SamplingParams(repetition_penalty=1.3), 3, 8)) == 1


def draws(sampler, steps=12) -> list:
    logprobs = mx.log(mx.ones((1, 50)) / 50)  # uniform: every draw is up to the key
    return [sampler(logprobs).item() for _ in range(steps)]


def test_seeded_sampler_is_its_own_random_stream():
    mx.random.seed(0)
    first = draws(seeded_sampler(1.0, 1.0, seed=42, choice=0))
    mx.random.seed(123)  # the global random state does not matter
    assert draws(seeded_sampler(1.0, 1.0, seed=42, choice=0)) == first
    assert draws(seeded_sampler(1.0, 1.0, seed=42, choice=1)) != first
    assert draws(seeded_sampler(1.0, 1.0, seed=43, choice=0)) != first
    assert len(set(first)) > 3  # it samples, it does not repeat one token


def test_token_logprob_ranks_the_alternatives():
    logprobs = mx.log(mx.array([0.1, 0.6, 0.05, 0.25]))
    entry = token_logprob(logprobs, token=3, top=2, start=5)
    assert (entry.start, entry.token) == (5, 3)
    assert entry.logprob == pytest.approx(mx.log(mx.array(0.25)).item())
    assert [t for t, _ in entry.top] == [1, 3]
    assert token_logprob(logprobs, token=0, top=0, start=0).top == []


@pytest.fixture(scope="module")
def adapters(tmp_path_factory):
    from askbuddyx.serve.demo_adapter import make_demo_adapter

    tmp = tmp_path_factory.mktemp("adapters")
    return {name: str(make_demo_adapter(str(EMBEDDED_MODEL), tmp / name, seed=seed))
            for seed, name in enumerate(("main", "exp"), start=1)}


def greedy(served, prompt: str = "Write a function to reverse a string") -> str:
    from mlx_lm.generate import generate

    from askbuddyx.prompting import build_messages, format_chat

    text = format_chat(served.tokenizer, build_messages(prompt), add_generation_prompt=True)
    return generate(served.model, served.tokenizer, text, max_tokens=24)


def test_float_weights_keep_adapters_shared_and_answers_the_same(adapters):
    import mlx.nn as nn

    from askbuddyx.serve.registry import ASKBUDDYX, Registry

    names = ("askbuddyx-tiny-qwen2-4bit", ASKBUDDYX, "exp")
    quantized = Registry(str(EMBEDDED_MODEL), adapters["main"], {"exp": adapters["exp"]})
    before = {name: greedy(quantized.get(name)) for name in names}
    assert len(set(before.values())) == 3

    floats = Registry(str(EMBEDDED_MODEL), adapters["main"], {"exp": adapters["exp"]},
                      float_weights=True)
    assert floats.float_weights and not quantized.float_weights
    assert not any(isinstance(m, (nn.QuantizedLinear, nn.QuantizedEmbedding))
                   for name in names for _, m in floats.get(name).model.named_modules())
    assert {name: greedy(floats.get(name)) for name in names} == before

    # Every adapter wraps the one float base: the very same arrays, not copies.
    base_q = floats.base_model.model.layers[0].self_attn.q_proj.weight
    for name in (ASKBUDDYX, "exp"):
        lora = floats.get(name).model.model.layers[0].self_attn.q_proj
        assert lora.linear.weight is base_q and lora.linear.weight.dtype == mx.float32

    # An adapter loaded later (registered at run time, made current) works the same way.
    floats.register("again", adapters["exp"])
    floats.unload("exp")
    floats.switch("again")
    assert greedy(floats.get(ASKBUDDYX)) == before["exp"]


def last_logits(served, text: str = "def reverse_string(s):") -> mx.array:
    logits = served.model(mx.array([served.tokenizer.encode(text)]))[0, -1]
    mx.eval(logits)
    return logits


@pytest.mark.slow
def test_smol_is_served_with_float_weights_and_switchable_adapters(smol_base, tmp_path):
    """The default base (SmolLM2-135M, 4-bit from its GGUF): with `serve.dequantize` the
    server's models give the logits of the exact float32 model (eval's way), base and adapters
    alike, and every adapter wraps the one float base. Logits, not generated answers: without
    OpenBLAS (pytest does not re-exec with it) a token of SmolLM2 costs seconds here."""
    from askbuddyx.serve.demo_adapter import make_demo_adapter
    from askbuddyx.serve.registry import ASKBUDDYX, Registry, ServedModel
    from tests.smol import float32_model

    adapters = {name: str(make_demo_adapter(str(smol_base), tmp_path / name, seed=seed))
                for seed, name in enumerate(("main", "exp"), start=1)}
    registry = Registry(str(smol_base), adapters["main"], {"exp": adapters["exp"]},
                        float_weights=True)
    assert registry.float_weights
    served = {name: last_logits(registry.get(name))
              for name in (registry.base_name, ASKBUDDYX, "exp")}
    for name, adapter in ((registry.base_name, None), (ASKBUDDYX, adapters["main"]),
                          ("exp", adapters["exp"])):
        exact = last_logits(ServedModel(name, (name,), *float32_model(smol_base,
                                                                      adapter_path=adapter)))
        assert mx.allclose(served[name], exact, atol=1e-4).item(), name
    assert mx.abs(served[ASKBUDDYX] - served["exp"]).max().item() > 0.1  # adapters matter
    base_q = registry.base_model.model.layers[0].self_attn.q_proj.weight
    assert registry.get("exp").model.model.layers[0].self_attn.q_proj.linear.weight is base_q
