// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ShiftOps",
    // Synchronization's Atomic (the parallel trace's counts) needs macOS 15. Linux (x86-64 and
    // arm64) needs no declaration.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ShiftOps", targets: ["ShiftOps"]),
        .library(name: "ShiftCUDA", targets: ["ShiftCUDA"]),
        .library(name: "ShiftNets", targets: ["ShiftNets"]),
        .executable(name: "shiftops", targets: ["ShiftOpsCLI"]),
    ],
    traits: [
        .trait(name: "CUDA", description: "The CUDA backend: links libcudart and loads CKernels/libshiftcuda.so."),
    ],
    targets: [
        // MARK: CPU
        // The ops, the strided tensor and the CPU kernels, on the one tap definition.
        .target(name: "ShiftOps", dependencies: ["CShiftTaps", "CShiftSIMD"]),
        // The one tap definition, plain C shared with the CUDA kernels. Not behind the
        // CUDA trait: the CPU reads it too.
        .target(name: "CShiftTaps", linkerSettings: [.linkedLibrary("m")]),
        // The innermost loops for AVX2 and AVX-512, chosen at run time (x86-64; elsewhere the
        // portable loops only). Built with the package's ordinary flags.
        .target(name: "CShiftSIMD"),

        // The network layers, module protocol, architectures and counting.
        .target(name: "ShiftNets", dependencies: ["ShiftOps"]),

        // MARK: CUDA (trait "CUDA")
        // libcudart from Debian's nvidia-cuda-dev.
        .systemLibrary(name: "CCUDART", providers: [.apt(["nvidia-cuda-dev"])]),
        // The C shim: shiftcuda.h (the kernels library's interface) and its loader.
        .target(name: "CShiftCUDA"),
        // Device tensors and the ops on them. Empty without the trait.
        .target(name: "ShiftCUDA", dependencies: [
            "ShiftOps",
            .target(name: "CShiftCUDA", condition: .when(traits: ["CUDA"])),
            .target(name: "CCUDART", condition: .when(traits: ["CUDA"])),
        ]),

        // MARK: Tests
        // The one naive reference (the oracle), the case lists, the tolerance rule and the
        // helpers the tests, the benchmark and `shiftops check` share. No product exports it.
        .target(name: "ShiftOpsTestSupport", dependencies: ["ShiftOps"]),

        // MARK: Tools
        // The `shiftops` commands (`run`, `bench`, `demo`, `count`, `bench-pointwise`, `check`) as a library, so tests can call them.
        .target(name: "ShiftOpsTool", dependencies: ["ShiftOps", "ShiftCUDA", "ShiftNets", "ShiftOpsTestSupport"]),
        .executableTarget(name: "ShiftOpsCLI", dependencies: ["ShiftOpsTool"]),
        .testTarget(name: "ShiftOpsTests", dependencies: ["ShiftOps", "ShiftOpsTool", "ShiftOpsTestSupport", "CShiftTaps"]),
        .testTarget(name: "ShiftNetsTests", dependencies: ["ShiftNets", "ShiftOps", "ShiftOpsTool", "ShiftOpsTestSupport"]),
        .testTarget(name: "ShiftCUDATests", dependencies: ["ShiftOps", "ShiftCUDA", "ShiftOpsTool", "ShiftOpsTestSupport"]),
    ]
)
