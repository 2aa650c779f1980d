import Foundation
import Yams

/// Reads typed values out of YAML nodes: interpolates `${ENV}`, checks types and keys, and records a
/// diagnostic for every wrong value instead of stopping at the first.
struct ConfigReader {
    var diagnostics: Diagnostics
    let environment: [String: String]

    init(file: String, environment: [String: String]) {
        self.diagnostics = Diagnostics(file: file)
        self.environment = environment
    }

    /// A mapping entry with its key spelled out.
    struct Entry {
        var key: String
        var keyNode: Node
        var value: Node
    }

    /// Whether the node is YAML null (`~`, `null`, or nothing).
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The entries of a mapping; a key outside `allowed` is reported as unknown (and skipped).
    mutating func mapping(_ node: Node, _ what: String, allowed: Set<String>? = nil) -> [Entry]? {
        guard case .mapping(let mapping) = node else {
            diagnostics.error("\(what) must be a mapping", at: node)
            return nil
        }
        var entries: [Entry] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let key) = keyNode else {
                diagnostics.error("\(what): keys must be strings", at: keyNode)
                continue
            }
            if let allowed, !allowed.contains(key.string) {
                diagnostics.error("unknown key '\(key.string)' in \(what)\(Self.suggestion(key.string, allowed))", at: keyNode)
                continue
            }
            entries.append(Entry(key: key.string, keyNode: keyNode, value: value))
        }
        return entries
    }

    mutating func sequence(_ node: Node, _ what: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            diagnostics.error("\(what) must be a list", at: node)
            return nil
        }
        return Array(sequence)
    }

    /// A scalar's text after `${ENV}` interpolation.
    mutating func string(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            diagnostics.error("\(what) must be a string", at: node)
            return nil
        }
        return interpolate(scalar.string, at: node)
    }

    /// A non-empty string.
    mutating func nonEmptyString(_ node: Node, _ what: String) -> String? {
        guard let value = string(node, what) else { return nil }
        guard !value.isEmpty else {
            diagnostics.error("\(what) must not be empty", at: node)
            return nil
        }
        return value
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        switch string(node, what) {
        case "true": return true
        case "false": return false
        case nil: return nil
        case let other?:
            diagnostics.error("\(what) must be true or false, not '\(other)'", at: node)
            return nil
        }
    }

    mutating func int(_ node: Node, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            diagnostics.error("\(what) must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(text)'", at: node)
            return nil
        }
        return value
    }

    mutating func number(_ node: Node, _ what: String) -> Double? {
        guard let text = string(node, what) else { return nil }
        guard let value = Double(text), value.isFinite else {
            diagnostics.error("\(what) must be a number, not '\(text)'", at: node)
            return nil
        }
        return value
    }

    /// `500ms`, `2s`, `1.5s`, `1m`, `2h`.
    mutating func duration(_ node: Node, _ what: String) -> Duration? {
        guard let text = string(node, what) else { return nil }
        guard let value = Self.parseDuration(text) else {
            diagnostics.error("\(what): bad duration '\(text)' (use a number with ms, s, m or h, like 500ms or 2s)", at: node)
            return nil
        }
        return value
    }

    /// `10%` as 0.1.
    mutating func percentage(_ node: Node, _ what: String) -> Double? {
        guard let text = string(node, what) else { return nil }
        guard text.hasSuffix("%"), let value = Double(text.dropLast()), (0...100).contains(value) else {
            diagnostics.error("\(what) must be a percentage from 0% to 100%, like 10%, not '\(text)'", at: node)
            return nil
        }
        return value / 100
    }

    static func parseDuration(_ text: String) -> Duration? {
        let units: [(suffix: String, milliseconds: Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let value = Double(text.dropLast(unit.suffix.count)), value.isFinite, value >= 0 else { return nil }
            return .milliseconds(Int64((value * unit.milliseconds).rounded()))
        }
        return nil
    }

    /// Prefix of the variables `${NAME}` may not read.
    static let reservedPrefix = "SWITCHBOARD_"

    /// Replaces `${NAME}` and `${NAME:-default}`; `$${` is a literal `${`. An unset variable without a default
    /// is an error.
    mutating func interpolate(_ text: String, at node: Node) -> String? {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        var failed = false
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let afterDollar = rest[dollar...].dropFirst()
            if afterDollar.hasPrefix("${") {
                result += "${"
                rest = afterDollar.dropFirst(2)
                continue
            }
            guard afterDollar.hasPrefix("{") else {
                result += "$"
                rest = afterDollar
                continue
            }
            guard let close = Self.matchingBrace(afterDollar) else {
                diagnostics.error("unterminated '${' in '\(text)'", at: node)
                return nil
            }
            let body = afterDollar[afterDollar.index(after: afterDollar.startIndex)..<close]
            let name: Substring
            var fallback: Substring?
            if let separator = body.range(of: ":-") {
                name = body[..<separator.lowerBound]
                fallback = body[separator.upperBound...]
            } else {
                name = body
            }
            if !Self.isEnvironmentName(name) {
                diagnostics.error("bad environment variable name '\(name)' in '\(text)'", at: node)
                failed = true
            } else if name.hasPrefix(Self.reservedPrefix) {
                diagnostics.error(
                    "environment variable '\(name)' cannot be used in the routes file: \(Self.reservedPrefix)* "
                        + "variables hold Switchboard's own secrets (signing keys, admin token)",
                    at: node
                )
                failed = true
            } else if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                diagnostics.secrets.insert(value)
                result += value
            } else if let fallback {
                result += fallback
            } else {
                diagnostics.error("environment variable '\(name)' is not set and has no default (write ${\(name):-default})", at: node)
                failed = true
            }
            rest = afterDollar[afterDollar.index(after: close)...]
        }
        result += rest
        return failed ? nil : result
    }

    /// The `}` closing the `{` that starts `text`, skipping nested pairs (a default may hold `{call.id}`).
    private static func matchingBrace(_ text: Substring) -> Substring.Index? {
        var depth = 0
        for index in text.indices {
            switch text[index] {
            case "{": depth += 1
            case "}":
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }

    private static func isEnvironmentName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.isASCIILetter else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0.isASCIILetter || $0.isASCIIDigit }
    }

    /// ` (did you mean 'interval'?)` when a known key is one or two edits away.
    static func suggestion(_ key: String, _ candidates: Set<String>) -> String {
        var best: (name: String, distance: Int)?
        for candidate in candidates.sorted() {
            let distance = editDistance(key, candidate)
            if distance <= 2, distance * 2 < key.count, distance < best?.distance ?? .max { best = (candidate, distance) }
        }
        return best.map { " (did you mean '\($0.name)'?)" } ?? ""
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
