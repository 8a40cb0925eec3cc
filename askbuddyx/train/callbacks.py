"""What we add to mlx-lm's trainer, as its own `TrainingCallback`s, one concern each:

    LossHistory   the loss curves, tokens and peak memory (metrics, checkpoints)
    LiveCurves    the curves to dvclive (`dvc plots show`)
    BestAdapter   the lowest validation loss and its weights (`train.keep_best`)
    Stopper       leaves mlx-lm's loop after the final validation or when validation loss
                  stopped improving (`train.patience`); mlx-lm has no stop hook, so it raises
    Checkpointer  exact-resume checkpoints (askbuddyx/train/checkpoint.py)

`Callbacks` hands mlx-lm's reports to each in turn (mlx-lm's `train` takes one callback),
counting iterations over the whole run when a resumed run restarts mlx-lm's count.
Iteration 0's validation is the base model (LoRA's B matrices start at zero): it is a
reference point, never the best adapter, and does not count towards patience.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from mlx.utils import tree_flatten
from mlx_lm.tuner.callbacks import TrainingCallback

from askbuddyx.train.checkpoint import Checkpoint, RunIdentity, random_key


class EarlyStop(Exception):
    """Raised from a callback to leave mlx-lm's training loop."""


class FinalValidationDone(Exception):
    """Raised after the validation of the final weights inside mlx-lm's loop (see
    `askbuddyx.train.lora.loop_iterations`): leaves it before the extra iteration it got."""


def lora_weights(model) -> dict:
    # MLX arrays are immutable and the optimizer assigns new ones: references are a snapshot.
    return dict(tree_flatten(model.trainable_parameters()))


@dataclass
class Callbacks(TrainingCallback):
    """Fan-out to `callbacks`, in order, with iterations and tokens counted from the run's
    start: a run resumed at iteration `start` has mlx-lm count from 0 again.

    mlx-lm validates before its first step, i.e. the resumed weights. The uninterrupted run
    validated them only if `start_validated` (mlx-lm validates before steps 1, every
    steps_per_eval and the last): otherwise that report is dropped, so the curves match.
    """

    callbacks: list
    start: int = 0
    tokens_before: int = 0
    start_validated: bool = True

    def on_train_loss_report(self, info: dict) -> None:
        info = dict(info, iteration=info["iteration"] + self.start,
                    trained_tokens=info["trained_tokens"] + self.tokens_before)
        for callback in self.callbacks:
            callback.on_train_loss_report(info)

    def on_val_loss_report(self, info: dict) -> None:
        if self.start and info["iteration"] == 0 and not self.start_validated:
            return
        self.validated(info["iteration"] + self.start, info["val_loss"])

    def validated(self, iteration: int, loss: float) -> None:
        """A validation at `iteration` of the whole run (also made outside mlx-lm's loop)."""
        for callback in self.callbacks:
            callback.on_val_loss_report({"iteration": iteration, "val_loss": loss})


@dataclass
class LossHistory(TrainingCallback):
    train: list = field(default_factory=list)  # [iteration, loss]
    val: list = field(default_factory=list)
    tokens: int = 0
    peak_memory_gb: float = 0.0

    def on_train_loss_report(self, info: dict) -> None:
        self.train.append([info["iteration"], float(info["train_loss"])])
        self.tokens = int(info["trained_tokens"])
        self.peak_memory_gb = max(self.peak_memory_gb, float(info.get("peak_memory", 0.0)))

    def on_val_loss_report(self, info: dict) -> None:
        self.val.append([info["iteration"], float(info["val_loss"])])

    def state(self) -> dict:
        return {"train": self.train, "val": self.val, "tokens": self.tokens,
                "peak_memory_gb": self.peak_memory_gb}


@dataclass
class LiveCurves(TrainingCallback):
    """dvclive's train/loss and val/loss curves, one point per report."""

    live: object  # dvclive.Live

    def on_train_loss_report(self, info: dict) -> None:
        self.log("train/loss", info["iteration"], info["train_loss"])

    def on_val_loss_report(self, info: dict) -> None:
        self.log("val/loss", info["iteration"], info["val_loss"])

    def replay(self, history: LossHistory) -> None:
        """Log a resumed run's earlier points again: dvclive starts its files afresh."""
        for name, curve in (("train/loss", history.train), ("val/loss", history.val)):
            for iteration, loss in curve:
                self.log(name, iteration, loss)

    def log(self, name: str, iteration: int, loss: float) -> None:
        self.live.step = iteration
        self.live.log_metric(name, round(float(loss), 6))


def make_live(live_dir: str | Path):
    """A dvclive logger that writes TSV loss curves under `live_dir`."""
    from dvclive import Live

    class FilesOnlyLive(Live):
        """dvclive as a TSV writer only: our dvc.yaml declares the plots and `dvc exp run`
        records experiments. Its own DVC/git integration is skipped: we use none of it, and
        it fails in a git repo without commits (scmrepo's "Empty git repo")."""

        def _init_dvc(self):
            pass

    return FilesOnlyLive(str(live_dir), dvcyaml=None, save_dvc_exp=False, report=None,
                         monitor_system=False)


@dataclass
class BestAdapter(TrainingCallback):
    """The lowest validation loss after iteration 0, its iteration and weights."""

    model: object
    loss: float = math.inf
    iteration: int | None = None
    weights: dict | None = None
    bad_evals: int = 0  # validations in a row without a lower loss

    def on_val_loss_report(self, info: dict) -> None:
        if info["iteration"] == 0:
            return
        if info["val_loss"] < self.loss:
            self.loss, self.iteration = float(info["val_loss"]), info["iteration"]
            self.weights, self.bad_evals = lora_weights(self.model), 0
        else:
            self.bad_evals += 1

    def state(self) -> dict:
        return {"loss": self.loss, "iteration": self.iteration, "bad_evals": self.bad_evals}


@dataclass
class Stopper(TrainingCallback):
    """Leaves mlx-lm's loop (by raising): after the validation of the last iteration when the
    loop was given one more (`leave_loop`), or once `best` saw `patience` validations in a row
    without improvement (0: never). Stopping at the last iteration is not an early stop."""

    best: BestAdapter
    patience: int = 0
    last_iteration: int = 0
    leave_loop: bool = False
    stopped_at: int | None = None

    def on_val_loss_report(self, info: dict) -> None:
        if info["iteration"] >= self.last_iteration:
            if self.leave_loop:
                raise FinalValidationDone
            return
        if self.patience and self.best.bad_evals >= self.patience:
            self.stopped_at = info["iteration"]
            raise EarlyStop(f"val loss did not improve for {self.best.bad_evals} evaluations")


@dataclass
class Checkpointer(TrainingCallback):
    """A checkpoint after each loss report at a multiple of `every` before `until` (see
    askbuddyx/train/checkpoint.py for why only there)."""

    root: Path
    every: int
    until: int
    identity: RunIdentity
    model: object
    optimizer: object
    history: LossHistory
    best: BestAdapter

    def on_train_loss_report(self, info: dict) -> None:
        iteration = info["iteration"]
        if iteration % self.every == 0 and iteration < self.until:
            self.snapshot(iteration).save(self.root)

    def snapshot(self, iteration: int) -> Checkpoint:
        return Checkpoint(
            iteration=iteration, identity=self.identity, weights=lora_weights(self.model),
            optimizer=dict(tree_flatten(self.optimizer.state)), random_key=random_key(),
            progress={"history": self.history.state(), "best": self.best.state()},
            best_weights=self.best.weights)
