import Foundation

extension RoutingTable {
    /// Chooses the answer for one call: the first matching route's target, down the fallback ladder.
    ///
    /// - Important: Pure computation over this table and `health`; safe to call from any thread, never blocks.
    public func decide(_ call: IncomingCall, health: HealthView, at now: Date = Date()) -> RouteDecision {
        let context = CallContext(call: call, numberInfo: call.number.flatMap { numbers[$0] })
        var matched: Int?
        index.forEachCandidate(number: call.number, caller: call.caller) { position in
            guard routes[position].conditions.allSatisfy({ $0.holds(in: context, at: now) }) else { return false }
            matched = position
            return true
        }
        return resolve(matched, context: context, health: health, trace: nil)
    }

    /// The same decision as `decide`, with the reasoning: why each earlier route did not match and how the
    /// target resolved.
    public func explain(_ call: IncomingCall, health: HealthView, at now: Date = Date()) -> Explanation {
        let context = CallContext(call: call, numberInfo: call.number.flatMap { numbers[$0] })
        let trace = ExplanationTrace()
        var matched: Int?
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
        let decision = resolve(matched, context: context, health: health, trace: trace)
        return Explanation(skipped: trace.skipped, matchedRoute: matched.map { routes[$0].name }, steps: trace.steps, decision: decision)
    }

    /// The fallback ladder: the route's target (with its own fallbacks), the route's `fallback`, the top-level
    /// `fallback`, then reject.
    private func resolve(_ matched: Int?, context: CallContext, health: HealthView, trace: ExplanationTrace?)
        -> RouteDecision
    {
        let routeName = matched.map { routes[$0].name }
        if let matched {
            let route = routes[matched]
            trace?.steps.append("route '\(route.name)' → \(name(of: route.target))")
            if let decision = resolve(route.target, selector: route.selector, route: routeName, context, health, trace) {
                return decision
            }
            if let fallback = route.fallback {
                trace?.steps.append("route fallback → \(name(of: fallback))")
                if let decision = resolve(fallback, selector: nil, route: routeName, context, health, trace) {
                    return decision
                }
            }
        } else {
            trace?.steps.append("no route matched")
        }
        trace?.steps.append("top-level fallback → \(name(of: fallback))")
        if let decision = resolve(fallback, selector: nil, route: routeName, context, health, trace) {
            return decision
        }
        trace?.steps.append("nothing healthy left → reject")
        return RouteDecision(route: routeName, backend: nil, answer: .reject)
    }

    /// Resolves one target; nil when it (and its own fallback chain) has no eligible backend.
    private func resolve(
        _ target: Target, selector: PoolSelector?, route: String?, _ context: CallContext, _ health: HealthView,
        _ trace: ExplanationTrace?
    ) -> RouteDecision? {
        switch target {
        case .reject:
            return RouteDecision(route: route, backend: nil, answer: .reject)
        case .numberDefault:
            return RouteDecision(route: route, backend: nil, answer: .numberDefault)
        case .backend(let index):
            if health[index] { return answer(backend: index, route: route, context) }
            let backend = backends[index]
            trace?.steps.append("backend '\(backend.name)' is down")
            guard let fallback = backend.fallback else { return nil }
            trace?.steps.append("backend '\(backend.name)' fallback → \(name(of: fallback))")
            return resolve(fallback, selector: nil, route: route, context, health, trace)
        case .pool(let index):
            let pool = pools[index]
            let selector = selector ?? pool.selector
            if let chosen = selector.select(key: context.call.caller, eligible: { health[$0] }, advance: trace == nil) {
                trace?.steps.append("pool '\(pool.name)' (\(selector.strategy.rawValue)) chose '\(backends[chosen].name)'")
                return answer(backend: chosen, route: route, context)
            }
            trace?.steps.append("pool '\(pool.name)': no healthy member")
            if pool.panic, let chosen = selector.select(key: context.call.caller, eligible: { _ in true }, advance: trace == nil) {
                trace?.steps.append("pool '\(pool.name)' panic: chose '\(backends[chosen].name)' as if all were healthy")
                return answer(backend: chosen, route: route, context)
            }
            guard let fallback = pool.fallback else { return nil }
            trace?.steps.append("pool '\(pool.name)' fallback → \(name(of: fallback))")
            return resolve(fallback, selector: nil, route: route, context, health, trace)
        }
    }

    private func answer(backend index: Int, route: String?, _ context: CallContext) -> RouteDecision {
        let backend = backends[index]
        let url = backend.url.render(call: context, route: route ?? "", backend: backend.name)
        return RouteDecision(route: route, backend: backend.name, answer: .answer(url: url))
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
}
