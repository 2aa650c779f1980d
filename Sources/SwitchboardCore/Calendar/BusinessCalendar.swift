import Foundation
import Synchronization

/// A named entry of `calendars:`: weekly opening hours in one zone, with closed dates, special days and the events of
/// iCalendar files (docs/routes.md, "Calendars").
///
/// Precedence, highest first: a `special` day decides its whole local day; then closures (`closed` dates and every
/// `.ics` event); then the weekly `hours`; outside all of them the calendar is closed, or open when it has no `hours`.
/// Routing asks ``isOpen(at:)``: the states are precomputed when the table loads (from a month before to two years
/// after), the segment of the last answer is remembered in an atomic, and a decision checks it before a binary
/// search. An instant outside the precomputed span is worked out on the spot, with the same result.
public final class BusinessCalendar: Sendable {
    /// A window of opening: minutes after local midnight; `end` beyond 1,440 crosses midnight.
    struct Window: Sendable {
        var start: Int
        var end: Int
        var reason: Int32
    }

    /// `closed:` dates, inclusive.
    struct Closure: Sendable {
        var first: CivilDate
        var last: CivilDate
        var reason: Int32
    }

    /// A `special:` date: its windows (none when closed all day) and the reason when outside them.
    struct SpecialDay: Sendable {
        var windows: [Window]
        var closed: Int32
    }

    /// What the calendar says at one instant, and which entry decided: `closed: Thanksgiving Day (holidays/us.ics
    /// line 12)`, `open: mon-fri 09:00-17:00`.
    public struct State: Sendable, Hashable, CustomStringConvertible {
        public var isOpen: Bool
        public var description: String
    }

    /// Everything the calendar says, as written; ``states(from:through:)`` turns it into instants.
    struct Rules: Sendable {
        var clock: ZoneClock
        /// Windows by weekday (0 = Sunday); nil without `hours:` (open all day).
        var weekly: [[Window]]?
        var closures: [Closure]
        var specials: [CivilDate: SpecialDay]
        var events: [(event: CalendarEvent, reason: Int32)]
        /// Every decision's wording; 0 is the state outside every entry.
        var reasons: [String]
    }

    public let name: String
    let rules: Rules
    /// The states precomputed around the load time.
    let timeline: CalendarTimeline
    /// The segment of `timeline` the last lookup found: the next one is most likely in it.
    private let hint = Atomic<Int>(0)

    /// Days before and after the load day that ``isOpen(at:)`` answers from precomputed states.
    static let horizonBefore = 31
    static let horizonAfter = 731

    init(name: String, rules: Rules, around now: Date) {
        self.name = name
        self.rules = rules
        let today = CivilDate(
            dayNumber: Int(rules.clock.local(Int64(now.timeIntervalSince1970)).floorDivided(by: 86_400)))
        timeline = rules.states(
            from: today.adding(days: -Self.horizonBefore), through: today.adding(days: Self.horizonAfter))
    }

    public var zone: TimeZone { rules.clock.zone }

    /// Whether the calendar is open at `date`. Does no I/O, takes no lock, and allocates only outside the
    /// precomputed span.
    public func isOpen(at date: Date) -> Bool {
        let instant = Int64(date.timeIntervalSince1970.rounded(.down))
        let hinted = hint.load(ordering: .relaxed)
        if hinted < timeline.starts.count, timeline.starts[hinted] <= instant, instant < timeline.end(of: hinted) {
            return timeline.states[hinted].isOpen
        }
        guard let index = timeline.segment(at: instant) else { return state(at: date).isOpen }
        hint.store(index, ordering: .relaxed)
        return timeline.states[index].isOpen
    }

    /// Whether the calendar is open at `date`, and the entry that decided.
    public func state(at date: Date) -> State {
        let instant = Int64(date.timeIntervalSince1970.rounded(.down))
        if let index = timeline.segment(at: instant) { return describe(timeline.states[index]) }
        let day = CivilDate(dayNumber: Int(rules.clock.local(instant).floorDivided(by: 86_400)))
        let local = rules.states(from: day.adding(days: -1), through: day.adding(days: 1))
        return describe(local.states[local.segment(at: instant) ?? 0])
    }

    func describe(_ state: CalendarTimeline.State) -> State {
        State(isOpen: state.isOpen, description: rules.reasons[Int(state.reason)])
    }
}

extension BusinessCalendar.Rules {
    /// The states from the local midnight starting `first` to the one ending `last`.
    func states(from first: CivilDate, through last: CivilDate) -> CalendarTimeline {
        let range = clock.instant(local: first.midnight)..<clock.instant(local: last.adding(days: 1).midnight)
        var spans: [CalendarTimeline.Span] = []
        func local(_ start: Int64, _ end: Int64, _ priority: Int, _ isOpen: Bool, _ reason: Int32) {
            let begins = clock.instant(local: start)
            let span = begins..<max(begins, clock.instant(local: end))
            spans.append(.init(range: span, priority: priority, state: .init(isOpen: isOpen, reason: reason)))
        }
        // From the day before: its windows may cross midnight.
        for dayNumber in (first.dayNumber - 1)...last.dayNumber {
            let date = CivilDate(dayNumber: dayNumber)
            for window in weekly?[date.weekday] ?? [] {
                local(
                    date.midnight + Int64(window.start * 60), date.midnight + Int64(window.end * 60), 1, true,
                    window.reason)
            }
            guard let special = specials[date] else { continue }
            local(date.midnight, date.adding(days: 1).midnight, 3, false, special.closed)
            for window in special.windows {
                local(
                    date.midnight + Int64(window.start * 60), date.midnight + Int64(window.end * 60), 4, true,
                    window.reason)
            }
        }
        for closure in closures where closure.last >= first && closure.first <= last {
            local(closure.first.midnight, closure.last.adding(days: 1).midnight, 2, false, closure.reason)
        }
        for (event, reason) in events {
            for occurrence in event.occurrences(overlapping: range, calendar: clock) {
                spans.append(.init(range: occurrence, priority: 2, state: .init(isOpen: false, reason: reason)))
            }
        }
        return CalendarTimeline(range: range, background: .init(isOpen: weekly == nil, reason: 0), spans: spans)
    }
}
