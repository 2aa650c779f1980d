import Foundation
import Logging
import SwitchboardCore

/// How log lines are written: `--log-format text|json`.
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json
}

/// Writes each log entry as one line, `text` (`ts level label: message key=value …`) or `json` (one object with
/// `ts`, `level`, `label`, `msg` and every metadata key at the top level).
///
/// Built for one line per webhook: formatting is a single pass into one string, and lines go to a `LogSink` that
/// batches them into few writes, instead of `StreamLogHandler`'s write-and-flush per line (measured: the decision
/// line was the largest single cost of a webhook; see README "Performance").
public struct LogLineHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: LogFormat
    private let sink: LogSink

    public init(label: String, format: LogFormat, sink: LogSink = .standardOutput) {
        self.label = label
        self.format = format
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata {
            if merged.isEmpty { merged = extra } else { merged.merge(extra) { _, new in new } }
        }
        var line = ""
        line.reserveCapacity(256)
        let keys = merged.keys.sorted()
        switch format {
        case .text:
            line += Timestamp.now()
            line += " \(event.level.rawValue) \(label): \(event.message)"
            for key in keys {
                line += " \(key)="
                line += merged[key]!.description
            }
        case .json:
            line += #"{"ts":""#
            line += Timestamp.now()
            line += #"","level":""#
            line += event.level.rawValue
            line += #"","label":""#
            JSONString.appendEscaped(label, to: &line)
            line += #"","msg":""#
            JSONString.appendEscaped(event.message.description, to: &line)
            line += "\""
            for key in keys where !["ts", "level", "label", "msg"].contains(key) {
                line += ",\""
                JSONString.appendEscaped(key, to: &line)
                line += "\":"
                Self.appendJSON(merged[key]!, to: &line)
            }
            line += "}"
        }
        line += "\n"
        sink.write(line)
    }

    private static func appendJSON(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let string):
            line += "\""
            JSONString.appendEscaped(string, to: &line)
            line += "\""
        case .stringConvertible(let convertible):
            line += "\""
            JSONString.appendEscaped(convertible.description, to: &line)
            line += "\""
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendJSON(element, to: &line)
            }
            line += "]"
        case .dictionary(let values):
            line += "{"
            for (index, key) in values.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                line += "\""
                JSONString.appendEscaped(key, to: &line)
                line += "\":"
                appendJSON(values[key]!, to: &line)
            }
            line += "}"
        }
    }
}

/// UTC timestamps like `2026-11-26T20:15:34.123Z`, formatted without Foundation's formatters.
enum Timestamp {
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = time_t(spec.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let milliseconds = Int(spec.tv_nsec / 1_000_000)
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var position = 0
            func put(_ value: Int, digits: Int) {
                var divisor = 1
                for _ in 1..<digits { divisor *= 10 }
                var rest = value
                while divisor > 0 {
                    buffer[position] = UInt8(ascii: "0") + UInt8(rest / divisor)
                    rest %= divisor
                    divisor /= 10
                    position += 1
                }
            }
            func put(_ character: Unicode.Scalar) {
                buffer[position] = UInt8(ascii: character)
                position += 1
            }
            put(Int(parts.tm_year) + 1900, digits: 4)
            put("-")
            put(Int(parts.tm_mon) + 1, digits: 2)
            put("-")
            put(Int(parts.tm_mday), digits: 2)
            put("T")
            put(Int(parts.tm_hour), digits: 2)
            put(":")
            put(Int(parts.tm_min), digits: 2)
            put(":")
            put(Int(parts.tm_sec), digits: 2)
            put(".")
            put(milliseconds, digits: 3)
            put("Z")
            return position
        }
    }
}
