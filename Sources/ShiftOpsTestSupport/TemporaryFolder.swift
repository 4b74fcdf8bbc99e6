import Foundation

/// A fresh folder under the system's temporary directory that is removed, with everything in it,
/// when the last reference to it goes away, so a test that fails half-way leaves nothing behind.
///
/// Hold it for as long as the files are needed, best as a stored property of a test suite (one
/// folder per test, since each test gets its own suite instance). A local one may be released
/// right after its last use, so wrap its uses in `withExtendedLifetime`.
public final class TemporaryFolder: Sendable {
    /// The folder's absolute path.
    public let path: String

    /// Creates the folder.
    ///
    /// - Parameter prefix: the start of its name, to tell whose folder it is; a random suffix keeps
    ///   concurrent tests apart.
    /// - Throws: the file system's error when the folder cannot be created.
    public init(prefix: String = "shiftops") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the folder (nothing is created).
    ///
    /// - Parameter name: a file or folder name, or a relative path.
    /// - Returns: the absolute path.
    public func file(_ name: String) -> String { path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
