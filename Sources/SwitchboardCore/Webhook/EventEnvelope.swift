/// The envelope of an Inkbox event, `{id, event_type, timestamp, data}`, and the call a `call.ended` ends.
///
/// Read in one validating pass like an incoming call's body, keeping only these fields: Foundation's
/// `JSONSerialization` built the whole tree and cost about 20 µs per `call.ended` on the benchmark machine, more than
/// the rest of the event's path (docs/performance.md#call-limits).
public struct EventEnvelope: Sendable, Hashable {
    public static let callEnded = "call.ended"

    public var id: String
    public var type: String
    public var timestamp: String
    /// `data.call.id`; required for `call.ended`.
    public var callID: String?
    /// `data.call.duration_seconds` of a `call.ended`, when it is a whole number.
    public var durationSeconds: Int?

    /// Reads the envelope; a problem names the field.
    public init(json bytes: UnsafeRawBufferPointer) throws(EnvelopeError) {
        var id: String?
        var type: String?
        var timestamp: String?
        var dataIsObject = false
        var callID: String?
        var duration: Double?
        var scanner = JSONScanner(bytes.bindMemory(to: UInt8.self))
        do {
            try scanner.skipWhitespace()
            guard scanner.peek() == UInt8(ascii: "{") else {
                try scanner.skipValue()
                try scanner.skipWhitespace()
                guard scanner.atEnd else { throw scanner.error("unexpected data after the JSON value") }
                throw EnvelopeError("body is not a JSON object")
            }
            try scanner.object { (key, scanner) throws(BodyError) in
                switch key {
                case "id": id = try scanner.stringValue()
                case "event_type": type = try scanner.stringValue()
                case "timestamp": timestamp = try scanner.stringValue()
                case "data":
                    dataIsObject = scanner.peek() == UInt8(ascii: "{")
                    (callID, duration) = (nil, nil)
                    try scanner.objectValue { (key, scanner) throws(BodyError) in
                        guard key == "call" else { return try scanner.skipValue() }
                        try scanner.objectValue { (key, scanner) throws(BodyError) in
                            switch key {
                            case "id": callID = try scanner.stringValue()
                            case "duration_seconds": duration = try scanner.numberValue()
                            default: try scanner.skipValue()
                            }
                        }
                    }
                default:
                    try scanner.skipValue()
                }
            }
            try scanner.skipWhitespace()
            guard scanner.atEnd else { throw scanner.error("unexpected data after the JSON object") }
        } catch let error as EnvelopeError {
            throw error
        } catch {
            throw EnvelopeError("body is not valid JSON")
        }
        guard let id, !id.isEmpty else { throw EnvelopeError("missing or non-string 'id'", eventType: type) }
        guard let type, !type.isEmpty else { throw EnvelopeError("missing or non-string 'event_type'") }
        guard let timestamp, !timestamp.isEmpty else {
            throw EnvelopeError("missing or non-string 'timestamp'", eventType: type)
        }
        guard dataIsObject else { throw EnvelopeError("missing or non-object 'data'", eventType: type) }
        (self.id, self.type, self.timestamp) = (id, type, timestamp)
        guard type == Self.callEnded else { return }
        guard let callID, !callID.isEmpty else {
            throw EnvelopeError("call.ended without a string 'data.call.id'", eventType: type)
        }
        self.callID = callID
        if let duration, duration.rounded() == duration, abs(duration) < 0x1p53 { durationSeconds = Int(duration) }
    }
}

/// Why an event body was refused (400).
public struct EnvelopeError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    /// The `event_type`, when it could be read (for the metric label).
    public var eventType: String?

    public init(_ description: String, eventType: String? = nil) {
        self.description = description
        self.eventType = eventType
    }
}
