"""PyTorch's 1x1 convolution on the shapes of `shiftops bench-pointwise`, for the side-by-side.

    python3 Benchmarks/pointwise_torch.py [--threads 2] [--repeats 5]

FLOPs are 2 x MACs; forward + backward counts 3 x the forward (input and weight gradients).
Best of --repeats after one warm-up. Not a dependency: ShiftOps never needs PyTorch.
"""
import argparse, time
import torch

SHAPES = [(32, 16, 48, 32), (32, 48, 16, 32), (32, 32, 96, 16), (32, 96, 32, 16),
          (32, 64, 192, 8), (32, 192, 64, 8), (32, 64, 64, 56)]

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--repeats', type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    print(f'PyTorch {torch.__version__} 1x1 conv2d, float32, {a.threads} threads, best of {a.repeats}')
    print('| N x Cin x H x W -> Cout | forward ms | forward GFLOP/s | fwd+bwd ms | fwd+bwd GFLOP/s |')
    print('| --- | ---: | ---: | ---: | ---: |')
    for n, cin, cout, side in SHAPES:
        conv = torch.nn.Conv2d(cin, cout, 1, bias=False)
        x = torch.randn(n, cin, side, side, requires_grad=True)
        g = torch.randn(n, cout, side, side)
        flops = 2.0 * n * cin * cout * side * side
        fwd = both = float('inf')
        for i in range(a.repeats + 1):
            t = time.perf_counter(); y = conv(x); f = time.perf_counter() - t
            t = time.perf_counter(); y = conv(x); y.backward(g); b = time.perf_counter() - t
            if i: fwd, both = min(fwd, f), min(both, b)
        print(f'| {n}x{cin}x{side}x{side} -> {cout} | {fwd*1e3:.2f} | {flops/fwd/1e9:.1f} | {both*1e3:.2f} | {3*flops/both/1e9:.1f} |')

if __name__ == '__main__':
    main()
