extension Duration {
    /// Milliseconds with their fraction, for display (`latency_ms`).
    public var milliseconds: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }

    /// Whole milliseconds, rounded down, for APIs that count in integers (libcurl's timeouts, poll).
    public var wholeMilliseconds: Int64 {
        components.seconds &* 1_000 &+ components.attoseconds / 1_000_000_000_000_000
    }

    /// Whole microseconds, rounded down.
    public var wholeMicroseconds: Int64 {
        components.seconds &* 1_000_000 &+ components.attoseconds / 1_000_000_000_000
    }
}

extension Duration {
    /// Parses a duration as `routes.yaml` writes it: `500ms`, `2s`, `1.5s`, `30m`, `2h`, and on the command line
    /// also in days (`30d`); nil when malformed.
    public init?(parsing text: String) {
        if text.hasSuffix("d"), let days = Double(text.dropLast()), days.isFinite, days >= 0 {
            self = .milliseconds(Int64((days * 86_400_000).rounded()))
            return
        }
        guard let value = ConfigReader.parseDuration(text) else { return nil }
        self = value
    }
}
