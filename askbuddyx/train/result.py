"""What a training run returns: its metrics (byte-reproducible, `metrics/train.json`) and its
provenance (clock, machine, git: `<adapter>/run_meta.json`, which the model card reads).
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import asdict, dataclass

from askbuddyx.accel import blas_in_use, blas_threads


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def git_commit() -> str | None:
    """HEAD of the repository in the working directory (None outside git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


@dataclass(frozen=True)
class Provenance:
    """Where a run came from; `dequantized` and `blas_threads` say how it computed."""

    model_id: str
    data_sources: list
    hyperparameters: dict
    dequantized: bool
    started_at: str
    finished_at: str
    git_commit: str | None
    blas: str
    blas_threads: int | None

    @classmethod
    def collect(cls, *, started_at: str, model_id: str, data_sources: list,
                hyperparameters: dict, dequantized: bool) -> Provenance:
        """The provenance of a run that started at `started_at` and finishes now."""
        return cls(model_id=model_id, data_sources=list(data_sources),
                   hyperparameters=hyperparameters, dequantized=bool(dequantized),
                   started_at=started_at, finished_at=utc_now(), git_commit=git_commit(),
                   blas=blas_in_use(), blas_threads=blas_threads())


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass(frozen=True)
class TrainResult:
    """One finished run. Curves are [iteration, loss] pairs."""

    train_curve: list
    val_curve: list
    trained_tokens: int
    peak_memory_gb: float
    best_iteration: int | None
    best_val_loss: float | None
    stopped_at: int | None
    kept: str  # "best" (train.keep_best) or "last"
    trainable_parameters: int
    total_parameters: int
    train_examples: int
    valid_examples: int
    num_layers: int
    resumed_from: int | None
    training_seconds: float
    provenance: Provenance

    @property
    def final_train_loss(self) -> float:
        return self.train_curve[-1][1]

    @property
    def final_val_loss(self) -> float | None:
        return self.val_curve[-1][1] if self.val_curve else None

    def metrics(self) -> dict:
        """The figures that depend only on data, params and code (DVC metrics)."""
        return {
            "final_train_loss": _round(self.final_train_loss),
            "final_val_loss": _round(self.final_val_loss),
            "first_val_loss": _round(self.val_curve[0][1] if self.val_curve else None),
            "trainable_parameters": self.trainable_parameters,
            "total_parameters": self.total_parameters,
            "trained_tokens": self.trained_tokens,
            "best_val_loss": _round(self.best_val_loss),
            "best_iteration": self.best_iteration,
            "early_stopped": self.stopped_at is not None,
        }

    def run_meta(self) -> dict:
        """The metrics, the provenance, and what depends on the clock and the machine."""
        sources = self.provenance.data_sources
        return {
            **self.metrics(),
            **asdict(self.provenance),
            "dataset_ids": [s.get("dataset_id") or s.get("path") for s in sources],
            "data_counts": {"train": self.train_examples, "valid": self.valid_examples},
            "seed": self.provenance.hyperparameters["seed"],
            "training_seconds": self.training_seconds,
            "trainable_percentage": round(100.0 * self.trainable_parameters
                                          / self.total_parameters, 4),
            "peak_memory_gb": self.peak_memory_gb,
            "num_layers": self.num_layers,
            "adapter_kept": self.kept,
            "stopped_at": self.stopped_at,
            "resumed_from": self.resumed_from,
        }

    def summary(self) -> str:
        val = self.final_val_loss
        return (f"final train loss {self.final_train_loss:.3f}, val loss "
                f"{'n/a' if val is None else f'{val:.3f}'}, {self.training_seconds:.0f} s"
                + (f", resumed from iteration {self.resumed_from}" if self.resumed_from else ""))
