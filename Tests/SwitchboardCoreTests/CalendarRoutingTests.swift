import Foundation
import SwitchboardTestSupport
import Testing

@testable import SwitchboardCore

/// `calendars:` in the routes file: its problems, and `when: { calendar: … }` in decisions and `explain`.
struct CalendarRoutingTests {
    static let routes = """
          - name: holiday
            when: { calendar: { name: support, open: false }, number: "+14155550100" }
            to: reject
          - name: open
            when: { calendar: support }
            to: a
        """

    static var holidays: [String: String] {
        ["holidays/us.ics": try! String(contentsOfFile: Fixture.usHolidaysPath, encoding: .utf8)]
    }

    static let support = """
          support:
            zone: America/New_York
            hours: { mon-fri: "09:00-17:00" }
            ics: [holidays/us.ics]
        """

    @Test func routesFollowTheCalendar() throws {
        let table = try BusinessCalendarTests.table(Self.support, routes: Self.routes, files: Self.holidays)
        let call = IncomingCall.call()
        let thanksgiving = BusinessCalendarTests.at("2026-11-26T15:00:00Z")
        #expect(table.decide(call, health: .allEligible(1), at: thanksgiving).route == "holiday")
        #expect(
            table.decide(call, health: .allEligible(1), at: BusinessCalendarTests.at("2026-11-27T15:00:00Z")).route
                == "open")

        let open = table.explain(call, health: .allEligible(1), at: BusinessCalendarTests.at("2026-11-27T15:00:00Z"))
        #expect(
            open.skipped == [
                .init(
                    route: "holiday", condition: "calendar: {name: support, open: false}",
                    reason: "calendar 'support' is open: mon-fri 09:00-17:00"
                )
            ])
        #expect(open.steps.first == "calendar 'support' is open: mon-fri 09:00-17:00")

        let closed = table.explain(call, health: .allEligible(1), at: thanksgiving)
        #expect(closed.matchedRoute == "holiday")
        #expect(closed.steps.first == "calendar 'support' is closed: Thanksgiving Day (holidays/us.ics line 108)")

        let other = table.explain(.call(number: "+14155550199"), health: .allEligible(1), at: thanksgiving)
        #expect(
            other.skipped.map(\.reason) == [
                "number is \"+14155550199\"",
                "calendar 'support' is closed: Thanksgiving Day (holidays/us.ics line 108)",
            ])
    }

    @Test func calendarsInsideAnyAreExplained() throws {
        let table = try BusinessCalendarTests.table(
            Self.support,
            routes: """
                  - name: either
                    when: { any: [{ caller: "+1900*" }, { calendar: support }] }
                    to: a
                """, files: Self.holidays)
        let explanation = table.explain(
            .call(), health: .allEligible(1), at: BusinessCalendarTests.at("2026-11-27T15:00:00Z"))
        #expect(explanation.matchedRoute == "either")
        #expect(explanation.steps.first == "calendar 'support' is open: mon-fri 09:00-17:00")
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var calendars: String
        var routes = "  - { name: all, to: a }"
        var files: [String: String] = [:]
        var problem: String
        var testDescription: String { problem }
    }

    static let bad: [Bad] = [
        Bad(
            calendars: "  c: { zone: Mars/Olympus }",
            problem: "routes.yaml:3:14: unknown time zone 'Mars/Olympus' (use an IANA name like America/New_York)"),
        Bad(
            calendars: "  c: { hours: { mon: \"09:00-17:00\" } }",
            problem: "routes.yaml:3:3: calendar 'c' needs 'zone:'"),
        Bad(
            calendars: "  c: { zone: UTC, hourz: {} }",
            problem: "routes.yaml:3:19: unknown key 'hourz' in calendar 'c' (did you mean 'hours'?)"),
        Bad(
            calendars: "  c: { zone: UTC, hours: { mon-fry: \"09:00-17:00\" } }",
            problem: "routes.yaml:3:28: hours: 'mon-fry' is not a day"),
        Bad(
            calendars: "  c: { zone: UTC, hours: { mon: \"9-17\" } }",
            problem: "routes.yaml:3:33: hours 'mon': '9-17' is not HH:MM-HH:MM"),
        Bad(
            calendars: "  c: { zone: UTC, hours: { mon-fri: \"09:00-17:00\", fri: \"10:00-11:00\" } }",
            problem: "routes.yaml:3:52: hours: fri already has hours (line 3)"),
        Bad(
            calendars: "  c: { zone: UTC, closed: [\"2026-02-30\"] }",
            problem: "routes.yaml:3:28: closed: '2026-02-30' is not a date like 2026-12-25"),
        Bad(
            calendars: "  c: { zone: UTC, closed: [\"2026-03-02..2026-03-01\"] }",
            problem: "routes.yaml:3:28: closed: the range '2026-03-02..2026-03-01' ends before it starts"),
        Bad(
            calendars: "  c: { zone: UTC, special: { \"2026-13-01\": closed } }",
            problem: "routes.yaml:3:30: special: '2026-13-01' is not a date"),
        Bad(
            calendars: "  c: { zone: UTC, closed: [\"2026-12-24\"], special: { \"2026-12-24\": \"10:00-12:00\" } }",
            problem: "routes.yaml:3:54: special: 2026-12-24 is also closed (line 3)"),
        Bad(
            calendars: "  c: { zone: UTC }", routes: "  - { name: r, when: { calendar: d }, to: a }",
            problem: "routes.yaml:7:34: unknown calendar 'd'"),
        Bad(
            calendars: "  c: { zone: UTC }", routes: "  - { name: r, when: { calendar: { open: false } }, to: a }",
            problem: "routes.yaml:7:34: calendar needs 'name:'"),
        Bad(
            calendars: "  c: { zone: UTC }",
            routes: "  - { name: r, when: { calendar: { name: c, open: maybe } }, to: a }",
            problem: "routes.yaml:7:51: open must be true or false, not 'maybe'"),
        Bad(
            calendars: "  c: { zone: UTC, ics: [holidays/missing.ics] }", problem: "routes.yaml:3:25: ics: cannot read"),
        Bad(
            calendars: "  c: { zone: UTC, ics: holidays/bad.ics }",
            files: [
                "holidays/bad.ics":
                    "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260230\nEND:VEVENT\nBEGIN:VEVENT\nDTSTART:20260101\nRRULE:FREQ=MONTHLY;BYSETPOS=1\nEND:VEVENT\nEND:VCALENDAR\n"
            ],
            problem:
                "holidays/bad.ics:3:1: DTSTART '20260230' is not a valid date (2026-02-30 does not exist)\nholidays/bad.ics:7:1: RRULE: BYSETPOS is outside the supported subset"
        ),
    ]

    @Test(arguments: bad) func problemsAreReportedWithTheirPlace(_ bad: Bad) {
        #expect(throws: Fixtures.FixtureError.self) {
            try BusinessCalendarTests.table(bad.calendars, routes: bad.routes, files: bad.files)
        }
        do {
            _ = try BusinessCalendarTests.table(bad.calendars, routes: bad.routes, files: bad.files)
        } catch {
            #expect("\(error)".contains(bad.problem), "\(error)")
        }
    }

    /// A calendar that failed to compile is not reported again as unknown where a route uses it.
    @Test func brokenCalendarIsReportedOnce() {
        do {
            _ = try BusinessCalendarTests.table(
                "  c: { zone: Nowhere/Else }", routes: "  - { name: r, when: { calendar: c }, to: a }")
            Issue.record("the table loaded")
        } catch {
            #expect("\(error)".split(separator: "\n").count == 1, "\(error)")
        }
    }

    /// The `.ics` content is part of the table's version.
    @Test func versionFollowsTheCalendarFiles() throws {
        let calendars = "  c: { zone: UTC, ics: [holidays/a.ics] }"
        let one = ICalendarParserTests.calendar("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261225\nEND:VEVENT")
        let two = ICalendarParserTests.calendar("BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261226\nEND:VEVENT")
        let first = try BusinessCalendarTests.table(calendars, files: ["holidays/a.ics": one])
        let second = try BusinessCalendarTests.table(calendars, files: ["holidays/a.ics": two])
        #expect(first.version != second.version)
        #expect(first.calendarFiles.count == 1)
        #expect(first.calendarFiles.first?.hasSuffix("/holidays/a.ics") == true)
    }
}
