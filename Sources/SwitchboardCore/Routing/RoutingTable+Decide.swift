import Foundation

extension RoutingTable {
    /// Chooses the answer for one call: the first matching route's target, down the fallback ladder.
    ///
    /// - Parameters:
    ///   - health: the health checker's verdicts and the backends' own reports.
    ///   - occupancy: each backend's live calls and drain flag (the server reads its ledger; default idle).
    /// - Important: Pure computation over this table, `health` and `occupancy`; safe to call from any thread,
    ///   never blocks.
    public func decide(
        _ call: IncomingCall, health: HealthView, at now: Date = Date(), occupancy: (Int) -> Occupancy = { _ in .idle }
    ) -> RouteDecision {
        let context = CallContext(call: call, numberInfo: call.number.flatMap { numbers[$0] })
        var matched: Int?
        for position in index.candidates(number: call.number, caller: call.caller)
        where holds(routes[position].conditions, context, now) {
            matched = position
            break
        }
        return resolve(matched, context: context, health: health, occupancy: occupancy, trace: nil)
    }

    /// Whether every condition holds, each read in place: iterating, or reading `conditions[index]`, copies each
    /// condition it passes, retaining what it holds (shared by every request).
    private func holds(_ conditions: [Condition], _ context: CallContext, _ now: Date) -> Bool {
        conditions.withUnsafeBufferPointer { conditions in
            for index in conditions.indices where !conditions[index].test.holds(in: context, at: now) { return false }
            return true
        }
    }

    /// The same decision as `decide`, with the reasoning: why each earlier route did not match and how the
    /// target resolved.
    /// - Parameters:
    ///   - chosen: the backend a pool chose when the call was decided (a call record explains the decision that
    ///     was made): a pool picks it when it is a member and eligible, rather than asking its strategy again.
    ///   - skippedRoutes: false leaves `skipped` empty and finds the matched route as `decide` does, which is
    ///     cheaper when only the resolution matters.
    public func explain(
        _ call: IncomingCall, health: HealthView, at now: Date = Date(), occupancy: (Int) -> Occupancy = { _ in .idle },
        chosen: String? = nil, skippedRoutes: Bool = true
    ) -> Explanation {
        let context = CallContext(call: call, numberInfo: call.number.flatMap { numbers[$0] })
        let trace = ExplanationTrace()
        trace.chosen = chosen
        var matched: Int?
        if skippedRoutes {
            for (position, route) in routes.enumerated() {
                if let failed = route.conditions.first(where: { !$0.holds(in: context, at: now) }) {
                    trace.skipped.append(
                        .init(route: route.name, condition: failed.source, reason: failed.failure(in: context, at: now))
                    )
                    continue
                }
                matched = position
                break
            }
        } else {
            for position in index.candidates(number: call.number, caller: call.caller)
            where holds(routes[position].conditions, context, now) {
                matched = position
                break
            }
        }
        if let matched {
            trace.steps += routes[matched].conditions.flatMap { $0.calendarStates(in: context, at: now) }
        }
        let decision = resolve(matched, context: context, health: health, occupancy: occupancy, trace: trace)
        return Explanation(skipped: trace.skipped, matchedRoute: matched.map { routes[$0].name }, steps: trace.steps, decision: decision)
    }

    /// The fallback ladder: the route's target (with its own fallbacks), the route's `fallback`, the top-level
    /// `fallback`, then reject.
    private func resolve(
        _ matched: Int?, context: CallContext, health: HealthView, occupancy: (Int) -> Occupancy,
        trace: ExplanationTrace?
    ) -> RouteDecision {
        let routeName = matched.map { routes[$0].name }
        var skipped: [SkippedBackend] = []
        var decision: RouteDecision?
        if let matched {
            trace?.steps.append("route '\(routes[matched].name)' → \(name(of: routes[matched].target))")
            decision = resolve(
                routes[matched].target, selector: routes[matched].selector, route: routeName, context, health,
                occupancy, &skipped, trace)
            if decision == nil, let fallback = routes[matched].fallback {
                trace?.steps.append("route fallback → \(name(of: fallback))")
                decision = resolve(fallback, selector: nil, route: routeName, context, health, occupancy, &skipped, trace)
            }
        } else {
            trace?.steps.append("no route matched")
        }
        if decision == nil {
            trace?.steps.append("top-level fallback → \(name(of: fallback))")
            decision = resolve(fallback, selector: nil, route: routeName, context, health, occupancy, &skipped, trace)
        }
        if decision == nil {
            trace?.steps.append("nothing healthy left → reject")
        }
        // Moved out, not copied: a copy retains the decision's strings only to release them again.
        var result = decision.take() ?? RouteDecision(route: routeName, backend: nil, answer: .reject)
        result.skipped = skipped
        return result
    }

    /// Resolves one target; nil when it (and its own fallback chain) has no available backend.
    private func resolve(
        _ target: Target, selector: PoolSelector?, route: String?, _ context: CallContext, _ health: HealthView,
        _ occupancy: (Int) -> Occupancy, _ skipped: inout [SkippedBackend], _ trace: ExplanationTrace?
    ) -> RouteDecision? {
        switch target {
        case .reject:
            return RouteDecision(route: route, backend: nil, answer: .reject)
        case .numberDefault:
            return RouteDecision(route: route, backend: nil, answer: .numberDefault)
        case .backend(let index):
            let availability = availability(of: index, health: health, occupancy: occupancy(index))
            if availability == .available { return answer(backend: index, route: route, context) }
            let backend = backends[index]
            Self.note(backend.name, availability, in: &skipped)
            trace?.steps.append("backend '\(backend.name)' is \(describe(index, availability, health, occupancy(index)))")
            guard let fallback = backend.fallback else { return nil }
            trace?.steps.append("backend '\(backend.name)' fallback → \(name(of: fallback))")
            return resolve(fallback, selector: nil, route: route, context, health, occupancy, &skipped, trace)
        case .pool(let index):
            // The pool's fields are read in place: a copy of the pool would retain all of them, shared by every
            // request.
            let selector = selector ?? pools[index].selector
            // `explain` lists the members when load matters or some are up but full or draining.
            if let trace, selector.strategy == .leastLoaded || pools[index].members.contains(where: {
                [.full, .draining].contains(availability(of: $0, health: health, occupancy: occupancy($0)))
            }) {
                trace.steps.append("pool '\(pools[index].name)' members: " + memberSummary(pools[index], health, occupancy))
            }
            let chosen = pinned(pools[index].members, trace) {
                availability(of: $0, health: health, occupancy: occupancy($0)) == .available
            } ?? selector.select(
                key: context.call.caller,
                eligible: { member in
                    let availability = availability(of: member, health: health, occupancy: occupancy(member))
                    if availability == .available { return true }
                    Self.note(backends[member].name, availability, in: &skipped)
                    return false
                },
                utilisation: { utilisation(of: $0, health: health, occupancy: occupancy($0)) },
                advance: trace == nil
            )
            if let chosen {
                trace?.steps.append("pool '\(pools[index].name)' (\(selector.strategy.rawValue)) chose '\(backends[chosen].name)'")
                return answer(backend: chosen, route: route, context)
            }
            let allDown = pools[index].members.allSatisfy { !health[$0] }
            trace?.steps.append("pool '\(pools[index].name)': no \(allDown ? "healthy" : "available") member")
            // Panic ignores health only: drained and full members stay out.
            if pools[index].panic, let chosen = pinned(pools[index].members, trace, eligible: {
                admission(of: $0, health: health, occupancy: occupancy($0)) == .available
            }) ?? selector.select(
                key: context.call.caller,
                eligible: { admission(of: $0, health: health, occupancy: occupancy($0)) == .available },
                utilisation: { utilisation(of: $0, health: health, occupancy: occupancy($0)) },
                advance: trace == nil
            ) {
                trace?.steps.append("pool '\(pools[index].name)' panic: chose '\(backends[chosen].name)' as if all were healthy")
                return answer(backend: chosen, route: route, context)
            }
            guard let fallback = pools[index].fallback else { return nil }
            trace?.steps.append("pool '\(pools[index].name)' fallback → \(name(of: fallback))")
            return resolve(fallback, selector: nil, route: route, context, health, occupancy, &skipped, trace)
        }
    }

    /// The member of a pool's `members` that `explain` was told was chosen, when it is `eligible`.
    private func pinned(_ members: [Int], _ trace: ExplanationTrace?, eligible: (Int) -> Bool) -> Int? {
        guard let name = trace?.chosen, let member = members.first(where: { backends[$0].name == name }),
            eligible(member)
        else { return nil }
        return member
    }

    /// Remembers a backend passed over because it was full or draining (once per decision).
    private static func note(_ name: String, _ availability: Availability, in skipped: inout [SkippedBackend]) {
        guard availability == .full || availability == .draining,
            !skipped.contains(where: { $0.backend == name })
        else { return }
        skipped.append(SkippedBackend(backend: name, reason: availability))
    }

    /// `down`, `draining`, or `full (4/4 calls)`.
    private func describe(_ index: Int, _ availability: Availability, _ health: HealthView, _ occupancy: Occupancy)
        -> String
    {
        guard availability == .full, let limit = limit(of: index, health: health) else { return availability.rawValue }
        return "full (\(occupancy.active)/\(limit) calls)"
    }

    /// Each member's state and load, for `explain`: `a 1/4 calls, load 0.25; b full (2/2 calls)`.
    private func memberSummary(_ pool: Pool, _ health: HealthView, _ occupancy: (Int) -> Occupancy) -> String {
        pool.members.map { member in
            let occupied = occupancy(member)
            let availability = availability(of: member, health: health, occupancy: occupied)
            let name = backends[member].name
            guard availability == .available else { return "\(name) \(describe(member, availability, health, occupied))" }
            let load = utilisation(of: member, health: health, occupancy: occupied)
            let calls = limit(of: member, health: health).map { "\(occupied.active)/\($0)" } ?? "\(occupied.active)"
            return "\(name) \(calls) calls, load \(String(format: "%.2f", load))"
        }.joined(separator: "; ")
    }

    private func answer(backend index: Int, route: String?, _ context: CallContext) -> RouteDecision {
        let url = backends[index].url.render(call: context, route: route ?? "", backend: backends[index].name)
        return RouteDecision(route: route, backend: backends[index].name, answer: .answer(url: url))
    }
}

/// Why a call was routed the way it was (`switchboard explain`).
public struct Explanation: Sendable {
    /// A route before the matched one, and the first of its conditions that failed.
    public struct SkippedRoute: Sendable, Hashable {
        public var route: String
        /// The condition as written.
        public var condition: String
        /// What the call's value was.
        public var reason: String
    }

    public var skipped: [SkippedRoute]
    public var matchedRoute: String?
    /// How the target resolved, step by step.
    public var steps: [String]
    public var decision: RouteDecision
}

/// Collects the reasoning of one `explain` run.
private final class ExplanationTrace {
    var skipped: [Explanation.SkippedRoute] = []
    var steps: [String] = []
    var chosen: String?
}
