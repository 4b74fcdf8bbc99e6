/// The strides of a tensor lifted to `[N, C, D, H, W]`.
@usableFromInline
struct LiftedStrides: Sendable {
    @usableFromInline var n: Int, c: Int, d: Int, h: Int, w: Int

    @inlinable
    init(n: Int, c: Int, d: Int, h: Int, w: Int) {
        (self.n, self.c, self.d, self.h, self.w) = (n, c, d, h, w)
    }

    @usableFromInline
    init<Element>(_ tensor: Tensor<Element>) {
        // Batch and channel strides stay in front; lifted spatial axes (length 1) get stride 0.
        let st = tensor.strides
        let k = tensor.rank - 2
        n = st[0]
        c = st[1]
        d = k == 3 ? st[2] : 0
        h = k >= 2 ? st[tensor.rank - 2] : 0
        w = st[tensor.rank - 1]
    }
}
