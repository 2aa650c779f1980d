import Foundation
import Testing

@testable import SwitchboardCore

/// Reading `.ics` text: unfolding, the forms of date and time, and a problem with its line for anything outside
/// the subset.
struct ICalendarParserTests {
    /// `body` inside a VCALENDAR; its first line is line 3.
    static func calendar(_ body: String) -> String {
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + body.replacingOccurrences(of: "\n", with: "\r\n")
            + "\r\nEND:VCALENDAR\r\n"
    }

    static let utc = ZoneClock(zone: TimeZone(identifier: "UTC")!)

    static func instant(_ text: String) -> Int64 { Int64(try! Date(text, strategy: .iso8601).timeIntervalSince1970) }

    @Test func foldedLinesAreJoinedAndLinesCountedFromTheFile() throws {
        let parser = ICalendarParser(
            Self.calendar(
                """
                BEGIN:VEVENT
                DTSTART;VALUE=DATE:20261126
                SUMMARY:Thanks
                 giving\\, with
                \tfamily
                END:VEVENT
                """))
        #expect(parser.problems.isEmpty)
        let event = try #require(parser.events.first)
        #expect(event.summary == "Thanksgiving, withfamily")
        #expect(event.line == 3)
        #expect(event.length == 86_400)
    }

    @Test func everyFormOfTimeBecomesTheRightInstants() throws {
        let parser = ICalendarParser(
            Self.calendar(
                """
                BEGIN:VEVENT
                DTSTART;VALUE=DATE:20261224
                DTEND;VALUE=DATE:20261227
                SUMMARY:all-day, three days
                END:VEVENT
                BEGIN:VEVENT
                DTSTART:20261224T140000Z
                DURATION:PT2H30M
                SUMMARY:utc
                END:VEVENT
                BEGIN:VEVENT
                DTSTART;TZID=America/New_York:20260704T090000
                DTEND;TZID=America/New_York:20260704T120000
                SUMMARY:zoned
                END:VEVENT
                BEGIN:VEVENT
                DTSTART:20260704T090000
                DTEND:20260704T100000
                SUMMARY:floating
                END:VEVENT
                """))
        #expect(parser.problems.isEmpty)
        let berlin = ZoneClock(zone: TimeZone(identifier: "Europe/Berlin")!)
        let everything = 0..<Self.instant("2030-01-01T00:00:00Z")
        let ranges = parser.events.map { $0.occurrences(overlapping: everything, calendar: berlin) }
        #expect(ranges[0] == [Self.instant("2026-12-23T23:00:00Z")..<Self.instant("2026-12-26T23:00:00Z")])
        #expect(ranges[1] == [Self.instant("2026-12-24T14:00:00Z")..<Self.instant("2026-12-24T16:30:00Z")])
        #expect(ranges[2] == [Self.instant("2026-07-04T13:00:00Z")..<Self.instant("2026-07-04T16:00:00Z")])
        // Floating times are on the calendar's own clock (Berlin, summer time).
        #expect(ranges[3] == [Self.instant("2026-07-04T07:00:00Z")..<Self.instant("2026-07-04T08:00:00Z")])
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var lines: String
        var line: Int
        var message: String
        var testDescription: String { message }
    }

    static let bad: [Bad] = [
        Bad(
            lines: "DTSTART;VALUE=DATE:20260230", line: 4,
            message: "DTSTART '20260230' is not a valid date (2026-02-30 does not exist)"),
        Bad(lines: "DTSTART:20260704T250000", line: 4, message: "is not a date-time"),
        Bad(
            lines: "DTSTART:20260704\nRRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1", line: 5,
            message: "RRULE: BYSETPOS is outside the supported subset"),
        Bad(
            lines: "DTSTART:20260704\nRRULE:FREQ=HOURLY", line: 5,
            message: "RRULE: FREQ=HOURLY is outside the supported subset"),
        Bad(lines: "DTSTART:20260704\nRRULE:FREQ=YEARLY;BYWEEKNO=20", line: 5, message: "RRULE: BYWEEKNO is outside"),
        Bad(
            lines: "DTSTART:20260704\nRRULE:FREQ=WEEKLY;BYDAY=2MO", line: 5, message: "need FREQ=MONTHLY or FREQ=YEARLY"
        ),
        Bad(lines: "DTSTART:20260704\nRRULE:FREQ=YEARLY;COUNT=2;UNTIL=20271231", line: 5, message: "COUNT and UNTIL"),
        Bad(lines: "DTSTART:20260704\nRRULE:FREQ=YEARLY;BYMONTH=13", line: 5, message: "BYMONTH takes months 1 to 12"),
        Bad(lines: "DTSTART:20260704\nRDATE:20260705", line: 5, message: "RDATE"),
        Bad(lines: "DTSTART:20260704\nRECURRENCE-ID:20260704", line: 5, message: "RECURRENCE-ID"),
        Bad(
            lines: "DTSTART;TZID=Eastern Standard Time:20260704T090000", line: 4,
            message: "unknown time zone TZID=Eastern Standard Time"),
        Bad(
            lines: "DTSTART;VALUE=DATE:20260704\nDTEND;VALUE=DATE:20260701", line: 3,
            message: "the event ends before it starts"),
        Bad(
            lines: "DTSTART;VALUE=DATE:20260704\nDTEND:20260705T000000", line: 3,
            message: "both be dates or both be date-times"),
        Bad(lines: "DTSTART:20260704T090000\nDURATION:2 hours", line: 5, message: "is not a duration"),
        Bad(lines: "SUMMARY:no start", line: 3, message: "VEVENT has no DTSTART"),
        Bad(lines: "DTSTART:20260704\nthis is not a property", line: 5, message: "malformed line"),
    ]

    @Test(arguments: bad) func problemsNameTheirLine(_ bad: Bad) {
        let parser = ICalendarParser(Self.calendar("BEGIN:VEVENT\n\(bad.lines)\nEND:VEVENT"))
        #expect(
            parser.problems.contains { $0.line == bad.line && $0.message.contains(bad.message) }, "\(parser.problems)")
    }

    @Test func structureProblems() {
        #expect(
            ICalendarParser("hello").problems == [
                .init(line: 1, message: "not an iCalendar file (it must begin with BEGIN:VCALENDAR)")
            ])
        let unclosed = ICalendarParser("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101\n")
        #expect(unclosed.problems.map(\.message) == ["BEGIN:VEVENT is never closed with END:VEVENT"])
        let crossed = ICalendarParser("BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VCALENDAR\n")
        #expect(crossed.problems.first?.message == "END:VCALENDAR does not close BEGIN:VEVENT")
    }

    @Test func cancelledEventsAndOtherComponentsCloseNothing() {
        let parser = ICalendarParser(
            Self.calendar(
                """
                BEGIN:VTIMEZONE
                TZID:Custom
                BEGIN:STANDARD
                DTSTART:19701025T030000
                END:STANDARD
                END:VTIMEZONE
                BEGIN:VTODO
                DTSTART:20260101
                END:VTODO
                BEGIN:VEVENT
                DTSTART;VALUE=DATE:20260101
                STATUS:CANCELLED
                BEGIN:VALARM
                TRIGGER:-PT15M
                END:VALARM
                END:VEVENT
                """))
        #expect(parser.problems.isEmpty)
        #expect(parser.events.isEmpty)
    }

    @Test func durations() {
        #expect(ICalendarParser.duration("P1D") == 86_400)
        #expect(ICalendarParser.duration("PT2H30M") == 9_000)
        #expect(ICalendarParser.duration("P1W") == 604_800)
        #expect(ICalendarParser.duration("+P1DT1S") == 86_401)
        #expect(ICalendarParser.duration("-P1D") == nil)
        #expect(ICalendarParser.duration("P") == nil)
        #expect(ICalendarParser.duration("PT") == nil)
        #expect(ICalendarParser.duration("P1H") == nil)
    }
}
