import Foundation
import Logging
import SwitchboardCore
import Synchronization

/// How log lines are written: `--log-format text|json`.
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json
}

/// Writes each log entry as one line, `text` (`ts level label: message key=value …`) or `json` (one object with
/// `ts`, `level`, `label`, `msg` and every metadata key at the top level).
///
/// Built for one line per webhook: formatting is a single pass into one byte array, and lines go to a `LogSink` that
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
        var fields = Fields(start: self, level: event.level, message: event.message.description)
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { fields.add(key, value) }
        sink.write(fields.finished())
    }

    /// Whether ``write(level:message:fields:)`` writes what `log(event:)` would: the handler adds no metadata of
    /// its own.
    var writesFieldsDirectly: Bool { metadata.isEmpty && metadataProvider == nil }

    /// Writes one line whose fields `body` adds in key order, without building `Logger.Metadata` and sorting it: the
    /// decision line's path, once per webhook. Only when ``writesFieldsDirectly``; the caller checks the level.
    func write(level: Logger.Level, message: String, fields body: (inout Fields) -> Void) {
        var fields = Fields(start: self, level: level, message: message)
        body(&fields)
        sink.write(fields.finished())
    }

    /// A line being written, as UTF-8: the head (time, level, label, message), then each field as it is added. Its
    /// pieces are appended one by one, as bytes: no array of parts or string is built for any of them.
    struct Fields: LineFields {
        private var line: [UInt8] = []
        private let format: LogFormat

        fileprivate init(start handler: LogLineHandler, level: Logger.Level, message: String) {
            format = handler.format
            line.reserveCapacity(320)
            switch format {
            case .text:
                Timestamp.append(to: &line)
                line.append(UInt8(ascii: " "))
                append(level.rawValue)
                line.append(UInt8(ascii: " "))
                append(handler.label)
                append(": ")
                LogLineHandler.appendEscapingControls(message, to: &line)
            case .json:
                append(#"{"ts":""#)
                Timestamp.append(to: &line)
                append(#"","level":""#)
                append(level.rawValue)
                append(#"","label":""#)
                JSONString.appendEscaped(handler.label, to: &line)
                append(#"","msg":""#)
                JSONString.appendEscaped(message, to: &line)
                line.append(UInt8(ascii: "\""))
            }
        }

        private mutating func append(_ text: StaticString) {
            text.withUTF8Buffer { line.append(contentsOf: $0) }
        }

        private mutating func append(_ text: String) {
            var text = text
            text.withUTF8 { line.append(contentsOf: $0) }
        }

        mutating func add(_ key: String, _ value: Logger.Metadata.Value) {
            switch (format, value) {
            case (.text, .string(let string)): add(key, string)
            case (.text, _): add(key, value.description)
            case (.json, _):
                guard !LogLineHandler.reservedKeys.contains(key) else { return }
                append(",\"")
                JSONString.appendEscaped(key, to: &line)
                append("\":")
                LogLineHandler.appendJSON(value, to: &line)
            }
        }

        mutating func add(_ key: String, _ value: String) {
            let json = format == .json
            if json, LogLineHandler.reservedKeys.contains(key) { return }
            add(value) { line in
                if json { JSONString.appendEscaped(key, to: &line) } else { line.append(contentsOf: key.utf8) }
            }
        }

        /// A field whose key is a literal of the program (the decision line's): plain and never reserved, so it is
        /// copied as it is.
        mutating func add(_ key: StaticString, _ value: String) {
            add(value) { line in key.withUTF8Buffer { line.append(contentsOf: $0) } }
        }

        /// One string field: its key, written by `key`, then the value as the format writes strings.
        private mutating func add(_ value: String, key: (inout [UInt8]) -> Void) {
            switch format {
            case .text:
                line.append(UInt8(ascii: " "))
                key(&line)
                line.append(UInt8(ascii: "="))
                LogLineHandler.appendTextValue(value, to: &line)
            case .json:
                append(",\"")
                key(&line)
                append("\":\"")
                JSONString.appendEscaped(value, to: &line)
                line.append(UInt8(ascii: "\""))
            }
        }

        fileprivate consuming func finished() -> [UInt8] {
            if format == .json { line.append(UInt8(ascii: "}")) }
            line.append(UInt8(ascii: "\n"))
            return line
        }
    }

    fileprivate static let reservedKeys: Set<String> = ["ts", "level", "label", "msg"]

    /// A text-format value: as is when it is plain, else in double quotes with `"`, `\` and control characters
    /// escaped, so a value (a header a stranger sent) is always one field on one line.
    static func appendTextValue(_ value: String, to line: inout [UInt8]) {
        // Plain printable ASCII, the usual case, is decided on the bytes and appended from them in place; anything
        // else on the Unicode scalars.
        var value = value
        let plainASCII = value.withUTF8 { bytes in
            let plain = !bytes.isEmpty && bytes.allSatisfy { byte in
                byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "=") && byte != UInt8(ascii: "\"")
                    && byte != UInt8(ascii: "\\")
            }
            if plain { line.append(contentsOf: bytes) }
            return plain
        }
        if plainASCII { return }
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { scalar in
            scalar == " " || scalar == "=" || scalar == "\"" || scalar == "\\" || isControl(scalar)
        }
        guard needsQuotes else {
            line.append(contentsOf: value.utf8)
            return
        }
        line.append(UInt8(ascii: "\""))
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": line.append(contentsOf: "\\\"".utf8)
            case "\\": line.append(contentsOf: "\\\\".utf8)
            default: appendEscapingControl(scalar, to: &line)
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    /// The message, with control characters escaped so it stays on one line.
    static func appendEscapingControls(_ text: String, to line: inout [UInt8]) {
        var text = text
        let printableASCII = text.withUTF8 { bytes in
            let printable = bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
            if printable { line.append(contentsOf: bytes) }
            return printable
        }
        if printableASCII { return }
        guard text.unicodeScalars.contains(where: isControl) else {
            line.append(contentsOf: text.utf8)
            return
        }
        for scalar in text.unicodeScalars { appendEscapingControl(scalar, to: &line) }
    }

    /// C0 and C1 controls, DEL and the Unicode line and paragraph separators: anything that could end a line.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    private static func appendEscapingControl(_ scalar: Unicode.Scalar, to line: inout [UInt8]) {
        switch scalar {
        case "\n": line.append(contentsOf: "\\n".utf8)
        case "\r": line.append(contentsOf: "\\r".utf8)
        case "\t": line.append(contentsOf: "\\t".utf8)
        case _ where isControl(scalar):
            let hex = String(scalar.value, radix: 16)
            line.append(contentsOf: ("\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex).utf8)
        default: UTF8.encode(scalar) { line.append($0) }
        }
    }

    fileprivate static func appendJSON(_ value: Logger.Metadata.Value, to line: inout [UInt8]) {
        switch value {
        case .string(let string):
            line.append(UInt8(ascii: "\""))
            JSONString.appendEscaped(string, to: &line)
            line.append(UInt8(ascii: "\""))
        case .stringConvertible(let convertible):
            line.append(UInt8(ascii: "\""))
            JSONString.appendEscaped(convertible.description, to: &line)
            line.append(UInt8(ascii: "\""))
        case .array(let values):
            line.append(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                appendJSON(element, to: &line)
            }
            line.append(UInt8(ascii: "]"))
        case .dictionary(let values):
            line.append(UInt8(ascii: "{"))
            for (index, key) in values.keys.sorted().enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                line.append(UInt8(ascii: "\""))
                JSONString.appendEscaped(key, to: &line)
                line.append(contentsOf: "\":".utf8)
                appendJSON(values[key]!, to: &line)
            }
            line.append(UInt8(ascii: "}"))
        }
    }
}

protocol LineFields {
    mutating func add(_ key: StaticString, _ value: String)
}

extension Logger.Metadata: LineFields {
    mutating func add(_ key: StaticString, _ value: String) { self[key.description] = .string(value) }
}

/// UTC timestamps like `2026-11-26T20:15:34.123Z`, formatted without Foundation's formatters.
enum Timestamp {
    /// `2026-11-26T20:15:34.` for the current second, rebuilt when the second changes.
    private static let prefix = Mutex<(second: Int, text: String)>((-1, ""))

    /// Appends the current time to `line`.
    static func append(to line: inout [UInt8]) {
        // Not `clock_gettime`: which module declares `struct timespec`, and so whether its members are visible
        // here under MemberImportVisibility, differs between debug and release builds.
        let now = Date().timeIntervalSince1970
        let second = Int(now)
        let milliseconds = min(999, Int((now - Double(second)) * 1000))
        prefix.withLock { cached in
            if cached.second != second { cached = (second, format(second)) }
            line.append(contentsOf: cached.text.utf8)
        }
        line.append(UInt8(ascii: "0") + UInt8(milliseconds / 100))
        line.append(UInt8(ascii: "0") + UInt8(milliseconds / 10 % 10))
        line.append(UInt8(ascii: "0") + UInt8(milliseconds % 10))
        line.append(UInt8(ascii: "Z"))
    }

    /// `YYYY-MM-DDTHH:MM:SS.` in UTC.
    private static func format(_ second: Int) -> String {
        var seconds = time_t(second)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))."
    }
}
