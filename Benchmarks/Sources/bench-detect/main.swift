// Detection and recovery times of the health checker with the default timing (interval 2 s, timeout 1 s,
// rise 2, fall 2, fast_interval 500 ms, jitter 10 %), against a demo backend in a child process that is
// made to fail CYCLES times, either refusing (SIGKILL: the port closes) or hanging (SIGSTOP: the kernel still
// accepts connections, nothing answers). Detection: failure injected -> checker reports unhealthy.
// Recovery: backend accepting again (restarted process printed "ready", or SIGCONT sent) -> healthy.
// Usage: bench-detect BACKEND_BINARY refuse|hang CYCLES [websocket|http|tcp]
import Foundation
import Logging
import SwitchboardCore
import SwitchboardHealth

let arguments = CommandLine.arguments
guard arguments.count >= 4, ["refuse", "hang"].contains(arguments[2]), let cycles = Int(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: bench-detect BACKEND_BINARY refuse|hang CYCLES [websocket|http|tcp]\n".utf8))
    exit(2)
}
let backendPath = arguments[1]
let hang = arguments[2] == "hang"
let checkName = arguments.count > 4 ? arguments[4] : "websocket"
let port = try freePort()

var backend = try BackendProcess.start(path: backendPath, port: port)
let (kind, url): (HealthCheck.Kind, String) =
    switch checkName {
    case "http": (.http(expect: [200], headers: []), "http://127.0.0.1:\(port)/healthz")
    case "tcp": (.tcp, "ws://127.0.0.1:\(port)/calls")
    default: (.websocket, "ws://127.0.0.1:\(port)/calls")
    }
let target = ProbeTarget(name: "b", check: HealthCheck(kind: kind, url: url, timing: HealthTiming()))
let transitions = Transitions()
var logger = Logger(label: "bench-detect")
logger.logLevel = .error
let checker = HealthChecker(targets: [target], logger: logger, onChange: { states in
    if let state = states["b"] { transitions.record(state) }
})
let runner = Task { try await checker.run() }

var detections: [Duration] = []
var recoveries: [Duration] = []
_ = try await transitions.wait(for: .healthy, since: .now - .seconds(3600))
print("cycle  detection_ms  recovery_ms   (\(arguments[2]), \(checkName) check, default timing)")
for cycle in 1...cycles {
    try await Task.sleep(for: .milliseconds(Int.random(in: 500..<2500)))  // random phase against the probes
    let failedAt = ContinuousClock.now
    if hang { backend.stop() } else { backend.kill() }
    let down = try await transitions.wait(for: .unhealthy, since: failedAt)
    try await Task.sleep(for: .milliseconds(Int.random(in: 500..<2500)))  // stay down a while
    let restoredAt: ContinuousClock.Instant
    if hang {
        backend.resume()
        restoredAt = .now
    } else {
        backend = try BackendProcess.start(path: backendPath, port: port)
        restoredAt = backend.readyAt
    }
    let up = try await transitions.wait(for: .healthy, since: restoredAt)
    detections.append(failedAt.duration(to: down))
    recoveries.append(restoredAt.duration(to: up))
    print(String(format: "%5d  %12.0f  %11.0f", cycle, detections.last!.ms, recoveries.last!.ms))
    fflush(nil)
}
backend.kill()
runner.cancel()
_ = try? await runner.value

func summary(_ name: String, _ values: [Duration]) -> String {
    let sorted = values.map(\.ms).sorted()
    let median = sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    return String(format: "%@: median %.0f ms, max %.0f ms, min %.0f ms (n=%d)", name, median, sorted.last!, sorted[0], sorted.count)
}
print(summary("detection", detections))
print(summary("recovery ", recoveries))
