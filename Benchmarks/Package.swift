// swift-tools-version:6.3
import PackageDescription

// Benchmarks live in their own package so `swift test` in the repository never builds them.
// Run from this directory:  swift package benchmark   (routing, package-benchmark)
//                           ./webhook/run.sh           (webhook throughput with wrk)
let package = Package(
    name: "switchboard-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "switchboard", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        .executableTarget(
            name: "Routing",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwitchboardCore", package: "switchboard"),
            ],
            path: "Benchmarks/Routing",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        /// The baseline of the webhook benchmark: Hummingbird reading the body and answering fixed JSON.
        .executableTarget(
            name: "BareEndpoint",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        ),
    ]
)
