"""What a training run is given: the `train` params (`Hyperparameters`) and the paths
(`TrainJob`). Light (no MLX): the train stage reads its params with it before choosing BLAS.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from askbuddyx.errors import AskBuddyXError

# Keys that change neither what is trained nor how: a checkpoint made with other values of
# these is still a valid starting point (`dequantize` counts as what it resolved to).
_NOT_FINGERPRINTED = ("resume", "steps_per_report", "dequantize")


@dataclass(frozen=True)
class Hyperparameters:
    """The `train` section of params.yaml (its comments say what each key does); checked on
    construction, before anything is loaded."""

    seed: int
    iters: int
    batch_size: int
    learning_rate: float
    warmup: int
    rank: int
    alpha: float
    dropout: float
    num_layers: int
    max_seq_length: int
    mask_prompt: bool
    val_batches: int
    steps_per_report: int
    steps_per_eval: int
    patience: int = 0
    keep_best: bool = False
    resume: bool = False
    dequantize: str | bool = "auto"
    processes: int = 1
    hostfile: str = ""

    def __post_init__(self):
        # Before the range checks: comparing the string "2e-5" with 0 would raise a TypeError.
        if not isinstance(self.learning_rate, (int, float)):
            raise AskBuddyXError(f"train.learning_rate is {self.learning_rate!r}, not a number.",
                                 hint="YAML reads 2e-5 as a string: write 2.0e-5.")
        checks = [
            (self.iters >= 1, "train.iters must be >= 1"),
            (self.batch_size >= 1, "train.batch_size must be >= 1"),
            (self.learning_rate > 0, "train.learning_rate must be > 0 (write 2.0e-5, not 2e-5)"),
            (self.rank >= 1, "train.rank must be >= 1"),
            (0 <= self.warmup < self.iters, "train.warmup must be in [0, train.iters)"),
            (self.alpha > 0, "train.alpha must be > 0"),
            (0 <= self.dropout < 1, "train.dropout must be in [0, 1)"),
            (self.max_seq_length >= 16, "train.max_seq_length must be >= 16"),
            (self.steps_per_report >= 1, "train.steps_per_report must be >= 1"),
            (self.steps_per_eval >= 1, "train.steps_per_eval must be >= 1"),
            (self.patience >= 0, "train.patience must be >= 0 (0 turns it off)"),
        ]
        for ok, message in checks:
            if not ok:
                raise AskBuddyXError(f"Invalid hyperparameter: {message}.", hint="Fix params.yaml.")

    def identity_params(self, dequantized: bool) -> dict:
        """What a checkpoint must share with this run: `auto` counts as what it resolved to."""
        params = {k: v for k, v in asdict(self).items() if k not in _NOT_FINGERPRINTED}
        return dict(params, dequantized=dequantized)

    @classmethod
    def param_keys(cls) -> tuple:
        """The params.yaml keys, one per field: `train.<field>`."""
        return tuple(f"train.{f.name}" for f in fields(cls))

    @classmethod
    def from_params(cls, params) -> Hyperparameters:
        """From a stage's params (`askbuddyx.config.StageParams`) holding `param_keys()`."""
        return cls(**{key.split(".", 1)[1]: params[key] for key in cls.param_keys()})


@dataclass(frozen=True)
class TrainJob:
    """One training run.

    Args:
        model: The base model as `model.path` names it (adapter_config.json, provenance).
        data_dir: Folder with train.jsonl and valid.jsonl (mlx-lm's local layout).
        adapter_dir: Output folder: adapters.safetensors, adapter_config.json, checkpoints/.
        hp: The hyperparameters.
        load_from: Load the weights from this folder instead (fetch_model's models/base).
        live_dir: dvclive folder for the loss curves (None: no curves).
        data_sources: `data.sources`, recorded in the provenance.
    """

    model: str
    data_dir: Path
    adapter_dir: Path
    hp: Hyperparameters
    load_from: Path | None = None
    live_dir: Path | None = None
    data_sources: list = field(default_factory=list)
