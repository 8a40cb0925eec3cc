"""Exact resume: what a training run saves so that, killed and resumed, it ends with the same
bytes as a run that was never interrupted (`train.resume: true`).

A checkpoint is one folder, `<adapter>/checkpoints/step-0000120/`:

    adapters.safetensors    the LoRA weights after that step
    optimizer.safetensors   the optimizer's state (Adam's moments, its step count)
    best.safetensors        the lowest-validation-loss weights so far, when there are some
    state.json              the iteration, MLX's random key, the callbacks' progress (loss
                            curves, token count, early-stopping counters) and the run's identity

It is written as `.tmp-step-0000120/` and then renamed: a rename is atomic, so a kill at any
moment leaves the previous checkpoint or the new one, never half of one (the files are synced
to disk before the rename, so a power cut cannot reorder that). Older folders go after it.

Why each piece, given how mlx-lm's `train` works:
- weights and optimizer state are float32 arrays, restored exactly; the learning-rate schedule
  follows the optimizer's step count, so it resumes too;
- dropout draws from MLX's global random key, restored by `restore_random_key`;
- batch order: mlx-lm draws each epoch's order from numpy's global RNG, which its validation
  also draws from, so batch k would depend on how many validations came before it.
  `BatchStream` gives the training batches their own RNG: batch k depends on the seed and k
  alone, and a resumed run replays the first k draws to stand where the killed one stood;
- a resumed run calls mlx-lm's `train` again, which counts iterations from 1. Checkpoints are
  taken right after a loss report at a multiple of `train.steps_per_eval`, so the reports and
  validations of the resumed run land on the same iterations as the uninterrupted run's.

A checkpoint from other data, hyperparameters or base model is refused, naming which
(`RunIdentity.differences`).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import mlx.core as mx
import numpy as np
from mlx.utils import tree_flatten, tree_map_with_path

from askbuddyx.errors import AskBuddyXError

STEP_PREFIX = "step-"
TMP_PREFIX = ".tmp-"
WEIGHTS, OPTIMIZER, BEST, STATE = ("adapters.safetensors", "optimizer.safetensors",
                                   "best.safetensors", "state.json")


def file_sha256(paths) -> str:
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            h.update(hashlib.file_digest(f, "sha256").digest())
    return h.hexdigest()


@dataclass(frozen=True)
class RunIdentity:
    """What determines a run's weights: a checkpoint resumes only a run with the same identity.

    Args:
        data: sha256 of train.jsonl and valid.jsonl.
        base_model: {"name": model.path, "sha256": of its config and weight files (None for a
            hub id that is not a local folder)}.
        params: The hyperparameters that change the weights (JSON values).
    """

    data: str
    base_model: dict
    params: dict

    @classmethod
    def of(cls, model_name: str, model_dir: str | Path, data_dir: Path,
           params: dict) -> RunIdentity:
        model_dir = Path(model_dir)
        weights = sorted(model_dir.glob("*.safetensors")) + [model_dir / "config.json"]
        sha = file_sha256(weights) if model_dir.is_dir() else None
        return cls(data=file_sha256([data_dir / "train.jsonl", data_dir / "valid.jsonl"]),
                   base_model={"name": str(model_name), "sha256": sha},
                   params=json.loads(json.dumps(params)))

    def differences(self, saved: RunIdentity) -> list[str]:
        """What differs between this run and the run that `saved` identifies, in words."""
        found = []
        if self.data != saved.data:
            found.append("the data (train.jsonl/valid.jsonl have other contents)")
        if self.base_model != saved.base_model:
            found.append(f"the base model (checkpoint: {saved.base_model['name']}, weights "
                         f"{saved.base_model['sha256']}; this run: {self.base_model['name']}, "
                         f"weights {self.base_model['sha256']})")
        changed = [f"train.{k} {saved.params.get(k)!r} -> {self.params.get(k)!r}"
                   for k in sorted(self.params.keys() | saved.params.keys())
                   if self.params.get(k) != saved.params.get(k)]
        if changed:
            found.append("the params (" + ", ".join(changed) + ")")
        return found


def random_key() -> list[int]:
    """MLX's global random key (two uint32), as JSON."""
    return [int(x) for x in mx.random.state[0].tolist()]


def restore_random_key(key: list[int]) -> None:
    """Set MLX's global random key. MLX has no setter, but `mx.random.seed(s)` makes the key
    (s >> 32, s & 0xffffffff), so seeding with the key's two halves restores it exactly."""
    mx.random.seed((key[0] << 32) | key[1])
    if random_key() != list(key):
        raise AskBuddyXError(
            "Cannot restore MLX's random key: this MLX version seeds its key differently.",
            hint="Set train.resume: false, or pin the mlx version of constraints.txt.")


@dataclass
class Checkpoint:
    """One resumable point of a run (see the module docstring)."""

    iteration: int
    identity: RunIdentity
    weights: dict  # LoRA weights, name -> mx.array
    optimizer: dict  # the optimizer's state, flattened (tree_flatten)
    random_key: list
    progress: dict  # JSON: the callbacks' state
    best_weights: dict | None = None

    def save(self, root: Path) -> Path:
        """Write atomically into `root` (see the module docstring); return the new folder."""
        root.mkdir(parents=True, exist_ok=True)
        final = root / f"{STEP_PREFIX}{self.iteration:07d}"
        tmp = root / f"{TMP_PREFIX}{final.name}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        self._write_files(tmp)
        _commit(tmp, final)
        for old in root.iterdir():
            if old != final:
                shutil.rmtree(old, ignore_errors=True)
        return final

    def _write_files(self, folder: Path) -> None:
        mx.save_safetensors(str(folder / WEIGHTS), self.weights)
        mx.save_safetensors(str(folder / OPTIMIZER), self.optimizer)
        if self.best_weights is not None:
            mx.save_safetensors(str(folder / BEST), self.best_weights)
        (folder / STATE).write_text(json.dumps({
            "iteration": self.iteration, "identity": asdict(self.identity),
            "random_key": self.random_key, "progress": self.progress}, indent=1) + "\n")
        for path in folder.iterdir():
            _fsync(path)

    @classmethod
    def load(cls, folder: Path) -> Checkpoint:
        state = json.loads((folder / STATE).read_text())
        best = folder / BEST
        return cls(iteration=state["iteration"], identity=RunIdentity(**state["identity"]),
                   weights=mx.load(str(folder / WEIGHTS)),
                   optimizer=mx.load(str(folder / OPTIMIZER)),
                   random_key=state["random_key"], progress=state["progress"],
                   best_weights=mx.load(str(best)) if best.is_file() else None)

    @classmethod
    def latest(cls, root: Path) -> Checkpoint | None:
        """The newest committed checkpoint under `root` (temporary folders are ignored)."""
        folders = sorted(root.glob(f"{STEP_PREFIX}*")) if root.is_dir() else []
        return cls.load(folders[-1]) if folders else None

    def restore(self, model, optimizer) -> None:
        """Put the weights, the optimizer state and the random key back into this process."""
        model.load_weights(list(self.weights.items()), strict=False)
        optimizer.init(model.trainable_parameters())
        missing = [k for k, _ in tree_flatten(optimizer.state) if k not in self.optimizer]
        if missing:
            raise AskBuddyXError(f"The checkpoint's optimizer state lacks {missing[:3]}.",
                                 hint="Delete the checkpoints folder and train from the start.")
        optimizer.state = tree_map_with_path(lambda path, _: self.optimizer[path],
                                             optimizer.state)
        restore_random_key(self.random_key)


def save_safetensors_atomic(path: Path, weights: dict) -> None:
    """Write then rename: a reader never sees a half-written file."""
    tmp = path.with_name(path.stem + ".tmp.safetensors")
    mx.save_safetensors(str(tmp), weights)
    _fsync(tmp)
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _commit(tmp: Path, final: Path) -> None:
    """The atomic step: after the rename the checkpoint exists whole, before it not at all."""
    if final.exists():  # this iteration is saved already (same run, same bytes)
        shutil.rmtree(tmp)
        return
    os.rename(tmp, final)
    _fsync(final.parent)


def resume_checkpoint(root: Path, identity: RunIdentity) -> Checkpoint | None:
    """The checkpoint to resume from, None when there is none, or an error when it is another
    run's."""
    checkpoint = Checkpoint.latest(root)
    if checkpoint is None:
        print(f"train.resume: no checkpoint in {root}; training from the start.")
        return None
    differences = identity.differences(checkpoint.identity)
    if differences:
        raise AskBuddyXError(
            f"train.resume: the checkpoint in {root} (iteration {checkpoint.iteration}) is "
            f"from another run; it differs in {'; and '.join(differences)}.",
            hint=f"Restore what changed to resume it, or delete {root} (or set "
            "train.resume: false, which deletes it) to train from the start.")
    print(f"train.resume: continuing from the checkpoint at iteration {checkpoint.iteration}.")
    return checkpoint


def _own_numpy_rng(batches, seed: int):
    """Pull from the generator `batches` with numpy's global RNG swapped for a private one
    (seeded like `np.random.seed(seed)`), so its draws neither affect nor see anyone else's."""
    private = np.random.RandomState(seed).get_state()
    while True:
        shared = np.random.get_state()
        np.random.set_state(private)
        try:
            batch = next(batches, None)
        finally:
            private = np.random.get_state()
            np.random.set_state(shared)
        if batch is None:
            return
        yield batch


@dataclass
class BatchStream:
    """mlx-lm's `iterate_batches` (length-sorted, padded batches, sliced per rank) in an order
    that depends on the seed and the position alone; given to mlx-lm's `train` in its place.

    Training (loop=True) starts `skip` batches in: a resumed run stands where the killed one
    stood. Validation (loop=False) starts over at each call, so every validation scores the
    same batches in the same order (with `val_batches` below the whole set, the same subset).

    For a run that validates, only the order of the validation batches differs from
    `mlx_lm lora`'s; the training batches are the same until the first epoch ends.
    """

    seed: int
    skip: int = 0

    def __call__(self, dataset, batch_size, max_seq_length, loop=False, seed=None,
                 comm_group=None):
        from mlx_lm.tuner.trainer import iterate_batches

        batches = _own_numpy_rng(iterate_batches(dataset, batch_size, max_seq_length,
                                                 loop=loop, comm_group=comm_group), self.seed)
        return itertools.islice(batches, self.skip, None) if loop else batches
