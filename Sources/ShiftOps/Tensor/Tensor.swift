/// A strided n-dimensional array with value semantics.
///
/// A tensor is a view: a `shape`, `strides` (in elements, any sign but negative is not produced by
/// ShiftOps itself) and an `offset` into storage that several tensors may share. Views made by
/// ``permuted(_:)``, ``sliced(axis:range:step:)`` and friends share storage; writing through
/// ``subscript(_:)-(Int...)`` copies shared storage first, so no write is ever seen through
/// another tensor.
///
/// Every op in ShiftOps accepts any strides and gives the same numbers; outputs are dense and keep
/// the input's dimension order in memory (see ``denseStrides(shape:order:)``).
public struct Tensor<Element: TensorElement>: Sendable {
    @usableFromInline var storage: TensorStorage<Element>
    /// The length of each axis.
    public internal(set) var shape: [Int]
    /// The distance in elements between neighbours along each axis.
    public internal(set) var strides: [Int]
    /// The storage position of the element at all-zero indices.
    public internal(set) var offset: Int

    @usableFromInline
    init(storage: TensorStorage<Element>, shape: [Int], strides: [Int], offset: Int) {
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A dense tensor of `shape` filled with `value`, laid out in row-major (C) order, or in the
    /// memory order `order` lists from outermost to innermost axis.
    ///
    /// - Throws: ``ShiftOpsError/Code/invalidArgument`` for a negative length or an `order` that is
    ///   not a permutation of the axes; ``ShiftOpsError/Code/sizeOverflow`` when the element count
    ///   does not fit in `Int`.
    @inlinable
    public init(shape: [Int], repeating value: Element = .zero, order: [Int]? = nil) throws {
        let count = try Tensor.elementCount(of: shape, argument: "shape")
        let order = order ?? Array(shape.indices)
        guard order.sorted() == Array(shape.indices) else {
            throw ShiftOpsError(.invalidArgument, argument: "order",
                                "expected a permutation of 0..<\(shape.count), got \(order)")
        }
        self.init(storage: try TensorStorage(count: count, repeating: value), shape: shape,
                  strides: Tensor.denseStrides(shape: shape, order: order), offset: 0)
    }

    /// A dense tensor whose elements the caller overwrites before anyone reads them: kernel
    /// outputs, which skip a pass of initialisation.
    @usableFromInline
    init(uninitializedShape shape: [Int], order: [Int]? = nil) throws {
        let count = try Tensor.elementCount(of: shape, argument: "shape")
        self.init(storage: try TensorStorage(uninitializedCount: count), shape: shape,
                  strides: Tensor.denseStrides(shape: shape, order: order ?? Array(shape.indices)), offset: 0)
    }

    /// A dense row-major tensor holding `elements`.
    ///
    /// - Throws: ``ShiftOpsError/Code/shapeMismatch`` when `elements.count` is not the product of
    ///   `shape`.
    public init(shape: [Int], elements: [Element]) throws {
        try self.init(shape: shape)
        guard elements.count == count else {
            throw ShiftOpsError(.shapeMismatch, argument: "elements",
                                "expected \(count) elements for shape \(shape), got \(elements.count)")
        }
        elements.withUnsafeBufferPointer { storage.base.update(from: $0.baseAddress!, count: count) }
    }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// The number of elements (the product of `shape`).
    public var count: Int { shape.reduce(1, &*) }

    /// Whether the tensor is dense in row-major order with no gaps.
    public var isContiguous: Bool { strides == Tensor.denseStrides(shape: shape, order: Array(shape.indices)) }

    /// The axes from outermost to innermost in memory: by decreasing stride, ties in axis order.
    ///
    /// A channels-last `[N, C, H, W]` tensor has dimension order `[0, 2, 3, 1]`.
    public var dimensionOrder: [Int] {
        shape.indices.sorted { a, b in
            let (sa, sb) = (abs(strides[a]), abs(strides[b]))
            return sa != sb ? sa > sb : a < b
        }
    }

    /// The element at `indices` (one per axis).
    public subscript(_ indices: Int...) -> Element {
        get { self[indices] }
        set { self[indices] = newValue }
    }

    /// The element at `indices` (one per axis).
    ///
    /// - Precondition: one index per axis, each within its axis.
    public subscript(_ indices: [Int]) -> Element {
        get { storage.base[position(of: indices)] }
        set {
            let p = position(of: indices)
            makeUnique()
            storage.base[p] = newValue
        }
    }

    /// The elements in row-major order of the logical indices, whatever the layout.
    public var elements: [Element] {
        var result = [Element]()
        result.reserveCapacity(count)
        forEachPosition { result.append(storage.base[$0]) }
        return result
    }

    func position(of indices: [Int]) -> Int {
        precondition(indices.count == rank, "expected \(rank) indices, got \(indices.count)")
        var p = offset
        for (axis, i) in indices.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(i) out of range 0..<\(shape[axis]) on axis \(axis)")
            p += i * strides[axis]
        }
        return p
    }

    /// Calls `body` with the storage position of every element, in row-major logical order.
    @usableFromInline
    func forEachPosition(_ body: (Int) -> Void) {
        guard count > 0 else { return }
        var index = [Int](repeating: 0, count: rank)
        var p = offset
        while true {
            body(p)
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                p += strides[axis]
                if index[axis] < shape[axis] { break }
                p -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { return }
        }
    }

    /// Gives this tensor storage of its own before a write.
    @usableFromInline
    mutating func makeUnique() {
        guard !isKnownUniquelyReferenced(&storage) else { return }
        // The copy is the size of a buffer that exists already; running out of memory here is
        // the one allocation failure a write (which cannot throw) has to treat as fatal.
        do {
            storage = try TensorStorage(copying: storage)
        } catch {
            fatalError("ShiftOps: copying a shared tensor before a write: \(error)")
        }
    }

    /// Whether both tensors read the same storage (a write to one would be seen by the other if
    /// tensors were not values).
    public func sharesStorage<Other>(with other: Tensor<Other>) -> Bool {
        ObjectIdentifier(storage) == ObjectIdentifier(other.storage)
    }
}

extension Tensor {
    /// The strides of a dense tensor of `shape` whose axes lie in memory in `order`, outermost first.
    public static func denseStrides(shape: [Int], order: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: shape.count)
        var step = 1
        for axis in order.reversed() {
            strides[axis] = step
            step &*= Swift.max(shape[axis], 1)
        }
        return strides
    }

    /// The product of `shape`, or an error naming `argument` when an axis is negative or the
    /// product, or its size in bytes, overflows `Int`.
    public static func elementCount(of shape: [Int], argument: String) throws -> Int {
        var count = 1
        for length in shape {
            guard length >= 0 else {
                throw ShiftOpsError(.invalidArgument, argument: argument,
                                    "axis lengths must be >= 0, got \(shape)")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: length)
            guard !overflow else {
                throw ShiftOpsError(.sizeOverflow, argument: argument,
                                    "the element count of shape \(shape) overflows Int")
            }
            count = product
        }
        guard !count.multipliedReportingOverflow(by: MemoryLayout<Element>.stride).overflow else {
            throw ShiftOpsError(.sizeOverflow, argument: argument,
                                "the byte count of shape \(shape) (\(Element.self)) overflows Int")
        }
        return count
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = count <= 16 ? "\(elements)" : "[\(count) elements]"
        return "Tensor<\(Element.self)>(shape: \(shape), strides: \(strides), \(shown))"
    }
}
