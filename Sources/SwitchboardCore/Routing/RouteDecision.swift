/// What Switchboard answers Inkbox (exactly these three shapes; docs/http.md).
public enum WebhookAnswer: Sendable, Hashable {
    /// `{"action":"answer","client_websocket_url":URL}`
    case answer(url: String)
    /// `{"action":"answer"}`: Inkbox uses the number's configured URL.
    case numberDefault
    /// `{"action":"reject"}`
    case reject

    /// What comes before and after the escaped URL in an answer's JSON body.
    public static let urlPrefix: StaticString = #"{"action":"answer","client_websocket_url":""#
    public static let urlSuffix: StaticString = #""}"#

    /// The exact JSON body.
    public var json: String {
        switch self {
        case .answer(let url):
            var body = Self.urlPrefix.description
            JSONString.appendEscaped(url, to: &body)
            body += Self.urlSuffix.description
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
    /// Backends the decision passed over because they were full or draining (not those that were down), in
    /// the order met; empty in the common case.
    public var skipped: [SkippedBackend]

    public init(route: String?, backend: String?, answer: WebhookAnswer, skipped: [SkippedBackend] = []) {
        self.route = route
        self.backend = backend
        self.answer = answer
        self.skipped = skipped
    }
}

/// A backend a decision could not use although it was up.
public struct SkippedBackend: Sendable, Hashable {
    public var backend: String
    /// `full` or `draining`.
    public var reason: Availability

    public init(backend: String, reason: Availability) {
        self.backend = backend
        self.reason = reason
    }
}
