import Foundation
import HTTPTypes
import SwitchboardCore
import SwitchboardTestSupport
import Synchronization
import Testing

@testable import SwitchboardServer

/// Calendars in a running Switchboard: signed webhooks routed by the calendar, and `.ics` files watched and
/// reloaded like the routes file.
@Suite(.timeLimit(.minutes(1)))
struct CalendarServerTests {
    static func routes(ics: String = "holidays/us.ics") -> String {
        """
        version: 1
        calendars:
          support:
            zone: America/New_York
            hours: { mon-fri: "09:00-17:00" }
            ics: [\(ics)]
        backends:
          open: { url: "wss://open.example/calls", health: { check: none } }
          holiday: { url: "wss://holiday.example/calls", health: { check: none } }
        routes:
          - name: closed
            when: { calendar: { name: support, open: false } }
            to: holiday
          - name: open
            when: { calendar: support }
            to: open
        """
    }

    static let thanksgiving = Date(timeIntervalSince1970: 1_795_705_200)  // 2026-11-26T15:00:00Z, 10:00 in New York
    static let dayAfter = thanksgiving.addingTimeInterval(86_400)

    /// A directory with `routes.yaml` and `holidays/us.ics` (the U.S. federal holidays fixture).
    static func directory(ics: String? = nil) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("calendar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("holidays"), withIntermediateDirectories: true)
        try routes().write(to: directory.appendingPathComponent("routes.yaml"), atomically: true, encoding: .utf8)
        let text = try ics ?? String(contentsOfFile: Fixture.usHolidaysPath, encoding: .utf8)
        try text.write(to: directory.appendingPathComponent("holidays/us.ics"), atomically: true, encoding: .utf8)
        return directory
    }

    static func event(on date: String, _ summary: String) -> String {
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:\(date)\r\nSUMMARY:\(summary)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    }

    @Test func signedWebhookOnAHolidayGetsTheHolidayRoute() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = Mutex(Self.dayAfter)
        try await LiveSwitchboard.with(
            routesFile: directory.appendingPathComponent("routes.yaml").path,
            configure: { $0.routingClock = { now.withLock { $0 } } }
        ) { live in
            #expect(try await live.answer(callID: "call-open") == "open")
            now.withLock { $0 = Self.thanksgiving }
            #expect(try await live.answer(callID: "call-holiday") == "holiday")

            let explanation = try await live.admin(
                .get, "/admin/explain?caller=%2B14155550999&number=%2B14155550100&at=2026-11-26T15:00:00Z"
            ).json
            #expect(explanation["matched_route"] as? String == "closed")
            #expect(
                (explanation["steps"] as? [String])?.first
                    == "calendar 'support' is closed: Thanksgiving Day (holidays/us.ics line 108)")
        }
    }

    @Test func calendarFileChangesAreReloadedAndABrokenOneKeepsTheTable() async throws {
        let directory = try Self.directory(ics: Self.event(on: "20260101", "New Year's Day"))
        defer { try? FileManager.default.removeItem(at: directory) }
        let ics = directory.appendingPathComponent("holidays/us.ics").path
        try await LiveSwitchboard.with(
            routesFile: directory.appendingPathComponent("routes.yaml").path, watchRoutes: true,
            configure: { $0.routingClock = { Self.thanksgiving } }
        ) { live in
            #expect(try await live.answer(callID: "before") == "open")
            try Self.event(on: "20261126", "Thanksgiving").write(toFile: ics, atomically: true, encoding: .utf8)
            #expect(try await eventually { try await live.answer(callID: UUID().uuidString) == "holiday" })

            // A broken file: the running table stays, and /status names the file and line.
            try "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261131\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
                .write(toFile: ics, atomically: true, encoding: .utf8)
            #expect(
                try await eventually {
                    let table = try await live.admin(.get, "/status").json["table"] as? [String: Any]
                    return (table?["last_reload_error"] as? String)?.contains(
                        "\(ics):3:1: DTSTART '20261131' is not a valid date (2026-11-31 does not exist)") == true
                })
            #expect(try await live.answer(callID: UUID().uuidString) == "holiday")
        }
    }

    /// A watched Switchboard on Thanksgiving 2026 whose calendar reads `holidays/us.ics` (New Year's Day only), with
    /// `holidays/other.ics` holding `other` beside it; `body` gets the other file's path.
    static func watching(other: String, _ body: @Sendable (LiveSwitchboard, String) async throws -> Void) async throws {
        let directory = try Self.directory(ics: Self.event(on: "20260101", "New Year's Day"))
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("holidays/other.ics").path
        try other.write(toFile: path, atomically: true, encoding: .utf8)
        try await LiveSwitchboard.with(
            routesFile: directory.appendingPathComponent("routes.yaml").path, watchRoutes: true,
            configure: { $0.routingClock = { Self.thanksgiving } }
        ) { live in try await body(live, path) }
    }

    /// Writes a Thanksgiving closure to `path` until a webhook is routed by it (the first write may land while the
    /// watcher moves to a new set of files); false when none is within the wait.
    static func thanksgivingTakesEffect(writing path: String, _ live: LiveSwitchboard) async throws -> Bool {
        var version = 0
        return try await eventually {
            version += 1
            try Self.event(on: "20261126", "Thanksgiving \(version)").write(
                toFile: path, atomically: true, encoding: .utf8)
            return try await live.answer(callID: UUID().uuidString) == "holiday"
        }
    }

    /// A reload that names a new, broken `.ics` file fails; fixing that file reloads.
    @Test func fixingABrokenNewCalendarFileReloads() async throws {
        try await Self.watching(other: "not a calendar") { live, other in
            try Self.routes(ics: "holidays/other.ics").write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(
                try await eventually {
                    let table = try await live.admin(.get, "/status").json["table"] as? [String: Any]
                    return (table?["last_reload_error"] as? String)?.contains("\(other):1:1: not an iCalendar file")
                        == true
                })
            #expect(try await live.answer(callID: "before") == "open")
            #expect(try await Self.thanksgivingTakesEffect(writing: other, live))
        }
    }

    /// When a reload names another `.ics` file, the watcher follows it.
    @Test func watcherFollowsANewCalendarFile() async throws {
        try await Self.watching(other: Self.event(on: "20260101", "New Year's Day")) { live, other in
            try Self.routes(ics: "holidays/other.ics").write(toFile: live.routesPath, atomically: true, encoding: .utf8)
            #expect(
                await eventually {
                    live.switchboard.state.snapshot.table.calendarFiles.first?.hasSuffix("holidays/other.ics") == true
                })
            #expect(try await live.answer(callID: "before") == "open")
            #expect(try await Self.thanksgivingTakesEffect(writing: other, live))
        }
    }
}
