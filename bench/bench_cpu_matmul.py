"""Bench: 4-bit quantized matmul vs the same weights in float32, 1 row vs a batch of rows.

    .venv/bin/python bench/bench_cpu_matmul.py [--seconds 20] [--rows 40] [--json out.json]

Why `eval.dequantize: auto` generates with float32 weights on MLX's CPU backend: its
quantized matmul costs about one single-row product per row, so a batch of 40 answers pays
40x, while a float32 matmul (BLAS) reads the weights once for the whole batch. Two layers: the
embedded model's tied output layer (3072x64, float32 scales) and a Qwen2.5-0.5B MLP layer
(4864x896, bf16 scales as mlx-community ships it). Prints, per layer, the time of each way
and the ratio quantized / float32 at 1 row and at `--rows`. On Metal the quantized kernels
are fast and the ratio is near or below 1.

Sizing (`--seconds`): each of the 8 timings (2 layers x 2 row counts x 2 ways) repeats its
matmul for an equal part of the share (0.1 to 2 s each): the calls per timing follow.
"""

import argparse
import sys
import time
from pathlib import Path

from askbuddyx.accel import maybe_reexec_with_openblas

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import add_seconds_arg, write_json  # noqa: E402

LAYERS = {"tiny_lm_head": (3072, 64, "float32"), "qwen05b_mlp": (4864, 896, "bfloat16")}


def per_call_ms(fn, min_seconds: float = 0.5) -> float:
    import mlx.core as mx

    mx.eval(fn())  # warm-up
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < min_seconds:
        mx.eval(fn())
        calls += 1
    return (time.perf_counter() - start) / calls * 1000


def measure(out_features: int, in_features: int, dtype: str, rows: int,
            min_seconds: float) -> dict:
    import mlx.core as mx

    dt = getattr(mx, dtype)
    w = mx.random.normal((out_features, in_features), key=mx.random.key(0)).astype(dt)
    wq, scales, biases = mx.quantize(w, group_size=64, bits=4)
    # The float32 weights generation uses: the dequantized 4-bit values, not the originals.
    w32 = mx.dequantize(wq, scales, biases, group_size=64, bits=4).astype(mx.float32)
    figures = {}
    for n in (1, rows):
        x = mx.random.normal((n, 1, in_features), key=mx.random.key(1)).astype(dt)
        x32 = x.astype(mx.float32)
        q = per_call_ms(lambda x=x: mx.quantized_matmul(x, wq, scales, biases, transpose=True,
                                                        group_size=64, bits=4), min_seconds)
        f = per_call_ms(lambda x32=x32: x32 @ w32.T, min_seconds)
        figures[f"rows_{n}"] = {"quantized_ms": round(q, 3), "float32_ms": round(f, 3),
                                "ratio": round(q / f, 2)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_seconds_arg(parser, 20)
    parser.add_argument("--rows", type=int, default=40, help="batch rows (eval.batch_size)")
    parser.add_argument("--json", default=None, help="write the figures here (flat JSON)")
    args = parser.parse_args()
    maybe_reexec_with_openblas()
    import mlx.core as mx

    # 8 timings, half the share (imports, weights and warm-ups take the rest).
    per_timing = min(2.0, max(0.1, 0.5 * args.seconds / 8))
    print(f"MLX {mx.__version__}, device {mx.default_device()}; sizing: {per_timing:.2f} s of "
          f"calls per timing (8 timings in {args.seconds:.0f} s)", flush=True)
    flat = {"rows": args.rows, "device": str(mx.default_device()),
            "seconds_per_timing": per_timing}
    for name, (out_f, in_f, dtype) in LAYERS.items():
        figures = measure(out_f, in_f, dtype, args.rows, per_timing)
        for rows, f in figures.items():
            print(f"{name:>13} {out_f}x{in_f} {dtype:9} {rows:>7}: 4-bit "
                  f"{f['quantized_ms']:8.3f} ms, float32 {f['float32_ms']:7.3f} ms, "
                  f"4-bit / float32 {f['ratio']:6.1f}x")
            flat.update({f"{name}_{rows}_{k}": v for k, v in f.items()})
    write_json(args.json, flat)


if __name__ == "__main__":
    main()
