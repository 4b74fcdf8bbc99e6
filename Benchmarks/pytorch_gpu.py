#!/usr/bin/env python3
"""PyTorch's side of `shiftops bench --device cuda` (figure G4): the same shapes, the same format.

Times, with CUDA events (median and minimum of --repetitions after a warm-up), on preallocated
tensors where PyTorch allows:
  copy_                                    out.copy_(x), the bandwidth baseline
  depthwise 3x3 NCHW / channels-last       conv2d(groups=C), forward and forward+backward
  grid_sample shift                        a per-channel shift as grid_sample, forward and forward+backward

Optional: ShiftOps never needs PyTorch. Usage:
  python3 Benchmarks/pytorch_gpu.py [--shape N,C,H,W]... [--repetitions R] [--json FILE] [--csv FILE]
then `shiftops bench --device cuda --pytorch FILE` prints G4 from FILE. No figure in this
repository comes from this script unless it was run on the GPU named in the output.
"""
import argparse
import json
import sys

DEFAULT_SHAPES = [(64, 128, 56, 56), (32, 64, 56, 56), (128, 256, 28, 28), (8, 512, 7, 7)]


def timed(torch, body, repetitions):
    body()
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    samples = []
    for _ in range(repetitions):
        start.record()
        body()
        stop.record()
        stop.synchronize()
        samples.append(start.elapsed_time(stop))
    samples.sort()
    return samples[len(samples) // 2], samples[0]


def shift_grid(torch, shape, shifts):
    # grid_sample's normalised coordinates (align_corners=True): output pixel p samples p - s.
    n, c, h, w = shape
    ys = torch.arange(h, device="cuda", dtype=torch.float32).view(1, h, 1)
    xs = torch.arange(w, device="cuda", dtype=torch.float32).view(1, 1, w)
    gy = (ys - shifts[:, 0].view(c, 1, 1)) * (2.0 / max(h - 1, 1)) - 1
    gx = (xs - shifts[:, 1].view(c, 1, 1)) * (2.0 / max(w - 1, 1)) - 1
    grid = torch.stack([gx.expand(c, h, w), gy.expand(c, h, w)], dim=-1)  # [C, H, W, 2]
    return grid


def bench_shape(torch, shape, repetitions):
    F = torch.nn.functional
    n, c, h, w = shape
    rows = []
    x = torch.randn(shape, device="cuda")
    out = torch.empty_like(x)
    rows.append(("copy_", timed(torch, lambda: out.copy_(x), repetitions)))
    weight = torch.randn(c, 1, 3, 3, device="cuda", requires_grad=True)
    for layout, fmt in (("NCHW", torch.contiguous_format), ("channels-last", torch.channels_last)):
        xl = x.detach().clone().to(memory_format=fmt).requires_grad_(True)
        wl = weight.detach().clone().to(memory_format=fmt).requires_grad_(True)
        g = torch.randn(shape, device="cuda").to(memory_format=fmt)
        with torch.no_grad():
            rows.append((f"depthwise 3x3 {layout} forward",
                         timed(torch, lambda: F.conv2d(xl, wl, padding=1, groups=c), repetitions)))

        def fwd_bwd():
            y = F.conv2d(xl, wl, padding=1, groups=c)
            torch.autograd.grad(y, (xl, wl), g)
        rows.append((f"depthwise 3x3 {layout} forward+backward", timed(torch, fwd_bwd, repetitions)))
    # A per-channel shift through grid_sample: fold channels into the batch so each has its grid.
    shifts = (torch.rand(c, 2, device="cuda") * 3 - 1.5).requires_grad_(True)
    xs = x.detach().reshape(n * c, 1, h, w).requires_grad_(True)
    gs = torch.randn(n * c, 1, h, w, device="cuda")

    def grid_forward():
        grid = shift_grid(torch, shape, shifts).repeat(n, 1, 1, 1)
        return F.grid_sample(xs, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    with torch.no_grad():
        rows.append(("grid_sample shift forward", timed(torch, grid_forward, repetitions)))

    def grid_fwd_bwd():
        torch.autograd.grad(grid_forward(), (xs, shifts), gs)
    rows.append(("grid_sample shift forward+backward", timed(torch, grid_fwd_bwd, repetitions)))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", action="append", help="N,C,H,W (repeatable)")
    parser.add_argument("--repetitions", type=int, default=30)
    parser.add_argument("--json")
    parser.add_argument("--csv")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("pytorch_gpu.py needs PyTorch with CUDA (pip install torch); ShiftOps itself does not")
    if not torch.cuda.is_available():
        sys.exit("pytorch_gpu.py: PyTorch sees no CUDA device")
    torch.backends.cudnn.benchmark = True
    shapes = [tuple(int(v) for v in s.split(",")) for s in args.shape] if args.shape else DEFAULT_SHAPES
    device = torch.cuda.get_device_name(0)
    print(f"device: {device}, PyTorch {torch.__version__}")
    cases = []
    for shape in shapes:
        label = "x".join(map(str, shape))
        print(f"\nshape {label} float32 on the GPU, median and minimum ms of {args.repetitions}")
        for name, (median, minimum) in bench_shape(torch, shape, args.repetitions):
            print(f"{name:<52}{median:>11.3f}{minimum:>11.3f}")
            cases.append({"shape": list(shape), "case": name, "median_ms": median, "min_ms": minimum})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": device, "torch": torch.__version__, "cases": cases}, f, indent=2)
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("shape,case,median_ms,min_ms\n")
            for case in cases:
                f.write(f"{'x'.join(map(str, case['shape']))},{case['case']},{case['median_ms']},{case['min_ms']}\n")


if __name__ == "__main__":
    main()
