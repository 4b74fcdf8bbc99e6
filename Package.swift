// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ShiftOps",
    products: [
        .library(name: "ShiftOps", targets: ["ShiftOps"]),
        .executable(name: "shiftops", targets: ["ShiftOpsCLI"]),
    ],
    targets: [
        // The ops, the strided tensor and the CPU kernels. No dependencies.
        .target(name: "ShiftOps"),
        // The `shiftops` commands (`run`, `bench`) as a library, so tests can call them.
        .target(name: "ShiftOpsTool", dependencies: ["ShiftOps"]),
        .executableTarget(name: "ShiftOpsCLI", dependencies: ["ShiftOpsTool"]),
        .testTarget(name: "ShiftOpsTests", dependencies: ["ShiftOps", "ShiftOpsTool"]),
    ]
)
