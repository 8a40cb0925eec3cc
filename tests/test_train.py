"""LoRA training through mlx-lm: validation errors, and byte-identical adapters for one seed."""

import pytest

from askbuddyx.errors import AskBuddyXError
from askbuddyx.train.lora import run_lora_training, validate_hyperparameters

HP = dict(seed=0, iters=3, batch_size=2, learning_rate=1.0e-3, warmup=1, rank=4, alpha=8,
          dropout=0.0, num_layers=-1, max_seq_length=256, mask_prompt=True, val_batches=1,
          steps_per_report=1, steps_per_eval=2)


def test_bad_hyperparameters_are_clear_errors():
    with pytest.raises(AskBuddyXError, match="learning_rate"):
        validate_hyperparameters(dict(HP, learning_rate=0))
    with pytest.raises(AskBuddyXError, match="write 2.0e-5"):
        validate_hyperparameters(dict(HP, learning_rate="2e-5"))
    with pytest.raises(AskBuddyXError, match="warmup"):
        validate_hyperparameters(dict(HP, warmup=5))


@pytest.mark.slow
def test_same_seed_same_adapter_bytes(tmp_path, data_dir, root):
    model = str(root / "assets/models/askbuddyx-tiny-qwen2-4bit")
    a = run_lora_training(model, data_dir, tmp_path / "a", HP)
    b = run_lora_training(model, data_dir, tmp_path / "b", HP)
    assert a["train_curve"] == b["train_curve"] and len(a["train_curve"]) == 3
    assert (tmp_path / "a/adapters.safetensors").read_bytes() == \
        (tmp_path / "b/adapters.safetensors").read_bytes()
    assert 0 < a["trainable_parameters"] < a["total_parameters"]
