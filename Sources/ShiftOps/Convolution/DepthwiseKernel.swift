/// The 3x3 depthwise convolution over dense NCHW storage: output rows (forward) or planes
/// (backward) spread over threads, each writing only its own outputs.
@usableFromInline
enum DepthwiseKernel {
    @inlinable
    static func forward<T: ShiftFloatingPoint>(
        _ p: DepthwiseProblem, x: UnsafePointer<T>, weight: UnsafePointer<T>, y: SendablePointer<T>
    ) {
        let (input, filters) = (UncheckedSendable(x), UncheckedSendable(weight))
        let rows = p.batch * p.channels * p.outHeight
        let interior = p.interiorColumns
        parallelChunks(count: rows, grain: Swift.max(1, 2048 / Swift.max(p.outWidth, 1))) { range in
            for r in range {
                let plane = r / p.outHeight, oh = r % p.outHeight
                let c = plane % p.channels
                let k = filters.value + c &* 9
                let src = input.value + plane &* (p.height &* p.width)
                let out = y.base + r &* p.outWidth
                var first = true
                for a in 0..<3 {
                    let ih = oh &* p.stride &- p.padding &+ a
                    if ih < 0 || ih >= p.height { continue }
                    let row = src + ih &* p.width
                    let (k0, k1, k2) = (k[a &* 3], k[a &* 3 &+ 1], k[a &* 3 &+ 2])
                    @inline(__always) func tapSum(_ ow: Int) -> T {
                        var v: T = 0
                        let iw = ow &* p.stride &- p.padding
                        if iw >= 0 && iw < p.width { v += k0 * row[iw] }
                        if iw &+ 1 >= 0 && iw &+ 1 < p.width { v += k1 * row[iw &+ 1] }
                        if iw &+ 2 >= 0 && iw &+ 2 < p.width { v += k2 * row[iw &+ 2] }
                        return v
                    }
                    for ow in 0..<interior.lowerBound { out[ow] = first ? tapSum(ow) : out[ow] + tapSum(ow) }
                    if p.stride == 1 {
                        let base = row - p.padding
                        if first {
                            for ow in interior { out[ow] = k0 * base[ow] + k1 * base[ow &+ 1] + k2 * base[ow &+ 2] }
                        } else {
                            for ow in interior { out[ow] += k0 * base[ow] + k1 * base[ow &+ 1] + k2 * base[ow &+ 2] }
                        }
                    } else {
                        for ow in interior { out[ow] = first ? tapSum(ow) : out[ow] + tapSum(ow) }
                    }
                    for ow in interior.upperBound..<p.outWidth { out[ow] = first ? tapSum(ow) : out[ow] + tapSum(ow) }
                    first = false
                }
                if first { out.update(repeating: 0, count: p.outWidth) }
            }
        }
    }

    @inlinable
    static func backward<T: ShiftFloatingPoint>(
        _ p: DepthwiseProblem, x: UnsafePointer<T>, weight: UnsafePointer<T>, g: UnsafePointer<T>,
        gx: SendablePointer<T>, partials: SendablePointer<T>
    ) {
        let (input, filters, gradOutput) = (UncheckedSendable(x), UncheckedSendable(weight), UncheckedSendable(g))
        let interior = p.interiorColumns
        let planeSize = p.height &* p.width, outPlaneSize = p.outHeight &* p.outWidth
        parallelChunks(count: p.batch * p.channels, grain: Swift.max(1, 8192 / Swift.max(planeSize, 1))) { range in
            for plane in range {
                let c = plane % p.channels
                let k = filters.value + c &* 9
                let src = input.value + plane &* planeSize
                let dst = gx.base + plane &* planeSize
                let gPlane = gradOutput.value + plane &* outPlaneSize
                dst.update(repeating: 0, count: planeSize)
                var sums = [T](repeating: 0, count: 9)
                for oh in 0..<p.outHeight {
                    let gRow = gPlane + oh &* p.outWidth
                    for a in 0..<3 {
                        let ih = oh &* p.stride &- p.padding &+ a
                        if ih < 0 || ih >= p.height { continue }
                        let row = src + ih &* p.width, gxRow = dst + ih &* p.width
                        let (k0, k1, k2) = (k[a &* 3], k[a &* 3 &+ 1], k[a &* 3 &+ 2])
                        var (s0, s1, s2): (T, T, T) = (0, 0, 0)
                        @inline(__always) func edge(_ ow: Int) {
                            let v = gRow[ow], iw = ow &* p.stride &- p.padding
                            if iw >= 0 && iw < p.width { gxRow[iw] += k0 * v; s0 += v * row[iw] }
                            if iw &+ 1 >= 0 && iw &+ 1 < p.width { gxRow[iw &+ 1] += k1 * v; s1 += v * row[iw &+ 1] }
                            if iw &+ 2 >= 0 && iw &+ 2 < p.width { gxRow[iw &+ 2] += k2 * v; s2 += v * row[iw &+ 2] }
                        }
                        for ow in 0..<interior.lowerBound { edge(ow) }
                        if p.stride == 1 && interior.count >= 2 {
                            // gx as a gather over input columns, so the loop vectorises.
                            let lo = interior.lowerBound, hi = interior.upperBound
                            let out = gxRow - p.padding
                            out[lo] += k0 * gRow[lo]
                            out[lo &+ 1] += k0 * gRow[lo &+ 1] + k1 * gRow[lo]
                            for i in (lo &+ 2)..<hi { out[i] += k0 * gRow[i] + k1 * gRow[i &- 1] + k2 * gRow[i &- 2] }
                            out[hi] += k1 * gRow[hi &- 1] + k2 * gRow[hi &- 2]
                            out[hi &+ 1] += k2 * gRow[hi &- 1]
                            let d = dot3(gRow + lo, row - p.padding + lo, count: hi &- lo)
                            s0 += d.0; s1 += d.1; s2 += d.2
                        } else {
                            for ow in interior { edge(ow) }
                        }
                        for ow in interior.upperBound..<p.outWidth { edge(ow) }
                        sums[a &* 3] += s0
                        sums[a &* 3 &+ 1] += s1
                        sums[a &* 3 &+ 2] += s2
                    }
                }
                for tap in 0..<9 { partials.base[plane &* 9 &+ tap] = sums[tap] }
            }
        }
    }

    /// `(sum g[i] x[i], sum g[i] x[i+1], sum g[i] x[i+2])`, eight lanes at a time.
    @inlinable @inline(__always)
    static func dot3<T: ShiftFloatingPoint>(_ g: UnsafePointer<T>, _ x: UnsafePointer<T>, count: Int) -> (T, T, T) {
        var a0 = SIMD8<T>(repeating: 0), a1 = a0, a2 = a0
        let (gRaw, xRaw) = (UnsafeRawPointer(g), UnsafeRawPointer(x))
        let size = MemoryLayout<T>.stride
        var i = 0
        while i &+ 8 <= count {
            let gv = gRaw.loadUnaligned(fromByteOffset: i &* size, as: SIMD8<T>.self)
            a0 += gv * xRaw.loadUnaligned(fromByteOffset: i &* size, as: SIMD8<T>.self)
            a1 += gv * xRaw.loadUnaligned(fromByteOffset: (i &+ 1) &* size, as: SIMD8<T>.self)
            a2 += gv * xRaw.loadUnaligned(fromByteOffset: (i &+ 2) &* size, as: SIMD8<T>.self)
            i &+= 8
        }
        var s = (a0.sum(), a1.sum(), a2.sum())
        while i < count {
            s.0 += g[i] * x[i]; s.1 += g[i] * x[i &+ 1]; s.2 += g[i] * x[i &+ 2]
            i &+= 1
        }
        return s
    }
}
