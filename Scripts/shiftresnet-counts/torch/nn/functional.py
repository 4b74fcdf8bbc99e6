def relu(x): return x
def avg_pool2d(x, k):
    from torch import FakeTensor
    n, c, h, w = x.shape
    return FakeTensor(n, c, h // k, w // k)
