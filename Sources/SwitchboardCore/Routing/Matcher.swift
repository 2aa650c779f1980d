import Foundation

/// A compiled condition value: what one attribute's value must look like (docs/routes.md).
///
/// A missing or null attribute never matches, not even under `not`.
indirect enum Matcher: Sendable {
    /// Whole-value string equality.
    case equals(String)
    /// `*` and `?` wildcards over the whole value.
    case glob(Glob)
    /// A list: any exact item (hashed) or any other item.
    case oneOf(Set<String>, [Matcher])
    /// `{regex: …}`: a search anywhere in the value (anchor with `^…$`).
    case regex(RegexPattern)
    /// `{not: …}`
    case not(Matcher)
    /// `{lt|le|gt|ge: n}`, every bound given must hold.
    case bounds([Bound])
    /// `true` / `false` for boolean attributes.
    case bool(Bool)
    /// A plain number for numeric attributes.
    case numberEquals(Double)

    struct Bound: Sendable {
        enum Comparison: String, Sendable {
            case lt, le, gt, ge
        }

        var comparison: Comparison
        var limit: Double

        func holds(_ value: Double) -> Bool {
            switch comparison {
            case .lt: value < limit
            case .le: value <= limit
            case .gt: value > limit
            case .ge: value >= limit
            }
        }
    }

    func matches(_ value: AttributeValue) -> Bool {
        switch self {
        case .equals(let expected):
            if case .string(let actual) = value { return actual == expected }
            return false
        case .glob(let glob):
            if case .string(let actual) = value { return glob.matches(actual) }
            return false
        case .oneOf(let exact, let others):
            if case .string(let actual) = value, exact.contains(actual) { return true }
            return others.contains { $0.matches(value) }
        case .regex(let regex):
            if case .string(let actual) = value { return regex.matches(actual) }
            return false
        case .not(let inner):
            return !inner.matches(value)
        case .bounds(let bounds):
            guard let number = value.numeric else { return false }
            return bounds.allSatisfy { $0.holds(number) }
        case .bool(let expected):
            if case .bool(let actual) = value { return actual == expected }
            return false
        case .numberEquals(let expected):
            return value.numeric == expected
        }
    }

    /// The set of whole values this matcher accepts, when it is a finite set of exact strings (for indexing).
    var exactValues: Set<String>? {
        switch self {
        case .equals(let value): [value]
        case .oneOf(let exact, let others) where others.isEmpty: exact
        default: nil
        }
    }
}

extension AttributeValue {
    /// Numbers, and strings that spell a number (for `number.<attr>` values compared with `lt`/`gt`).
    var numeric: Double? {
        switch self {
        case .number(let value): value
        case .string(let text): Double(text)
        case .bool: nil
        }
    }
}

/// A shell-style wildcard pattern: `*` matches any run of characters, `?` exactly one.
struct Glob: Sendable, CustomStringConvertible {
    let pattern: String
    private let bytes: [UInt8]

    init(_ pattern: String) {
        self.pattern = pattern
        self.bytes = Array(pattern.utf8)
    }

    static func isGlob(_ text: String) -> Bool { text.contains("*") || text.contains("?") }

    var description: String { pattern }

    /// Iterative wildcard match with single-star backtracking: linear in practice, never exponential.
    func matches(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { text in
            var p = 0, t = 0
            var star = -1, resume = 0
            while t < text.count {
                if p < bytes.count, bytes[p] == UInt8(ascii: "?") {
                    // `?` is one character: step over a whole UTF-8 sequence.
                    p += 1
                    t += Self.sequenceLength(text[t])
                } else if p < bytes.count, bytes[p] == UInt8(ascii: "*") {
                    star = p
                    resume = t
                    p += 1
                } else if p < bytes.count, bytes[p] == text[t] {
                    p += 1
                    t += 1
                } else if star >= 0 {
                    p = star + 1
                    resume += 1
                    t = resume
                } else {
                    return false
                }
            }
            while p < bytes.count, bytes[p] == UInt8(ascii: "*") { p += 1 }
            return p == bytes.count && t == text.count
        }
    }

    private static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: 4
        case 0xE0...: 3
        case 0xC0...: 2
        default: 1
        }
    }
}

/// A compiled `{regex: …}` (ICU syntax, as `NSRegularExpression`).
///
/// Values come from strangers (a contact name in the webhook body), so a match is bounded twice: a value longer
/// than `maxInput` characters is not searched at all and never matches (a truncated value could match `^…$`
/// wrongly), and a match that has used `timeBudget` of CPU time (catastrophic backtracking) is stopped and counts as
/// no match (docs/routes.md, "Conditions"). A value that does not start with the literal text an `^`-anchored
/// pattern starts with is turned away without running the regex (`anchoredPrefix`).
struct RegexPattern: @unchecked Sendable, CustomStringConvertible {
    /// Characters of a value a regex looks at.
    static let maxInput = 256
    /// Longest a single match may run.
    static let timeBudget: Duration = .milliseconds(10)

    // NSRegularExpression is immutable and documented thread-safe; matching never mutates it.
    let expression: NSRegularExpression
    /// UTF-8 of the literal text every match starts with (often empty).
    let prefix: [UInt8]

    init(_ pattern: String) throws {
        expression = try NSRegularExpression(pattern: pattern)
        prefix = Self.anchoredPrefix(pattern)
    }

    var description: String { expression.pattern }

    func matches(_ value: String) -> Bool {
        guard value.utf8.starts(with: prefix) else { return false }
        guard value.utf8.count <= Self.maxInput || value.count <= Self.maxInput else { return false }
        let bounded = value
        // CPU time of this thread, not wall-clock time: a match preempted on a busy machine is not cut short.
        var budget = Budget()
        var found = false
        // `reportProgress` calls the block now and then during a long match, which lets it stop at the deadline.
        expression.enumerateMatches(
            in: bounded, options: [.reportProgress], range: NSRange(bounded.startIndex..., in: bounded)
        ) { result, _, stop in
            if result != nil {
                found = true
                stop.pointee = true
            } else if budget.isSpent() {
                stop.pointee = true
            }
        }
        return found
    }

    /// Whether the pattern repeats a group that itself holds an unbounded repetition, like `(a+)+` or `(\w*x)*`:
    /// such patterns can take exponential time on a near-miss (catastrophic backtracking).
    static func hasNestedQuantifier(_ pattern: String) -> Bool {
        let characters = Array(pattern)
        var groups: [Bool] = []  // per open group: does it contain an unbounded quantifier?
        var index = 0
        func isRepeat(at position: Int) -> Bool {
            guard position < characters.count else { return false }
            switch characters[position] {
            case "+", "*": return true
            case "{":
                // `{n,}` or `{n,m}` with m > 1
                guard let close = characters[position...].firstIndex(of: "}") else { return false }
                let inside = String(characters[(position + 1)..<close])
                let parts = inside.split(separator: ",", omittingEmptySubsequences: false)
                if parts.count == 2 { return parts[1].isEmpty || (Int(parts[1]) ?? 0) > 1 }
                return (Int(inside) ?? 0) > 1
            default: return false
            }
        }
        while index < characters.count {
            switch characters[index] {
            case "\\":
                index += 1  // the escaped character, possibly repeated (`\\d+`)
                if isRepeat(at: index + 1), !groups.isEmpty { groups[groups.count - 1] = true }
            case "[":
                // Skip a character class (a `]` right after `[` or `[^` is literal).
                index += 1
                if index < characters.count, characters[index] == "^" { index += 1 }
                if index < characters.count, characters[index] == "]" { index += 1 }
                while index < characters.count, characters[index] != "]" {
                    if characters[index] == "\\" { index += 1 }
                    index += 1
                }
                if isRepeat(at: index + 1), !groups.isEmpty { groups[groups.count - 1] = true }
            case "(":
                groups.append(false)
            case ")":
                let inner = groups.popLast() ?? false
                if inner, isRepeat(at: index + 1) { return true }
                if inner || isRepeat(at: index + 1), !groups.isEmpty { groups[groups.count - 1] = true }
            default:
                if isRepeat(at: index + 1), !groups.isEmpty { groups[groups.count - 1] = true }
            }
            index += 1
        }
        return false
    }
}
