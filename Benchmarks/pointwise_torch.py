"""PyTorch's 1x1 convolution on the shapes of `shiftops bench-pointwise`, for the side-by-side.

    python3 Benchmarks/pointwise_torch.py [--threads 2] [--repeats 5] [--json pointwise.json]
    swift run -c release shiftops bench-pointwise --pytorch pointwise.json

FLOPs are 2 x MACs; forward + backward counts 3 x the forward (input and weight gradients).
Best of --repeats after warm-up (bench_timing.py's timing, the other scripts' too). With --json it
also writes the "cases" JSON (shape [N, Cin, H, W, Cout]) that `shiftops bench-pointwise --pytorch
FILE` reads for N3.
Not a dependency: ShiftOps never needs PyTorch.
"""
import argparse
import torch

from bench_timing import timed, write_document

SHAPES = [(32, 16, 48, 32), (32, 48, 16, 32), (32, 32, 96, 16), (32, 96, 32, 16),
          (32, 64, 192, 8), (32, 192, 64, 8), (32, 64, 64, 56)]

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--json', help='also write the cases here for shiftops bench-pointwise --pytorch')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print(f'PyTorch {torch.__version__} 1x1 conv2d, float32, {a.threads} threads, best of {a.repeats}')
    print('| N x Cin x H x W -> Cout | forward ms | forward GFLOP/s | fwd+bwd ms | fwd+bwd GFLOP/s |')
    print('| --- | ---: | ---: | ---: | ---: |')
    cases = []
    for n, cin, cout, side in SHAPES:
        conv = torch.nn.Conv2d(cin, cout, 1, bias=False)
        x = torch.randn(n, cin, side, side, requires_grad=True)
        g = torch.randn(n, cout, side, side)
        flops = 2.0 * n * cin * cout * side * side

        def forward():
            conv(x)

        def both():
            conv(x).backward(g)

        shape = [n, cin, side, side, cout]
        f_median, fwd = timed(forward, 1, a.repeats, 0)
        b_median, bwd = timed(both, 1, a.repeats, 0)
        cases.append({'shape': shape, 'case': 'pytorch conv1x1 forward', 'median_ms': f_median * 1e3, 'min_ms': fwd * 1e3})
        cases.append({'shape': shape, 'case': 'pytorch conv1x1 forward+backward', 'median_ms': b_median * 1e3, 'min_ms': bwd * 1e3})
        print(f'| {n}x{cin}x{side}x{side} -> {cout} | {fwd*1e3:.2f} | {flops/fwd/1e9:.1f} | {bwd*1e3:.2f} | {3*flops/bwd/1e9:.1f} |')
    if a.json:
        write_document({'source': 'pytorch', 'torch_version': torch.__version__, 'threads': torch.get_num_threads(),
                        'repetitions': a.repeats, 'cases': cases}, a.json)

if __name__ == '__main__':
    main()
