/// How much work a thread task should get at least, in one place: below these sizes the cost of
/// handing a task to another thread outweighs the work, so the CPU plan groups rows or planes
/// until a task holds about this many elements. Results never depend on them.
@usableFromInline
enum WorkGrain {
    /// Output elements per task where the work items are rows or channels-last pixel rows.
    @usableFromInline static let rowElements = 4096
    /// Elements per task where the work items are whole planes.
    @usableFromInline static let planeElements = 8192
    /// Elements per task of a layout change (``StridedCopy``): a copy does so little per element
    /// that a task must be larger to pay for its thread.
    static let copyElements = 1 << 16

    /// The work items per task: enough items of `itemElements` elements each to reach `elements`,
    /// and at least one.
    @inlinable @inline(__always)
    static func items(_ elements: Int, per itemElements: Int) -> Int {
        Swift.max(1, elements / Swift.max(itemElements, 1))
    }
}
