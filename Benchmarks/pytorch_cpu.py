#!/usr/bin/env python3
"""PyTorch's CPU figures beside `shiftops bench` (C7a-d, C9): optional, needs torch.

For each 2-D shape (fp32, NCHW [N, C, H, W]) it times, after warm-up, in steady state:
  - `out.copy_(x)` into an existing tensor (the copy `shiftops bench` reports beside its own),
  - a 3x3 depthwise convolution (stride 1, padding 1, no bias), NCHW and channels-last,
    forward (under no_grad) and forward+backward (input and weight gradients),
  - a per-channel shift built on `grid_sample` (bilinear, zeros padding, the sign shiftops uses:
    y[i] = x[i - s]), forward and forward+backward (input and shift gradients).
For each 3-D shape ([N, C, D, H, W]): the copy, and a 3x3x3 depthwise `conv3d` (groups=C, padding 1,
no bias), NCDHW and channels_last_3d, forward and forward+backward.
It writes the JSON of `shiftops bench --json` ("cases": shape, case, median_ms, min_ms, ...), which
`shiftops bench --pytorch FILE` reads and joins with its own table; a case's time, in every ratio
and in GB/s, is its minimum.

    python3 Benchmarks/pytorch_cpu.py --json pytorch.json
    swift run -c release shiftops bench --pytorch pytorch.json
"""
import argparse
import sys
import warnings

# PyPI's default wheel is a CUDA build: on a machine without a usable driver its autograd warns
# once that CUDA could not initialise. Only the CPU is timed here.
warnings.filterwarnings("ignore", message="CUDA initialization")

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.exit("pytorch_cpu.py: needs PyTorch (pip install torch); shiftops bench runs without it and prints C7a-d and C9's "
             "PyTorch ratios as not measured")

from bench_timing import add_timing_arguments, time_case, write_document


def shift_grid(shifts, batch, height, width):
    """The grid_sample grid that reads x at (i - s_y, j - s_x) for channel c: [N*C, H, W, 2]."""
    channels = shifts.shape[0]
    rows = torch.arange(height, dtype=torch.float32).view(1, height, 1) - shifts[:, 0].view(channels, 1, 1)
    cols = torch.arange(width, dtype=torch.float32).view(1, 1, width) - shifts[:, 1].view(channels, 1, 1)
    # align_corners=True: -1 and 1 are the centres of the first and last samples.
    gy = (2 * rows / max(height - 1, 1) - 1).expand(channels, height, width)
    gx = (2 * cols / max(width - 1, 1) - 1).expand(channels, height, width)
    grid = torch.stack((gx, gy), dim=-1)
    return grid.unsqueeze(0).expand(batch, channels, height, width, 2).reshape(batch * channels, height, width, 2)


def grid_shift(x, shifts):
    n, c, h, w = x.shape
    y = F.grid_sample(x.reshape(n * c, 1, h, w), shift_grid(shifts, n, h, w), mode="bilinear",
                      padding_mode="zeros", align_corners=True)
    return y.view(n, c, h, w)


def check_grid_shift():
    """An integer shift must be exactly y[i] = x[i - s] with zeros outside (the sign shiftops uses)."""
    x = torch.randn(2, 3, 7, 9)
    shifts = torch.tensor([[1.0, -2.0], [0.0, 3.0], [-1.0, 1.0]])
    y = grid_shift(x, shifts)
    expected = torch.zeros_like(x)
    for c, (dy, dx) in enumerate(shifts.long().tolist()):
        for i in range(7):
            for j in range(9):
                if 0 <= i - dy < 7 and 0 <= j - dx < 9:
                    expected[:, c, i, j] = x[:, c, i - dy, j - dx]
    error = (y - expected).abs().max().item()
    if error > 1e-5:
        sys.exit(f"pytorch_cpu.py: the grid_sample shift is wrong by {error}; not timing it")


def bench_shape(shape, warmup, repetitions, warmup_seconds):
    c = shape[1]
    torch.manual_seed(0)
    x = torch.randn(shape)
    g = torch.randn(shape)
    size = x.numel() * x.element_size()
    cases = []

    def add(name, body, traffic):
        case, _, minimum = time_case(cases, shape, name, body, warmup, repetitions, warmup_seconds, 52)
        case.update(gb_per_s=traffic / minimum / 1e9, bytes=traffic)

    out = torch.empty_like(x).fill_(0)  # prefaulted, as shiftops bench's copy
    add("pytorch copy_", lambda: out.copy_(x), 2 * size)

    if len(shape) == 5:
        conv = torch.nn.Conv3d(c, c, 3, padding=1, groups=c, bias=False)
        kernel = "3x3x3"
        layouts = (("NCDHW", torch.contiguous_format), ("channels-last-3d", torch.channels_last_3d))
    else:
        conv = torch.nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)
        kernel = "3x3"
        layouts = (("NCHW", torch.contiguous_format), ("channels-last", torch.channels_last))
    for layout, memory_format in layouts:
        module = conv.to(memory_format=memory_format)
        xl = x.contiguous(memory_format=memory_format)
        gl = g.contiguous(memory_format=memory_format)

        def forward():
            with torch.no_grad():
                module(xl)

        def training():
            xi = xl.detach().requires_grad_(True)
            module.weight.grad = None
            module(xi).backward(gl)

        add(f"pytorch depthwise {kernel} {layout} forward", forward, 2 * size)
        add(f"pytorch depthwise {kernel} {layout} forward+backward", training, 5 * size)
    if len(shape) == 5:
        return cases

    shifts = (torch.rand(c, 2) * 3 - 1.5)

    def shift_forward():
        with torch.no_grad():
            grid_shift(x, shifts)

    def shift_training():
        xi = x.detach().requires_grad_(True)
        si = shifts.detach().requires_grad_(True)
        grid_shift(xi, si).backward(g)

    add("pytorch grid_sample shift forward", shift_forward, 2 * size)
    add("pytorch grid_sample shift forward+backward", shift_training, 5 * size)
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shape", action="append",
                        help="N,C,H,W or N,C,D,H,W (repeatable); default 8,64,56,56, 32,64,56,56 and 8,32,16,56,56")
    add_timing_arguments(parser, repetitions=30, warmup=5)
    args = parser.parse_args()
    shapes = [[8, 64, 56, 56], [32, 64, 56, 56], [8, 32, 16, 56, 56]]
    if args.shape:
        shapes = []
        for text in args.shape:
            parts = text.split(",")
            if len(parts) not in (4, 5) or not all(p.isdigit() and int(p) > 0 for p in parts):
                sys.exit(f"pytorch_cpu.py: --shape expects four or five positive integers N,C,H,W or N,C,D,H,W, got '{text}'")
            shapes.append([int(p) for p in parts])
    if args.repetitions < 1 or args.warmup < 0:
        sys.exit("pytorch_cpu.py: --repetitions expects >= 1 and --warmup >= 0")
    if args.threads:
        torch.set_num_threads(args.threads)
    check_grid_shift()
    cases = [case for shape in shapes for case in bench_shape(shape, args.warmup, args.repetitions, args.warmup_seconds)]
    document = {"source": "pytorch", "torch_version": torch.__version__, "threads": torch.get_num_threads(),
                "repetitions": args.repetitions, "warmup": args.warmup, "warmup_seconds": args.warmup_seconds, "cases": cases, "figures": []}
    write_document(document, args.json)


if __name__ == "__main__":
    main()
