// A demo backend in its own process, so bench-detect can kill, stop and restart it.
// Usage: bench-backend PORT   (prints "ready PORT" once it accepts connections)
import Foundation
import Hummingbird
import Logging
import SwitchboardDemoBackend

guard CommandLine.arguments.count == 2, let port = Int(CommandLine.arguments[1]) else {
    FileHandle.standardError.write(Data("usage: bench-backend PORT\n".utf8))
    exit(2)
}
var logger = Logger(label: "bench-backend")
logger.logLevel = .error
let app = buildDemoBackend(configuration: .init(host: "127.0.0.1", port: port, name: "bench"), logger: logger) {
    bound in
    print("ready \(bound)")
    fflush(nil)
}
try await app.runService()
