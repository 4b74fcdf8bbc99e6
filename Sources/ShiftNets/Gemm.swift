// The matrix product behind every convolution and linear layer. Single-threaded: callers run one
// product per image (or per block of rows) on each thread, so results never depend on the thread
// count.

/// `C[i, j] (+)= sum over p of A(i, p) * B[p, j]` for `i < m`, `j < n`, `p < k`.
///
/// `A(i, p)` is `a[i * lda + p]`, or `a[p * lda + i]` when `transposeA`. `B` is row-major with row
/// stride `ldb`, `C` with `ldc`. With `accumulate` false, `C` is overwritten.
///
/// Blocked for the cache: columns in panels of 256 so that four rows of `C` stay in L1 while a
/// panel of `B` streams from L2; four rows at a time share each load of `B`; the inner loop over
/// `j` is contiguous, which the compiler vectorises. The sum over `p` runs in order for each
/// element, so the bits do not depend on the blocking.
@_specialize(where T == Float)
@_specialize(where T == Double)
func gemm<T: NetScalar>(m: Int, n: Int, k: Int,
                        a: UnsafePointer<T>, lda: Int, transposeA: Bool,
                        b: UnsafePointer<T>, ldb: Int,
                        c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool) {
    guard m > 0, n > 0 else { return }
    @inline(__always) func aAt(_ i: Int, _ p: Int) -> T {
        transposeA ? a[p &* lda &+ i] : a[i &* lda &+ p]
    }
    let panel = 256
    var j0 = 0
    while j0 < n {
        let width = Swift.min(panel, n &- j0)
        var i = 0
        while i &+ 4 <= m {
            let c0 = c + (i &* ldc &+ j0), c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc
            if !accumulate {
                c0.update(repeating: 0, count: width); c1.update(repeating: 0, count: width)
                c2.update(repeating: 0, count: width); c3.update(repeating: 0, count: width)
            }
            for p in 0..<k {
                let (x0, x1, x2, x3) = (aAt(i, p), aAt(i &+ 1, p), aAt(i &+ 2, p), aAt(i &+ 3, p))
                let row = b + (p &* ldb &+ j0)
                for j in 0..<width {
                    let y = row[j]
                    c0[j] += x0 * y
                    c1[j] += x1 * y
                    c2[j] += x2 * y
                    c3[j] += x3 * y
                }
            }
            i &+= 4
        }
        while i < m {
            let c0 = c + (i &* ldc &+ j0)
            if !accumulate { c0.update(repeating: 0, count: width) }
            for p in 0..<k {
                let x0 = aAt(i, p)
                let row = b + (p &* ldb &+ j0)
                for j in 0..<width { c0[j] += x0 * row[j] }
            }
            i &+= 1
        }
        j0 &+= width
    }
}

/// Writes the transpose of the `rows x cols` row-major matrix `source` (row stride `lds`) into
/// `target` (`cols x rows`, row stride `ldt`).
@_specialize(where T == Float)
@_specialize(where T == Double)
func transpose<T: NetScalar>(rows: Int, cols: Int, source: UnsafePointer<T>, lds: Int,
                             target: UnsafeMutablePointer<T>, ldt: Int) {
    // Tiles keep both sides in cache.
    let tile = 32
    var r0 = 0
    while r0 < rows {
        let r1 = Swift.min(rows, r0 &+ tile)
        var c0 = 0
        while c0 < cols {
            let c1 = Swift.min(cols, c0 &+ tile)
            for r in r0..<r1 {
                for col in c0..<c1 { target[col &* ldt &+ r] = source[r &* lds &+ col] }
            }
            c0 = c1
        }
        r0 = r1
    }
}
