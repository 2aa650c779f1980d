/// A backend URL with `{placeholders}` filled per call, each value percent-encoded as a URI component.
public struct URLTemplate: Sendable, Hashable, CustomStringConvertible {
    enum Placeholder: Sendable, Hashable {
        case callID
        case caller
        case number
        case numberAttribute(Int)
        case route
        case backend
    }

    enum Segment: Sendable, Hashable {
        case literal(String)
        case placeholder(Placeholder)
    }

    /// The template as written (after `${NAME}` expansion): use `redacted` to show it.
    public let source: String
    /// `source` with userinfo and query values hidden (`URLRedaction`), for `/status`, `explain` and logs.
    public var redacted: String { URLRedaction.redact(source) }
    let segments: [Segment]

    /// What a placeholder name means, or nil when it is unknown.
    static func placeholder(named name: Substring, numberAttributes: [String: Int]) -> Placeholder? {
        switch name {
        case "call.id": return .callID
        case "caller": return .caller
        case "number": return .number
        case "route": return .route
        case "backend": return .backend
        default:
            guard name.hasPrefix("number."), let index = numberAttributes[String(name.dropFirst(7))] else { return nil }
            return .numberAttribute(index)
        }
    }

    /// Parses `wss://host/calls?call={call.id}`; throws the first unknown placeholder's name.
    init(_ source: String, numberAttributes: [String: Int]) throws(UnknownPlaceholder) {
        self.source = source
        var segments: [Segment] = []
        var rest = Substring(source)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            if open > rest.startIndex { segments.append(.literal(String(rest[..<open]))) }
            let name = rest[rest.index(after: open)..<close]
            guard let placeholder = Self.placeholder(named: name, numberAttributes: numberAttributes) else {
                throw UnknownPlaceholder(name: String(name))
            }
            segments.append(.placeholder(placeholder))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { segments.append(.literal(String(rest))) }
        self.segments = segments
    }

    struct UnknownPlaceholder: Error {
        var name: String
    }

    public var description: String { redacted }

    /// The URL with every placeholder replaced (an absent value becomes empty).
    func render(call: CallContext, route: String, backend: String) -> String {
        if segments.count == 1, case .literal(let text) = segments[0] { return text }
        var capacity = 0
        for segment in segments {
            switch segment {
            case .literal(let text): capacity += text.utf8.count
            case .placeholder(let placeholder):
                capacity += 3 * (value(of: placeholder, call: call, route: route, backend: backend)?.utf8.count ?? 0)
            }
        }
        // One allocation, filled byte by byte: several times faster than appending scalars to a String.
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            var position = 0
            for segment in segments {
                switch segment {
                case .literal(let text):
                    for byte in text.utf8 {
                        buffer[position] = byte
                        position += 1
                    }
                case .placeholder(let placeholder):
                    if let value = value(of: placeholder, call: call, route: route, backend: backend) {
                        Self.percentEncode(value, into: buffer, at: &position)
                    }
                }
            }
            return position
        }
    }

    private func value(of placeholder: Placeholder, call: CallContext, route: String, backend: String) -> String? {
        switch placeholder {
        case .callID: call.call.id
        case .caller: call.call.caller
        case .number: call.call.number
        case .numberAttribute(let index): call.numberInfo?.values[index]
        case .route: route
        case .backend: backend
        }
    }

    /// Every byte outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`) becomes `%XX`.
    static func percentEncode(_ value: String, into buffer: UnsafeMutableBufferPointer<UInt8>, at position: inout Int) {
        let hex: StaticString = "0123456789ABCDEF"
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                buffer[position] = byte
                position += 1
            default:
                buffer[position] = UInt8(ascii: "%")
                buffer[position + 1] = hex.utf8Start[Int(byte >> 4)]
                buffer[position + 2] = hex.utf8Start[Int(byte & 0x0F)]
                position += 3
            }
        }
    }
}
