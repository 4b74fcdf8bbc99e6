import Foundation
import ShiftOps
#if canImport(Glibc)
import Glibc
#endif

/// Measures the memory an op uses beyond its outputs (the goal: none for a forward, O(N * C) for a
/// backward), by counting pages rather than trusting a formula.
///
/// How: before each run the tensor pool is emptied and `malloc_trim` hands every free page of every
/// malloc arena back to the system (with no top padding kept), so each page the op allocates and
/// writes costs a minor page fault, whether malloc serves it from its heap or from `mmap`. The
/// faults of one run of the op, less those of allocating and writing its outputs alone (a reference
/// of the same shapes), times the page size, are the bytes it used beyond them. The least of three
/// runs is kept: other threads of the process can only add faults. Page granularity: a temporary
/// under a page, or one that shares a page already in use, is not seen. Linux only, and only where
/// glibc's allocator serves `malloc`: elsewhere, and under a sanitizer whose allocator replaces it,
/// nil, printed as not measured.
enum BenchMemory {
    ///
    /// `faults` reads the process's minor page faults; tests pass a counter of their own, since
    /// other tests running at the same time fault pages too.
    static func measure(op: () throws -> Any, reference: () throws -> Any,
                        faults counter: () -> Int = minorFaultsIfAvailable) rethrows -> Int? {
        #if canImport(Glibc)
        guard let glibc = glibcAllocator else { return nil }
        // One probe at a time: each sets the process-wide top padding and trims every arena.
        lock.lock()
        defer { lock.unlock() }
        let mallopt = glibc.mallopt, trim = glibc.trim
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        // M_TOP_PAD in <malloc.h>, which Swift's Glibc does not export; glibc's default is 128 KiB.
        let topPad: Int32 = -2
        _ = mallopt(topPad, 0)
        defer { _ = mallopt(topPad, 128 << 10) }
        func faults(_ body: () throws -> Any) rethrows -> Int {
            var least = Int.max
            for _ in 0..<3 {
                TensorMemory.releaseCachedBuffers()
                _ = trim(0)
                let before = counter()
                let result = try body()
                let after = counter()
                withExtendedLifetime(result) {}
                least = min(least, after - before)
            }
            return least
        }
        let extra = try faults(op) - faults(reference)
        return max(0, extra) * page
        #else
        return nil
        #endif
    }

    #if canImport(Glibc)
    typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
    typealias MallocTrim = @convention(c) (Int) -> Int32

    /// glibc's `mallopt` and `malloc_trim`, looked up at run time because the Glibc module does not
    /// import `<malloc.h>`.
    struct GlibcAllocator {
        var mallopt: MallOpt
        var trim: MallocTrim
    }

    /// glibc's allocator controls, or nil when `malloc` is not glibc's. A sanitizer's runtime
    /// interposes its own `malloc`, and glibc's arenas then stay uninitialised: trimming them
    /// measures nothing, and two threads trimming at once race on their initialisation (a crash
    /// seen under AddressSanitizer).
    static let glibcAllocator: GlibcAllocator? = {
        guard let process = dlopen(nil, RTLD_NOW),
              let libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD),
              let inUse = dlsym(process, "malloc"), let glibcMalloc = dlsym(libc, "malloc"),
              inUse == glibcMalloc,
              let mallopt = dlsym(libc, "mallopt"), let trim = dlsym(libc, "malloc_trim") else { return nil }
        return GlibcAllocator(mallopt: unsafeBitCast(mallopt, to: MallOpt.self),
                              trim: unsafeBitCast(trim, to: MallocTrim.self))
    }()

    private static let lock = NSLock()

    static func minorFaults() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_minflt
    }
    #endif

    /// The process's minor page faults (0 where they cannot be read).
    static func minorFaultsIfAvailable() -> Int {
        #if canImport(Glibc)
        return minorFaults()
        #else
        return 0
        #endif
    }
}
