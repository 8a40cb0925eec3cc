"""How the evaluation generates and scores: `EvalConfig` (params.yaml's `eval.*`).

    config = EvalConfig.from_params(load_stage_params([...]))   # a DVC stage
    config = EvalConfig(max_tokens=64, humaneval_limit=5)       # anywhere else

The evaluate_base and evaluate stages build it from the same keys, so the base model and the
adapter answer under the same settings; `recorded()` is what metrics/eval*.json keep of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from askbuddyx.sandbox.runner import Limits


@dataclass(frozen=True)
class EvalConfig:
    """Generation and scoring settings.

    Attributes:
        max_tokens: Longest answer, in tokens.
        batch_size: Prompts generated together (mlx-lm's batch_generate).
        repetition_penalty: > 1 applies mlx-lm's repetition penalty; 1.0 turns it off.
        dequantize: "auto", True or False: generate with float32 weights (auto: on MLX's CPU
            backend only; askbuddyx.models.wants_float_weights).
        humaneval_limit: N HumanEval problems spread evenly over the 164 (0: all of them;
            askbuddyx.eval.humaneval.load_problems says why not the first N).
        samples: > 1: also sample this many answers per HumanEval problem, for pass@k.
        candidates: > 1: answer each held-out code prompt as `askbuddyx serve` does with
            `serve.candidates`: the greedy answer and candidates - 1 sampled ones, and score
            the one askbuddyx.sandbox.verify.pick gives (its own Sanity test passes, ...).
        temperature: Sampling temperature of those samples and candidates (greedy
            otherwise).
        timeout_s: Wall-clock limit of one program in the sandbox (CPU limit: half).
        workers: Programs run in parallel in the sandbox (None: one per core). Changes how
            fast scoring runs, never a score, so it is not a param and not recorded.
    """

    max_tokens: int = 320
    batch_size: int = 16
    repetition_penalty: float = 1.0
    dequantize: str | bool = "auto"
    humaneval_limit: int = 20
    samples: int = 1
    candidates: int = 1
    temperature: float = 0.8
    timeout_s: float = 10.0
    workers: int | None = None

    @classmethod
    def param_fields(cls) -> list[str]:
        """The fields read from params.yaml, as `eval.<field>`."""
        return [f.name for f in fields(cls) if f.name != "workers"]

    @classmethod
    def from_params(cls, params) -> EvalConfig:
        """From a stage's params (a mapping of dotted keys: `eval.max_tokens`, ...)."""
        return cls(**{name: params[f"eval.{name}"] for name in cls.param_fields()})

    @property
    def limits(self) -> Limits:
        """The sandbox limits of one program."""
        return Limits(wall_s=float(self.timeout_s), cpu_s=max(1, int(self.timeout_s) // 2))

    def recorded(self) -> dict:
        """The settings that can change an answer or a score (everything but `workers`)."""
        return {k: v for k, v in asdict(self).items() if k != "workers"}
