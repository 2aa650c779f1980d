import Foundation

extension ICalendarParser {
    /// Properties that would change when an event happens but are outside the subset.
    static let unsupportedProperties: [String: String] = [
        "RDATE": "RDATE (extra occurrence dates) is not supported; add separate events instead",
        "EXRULE": "EXRULE is not supported (it is deprecated by RFC 5545); use EXDATE",
        "RECURRENCE-ID": "RECURRENCE-ID (a moved or edited occurrence) is not supported; add an EXDATE for the "
            + "original date and a separate event for the new one",
    ]

    /// Builds one event from its properties; nil (with problems recorded) when it cannot be used.
    mutating func event(_ properties: [ContentLine], line: Int) -> CalendarEvent? {
        let before = problems.count
        var start: EventTime?
        var end: EventTime?
        var length: Int64?
        var summary = "untitled event"
        var rule: RecurrenceRule?
        var ruleLine: ContentLine?
        var exceptions = Set<Int64>()
        var exceptionLines: [ContentLine] = []
        var cancelled = false
        for property in properties {
            switch property.name {
            case "DTSTART": start = time(property)
            case "DTEND": end = time(property)
            case "DURATION":
                length = Self.duration(property.value)
                if length == nil {
                    problem(property, "DURATION '\(property.value)' is not a duration like P1D or PT2H30M")
                }
            case "SUMMARY": summary = Self.unescape(property.value)
            case "STATUS": cancelled = property.value.uppercased() == "CANCELLED"
            case "RRULE":
                guard ruleLine == nil else {
                    problem(property, "more than one RRULE in one event is not supported")
                    continue
                }
                ruleLine = property
            case "EXDATE": exceptionLines.append(property)
            default:
                if let message = Self.unsupportedProperties[property.name] { problem(property, message) }
            }
        }
        guard let start else {
            if problems.count == before { problems.append(Problem(line: line, message: "VEVENT has no DTSTART")) }
            return nil
        }
        if let ruleLine { rule = recurrenceRule(ruleLine, start: start) }
        for property in exceptionLines {
            for value in property.value.split(separator: ",") {
                var single = property
                single.value = String(value)
                guard let exception = time(single) else { continue }
                exceptions.insert(Self.onClockOf(start, exception))
            }
        }
        if let end {
            guard end.isDate == start.isDate else {
                problem(at: line, "DTSTART and DTEND must both be dates or both be date-times")
                return nil
            }
            length = Self.onClockOf(start, end) - start.local
        }
        let resolved = length ?? (start.isDate ? 86_400 : 0)
        if resolved < 0 {
            problem(at: line, "the event ends before it starts")
        }
        guard problems.count == before, !cancelled else { return nil }
        return CalendarEvent(
            summary: summary, line: line, start: start, length: resolved, rule: rule, exceptions: exceptions)
    }

    /// `time` moved onto `start`'s clock (an `EXDATE` or `DTEND` in another zone, a date for a timed event).
    private static func onClockOf(_ start: EventTime, _ time: EventTime) -> Int64 {
        if time.isDate, !start.isDate { return time.date.midnight + start.secondOfDay }
        switch (start.frame, time.frame) {
        case (let a, let b) where a == b: return time.local
        case (.zone(let zone), .utc): return ZoneClock(zone: zone).local(time.local)
        case (.utc, .zone(let zone)): return ZoneClock(zone: zone).instant(local: time.local)
        case (.zone(let target), .zone(let source)):
            return ZoneClock(zone: target).local(ZoneClock(zone: source).instant(local: time.local))
        default: return time.local
        }
    }

    /// A `DTSTART`, `DTEND` or `EXDATE` value: `20261126` (`VALUE=DATE`), `20261126T090000` (floating),
    /// `20261126T140000Z` (UTC) or with `TZID=America/New_York`.
    mutating func time(_ property: ContentLine) -> EventTime? {
        let text = property.value.trimmingCharacters(in: .whitespaces)
        let isDate = property.parameters["VALUE"]?.uppercased() == "DATE" || (text.count == 8 && !text.contains("T"))
        let digits = text.prefix(8)
        guard digits.count == 8, digits.allSatisfy(\.isASCIIDigit),
            let date = CivilDate(
                year: Int(digits.prefix(4))!, month: Int(digits.dropFirst(4).prefix(2))!, day: Int(digits.suffix(2))!)
        else {
            let shown =
                digits.count == 8 && digits.allSatisfy(\.isASCIIDigit)
                ? " (\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2)) does not exist)" : ""
            problem(property, "\(property.name) '\(text)' is not a valid date\(shown)")
            return nil
        }
        if isDate {
            guard text.count == 8 else {
                problem(property, "\(property.name) '\(text)' is not a date like 20261126 (VALUE=DATE)")
                return nil
            }
            return EventTime(frame: .date, local: date.midnight)
        }
        let rest = text.dropFirst(8)
        let clock = rest.hasSuffix("Z") ? rest.dropFirst().dropLast() : rest.dropFirst()
        guard rest.first == "T", clock.count == 6, clock.allSatisfy(\.isASCIIDigit),
            let hour = Int(clock.prefix(2)), let minute = Int(clock.dropFirst(2).prefix(2)),
            let second = Int(clock.suffix(2)),
            hour < 24, minute < 60, second <= 60
        else {
            problem(
                property,
                "\(property.name) '\(text)' is not a date-time like 20261126T090000, 20261126T140000Z or 20261126")
            return nil
        }
        let local = date.midnight + Int64(hour * 3600 + minute * 60 + min(second, 59))
        if rest.hasSuffix("Z") { return EventTime(frame: .utc, local: local) }
        guard var zoneName = property.parameters["TZID"] else { return EventTime(frame: .floating, local: local) }
        if zoneName.hasPrefix("/") { zoneName.removeFirst() }
        guard let zone = TimeZone(identifier: zoneName) else {
            problem(
                property,
                "unknown time zone TZID=\(zoneName) (Switchboard reads IANA names like America/New_York; "
                    + "VTIMEZONE definitions are not read)")
            return nil
        }
        return EventTime(frame: .zone(zone), local: local)
    }

    /// `P1D`, `PT2H30M`, `P1W`, `P1DT12H` (a leading `+` is allowed) in seconds; nil when malformed or negative.
    static func duration(_ text: String) -> Int64? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if rest.hasPrefix("+") { rest.removeFirst() }
        guard rest.hasPrefix("P"), rest.count > 1 else { return nil }
        rest.removeFirst()
        var total: Int64 = 0
        var number = ""
        var inTime = false
        var sawValue = false
        let units: [Character: Int64] = ["W": 604_800, "D": 86_400]
        let timeUnits: [Character: Int64] = ["H": 3600, "M": 60, "S": 1]
        for character in rest {
            if character.isASCIIDigit {
                number.append(character)
            } else if character == "T", number.isEmpty, !inTime {
                inTime = true
            } else if let unit = (inTime ? timeUnits : units)[character], let value = Int64(number) {
                total += value * unit
                number = ""
                sawValue = true
            } else {
                return nil
            }
        }
        return number.isEmpty && sawValue ? total : nil
    }

    /// TEXT value escapes: `\,` `\;` `\\` `\n`.
    static func unescape(_ text: String) -> String {
        var result = ""
        var escaped = false
        for character in text {
            if escaped {
                result.append(character == "n" || character == "N" ? " " : character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                result.append(character)
            }
        }
        return result
    }

    mutating func problem(_ property: ContentLine, _ message: String) {
        problems.append(Problem(line: property.line, message: message))
    }

    mutating func problem(at line: Int, _ message: String) {
        problems.append(Problem(line: line, message: message))
    }
}
