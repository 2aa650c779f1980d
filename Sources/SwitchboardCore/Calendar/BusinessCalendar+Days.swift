import Foundation

extension BusinessCalendar {
    /// One local day of a calendar, as `switchboard calendar` prints it.
    public struct Day: Sendable, Hashable {
        /// A time the calendar is open, within the day.
        public struct Opening: Sendable, Hashable {
            public var start: Date
            public var end: Date
            /// Wall-clock times, `09:00` and `17:00`; an opening that lasts to the next midnight ends at `24:00`.
            public var localStart: String
            public var localEnd: String
        }

        public var date: CivilDate
        public var openings: [Opening]
        /// The entries that decided during the day, in order, without repeats ("outside hours" only when nothing
        /// else decided).
        public var reasons: [String]
    }

    /// The opening times of every local day from `first` through `last`.
    public func days(from first: CivilDate, through last: CivilDate) -> [Day] {
        let timeline = rules.states(from: first, through: last)
        var days: [Day] = []
        var segment = 0
        let outside = outsideReasons.map { rules.reasons[Int($0)] }
        for dayNumber in first.dayNumber...last.dayNumber {
            let date = CivilDate(dayNumber: dayNumber)
            let dayStart = rules.clock.instant(local: date.midnight)
            let dayEnd = rules.clock.instant(local: date.adding(days: 1).midnight)
            var day = Day(date: date, openings: [], reasons: [])
            while segment < timeline.starts.count, timeline.end(of: segment) <= dayStart { segment += 1 }
            var index = segment
            while index < timeline.starts.count, timeline.starts[index] < dayEnd {
                let state = timeline.states[index]
                let start = max(timeline.starts[index], dayStart)
                let end = min(timeline.end(of: index), dayEnd)
                let reason = rules.reasons[Int(state.reason)]
                if !day.reasons.contains(reason) { day.reasons.append(reason) }
                if state.isOpen {
                    if let last = day.openings.last, last.end == Self.date(start) {
                        day.openings[day.openings.count - 1].end = Self.date(end)
                        day.openings[day.openings.count - 1].localEnd = wallClock(end, date: date)
                    } else {
                        day.openings.append(
                            .init(
                                start: Self.date(start), end: Self.date(end),
                                localStart: wallClock(start, date: date), localEnd: wallClock(end, date: date)
                            ))
                    }
                }
                index += 1
            }
            // "Outside hours" is worth saying only on a day nothing else decided.
            if day.reasons.contains(where: { !outside.contains($0) }) { day.reasons.removeAll { outside.contains($0) } }
            days.append(day)
        }
        return days
    }

    /// The states of being outside a day's windows: outside the weekly hours, outside a special day's hours.
    private var outsideReasons: [Int32] {
        [0] + rules.specials.values.filter { !$0.windows.isEmpty }.map(\.closed)
    }

    private static func date(_ instant: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(instant)) }

    /// `HH:MM` on `date`'s wall clock; `24:00` for the next midnight.
    private func wallClock(_ instant: Int64, date: CivilDate) -> String {
        let minutes = (rules.clock.local(instant) - date.midnight) / 60
        return String(format: "%02d:%02d", Int(minutes / 60), Int(minutes % 60))
    }
}
