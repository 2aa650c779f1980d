import ArgumentParser
import Foundation
import SwitchboardTestSupport
import Testing

@testable import switchboard

/// `switchboard calendar` and what `validate` says about calendars, run as the built binary.
@Suite(.timeLimit(.minutes(2)))
struct CalendarCommandTests {
    static let routes = """
        version: 1
        calendars:
          support:
            zone: America/New_York
            hours: { mon-fri: "09:00-17:00", sat: "10:00-13:00" }
            special: { "2026-12-24": "10:00-14:00" }
            ics: [holidays.ics]
        backends:
          a: { url: "ws://a", health: { check: none } }
        routes:
          - { name: open, when: { calendar: support }, to: a }
        """

    /// A scratch directory with the routes above and the U.S. federal holidays fixture as `holidays.ics`.
    static func scratch() throws -> (Scratch, String) {
        let scratch = try Scratch()
        try scratch.write("holidays.ics", String(contentsOfFile: Fixture.usHolidaysPath, encoding: .utf8))
        return (scratch, try scratch.write("routes.yaml", routes))
    }

    @Test func argumentsParse() throws {
        let command = try SwitchboardCommand.parseAsRoot([
            "calendar", "support", "--routes", "r.yaml", "--from", "2026-01-01", "--to", "2026-01-31", "--json",
        ])
        let calendar = try #require(command as? ShowCalendar)
        #expect(calendar.name == "support")
        #expect(calendar.options.routes == "r.yaml")
        #expect(calendar.json)
    }

    @Test func printsEachDayWithTheEntryThatDecided() async throws {
        let (scratch, routes) = try Self.scratch()
        let result = try await ChildProcess.run([
            "calendar", "support", "--routes", routes, "--from", "2026-11-26", "--to", "2026-11-29",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout == """
                calendar support (America/New_York)
                DATE        DAY  OPEN         WHY
                2026-11-26  thu  closed       closed: Thanksgiving Day (holidays.ics line 108)
                2026-11-27  fri  09:00-17:00  open: mon-fri 09:00-17:00
                2026-11-28  sat  10:00-13:00  open: sat 10:00-13:00
                2026-11-29  sun  closed       closed: outside hours (mon-fri 09:00-17:00; sat 10:00-13:00)

                """)
        _ = scratch
    }

    @Test func printsJSON() async throws {
        let (scratch, routes) = try Self.scratch()
        let result = try await ChildProcess.run([
            "calendar", "support", "--routes", routes, "--from", "2026-12-24", "--to", "2026-12-25", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["calendar"] as? String == "support")
        #expect(object["zone"] as? String == "America/New_York")
        let days = try #require(object["days"] as? [[String: Any]])
        #expect(days.map { $0["date"] as? String } == ["2026-12-24", "2026-12-25"])
        #expect(
            days[0]["open"] as? [[String: String]] == [
                ["from": "10:00", "to": "14:00", "start": "2026-12-24T15:00:00Z", "end": "2026-12-24T19:00:00Z"]
            ])
        #expect(days[0]["why"] as? [String] == ["open: special hours 2026-12-24 10:00-14:00"])
        #expect((days[1]["open"] as? [Any])?.isEmpty == true)
        #expect(days[1]["why"] as? [String] == ["closed: Christmas Day (holidays.ics line 117)"])
        _ = scratch
    }

    @Test func exitCodes() async throws {
        let (scratch, routes) = try Self.scratch()
        let unknown = try await ChildProcess.run([
            "calendar", "sales", "--routes", routes, "--from", "2026-01-01", "--to", "2026-01-02",
        ])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("sales: no such calendar (calendars: support)"))

        for arguments in [
            ["--from", "2026-02-30", "--to", "2026-03-01"], ["--from", "2026-03-02", "--to", "2026-03-01"],
            ["--from", "2026-01-01"], ["--from", "2026-01-01", "--to", "2040-01-01"],
        ] {
            let usage = try await ChildProcess.run(["calendar", "support", "--routes", routes] + arguments)
            #expect(usage.status == 2, "\(arguments)")
            #expect(usage.stdout.isEmpty)
        }

        let broken = try scratch.write("broken.yaml", "version: 1\nroutes: []\ncalendars: { c: { zone: Nowhere } }\n")
        let invalid = try await ChildProcess.run([
            "calendar", "c", "--routes", broken, "--from", "2026-01-01", "--to", "2026-01-02",
        ])
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("\(broken):3:25: unknown time zone 'Nowhere'"))
    }

    @Test func validateReportsABadCalendarFileWithItsLine() async throws {
        let (scratch, routes) = try Self.scratch()
        let ics = scratch.path("holidays.ics")
        try scratch.write(
            "holidays.ics",
            """
            BEGIN:VCALENDAR\r
            BEGIN:VEVENT\r
            DTSTART;VALUE=DATE:20260230\r
            END:VEVENT\r
            BEGIN:VEVENT\r
            DTSTART;VALUE=DATE:20260101\r
            RRULE:FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1\r
            END:VEVENT\r
            END:VCALENDAR\r

            """)
        let result = try await ChildProcess.run(["validate", routes])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains("\(ics):3:1: DTSTART '20260230' is not a valid date (2026-02-30 does not exist)"))
        #expect(result.stderr.contains("\(ics):7:1: RRULE: BYSETPOS is outside the supported subset"))
        #expect(result.stderr.contains("\(routes): invalid (2 problems)"))
    }
}
