import Foundation
import SwitchboardTestSupport
import Testing

@testable import SwitchboardCore

struct IncomingCallTests {
    @Test func realFixtureIsRead() throws {
        let call = try IncomingCall(json: Fixture.incomingCall)
        #expect(call.id == "3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f")
        #expect(call.number == "+14155550100")
        #expect(call.caller == "+14155550999")
        #expect(call.defaultWebSocketURL == nil)
        #expect(call.useInkboxTTS == nil)
        #expect(call.useInkboxSTT == nil)
        #expect(call.callsRemaining == 96)
        #expect(call.minutesRemaining == 287.5)
        #expect(call.contactName == "Jane Doe")
        #expect(call.contactCount == 1)
        #expect(call.agentHandle == "concierge")
        #expect(call.agentCount == 1)
        #expect(call.callerIsKnown)
    }

    @Test func nullCalledNumberIsAbsent() throws {
        var object = Fixture.incomingCallObject()
        object["local_phone_number"] = NSNull()
        let call = try IncomingCall(json: Fixtures.json(object))
        #expect(call.number == nil)
        #expect(call.caller == "+14155550999")
    }

    @Test func unknownFieldsAreIgnored() throws {
        var object = Fixture.incomingCallObject()
        object["future_field"] = ["nested": [1, 2, ["deep": true]], "list": [NSNull(), "x", 1.5e10]]
        object["another"] = "value"
        let call = try IncomingCall(json: Fixtures.json(object))
        #expect(call == (try IncomingCall(json: Fixture.incomingCall)))
    }

    @Test func unicodeContactNamesAreDecoded() throws {
        let body = #"{"contacts":[{"name":"Zoë \u00c5str\u00f6m \ud83d\udcde \"VIP\"","id":"1"}],"remote_phone_number":"+4420"}"#
        let call = try IncomingCall(json: Data(body.utf8))
        #expect(call.contactName == "Zoë Åström 📞 \"VIP\"")
        let raw = try IncomingCall(json: Data(#"{"contacts":[{"name":"José 山田"}]}"#.utf8))
        #expect(raw.contactName == "José 山田")
    }

    @Test func noContactsMeansUnknownCaller() throws {
        var object = Fixture.incomingCallObject()
        object["contacts"] = []
        object["agent_identities"] = []
        let call = try IncomingCall(json: Fixtures.json(object))
        #expect(call.contactName == nil)
        #expect(call.contactCount == 0)
        #expect(!call.callerIsKnown)
    }

    @Test func fieldsOfUnexpectedTypeAreAbsent() throws {
        let body = #"{"local_phone_number":14155550100,"use_inkbox_tts":"yes","contacts":{"name":"x"},"rate_limit":[1]}"#
        let call = try IncomingCall(json: Data(body.utf8))
        #expect(call.number == nil)
        #expect(call.useInkboxTTS == nil)
        #expect(call.contactCount == 0)
        #expect(call.callsRemaining == nil)
    }

    @Test(arguments: [
        "", " ", "[]", "\"text\"", "42", "null", "{", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "{\"a\":1}x",
        "{\"a\":\"unterminated}", "{\"a\":\"bad \\q escape\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":01}", "{\"a\":1.}",
        "{\"a\":-}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":\"tab\tinside\"}", "{a:1}", "{\"a\":[1,2}",
        String(repeating: "[", count: 100_000),
        "{\"a\":" + String(repeating: "[", count: 65) + String(repeating: "]", count: 65) + "}",
    ])
    func invalidBodiesAreRefused(_ body: String) {
        #expect(throws: BodyError.self) { try IncomingCall(json: Data(body.utf8)) }
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let depth = JSONScanner.maxDepth - 1
        let body = "{\"a\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        _ = try IncomingCall(json: Data(body.utf8))
    }

    /// Random single-byte mutations of the fixture: the reader must agree with Foundation on which are JSON
    /// objects, and read the same numbers from those that are.
    @Test func agreesWithFoundationOnMutatedBodies() throws {
        var generator = SystemRandomNumberGenerator()
        let original = Array(Fixture.incomingCall)
        let alphabet = Array("{}[],:\"\\ 0123456789.eE+-truefalsn\u{01}\u{7f}".utf8) + [0xC3, 0xA9, 0xFF]
        for _ in 0..<2_000 {
            let bytes = Fixtures.mutated(original, alphabet: alphabet, using: &generator)
            let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
            let ours = try? IncomingCall(json: bytes)
            guard let foundation else {
                // Foundation refuses invalid UTF-8 inside strings, which this reader passes through repaired.
                if ours != nil, String(validating: bytes, as: UTF8.self) != nil {
                    Issue.record("accepted what Foundation refuses: \(String(decoding: bytes, as: UTF8.self))")
                }
                continue
            }
            if ours == nil, Self.hasTrailingComma(bytes) { continue }  // Foundation is lenient there; RFC 8259 is not.
            #expect(ours != nil, "refused what Foundation accepts: \(String(decoding: bytes, as: UTF8.self))")
            #expect(ours?.caller == foundation["remote_phone_number"] as? String)
            #expect(ours?.number == foundation["local_phone_number"] as? String)
        }
    }

    /// Whether a `,` is followed (after whitespace) by `}` or `]`.
    static func hasTrailingComma(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.contains(/,\s*[}\]]/)
    }
}
