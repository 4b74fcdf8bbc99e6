def Variable(x): return x
