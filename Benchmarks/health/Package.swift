// swift-tools-version:6.1
// Measurement tools for the health checker (docs/health.md). Its own package, so neither the main build
// nor `swift test` builds or runs them: `swift build -c release --package-path Benchmarks/health`.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "health-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "switchboard", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
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
    ]
)
