import CShiftSIMD

/// Copies the elements of one strided layout into another of the same shape: the layout changes
/// (`dense(order:)`, `channelsLast()`, `elements` of a permuted tensor) at close to memory speed.
///
/// The plan is made once per call: axes of length 1 are dropped, the rest ordered by the
/// target's strides (its memory order, so that writes run forward) and merged where both layouts
/// keep two neighbours contiguous. What is left is walked one innermost run at a time: a block
/// copy where both runs are contiguous, a transpose in registers where the last two axes swap
/// (4-byte elements between channels-first and channels-last, with AVX2), else a strided loop. The
/// elements move as unsigned integers of their size, so one compiled loop serves every element
/// type and none goes through the generic value witnesses.
enum StridedCopy {
    /// One axis of the walk: its length and its strides in elements.
    struct Axis: Equatable {
        var count: Int
        var source: Int
        var target: Int
    }

    /// The axes to walk, outermost first, for `shape` at `source` and `target` strides.
    static func plan(shape: [Int], source: [Int], target: [Int]) -> [Axis] {
        var axes = shape.indices.filter { shape[$0] != 1 }.map { Axis(count: shape[$0], source: source[$0], target: target[$0]) }
        // Stable, so that equal target strides (only possible for length-1 axes, dropped above,
        // or a target that overlaps itself, which no caller passes) keep the logical order.
        axes = axes.enumerated().sorted { ($0.element.target.magnitude, $1.offset) > ($1.element.target.magnitude, $0.offset) }
            .map(\.element)
        var merged: [Axis] = []
        for axis in axes {
            if let last = merged.last, last.source == axis.source &* axis.count, last.target == axis.target &* axis.count {
                merged[merged.count - 1] = Axis(count: last.count &* axis.count, source: axis.source, target: axis.target)
            } else {
                merged.append(axis)
            }
        }
        return merged
    }

    /// Copies `shape`-shaped elements from `source` (the element at all-zero indices) at
    /// `sourceStrides` into the uninitialised `target` at `targetStrides` (strides in elements;
    /// the target must not overlap itself or the source). Elements that hold no references and
    /// are aligned to their size move as raw bytes; any other element type (a conformance of the
    /// caller's own) is initialised one by one. `trace` is for tests that show the split ran.
    static func copy<Element>(_ source: UnsafePointer<Element>, strides sourceStrides: [Int],
                              into target: UnsafeMutablePointer<Element>, strides targetStrides: [Int], shape: [Int],
                              trace: ParallelTrace? = nil) {
        guard !shape.contains(0) else { return }
        let axes = plan(shape: shape, source: sourceStrides, target: targetStrides)
        let size = MemoryLayout<Element>.stride
        guard _isPOD(Element.self), [1, 2, 4, 8].contains(size), MemoryLayout<Element>.alignment == size else {
            walk(axes, inner: 1) { s, t, inner in
                for i in 0..<inner.count { (target + (t &+ i &* inner.target)).initialize(to: source[s &+ i &* inner.source]) }
            }
            return
        }
        let kernel = Kernel(axes, size: size, level: VectorLevel.current)
        let (from, to) = (UnsafeMutableRawPointer(mutating: source), UnsafeMutableRawPointer(target))
        // Large copies split the plan's outermost axis (images, usually; the pixels of a single
        // image's transpose) between threads, each writing its own part of the target. A
        // transpose's own axis splits in whole blocks of 8. Recorded only in a trace passed in,
        // never the task's: a test tracing an op's threads would count a small copy's single
        // worker too.
        let count = shape.reduce(1, &*)
        guard !axes.isEmpty, count >= 2 &* WorkGrain.copyElements else {
            kernel.run(axes, from, to)
            return
        }
        let outer = axes[0]
        let unit = kernel.path == .transpose && axes.count == 2 ? 8 : 1
        let units = (outer.count &+ unit &- 1) / unit
        parallelChunks(count: units, grain: WorkGrain.items(WorkGrain.copyElements, per: count / units), trace: trace) { range in
            let first = range.lowerBound &* unit, end = Swift.min(range.upperBound &* unit, outer.count)
            var part = axes
            part[0].count = end &- first
            kernel.run(part, from + first &* outer.source &* size, to + first &* outer.target &* size)
        }
    }

    /// How the innermost axes are copied, chosen once per call.
    private struct Kernel {
        enum Path { case block, transpose, lanes }
        let path: Path
        let size: Int
        let level: Int32
        /// The innermost axes a call of the path handles: the rest are walked around it.
        var inner: Int { path == .transpose ? 2 : 1 }

        init(_ axes: [Axis], size: Int, level: Int32) {
            (self.size, self.level) = (size, level)
            let count = axes.count
            if let b = axes.last, b.source == 1, b.target == 1 {
                path = .block
            } else if size == 4, level > VectorLevel.portable, count >= 2, axes[count - 1].target == 1, axes[count - 2].source == 1,
                      axes[count - 1].source > 0, axes[count - 2].target > 0 {
                path = .transpose
            } else {
                path = .lanes
            }
        }

        func run(_ axes: [Axis], _ from: UnsafeMutableRawPointer, _ to: UnsafeMutableRawPointer) {
            let size = self.size
            switch path {
            case .block:
                let bytes = axes[axes.count - 1].count &* size
                walk(axes, inner: 1) { s, t, _ in (to + t &* size).copyMemory(from: from + s &* size, byteCount: bytes) }
            case .transpose:
                // target[ia * a.target + ib] = source[ia + ib * b.source]: rows of the C transpose
                // are b's elements in the source, its columns a's.
                let (a, b, level) = (axes[axes.count - 2], axes[axes.count - 1], level)
                walk(axes, inner: 2) { s, t, _ in
                    shift_simd_transpose32(level, from + s &* 4, Int64(b.source), to + t &* 4, Int64(a.target),
                                           Int64(b.count), Int64(a.count))
                }
            case .lanes:
                switch size {
                case 1: lanes(axes, from, to, as: UInt8.self)
                case 2: lanes(axes, from, to, as: UInt16.self)
                case 4: lanes(axes, from, to, as: UInt32.self)
                default: lanes(axes, from, to, as: UInt64.self)
                }
            }
        }
    }

    /// The strided loop over the innermost axis, on unsigned lanes of the element's size (raw
    /// loads and stores: the memory stays bound to the element type).
    private static func lanes<Lane: FixedWidthInteger>(_ axes: [Axis], _ from: UnsafeMutableRawPointer, _ to: UnsafeMutableRawPointer,
                                                      as: Lane.Type) {
        let size = MemoryLayout<Lane>.stride
        walk(axes, inner: 1) { s, t, inner in
            var (p, q) = (s &* size, t &* size)
            let (sourceStep, targetStep) = (inner.source &* size, inner.target &* size)
            for _ in 0..<inner.count {
                to.storeBytes(of: from.load(fromByteOffset: p, as: Lane.self), toByteOffset: q, as: Lane.self)
                p &+= sourceStep
                q &+= targetStep
            }
        }
    }

    /// Calls `body` with the source and target positions of every block of the last `inner`
    /// axes, in the target's memory order, and the innermost axis (a single element where there
    /// are no axes): the package's odometer, once for each layout, in step.
    private static func walk(_ axes: [Axis], inner: Int, _ body: (Int, Int, Axis) -> Void) {
        let innermost = axes.last ?? Axis(count: 1, source: 0, target: 0)
        let outer = axes.dropLast(Swift.min(inner, axes.count))
        var source = StrideOdometer(shape: outer.map(\.count), strides: outer.map(\.source), position: 0)
        var target = StrideOdometer(shape: outer.map(\.count), strides: outer.map(\.target), position: 0)
        repeat {
            body(source.position, target.position, innermost)
            target.advance()
        } while source.advance()
    }
}
