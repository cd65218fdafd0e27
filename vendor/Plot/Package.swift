// swift-tools-version:5.4
// Plot 0.14.0 (John Sundell, MIT; LICENSE beside this file), vendored with one patch: attribute
// values are escaped when rendered, and text escaping no longer lets entity-like sequences through.
// See PATCHES.md.
import PackageDescription

let package = Package(
    name: "Plot",
    products: [.library(name: "Plot", targets: ["Plot"])],
    targets: [.target(name: "Plot")]
)
