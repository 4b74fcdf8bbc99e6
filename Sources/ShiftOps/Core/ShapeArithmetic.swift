/// Shape arithmetic checked for overflow once, before any kernel runs, so that the kernels can
/// keep their wrapping (`&*`, `&+`) index arithmetic.
///
/// The rule: the product of a shape's non-zero extents (and its size in bytes) must fit in `Int`,
/// even where another axis is zero. A tensor with a zero axis has no elements, but the kernels'
/// loops and plane sizes are products of the other axes; a shape like `[0, 1, 2^40, 2^40]` is
/// refused here instead of wrapping there.
@usableFromInline
package enum ShapeArithmetic {
    /// The element count of `shape` (zero when an axis is zero), or an error naming `argument`
    /// when an axis is negative or the product of the non-zero extents, or its size in bytes at
    /// `elementSize` bytes per element, overflows `Int`.
    @usableFromInline
    static func elementCount(of shape: [Int], elementSize: Int, argument: String) throws -> Int {
        var extent = 1
        var empty = false
        for length in shape {
            guard length >= 0 else {
                throw ShiftOpsError(.invalidArgument, argument: argument, "axis lengths must be >= 0, got \(shape)")
            }
            if length == 0 {
                empty = true
                continue
            }
            let (product, overflow) = extent.multipliedReportingOverflow(by: length)
            guard !overflow else {
                throw ShiftOpsError(.sizeOverflow, argument: argument,
                                    "the element count of shape \(shape) overflows Int"
                                        + (shape.contains(0) ? " (counting its non-zero axes)" : ""))
            }
            extent = product
        }
        guard !extent.multipliedReportingOverflow(by: elementSize).overflow else {
            throw ShiftOpsError(.sizeOverflow, argument: argument,
                                "the byte count of shape \(shape) (\(elementSize) bytes per element) overflows Int")
        }
        return empty ? 0 : extent
    }

    /// The lowest and highest position any element of a non-empty tensor reaches (host or device
    /// memory alike), or a thrown error, not a trap, when one does not fit in `Int`.
    package static func positionRange(shape: [Int], strides: [Int], offset: Int) throws -> (low: Int, high: Int) {
        var (low, high) = (offset, offset)
        for (length, stride) in zip(shape, strides) {
            let (reach, o1) = (length - 1).multipliedReportingOverflow(by: stride)
            let (next, o2) = reach < 0 ? low.addingReportingOverflow(reach) : high.addingReportingOverflow(reach)
            guard !o1, !o2 else {
                throw ShiftOpsError(.sizeOverflow, argument: "strides",
                                    "element positions of shape \(shape) with strides \(strides) overflow Int")
            }
            if reach < 0 { low = next } else { high = next }
        }
        return (low, high)
    }
}
