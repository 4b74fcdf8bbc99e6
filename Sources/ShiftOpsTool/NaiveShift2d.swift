import ShiftOps

/// The straightforward 2-D active shift a first implementation would be: one output element at a
/// time, the sampling formula and the padding evaluated per tap. The benchmark times the kernels
/// against it (figure C6) and checks them against it before posting a time.
enum NaiveShift2d {
    static func tap(_ i: Int, _ n: Int, _ padding: ShiftPadding) -> Int? {
        switch padding {
        case .zeros: return i >= 0 && i < n ? i : nil
        case .border: return min(max(i, 0), n - 1)
        case .periodic: return ((i % n) + n) % n
        case .reflect:
            if n == 1 { return 0 }
            let r = ((i % (2 * n - 2)) + 2 * n - 2) % (2 * n - 2)
            return r < n ? r : 2 * n - 2 - r
        case .symmetric:
            let r = ((i % (2 * n)) + 2 * n) % (2 * n)
            return r < n ? r : 2 * n - 1 - r
        }
    }

    /// `[N, C, H, W]` dense input, `[C, 2]` dense shifts; stride 1, origin 0.
    static func forward<T: ShiftFloatingPoint>(_ x: [T], shape: [Int], shifts: [T], padding: ShiftPadding) -> [T] {
        let (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        var y = [T](repeating: 0, count: x.count)
        for n in 0..<batch {
            for c in 0..<channels {
                let plane = (n * channels + c) * height * width
                for i in 0..<height {
                    for j in 0..<width {
                        let u = T(i) - shifts[2 * c], v = T(j) - shifts[2 * c + 1]
                        let fu = u.rounded(.down), fv = v.rounded(.down)
                        let tu = u - fu, tv = v - fv
                        var sum: T = 0
                        for a in 0..<2 {
                            for b in 0..<2 {
                                guard let r = tap(Int(fu) + a, height, padding),
                                      let q = tap(Int(fv) + b, width, padding) else { continue }
                                let weight = (a == 0 ? 1 - tu : tu) * (b == 0 ? 1 - tv : tv)
                                sum += weight * x[plane + r * width + q]
                            }
                        }
                        y[plane + i * width + j] = sum
                    }
                }
            }
        }
        return y
    }
}
