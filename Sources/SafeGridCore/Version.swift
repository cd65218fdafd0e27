public enum SafeGridCoreVersion { public static let value = "0.1.0" }
