import Foundation

/// Reads the `VEVENT`s of an iCalendar (RFC 5545) file, within the subset docs/routes.md lists.
///
/// No maintained Swift iCalendar package is available to this project, so this is a small parser for exactly what
/// calendars need: folded lines, `VEVENT` with `DTSTART`, `DTEND` or `DURATION` (all-day, UTC, `TZID=` and floating
/// times), `SUMMARY`, `RRULE` (``RecurrenceRule``), `EXDATE` and `STATUS`. Other components (`VTIMEZONE`, `VALARM`,
/// `VTODO`) and descriptive properties are skipped; a property that would change which times are closed but is
/// outside the subset (`RDATE`, `EXRULE`, `RECURRENCE-ID`, an unsupported `RRULE` part) is a problem, never ignored.
struct ICalendarParser {
    /// A problem at a line of the file.
    struct Problem: Sendable, Hashable {
        var line: Int
        var message: String
    }

    /// One unfolded content line: `NAME;PARAM=VALUE:value`.
    struct ContentLine {
        var name: String
        var parameters: [String: String]
        var value: String
        var line: Int
    }

    var events: [CalendarEvent] = []
    var problems: [Problem] = []

    /// Parses `text`; `events` holds every valid event and `problems` everything wrong, in file order.
    init(_ text: String) {
        let lines = Self.unfold(text)
        guard let first = lines.first, first.text.uppercased() == "BEGIN:VCALENDAR" else {
            problems.append(
                Problem(
                    line: lines.first?.line ?? 1, message: "not an iCalendar file (it must begin with BEGIN:VCALENDAR)")
            )
            return
        }
        var stack: [String] = []
        var properties: [ContentLine] = []
        var eventLine = 0
        for (text, number) in lines {
            guard let content = Self.contentLine(text, line: number) else {
                problems.append(Problem(line: number, message: "malformed line (expected NAME:value)"))
                continue
            }
            switch content.name {
            case "BEGIN":
                let component = content.value.uppercased()
                if component == "VEVENT" {
                    properties = []
                    eventLine = number
                }
                stack.append(component)
            case "END":
                let component = content.value.uppercased()
                guard stack.last == component else {
                    problems.append(
                        Problem(
                            line: number, message: "END:\(component) does not close BEGIN:\(stack.last ?? "(nothing)")")
                    )
                    continue
                }
                stack.removeLast()
                if component == "VEVENT", let event = event(properties, line: eventLine) { events.append(event) }
            default:
                if stack.last == "VEVENT" { properties.append(content) }
            }
        }
        if let open = stack.last {
            problems.append(
                Problem(line: lines.last?.line ?? 1, message: "BEGIN:\(open) is never closed with END:\(open)"))
        }
    }

    /// Logical lines with the physical line each starts on: a line beginning with a space or tab continues the one
    /// before it (RFC 5545 §3.1), and blank lines are dropped.
    static func unfold(_ text: String) -> [(text: String, line: Int)] {
        var result: [(text: String, line: Int)] = []
        // "\r\n" is one Character in Swift.
        let physicalLines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        for (index, physical) in physicalLines.enumerated() {
            if let first = physical.first, first == " " || first == "\t", !result.isEmpty {
                result[result.count - 1].text += physical.dropFirst()
            } else if !physical.isEmpty {
                result.append((String(physical), index + 1))
            }
        }
        return result
    }

    /// Splits `NAME;P1=V1;P2="V:2":value`; names are uppercased, quoted parameter values unquoted.
    static func contentLine(_ text: String, line: Int) -> ContentLine? {
        var name = ""
        var parameterName = ""
        var parameterValue = ""
        var parameters: [String: String] = [:]
        var inQuotes = false
        enum Part { case name, parameterName, parameterValue }
        var part = Part.name
        for (offset, character) in text.enumerated() {
            if part == .parameterValue, character == "\"" {
                inQuotes.toggle()
                continue
            }
            if !inQuotes, character == ";" || character == ":" {
                if part == .parameterValue || part == .parameterName {
                    parameters[parameterName.uppercased()] = parameterValue
                }
                if character == ":" {
                    guard !name.isEmpty else { return nil }
                    let value = String(text.dropFirst(offset + 1))
                    return ContentLine(name: name.uppercased(), parameters: parameters, value: value, line: line)
                }
                (part, parameterName, parameterValue) = (.parameterName, "", "")
                continue
            }
            switch part {
            case .name: name.append(character)
            case .parameterName:
                if character == "=" { part = .parameterValue } else { parameterName.append(character) }
            case .parameterValue: parameterValue.append(character)
            }
        }
        return nil
    }
}
