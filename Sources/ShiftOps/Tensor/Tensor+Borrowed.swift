// Tensors over memory the caller owns, for the length of a closure: the ops read another
// library's buffers and write into them with no copy in either direction.

extension Tensor {
    /// Calls `body` with a read-only tensor over `buffer`, memory the caller owns: no copy.
    ///
    /// The element at indices `i` is `buffer[offset + sum(i[axis] * strides[axis])]`; every one
    /// must lie inside `buffer`. ShiftOps never frees or writes the memory: a write to the tensor
    /// (or to any copy of it) first copies the elements into storage of its own.
    ///
    /// The tensor is valid only inside `body`. If it, a copy or a view of it escapes, using that
    /// after `body` returns traps (in debug and release builds) instead of reading memory the
    /// caller may have freed; copy what must outlive the scope with ``dense(order:)``.
    ///
    /// ```swift
    /// let pixels: [Float] = ...   // 2 x 3 x 4 x 4, row-major
    /// let y = try pixels.withUnsafeBufferPointer { buffer in
    ///     try Tensor.withBorrowed(buffer, shape: [2, 3, 4, 4]) { x in
    ///         try shift2d(x, shifts: shifts)          // the result is a tensor of its own
    ///     }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - buffer: The elements; they must not change while `body` runs.
    ///   - shape: The length of each axis.
    ///   - strides: The distance in elements between neighbours along each axis, of any sign;
    ///     row-major dense strides when nil.
    ///   - offset: The position in `buffer` of the element at all-zero indices.
    ///   - body: Runs with the tensor.
    /// - Returns: What `body` returns.
    /// - Throws: ``ShiftOpsError/Code/invalidArgument`` naming `shape` for a negative length,
    ///   `strides` when it does not have one stride per axis, and `buffer` when an element lies
    ///   outside it; ``ShiftOpsError/Code/sizeOverflow`` naming `shape` or `strides` when the
    ///   count or an element's position does not fit in `Int`; and whatever `body` throws.
    public static func withBorrowed<R>(
        _ buffer: UnsafeBufferPointer<Element>, shape: [Int], strides: [Int]? = nil, offset: Int = 0,
        _ body: (Tensor) throws -> R
    ) throws -> R {
        let pointer = UnsafeMutablePointer(mutating: buffer.baseAddress)
        var lent: Tensor? = try borrowedView(pointer, count: buffer.count, shape: shape,
                                             strides: strides, offset: offset, writable: false)
        weak let watched = lent!.storage
        defer {
            lent = nil
            // Whoever still holds the storage took the tensor out of the scope.
            watched?.revoke()
        }
        return try body(lent!)
    }

    /// Calls `body` with a tensor over `buffer`, memory the caller owns, for reading and writing in
    /// place: no copy.
    ///
    /// Writes to the tensor `body` is given, by an op `into:` it, by ``withUnsafeMutableBufferPointer(_:)``
    /// or by subscript, land in `buffer`. A copy of the tensor is a value of its own as usual: a
    /// write to the copy (or to the tensor while a copy shares it) copies the elements into new
    /// storage first, and that write does not reach `buffer`.
    ///
    /// The element at indices `i` is `buffer[offset + sum(i[axis] * strides[axis])]`. ShiftOps
    /// never frees the memory. The tensor is valid only inside `body`: using it, or a copy or view
    /// of it, after `body` returns traps (in debug and release builds).
    ///
    /// ```swift
    /// var output = [Float](repeating: 0, count: x.count)
    /// try output.withUnsafeMutableBufferPointer { buffer in
    ///     try Tensor.withBorrowed(mutating: buffer, shape: x.shape) { y in
    ///         try shift2d(x, shifts: shifts, into: &y)   // writes straight into `output`
    ///     }
    /// }
    /// ```
    ///
    /// - Parameters: as ``withBorrowed(_:shape:strides:offset:_:)``.
    /// - Returns: What `body` returns.
    /// - Throws: the errors of ``withBorrowed(_:shape:strides:offset:_:)`` and whatever `body`
    ///   throws. Writes `body` made before it threw stay in `buffer`.
    public static func withBorrowed<R>(
        mutating buffer: UnsafeMutableBufferPointer<Element>, shape: [Int], strides: [Int]? = nil, offset: Int = 0,
        _ body: (inout Tensor) throws -> R
    ) throws -> R {
        var lent: Tensor? = try borrowedView(buffer.baseAddress, count: buffer.count, shape: shape,
                                             strides: strides, offset: offset, writable: true)
        weak let watched = lent!.storage
        defer {
            lent = nil
            watched?.revoke()
        }
        // `lent` holds the only strong reference, so the ops' copy-on-write check sees unique
        // storage and writes in place; `watched` does not count.
        return try body(&lent!)
    }

    /// A tensor over `count` elements at `pointer` that it does not own, after checking that
    /// every element of `shape`, `strides` and `offset` lies among them.
    static func borrowedView(
        _ pointer: UnsafeMutablePointer<Element>?, count available: Int, shape: [Int], strides: [Int]?,
        offset: Int, writable: Bool
    ) throws -> Tensor {
        let count = try elementCount(of: shape, argument: "shape")
        let strides = strides ?? validDenseStrides(shape: shape, order: Array(shape.indices))
        guard strides.count == shape.count else {
            throw ShiftOpsError(.invalidArgument, argument: "strides",
                                "expected \(shape.count) strides for shape \(shape), got \(strides.count)")
        }
        guard count > 0 else {
            // Nothing is ever read: any placement is fine, even of an empty buffer.
            let somewhere = pointer ?? UnsafeMutablePointer(bitPattern: MemoryLayout<Element>.alignment)!
            return Tensor(storage: TensorStorage(borrowing: somewhere, count: 0, writable: writable),
                          shape: shape, strides: strides, offset: 0)
        }
        let (low, high) = try ShapeArithmetic.positionRange(shape: shape, strides: strides, offset: offset)
        guard let pointer, low >= 0, high < available else {
            throw ShiftOpsError(.invalidArgument, argument: "buffer",
                                "shape \(shape) with strides \(strides) and offset \(offset) reaches positions \(low)...\(high), "
                                + "but the buffer holds \(available) elements")
        }
        // The storage spans exactly the elements the view reaches; offsets are relative to it.
        return Tensor(storage: TensorStorage(borrowing: pointer + low, count: high - low + 1, writable: writable),
                      shape: shape, strides: strides, offset: offset - low)
    }
}
