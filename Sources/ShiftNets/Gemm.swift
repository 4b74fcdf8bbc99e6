// The matrix product behind every convolution and linear layer: the platform's BLAS when one is
// found (`GemmBackend`), the portable loops below otherwise. Single-threaded either way: callers
// run one product per image (or per fixed block of columns) on each thread, so results never
// depend on the thread count.

/// `C[i, j] (+)= sum over p of A(i, p) * B(p, j)` for `i < m`, `j < n`, `p < k`, on
/// `GemmBackend.current`.
///
/// `A(i, p)` is `a[i * lda + p]`, or `a[p * lda + i]` when `transposeA`; `B(p, j)` is
/// `b[p * ldb + j]`, or `b[j * ldb + p]` when `transposeB`. `C` is row-major with row stride
/// `ldc`. With `accumulate` false, `C` is overwritten.
@_specialize(where T == Float)
@_specialize(where T == Double)
func gemm<T: NetScalar>(m: Int, n: Int, k: Int,
                        a: UnsafePointer<T>, lda: Int, transposeA: Bool,
                        b: UnsafePointer<T>, ldb: Int, transposeB: Bool = false,
                        c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool,
                        backend: GemmBackend = .current) {
    guard m > 0, n > 0 else { return }
    // CBLAS rejects (with a message, leaving C alone) leading dimensions below a row, and takes
    // 32-bit sizes; anything else it cannot take runs on the portable loops.
    let limit = Int(Int32.max)
    if let cblas = backend.cblas, k > 0, Swift.max(m, n, k, lda, ldb, ldc) <= limit,
       lda >= (transposeA ? m : k), ldb >= (transposeB ? k : n), ldc >= n,
       cblas.gemm(transposeA: transposeA, transposeB: transposeB, m: Int32(m), n: Int32(n), k: Int32(k),
                  a: a, lda: Int32(lda), b: b, ldb: Int32(ldb), beta: accumulate ? 1 : 0, c: c, ldc: Int32(ldc)) {
        return
    }
    guard transposeB else {
        portableGemm(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: b, ldb: ldb, c: c, ldc: ldc,
                     accumulate: accumulate)
        return
    }
    // The portable loops stream rows of B: a transposed B is copied row-major first.
    let rows = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, k &* n))
    defer { rows.deallocate() }
    transpose(rows: n, cols: k, source: b, lds: ldb, target: rows, ldt: n)
    portableGemm(m: m, n: n, k: k, a: a, lda: lda, transposeA: transposeA, b: rows, ldb: n, c: c, ldc: ldc,
                 accumulate: accumulate)
}

/// The portable product, `B` not transposed (the arguments as `gemm`'s).
///
/// Blocked for the cache: columns in panels of 256 so that four rows of `C` stay in L1 while a
/// panel of `B` streams from L2; four rows at a time share each load of `B`; the inner loop over
/// `j` is contiguous, which the compiler vectorises. The sum over `p` runs in order for each
/// element, so the bits do not depend on the blocking (nor on how callers split the columns).
@_specialize(where T == Float)
@_specialize(where T == Double)
func portableGemm<T: NetScalar>(m: Int, n: Int, k: Int,
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
