import Foundation

extension ICalendarParser {
    /// Parses an `RRULE` value; nil (with a problem recorded) when it is malformed or outside the subset.
    mutating func recurrenceRule(_ property: ContentLine, start: EventTime) -> RecurrenceRule? {
        var frequency: RecurrenceRule.Frequency?
        var rule = RecurrenceRule(frequency: .daily)
        var untilText: String?
        func fail(_ message: String) -> RecurrenceRule? {
            problem(property, "RRULE: \(message)")
            return nil
        }
        func numbers(_ text: String, in range: ClosedRange<Int>, allowNegative: Bool) -> [Int]? {
            let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard
                values.allSatisfy({ value in
                    guard let value else { return false }
                    return range.contains(allowNegative ? abs(value) : value)
                })
            else { return nil }
            return values.map { $0! }
        }
        for part in property.value.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { return fail("'\(part)' is not KEY=VALUE") }
            let (key, value) = (pair[0].uppercased(), pair[1].uppercased())
            switch key {
            case "FREQ":
                guard let parsed = RecurrenceRule.Frequency(rawValue: value) else {
                    return fail("FREQ=\(value) is outside the supported subset (YEARLY, MONTHLY, WEEKLY, DAILY)")
                }
                frequency = parsed
            case "INTERVAL":
                guard let interval = Int(value), interval >= 1 else {
                    return fail("INTERVAL must be a whole number from 1, not '\(value)'")
                }
                rule.interval = interval
            case "COUNT":
                guard let count = Int(value), count >= 1 else {
                    return fail("COUNT must be a whole number from 1, not '\(value)'")
                }
                rule.count = count
            case "UNTIL": untilText = value
            case "BYMONTH":
                guard let months = numbers(value, in: 1...12, allowNegative: false) else {
                    return fail("BYMONTH takes months 1 to 12, not '\(value)'")
                }
                rule.months = months
            case "BYMONTHDAY":
                guard let days = numbers(value, in: 1...31, allowNegative: true) else {
                    return fail("BYMONTHDAY takes days 1 to 31 or -31 to -1, not '\(value)'")
                }
                rule.monthDays = days
            case "BYDAY":
                var weekdays: [RecurrenceRule.WeekdayNumber] = []
                for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let code = String(item.suffix(2))
                    let prefix = item.dropLast(2)
                    guard let weekday = RecurrenceRule.weekdayCodes.firstIndex(of: code),
                        prefix.isEmpty || (Int(prefix).map { $0 != 0 && abs($0) <= 53 } ?? false)
                    else { return fail("BYDAY item '\(item)' is not a weekday like MO, 4TH or -1MO") }
                    weekdays.append(.init(ordinal: Int(prefix) ?? 0, weekday: weekday))
                }
                rule.weekdays = weekdays
            case "WKST":
                guard let weekday = RecurrenceRule.weekdayCodes.firstIndex(of: value) else {
                    return fail("WKST '\(value)' is not a weekday like MO")
                }
                rule.weekStart = weekday
            default:
                if RecurrenceRule.unsupportedKeys.contains(key) || key.hasPrefix("BY") {
                    return fail(
                        "\(key) is outside the supported subset (FREQ, INTERVAL, COUNT, UNTIL, BYMONTH, BYMONTHDAY, BYDAY, WKST)"
                    )
                }
                return fail("unknown part '\(key)'")
            }
        }
        guard let frequency else { return fail("FREQ is missing") }
        rule.frequency = frequency
        if rule.count != nil, untilText != nil { return fail("COUNT and UNTIL cannot both be given (RFC 5545)") }
        let ordinals = rule.weekdays.filter { $0.ordinal != 0 }
        if !ordinals.isEmpty, frequency == .weekly || frequency == .daily {
            return fail(
                "BYDAY ordinals like \(RecurrenceRule.ordinalText(ordinals[0])) need FREQ=MONTHLY or FREQ=YEARLY")
        }
        if frequency == .monthly || (frequency == .yearly && !rule.months.isEmpty),
            let wide = ordinals.first(where: { abs($0.ordinal) > 5 })
        {
            return fail("BYDAY \(RecurrenceRule.ordinalText(wide)): a month has at most 5 of each weekday")
        }
        if frequency == .weekly, !rule.monthDays.isEmpty { return fail("BYMONTHDAY cannot be used with FREQ=WEEKLY") }
        if let untilText {
            var until = property
            until.name = "UNTIL"
            until.value = untilText
            until.parameters = [:]
            if case .zone(let zone) = start.frame, !untilText.hasSuffix("Z"), untilText.count > 8 {
                until.parameters["TZID"] = zone.identifier
            }
            guard let time = time(until) else { return nil }
            switch (start.frame, time.frame) {
            case (_, .date): rule.until = time.date.adding(days: 1).midnight - 1
            case (.zone(let zone), .utc): rule.until = ZoneClock(zone: zone).local(time.local)
            default: rule.until = time.local
            }
        }
        return rule
    }
}

extension RecurrenceRule {
    static func ordinalText(_ item: WeekdayNumber) -> String { "\(item.ordinal)\(weekdayCodes[item.weekday])" }
}
