import Foundation
import ShiftOps

/// Labelled images for classification: `images` `[N, C, H, W]` and one label per image.
public struct Dataset: Sendable {
    /// `[N, C, H, W]`.
    public var images: Tensor<Float>
    /// `N` class indices.
    public var labels: [Int]

    /// A data set from its parts.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `images` for a rank other than 4, or `labels` for a
    ///   count other than N or a negative label.
    public init(images: Tensor<Float>, labels: [Int]) throws {
        guard images.rank == 4 else {
            throw ShiftOpsError(.invalidRank, argument: "images", "expected [N, C, H, W], got \(images.shape)")
        }
        guard labels.count == images.shape[0], labels.allSatisfy({ $0 >= 0 }) else {
            throw ShiftOpsError(.shapeMismatch, argument: "labels",
                                "expected \(images.shape[0]) labels >= 0, got \(labels.count)")
        }
        (self.images, self.labels) = (images, labels)
    }

    /// The number of images.
    public var count: Int { labels.count }
    /// One more than the largest label.
    public var classes: Int { (labels.max() ?? -1) + 1 }

    /// scikit-learn's 8x8 digits from `directory` (`images.npy` `uint8 [N, 8, 8]` with values
    /// 0...16, `labels.npy` `int32 [N]`), scaled to `x / 16` in `[0, 1]` (background 0), one channel.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` (`invalidFile`) for a missing or malformed file, or a shape
    ///   mismatch between the two.
    public static func digits(directory: String) throws -> Dataset {
        let raw = try Tensor<UInt8>(npyFile: (directory as NSString).appendingPathComponent("images.npy"))
        let labels = try Tensor<Int32>(npyFile: (directory as NSString).appendingPathComponent("labels.npy"))
        guard raw.rank == 3, labels.shape == [raw.shape[0]] else {
            throw ShiftOpsError(.invalidFile, argument: "directory",
                                "expected images [N, H, W] and labels [N], got \(raw.shape) and \(labels.shape)")
        }
        let images = try Tensor<Float>(shape: [raw.shape[0], 1, raw.shape[1], raw.shape[2]],
                                       elements: raw.elements.map { Float($0) / 16 })
        return try Dataset(images: images, labels: labels.elements.map { Int($0) })
    }

    /// The images at `indices`, in that order (an index may repeat).
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `indices` (`invalidArgument`) for an index outside
    ///   `0..<count`, or (`sizeOverflow`) when the subset's element count overflows `Int`.
    public func subset(_ indices: [Int]) throws -> Dataset {
        if let bad = indices.first(where: { !(0..<count).contains($0) }) {
            throw ShiftOpsError(.invalidArgument, argument: "indices", "expected indices in 0..<\(count), got \(bad)")
        }
        let size = images.shape.dropFirst().reduce(1, *)
        let (total, overflow) = indices.count.multipliedReportingOverflow(by: size)
        guard !overflow else {
            throw ShiftOpsError(.sizeOverflow, argument: "indices", "\(indices.count) images of \(size) elements overflow Int")
        }
        let values = images.withDenseBuffer { all -> [Float] in
            var out = [Float]()
            out.reserveCapacity(total)
            for i in indices { out.append(contentsOf: all[(i * size)..<((i + 1) * size)]) }
            return out
        }
        return try Dataset(images: Tensor(shape: [indices.count] + images.shape.dropFirst(), elements: values),
                           labels: indices.map { labels[$0] })
    }

    /// Each image translated by its own `(dy, dx)`, both uniform in `-maxShift...maxShift` and
    /// drawn from `seed`, with zeros shifted in (`y[i, j] = x[i - dy, j - dx]`). Any `maxShift`
    /// up to `Int.max` is valid; a shift as long as the image leaves it all zeros.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `maxShift` when it is negative.
    public func translated(maxShift: Int, seed: UInt64) throws -> Dataset {
        guard maxShift >= 0 else {
            throw ShiftOpsError(.invalidArgument, argument: "maxShift", "expected a shift >= 0, got \(maxShift)")
        }
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        var generator = SeededGenerator(seed: seed)
        // 2 * Int.max + 1 is UInt64.max: the span always fits in UInt64.
        let span = UInt64(maxShift) * 2 + 1
        // A draw in 0...2 * maxShift, moved to -maxShift...maxShift in two's complement (it fits
        // in Int), then clamped to one past the image, where every longer shift gives the same
        // zeros, so that `i - dy` cannot overflow.
        func draw(limit: Int) -> Int {
            let shift = Int(bitPattern: UInt(truncatingIfNeeded: generator.next() % span &- UInt64(maxShift)))
            return Swift.min(Swift.max(shift, -limit), limit)
        }
        let moved = try Tensor<Float>(shape: images.shape) { out in
            images.withDenseBuffer { x in
                for image in 0..<n {
                    let dy = draw(limit: h), dx = draw(limit: w)
                    for ch in 0..<c {
                        let base = (image * c + ch) * h * w
                        for i in 0..<h {
                            for j in 0..<w {
                                let (si, sj) = (i - dy, j - dx)
                                out[base + i * w + j] = (si >= 0 && si < h && sj >= 0 && sj < w) ? x[base + si * w + sj] : 0
                            }
                        }
                    }
                }
            }
        }
        return try Dataset(images: moved, labels: labels)
    }

    /// A seeded split: a permutation drawn from `seed`, the last `testFraction` of it the test set.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `testFraction` unless it leaves both parts non-empty.
    public func split(testFraction: Double = 0.2, seed: UInt64) throws -> (train: Dataset, test: Dataset) {
        // The fraction is checked before Int(_:), which traps on NaN and on values out of range.
        let testCount = testFraction > 0 && testFraction < 1 ? Int((Double(count) * testFraction).rounded()) : 0
        guard testCount >= 1, testCount < count else {
            throw ShiftOpsError(.invalidArgument, argument: "testFraction",
                                "expected a fraction leaving both parts non-empty, got \(testFraction) of \(count)")
        }
        let order = seededPermutation(count, seed: seed)
        return (try subset(Array(order.dropLast(testCount))), try subset(Array(order.suffix(testCount))))
    }
}

/// A permutation of `0..<count` drawn from `seed` (Fisher-Yates with ShiftOps' generator).
func seededPermutation(_ count: Int, seed: UInt64) -> [Int] {
    var generator = SeededGenerator(seed: seed)
    var order = Array(0..<count)
    if count > 1 {
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
    }
    return order
}
