import Foundation
import ShiftOps

/// A checkpoint folder's path and the names of the sibling folders a save uses.
///
/// A save writes `<name>.shiftnets-tmp-<pid>-<random>` next to the folder and swaps it in; where
/// the system cannot swap two folders in one step it first renames the old folder to
/// `<name>.shiftnets-aside`. Siblings, not subfolders: the folder itself only ever holds a whole
/// checkpoint, and the swap stays a rename within one file system.
struct CheckpointFolder {
    /// The folder, without trailing slashes; a symbolic link to a folder is replaced by its target
    /// so that the link survives a save.
    let path: String
    /// The folder that holds it.
    let parent: String
    /// Its last component.
    let name: String

    /// The old checkpoint while a save that could not swap in one step installs the new one.
    var asidePath: String { sibling(name + ".shiftnets-aside") }
    /// What every temporary folder's name starts with.
    var temporaryPrefix: String { name + ".shiftnets-tmp-" }

    func sibling(_ entry: String) -> String { parent == "/" ? "/" + entry : parent + "/" + entry }

    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `directory` for an empty path, the root, or a `.`/`..`
    ///   ending that does not resolve.
    init(_ directory: String) throws {
        var path = directory
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        guard !path.isEmpty, path != "/" else {
            throw ShiftOpsError(.invalidArgument, argument: "directory", "expected a folder path other than \"\(directory)\"")
        }
        let last = (path as NSString).lastPathComponent
        if last == "." || last == ".." || fileKind(path, following: false) == .symbolicLink {
            guard let resolved = realpath(path, nil) else {
                throw ShiftOpsError(.invalidFile, argument: "directory", "cannot resolve \(directory): \(systemError())")
            }
            defer { free(resolved) }
            path = String(cString: resolved)
            guard path != "/" else {
                throw ShiftOpsError(.invalidArgument, argument: "directory", "expected a folder path other than the root")
            }
        }
        self.path = path
        let parent = (path as NSString).deletingLastPathComponent
        self.parent = parent.isEmpty ? "." : parent
        name = (path as NSString).lastPathComponent
    }

    /// The folder to read: the folder itself, or the old checkpoint a save interrupted between
    /// moving it aside and installing the new one left behind; `nil` when neither exists.
    func readablePath() -> String? {
        if fileKind(path) != nil { return path }
        if fileKind(asidePath) == .directory { return asidePath }
        return nil
    }
}

/// What a path names, following symbolic links unless told otherwise; `nil` when nothing is there.
enum FileKind: Equatable {
    case regular, directory, symbolicLink, other
}

func fileKind(_ path: String, following: Bool = true) -> FileKind? {
    var info = stat()
    let result = following ? stat(path, &info) : lstat(path, &info)
    guard result == 0 else { return nil }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .regular
    case S_IFDIR: return .directory
    case S_IFLNK: return .symbolicLink
    default: return .other
    }
}

/// The size in bytes of the file at `path` (links followed), or `nil`.
func fileSize(_ path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return Int(info.st_size)
}

/// The C library's message for the current `errno`.
func systemError() -> String { String(cString: strerror(errno)) }
