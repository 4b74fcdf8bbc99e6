from collections import OrderedDict
import math
class Parameter:
    def __init__(self, *shape): self.shape = shape
    def size(self): return self.shape
class Module:
    def __init__(self):
        object.__setattr__(self, '_modules', OrderedDict())
        object.__setattr__(self, '_params', OrderedDict())
    def __setattr__(self, k, v):
        if isinstance(v, Module): self._modules[k] = v
        elif isinstance(v, Parameter): self._params[k] = v
        object.__setattr__(self, k, v)
    def named_parameters(self, prefix=''):
        for k, p in self._params.items(): yield prefix + k, p
        for k, m in self._modules.items(): yield from m.named_parameters(prefix + k + '.')
    def __call__(self, *a): return self.forward(*a)
    def cuda(self): return self
class Conv2d(Module):
    def __init__(self, i, o, kernel_size, stride=1, padding=0, bias=True, groups=1):
        super().__init__()
        self.weight = Parameter(o, i // groups, kernel_size, kernel_size)
        if bias: self.bias = Parameter(o)
        self.o, self.k, self.s, self.p = o, kernel_size, stride, padding
    def forward(self, x):
        n, c, h, w = x.shape
        f = lambda v: (v + 2 * self.p - self.k) // self.s + 1
        from torch import FakeTensor
        return FakeTensor(n, self.o, f(h), f(w))
class BatchNorm2d(Module):
    def __init__(self, c):
        super().__init__(); self.weight = Parameter(c); self.bias = Parameter(c)
    def forward(self, x): return x
class Linear(Module):
    def __init__(self, i, o):
        super().__init__(); self.weight = Parameter(o, i); self.bias = Parameter(o); self.o = o
    def forward(self, x):
        from torch import FakeTensor
        return FakeTensor(x.shape[0], self.o)
class Sequential(Module):
    def __init__(self, *mods):
        super().__init__()
        for i, m in enumerate(mods): setattr(self, str(i), m)
    def __len__(self): return len(self._modules)
    def __iter__(self): return iter(self._modules.values())
    def forward(self, x):
        for m in self._modules.values(): x = m(x)
        return x
