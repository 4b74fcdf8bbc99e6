import Foundation

/// The error every ShiftOps entry point throws for bad input.
///
/// `argument` names the offending argument as the caller wrote it (`"input"`, `"shifts"`,
/// `"geometry.stride"`, ...), and `description` says what was expected, so a message can be shown
/// to a user as it is. A call that throws leaves every output it was given untouched.
public struct ShiftOpsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of mistake the caller made.
    public enum Code: String, Sendable, CaseIterable {
        /// A tensor has the wrong number of dimensions.
        case invalidRank
        /// A tensor's shape does not fit the others (channel count, gradient shape, shift table).
        case shapeMismatch
        /// A stride, origin or output size is out of range.
        case invalidGeometry
        /// A shift is NaN or infinite.
        case nonFiniteShift
        /// A grouped (fixed integer) shift is not an integer.
        case nonIntegerShift
        /// An element count, byte count or index range does not fit in `Int`.
        case sizeOverflow
        /// The system could not provide the memory a tensor needs.
        case outOfMemory
        /// An output shares storage with an input.
        case aliasedOutput
        /// The mode cannot be used with this element type (active shifts of integer tensors).
        case unsupportedMode
        /// A file could not be read or written, or is not a valid `.npy` file.
        case invalidFile
        /// Any other argument that is out of its documented range.
        case invalidArgument
        /// The CUDA runtime or the kernels library reported an error.
        case cuda
    }

    /// What kind of mistake was made.
    public let code: Code
    /// The argument at fault, as the caller named it.
    public let argument: String
    /// What was expected, and what was found.
    public let message: String

    public init(_ code: Code, argument: String, _ message: String) {
        self.code = code
        self.argument = argument
        self.message = message
    }

    public var description: String { "\(argument): \(message)" }
}

/// Foundation's error description, so `error.localizedDescription` shows the argument and the
/// message instead of a generic "the operation could not be completed".
extension ShiftOpsError: LocalizedError {
    /// The same text as ``description``.
    public var errorDescription: String? { description }
}
