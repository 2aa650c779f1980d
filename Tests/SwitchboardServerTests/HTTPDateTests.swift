import Foundation
import HTTPTypes
import SwitchboardTestSupport
import Testing

@testable import SwitchboardServer

@Suite(.timeLimit(.minutes(1)))
struct HTTPDateTests {
    /// RFC 9110's IMF-fixdate, as Foundation formats it.
    static let reference: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }()

    @Test func formatsAsFoundationDoes() {
        // Epoch, the second before it, leap days (2000 is a leap year, 2100 is not), ends of years and months.
        var instants: [Int] = [
            0, -1, 951_782_400, 951_868_799, 1_709_164_800, 946_684_799, 4_107_542_399, 4_107_542_400,
        ]
        var generator = SystemRandomNumberGenerator()
        instants += (0..<2_000).map { _ in Int.random(in: 0...4_102_444_800, using: &generator) }
        for seconds in instants {
            let expected = Self.reference.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(HTTPDate.format(secondsSince1970: seconds) == expected, "at \(seconds)")
        }
    }

    @Test func aValueLastsItsSecondOnly() {
        let dates = HTTPDate()
        let second = Date(timeIntervalSince1970: 1_796_675_528)
        #expect(dates.value(at: second) == "Mon, 07 Dec 2026 20:32:08 GMT")
        #expect(dates.value(at: second.addingTimeInterval(0.9)) == "Mon, 07 Dec 2026 20:32:08 GMT")
        #expect(dates.value(at: second.addingTimeInterval(1)) == "Mon, 07 Dec 2026 20:32:09 GMT")
        #expect(dates.value(at: second) == "Mon, 07 Dec 2026 20:32:08 GMT")
    }

    /// Both listeners date their answers (RFC 9110 requires it of a server with a clock), a refusal and a 404
    /// included, with no timer keeping the value fresh.
    @Test func everyAnswerOfBothListenersIsDated() async throws {
        try await LiveSwitchboard.with(routes: Fixture.oneBackendTable("a")) { live in
            let before = Date().addingTimeInterval(-1)
            let answers = [
                try await live.post(Fixture.incomingCall),
                try await live.request(.post, "/webhooks/incoming-call", headers: [:], body: Data("{}".utf8)),
                try await live.request(.get, "/nowhere", headers: [:], body: nil),
                try await live.admin(.get, "/readyz"),
                try await live.admin(.get, "/status"),
            ]
            let after = Date().addingTimeInterval(1)
            #expect(answers.map(\.status.code) == [200, 401, 404, 200, 200])
            for answer in answers {
                let value = answer.headers[.date] ?? ""
                let date = Self.reference.date(from: value)
                #expect(date.map { $0 >= before && $0 <= after } == true, "Date: \(value)")
            }
        }
    }
}
