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
