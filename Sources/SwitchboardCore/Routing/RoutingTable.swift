import Foundation

/// A validated, immutable routing table compiled from `routes.yaml`.
///
/// Decisions read only this value and a `HealthView`; they do no I/O and take no lock except the
/// `weighted` strategy's short one. A reload builds a new table and swaps it whole.
public struct RoutingTable: Sendable {
    public let backends: [Backend]
    public let pools: [Pool]
    public let routes: [Route]
    /// The top-level `fallback` (default `reject`).
    public let fallback: Target
    /// `numbers:` by E.164 number.
    let numbers: [String: NumberInfo]
    /// `calendars:`, by name.
    public let calendars: [BusinessCalendar]
    /// The `.ics` files the calendars read, as paths to open: watched and reloaded like the routes file.
    public let calendarFiles: [String]
    /// Names of `number.<attr>` attributes, by slot.
    public let numberAttributeNames: [String]
    let index: RouteIndex
    private let backendIndexByName: [String: Int]
    /// Content hash of the file (first 16 hex digits of its SHA-256), shown in `/status`.
    public let version: String
    /// Problems that do not stop the table from loading (routes that can never match).
    public let warnings: [ConfigDiagnostic]

    init(
        backends: [Backend], pools: [Pool], routes: [Route], fallback: Target, numbers: [String: NumberInfo],
        calendars: [BusinessCalendar], calendarFiles: [String], numberAttributeNames: [String], version: String,
        warnings: [ConfigDiagnostic]
    ) {
        self.backends = backends
        self.pools = pools
        self.routes = routes
        self.fallback = fallback
        self.numbers = numbers
        self.calendars = calendars
        self.calendarFiles = calendarFiles
        self.numberAttributeNames = numberAttributeNames
        self.index = RouteIndex(routes)
        self.backendIndexByName = Dictionary(backends.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.version = version
        self.warnings = warnings
    }

    /// The called numbers this table names: those under `numbers:` and the exact values of `number` conditions.
    /// `switchboard inkbox` attaches these to Switchboard and reports drift against them.
    public var namedNumbers: Set<String> { Set(numbers.keys).union(index.byNumber.keys) }

    /// What the health checker should probe: one target per backend, in table order.
    public var probeTargets: [ProbeTarget] { backends.map(\.probeTarget) }

    public func backendIndex(named name: String) -> Int? { backendIndexByName[name] }

    public func calendar(named name: String) -> BusinessCalendar? { calendars.first { $0.name == name } }

    /// A name for a target as `routes.yaml` spells it.
    public func name(of target: Target) -> String {
        switch target {
        case .backend(let index): backends[index].name
        case .pool(let index): pools[index].name
        case .reject: "reject"
        case .numberDefault: "number_default"
        }
    }
}

/// One entry of `routes:`.
public struct Route: Sendable {
    public var name: String
    var conditions: [Condition]
    public var target: Target
    public var fallback: Target?
    /// `strategy:` on the route, overriding the target pool's own.
    public var strategy: Strategy?
    /// The selector for `strategy` (nil when the route does not override).
    let selector: PoolSelector?
    public var location: SourceLocation
}

/// Finds the routes a call could match without testing every route.
///
/// A route whose conditions include an exact `number` (or, failing that, an exact `caller`) value or list can only
/// match calls with one of those values, so it is filed under them; every other route is always a candidate.
/// Candidates are visited in file order, so first-match-wins is unchanged.
struct RouteIndex: Sendable {
    var byNumber: [String: [Int]] = [:]
    var byCaller: [String: [Int]] = [:]
    var unindexed: [Int] = []

    init(_ routes: [Route]) {
        for (position, route) in routes.enumerated() {
            if let numbers = Self.exactValues(of: .number, in: route) {
                for number in numbers { byNumber[number, default: []].append(position) }
            } else if let callers = Self.exactValues(of: .caller, in: route) {
                for caller in callers { byCaller[caller, default: []].append(position) }
            } else {
                unindexed.append(position)
            }
        }
    }

    private static func exactValues(of attribute: Attribute, in route: Route) -> Set<String>? {
        for condition in route.conditions {
            if case .attribute(attribute, let matcher) = condition.test, let values = matcher.exactValues {
                return values
            }
        }
        return nil
    }

    /// The candidate route positions for a call, in ascending order.
    func candidates(number: String?, caller: String?) -> Candidates {
        Candidates(a: number.flatMap { byNumber[$0] } ?? [], b: caller.flatMap { byCaller[$0] } ?? [], c: unindexed)
    }

    /// Merges the three ascending lists of positions. An iterator rather than a closure per candidate: a closure
    /// capturing the table copies it, retaining every array it holds, which every request shares.
    struct Candidates: IteratorProtocol, Sequence {
        fileprivate let a: [Int], b: [Int], c: [Int]
        private var i = 0, j = 0, k = 0

        fileprivate init(a: [Int], b: [Int], c: [Int]) {
            (self.a, self.b, self.c) = (a, b, c)
        }

        mutating func next() -> Int? {
            guard i < a.count || j < b.count || k < c.count else { return nil }
            let next = Swift.min(i < a.count ? a[i] : .max, j < b.count ? b[j] : .max, k < c.count ? c[k] : .max)
            if i < a.count, a[i] == next { i += 1 } else if j < b.count, b[j] == next { j += 1 } else { k += 1 }
            return next
        }
    }
}
