// One process probing COUNT backends (127.0.0.1:BASE..<BASE+COUNT, e.g. bench-farm) every INTERVAL seconds.
// Every SAMPLE seconds prints probes, probe rate, this process's CPU (getrusage) and RSS (/proc/self/statm);
// at the end, the totals over the steady window (after WARMUP seconds).
// Usage: bench-scale http|websocket BASE COUNT DURATION_S [SAMPLE_S=10] [WARMUP_S=10] [INTERVAL_MS=1000]
import Foundation
import Logging
import Synchronization
import SwitchboardCore
import SwitchboardHealth

let arguments = CommandLine.arguments
guard arguments.count >= 5, ["http", "websocket"].contains(arguments[1]), let base = Int(arguments[2]),
    let count = Int(arguments[3]), let duration = Int(arguments[4])
else {
    FileHandle.standardError.write(
        Data("usage: bench-scale http|websocket BASE COUNT DURATION_S [SAMPLE_S] [WARMUP_S] [INTERVAL_MS]\n".utf8))
    exit(2)
}
let sample = arguments.count > 5 ? Int(arguments[5]) ?? 10 : 10
let warmup = arguments.count > 6 ? Int(arguments[6]) ?? 10 : 10
let intervalMS = arguments.count > 7 ? Int(arguments[7]) ?? 1000 : 1000
let timing = HealthTiming(interval: .milliseconds(intervalMS), timeout: .seconds(1), rise: 2, fall: 2,
                          fastInterval: .milliseconds(500), jitter: 0.1)
let targets = (base..<(base + count)).map { port in
    let check = arguments[1] == "http"
        ? HealthCheck(kind: .http(expect: [200], headers: []), url: "http://127.0.0.1:\(port)/healthz", timing: timing)
        : HealthCheck(kind: .websocket, url: "ws://127.0.0.1:\(port)/calls", timing: timing)
    return ProbeTarget(name: "b\(port)", check: check)
}

let probes = Atomic<Int>(0)
let failures = Atomic<Int>(0)
let reasons = Mutex<[ProbeFailureReason: Int]>([:])
var logger = Logger(label: "bench-scale")
logger.logLevel = .error
let checker = HealthChecker(targets: targets, logger: logger, onProbe: { _, result in
    probes.add(1, ordering: .relaxed)
    if let reason = result.failure {
        failures.add(1, ordering: .relaxed)
        reasons.withLock { $0[reason, default: 0] += 1 }
    }
})
let runner = Task { try await checker.run() }

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

func rssMiB() -> Double {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
        let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
    else { return 0 }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

print("check=\(arguments[1]) backends=\(count) interval=\(intervalMS)ms duration=\(duration)s warmup=\(warmup)s")
print("    t_s     probes   rate_per_s  cpu_s_per_1000  cpu_pct  rss_mib  failures")
let start = ContinuousClock.now
var last = (time: start, probes: 0, cpu: cpuSeconds())
var steady: (time: ContinuousClock.Instant, probes: Int, cpu: Double)?
var rssSeen: [Double] = []
while start.duration(to: .now) < .seconds(duration) {
    try await Task.sleep(for: .seconds(sample))
    let now = (time: ContinuousClock.now, probes: probes.load(ordering: .relaxed), cpu: cpuSeconds())
    let seconds = Double(last.time.duration(to: now.time).components.seconds)
        + Double(last.time.duration(to: now.time).components.attoseconds) / 1e18
    let done = now.probes - last.probes
    let cpu = now.cpu - last.cpu
    let elapsed = start.duration(to: now.time).components.seconds
    let rss = rssMiB()
    print(String(format: "%7d %10d %12.1f %15.4f %8.2f %8.1f %9d", elapsed, now.probes, Double(done) / seconds,
                 done > 0 ? cpu / Double(done) * 1000 : 0, cpu / seconds * 100, rss, failures.load(ordering: .relaxed)))
    fflush(nil)
    if steady == nil, elapsed >= warmup { steady = now } else if steady != nil { rssSeen.append(rss) }
    last = now
}
runner.cancel()
_ = try? await runner.value
if let steady {
    let seconds = Double(steady.time.duration(to: last.time).components.seconds)
    let done = last.probes - steady.probes
    let cpu = last.cpu - steady.cpu
    print(String(format: "steady window %.0f s: %d probes, %.1f probes/s, %.4f CPU-s per 1000 probes (%.1f µs/probe), %.2f %% of one core",
                 seconds, done, Double(done) / seconds, cpu / Double(done) * 1000, cpu / Double(done) * 1e6, cpu / seconds * 100))
    if let low = rssSeen.min(), let high = rssSeen.max() {
        print(String(format: "RSS over the steady window: min %.1f MiB, max %.1f MiB, last %.1f MiB", low, high, rssSeen.last ?? 0))
    }
    let byReason = reasons.withLock { $0 }.map { "\($0.key.rawValue)=\($0.value)" }.sorted().joined(separator: " ")
    print("failed probes: \(failures.load(ordering: .relaxed)) \(byReason)")
}
