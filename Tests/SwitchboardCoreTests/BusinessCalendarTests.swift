import Foundation
import SwitchboardTestSupport
import Testing

@testable import SwitchboardCore

/// What a calendar says at an instant, and why: weekly hours, closures, special days, `.ics` events, and
/// daylight-saving changes.
struct BusinessCalendarTests {
    /// Loads `calendars:` YAML (indented under the key) with `.ics` files beside the routes file.
    static func table(_ calendars: String, routes: String = "  - { name: all, to: a }", files: [String: String] = [:])
        throws -> RoutingTable
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("calendar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("holidays"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let path = directory.appendingPathComponent("routes.yaml").path
        try """
        version: 1
        calendars:
        \(calendars)
        backends:
          a: { url: "ws://a" }
        routes:
        \(routes)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            return try RoutingTable.load(path: path, environment: [:])
        } catch {
            throw Fixtures.FixtureError(
                description: error.description.replacingOccurrences(of: directory.path + "/", with: ""))
        }
    }

    static func calendar(_ yaml: String, files: [String: String] = [:]) throws -> BusinessCalendar {
        try #require(try table(yaml, files: files).calendars.first)
    }

    static func at(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    static let support = """
          support:
            zone: America/New_York
            hours: { mon-fri: "09:00-17:00", sat: ["10:00-12:00", "13:00-15:00"] }
            closed: ["2026-12-25", "2027-03-15..2027-03-16"]
            special: { "2026-12-24": "10:00-14:00", "2026-12-31": closed }
        """

    struct Expectation: Sendable, CustomTestStringConvertible {
        var at: String
        var state: String
        var testDescription: String { "\(at): \(state)" }
    }

    @Test(arguments: [
        Expectation(at: "2026-01-14T15:00:00Z", state: "open: mon-fri 09:00-17:00"),  // Wednesday 10:00
        Expectation(
            at: "2026-01-14T13:59:59Z",
            state: "closed: outside hours (mon-fri 09:00-17:00; sat 10:00-12:00, 13:00-15:00)"),
        Expectation(
            at: "2026-01-14T22:00:00Z",
            state: "closed: outside hours (mon-fri 09:00-17:00; sat 10:00-12:00, 13:00-15:00)"),
        Expectation(at: "2026-01-17T16:30:00Z", state: "open: sat 10:00-12:00"),
        Expectation(
            at: "2026-01-17T17:30:00Z",
            state: "closed: outside hours (mon-fri 09:00-17:00; sat 10:00-12:00, 13:00-15:00)"),
        Expectation(at: "2026-01-17T18:30:00Z", state: "open: sat 13:00-15:00"),
        Expectation(
            at: "2026-01-18T16:00:00Z",
            state: "closed: outside hours (mon-fri 09:00-17:00; sat 10:00-12:00, 13:00-15:00)"),
        Expectation(at: "2026-12-25T15:00:00Z", state: "closed: 2026-12-25 (routes.yaml line 6)"),
        Expectation(at: "2027-03-16T15:00:00Z", state: "closed: 2027-03-15..2027-03-16 (routes.yaml line 6)"),
        Expectation(at: "2027-03-17T15:00:00Z", state: "open: mon-fri 09:00-17:00"),
        Expectation(at: "2026-12-24T14:30:00Z", state: "closed: outside special hours 2026-12-24 10:00-14:00"),
        Expectation(at: "2026-12-24T16:00:00Z", state: "open: special hours 2026-12-24 10:00-14:00"),
        Expectation(at: "2026-12-31T16:00:00Z", state: "closed: special day 2026-12-31 (routes.yaml line 7)"),
    ])
    func stateAndTheEntryThatDecided(_ expectation: Expectation) throws {
        let calendar = try Self.calendar(Self.support)
        let state = calendar.state(at: Self.at(expectation.at))
        #expect(state.description == expectation.state)
        #expect(state.isOpen == expectation.state.hasPrefix("open"))
        #expect(calendar.isOpen(at: Self.at(expectation.at)) == state.isOpen)
    }

    @Test func withoutHoursItIsOpenExceptClosures() throws {
        let calendar = try Self.calendar(
            """
              offsite:
                zone: Europe/London
                closed: ["2026-03-14"]
            """)
        #expect(calendar.state(at: Self.at("2026-03-13T23:59:59Z")).description == "open: all day (no hours set)")
        #expect(calendar.state(at: Self.at("2026-03-14T00:00:00Z")).isOpen == false)
        #expect(calendar.state(at: Self.at("2026-03-15T00:00:00Z")).isOpen)
    }

    /// A window that crosses midnight belongs to the day it starts.
    @Test func windowsMayCrossMidnight() throws {
        let calendar = try Self.calendar(
            """
              nights:
                zone: UTC
                hours: { fri: "22:00-02:00" }
            """)
        #expect(calendar.isOpen(at: Self.at("2026-01-16T23:00:00Z")))  // Friday
        #expect(calendar.isOpen(at: Self.at("2026-01-17T01:59:59Z")))  // Saturday morning
        #expect(!calendar.isOpen(at: Self.at("2026-01-17T02:00:00Z")))
        #expect(!calendar.isOpen(at: Self.at("2026-01-16T01:00:00Z")))  // Friday morning: Thursday has no hours
    }

    /// New York springs forward on 2026-03-08 at 02:00 (to 03:00): a 01:30–02:30 window is open while the wall clock
    /// shows a time inside it, 01:30 to the jump, thirty minutes.
    @Test func springForwardWindowEndsWhenTheClockJumps() throws {
        let calendar = try Self.calendar(
            """
              night:
                zone: America/New_York
                hours: { sun: "01:30-02:30" }
            """)
        #expect(!calendar.isOpen(at: Self.at("2026-03-08T06:29:59Z")))  // 01:29:59 EST
        #expect(calendar.isOpen(at: Self.at("2026-03-08T06:30:00Z")))  // 01:30 EST
        #expect(calendar.isOpen(at: Self.at("2026-03-08T06:59:59Z")))  // 01:59:59 EST
        #expect(!calendar.isOpen(at: Self.at("2026-03-08T07:00:00Z")))  // 03:00 EDT
        let day = try #require(calendar.days(from: CivilDate("2026-03-08")!, through: CivilDate("2026-03-08")!).first)
        #expect(day.openings.map { "\($0.localStart)-\($0.localEnd)" } == ["01:30-03:00"])
        #expect(day.openings.first.map { $0.end.timeIntervalSince($0.start) } == 1800)
        // The same window a week later is an hour long again.
        #expect(calendar.isOpen(at: Self.at("2026-03-15T06:15:00Z")))  // 02:15 EDT
    }

    /// New York falls back on 2026-11-01 at 02:00 (to 01:00): a 01:30–02:30 window opens the first time the clock
    /// shows 01:30 and stays open through the repeated hour until 02:30 EST, two hours.
    @Test func fallBackWindowStaysOpenThroughTheRepeatedHour() throws {
        let calendar = try Self.calendar(
            """
              night:
                zone: America/New_York
                hours: { sun: "01:30-02:30" }
            """)
        #expect(!calendar.isOpen(at: Self.at("2026-11-01T05:29:59Z")))  // 01:29:59 EDT
        #expect(calendar.isOpen(at: Self.at("2026-11-01T05:30:00Z")))  // 01:30 EDT
        #expect(calendar.isOpen(at: Self.at("2026-11-01T06:10:00Z")))  // 01:10 EST, the second time
        #expect(calendar.isOpen(at: Self.at("2026-11-01T07:29:59Z")))  // 02:29:59 EST
        #expect(!calendar.isOpen(at: Self.at("2026-11-01T07:30:00Z")))
        let day = try #require(calendar.days(from: CivilDate("2026-11-01")!, through: CivilDate("2026-11-01")!).first)
        #expect(day.openings.map { "\($0.localStart)-\($0.localEnd)" } == ["01:30-02:30"])
        #expect(day.openings.first.map { $0.end.timeIntervalSince($0.start) } == 7200)
    }

    /// A closed date is a whole day on the calendar's clock: Christmas in Berlin starts at 23:00 UTC on the 24th,
    /// while it is still the 24th in New York and in UTC.
    @Test func closedDayStartsAtLocalMidnightWhereverItIsEvaluated() throws {
        let calendar = try Self.calendar(
            """
              berlin:
                zone: Europe/Berlin
                closed: ["2026-12-25"]
            """)
        #expect(calendar.isOpen(at: Self.at("2026-12-24T22:59:59Z")))
        #expect(!calendar.isOpen(at: Self.at("2026-12-24T23:00:00Z")))
        #expect(!calendar.isOpen(at: Self.at("2026-12-24T18:30:00-05:00")))
        #expect(!calendar.isOpen(at: Self.at("2026-12-25T22:59:59Z")))
        #expect(calendar.isOpen(at: Self.at("2026-12-25T23:00:00Z")))
    }

    /// An event written for Tokyo's midnight closes a New York calendar from 10:00 New York time the day before;
    /// an all-day event is midnight to midnight on the calendar's own clock.
    @Test func eventInAnotherZoneClosesAtItsOwnMidnight() throws {
        let ics = ICalendarParserTests.calendar(
            """
            BEGIN:VEVENT
            DTSTART;TZID=Asia/Tokyo:20261225T000000
            DTEND;TZID=Asia/Tokyo:20261226T000000
            SUMMARY:Tokyo office closed
            END:VEVENT
            BEGIN:VEVENT
            DTSTART;VALUE=DATE:20261231
            SUMMARY:New Year's Eve
            END:VEVENT
            """)
        let calendar = try Self.calendar(
            """
              support:
                zone: America/New_York
                hours: { mon-sun: "00:00-24:00" }
                ics: [holidays/tokyo.ics]
            """, files: ["holidays/tokyo.ics": ics])
        #expect(calendar.isOpen(at: Self.at("2026-12-24T14:59:59Z")))  // 09:59:59 in New York
        #expect(
            calendar.state(at: Self.at("2026-12-24T15:00:00Z")).description
                == "closed: Tokyo office closed (holidays/tokyo.ics line 3)")
        #expect(calendar.isOpen(at: Self.at("2026-12-25T15:00:00Z")))
        #expect(calendar.isOpen(at: Self.at("2026-12-31T04:59:59Z")))  // 23:59:59 on the 30th in New York
        #expect(!calendar.isOpen(at: Self.at("2026-12-31T05:00:00Z")))
        #expect(calendar.isOpen(at: Self.at("2027-01-01T05:00:00Z")))
    }

    /// The fixture's holidays close a weekday calendar on exactly the federal holidays that fall on weekdays.
    @Test func usFederalHolidaysFixture() throws {
        let ics = try String(contentsOfFile: Fixture.usHolidaysPath, encoding: .utf8)
        let calendar = try Self.calendar(
            """
              support:
                zone: America/New_York
                hours: { mon-fri: "09:00-17:00" }
                ics: [holidays/us.ics]
            """, files: ["holidays/us.ics": ics])
        let days = calendar.days(from: CivilDate("2026-01-01")!, through: CivilDate("2027-12-31")!)
        let closedWeekdays = days.filter { (1...5).contains($0.date.weekday) && $0.openings.isEmpty }.map(
            \.date.description)
        #expect(
            closedWeekdays == [
                "2026-01-01", "2026-01-19", "2026-02-16", "2026-05-25", "2026-06-19", "2026-07-03", "2026-09-07",
                "2026-10-12", "2026-11-11", "2026-11-26", "2026-12-25",
                "2027-01-01", "2027-01-18", "2027-02-15", "2027-05-31", "2027-06-18", "2027-07-05", "2027-09-06",
                "2027-10-11", "2027-11-11", "2027-11-25", "2027-12-24", "2027-12-31",
            ])
        let thanksgiving = calendar.state(at: Self.at("2026-11-26T15:00:00Z"))
        #expect(thanksgiving.description == "closed: Thanksgiving Day (holidays/us.ics line 108)")
        #expect(calendar.state(at: Self.at("2026-11-27T15:00:00Z")).description == "open: mon-fri 09:00-17:00")
        let friday = try #require(days.first { $0.date == CivilDate("2026-11-27") })
        #expect(friday.openings.map { "\($0.localStart)-\($0.localEnd)" } == ["09:00-17:00"])
        #expect(friday.reasons == ["open: mon-fri 09:00-17:00"])
    }

    /// The states precomputed at load, the remembered segment and the states computed on the spot agree.
    @Test func precomputedAndOnTheSpotStatesAgree() throws {
        let calendar = try Self.calendar(Self.support)
        let start = Int64(Date().timeIntervalSince1970) - 10 * 86_400
        for step in 0..<(60 * 48) {
            let instant = start + Int64(step) * 1_800 + 7
            let day = CivilDate(dayNumber: Int(calendar.rules.clock.local(instant).floorDivided(by: 86_400)))
            let local = calendar.rules.states(from: day.adding(days: -1), through: day.adding(days: 1))
            let expected = calendar.describe(local.states[try #require(local.segment(at: instant))])
            #expect(calendar.state(at: Date(timeIntervalSince1970: TimeInterval(instant))) == expected)
            // In order (the remembered segment answers) and from a far instant (it does not).
            #expect(calendar.isOpen(at: Date(timeIntervalSince1970: TimeInterval(instant))) == expected.isOpen)
            #expect(
                calendar.isOpen(at: Date(timeIntervalSince1970: TimeInterval(start - instant % 86_400)))
                    == calendar
                    .state(at: Date(timeIntervalSince1970: TimeInterval(start - instant % 86_400))).isOpen)
        }
        // Far outside the precomputed span.
        #expect(calendar.state(at: Self.at("2040-01-04T15:00:00Z")).description == "open: mon-fri 09:00-17:00")
    }
}
