import Foundation
import Synchronization

/// The `Date` response header (RFC 9110's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), formatted when a response
/// needs it and reused for the rest of that second.
///
/// Hummingbird's `Application` keeps this value fresh with a task that wakes every second for the listener's whole
/// life, busy or idle. Formatted on demand, an idle listener has nothing to wake for (docs/performance.md#idle-cpu).
final class HTTPDate: Sendable {
    static let shared = HTTPDate()

    private let cached = Mutex<(second: Int64, value: String)>((.min, ""))

    /// The header's value at `now`.
    func value(at now: Date = Date()) -> String {
        let second = Int64(now.timeIntervalSince1970.rounded(.down))
        return cached.withLock { cached in
            if cached.second != second { cached = (second, Self.format(secondsSince1970: second)) }
            return cached.value
        }
    }

    private static let days: [StaticString] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
    private static let months: [StaticString] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// IMF-fixdate for a time in seconds since 1970 (UTC, no leap seconds, as POSIX counts them).
    static func format(secondsSince1970 seconds: Int64) -> String {
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let day = secondOfDay < 0 ? days - 1 : days
        let second = secondOfDay < 0 ? secondOfDay + 86_400 : secondOfDay
        let (year, month, dayOfMonth) = civil(daysSince1970: day)
        var text = ""
        text.reserveCapacity(29)
        text += Self.days[Int(((day % 7) + 7) % 7)].description
        text += ", " + twoDigits(dayOfMonth) + " " + Self.months[Int(month) - 1].description + " "
        text += String(year) + " " + twoDigits(second / 3600) + ":" + twoDigits(second / 60 % 60) + ":"
        text += twoDigits(second % 60) + " GMT"
        return text
    }

    private static func twoDigits(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
    private static func civil(daysSince1970: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
