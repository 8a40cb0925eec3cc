"""Batched evaluation generation: the shared-prefix cache and length sorting change nothing
in the answers, only the time."""

from askbuddyx.eval.run import generate_answers, shared_prefix


def test_shared_prefix_leaves_every_prompt_a_token():
    assert shared_prefix([[1, 2, 3, 4], [1, 2, 3, 9], [1, 2, 7]]) == [1, 2]
    assert shared_prefix([[1, 2], [1, 2, 3]]) == [1]
    assert shared_prefix([[5, 6]]) == [5]
    assert shared_prefix([]) == []


def test_prefix_reuse_and_sorting_give_the_same_greedy_answers(root):
    from askbuddyx.models import load_model

    model, tokenizer = load_model(str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"))
    prompts = ["Write a Python function to reverse a string",
               "Explain Python decorators in detail, with an example of a timing decorator",
               "How do I sort a dictionary by value?"]
    plain = generate_answers(model, tokenizer, prompts, 24, 3, 1.3, reuse_prefix=False,
                             prefill_batch_size=3)
    fast = generate_answers(model, tokenizer, prompts, 24, 3, 1.3, prefill_batch_size=2)
    assert fast == plain and all(plain)


def test_the_progress_bar_generation_gives_batch_generates_answers(root):
    from mlx_lm.generate import batch_generate

    from askbuddyx.eval.run import generate_with_progress
    from askbuddyx.models import load_model
    from askbuddyx.prompting import build_messages

    model, tokenizer = load_model(str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"))
    prompts = [tokenizer.apply_chat_template(build_messages(p), add_generation_prompt=True)
               for p in ("Write a Python function to reverse a string", "Sort a dict by value")]
    want = batch_generate(model, tokenizer, prompts, max_tokens=20, completion_batch_size=2,
                          prefill_batch_size=2).texts
    got = generate_with_progress(model, tokenizer, prompts, None, 20, completion_batch_size=2,
                                 prefill_batch_size=2)
    assert got == want and all(want)


def test_float_weights_for_generation_keep_the_greedy_answers(root):
    """eval.dequantize: the adapter's quantized base becomes float32 (LoRA layers too) and
    greedy answers stay those of the 4-bit weights; a second call has nothing to do."""
    import mlx.core as mx
    import mlx.nn as nn
    from mlx.utils import tree_flatten
    from mlx_lm.tuner.lora import LoRALinear
    from mlx_lm.tuner.utils import linear_to_lora_layers

    from askbuddyx.models import dequantize_for_generation, load_model

    model, tokenizer = load_model(str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"))
    linear_to_lora_layers(model, 2, {"rank": 4, "scale": 10.0, "dropout": 0.0})
    # A trained adapter's lora_b is not zero: make these LoRA layers change the answers too.
    for _, m in model.named_modules():
        if isinstance(m, LoRALinear):
            m.lora_b = mx.random.normal(m.lora_b.shape, key=mx.random.key(0)) * 0.05
    prompts = ["Write a Python function to reverse a string", "What is a list comprehension?"]
    quantized = generate_answers(model, tokenizer, prompts, 24, 2, 1.2)
    assert dequantize_for_generation(model) is True
    assert not [name for name, m in model.named_modules()
                if isinstance(m, (nn.QuantizedLinear, nn.QuantizedEmbedding))]
    assert {v.dtype for _, v in tree_flatten(model.parameters())} == {mx.float32}
    assert generate_answers(model, tokenizer, prompts, 24, 2, 1.2) == quantized
    assert dequantize_for_generation(model) is False


def test_dequantize_setting_is_checked():
    import mlx.core as mx
    import pytest

    from askbuddyx.errors import AskBuddyXError
    from askbuddyx.models import wants_float_weights

    assert wants_float_weights(True) and wants_float_weights("true")
    assert not wants_float_weights(False) and not wants_float_weights("False")
    assert wants_float_weights("auto") == (mx.default_device() == mx.cpu)
    with pytest.raises(AskBuddyXError, match="auto, true or false"):
        wants_float_weights("sometimes")


def test_eval_settings_come_from_the_project_then_the_flags(tmp_path, monkeypatch, root):
    """`askbuddyx eval run` from any directory reads the project's params.yaml (not the
    current directory's), and a flag such as `--dequantize false` beats it."""
    import yaml

    from askbuddyx.cli import build_parser
    from askbuddyx.config import load_stage_params
    from askbuddyx.eval.cli import settings

    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"eval": {"max_tokens": 1}}))
    monkeypatch.chdir(tmp_path)  # a params.yaml here must not be read
    parse = build_parser().parse_args
    project = load_stage_params(["eval.max_tokens", "eval.dequantize"], root / "params.yaml")
    config = settings(parse(["eval", "run"]))
    assert config.max_tokens == project["eval.max_tokens"] != 1
    assert config.dequantize == project["eval.dequantize"]
    assert settings(parse(["eval", "run", "--dequantize", "false"])).dequantize == "false"
    assert settings(parse(["eval", "run", "--max-tokens", "7"])).max_tokens == 7


def test_a_comparison_file_names_the_adapter_it_measured(tmp_path):
    """metrics/eval_full.json is no DVC output: the adapter's sha256 in it is what says
    whether its figures are for the adapter that dvc.lock records."""
    import hashlib

    from askbuddyx.eval.cli import models_compared

    adapter = tmp_path / "adapter"
    adapter.mkdir()
    assert models_compared("models/base", str(adapter))["adapter_sha256"] is None
    (adapter / "adapters.safetensors").write_bytes(b"weights")
    found = models_compared("models/base", str(adapter))
    assert found == {"base": "models/base", "adapter": str(adapter),
                     "adapter_sha256": hashlib.sha256(b"weights").hexdigest()}
