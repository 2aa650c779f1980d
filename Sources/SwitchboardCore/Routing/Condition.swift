import Foundation

/// One entry of a route's `when:` map. A route matches when every one of its conditions holds.
struct Condition: Sendable {
    enum Test: Sendable {
        case attribute(Attribute, Matcher)
        /// `any:`: at least one of the condition maps holds entirely.
        case any([[Condition]])
        case time(TimeWindow)
        /// `calendar:`: the calendar is open (or, with `open: false`, closed).
        case calendar(BusinessCalendar, open: Bool)
        /// `split:`: the value's stable bucket (0..<10,000) is below `basisPoints`.
        case split(basisPoints: Int, by: Attribute)
    }

    var test: Test
    /// The condition as written, for `explain` (`caller: "+1900*"`).
    var source: String
    var location: SourceLocation

    func holds(in context: CallContext, at now: Date) -> Bool {
        test.holds(in: context, at: now)
    }

    /// What each calendar this condition consults says at `now` (for the route `explain` shows as matched).
    func calendarStates(in context: CallContext, at now: Date) -> [String] {
        switch test {
        case .calendar(let calendar, _):
            return ["calendar '\(calendar.name)' is \(calendar.state(at: now))"]
        case .any(let alternatives):
            let held = alternatives.first { $0.allSatisfy { $0.holds(in: context, at: now) } }
            return held?.flatMap { $0.calendarStates(in: context, at: now) } ?? []
        default:
            return []
        }
    }

    /// The caller's stable canary bucket, 0..<10,000: the same on every replica and after restarts.
    static func bucket(of value: AttributeValue) -> Int {
        let text: String
        switch value {
        case .string(let string): text = string
        default: text = value.description
        }
        return Int(StableHash.hash(text) % 10_000)
    }

    /// Why this condition does not hold, for `explain`: the value it saw.
    func failure(in context: CallContext, at now: Date) -> String {
        switch test {
        case .attribute(let attribute, _):
            guard let value = context.value(of: attribute) else { return "\(attribute) is absent" }
            return "\(attribute) is \(value)"
        case .any:
            return "no alternative of 'any' holds"
        case .time(let window):
            return "local time is \(window.describe(now))"
        case .calendar(let calendar, _):
            return "calendar '\(calendar.name)' is \(calendar.state(at: now))"
        case .split(let basisPoints, let attribute):
            guard let value = context.value(of: attribute) else { return "\(attribute) is absent" }
            return "\(attribute) falls in bucket \(Self.bucket(of: value)) of 10000, not below \(basisPoints)"
        }
    }
}

/// `time: {zone, days, between}`: a weekly window in an IANA time zone.
struct TimeWindow: Sendable {
    let zone: TimeZone
    /// Bit `d` set when weekday `d` is included (0 = Sunday).
    let days: UInt8
    /// Minutes after local midnight; `start > end` means the window crosses midnight and belongs to the day it starts.
    let start: Int
    let end: Int

    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    static let everyDay: UInt8 = 0x7F

    /// Local weekday (0 = Sunday) and minute of day.
    func local(_ date: Date) -> (weekday: Int, minute: Int) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: date)
        let (day, secondOfDay) = seconds.quotientAndRemainderFlooring(dividingBy: 86_400)
        // 1970-01-01 was a Thursday (4).
        let weekday = ((day + 4) % 7 + 7) % 7
        return (weekday, secondOfDay / 60)
    }

    func contains(_ date: Date) -> Bool {
        let (weekday, minute) = local(date)
        func includes(_ day: Int) -> Bool { days & (1 << UInt8((day + 7) % 7)) != 0 }
        if start < end { return includes(weekday) && minute >= start && minute < end }
        // Crosses midnight: the evening part belongs to today, the early-morning part to yesterday.
        return (includes(weekday) && minute >= start) || (includes(weekday - 1) && minute < end)
    }

    func describe(_ date: Date) -> String {
        let (weekday, minute) = local(date)
        return String(format: "%@ %02d:%02d in %@", Self.dayNames[weekday], minute / 60, minute % 60, zone.identifier)
    }
}

extension Int {
    /// Division rounding toward negative infinity, with a non-negative remainder.
    fileprivate func quotientAndRemainderFlooring(dividingBy divisor: Int) -> (Int, Int) {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}

extension Condition.Test {
    /// Whether the test holds. On `Test` rather than `Condition`, so a caller reading conditions in place copies only
    /// this (a copy of a condition would retain its source text and location too).
    func holds(in context: CallContext, at now: Date) -> Bool {
        switch self {
        case .attribute(let attribute, let matcher):
            guard let value = context.value(of: attribute) else { return false }
            return matcher.matches(value)
        case .any(let alternatives):
            return alternatives.contains { conditions in conditions.allSatisfy { $0.holds(in: context, at: now) } }
        case .time(let window):
            return window.contains(now)
        case .calendar(let calendar, let open):
            return calendar.isOpen(at: now) == open
        case .split(let basisPoints, let attribute):
            guard let value = context.value(of: attribute) else { return false }
            return Condition.bucket(of: value) < basisPoints
        }
    }
}
