import Foundation
import SwitchboardTestSupport
import Testing

@testable import SwitchboardCore

struct EventEnvelopeTests {
    private func read(_ body: Data) throws(EnvelopeError) -> EventEnvelope {
        try body.withUnsafeBytes { bytes in Result { () throws(EnvelopeError) in try EventEnvelope(json: bytes) } }.get()
    }

    private func read(_ body: String) throws(EnvelopeError) -> EventEnvelope { try read(Data(body.utf8)) }

    private func refusal(_ body: String) -> EnvelopeError? {
        do {
            _ = try read(body)
            return nil
        } catch {
            return error
        }
    }

    @Test func realFixtureIsRead() throws {
        let event = try read(Fixture.callEnded)
        #expect(event.id == "evt_5c6f2a1e-8b7d-4f30-a1c2-e3d4f5a6b7c8")
        #expect(event.type == "call.ended")
        #expect(event.timestamp == "2026-07-06T18:22:41Z")
        #expect(event.callID == "3eafefd0-a22f-4e9b-9eb1-8d59e3d9b85f")
        #expect(event.durationSeconds == 123)
    }

    @Test func otherEventsNeedNoCall() throws {
        let event = try read(#"{"id":"e2","event_type":"call.started","timestamp":"t","data":{"call":7}}"#)
        #expect(event.type == "call.started")
        #expect(event.callID == nil)
    }

    @Test func durationIsKeptOnlyAsAWholeNumber() throws {
        func duration(_ value: String) throws -> Int? {
            try read(#"{"id":"e","event_type":"call.ended","timestamp":"t","data":{"call":{"id":"c","duration_seconds":\#(value)}}}"#)
                .durationSeconds
        }
        #expect(try duration("61") == 61)
        #expect(try duration("61.0") == 61)
        #expect(try duration("6.1e1") == 61)
        #expect(try duration("61.5") == nil)
        #expect(try duration(#""61""#) == nil)
        #expect(try duration("null") == nil)
        #expect(try duration("1e300") == nil)
    }

    @Test func escapedKeysAndValuesAreDecoded() throws {
        let event = try read(#"{"i\u0064":"e\"1","event_type":"call.ended","timestamp":"t","data":{"call":{"id":"c\/1"}}}"#)
        #expect(event.id == #"e"1"#)
        #expect(event.callID == "c/1")
    }

    @Test func theLastOfARepeatedKeyCounts() throws {
        let event = try read(
            #"{"id":"e","event_type":"call.ended","timestamp":"t","data":{"call":{"id":"old"}},"data":{"call":{"id":"new"}}}"#
        )
        #expect(event.callID == "new")
        let emptied = refusal(
            #"{"id":"e","event_type":"call.ended","timestamp":"t","data":{"call":{"id":"old"}},"data":{"call":{}}}"#
        )
        #expect(emptied?.description == "call.ended without a string 'data.call.id'")
    }

    @Test func everyProblemNamesItsField() {
        let cases: [(String, String, String?)] = [
            ("not json", "body is not valid JSON", nil),
            ("", "body is not valid JSON", nil),
            ("[1", "body is not valid JSON", nil),
            (#"{"id":"e","event_type":"x","timestamp":"t","data":{}} trailing"#, "body is not valid JSON", nil),
            (#"{"id":"e","event_type":"x","timestamp":"t","data":{"a":[1,}]}}"#, "body is not valid JSON", nil),
            (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "body is not valid JSON", nil),
            ("[1]", "body is not a JSON object", nil),
            (#""text""#, "body is not a JSON object", nil),
            (#"{"event_type":"call.ended","timestamp":"t","data":{}}"#, "missing or non-string 'id'", "call.ended"),
            (#"{"id":7,"event_type":"x","timestamp":"t","data":{}}"#, "missing or non-string 'id'", "x"),
            (#"{"id":"","event_type":"x","timestamp":"t","data":{}}"#, "missing or non-string 'id'", "x"),
            (#"{"id":"e1","timestamp":"t","data":{}}"#, "missing or non-string 'event_type'", nil),
            (#"{"id":"e1","event_type":"","timestamp":"t","data":{}}"#, "missing or non-string 'event_type'", nil),
            (#"{"id":"e1","event_type":"x","timestamp":null,"data":{}}"#, "missing or non-string 'timestamp'", "x"),
            (#"{"id":"e1","event_type":"x","timestamp":"t"}"#, "missing or non-object 'data'", "x"),
            (#"{"id":"e1","event_type":"x","timestamp":"t","data":[]}"#, "missing or non-object 'data'", "x"),
            (#"{"id":"e1","event_type":"call.ended","timestamp":"t","data":{"call":{}}}"#,
             "call.ended without a string 'data.call.id'", "call.ended"),
            (#"{"id":"e1","event_type":"call.ended","timestamp":"t","data":{"call":{"id":""}}}"#,
             "call.ended without a string 'data.call.id'", "call.ended"),
            (#"{"id":"e1","event_type":"call.ended","timestamp":"t","data":{"call":"c"}}"#,
             "call.ended without a string 'data.call.id'", "call.ended"),
        ]
        for (body, message, type) in cases {
            let error = refusal(body)
            #expect(error?.description == message, "\(body)")
            #expect(error?.eventType == type, "\(body)")
        }
    }
}
