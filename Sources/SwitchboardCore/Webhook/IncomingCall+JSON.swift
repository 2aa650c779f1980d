/// Why a webhook body could not be read; answered with 400.
public struct BodyError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// Byte offset where reading stopped.
    public var offset: Int

    public var description: String { "\(message) at byte \(offset)" }
}

extension IncomingCall {
    /// Reads a webhook body: it must be one JSON object (RFC 8259, fully validated).
    ///
    /// A single pass over the bytes that keeps only the fields routing needs. Foundation's
    /// `JSONDecoder` took about 13 µs for the Inkbox fixture on this machine, as much as the rest
    /// of the request path together; this parser is an order of magnitude faster (see Benchmarks/).
    public init(json bytes: UnsafeRawBufferPointer) throws(BodyError) {
        var scanner = JSONScanner(bytes.bindMemory(to: UInt8.self))
        self.init()
        try scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{") else { throw scanner.error("body is not a JSON object") }
        try scanner.object { (key, scanner) throws(BodyError) in
            switch key {
            case "id": id = try scanner.stringValue()
            case "local_phone_number": number = try scanner.stringValue()
            case "remote_phone_number": caller = try scanner.stringValue()
            case "client_websocket_url": defaultWebSocketURL = try scanner.stringValue()
            case "use_inkbox_tts": useInkboxTTS = try scanner.boolValue()
            case "use_inkbox_stt": useInkboxSTT = try scanner.boolValue()
            case "rate_limit":
                try scanner.objectValue { (key, scanner) throws(BodyError) in
                    switch key {
                    case "calls_remaining": callsRemaining = try scanner.numberValue()
                    case "minutes_remaining": minutesRemaining = try scanner.numberValue()
                    default: try scanner.skipValue()
                    }
                }
            case "contacts":
                (contactName, contactCount) = try scanner.firstField("name")
            case "agent_identities":
                (agentHandle, agentCount) = try scanner.firstField("agent_handle")
            default:
                try scanner.skipValue()
            }
        }
        try scanner.skipWhitespace()
        guard scanner.atEnd else { throw scanner.error("unexpected data after the JSON object") }
    }

    /// Reads a webhook body from any byte collection.
    public init(json bytes: some Collection<UInt8>) throws(BodyError) {
        let array = Array(bytes)
        let result = array.withUnsafeBytes { bytes in Result { () throws(BodyError) in try IncomingCall(json: bytes) } }
        self = try result.get()
    }
}

extension JSONScanner {
    /// A string value; nil for null or a value of another type.
    mutating func stringValue() throws(BodyError) -> String? {
        guard peek() == UInt8(ascii: "\"") else {
            try skipValue()
            return nil
        }
        return try string()
    }

    mutating func boolValue() throws(BodyError) -> Bool? {
        switch peek() {
        case UInt8(ascii: "t"):
            try literal("true")
            return true
        case UInt8(ascii: "f"):
            try literal("false")
            return false
        default:
            try skipValue()
            return nil
        }
    }

    mutating func numberValue() throws(BodyError) -> Double? {
        guard let byte = peek(), byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
            try skipValue()
            return nil
        }
        return try number()
    }

    /// Walks an object's members if the value is an object; skips any other value.
    mutating func objectValue(_ member: (JSONKey, inout JSONScanner) throws(BodyError) -> Void) throws(BodyError) {
        guard peek() == UInt8(ascii: "{") else { return try skipValue() }
        try object(member)
    }

    /// For an array of objects: the string `field` of its first element, and the element count.
    mutating func firstField(_ field: StaticString) throws(BodyError) -> (String?, Int) {
        guard peek() == UInt8(ascii: "[") else {
            try skipValue()
            return (nil, 0)
        }
        var first: String?
        var count = 0
        try array { (scanner) throws(BodyError) in
            if count == 0 {
                try scanner.objectValue { (key, scanner) throws(BodyError) in
                    if key == field { first = try scanner.stringValue() } else { try scanner.skipValue() }
                }
            } else {
                try scanner.skipValue()
            }
            count += 1
        }
        return (first, count)
    }
}
