import Foundation

/// A date or date-time from an iCalendar file, on the clock it was written for.
struct EventTime: Sendable, Hashable {
    enum Frame: Sendable, Hashable {
        /// `VALUE=DATE`: a whole day on the calendar's own wall clock.
        case date
        /// A date-time with neither `Z` nor `TZID`: the calendar's own wall clock.
        case floating
        /// A date-time ending in `Z`.
        case utc
        /// A date-time with `TZID=`.
        case zone(TimeZone)
    }

    var frame: Frame
    /// Seconds since 1970-01-01T00:00 on the frame's clock (for `utc`, an instant).
    var local: Int64

    var date: CivilDate { CivilDate(dayNumber: Int(local.floorDivided(by: 86_400))) }
    var secondOfDay: Int64 { local - date.midnight }
    var isDate: Bool { frame == .date }

    /// The frame's clock: the calendar's own zone for dates and floating times.
    func clock(calendar: ZoneClock) -> ZoneClock? {
        switch frame {
        case .date, .floating: calendar
        case .utc: nil
        case .zone(let zone): ZoneClock(zone: zone)
        }
    }
}

/// One `VEVENT` of an iCalendar file: every occurrence closes its calendar.
struct CalendarEvent: Sendable {
    var summary: String
    /// The line of its `BEGIN:VEVENT`.
    var line: Int
    var start: EventTime
    /// From the start of an occurrence to its end, in seconds on the start's clock.
    var length: Int64
    var rule: RecurrenceRule?
    /// `EXDATE`s, on the start's clock.
    var exceptions: Set<Int64>

    /// Each occurrence as instants `[start, end)`, for occurrences that overlap `range` (instants).
    func occurrences(overlapping range: Range<Int64>, calendar: ZoneClock) -> [Range<Int64>] {
        let clock = start.clock(calendar: calendar)
        func instant(_ local: Int64) -> Int64 { clock?.instant(local: local) ?? local }
        // Starts on the event's own clock; a day either side covers any offset between clocks.
        let lastStart = (clock?.local(range.upperBound) ?? range.upperBound) + 86_400
        let starts = rule?.starts(from: start, through: lastStart) ?? [start.local]
        var result: [Range<Int64>] = []
        for local in starts where !exceptions.contains(local) && local <= lastStart {
            let occurrence = instant(local)..<instant(local + length)
            if occurrence.overlaps(range) { result.append(occurrence) }
        }
        return result
    }
}
