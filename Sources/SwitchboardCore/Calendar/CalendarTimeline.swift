/// A calendar's opening state over a span of instants, as sorted segments: found by binary search, no I/O, no
/// allocation.
struct CalendarTimeline: Sendable {
    /// What holds during one segment: open or closed, and the entry that decided (an index into the calendar's
    /// reasons).
    struct State: Sendable, Hashable {
        var isOpen: Bool
        var reason: Int32
    }

    /// An interval of instants that an entry of the calendar opens or closes. Higher priorities win; among equal
    /// priorities, the one listed first.
    struct Span {
        var range: Range<Int64>
        var priority: Int
        var state: State
    }

    /// The instants covered.
    let range: Range<Int64>
    /// Segment starts, ascending; the first is `range.lowerBound`.
    let starts: [Int64]
    let states: [State]

    /// Paints `spans` over `background` within `range`, merging neighbours in the same state.
    init(range: Range<Int64>, background: State, spans: [Span]) {
        self.range = range
        let spans = spans.enumerated()
            .compactMap { index, span -> (Int, Span)? in
                let clipped = span.range.clamped(to: range)
                guard !clipped.isEmpty else { return nil }
                var span = span
                span.range = clipped
                return (index, span)
            }
            .sorted { ($0.1.range.lowerBound, $0.0) < ($1.1.range.lowerBound, $1.0) }
        var boundaries = Set([range.lowerBound])
        for (_, span) in spans {
            boundaries.insert(span.range.lowerBound)
            boundaries.insert(span.range.upperBound)
        }
        boundaries.remove(range.upperBound)
        var starts: [Int64] = []
        var states: [State] = []
        var active: [(Int, Span)] = []
        var next = 0
        for boundary in boundaries.sorted() {
            while next < spans.count, spans[next].1.range.lowerBound <= boundary {
                active.append(spans[next])
                next += 1
            }
            active.removeAll { $0.1.range.upperBound <= boundary }
            let winner = active.max { ($0.1.priority, -$0.0) < ($1.1.priority, -$1.0) }
            let state = winner?.1.state ?? background
            if states.last != state {
                starts.append(boundary)
                states.append(state)
            }
        }
        self.starts = starts
        self.states = states
    }

    /// The segment holding `instant`; nil outside `range`.
    func segment(at instant: Int64) -> Int? {
        guard range.contains(instant) else { return nil }
        // The last start at or before `instant`.
        var low = 0
        var high = starts.count
        while high - low > 1 {
            let middle = (low + high) / 2
            if starts[middle] <= instant { low = middle } else { high = middle }
        }
        return low
    }

    /// Where segment `index` ends.
    func end(of index: Int) -> Int64 { index + 1 < starts.count ? starts[index + 1] : range.upperBound }
}
