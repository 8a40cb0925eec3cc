"""LoRA training through mlx-lm: validation errors, byte-identical adapters for one seed, and
training over a dequantized (float32) base whose adapter loads over the 4-bit one."""

import pytest

from askbuddyx.errors import AskBuddyXError
from askbuddyx.train.job import Hyperparameters, TrainJob
from askbuddyx.train.lora import train_adapter

HP = dict(seed=0, iters=3, batch_size=2, learning_rate=1.0e-3, warmup=1, rank=4, alpha=8,
          dropout=0.0, num_layers=-1, max_seq_length=256, mask_prompt=True, val_batches=1,
          steps_per_report=1, steps_per_eval=2)


def test_bad_hyperparameters_are_clear_errors():
    with pytest.raises(AskBuddyXError, match="learning_rate"):
        Hyperparameters(**dict(HP, learning_rate=0))
    with pytest.raises(AskBuddyXError, match="write 2.0e-5"):
        Hyperparameters(**dict(HP, learning_rate="2e-5"))
    with pytest.raises(AskBuddyXError, match="warmup"):
        Hyperparameters(**dict(HP, warmup=5))


def test_bad_dequantize_names_the_train_key(tmp_path, data_dir, root):
    job = TrainJob(model=str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"),
                   data_dir=data_dir, adapter_dir=tmp_path, hp=Hyperparameters(
                       **dict(HP, dequantize="sometimes")))
    with pytest.raises(AskBuddyXError, match="train.dequantize must be auto, true or false"):
        train_adapter(job)


def train(root, data_dir, adapter_dir, **hp):
    return train_adapter(TrainJob(model=str(root / "assets/models/askbuddyx-tiny-qwen2-4bit"),
                                  data_dir=data_dir, adapter_dir=adapter_dir,
                                  hp=Hyperparameters(**dict(HP, **hp))))


@pytest.mark.slow
def test_same_seed_same_adapter_bytes(tmp_path, data_dir, root):
    a = train(root, data_dir, tmp_path / "a")
    b = train(root, data_dir, tmp_path / "b")
    assert a.train_curve == b.train_curve and len(a.train_curve) == 3
    assert (tmp_path / "a/adapters.safetensors").read_bytes() == \
        (tmp_path / "b/adapters.safetensors").read_bytes()
    assert 0 < a.trainable_parameters < a.total_parameters
    assert a.metrics() == b.metrics() and a.metrics()["final_train_loss"] > 0


@pytest.mark.slow
def test_float_base_adapter_loads_over_the_4bit_base(tmp_path, data_dir, root):
    """dequantize=true trains over float32 weights; the adapter file is the same kind as
    QLoRA's: over the 4-bit base it gives (nearly) the validation loss it was trained to."""
    import mlx.core as mx
    import mlx.nn as nn
    from mlx.utils import tree_flatten
    from mlx_lm.tuner.datasets import load_dataset

    from askbuddyx.models import load_model
    from askbuddyx.train.checkpoint import BatchStream
    from askbuddyx.train.lora import mlx_lm_args, validation_loss

    result = train(root, data_dir, tmp_path / "f", dequantize=True, iters=4, learning_rate=1e-2)
    assert result.provenance.dequantized is True
    assert result.run_meta()["dequantized"] is True
    model_path = str(root / "assets/models/askbuddyx-tiny-qwen2-4bit")
    model, tokenizer = load_model(model_path, adapter_path=str(tmp_path / "f"))
    assert any(isinstance(m, nn.QuantizedLinear) for _, m in model.named_modules())
    saved = mx.load(str(tmp_path / "f/adapters.safetensors"))
    params = dict(tree_flatten(model.parameters()))
    assert all(mx.array_equal(params[name], value).item() for name, value in saved.items())
    hp = Hyperparameters(**dict(HP, iters=4))
    args = mlx_lm_args(model_path, data_dir, tmp_path / "f", hp)
    _, valid, _ = load_dataset(args, tokenizer)
    over_4bit = validation_loss(model, valid, args, BatchStream(hp.seed))
    assert over_4bit == pytest.approx(result.final_val_loss, rel=1e-3)
    assert result.final_val_loss < result.val_curve[0][1]  # it learned something
