/// A multi-index over `shape` in row-major order (the last axis fastest) that moves a storage
/// position by one stride per step: the walk every strided copy in the package shares, so that a
/// step costs an add or two rather than a dot product of the index with the strides.
package struct StrideOdometer {
    package let shape: [Int]
    package let strides: [Int]
    package private(set) var index: [Int]
    /// The storage position of `index`.
    package private(set) var position: Int

    /// An odometer at index zero, whose storage position is `position`. `shape` and `strides` have
    /// one entry per axis, outermost first.
    package init(shape: [Int], strides: [Int], position: Int) {
        precondition(shape.count == strides.count, "one stride per axis")
        self.shape = shape
        self.strides = strides
        self.index = [Int](repeating: 0, count: shape.count)
        self.position = position
    }

    /// Moves to the next index; returns false, back at index zero, after the last one.
    @discardableResult
    package mutating func advance() -> Bool {
        var axis = shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            position += strides[axis]
            if index[axis] < shape[axis] { return true }
            position -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
        return false
    }
}
