// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "SafeGrid",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "safegrid", targets: ["safegrid"]),
        .library(name: "SafeGridCore", targets: ["SafeGridCore"]),
        .library(name: "SafeGridApp", targets: ["SafeGridApp"]),
        .library(name: "SafeGridLedger", targets: ["SafeGridLedger"]),
        .library(name: "SafeGridDemo", targets: ["SafeGridDemo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.110.0"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.12.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.8.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.10.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.30.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0" ..< "5.0.0"),
        // Plot 0.14.0 with attribute escaping patched in (vendor/Plot/PATCHES.md).
        .package(path: "vendor/Plot"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/CoreOffice/XMLCoder.git", from: "0.18.2"),
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: [
        // Domain: value types and rules. No Vapor, no Fluent, no I/O.
        .target(
            name: "SafeGridCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Resources")]
        ),
        // Ledger files (台账): XLSX and CSV read into tables, cells into domain values, rows into
        // import candidates with per-row problems; XLSX and CSV written. No Vapor, no database.
        .target(
            name: "SafeGridLedger",
            dependencies: [
                "SafeGridCore",
                .product(name: "CSV", package: "CSV.swift"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "XMLCoder", package: "XMLCoder"),
            ]
        ),
        // The server: HTTP, SQL, HTML, commands.
        .target(
            name: "SafeGridApp",
            dependencies: [
                "SafeGridCore",
                "SafeGridLedger",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Plot", package: "Plot"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "XMLCoder", package: "XMLCoder"),
            ],
            // The field app's and the big screen's files (HTML, scripts, styles, manifest, icons,
            // vendored Leaflet), served under /field/ and /screen/.
            resources: [.copy("Resources/field"), .copy("Resources/screen"), .copy("Resources/report")]
        ),
        // The demo campaign: seeded generators that reproduce the article's figures through the
        // domain rules, the `safegrid demo` command that writes them through the app's write
        // path, and the demo accounts. Production code never refers to it.
        .target(
            name: "SafeGridDemo",
            dependencies: [
                "SafeGridCore",
                "SafeGridApp",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "SQLKit", package: "sql-kit"),
            ]
        ),
        .executableTarget(
            name: "safegrid",
            dependencies: ["SafeGridApp", "SafeGridDemo"]
        ),
        // Benchmarks that print figures (`swift run -c release safegrid-bench …`; see README.md
        // and BENCHMARKS.md): ledger throughput, sample files for other readers, the SMS outbox.
        .executableTarget(
            name: "safegrid-bench",
            dependencies: [
                "SafeGridCore",
                "SafeGridLedger",
                "SafeGridApp",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            path: "Benchmarks/Sources/safegrid-bench"
        ),
        .testTarget(
            name: "SafeGridCoreTests",
            dependencies: ["SafeGridCore"]
        ),
        .testTarget(
            name: "SafeGridLedgerTests",
            dependencies: ["SafeGridLedger"]
        ),
        .testTarget(
            name: "SafeGridDemoTests",
            dependencies: ["SafeGridDemo", "SafeGridCore"]
        ),
        .testTarget(
            name: "SafeGridAppTests",
            dependencies: [
                "SafeGridApp",
                "SafeGridLedger",
                "SafeGridDemo",
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "Plot", package: "Plot"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
