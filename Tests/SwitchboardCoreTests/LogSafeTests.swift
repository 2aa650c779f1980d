import Testing

@testable import SwitchboardCore

struct LogSafeTests {
    @Test func printableRequestIDsAreLoggedAsSent() {
        #expect(LogSafe.requestID("c8dc77f9-0e1e-4c3b-a76c-52bed7ab84a7") == "c8dc77f9-0e1e-4c3b-a76c-52bed7ab84a7")
        #expect(LogSafe.requestID("a b=c") == "a b=c")
        #expect(LogSafe.requestID(String(repeating: "x", count: 256)) == String(repeating: "x", count: 256))
        #expect(LogSafe.requestID(nil) == "-")
    }

    @Test(arguments: ["line\nbreak", "tab\t", "é", String(repeating: "x", count: 257), "\u{7F}"])
    func otherRequestIDsAreLoggedAsAShortHash(_ value: String) {
        let logged = LogSafe.requestID(value)
        #expect(logged.hasPrefix("sha256:"))
        #expect(logged.count == 19)
        #expect(LogSafe.requestID(value) == logged)
        #expect(LogSafe.requestID(value + "1") != logged)
    }
}
