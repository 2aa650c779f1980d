import Foundation
import Yams

extension TableCompiler {
    static let calendarKeys: Set<String> = ["zone", "hours", "closed", "special", "ics"]

    /// `calendars:`: every calendar by name, with the `.ics` files it read.
    mutating func compileCalendars(_ node: Node) {
        for entry in reader.mapping(node, "calendars") ?? [] {
            let name = entry.key
            if name.isEmpty || !name.unicodeScalars.allSatisfy({ $0.isASCII && Self.nameCharacters.contains($0) }) {
                reader.diagnostics.error(
                    "calendar name '\(name)' may only hold letters, digits, '-', '_' and '.'", at: entry.keyNode)
            }
            declaredCalendars.insert(name)
            if let calendar = compileCalendar(entry) { calendars[name] = calendar }
        }
    }

    private mutating func compileCalendar(_ entry: ConfigReader.Entry) -> BusinessCalendar? {
        guard let fields = reader.mapping(entry.value, "calendar '\(entry.key)'", allowed: Self.calendarKeys) else {
            return nil
        }
        let field = Dictionary(fields.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let zone = self.zone(field["zone"], of: "calendar '\(entry.key)'", missingAt: entry.keyNode)
        var reasons = [""]
        let weekly = field["hours"].map { weeklyHours($0.value, reasons: &reasons) }
        reasons[0] = weekly.map { "closed: outside hours (\($0.summary))" } ?? "open: all day (no hours set)"
        let closures = field["closed"].map { closedDates($0.value, reasons: &reasons) } ?? []
        let specials = field["special"].map { specialDays($0.value, closures: closures, reasons: &reasons) } ?? [:]
        var events: [(event: CalendarEvent, reason: Int32)] = []
        if let node = field["ics"]?.value {
            for (path, event) in calendarFiles(node) {
                events.append((event, Int32(reasons.count)))
                reasons.append("closed: \(event.summary) (\(path) line \(event.line))")
            }
        }
        guard let zone else { return nil }
        let rules = BusinessCalendar.Rules(
            clock: ZoneClock(zone: zone), weekly: weekly?.windows, closures: closures.map(\.closure),
            specials: specials,
            events: events, reasons: reasons
        )
        return BusinessCalendar(name: entry.key, rules: rules, around: loadedAt)
    }

    /// `hours: { mon-fri: "09:00-17:00", sat: ["10:00-12:00", "13:00-15:00"] }`
    private mutating func weeklyHours(_ node: Node, reasons: inout [String]) -> (
        windows: [[BusinessCalendar.Window]], summary: String
    ) {
        var windows = [[BusinessCalendar.Window]](repeating: [], count: 7)
        var given = [SourceLocation?](repeating: nil, count: 7)
        var summary: [String] = []
        for entry in reader.mapping(node, "hours") ?? [] {
            guard let days = weekdays(entry.key) else {
                reader.diagnostics.error(
                    "hours: '\(entry.key)' is not a day (mon, tue, …), a range like mon-fri or a list like sat,sun",
                    at: entry.keyNode)
                continue
            }
            for day in days {
                if let first = given[day] {
                    reader.diagnostics.error(
                        "hours: \(CivilDate.weekdayNames[day]) already has hours (line \(first.line))",
                        at: entry.keyNode)
                }
                given[day] = reader.diagnostics.location(of: entry.keyNode)
            }
            let parsed = dayWindows(entry.value, "hours '\(entry.key)'") { "open: \(entry.key) \($0)" }
            summary.append("\(entry.key) " + (parsed.isEmpty ? "closed" : parsed.map(\.text).joined(separator: ", ")))
            for window in parsed {
                let reason = Int32(reasons.count)
                reasons.append(window.reason)
                for day in days { windows[day].append(.init(start: window.start, end: window.end, reason: reason)) }
            }
        }
        return (windows, summary.joined(separator: "; "))
    }

    /// `mon-fri`, `sat` or `sat,sun` as weekdays (0 = Sunday).
    private func weekdays(_ text: String) -> [Int]? {
        var days: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.trimmingCharacters(in: .whitespaces).split(
                separator: "-", omittingEmptySubsequences: false)
            let indices = parts.compactMap { CivilDate.weekdayNames.firstIndex(of: String($0)) }
            guard (1...2).contains(parts.count), indices.count == parts.count else { return nil }
            var day = indices[0]
            while true {
                days.append(day)
                if day == indices.last! { break }
                day = (day + 1) % 7
            }
        }
        return days
    }

    /// `"09:00-17:00"`, a list of such windows, or `closed`: windows with the text and reason for each.
    private mutating func dayWindows(_ node: Node, _ what: String, reason: (String) -> String)
        -> [(start: Int, end: Int, text: String, reason: String)]
    {
        let items = node.sequence.map(Array.init) ?? [node]
        var windows: [(start: Int, end: Int, text: String, reason: String)] = []
        for item in items {
            guard let text = reader.string(item, what) else { continue }
            if text == "closed", node.sequence == nil { return [] }
            guard let (start, end) = Self.parseBetween(text) else {
                reader.diagnostics.error(
                    "\(what): '\(text)' is not HH:MM-HH:MM with two different times, like 09:00-17:00, or closed",
                    at: item)
                continue
            }
            windows.append((start, end > start ? end : end + 24 * 60, text, reason(text)))
        }
        return windows
    }

    /// `closed: ["2026-12-25", "2027-03-14..2027-03-15"]`
    private mutating func closedDates(_ node: Node, reasons: inout [String])
        -> [(closure: BusinessCalendar.Closure, line: Int)]
    {
        var closures: [(closure: BusinessCalendar.Closure, line: Int)] = []
        for item in reader.sequence(node, "closed") ?? [] {
            guard let text = reader.nonEmptyString(item, "closed date") else { continue }
            let parts = text.components(separatedBy: "..")
            let dates = parts.map { CivilDate($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...2).contains(parts.count), let first = dates[0], let last = dates[dates.count - 1] else {
                reader.diagnostics.error(
                    "closed: '\(text)' is not a date like 2026-12-25 or a range like 2027-03-14..2027-03-15 (a real date)",
                    at: item)
                continue
            }
            guard first <= last else {
                reader.diagnostics.error("closed: the range '\(text)' ends before it starts", at: item)
                continue
            }
            let line = reader.diagnostics.location(of: item).line
            closures.append((.init(first: first, last: last, reason: Int32(reasons.count)), line))
            reasons.append("closed: \(text) (\(routesFileName) line \(line))")
        }
        return closures
    }

    /// `special: { "2026-12-24": "10:00-14:00", "2026-12-31": closed }`
    private mutating func specialDays(
        _ node: Node, closures: [(closure: BusinessCalendar.Closure, line: Int)], reasons: inout [String]
    ) -> [CivilDate: BusinessCalendar.SpecialDay] {
        var specials: [CivilDate: BusinessCalendar.SpecialDay] = [:]
        for entry in reader.mapping(node, "special") ?? [] {
            guard let date = CivilDate(entry.key) else {
                reader.diagnostics.error(
                    "special: '\(entry.key)' is not a date like 2026-12-24 (a real date)", at: entry.keyNode)
                continue
            }
            if let clash = closures.first(where: { $0.closure.first <= date && date <= $0.closure.last }) {
                reader.diagnostics.error(
                    "special: \(date) is also closed (line \(clash.line)); give the date one entry", at: entry.keyNode)
            }
            let windows = dayWindows(entry.value, "special '\(entry.key)'") { "open: special hours \(entry.key) \($0)" }
            let line = reader.diagnostics.location(of: entry.keyNode).line
            let closed = Int32(reasons.count)
            reasons.append(
                windows.isEmpty
                    ? "closed: special day \(entry.key) (\(routesFileName) line \(line))"
                    : "closed: outside special hours \(entry.key) \(windows.map(\.text).joined(separator: ", "))")
            var day = BusinessCalendar.SpecialDay(windows: [], closed: closed)
            for window in windows {
                day.windows.append(.init(start: window.start, end: window.end, reason: Int32(reasons.count)))
                reasons.append(window.reason)
            }
            specials[date] = day
        }
        return specials
    }

    /// The routes file's name, as `explain` quotes it next to a line number.
    private var routesFileName: String { (reader.diagnostics.file as NSString).lastPathComponent }
}
