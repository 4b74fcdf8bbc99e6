#if CUDA
import ShiftOps

// Device tensors over memory another library owns (a PyTorch or CuPy tensor's data pointer, a
// cudaMalloc'ed buffer), for the length of a closure: the CUDA ops read and write it in place,
// with no copy and no free. Run them on that library's stream with `CUDABackend.withStream`.

extension CUDATensor {
    /// Calls `body` with a read-only device tensor over `devicePointer`, GPU memory the caller
    /// owns: no copy.
    ///
    /// The element at indices `i` is element `offset + sum(i[axis] * strides[axis])` of the
    /// `count` elements of type `T` at `devicePointer`; every one must lie among them. ShiftCUDA
    /// never frees the memory and no op writes into it: passing the tensor as an op's output is
    /// an error.
    ///
    /// The tensor is valid only inside `body`. If it escapes, using it after `body` returns
    /// traps (in debug and release builds) instead of reaching memory the caller may have freed;
    /// ``copy()`` makes a tensor of its own that may outlive the scope. What the GPU does with
    /// the memory is ordered by streams, not by the scope: see ``CUDABackend/withStream(_:_:)``.
    ///
    /// - Parameters:
    ///   - devicePointer: The memory, on the GPU ShiftCUDA uses (device 0), aligned for `T`; it
    ///     must not be freed or changed by other work while the ops that read it run.
    ///   - count: How many elements of `T` the memory at `devicePointer` holds.
    ///   - shape: The length of each axis.
    ///   - strides: The distance in elements between neighbours along each axis, of any sign;
    ///     row-major dense strides when nil.
    ///   - offset: The position, in elements from `devicePointer`, of the element at all-zero indices.
    ///   - body: Runs with the tensor.
    /// - Returns: What `body` returns.
    /// - Throws: ``ShiftOps/ShiftOpsError/Code/invalidArgument`` naming `devicePointer` when it is
    ///   nil or not aligned for `T`, `count` when it is negative, `shape` for a negative length,
    ///   `strides` when it does not have one stride per axis, and `devicePointer` when an element
    ///   lies outside the `count` elements; ``ShiftOps/ShiftOpsError/Code/sizeOverflow`` naming
    ///   `shape`, `count` or `strides` when a size or an element's position does not fit in `Int`;
    ///   and whatever `body` throws.
    public static func withBorrowed<R>(
        devicePointer: UnsafeRawPointer?, count: Int, shape: [Int], strides: [Int]? = nil, offset: Int = 0,
        _ body: (CUDATensor) throws -> R
    ) throws -> R {
        let lent = try borrowedView(UnsafeMutableRawPointer(mutating: devicePointer), count: count, shape: shape,
                                    strides: strides, offset: offset, writable: false)
        // Whoever still holds the tensor after this took it out of the scope.
        defer { lent.buffer.revoke() }
        return try body(lent)
    }

    /// Calls `body` with a device tensor over `devicePointer`, GPU memory the caller owns, for
    /// reading and for ops to write into (their `into:` forms): no copy.
    ///
    /// The tensor is a reference, as every `CUDATensor`: an op's write into it lands in the
    /// caller's memory. Layout, validity and errors are those of
    /// ``withBorrowed(devicePointer:count:shape:strides:offset:_:)``. Strides that place two
    /// elements at one position make an op's writes into it race; lend such memory read-only.
    ///
    /// - Parameters: as ``withBorrowed(devicePointer:count:shape:strides:offset:_:)``, with
    ///   `mutatingDevicePointer` the memory.
    /// - Returns: What `body` returns.
    /// - Throws: the errors of ``withBorrowed(devicePointer:count:shape:strides:offset:_:)``,
    ///   naming `mutatingDevicePointer` for the pointer, and whatever `body` throws. Work that
    ///   `body` enqueued before it threw still runs and writes into the memory.
    public static func withBorrowed<R>(
        mutatingDevicePointer: UnsafeMutableRawPointer?, count: Int, shape: [Int], strides: [Int]? = nil,
        offset: Int = 0, _ body: (CUDATensor) throws -> R
    ) throws -> R {
        let lent = try borrowedView(mutatingDevicePointer, count: count, shape: shape, strides: strides, offset: offset,
                                    writable: true, pointerArgument: "mutatingDevicePointer")
        defer { lent.buffer.revoke() }
        return try body(lent)
    }

    /// A tensor over the `count` elements at `pointer` that it does not own, after checking the
    /// pointer and that every element of `shape`, `strides` and `offset` lies among them. Touches
    /// no device memory and needs no GPU.
    static func borrowedView(
        _ pointer: UnsafeMutableRawPointer?, count available: Int, shape: [Int], strides: [Int]?, offset: Int,
        writable: Bool, pointerArgument: String = "devicePointer"
    ) throws -> CUDATensor {
        guard let pointer else {
            throw ShiftOpsError(.invalidArgument, argument: pointerArgument, "expected a device pointer, got nil")
        }
        let alignment = MemoryLayout<T>.alignment
        guard Int(bitPattern: pointer) % alignment == 0 else {
            throw ShiftOpsError(.invalidArgument, argument: pointerArgument,
                                "expected an address aligned to \(alignment) bytes for \(T.self), got \(pointer)")
        }
        guard available >= 0 else {
            throw ShiftOpsError(.invalidArgument, argument: "count", "expected a count >= 0, got \(available)")
        }
        guard !available.multipliedReportingOverflow(by: MemoryLayout<T>.stride).overflow else {
            throw ShiftOpsError(.sizeOverflow, argument: "count",
                                "\(available) elements of \(MemoryLayout<T>.stride) bytes overflow Int")
        }
        let elements = try Tensor<Float>.elementCount(of: shape, argument: "shape")
        let strides = strides ?? Tensor<Float>.denseStrides(shape: shape, order: Array(shape.indices))
        guard strides.count == shape.count else {
            throw ShiftOpsError(.invalidArgument, argument: "strides",
                                "expected \(shape.count) strides for shape \(shape), got \(strides.count)")
        }
        guard elements > 0 else {
            // Nothing is ever read or written: any placement is fine, even of empty memory.
            return CUDATensor(buffer: CUDABuffer(borrowing: pointer, byteCount: 0, writable: writable),
                              shape: shape, strides: strides, offset: 0)
        }
        let (low, high) = try ShapeArithmetic.positionRange(shape: shape, strides: strides, offset: offset)
        guard low >= 0, high < available else {
            throw ShiftOpsError(.invalidArgument, argument: pointerArgument,
                                "shape \(shape) with strides \(strides) and offset \(offset) reaches elements \(low)...\(high), "
                                + "but the memory holds \(available) elements")
        }
        // The buffer spans exactly the elements the view reaches; the offset is relative to it.
        // Below `available` elements, whose byte count was checked not to overflow.
        let stride = MemoryLayout<T>.stride
        return CUDATensor(buffer: CUDABuffer(borrowing: pointer + low * stride, byteCount: (high - low + 1) * stride,
                                             writable: writable),
                          shape: shape, strides: strides, offset: offset - low)
    }
}
#endif
