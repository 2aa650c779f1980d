import Foundation

/// A validating, single-pass JSON reader over a byte buffer, for webhook bodies.
///
/// Callers pull the values they care about and skip the rest; every skipped value is still fully
/// validated. Nesting deeper than `maxDepth` is refused rather than recursed into.
struct JSONScanner {
    static let maxDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var atEnd: Bool { index == bytes.count }

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    func error(_ message: String) -> BodyError { BodyError(message: message, offset: index) }

    mutating func skipWhitespace() throws(BodyError) {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(BodyError) {
        guard peek() == byte else { throw error("expected \(what)") }
        index += 1
    }

    mutating func literal(_ word: StaticString) throws(BodyError) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard index + expected.count <= bytes.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
            throw error("invalid literal")
        }
        index += expected.count
    }

    /// Calls `member` for each key of the object at the cursor, with the cursor on the member's value; `member`
    /// must consume that value.
    mutating func object(_ member: (JSONKey, inout JSONScanner) throws(BodyError) -> Void) throws(BodyError) {
        try enter()
        try expect(UInt8(ascii: "{"), "'{'")
        try skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return leave()
        }
        while true {
            try skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try self.key()
            try skipWhitespace()
            try expect(UInt8(ascii: ":"), "':'")
            try skipWhitespace()
            try member(key, &self)
            try skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            return leave()
        }
    }

    /// Calls `element` for each element of the array at the cursor; `element` must consume it.
    mutating func array(_ element: (inout JSONScanner) throws(BodyError) -> Void) throws(BodyError) {
        try enter()
        try expect(UInt8(ascii: "["), "'['")
        try skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return leave()
        }
        while true {
            try skipWhitespace()
            try element(&self)
            try skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                index += 1
                continue
            }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return leave()
        }
    }

    private mutating func enter() throws(BodyError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("JSON nested deeper than \(Self.maxDepth) levels") }
    }

    private mutating func leave() { depth -= 1 }

    /// Validates and steps over any value.
    mutating func skipValue() throws(BodyError) {
        switch peek() {
        case UInt8(ascii: "{"): try object { (_, scanner) throws(BodyError) in try scanner.skipValue() }
        case UInt8(ascii: "["): try array { (scanner) throws(BodyError) in try scanner.skipValue() }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case nil: throw error("unexpected end of JSON")
        case let byte?:
            guard byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                throw error("expected a JSON value")
            }
            _ = try numberRange()
        }
    }

    mutating func number() throws(BodyError) -> Double {
        let range = try numberRange()
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        guard let value = Double(text) else { throw error("bad number") }
        return value
    }

    /// Steps over a number per RFC 8259's grammar.
    private mutating func numberRange() throws(BodyError) -> Range<Int> {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        if peek() == UInt8(ascii: "0") {
            index += 1
        } else {
            guard digits() > 0 else { throw error("bad number") }
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw error("bad number") }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw error("bad number") }
        }
        return start..<index
    }

    private mutating func digits() -> Int {
        let start = index
        while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        return index - start
    }

    private mutating func skipString() throws(BodyError) {
        _ = try stringRange()
    }

    /// The string at the cursor, unescaped.
    mutating func string() throws(BodyError) -> String {
        let (range, escaped) = try stringRange()
        let raw = UnsafeBufferPointer(rebasing: bytes[range])
        guard escaped else { return String(decoding: raw, as: UTF8.self) }
        return try Self.unescape(raw, at: range.lowerBound)
    }

    /// An object key, compared in place when it has no escapes (no String is made for it).
    private mutating func key() throws(BodyError) -> JSONKey {
        let (range, escaped) = try stringRange()
        let raw = UnsafeBufferPointer(rebasing: bytes[range])
        return escaped ? JSONKey(decoded: try Self.unescape(raw, at: range.lowerBound)) : JSONKey(raw: raw)
    }

    /// Steps over a string; returns the range of its contents and whether it holds escapes.
    private mutating func stringRange() throws(BodyError) -> (Range<Int>, Bool) {
        try expect(UInt8(ascii: "\""), "'\"'")
        let start = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return (start..<index - 1, escaped)
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                try skipEscape()
                continue
            }
            guard byte >= 0x20 else { throw error("control character in string") }
            index += 1
        }
        throw error("unterminated string")
    }

    /// Steps over one escape sequence (`\\n`, `\\u00e9`, …), refusing malformed ones.
    private mutating func skipEscape() throws(BodyError) {
        index += 1
        guard let byte = peek() else { throw error("unterminated string") }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 1
        case UInt8(ascii: "u"):
            index += 1
            for _ in 0..<4 {
                guard let digit = peek(), Self.hexValue(digit) != nil else { throw error("bad \\u escape") }
                index += 1
            }
        default:
            throw error("bad escape")
        }
    }

    private static func unescape(_ raw: UnsafeBufferPointer<UInt8>, at offset: Int) throws(BodyError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        func fail(_ message: String) -> BodyError { BodyError(message: message, offset: offset + i) }
        func hex4() throws(BodyError) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                i += 1
                guard i < raw.count, let digit = hexValue(raw[i]) else { throw fail("bad \\u escape") }
                value = value << 4 | digit
            }
            return value
        }
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            i += 1
            guard i < raw.count else { throw fail("bad escape") }
            switch raw[i] {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar), i + 2 < raw.count, raw[i + 1] == UInt8(ascii: "\\"),
                    raw[i + 2] == UInt8(ascii: "u")
                {
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("bad surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                // A lone surrogate cannot be represented; use U+FFFD as Foundation does.
                out.append(contentsOf: String(Unicode.Scalar(scalar) ?? "\u{FFFD}").utf8)
            default:
                throw fail("bad escape")
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}

/// An object key as read: raw bytes, or the decoded text when it held escapes. Matches string literals in `switch`.
struct JSONKey {
    private let raw: UnsafeBufferPointer<UInt8>?
    private let decoded: String?

    init(raw: UnsafeBufferPointer<UInt8>) {
        self.raw = raw
        self.decoded = nil
    }

    init(decoded: String) {
        self.raw = nil
        self.decoded = decoded
    }

    static func ~= (pattern: StaticString, key: JSONKey) -> Bool {
        let expected = UnsafeBufferPointer(start: pattern.utf8Start, count: pattern.utf8CodeUnitCount)
        // Lengths first: a body's key is tested against each case of a `switch` in turn, and most differ in length.
        if let raw = key.raw {
            return raw.count == expected.count && (raw.isEmpty || memcmp(raw.baseAddress!, expected.baseAddress!, raw.count) == 0)
        }
        return key.decoded?.utf8.elementsEqual(expected) ?? false
    }

    static func == (key: JSONKey, text: StaticString) -> Bool { text ~= key }
}
