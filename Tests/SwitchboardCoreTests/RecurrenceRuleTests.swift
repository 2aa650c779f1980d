import Foundation
import Testing

@testable import SwitchboardCore

/// `RRULE` expansion: the dates each supported rule gives.
struct RecurrenceRuleTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var start: String
        var rule: String
        var exdate: String?
        var dates: [String]
        var testDescription: String { "\(start) \(rule)" }
    }

    static let cases: [Case] = [
        // Thanksgiving: the fourth Thursday of November.
        Case(
            start: "20261126", rule: "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=3",
            dates: ["2026-11-26", "2027-11-25", "2028-11-23"]),
        // Memorial Day: the last Monday of May.
        Case(
            start: "20260525", rule: "FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO;UNTIL=20281231",
            dates: ["2026-05-25", "2027-05-31", "2028-05-29"]),
        // The last day of every month, and a 31st that only some months have.
        Case(
            start: "20260131", rule: "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3",
            dates: ["2026-01-31", "2026-02-28", "2026-03-31"]),
        Case(start: "20260131", rule: "FREQ=MONTHLY;COUNT=3", dates: ["2026-01-31", "2026-03-31", "2026-05-31"]),
        // The first Friday of each month; Friday the 13th.
        Case(
            start: "20260102", rule: "FREQ=MONTHLY;BYDAY=1FR;COUNT=3",
            dates: ["2026-01-02", "2026-02-06", "2026-03-06"]),
        Case(
            start: "20260213", rule: "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13;COUNT=3",
            dates: ["2026-02-13", "2026-03-13", "2026-11-13"]),
        // Every other week on Monday and Wednesday.
        Case(
            start: "20260105", rule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=5",
            dates: ["2026-01-05", "2026-01-07", "2026-01-19", "2026-01-21", "2026-02-02"]),
        // WKST decides which days share a week when INTERVAL > 1.
        Case(
            start: "20260104", rule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,MO;WKST=SU;COUNT=4",
            dates: ["2026-01-04", "2026-01-05", "2026-01-18", "2026-01-19"]),
        Case(
            start: "20260104", rule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,MO;WKST=MO;COUNT=4",
            dates: ["2026-01-04", "2026-01-12", "2026-01-18", "2026-01-26"]),
        Case(
            start: "20260301", rule: "FREQ=DAILY;INTERVAL=3;COUNT=4",
            dates: ["2026-03-01", "2026-03-04", "2026-03-07", "2026-03-10"]),
        Case(
            start: "20260301", rule: "FREQ=DAILY;BYDAY=SA,SU;UNTIL=20260315",
            dates: ["2026-03-01", "2026-03-07", "2026-03-08", "2026-03-14", "2026-03-15"]),
        // A leap day recurs only in leap years.
        Case(start: "20240229", rule: "FREQ=YEARLY;COUNT=2", dates: ["2024-02-29", "2028-02-29"]),
        // The 20th Monday of the year (BYDAY ordinals count in the year without BYMONTH).
        Case(start: "20260518", rule: "FREQ=YEARLY;BYDAY=20MO;COUNT=2", dates: ["2026-05-18", "2027-05-17"]),
        Case(
            start: "20260101", rule: "FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=1;COUNT=3",
            dates: ["2026-01-01", "2026-07-01", "2027-01-01"]),
        // EXDATE removes an occurrence; COUNT still counts it (RFC 5545).
        Case(start: "20260105", rule: "FREQ=WEEKLY;COUNT=3", exdate: "20260112", dates: ["2026-01-05", "2026-01-19"]),
    ]

    @Test(arguments: cases) func ruleGivesTheseDates(_ test: Case) throws {
        let text = ICalendarParserTests.calendar(
            """
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:\(test.start)
            RRULE:\(test.rule)
            \(test.exdate.map { "EXDATE;VALUE=DATE:\($0)" } ?? "X-NOTHING:1")
            END:VEVENT
            """)
        let parser = ICalendarParser(text)
        #expect(parser.problems.isEmpty, "\(parser.problems)")
        let event = try #require(parser.events.first)
        let occurrences = event.occurrences(
            overlapping: 0..<ICalendarParserTests.instant("2030-01-01T00:00:00Z"), calendar: ICalendarParserTests.utc)
        let dates = occurrences.map { CivilDate(dayNumber: Int($0.lowerBound / 86_400)).description }
        #expect(dates == test.dates)
        #expect(occurrences.allSatisfy { $0.upperBound - $0.lowerBound == 86_400 })
    }

    /// A weekly event at 09:00 New York time stays at 09:00 local across the spring-forward change (its UTC
    /// time moves by an hour), and UNTIL in UTC ends it.
    @Test func zonedOccurrencesKeepTheirWallClockTime() throws {
        let parser = ICalendarParser(
            ICalendarParserTests.calendar(
                """
                BEGIN:VEVENT
                DTSTART;TZID=America/New_York:20260302T090000
                DTEND;TZID=America/New_York:20260302T100000
                RRULE:FREQ=WEEKLY;UNTIL=20260309T130000Z
                END:VEVENT
                """))
        #expect(parser.problems.isEmpty, "\(parser.problems)")
        let event = try #require(parser.events.first)
        let occurrences = event.occurrences(
            overlapping: 0..<ICalendarParserTests.instant("2030-01-01T00:00:00Z"), calendar: ICalendarParserTests.utc)
        #expect(
            occurrences == [
                ICalendarParserTests.instant(
                    "2026-03-02T14:00:00Z")..<ICalendarParserTests.instant("2026-03-02T15:00:00Z"),
                ICalendarParserTests.instant(
                    "2026-03-09T13:00:00Z")..<ICalendarParserTests.instant("2026-03-09T14:00:00Z"),
            ])
    }

    @Test func civilDates() {
        #expect(CivilDate("2026-02-30") == nil)
        #expect(CivilDate("2028-02-29")?.weekday == 2)
        #expect(CivilDate("2026-1-01") == nil)
        #expect(CivilDate(dayNumber: 0).description == "1970-01-01")
        for dayNumber in stride(from: -719_000, through: 2_900_000, by: 997) {  // years 1 to 9910
            let date = CivilDate(dayNumber: dayNumber)
            #expect(date.dayNumber == dayNumber)
            #expect(CivilDate(year: date.year, month: date.month, day: date.day) == date)
        }
    }
}
