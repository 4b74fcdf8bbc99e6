// Writing into part of a tensor. A view is a value: an op `into:` a slice fills the slice's own
// copy. These give a closure a view whose writes land in the tensor itself.

extension Tensor {
    /// Calls `body` with a view of the block `ranges` (one range per axis) whose writes reach
    /// `self`: the way to have an op write its result into part of a larger tensor.
    ///
    /// ```swift
    /// var batch = try Tensor<Float>(shape: [2, 64, 56, 56])
    /// try batch.withMutableRegion([0..<1, 0..<64, 0..<56, 0..<56]) { first in
    ///     try shift2d(clip, shifts: shifts, into: &first)   // fills batch[0] in place
    /// }
    /// ```
    ///
    /// By contrast, `var view = try batch.sliced(axis: 0, range: 0..<1)` followed by an op
    /// `into: &view` writes into `view`'s own copy (copy on write) and leaves `batch` unchanged.
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidArgument`` naming `ranges` when there is not one per
    ///   axis or one leaves its axis, before anything changes; whatever `body` throws (writes made
    ///   before it threw stay); ``ShiftOpsError/Code/shapeMismatch`` naming `region` when `body`
    ///   replaced the view with a tensor of another shape.
    public mutating func withMutableRegion<R>(_ ranges: [Range<Int>], _ body: (inout Tensor) throws -> R) throws -> R {
        try withMutableView({ try $0.sliced(ranges) }, body)
    }

    /// Calls `body` with a view of `self` made by `makeView` (any composition of
    /// ``sliced(axis:range:step:)``, ``sliced(_:)``, ``permuted(_:)``, ``transposed(_:_:)`` and
    /// ``reshaped(_:)``) whose writes reach `self`.
    ///
    /// `self` first gets storage of its own (copy on write), so no other tensor sees the writes.
    /// The view `body` gets writes in place into that storage: an op `into:` it, a subscript
    /// write and ``withUnsafeMutableBufferPointer(_:)`` all land in `self`. If `body` makes the view
    /// copy its storage (by writing to it while a copy of it is alive) or assigns another tensor
    /// of the same shape to it, its elements are copied back into `self` when `body` returns. The
    /// view is valid only inside `body`: using it or a copy of it afterwards traps.
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidArgument`` naming `makeView` when it returns a tensor
    ///   that is not a view of the one it was given (a copy); whatever `makeView` or `body` throws
    ///   (writes made before `body` threw stay); ``ShiftOpsError/Code/shapeMismatch`` naming
    ///   `region` when `body` replaced the view with a tensor of another shape.
    public mutating func withMutableView<R>(_ makeView: (Tensor) throws -> Tensor,
                                            _ body: (inout Tensor) throws -> R) throws -> R {
        makeUnique()
        let view = try makeView(self)
        guard view.storage === storage else {
            throw ShiftOpsError(.invalidArgument, argument: "makeView",
                                "must return a view of the tensor it is given (sliced, permuted, reshaped), not a copy")
        }
        let shape = view.shape
        // A view of its own over the same memory: the only strong reference to its storage is
        // the closure's, so the ops' copy-on-write check lets them write in place, while `self`
        // keeps the memory alive.
        // `base`, not `memory`: a tensor that escaped an earlier scope traps here instead of
        // lending memory its owner may have freed.
        var lent: Tensor? = try Tensor.borrowedView(storage.base, count: storage.count, shape: view.shape,
                                                    strides: view.strides, offset: view.offset, writable: true)
        weak let watched = lent!.storage
        defer {
            lent = nil
            watched?.revoke()
        }
        let result = try body(&lent!)
        // Identity through the weak reference: an address could be reused by a later storage
        // once the lent one is freed, a weak reference cannot.
        if lent!.storage !== watched {
            guard lent!.shape == shape else {
                throw ShiftOpsError(.shapeMismatch, argument: "region",
                                    "the closure replaced the region of shape \(shape) with a tensor of shape \(lent!.shape)")
            }
            // `view` shares the storage `self` now owns alone, so writing through its pointer
            // reaches `self` and nothing else.
            view.scatter(lent!.elements)
        }
        return result
    }

    /// Writes `source` (row-major logical order, `count` elements) to this tensor's positions in
    /// place, without copy on write: for a view of storage its parent owns alone.
    private func scatter(_ source: [Element]) {
        let base = storage.base
        var i = 0
        forEachPosition { p in
            base[p] = source[i]
            i += 1
        }
    }
}
