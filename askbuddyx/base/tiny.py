"""Build the embedded offline base model: a tiny Qwen2, 4-bit, made from our own data.

The release base model (mlx-community/Qwen2.5-Coder-0.5B-Instruct-4bit) lives on the Hugging
Face hub. So that the whole pipeline runs offline, in minutes, on 2 CPU cores, we ship a
stand-in of the same architecture family (Qwen2, ChatML template, 4-bit affine quantization,
group size 64) built deterministically from the bundled datasets:

1. a byte-level BPE tokenizer trained with `tokenizers` on our corpus, with Qwen's special
   tokens and a ChatML chat template;
2. a Qwen2 model (`mlx_lm.models.qwen2`) pretrained briefly, with mlx-lm's own trainer, on
   chats whose answers are plain code in ```python fences, as chat code models write them,
   but with no runnable-first headings: a function, then a call, then asserts, each in its
   own block. The base emits code but not the AskBuddyX format, so the adapter has something
   visible to learn. The prompts the pipeline holds out for the format evaluation
   (`pick_curated_holdout`) are left out here too;
3. quantized to 4-bit with `mlx_lm.convert` (affine, group size 64, like the mlx-community
   release model), so LoRA wraps 4-bit layers (QLoRA) in both profiles. Only the tied
   embedding stays float32: see `quantize_all_but_embeddings`.

Run it (about 30 minutes on 2 CPU cores):

    askbuddyx build-base-model --output assets/models/askbuddyx-tiny-qwen2-4bit

The result is committed; `tests/test_tiny_model.py` rebuilds it and checks the bytes match.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from askbuddyx.data.io import read_jsonl
from askbuddyx.data.prepare import DEFAULT_HOLDOUT, pick_curated_holdout
from askbuddyx.prompting import HEADINGS, SECTION_KEYS, SYSTEM_PROMPT, split_sections, user_message

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
DEFAULT_SYSTEM = "You are a helpful assistant."

# ChatML, as Qwen2 uses it: a default system turn when the chat has none.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "{{ '<|im_start|>system\\n" + DEFAULT_SYSTEM + "<|im_end|>\\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# Qwen2's pre-tokenizer split pattern. transformers' Qwen2Tokenizer re-applies it whatever
# tokenizer.json says, so our BPE is trained with it too (merges that cross it never fire).
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)


@dataclass(frozen=True)
class TinyModelSpec:
    """Hyperparameters of the embedded base model. Defaults are what ships."""

    vocab_size: int = 3072
    hidden_size: int = 64
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    intermediate_size: int = 192
    max_position_embeddings: int = 2048
    pretrain_iters: int = 600
    batch_size: int = 16
    learning_rate: float = 5.0e-3
    system_prompt_share: float = 0.25
    # Curated answers (as plain code: solution, usage, asserts, each in its own fence) repeat
    # this many times (~45% of the pretraining chats), so the base knows docstrings with
    # Args/Returns and writes a call and asserts after a function the way a real code model
    # does; the adapter then has only the headings to learn. At 6 repeats the base mostly
    # stopped after one block and the adapter wrote all three headings on 2-3 of 20 prompts.
    # The prompts held out for evaluation (data.seed / data.curated_holdout, shared by every
    # profile in conf/config.yaml) are left out, as in the pipeline.
    curated_repeats: int = 20
    holdout_seed: int = 42
    curated_holdout: dict = field(default_factory=lambda: dict(DEFAULT_HOLDOUT))
    max_seq_length: int = 512
    seed: int = 0
    q_bits: int = 4
    q_group_size: int = 64


def code_blocks(output: str) -> list[str]:
    """The code of each section of a runnable-first answer: solution, usage, asserts.

    An answer without the format comes back whole, as one block.
    """
    if HEADINGS[0] not in output:
        return [output.strip()] if output.strip() else []
    sections = split_sections(output)
    return [sections[key].strip() for key in SECTION_KEYS if sections[key].strip()]


def base_answer(output: str, is_code: bool = True) -> str:
    """Turn a runnable-first answer into the answer a generic chat code model would give.

    Each block of code (solution, then usage, then the asserts) in its own ```python fence,
    the way instruct models answer, but with no headings: the base writes a function, a call
    and a check, and never sees the format. Teaching the headings is left to the adapter, as
    with a real base. Prose answers (`is_code` False) stay as they are.
    """
    if HEADINGS[0] not in output and not is_code:
        return output
    return "\n\n".join(f"```python\n{block}\n```" for block in code_blocks(output))


def pretraining_chats(records: list[dict], seed: int, system_share: float) -> list[list[dict]]:
    """Chats for pretraining: user asks, assistant answers with plain code.

    A `system_share` of the chats carry the AskBuddyX system prompt, so the base has seen it
    and still answers in plain code: a format change after LoRA is then the adapter's doing,
    not the prompt's. The others carry none (the template adds the generic one); they are
    short, and on a CPU short chats mean more examples per minute.
    """
    rng = random.Random(seed)
    chats = []
    for record in records:
        # Curated records carry an id; code_tasks records (all code) do not.
        answer = base_answer(record["output"], is_code="id" not in record)
        if not answer:
            continue
        chat = [
            {"role": "user", "content": user_message(record["instruction"], record["input"])},
            {"role": "assistant", "content": answer},
        ]
        if rng.random() < system_share:
            chat.insert(0, {"role": "system", "content": SYSTEM_PROMPT})
        chats.append(chat)
    return chats


def train_tokenizer(texts: list[str], vocab_size: int, out_dir: Path) -> None:
    """Train a byte-level BPE tokenizer and write tokenizer.json + tokenizer_config.json."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    tokenizer.save(str(out_dir / "tokenizer.json"))
    config = {
        "tokenizer_class": "Qwen2Tokenizer",
        "model_max_length": 2048,
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "add_prefix_space": False,
        "clean_up_tokenization_spaces": False,
        "chat_template": CHAT_TEMPLATE,
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")


def model_config(spec: TinyModelSpec, tokenizer_dir: Path) -> dict:
    """The Hugging Face style config.json of a Qwen2 model with the spec's sizes."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_dir / "tokenizer.json"))
    return {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "hidden_size": spec.hidden_size,
        "num_hidden_layers": spec.num_hidden_layers,
        "num_attention_heads": spec.num_attention_heads,
        "num_key_value_heads": spec.num_key_value_heads,
        "intermediate_size": spec.intermediate_size,
        "max_position_embeddings": spec.max_position_embeddings,
        "vocab_size": tok.get_vocab_size(),
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "hidden_act": "silu",
        "bos_token_id": None,
        "eos_token_id": tok.token_to_id("<|im_end|>"),
        "torch_dtype": "float32",
    }


def pretrain(spec: TinyModelSpec, fp_dir: Path, chats: list[list[dict]]) -> list[float]:
    """Initialise and pretrain the Qwen2 model with mlx-lm's trainer; save it to fp_dir.

    Returns the training losses that mlx-lm reported.
    """
    import mlx.core as mx
    import mlx.optimizers as optim
    import numpy as np
    from mlx_lm.models import qwen2
    from mlx_lm.tuner.datasets import CacheDataset, ChatDataset
    from mlx_lm.tuner.trainer import TrainingArgs, TrainingCallback, train
    from mlx_lm.utils import load_tokenizer, save_model

    config = json.loads((fp_dir / "config.json").read_text())
    mx.random.seed(spec.seed)
    np.random.seed(spec.seed)
    model = qwen2.Model(qwen2.ModelArgs.from_dict(config))
    mx.eval(model.parameters())
    tokenizer = load_tokenizer(fp_dir)
    # Loss on every token, prompts included: a token the base never predicts (e.g. "###",
    # which only the system prompt contains) keeps an untrained output row, and then no small
    # LoRA can make the model say it. Reciting the one fixed system prompt is cheap to learn.
    dataset = CacheDataset(ChatDataset([{"messages": c} for c in chats], tokenizer))

    losses: list[float] = []

    class Record(TrainingCallback):
        def on_train_loss_report(self, info):
            losses.append(round(float(info["train_loss"]), 4))

    warmup = max(1, spec.pretrain_iters // 20)
    schedule = optim.join_schedules(
        [optim.linear_schedule(1e-5, spec.learning_rate, warmup),
         optim.cosine_decay(spec.learning_rate, spec.pretrain_iters - warmup, 1e-4)],
        [warmup])
    with tempfile.TemporaryDirectory() as tmp:
        train(
            model=model,
            optimizer=optim.AdamW(learning_rate=schedule, weight_decay=0.01),
            train_dataset=dataset,
            args=TrainingArgs(
                batch_size=spec.batch_size,
                iters=spec.pretrain_iters,
                steps_per_report=50,
                steps_per_save=10**9,
                max_seq_length=spec.max_seq_length,
                adapter_file=str(Path(tmp) / "full.safetensors"),
            ),
            training_callback=Record(),
        )
    save_model(fp_dir, model)
    return losses


def quantize_all_but_embeddings(path: str, module) -> bool:
    """Quantize every Linear layer (what LoRA wraps) but keep the tied embedding in float32.

    On a CPU the 4-bit embedding, which is also the output layer here, costs a third of each
    QLoRA step (MLX has no fast CPU kernel for it); at full precision it is a BLAS matmul.
    """
    return not path.endswith("embed_tokens")


def build_tiny_model(
    output_dir: str | Path,
    sources: list[str | Path],
    spec: TinyModelSpec = TinyModelSpec(),
) -> dict:
    """Build the embedded base model into `output_dir` (replaced if it exists).

    Args:
        output_dir: Where the quantized model is written.
        sources: JSONL files of instruction/input/output records (our bundled datasets).
        spec: Sizes and training settings.

    Returns:
        dict: a summary (parameter count, losses, file list) also written to build_info.json.
    """
    from mlx_lm.convert import convert

    records, curated = [], []
    for path in sources:
        for record in read_jsonl(path):
            # Curated examples carry an id; code_tasks records do not.
            (curated if "id" in record else records).append(record)
    if not records and not curated:
        raise ValueError(f"No records found in {sources}; cannot build the base model.")
    held = {r["id"] for r in pick_curated_holdout(curated, spec.holdout_seed,
                                                   spec.curated_holdout)}
    kept = [r for r in curated if r["id"] not in held]
    records += kept * spec.curated_repeats
    chats = pretraining_chats(records, spec.seed, spec.system_prompt_share)
    # The tokenizer sees every message of the pretraining chats plus the full runnable-first
    # answers, so the headings are cheap tokens too.
    texts = [m["content"] for chat in chats for m in chat] + [r["output"] for r in records]
    output_dir = Path(output_dir)
    with tempfile.TemporaryDirectory() as tmp:
        fp_dir = Path(tmp) / "fp32"
        fp_dir.mkdir()
        train_tokenizer(texts, spec.vocab_size, fp_dir)
        (fp_dir / "config.json").write_text(json.dumps(model_config(spec, fp_dir), indent=2))
        losses = pretrain(spec, fp_dir, chats)
        if output_dir.exists():
            shutil.rmtree(output_dir)
        convert(
            str(fp_dir),
            mlx_path=str(output_dir),
            quantize=True,
            q_bits=spec.q_bits,
            q_group_size=spec.q_group_size,
            quant_predicate=quantize_all_but_embeddings,
        )
        # Ship our own tokenizer files, not transformers' re-serialisation of them, so the
        # bytes do not depend on the installed transformers version.
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(fp_dir / name, output_dir / name)
    for extra in ("special_tokens_map.json", "chat_template.jinja", "README.md"):
        (output_dir / extra).unlink(missing_ok=True)
    info = {
        "name": "askbuddyx-tiny-qwen2-4bit",
        "architecture": "qwen2",
        "spec": spec.__dict__,
        "pretrain_records": len(chats),
        "curated_held_out": sorted(held),
        "pretrain_losses": losses,
        "files": sorted(p.name for p in output_dir.iterdir()) + ["build_info.json"],
    }
    (output_dir / "build_info.json").write_text(json.dumps(info, indent=2) + "\n")
    return info
