import CShiftSIMD

/// Which compiled variant of the innermost loops the CPU kernels call (see `shift_simd.h`).
///
/// The package is built for its architecture's baseline, so the Swift loops run 4 lanes wide on
/// x86-64. Where the processor has AVX2 or AVX-512, the long loops run through C variants compiled
/// for those units instead: the flattened spans of the forward and of the input gradient, the
/// shift gradient's span sums (still eight lanes) and the channels-last transposes (`Float`, or
/// any 4-byte element for the transposes). Every level gives the same bits: the same operations
/// per element, in the same order, without fused multiply-adds. (Where two different NaNs meet,
/// which payload survives may differ; the value is NaN either way.) Short row loops keep the Swift
/// code: called row by row, the wider variants made the backward slower (the
/// Performance article, "The CPU kernels").
///
/// `SHIFTOPS_SIMD=portable|avx2|avx512` lowers the level for a process; ``limit`` lowers it for
/// one scope (tests run every path that way).
@usableFromInline
package enum VectorLevel {
    @usableFromInline static let portable: Int32 = 0

    /// The level chosen for this process: the processor's widest, lowered by `SHIFTOPS_SIMD`.
    @usableFromInline package static let selected = shift_simd_level()

    /// The widest level this processor supports.
    package static let supported = shift_simd_supported_level()

    /// A cap on the level for the current task; the kernels read it once per call, before their
    /// threads start.
    @TaskLocal @usableFromInline package static var limit: Int32 = .max

    /// The level a kernel starting now uses.
    @inlinable static var current: Int32 { Swift.min(selected, limit) }

    /// The names `SHIFTOPS_SIMD` accepts, by level.
    package static let names = ["portable", "avx2", "avx512"]
}
