import ArgumentParser
import Foundation
import SwitchboardCore

/// `switchboard calendar NAME --from DATE --to DATE`: the opening times a calendar gives each day, to check a
/// year of holidays and special days at a glance.
struct ShowCalendar: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar",
        abstract: "Print the opening times a calendar gives each day of a range, and the entry that decided."
    )

    /// Longest range one run prints.
    static let maxDays = 3_660

    @Argument(help: "The calendar, as named under 'calendars:' in the routes file.")
    var name: String

    @OptionGroup var options: RoutesOptions

    @Option(help: "The first day, YYYY-MM-DD (in the calendar's zone).")
    var from: String

    @Option(help: "The last day, YYYY-MM-DD (included).")
    var to: String

    @Flag(help: "Print one JSON object for scripts.")
    var json = false

    func validate() throws {
        let (first, last) = try range()
        guard first <= last else { throw ValidationError("--from \(first) is after --to \(last)") }
        guard last.dayNumber - first.dayNumber < Self.maxDays else {
            throw ValidationError("the range is longer than \(Self.maxDays) days; print it in parts")
        }
    }

    func run() throws {
        let table = try options.load()
        guard let calendar = table.calendar(named: name) else {
            let known = table.calendars.map(\.name)
            printError(
                "\(name): no such calendar ("
                    + (known.isEmpty ? "the table has none" : "calendars: \(known.joined(separator: ", "))") + ")")
            throw ExitCode(1)
        }
        let (first, last) = try range()
        let days = calendar.days(from: first, through: last)
        if json {
            print(Self.json(calendar, days))
            return
        }
        print("calendar \(calendar.name) (\(calendar.zone.identifier))")
        var rows = [["DATE", "DAY", "OPEN", "WHY"]]
        for day in days {
            let open = day.openings.map { "\($0.localStart)-\($0.localEnd)" }.joined(separator: ", ")
            rows.append([
                "\(day.date)", CivilDate.weekdayNames[day.date.weekday], open.isEmpty ? "closed" : open,
                day.reasons.joined(separator: "; "),
            ])
        }
        printTable(rows)
    }

    private func range() throws -> (CivilDate, CivilDate) {
        guard let first = CivilDate(from) else {
            throw ValidationError("--from must be a date like 2026-01-31, not '\(from)'")
        }
        guard let last = CivilDate(to) else {
            throw ValidationError("--to must be a date like 2026-12-31, not '\(to)'")
        }
        return (first, last)
    }

    /// `{"calendar", "zone", "days": [{"date", "weekday", "open": [{"from", "to", "start", "end"}], "why"}]}`
    static func json(_ calendar: BusinessCalendar, _ days: [BusinessCalendar.Day]) -> String {
        let object: [String: Any] = [
            "calendar": calendar.name,
            "zone": calendar.zone.identifier,
            "days": days.map { day in
                [
                    "date": "\(day.date)",
                    "weekday": CivilDate.weekdayNames[day.date.weekday],
                    "open": day.openings.map {
                        [
                            "from": $0.localStart, "to": $0.localEnd,
                            "start": $0.start.formatted(.iso8601), "end": $0.end.formatted(.iso8601),
                        ]
                    },
                    "why": day.reasons,
                ] as [String: Any]
            },
        ]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
