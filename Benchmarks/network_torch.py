#!/usr/bin/env python3
"""PyTorch's side of `shiftops bench-network`: the same CIFAR networks, timed the same way.

Builds ShiftResNet-20 (e = 3, grouped shifts), its depthwise twin and ResNet-20 as ShiftNets
builds them (a 3x3 stem of 16 channels, three stages of 16, 32, 64 channels, residual blocks with a
1x1 conv + BN shortcut where the width or resolution changes, global average pooling, a linear
classifier), and times on [N, 3, 32, 32], NCHW and channels-last:
  - eval forward (under no_grad) at batch 1 and at batch 32,
  - a training step at batch 32: forward, cross-entropy, backward, SGD with momentum and weight
    decay (the step `shiftops bench-network` times).
The shift is done the idiomatic PyTorch way, as ShiftViT and TSM do: a zero-filled output and one
slice copy per offset (grouped shifts: channel c takes offset c mod 9 of the 3x3 neighbourhood,
enumerated row-major, y[i] = x[i - s]). The twin's 3x3 depthwise convolution is
nn.Conv2d(groups=C). It writes the JSON `shiftops bench-network --pytorch FILE` reads (the
"cases" format of pytorch_cpu.py: shape, case, median_ms, min_ms).

    python3 Benchmarks/network_torch.py --threads 2 --json network.json
    swift run -c release shiftops bench-network --pytorch network.json
"""
import argparse
import sys
import warnings

warnings.filterwarnings("ignore", message="CUDA initialization")

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit("network_torch.py: needs PyTorch (pip install torch); shiftops bench-network runs without it")

from bench_timing import add_timing_arguments, time_case, write_document


class GroupedShift(nn.Module):
    """Integer shifts fixed per channel: channel c moves by offset c mod 9 of {-1, 0, 1}^2."""

    def __init__(self, channels):
        super().__init__()
        self.channels = channels

    def forward(self, x):
        out = torch.zeros_like(x)
        h, w = x.shape[2], x.shape[3]
        for o in range(9):
            dy, dx = o // 3 - 1, o % 3 - 1
            # y[i] = x[i - s]: rows max(dy, 0) .. h + min(dy, 0) read rows shifted back by dy.
            out[:, o::9, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
                x[:, o::9, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
        return out


def check_shift():
    """The slice copies must be y[i] = x[i - s] with zeros outside, per channel."""
    x = torch.randn(2, 11, 5, 6)
    y = GroupedShift(11)(x)
    for c in range(11):
        dy, dx = (c % 9) // 3 - 1, (c % 9) % 3 - 1
        for i in range(5):
            for j in range(6):
                expected = x[:, c, i - dy, j - dx] if 0 <= i - dy < 5 and 0 <= j - dx < 6 else torch.zeros(2)
                if not torch.equal(y[:, c, i, j], expected):
                    sys.exit(f"network_torch.py: the grouped shift is wrong at channel {c}, ({i}, {j}); not timing it")


def conv_bn(cin, cout, k, stride=1, groups=1):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]


class Block(nn.Module):
    """relu(main(x) + shortcut(x)), the shortcut a 1x1 conv + BN when width or stride change."""

    def __init__(self, kind, cin, planes, stride, expansion):
        super().__init__()
        if kind == "basic":
            layers = conv_bn(cin, planes, 3, stride) + [nn.ReLU(inplace=True)] + conv_bn(planes, planes, 3)
        else:
            mid = int(planes * expansion)
            layers = conv_bn(cin, mid, 1) + [nn.ReLU(inplace=True)]
            if kind == "shift":
                layers += [GroupedShift(mid)] + conv_bn(mid, planes, 1, stride)
            else:  # the depthwise twin: 3x3 depthwise conv + BN in place of the shift
                layers += conv_bn(mid, mid, 3, groups=mid) + conv_bn(mid, planes, 1, stride)
        self.main = nn.Sequential(*layers)
        self.shortcut = nn.Sequential(*conv_bn(cin, planes, 1, stride)) if stride != 1 or cin != planes else nn.Identity()

    def forward(self, x):
        return F.relu(self.main(x) + self.shortcut(x))


def network(kind, depth=20, expansion=3.0, classes=10):
    n = (depth - 2) // 6
    layers = conv_bn(3, 16, 3) + [nn.ReLU(inplace=True)]
    cin = 16
    for s, planes in enumerate((16, 32, 64)):
        for b in range(n):
            layers.append(Block(kind, cin, planes, 2 if s > 0 and b == 0 else 1, expansion))
            cin = planes
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


# The names shiftops bench-network gives the same networks.
NETWORKS = [("shiftresnet20-e3-grouped", "shift"), ("depthwiseresnet20-e3", "depthwise"), ("resnet20", "basic")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_timing_arguments(parser, repetitions=20, warmup=3)
    args = parser.parse_args()
    if args.repetitions < 1 or args.warmup < 0:
        sys.exit("network_torch.py: --repetitions expects >= 1 and --warmup >= 0")
    if args.threads:
        torch.set_num_threads(args.threads)
    check_shift()
    cases = []

    def add(shape, name, body):
        time_case(cases, shape, name, body, args.warmup, args.repetitions, args.warmup_seconds, 60)

    parameters = {}
    for name, kind in NETWORKS:
        torch.manual_seed(0)
        model = network(kind)
        parameters[name] = sum(p.numel() for p in model.parameters())
        for layout, memory_format in (("NCHW", torch.contiguous_format), ("channels-last", torch.channels_last)):
            model = model.to(memory_format=memory_format)
            optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
            for batch in (1, 32):
                x = torch.randn(batch, 3, 32, 32).contiguous(memory_format=memory_format)
                model.eval()

                def forward():
                    with torch.no_grad():
                        model(x)

                add([batch, 3, 32, 32], f"pytorch {name} {layout} eval forward", forward)
            x = torch.randn(32, 3, 32, 32).contiguous(memory_format=memory_format)
            labels = torch.randint(0, 10, (32,))
            model.train()

            def step():
                optimizer.zero_grad(set_to_none=True)
                F.cross_entropy(model(x), labels).backward()
                optimizer.step()

            add([32, 3, 32, 32], f"pytorch {name} {layout} training step", step)
    document = {"source": "pytorch", "torch_version": torch.__version__, "threads": torch.get_num_threads(),
                "repetitions": args.repetitions, "warmup": args.warmup, "warmup_seconds": args.warmup_seconds,
                "parameters": parameters, "cases": cases}
    write_document(document, args.json)


if __name__ == "__main__":
    main()
