/// An `RRULE` within the subset Switchboard reads (docs/routes.md, "iCalendar files"): `FREQ` of `YEARLY`,
/// `MONTHLY`, `WEEKLY` or `DAILY`, with `INTERVAL`, `COUNT`, `UNTIL`, `BYMONTH`, `BYMONTHDAY`, `BYDAY` (ordinals
/// such as `4TH` or `-1MO` under `MONTHLY` and `YEARLY`) and `WKST`. Anything else is refused when the file is read.
struct RecurrenceRule: Sendable, Hashable {
    enum Frequency: String, Sendable {
        case yearly = "YEARLY"
        case monthly = "MONTHLY"
        case weekly = "WEEKLY"
        case daily = "DAILY"
    }

    /// `BYDAY` item: a weekday (0 = Sunday), with an ordinal (`4TH`, `-1MO`) or 0 for every such day.
    struct WeekdayNumber: Sendable, Hashable {
        var ordinal: Int
        var weekday: Int
    }

    var frequency: Frequency
    var interval = 1
    var count: Int?
    /// The last possible start, on the event start's clock.
    var until: Int64?
    var months: [Int] = []
    var monthDays: [Int] = []
    var weekdays: [WeekdayNumber] = []
    /// First day of the week (0 = Sunday); RFC 5545's default is Monday.
    var weekStart = 1

    static let weekdayCodes = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]
    /// Keys refused by name, so the message says they are outside the subset rather than unknown.
    static let unsupportedKeys: Set<String> = ["BYSETPOS", "BYWEEKNO", "BYYEARDAY", "BYHOUR", "BYMINUTE", "BYSECOND"]

    /// The starts of every occurrence, on the start's clock, in order, up to `last` (inclusive).
    func starts(from start: EventTime, through last: Int64) -> [Int64] {
        let time = start.secondOfDay
        let first = start.date
        var result: [Int64] = [start.local]
        var period = 0
        // Bounded even for a rule that never produces a date (BYMONTHDAY=31;BYMONTH=2).
        periods: while period < 100_000 {
            let (periodStart, dates) = candidates(period: period, first: first)
            if periodStart.midnight + time > last { break }
            for date in dates where date > first {
                let local = date.midnight + time
                if local > last { break periods }
                if let until, local > until { break periods }
                if let count, result.count >= count { break periods }
                result.append(local)
            }
            if let count, result.count >= count { break }
            period += 1
        }
        return result
    }

    /// The first day of period `period` and the dates the rule gives in it, in order.
    private func candidates(period: Int, first: CivilDate) -> (CivilDate, [CivilDate]) {
        let step = period * interval
        switch frequency {
        case .daily:
            let day = first.adding(days: step)
            return (day, matchesFilters(day) ? [day] : [])
        case .weekly:
            let weekBegins = first.adding(days: -((first.weekday - weekStart + 7) % 7) + step * 7)
            let days = weekdays.isEmpty ? [first.weekday] : weekdays.map(\.weekday)
            let dates = (0..<7).map { weekBegins.adding(days: $0) }
                .filter { days.contains($0.weekday) && (months.isEmpty || months.contains($0.month)) }
            return (weekBegins, dates)
        case .monthly:
            let index = first.year * 12 + first.month - 1 + step
            let (year, month) = (index / 12, index % 12 + 1)
            let dates = months.isEmpty || months.contains(month) ? datesInMonth(year, month, first: first) : []
            return (CivilDate(year: year, month: month, day: 1)!, dates)
        case .yearly:
            let year = first.year + step
            return (CivilDate(year: year, month: 1, day: 1)!, datesInYear(year, first: first))
        }
    }

    private func matchesFilters(_ date: CivilDate) -> Bool {
        (months.isEmpty || months.contains(date.month))
            && (monthDays.isEmpty || monthDays.contains { Self.resolve($0, in: date) == date.day })
            && (weekdays.isEmpty || weekdays.contains { $0.weekday == date.weekday })
    }

    private func datesInYear(_ year: Int, first: CivilDate) -> [CivilDate] {
        if !months.isEmpty {
            return months.sorted().flatMap { datesInMonth(year, $0, first: first) }
        }
        if !monthDays.isEmpty {
            return (1...12).flatMap { datesInMonth(year, $0, first: first) }
        }
        if !weekdays.isEmpty {
            let january1 = CivilDate(year: year, month: 1, day: 1)!
            let length = CivilDate.isLeapYear(year) ? 366 : 365
            return Self.days(matching: weekdays, from: january1, count: length)
        }
        return CivilDate(year: year, month: first.month, day: first.day).map { [$0] } ?? []
    }

    private func datesInMonth(_ year: Int, _ month: Int, first: CivilDate) -> [CivilDate] {
        let firstOfMonth = CivilDate(year: year, month: month, day: 1)!
        let length = CivilDate.daysInMonth(year: year, month: month)
        if !monthDays.isEmpty {
            let byDay = Set(Self.days(matching: weekdays, from: firstOfMonth, count: length))
            return Set(monthDays.compactMap { Self.resolve($0, in: firstOfMonth) }).sorted()
                .map { firstOfMonth.adding(days: $0 - 1) }
                .filter { weekdays.isEmpty || byDay.contains($0) }
        }
        if !weekdays.isEmpty {
            return Self.days(matching: weekdays, from: firstOfMonth, count: length)
        }
        return CivilDate(year: year, month: month, day: first.day).map { [$0] } ?? []
    }

    /// A `BYMONTHDAY` value as a day of `date`'s month (negative counts from the end); nil if the month is shorter.
    private static func resolve(_ monthDay: Int, in date: CivilDate) -> Int? {
        let length = CivilDate.daysInMonth(year: date.year, month: date.month)
        let day = monthDay > 0 ? monthDay : length + monthDay + 1
        return (1...length).contains(day) ? day : nil
    }

    /// The days among `count` days from `start` that `BYDAY` selects (ordinals count within those days), in order.
    private static func days(matching weekdays: [WeekdayNumber], from start: CivilDate, count: Int) -> [CivilDate] {
        var selected = Set<Int>()
        for item in weekdays {
            let offsets = (0..<count).filter { start.adding(days: $0).weekday == item.weekday }
            if item.ordinal == 0 {
                selected.formUnion(offsets)
            } else {
                let index = item.ordinal > 0 ? item.ordinal - 1 : offsets.count + item.ordinal
                if offsets.indices.contains(index) { selected.insert(offsets[index]) }
            }
        }
        return selected.sorted().map { start.adding(days: $0) }
    }
}
