extension Tensor {
    /// A view with the axes reordered: axis `i` of the result is axis `axes[i]` of `self`.
    ///
    /// Shares storage; costs O(rank). Like every view, writing to it (or `into:` it) copies the
    /// storage first and leaves `self` unchanged; ``withMutableView(_:_:)`` writes through.
    /// - Throws: ``ShiftOpsError/Code/invalidArgument`` when `axes` is not a permutation.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.sorted() == Array(shape.indices) else {
            throw ShiftOpsError(.invalidArgument, argument: "axes",
                                "expected a permutation of 0..<\(rank), got \(axes)")
        }
        return Tensor(storage: storage, shape: axes.map { shape[$0] },
                      strides: axes.map { strides[$0] }, offset: offset)
    }

    /// A view with two axes swapped.
    public func transposed(_ a: Int, _ b: Int) throws -> Tensor {
        var axes = Array(shape.indices)
        guard axes.indices.contains(a), axes.indices.contains(b) else {
            throw ShiftOpsError(.invalidArgument, argument: "axes",
                                "expected axes in 0..<\(rank), got \(a) and \(b)")
        }
        axes.swapAt(a, b)
        return try permuted(axes)
    }

    /// A view of the elements `range` (every `step`-th) along `axis`.
    ///
    /// Shares storage; costs O(rank). Like every view, writing to it (or `into:` it) copies the
    /// storage first and leaves `self` unchanged; ``withMutableRegion(_:_:)`` writes through.
    /// - Throws: ``ShiftOpsError/Code/invalidArgument`` for an axis, range or step out of bounds.
    public func sliced(axis: Int, range: Range<Int>, step: Int = 1) throws -> Tensor {
        guard shape.indices.contains(axis) else {
            throw ShiftOpsError(.invalidArgument, argument: "axis", "expected 0..<\(rank), got \(axis)")
        }
        guard range.lowerBound >= 0, range.upperBound <= shape[axis] else {
            throw ShiftOpsError(.invalidArgument, argument: "range",
                                "expected a range within 0..<\(shape[axis]), got \(range)")
        }
        guard step >= 1 else {
            throw ShiftOpsError(.invalidArgument, argument: "step", "expected >= 1, got \(step)")
        }
        var view = self
        view.shape[axis] = (range.count + step - 1) / step
        view.strides[axis] = strides[axis] * step
        if !range.isEmpty { view.offset = offset + range.lowerBound * strides[axis] }
        return view
    }

    /// A view of the sub-block `ranges`, one range per axis.
    ///
    /// Shares storage; costs O(rank). Like every view, writing to it (or `into:` it) copies the
    /// storage first and leaves `self` unchanged; ``withMutableRegion(_:_:)`` writes through.
    /// - Throws: ``ShiftOpsError/Code/invalidArgument`` naming `ranges` when there is not one range
    ///   per axis or one leaves its axis.
    public func sliced(_ ranges: [Range<Int>]) throws -> Tensor {
        guard ranges.count == rank else {
            throw ShiftOpsError(.invalidArgument, argument: "ranges",
                                "expected \(rank) ranges, one per axis of shape \(shape), got \(ranges.count)")
        }
        var view = self
        for (axis, range) in ranges.enumerated() {
            guard range.lowerBound >= 0, range.upperBound <= shape[axis] else {
                throw ShiftOpsError(.invalidArgument, argument: "ranges",
                                    "expected a range within 0..<\(shape[axis]) on axis \(axis), got \(range)")
            }
            view = try view.sliced(axis: axis, range: range)
        }
        return view
    }

    /// A view of the same elements, in the same row-major logical order, with the shape `newShape`;
    /// one length may be `-1`, inferred from the others.
    ///
    /// No element is copied. That is possible when every group of axes merged into one new axis
    /// lies in memory with no gap (each outer stride is the inner stride times the inner length):
    /// always for a row-major contiguous tensor, and for splitting any axis (`[N * T, C, H, W]` as
    /// `[N, T, C, H, W]`). Merging axes that a permutation, a channels-last layout or a slice with
    /// a gap separated in memory is not possible without a copy: call ``contiguous()`` first (a
    /// copy) and reshape that.
    ///
    /// - Throws: ``ShiftOpsError/Code/shapeMismatch`` naming `shape` when the element counts
    ///   differ; ``ShiftOpsError/Code/invalidArgument`` naming `shape` for a negative length, more
    ///   than one `-1`, a `-1` that no length fits, or strides that no view of `newShape` has;
    ///   ``ShiftOpsError/Code/sizeOverflow`` naming `shape` when its count overflows.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        let shape = try resolvedShape(newShape)
        let newCount = try Tensor.elementCount(of: shape, argument: "shape")
        guard newCount == count else {
            throw ShiftOpsError(.shapeMismatch, argument: "shape",
                                "cannot view \(count) elements of shape \(self.shape) as shape \(shape) (\(newCount) elements)")
        }
        guard count > 0 else {
            return Tensor(storage: storage, shape: shape,
                          strides: Tensor.validDenseStrides(shape: shape, order: Array(shape.indices)), offset: offset)
        }
        guard let strides = viewStrides(for: shape) else {
            throw ShiftOpsError(.invalidArgument, argument: "shape",
                                "a tensor of shape \(self.shape) with strides \(self.strides) cannot be viewed as shape \(shape) "
                                + "without a copy (merged axes are not adjacent in memory); reshape contiguous() instead")
        }
        return Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
    }

    /// `newShape` with its `-1` replaced by the length that keeps the element count.
    private func resolvedShape(_ newShape: [Int]) throws -> [Int] {
        let unknown = newShape.indices.filter { newShape[$0] == -1 }
        guard !unknown.isEmpty else { return newShape }
        guard unknown.count == 1 else {
            throw ShiftOpsError(.invalidArgument, argument: "shape", "at most one length may be -1, got \(newShape)")
        }
        var known = newShape
        known[unknown[0]] = 1
        let product = try Tensor.elementCount(of: known, argument: "shape")
        guard product > 0, count % product == 0 else {
            throw ShiftOpsError(.invalidArgument, argument: "shape",
                                "no length for -1 in \(newShape) gives \(count) elements (shape \(shape))")
        }
        known[unknown[0]] = count / product
        return known
    }

    /// The strides that view this (non-empty) tensor as `newShape` without moving an element, or
    /// nil when none do. Old and new axes are matched in groups of equal product; each group of old
    /// axes must be one block in memory, which the new axes of the group then divide.
    private func viewStrides(for newShape: [Int]) -> [Int]? {
        // Axes of length 1 neither constrain nor take part in the grouping.
        let old = zip(shape, strides).filter { $0.0 != 1 }
        var result = [Int](repeating: 0, count: newShape.count)
        var (oi, ni) = (0, 0)
        while oi < old.count || ni < newShape.count {
            // Length-1 new axes take any stride; use the next finer one so the dimension order
            // keeps them in place.
            if ni < newShape.count, newShape[ni] == 1 {
                ni += 1
                continue
            }
            guard oi < old.count, ni < newShape.count else { return nil }
            var (oj, nj) = (oi + 1, ni + 1)
            var (op, np) = (old[oi].0, newShape[ni])
            while op != np {
                // Both products divide the element count, which fits, so they cannot overflow.
                if np < op {
                    guard nj < newShape.count else { return nil }
                    np *= newShape[nj]
                    nj += 1
                } else {
                    guard oj < old.count else { return nil }
                    op *= old[oj].0
                    oj += 1
                }
            }
            for k in oi..<(oj - 1) {
                let (step, overflow) = old[k + 1].1.multipliedReportingOverflow(by: old[k + 1].0)
                guard !overflow, old[k].1 == step else { return nil }
            }
            var step = old[oj - 1].1
            for k in stride(from: nj - 1, through: ni, by: -1) {
                result[k] = step
                step = step &* newShape[k]
            }
            (oi, ni) = (oj, nj)
        }
        // Length-1 axes: the stride of the next axis out times its length keeps them between
        // their neighbours in memory order; innermost ones get 1.
        var inner = 1
        for k in newShape.indices.reversed() {
            if newShape[k] == 1 { result[k] = inner } else { inner = result[k] &* newShape[k] }
        }
        return result
    }

    /// A dense copy laid out in memory in `order` (outermost axis first); row-major by default.
    ///
    /// The copy costs a small multiple of copying the bytes: runs that are contiguous in both
    /// layouts move as blocks; where the two innermost axes swap (channels-first to
    /// channels-last and back) a 4-byte element type (`Float`, `Int32`) moves as 8 x 8
    /// transposes in registers where the CPU has AVX2, anything else in a strided loop. Copies
    /// of 131,072 elements and more share the threads of ``Parallelism/threadLimit``.
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidArgument`` naming `order` when it is not a
    ///   permutation of the axes.
    public func dense(order: [Int]? = nil) throws -> Tensor {
        let order = order ?? Array(shape.indices)
        guard order.sorted() == Array(shape.indices) else {
            throw ShiftOpsError(.invalidArgument, argument: "order",
                                "expected a permutation of 0..<\(rank), got \(order)")
        }
        // Every element is written below, so the zero fill is skipped.
        let result = try Tensor(uninitializedShape: shape, order: order)
        guard count > 0 else { return result }
        let source = storage.base
        let target = result.storage.base
        StridedCopy.copy(source + offset, strides: strides, into: target + result.offset, strides: result.strides, shape: shape)
        return result
    }

    /// A dense row-major copy, or `self` when it already is one.
    public func contiguous() -> Tensor {
        // A dense copy of a valid tensor cannot fail: its shape already exists.
        isContiguous && offset == 0 ? self : try! dense()
    }

    /// A dense copy whose channel axis (axis 1) is innermost in memory: NHWC for an `[N, C, H, W]`
    /// tensor, NLC, NDHWC. The logical shape and indices are unchanged. From a dense
    /// channels-first `Float` tensor, on a CPU with AVX2, the copy is one transpose in registers
    /// per image (see ``dense(order:)``).
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidRank`` naming `self` below rank 3.
    public func channelsLast() throws -> Tensor {
        guard rank >= 3 else {
            throw ShiftOpsError(.invalidRank, argument: "self",
                                "channels-last needs rank >= 3 ([N, C, spatial...]), got \(rank)")
        }
        return try dense(order: [0] + Array(2..<rank) + [1])
    }
}
