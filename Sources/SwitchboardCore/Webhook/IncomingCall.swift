/// The parts of an Inkbox `incoming_call` webhook body that routing reads.
///
/// Unknown fields are ignored; a field that is missing, null or of an unexpected type is nil, so
/// conditions on it simply do not match (docs/routes.md).
public struct IncomingCall: Sendable, Hashable {
    /// `id`: the call's ID.
    public var id: String?
    /// `local_phone_number`: the Inkbox number that was called (null on shared lines).
    public var number: String?
    /// `remote_phone_number`: the caller.
    public var caller: String?
    /// `client_websocket_url`: the number's configured default URL.
    public var defaultWebSocketURL: String?
    /// `use_inkbox_tts`
    public var useInkboxTTS: Bool?
    /// `use_inkbox_stt`
    public var useInkboxSTT: Bool?
    /// `rate_limit.calls_remaining`
    public var callsRemaining: Double?
    /// `rate_limit.minutes_remaining`
    public var minutesRemaining: Double?
    /// `contacts[0].name`: the caller's first address-book match.
    public var contactName: String?
    /// Number of entries in `contacts`.
    public var contactCount: Int
    /// `agent_identities[0].agent_handle`: set when the caller is one of the organisation's agents.
    public var agentHandle: String?
    /// Number of entries in `agent_identities`.
    public var agentCount: Int

    public init(
        id: String? = nil,
        number: String? = nil,
        caller: String? = nil,
        defaultWebSocketURL: String? = nil,
        useInkboxTTS: Bool? = nil,
        useInkboxSTT: Bool? = nil,
        callsRemaining: Double? = nil,
        minutesRemaining: Double? = nil,
        contactName: String? = nil,
        contactCount: Int = 0,
        agentHandle: String? = nil,
        agentCount: Int = 0
    ) {
        self.id = id
        self.number = number
        self.caller = caller
        self.defaultWebSocketURL = defaultWebSocketURL
        self.useInkboxTTS = useInkboxTTS
        self.useInkboxSTT = useInkboxSTT
        self.callsRemaining = callsRemaining
        self.minutesRemaining = minutesRemaining
        self.contactName = contactName
        self.contactCount = contactCount
        self.agentHandle = agentHandle
        self.agentCount = agentCount
    }

    /// Whether Inkbox matched the caller to a contact or to one of the organisation's agents.
    public var callerIsKnown: Bool { contactCount > 0 || agentCount > 0 }
}
