/// What Switchboard answers Inkbox (SPEC §6: exactly these three shapes).
public enum WebhookAnswer: Sendable, Hashable {
    /// `{"action":"answer","client_websocket_url":URL}`
    case answer(url: String)
    /// `{"action":"answer"}`: Inkbox uses the number's configured URL.
    case numberDefault
    /// `{"action":"reject"}`
    case reject

    /// The exact JSON body.
    public var json: String {
        switch self {
        case .answer(let url):
            var body = #"{"action":"answer","client_websocket_url":""#
            JSONString.appendEscaped(url, to: &body)
            body += #""}"#
            return body
        case .numberDefault: return #"{"action":"answer"}"#
        case .reject: return #"{"action":"reject"}"#
        }
    }

    /// The `outcome` label of `switchboard_webhooks_total`: `answer` or `reject`.
    public var outcome: String {
        switch self {
        case .answer, .numberDefault: "answer"
        case .reject: "reject"
        }
    }
}

/// The routing engine's verdict for one call.
public struct RouteDecision: Sendable, Hashable {
    /// The matched route, or nil when none matched and the top-level fallback decided.
    public var route: String?
    /// The backend named in the answer; nil for `reject` and `number_default`.
    public var backend: String?
    public var answer: WebhookAnswer

    public init(route: String?, backend: String?, answer: WebhookAnswer) {
        self.route = route
        self.backend = backend
        self.answer = answer
    }
}

public enum JSONString {
    /// Appends `text` escaped for use inside a JSON string literal (RFC 8259 §7).
    public static func appendEscaped(_ text: String, to out: inout String) {
        // Most text (URLs, IDs, masked numbers) needs no escaping: append it whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += text
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u00"
                let hex: StaticString = "0123456789abcdef"
                out.unicodeScalars.append(Unicode.Scalar(hex.utf8Start[Int(scalar.value >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex.utf8Start[Int(scalar.value & 0xF)]))
            default: out.unicodeScalars.append(scalar)
            }
        }
    }
}
