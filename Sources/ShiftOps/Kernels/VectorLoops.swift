import CShiftSIMD

/// The interpolation loops, through the C variants when the level is above portable and the
/// elements are `Float`; false when the caller's own Swift loop must run.
@usableFromInline
enum VectorLoops {
    /// `out[i] = (a0 p0[i] + b0 p0[i + 1]) + (a1 p1[i] + b1 p1[i + 1])`.
    @inlinable @inline(__always)
    static func bilinear<T: ShiftFloatingPoint>(_ level: Int32, _ out: UnsafeMutablePointer<T>,
                                                _ p0: UnsafePointer<T>, _ p1: UnsafePointer<T>,
                                                _ a0: T, _ b0: T, _ a1: T, _ b1: T, count: Int) -> Bool {
        guard level > VectorLevel.portable, T.self == Float.self else { return false }
        shift_simd_bilinear_f32(level, UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self),
                                UnsafeRawPointer(p0).assumingMemoryBound(to: Float.self),
                                UnsafeRawPointer(p1).assumingMemoryBound(to: Float.self),
                                float(a0), float(b0), float(a1), float(b1), Int64(count))
        return true
    }

    /// `out[i] = (((a0 p0[i] + b0 p0[i + 1]) + (a1 p1[i] + b1 p1[i + 1])) + (a2 p2[i] + ...)) + (a3 p3[i] + ...)`.
    @inlinable @inline(__always)
    static func trilinear<T: ShiftFloatingPoint>(
        _ level: Int32, _ out: UnsafeMutablePointer<T>,
        _ p: (UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>), _ a: (T, T, T, T), _ b: (T, T, T, T),
        count: Int
    ) -> Bool {
        guard level > VectorLevel.portable, T.self == Float.self else { return false }
        @inline(__always) func f(_ q: UnsafePointer<T>) -> UnsafePointer<Float> {
            UnsafeRawPointer(q).assumingMemoryBound(to: Float.self)
        }
        shift_simd_trilinear_f32(level, UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self),
                                 f(p.0), f(p.1), f(p.2), f(p.3),
                                 float(a.0), float(b.0), float(a.1), float(b.1), float(a.2), float(b.2), float(a.3), float(b.3),
                                 Int64(count))
        return true
    }

    /// `out[i] (+)= a p[i] + b p[i + 1]`.
    @inlinable @inline(__always)
    static func linear<T: ShiftFloatingPoint>(_ level: Int32, _ out: UnsafeMutablePointer<T>, _ p: UnsafePointer<T>,
                                              _ a: T, _ b: T, count: Int, accumulate: Bool) -> Bool {
        guard level > VectorLevel.portable, T.self == Float.self else { return false }
        shift_simd_linear_f32(level, UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self),
                              UnsafeRawPointer(p).assumingMemoryBound(to: Float.self),
                              float(a), float(b), Int64(count), accumulate ? 1 : 0)
        return true
    }

    /// `out[i] (+)= a p[2i] + b p[2i + 1]`: a row at stride 2 over a dense input row.
    @inlinable @inline(__always)
    static func linearStep2<T: ShiftFloatingPoint>(_ level: Int32, _ out: UnsafeMutablePointer<T>, _ p: UnsafePointer<T>,
                                                   _ a: T, _ b: T, count: Int, accumulate: Bool) -> Bool {
        guard level > VectorLevel.portable, T.self == Float.self else { return false }
        shift_simd_linear_step2_f32(level, UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self),
                                    UnsafeRawPointer(p).assumingMemoryBound(to: Float.self),
                                    float(a), float(b), Int64(count), accumulate ? 1 : 0)
        return true
    }

    /// `out[i] = (a0 p0[2i] + b0 p0[2i + 1]) + (a1 p1[2i] + b1 p1[2i + 1])`: both vertical taps of a
    /// row at stride 2 over dense input rows.
    @inlinable @inline(__always)
    static func bilinearStep2<T: ShiftFloatingPoint>(_ level: Int32, _ out: UnsafeMutablePointer<T>,
                                                     _ p0: UnsafePointer<T>, _ p1: UnsafePointer<T>,
                                                     _ a0: T, _ b0: T, _ a1: T, _ b1: T, count: Int) -> Bool {
        guard level > VectorLevel.portable, T.self == Float.self else { return false }
        shift_simd_bilinear_step2_f32(level, UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self),
                                      UnsafeRawPointer(p0).assumingMemoryBound(to: Float.self),
                                      UnsafeRawPointer(p1).assumingMemoryBound(to: Float.self),
                                      float(a0), float(b0), float(a1), float(b1), Int64(count))
        return true
    }

    /// `out[i] = (((a0 x0 + b0 y0) + (a1 x1 + b1 y1)) + (a2 x2 + b2 y2)) + (a3 x3 + b3 y3)`,
    /// `x_k = p[k][2i]`, `y_k = p[k][2i + 1]`: the four row taps of a 3-D row at stride 2 over
    /// dense input rows; `a` and `b` hold each row's two weights.
    @inlinable @inline(__always)
    static func trilinearStep2<T: ShiftFloatingPoint>(_ level: Int32, _ out: UnsafeMutablePointer<T>,
                                                      _ p: (UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>),
                                                      a: (T, T, T, T), b: (T, T, T, T), count: Int) -> Bool {
        guard level > VectorLevel.portable, T.self == Float.self else { return false }
        func f(_ q: UnsafePointer<T>) -> UnsafePointer<Float> { UnsafeRawPointer(q).assumingMemoryBound(to: Float.self) }
        shift_simd_trilinear_step2_f32(level, UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self),
                                       f(p.0), f(p.1), f(p.2), f(p.3), float(a.0), float(b.0), float(a.1), float(b.1),
                                       float(a.2), float(b.2), float(a.3), float(b.3), Int64(count))
        return true
    }

    /// `value` as the `Float` it is (callers have checked `T == Float`).
    @inlinable @inline(__always)
    static func float<T: ShiftFloatingPoint>(_ value: T) -> Float { unsafeBitCast(value, to: Float.self) }
}
