import Foundation
import Yams

extension TableCompiler {
    mutating func compileRoutes(_ node: Node, pools: [Pool], backends: [Backend]) -> [Route] {
        var routes: [Route] = []
        var names: [String: SourceLocation] = [:]
        var catchAll: Route?
        for item in reader.sequence(node, "routes") ?? [] {
            guard let fields = reader.mapping(item, "route", allowed: Self.routeKeys) else { continue }
            let field = Dictionary(fields.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            let location = reader.diagnostics.location(of: item)
            var name = "route-\(routes.count + 1)"
            if let node = field["name"]?.value, let text = reader.nonEmptyString(node, "name") {
                if let first = names[text] {
                    reader.diagnostics.error("duplicate route name '\(text)' (first at \(first.line):\(first.column))", at: node)
                }
                names[text] = reader.diagnostics.location(of: node)
                name = text
            } else if field["name"] == nil {
                reader.diagnostics.error("route needs 'name:'", at: item)
            }
            let conditions = field["when"].map { conditionMap($0.value, "when") } ?? []
            var target = Target.reject
            if let node = field["to"]?.value {
                target = self.target(node, "to") ?? .reject
            } else {
                reader.diagnostics.error("route '\(name)' needs 'to:'", at: item)
            }
            let fallback = field["fallback"].flatMap { self.target($0.value, "fallback") }
            var strategy: Strategy?
            var selector: PoolSelector?
            if let node = field["strategy"]?.value, let text = reader.string(node, "strategy") {
                if let parsed = Strategy(rawValue: text) {
                    strategy = parsed
                    if case .pool(let index) = target, index < pools.count {
                        selector = PoolSelector(strategy: parsed, members: pools[index].members, backends: backends)
                    } else {
                        reader.diagnostics.error("'strategy' on a route needs 'to:' to name a pool", at: node)
                    }
                } else {
                    let names = Strategy.allCases.map(\.rawValue).joined(separator: ", ")
                    reader.diagnostics.error("unknown strategy '\(text)' (use one of: \(names))", at: node)
                }
            }
            let route = Route(
                name: name, conditions: conditions, target: target, fallback: fallback, strategy: strategy,
                selector: selector, location: location
            )
            if let catchAll {
                reader.diagnostics.warning(
                    "route '\(name)' can never match: route '\(catchAll.name)' (line \(catchAll.location.line)) above it matches every call",
                    at: item
                )
            } else if field["when"].map({ ($0.value.mapping?.count ?? 1) == 0 }) ?? true {
                // No `when:` (or an empty one): every call matches. (A `when:` whose entries all failed to compile
                // is an error already, not a catch-all.)
                catchAll = route
            }
            routes.append(route)
        }
        return routes
    }

    /// A `when:` map (or one alternative of `any:`): every entry must hold.
    mutating func conditionMap(_ node: Node, _ what: String) -> [Condition] {
        guard let entries = reader.mapping(node, what) else { return [] }
        var conditions: [Condition] = []
        for entry in entries {
            let location = reader.diagnostics.location(of: entry.keyNode)
            let source = "\(entry.key): \(Self.flow(entry.value))"
            let test: Condition.Test?
            switch entry.key {
            case "any":
                let alternatives = (reader.sequence(entry.value, "any") ?? []).map { conditionMap($0, "an 'any' alternative") }
                test = .any(alternatives)
            case "time":
                test = timeWindow(entry.value).map(Condition.Test.time)
            case "calendar":
                test = calendarCondition(entry.value)
            case "split":
                test = split(entry.value)
            default:
                guard let attribute = attribute(named: entry.key, at: entry.keyNode) else { continue }
                test = matcher(entry.value, for: attribute).map { .attribute(attribute, $0) }
            }
            if let test { conditions.append(Condition(test: test, source: source, location: location)) }
        }
        return conditions
    }

    private mutating func attribute(named name: String, at node: Node) -> Attribute? {
        if let attribute = Attribute.fixed[name] { return attribute }
        if name.hasPrefix("number."), let index = numberAttributes[String(name.dropFirst(7))] {
            return .numberAttribute(name: String(name.dropFirst(7)), index: index)
        }
        let known = Set(Attribute.fixed.keys).union(numberAttributes.keys.map { "number.\($0)" })
            .union(["any", "time", "split", "calendar"])
        let hint = name.hasPrefix("number.") ? " (no number under 'numbers:' defines '\(name.dropFirst(7))')" : ""
        reader.diagnostics.error("unknown key '\(name)' in when\(hint)\(ConfigReader.suggestion(name, known))", at: node)
        return nil
    }

    /// A condition value for `attribute`, typed by the attribute's kind.
    private mutating func matcher(_ node: Node, for attribute: Attribute) -> Matcher? {
        switch node {
        case .sequence(let items):
            var exact = Set<String>()
            var others: [Matcher] = []
            for item in items {
                guard let matcher = matcher(item, for: attribute) else { continue }
                if case .equals(let value) = matcher { exact.insert(value) } else { others.append(matcher) }
            }
            return .oneOf(exact, others)
        case .mapping:
            return operatorMatcher(node, for: attribute)
        default:
            guard let text = reader.string(node, "\(attribute)") else { return nil }
            switch attribute.kind {
            case .bool:
                guard let value = Bool(text) else {
                    reader.diagnostics.error("\(attribute) takes true or false, not '\(text)'", at: node)
                    return nil
                }
                return .bool(value)
            case .number:
                guard let value = Double(text) else {
                    reader.diagnostics.error("\(attribute) takes a number, not '\(text)'", at: node)
                    return nil
                }
                return .numberEquals(value)
            case .string:
                return Glob.isGlob(text) ? .glob(Glob(text)) : .equals(text)
            }
        }
    }

    /// `{regex: …}`, `{not: …}` or `{lt|le|gt|ge: n, …}`.
    private mutating func operatorMatcher(_ node: Node, for attribute: Attribute) -> Matcher? {
        let operators: Set<String> = ["regex", "not", "lt", "le", "gt", "ge"]
        guard let entries = reader.mapping(node, "condition on \(attribute)", allowed: operators), !entries.isEmpty else {
            return nil
        }
        var bounds: [Matcher.Bound] = []
        for entry in entries {
            switch entry.key {
            case "regex", "not":
                if entries.count > 1 {
                    reader.diagnostics.error("'\(entry.key)' cannot be combined with other keys in one condition", at: entry.keyNode)
                    return nil
                }
                if entry.key == "not" { return matcher(entry.value, for: attribute).map(Matcher.not) }
                if attribute.kind != .string {
                    reader.diagnostics.error("regex applies to text attributes, not \(attribute)", at: entry.keyNode)
                    return nil
                }
                guard let pattern = reader.string(entry.value, "regex") else { return nil }
                do {
                    let regex = try RegexPattern(pattern)
                    if RegexPattern.hasNestedQuantifier(pattern) {
                        reader.diagnostics.warning(
                            "regex '\(pattern)' repeats a group that holds a repetition: it can take exponential time "
                                + "on some inputs (catastrophic backtracking); a match is stopped after "
                                + "\(RegexPattern.timeBudget.wholeMilliseconds) ms and counts as no match",
                            at: entry.value
                        )
                    }
                    return .regex(regex)
                } catch {
                    reader.diagnostics.error(
                        "bad regex '\(pattern)': not a valid ICU regular expression (check parentheses, quantifiers and escapes)",
                        at: entry.value
                    )
                    return nil
                }
            default:
                if attribute.kind == .bool {
                    reader.diagnostics.error("\(entry.key) applies to numbers, not \(attribute)", at: entry.keyNode)
                    return nil
                }
                guard let limit = reader.number(entry.value, entry.key) else { continue }
                bounds.append(.init(comparison: .init(rawValue: entry.key)!, limit: limit))
            }
        }
        return bounds.isEmpty ? nil : .bounds(bounds)
    }

    /// `time: {zone, days, between}`
    private mutating func timeWindow(_ node: Node) -> TimeWindow? {
        guard let fields = reader.mapping(node, "time", allowed: ["zone", "days", "between"]) else { return nil }
        let field = Dictionary(fields.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let zone = self.zone(field["zone"], of: "time", missingAt: node)
        var days = TimeWindow.everyDay
        if let node = field["days"]?.value { days = self.days(node) ?? days }
        var start = 0, end = 24 * 60
        if let node = field["between"]?.value, let text = reader.string(node, "between") {
            if let window = Self.parseBetween(text) {
                (start, end) = window
            } else {
                reader.diagnostics.error("between must be HH:MM-HH:MM with two different times, like 09:00-17:30, not '\(text)'", at: node)
            }
        }
        guard let zone else { return nil }
        return TimeWindow(zone: zone, days: days, start: start, end: end)
    }

    /// The `zone:` of a time window or calendar, an IANA name; reported at `node` when missing.
    mutating func zone(_ field: ConfigReader.Entry?, of owner: String, missingAt node: Node) -> TimeZone? {
        guard let field else {
            reader.diagnostics.error("\(owner) needs 'zone:' (an IANA name like America/New_York)", at: node)
            return nil
        }
        guard let name = reader.nonEmptyString(field.value, "zone") else { return nil }
        guard let zone = TimeZone(identifier: name) else {
            reader.diagnostics.error("unknown time zone '\(name)' (use an IANA name like America/New_York)", at: field.value)
            return nil
        }
        return zone
    }

    /// `mon-fri`, `sat`, or a list of names and ranges.
    private mutating func days(_ node: Node) -> UInt8? {
        let items = node.sequence.map(Array.init) ?? [node]
        var mask: UInt8 = 0
        for item in items {
            guard let text = reader.string(item, "days") else { return nil }
            let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            let indices = parts.map { TimeWindow.dayNames.firstIndex(of: $0) }
            guard (1...2).contains(parts.count), indices.allSatisfy({ $0 != nil }) else {
                reader.diagnostics.error("days: '\(text)' is not a day (mon, tue, …) or a range like mon-fri", at: item)
                return nil
            }
            var day = indices[0]!
            let last = indices.last!!
            while true {
                mask |= 1 << UInt8(day)
                if day == last { break }
                day = (day + 1) % 7
            }
        }
        return mask
    }

    /// `HH:MM-HH:MM` as minutes after midnight; `24:00` is allowed as an end.
    static func parseBetween(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: "-")
        guard parts.count == 2 else { return nil }
        func minutes(_ part: Substring) -> Int? {
            let pieces = part.trimmingCharacters(in: .whitespaces).split(separator: ":")
            guard pieces.count == 2, pieces[0].count == 2, pieces[1].count == 2, let hours = Int(pieces[0]),
                let minutes = Int(pieces[1]), (0...24).contains(hours), (0..<60).contains(minutes),
                hours < 24 || minutes == 0
            else { return nil }
            return hours * 60 + minutes
        }
        guard let start = minutes(parts[0]), let end = minutes(parts[1]), start != end, start < 24 * 60 else { return nil }
        return (start, end)
    }

    /// `calendar: NAME` (open now) or `calendar: {name: NAME, open: false}`.
    private mutating func calendarCondition(_ node: Node) -> Condition.Test? {
        var nameNode = node
        var open = true
        if case .mapping = node {
            guard let fields = reader.mapping(node, "calendar", allowed: ["name", "open"]) else { return nil }
            let field = Dictionary(fields.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            guard let name = field["name"]?.value else {
                reader.diagnostics.error("calendar needs 'name:' (a calendar under 'calendars:')", at: node)
                return nil
            }
            nameNode = name
            if let node = field["open"]?.value { open = reader.bool(node, "open") ?? open }
        }
        guard let name = reader.nonEmptyString(nameNode, "calendar") else { return nil }
        guard let calendar = calendars[name] else {
            // A calendar that failed to compile has its own errors already.
            if declaredCalendars.contains(name) { return nil }
            let hint = calendars.isEmpty ? " (there is no 'calendars:' section)" : ConfigReader.suggestion(name, Set(calendars.keys))
            reader.diagnostics.error("unknown calendar '\(name)'\(hint)", at: nameNode)
            return nil
        }
        return .calendar(calendar, open: open)
    }

    /// `split: {percent: 10, by: caller}`
    private mutating func split(_ node: Node) -> Condition.Test? {
        guard let fields = reader.mapping(node, "split", allowed: ["percent", "by"]) else { return nil }
        let field = Dictionary(fields.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var attribute = Attribute.caller
        if let node = field["by"]?.value, let name = reader.string(node, "by") {
            guard let named = self.attribute(named: name, at: node) else { return nil }
            attribute = named
        }
        guard let node = field["percent"]?.value else {
            reader.diagnostics.error("split needs 'percent:'", at: node)
            return nil
        }
        guard let percent = reader.number(node, "percent") else { return nil }
        guard (0...100).contains(percent) else {
            reader.diagnostics.error("percent must be from 0 to 100, not \(percent)", at: node)
            return nil
        }
        return .split(basisPoints: Int((percent * 100).rounded()), by: attribute)
    }

    /// A one-line rendering of a YAML value for `explain` (long lists are shortened).
    static func flow(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            let plain = scalar.style == .plain || scalar.style == .any
            return plain ? scalar.string : "\"\(scalar.string)\""
        case .sequence(let items):
            let shown = items.prefix(5).map(flow).joined(separator: ", ")
            return items.count > 5 ? "[\(shown), … (\(items.count) items)]" : "[\(shown)]"
        case .mapping(let mapping):
            return "{" + mapping.map { "\(flow($0.key)): \(flow($0.value))" }.joined(separator: ", ") + "}"
        case .alias:
            return "*alias"
        }
    }
}
