import Foundation
import ShiftOps

/// Writes a checkpoint folder as one unit: the new files go into a fresh sibling folder, are
/// flushed to disk, and the folder is swapped in with one rename. A reader sees the old
/// checkpoint or the new one, never a mix, and a save that fails leaves the old one as it was.
enum CheckpointWriter {
    /// The temporary folders this process is writing now: any other one with this process's id
    /// was left by a save that stopped half way.
    ///
    /// Its lock is also held while a save puts its folder in place. Two saves of one folder in
    /// this process could otherwise both find it absent and the second rename fail, or (without
    /// the exchange) both move it to the one aside path. Installs are a few renames and the old
    /// folder's removal, short beside writing and flushing the files, which run outside it.
    private static let active = Locked<Set<String>>([])

    /// Writes `files` (a name in the folder and the function that writes it at a given path) as
    /// the folder `directory`, replacing what was there.
    ///
    /// - Throws: ``ShiftOps/ShiftOpsError`` naming `directory` when the target is not a folder, holds
    ///   anything but `.npy` files (the save replaces the whole folder and will not delete other
    ///   things), or when a folder cannot be created, written, flushed or renamed; the errors of
    ///   the write functions as they are. On a throw the old folder is unchanged and the
    ///   temporary folder removed.
    static func write(_ files: [(name: String, write: (String) throws -> Void)], to directory: String) throws {
        let folder = try CheckpointFolder(directory)
        try checkReplaceable(folder)
        do {
            try FileManager.default.createDirectory(atPath: folder.parent, withIntermediateDirectories: true)
        } catch {
            throw ShiftOpsError(.invalidFile, argument: "directory", "cannot create \(folder.parent): \(error.localizedDescription)")
        }
        removeStaleTemporaries(folder)
        let temporary = folder.sibling(folder.temporaryPrefix + "\(getpid())-" + String(UInt64.random(in: 0...UInt64.max), radix: 16))
        // Registered before it exists, so that another save of the same folder in this process
        // never takes it for a leftover and removes it.
        active.withLock { _ = $0.insert(temporary) }
        defer { active.withLock { _ = $0.remove(temporary) } }
        guard mkdir(temporary, 0o777) == 0 else {
            throw ShiftOpsError(.invalidFile, argument: "directory", "cannot create \(temporary): \(systemError())")
        }
        do {
            for (k, file) in files.enumerated() {
                try CheckpointTesting.reach(.file(k))
                let path = temporary + "/" + file.name
                try file.write(path)
                try flush(path)
            }
            try flush(temporary)
            try active.withLock { _ in try install(temporary, as: folder) }
        } catch let crash as SimulatedCrash {
            // A kill leaves everything where it is; so does its stand-in.
            throw crash
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Refuses a target that is not a folder, or a folder holding anything a save would lose
    /// other than `.npy` files.
    private static func checkReplaceable(_ folder: CheckpointFolder) throws {
        switch fileKind(folder.path) {
        case nil: return
        case .directory: break
        default:
            throw ShiftOpsError(.invalidFile, argument: "directory", "\(folder.path) exists and is not a folder")
        }
        try CheckpointTesting.reach(.beforeListing)
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            // Another save of this folder may have moved it aside in between: nothing to refuse.
            if fileKind(folder.path) == nil { return }
            throw ShiftOpsError(.invalidFile, argument: "directory", "cannot list \(folder.path): \(error.localizedDescription)")
        }
        if let other = entries.sorted().first(where: { !$0.hasSuffix(".npy") || fileKind(folder.path + "/" + $0, following: false) == .directory }) {
            throw ShiftOpsError(.invalidFile, argument: "directory",
                                "\(folder.path) holds \"\(other)\", which is not a checkpoint file; a save replaces the whole folder, so it refuses to delete it (move it, or save elsewhere)")
        }
    }

    /// Removes temporary folders of saves that stopped half way: those of processes that no
    /// longer run, and this process's own that no save is writing now.
    private static func removeStaleTemporaries(_ folder: CheckpointFolder) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder.parent) else { return }
        let own = getpid()
        for entry in entries where entry.hasPrefix(folder.temporaryPrefix) {
            let rest = entry.dropFirst(folder.temporaryPrefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0 else { continue }
            let path = folder.sibling(entry)
            let stale = pid == own ? !active.withLock { $0.contains(path) } : (kill(pid, 0) != 0 && errno == ESRCH)
            if stale { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    /// Puts the complete `temporary` folder in `folder`'s place and removes the old checkpoint.
    private static func install(_ temporary: String, as folder: CheckpointFolder) throws {
        let present = fileKind(folder.path) != nil
        try CheckpointTesting.reach(.beforeInstall)
        if present {
            if !CheckpointTesting.exchangeUnavailable, exchange(temporary, folder.path) {
                // `temporary` now holds the old checkpoint.
                try? flush(folder.parent)
                try CheckpointTesting.reach(.beforeRemovingOld)
                try? FileManager.default.removeItem(atPath: temporary)
                removeAside(folder)
                return
            }
            // With the folder present the aside is left over from an earlier save and stale.
            removeAside(folder)
            try rename(folder.path, to: folder.asidePath)
            do {
                try CheckpointTesting.reach(.afterAside)
                try rename(temporary, to: folder.path)
            } catch is SimulatedCrash {
                throw SimulatedCrash()
            } catch {
                try? rename(folder.asidePath, to: folder.path)
                throw error
            }
        } else {
            try rename(temporary, to: folder.path)
        }
        try? flush(folder.parent)
        try CheckpointTesting.reach(.beforeRemovingOld)
        removeAside(folder)
    }

    /// Removes the old checkpoint moved aside by this save or left by an interrupted one: with
    /// the folder in place it is never read again.
    private static func removeAside(_ folder: CheckpointFolder) {
        if fileKind(folder.asidePath, following: false) != nil { try? FileManager.default.removeItem(atPath: folder.asidePath) }
    }

    private static func rename(_ source: String, to target: String) throws {
        guard Foundation.rename(source, target) == 0 else {
            throw ShiftOpsError(.invalidFile, argument: "directory", "cannot rename \(source) to \(target): \(systemError())")
        }
    }

    /// Swaps two folders in one step (Linux's `renameat2` with `RENAME_EXCHANGE`); false where the
    /// system or the file system cannot.
    private static func exchange(_ a: String, _ b: String) -> Bool {
        #if os(Linux)
        // Looked up at run time: the C library declares it only for GNU sources, which Swift's
        // Glibc module does not enable, and older C libraries lack it.
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let renameExchange: UInt32 = 1 << 1
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
        #else
        return false
        #endif
    }

    /// Flushes a file's or folder's contents to disk, so the rename that publishes them cannot
    /// reach the disk before they do.
    private static func flush(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw ShiftOpsError(.invalidFile, argument: "directory", "cannot open \(path) to flush it: \(systemError())")
        }
        defer { close(descriptor) }
        // Some file systems cannot flush a folder (EINVAL); its entries then reach the disk with
        // the file system's own ordering, which is all that can be had.
        guard fsync(descriptor) == 0 || errno == EINVAL else {
            throw ShiftOpsError(.invalidFile, argument: "directory", "cannot flush \(path): \(systemError())")
        }
    }
}

/// Hooks that make a save fail or stop at a chosen point, for tests of what a failed or killed
/// save leaves behind. Task-local, so a test's hook never reaches another test's save.
package enum CheckpointTesting {
    /// A point in a save.
    package enum Point: Equatable, Sendable {
        /// After the save found a folder in its place, before it lists what the folder holds.
        case beforeListing
        /// Before writing the file at this index (0-based, network order).
        case file(Int)
        /// After the save looked whether the folder exists, before it puts the new one in place.
        case beforeInstall
        /// After the old folder was renamed aside (only where folders cannot be swapped).
        case afterAside
        /// After the new folder is in place, before the old one is removed.
        case beforeRemovingOld
    }

    /// Throws an ordinary error at this point: a failed save, which cleans up after itself.
    @TaskLocal package static var failure: Point?
    /// Throws ``SimulatedCrash`` at this point, which skips every clean-up: a killed save.
    @TaskLocal package static var crash: Point?
    /// Makes the save take the path of a system that cannot swap two folders.
    @TaskLocal package static var exchangeUnavailable = false
    /// Called at every point, before any failure or crash: a test widens a race window with it.
    /// It may run while the writer holds its lock, so it must not save a checkpoint itself.
    @TaskLocal package static var onReach: (@Sendable (Point) -> Void)?

    static func reach(_ point: Point) throws {
        onReach?(point)
        if crash == point { throw SimulatedCrash() }
        // Past the swap the new checkpoint is in place, so only a crash can stop a save there.
        if failure == point, point != .beforeRemovingOld {
            throw ShiftOpsError(.invalidFile, argument: "directory", "injected failure at \(point)")
        }
    }
}

/// What a save stopped by ``CheckpointTesting/crash`` throws.
package struct SimulatedCrash: Error {}
