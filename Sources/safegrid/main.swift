import SafeGridApp
import SafeGridDemo

try await SafeGridMain.run(extra: [DemoCommand.registration])
