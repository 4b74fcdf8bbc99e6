extension Tensor {
    /// A view with the axes reordered: axis `i` of the result is axis `axes[i]` of `self`.
    ///
    /// Shares storage; costs O(rank).
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
    /// Shares storage; costs O(rank).
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

    /// A dense copy laid out in memory in `order` (outermost axis first); row-major by default.
    public func dense(order: [Int]? = nil) throws -> Tensor {
        let result = try Tensor(shape: shape, order: order)
        let target = result.storage.base
        let targetOrigin = result.offset
        let targetStrides = result.strides
        var index = [Int](repeating: 0, count: rank)
        // Walk self in logical order and track the target position alongside.
        var q = targetOrigin
        forEachPosition { p in
            target[q] = storage.base[p]
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                q += targetStrides[axis]
                if index[axis] < shape[axis] { break }
                q -= targetStrides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    /// A dense row-major copy, or `self` when it already is one.
    public func contiguous() -> Tensor {
        // A dense copy of a valid tensor cannot fail: its shape already exists.
        isContiguous && offset == 0 ? self : try! dense()
    }

    /// A dense copy whose channel axis (axis 1) is innermost in memory: NHWC for an `[N, C, H, W]`
    /// tensor, NLC, NDHWC. The logical shape and indices are unchanged.
    public func channelsLast() throws -> Tensor {
        guard rank >= 3 else {
            throw ShiftOpsError(.invalidRank, argument: "self",
                                "channels-last needs rank >= 3 ([N, C, spatial...]), got \(rank)")
        }
        return try dense(order: [0] + Array(2..<rank) + [1])
    }
}
