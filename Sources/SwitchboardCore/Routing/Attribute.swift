/// A fact about a call that a `when:` condition can test (docs/routes.md).
public enum Attribute: Sendable, Hashable, CustomStringConvertible {
    case caller
    case callerKnown
    case callerContact
    case callerAgent
    case callerCallingCode
    case callerCountry
    case number
    /// `number.<name>` from `numbers:`; `index` is the attribute's slot in every `NumberInfo`.
    case numberAttribute(name: String, index: Int)
    case callID
    case callTTS
    case callSTT
    case callsRemaining
    case minutesRemaining

    /// The type of value an attribute holds, which decides the condition forms it accepts.
    public enum Kind: Sendable {
        case string
        case bool
        case number
    }

    /// Every fixed attribute by its `routes.yaml` name (`number.<name>` is resolved against `numbers:`).
    static let fixed: [String: Attribute] = [
        "caller": .caller, "caller.known": .callerKnown, "caller.contact": .callerContact,
        "caller.agent": .callerAgent, "caller.calling_code": .callerCallingCode, "caller.country": .callerCountry,
        "number": .number, "call.id": .callID, "call.tts": .callTTS, "call.stt": .callSTT,
        "rate_limit.calls_remaining": .callsRemaining, "rate_limit.minutes_remaining": .minutesRemaining,
    ]

    public var kind: Kind {
        switch self {
        case .callerKnown, .callTTS, .callSTT: .bool
        case .callsRemaining, .minutesRemaining: .number
        default: .string
        }
    }

    public var description: String {
        switch self {
        case .caller: "caller"
        case .callerKnown: "caller.known"
        case .callerContact: "caller.contact"
        case .callerAgent: "caller.agent"
        case .callerCallingCode: "caller.calling_code"
        case .callerCountry: "caller.country"
        case .number: "number"
        case .numberAttribute(let name, _): "number.\(name)"
        case .callID: "call.id"
        case .callTTS: "call.tts"
        case .callSTT: "call.stt"
        case .callsRemaining: "rate_limit.calls_remaining"
        case .minutesRemaining: "rate_limit.minutes_remaining"
        }
    }
}

/// An attribute's value for one call.
public enum AttributeValue: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case bool(Bool)
    case number(Double)

    public var description: String {
        switch self {
        case .string(let value): "\"\(value)\""
        case .bool(let value): "\(value)"
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
        }
    }
}

/// One call as routing sees it: the webhook body plus what `routes.yaml` says about the called number.
struct CallContext {
    let call: IncomingCall
    /// The `numbers:` entry of the called number, if any.
    let numberInfo: NumberInfo?

    func value(of attribute: Attribute) -> AttributeValue? {
        switch attribute {
        case .caller: call.caller.map(AttributeValue.string)
        case .callerKnown: AttributeValue.bool(call.callerIsKnown)
        case .callerContact: call.contactName.map(AttributeValue.string)
        case .callerAgent: call.agentHandle.map(AttributeValue.string)
        case .callerCallingCode: call.caller.flatMap(PhoneGeography.shared.callingCode(of:)).map(AttributeValue.string)
        case .callerCountry: call.caller.flatMap(PhoneGeography.shared.country(of:)).map(AttributeValue.string)
        case .number: call.number.map(AttributeValue.string)
        case .numberAttribute(_, let index): numberInfo?.values[index].map(AttributeValue.string)
        case .callID: call.id.map(AttributeValue.string)
        case .callTTS: call.useInkboxTTS.map(AttributeValue.bool)
        case .callSTT: call.useInkboxSTT.map(AttributeValue.bool)
        case .callsRemaining: call.callsRemaining.map(AttributeValue.number)
        case .minutesRemaining: call.minutesRemaining.map(AttributeValue.number)
        }
    }
}

/// The attributes `routes.yaml` gives one of your Inkbox numbers under `numbers:`.
public struct NumberInfo: Sendable, Hashable {
    /// Values by attribute slot (see `RoutingTable.numberAttributeNames`); nil where this number lacks one.
    public var values: [String?]
}
