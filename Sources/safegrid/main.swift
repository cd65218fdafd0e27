import SafeGridApp

try await SafeGridMain.run()
