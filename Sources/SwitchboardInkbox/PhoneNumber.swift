/// One of the organisation's Inkbox phone numbers, as `GET /phone/numbers` returns it (the Inkbox SDK's
/// `PhoneNumber`). Only the fields Switchboard reads are decoded; the rest are ignored.
public struct PhoneNumber: Sendable, Hashable, Codable {
    public var id: String
    /// E.164, e.g. `+14155550100`.
    public var number: String
    /// `toll_free` or `local`.
    public var type: String?
    public var status: String?
    /// `webhook`, `auto_accept` or `auto_reject`.
    public var incomingCallAction: String
    /// Where Inkbox connects the call's audio when the action is `auto_accept` (and the default in a webhook answer).
    public var clientWebsocketURL: String?
    /// Where Inkbox POSTs `incoming_call` when the action is `webhook`.
    public var incomingCallWebhookURL: String?

    public init(
        id: String, number: String, type: String? = nil, status: String? = nil, incomingCallAction: String,
        clientWebsocketURL: String? = nil, incomingCallWebhookURL: String? = nil
    ) {
        self.id = id
        self.number = number
        self.type = type
        self.status = status
        self.incomingCallAction = incomingCallAction
        self.clientWebsocketURL = clientWebsocketURL
        self.incomingCallWebhookURL = incomingCallWebhookURL
    }

    enum CodingKeys: String, CodingKey {
        case id, number, type, status
        case incomingCallAction = "incoming_call_action"
        case clientWebsocketURL = "client_websocket_url"
        case incomingCallWebhookURL = "incoming_call_webhook_url"
    }

    /// Whether Inkbox sends this number's calls to `webhookURL`.
    public func isAttached(to webhookURL: String) -> Bool {
        incomingCallAction == "webhook" && incomingCallWebhookURL == webhookURL
    }
}

/// A change to a phone number (`PATCH /phone/numbers/{id}`): only the fields set here are sent; `.some(nil)`
/// sends an explicit `null`, which clears the field.
public struct PhoneNumberUpdate: Sendable, Hashable, Encodable {
    public var incomingCallAction: String?
    public var incomingCallWebhookURL: String??
    public var clientWebsocketURL: String??

    public init(incomingCallAction: String? = nil, incomingCallWebhookURL: String?? = nil, clientWebsocketURL: String?? = nil) {
        self.incomingCallAction = incomingCallAction
        self.incomingCallWebhookURL = incomingCallWebhookURL
        self.clientWebsocketURL = clientWebsocketURL
    }

    /// Send `incoming_call` webhooks for the number to `url`.
    public static func attach(webhookURL url: String) -> PhoneNumberUpdate {
        PhoneNumberUpdate(incomingCallAction: "webhook", incomingCallWebhookURL: .some(url))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: PhoneNumber.CodingKeys.self)
        try container.encodeIfPresent(incomingCallAction, forKey: .incomingCallAction)
        if let url = incomingCallWebhookURL { try container.encode(url, forKey: .incomingCallWebhookURL) }
        if let url = clientWebsocketURL { try container.encode(url, forKey: .clientWebsocketURL) }
    }

    /// The number as it will be once the change is applied.
    public func applied(to number: PhoneNumber) -> PhoneNumber {
        var number = number
        if let action = incomingCallAction { number.incomingCallAction = action }
        if let url = incomingCallWebhookURL { number.incomingCallWebhookURL = url }
        if let url = clientWebsocketURL { number.clientWebsocketURL = url }
        return number
    }
}
