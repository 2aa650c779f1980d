import Foundation
import SwitchboardCore
import Synchronization

/// The `Date` response header (RFC 9110's IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), formatted when a response
/// needs it and reused for the rest of that second.
///
/// Hummingbird's `Application` keeps this value fresh with a task that wakes every second for the listener's whole
/// life, busy or idle. Formatted on demand, an idle listener has nothing to wake for (docs/performance.md#idle-cpu).
final class HTTPDate: Sendable {
    static let shared = HTTPDate()

    private let cached = Mutex<(second: Int, value: String)>((.min, ""))

    /// The header's value at `now`.
    func value(at now: Date = Date()) -> String {
        let second = Int(now.timeIntervalSince1970.rounded(.down))
        return cached.withLock { cached in
            if cached.second != second { cached = (second, Self.format(secondsSince1970: second)) }
            return cached.value
        }
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate for a time in seconds since 1970 (UTC, no leap seconds, as POSIX counts them).
    static func format(secondsSince1970 seconds: Int) -> String {
        let dayNumber = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let second = seconds - dayNumber * 86_400
        let date = CivilDate(dayNumber: dayNumber)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[date.weekday]), \(two(date.day)) \(months[date.month - 1]) \(date.year) "
            + "\(two(second / 3600)):\(two(second / 60 % 60)):\(two(second % 60)) GMT"
    }
}
