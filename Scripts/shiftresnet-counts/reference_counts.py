# Runs shiftresnet-cifar's own model definitions (shift stubbed as identity, shape-only torch
# stand-in) and its count.py formulas, for every configuration ShiftNets checks.
import sys, json
sys.path.insert(0, __import__('os').path.dirname(__file__)); sys.path.insert(0, '/tmp/src')
import numpy as np
import torch
from models import *
def count_params(net): return int(sum([np.prod(p.size()) for _, p in net.named_parameters()]))
def count_flops(net):
    net.forward(torch.randn(1, 3, 32, 32)); return net.flops()
rows = []
for d, R in ((20, ResNet20), (56, ResNet56), (110, ResNet110)):
    net = R(); rows.append(dict(model=f'resnet{d}', params=count_params(net), script_flops=count_flops(net)))
    for mode in ('net', 'block'):
        for r in (2.0, 2.8, 4.0):
            net = R(reduction=r, reduction_mode=mode)
            rows.append(dict(model=f'resnet{d}', reduction=r, mode=mode, params=count_params(net), script_flops=count_flops(net)))
for d, S, D in ((20, ShiftResNet20, DepthwiseResNet20), (56, ShiftResNet56, DepthwiseResNet56), (110, ShiftResNet110, DepthwiseResNet110)):
    for e in (1, 3, 6, 9):
        net = S(expansion=e); rows.append(dict(model=f'shiftresnet{d}', expansion=e, params=count_params(net), script_flops=count_flops(net)))
        net = D(reduction=1.0 / e); rows.append(dict(model=f'depthwiseresnet{d}', expansion=e, params=count_params(net), script_flops=count_flops(net), mid=[b.mid_planes for b in net.layer1][0]))
print(json.dumps(rows, indent=0))
