// swift-tools-version:6.2
// Benchmarks, measurement tools and the body-reader fuzzer, in a package of their own so neither the main build nor
// `swift test` builds them. Commands and results: docs/performance.md and docs/health.md.
//   cd Benchmarks && swift package --disable-sandbox benchmark --target Routing     routing decisions
//   Benchmarks/scripts/webhook.sh                                                  webhook throughput (wrk)
//   Benchmarks/scripts/detection.sh, Benchmarks/scripts/scale.sh                   health checker
//   scripts/fuzz-body-reader.sh                                                    body reader under libFuzzer
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "switchboard-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "switchboard", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        /// Routing decision time (package-benchmark). Its plugin finds benchmarks only under `Benchmarks/`.
        .executableTarget(
            name: "Routing",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwitchboardCore", package: "switchboard"),
            ],
            path: "Benchmarks/Routing",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        /// The baseline of the webhook benchmark: Hummingbird reading the body and answering fixed JSON.
        .executableTarget(
            name: "BareEndpoint",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-backend",
            dependencies: [
                .product(name: "SwitchboardDemoBackend", package: "switchboard"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-farm",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-detect",
            dependencies: [
                .product(name: "SwitchboardCore", package: "switchboard"),
                .product(name: "SwitchboardHealth", package: "switchboard"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-scale",
            dependencies: [
                .product(name: "SwitchboardCore", package: "switchboard"),
                .product(name: "SwitchboardHealth", package: "switchboard"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BodyReaderFuzz",
            dependencies: [.product(name: "SwitchboardCore", package: "switchboard")],
            swiftSettings: swiftSettings
        ),
    ]
)

// scripts/fuzz-body-reader.sh builds with SWITCHBOARD_FUZZ=1 and `--sanitize fuzzer`, which SwiftPM applies to plugin
// tools as well: the benchmark plugin's tool would be linked with libFuzzer's `main` and fail. So the fuzz build sees
// only the fuzz target.
if Context.environment["SWITCHBOARD_FUZZ"] != nil {
    package.targets.removeAll { $0.name != "BodyReaderFuzz" }
    package.dependencies.removeAll { if case .fileSystem = $0.kind { false } else { true } }
}
