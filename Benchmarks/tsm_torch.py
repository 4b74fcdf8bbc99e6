#!/usr/bin/env python3
"""PyTorch's temporal shift (TSM) beside `shiftops bench` (figure T1): optional, needs torch.

TSM's module shifts with plain tensor ops: a zero-filled output, then three slice copies (the
first C/8 channels of frame t from frame t + 1, the next C/8 from frame t - 1, the rest from
frame t). This times that forward, after warm-up, in steady state, for a batch of 8-frame clips
[N * 8, C, H, W] (fp32), and writes the JSON of `shiftops bench --json` ("cases": shape, case,
median_ms, min_ms, ...), which `shiftops bench --tsm FILE` reads for T1 (PyTorch's minimum over
ours). --shape takes the bench's N,C,H,W: the default 8,64,56,56 times 8 clips of 8 frames,
[64, 64, 56, 56], the benchmark's 8x8x64x56x56.

    python3 Benchmarks/tsm_torch.py --json tsm.json
    swift run -c release shiftops bench --shape 8,64,56,56 --tsm tsm.json
"""
import argparse
import sys
import warnings

# PyPI's default wheel is a CUDA build: on a machine without a usable driver it warns once that
# CUDA could not initialise. Only the CPU is timed here.
warnings.filterwarnings("ignore", message="CUDA initialization")

try:
    import torch
except ImportError:
    sys.exit("tsm_torch.py: needs PyTorch (pip install torch); shiftops bench runs without it and prints T1 as not measured")

from bench_timing import add_timing_arguments, time_case, write_document

CASE = "pytorch tsm shift forward"  # the name BenchInterop.swift looks for


def tsm_shift(x, segments, fold_div=8):
    """TSM's temporal shift as its module computes it: zero fill, then slice copies."""
    frames, channels, height, width = x.shape
    clips = x.view(frames // segments, segments, channels, height, width)
    fold = channels // fold_div
    out = torch.zeros_like(clips)
    out[:, :-1, :fold] = clips[:, 1:, :fold]                  # frame t takes t + 1
    out[:, 1:, fold:2 * fold] = clips[:, :-1, fold:2 * fold]  # frame t takes t - 1
    out[:, :, 2 * fold:] = clips[:, :, 2 * fold:]             # unchanged
    return out.view(frames, channels, height, width)


def check_tsm_shift():
    """The slice form against the rule written out, element by element, on a small clip batch."""
    segments, channels = 3, 16
    x = torch.randn(2 * segments, channels, 2, 3)
    y = tsm_shift(x, segments)
    fold = channels // 8
    for f in range(x.shape[0]):
        t = f % segments
        for c in range(channels):
            source = t + 1 if c < fold else t - 1 if c < 2 * fold else t
            expected = x[f - t + source, c] if 0 <= source < segments else torch.zeros_like(x[0, 0])
            if not torch.equal(y[f, c], expected):
                sys.exit(f"tsm_torch.py: the slice shift disagrees with the rule at frame {f}, channel {c}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", action="append", help="the bench's N,C,H,W (repeatable); default 8,64,56,56")
    parser.add_argument("--segments", type=int, default=8, help="frames per clip (shiftops bench uses 8)")
    add_timing_arguments(parser, repetitions=30, warmup=5)
    args = parser.parse_args()
    shapes = [[8, 64, 56, 56]]
    if args.shape:
        shapes = []
        for text in args.shape:
            parts = text.split(",")
            if len(parts) != 4 or not all(p.isdigit() and int(p) > 0 for p in parts):
                sys.exit(f"tsm_torch.py: --shape expects four positive integers N,C,H,W, got '{text}'")
            shapes.append([int(p) for p in parts])
    if args.repetitions < 1 or args.warmup < 0 or args.segments < 1:
        sys.exit("tsm_torch.py: --repetitions and --segments expect >= 1, --warmup >= 0")
    if args.threads:
        torch.set_num_threads(args.threads)
    check_tsm_shift()
    cases = []
    for n, c, h, w in shapes:
        shape = [n * args.segments, c, h, w]
        torch.manual_seed(0)
        x = torch.randn(shape)
        size = x.numel() * x.element_size()

        def forward():
            with torch.no_grad():
                tsm_shift(x, args.segments)

        case, _, minimum = time_case(cases, shape, CASE, forward, args.warmup, args.repetitions, args.warmup_seconds, 32)
        case.update(gb_per_s=2 * size / minimum / 1e9, bytes=2 * size)
    document = {"source": "pytorch", "torch_version": torch.__version__, "threads": torch.get_num_threads(),
                "segments": args.segments, "repetitions": args.repetitions, "warmup": args.warmup,
                "warmup_seconds": args.warmup_seconds, "cases": cases, "figures": []}
    write_document(document, args.json)


if __name__ == "__main__":
    main()
