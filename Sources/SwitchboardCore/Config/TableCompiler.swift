import Crypto
import Foundation
import Yams

extension RoutingTable {
    /// Reads, validates and compiles a routes file.
    ///
    /// - Parameters:
    ///   - path: the file; diagnostics name it as given.
    ///   - environment: values for `${ENV}` interpolation.
    /// - Throws: `ConfigError` holding every problem found (and the warnings), when there is at least one error.
    public static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> RoutingTable {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let location = SourceLocation(file: path, line: 1, column: 1)
            throw ConfigError(diagnostics: [ConfigDiagnostic("cannot read file: \(error.localizedDescription)", at: location)])
        }
        return try RoutingTable(yaml: text, file: path, environment: environment)
    }

    /// Validates and compiles routes YAML text; `file` is the name diagnostics print.
    public init(yaml: String, file: String = "routes.yaml", environment: [String: String] = [:]) throws(ConfigError) {
        var compiler = TableCompiler(reader: ConfigReader(file: file, environment: environment))
        let table = compiler.compile(yaml)
        let diagnostics = compiler.reader.diagnostics
        guard let table, !diagnostics.hasErrors else {
            throw ConfigError(diagnostics: diagnostics.sorted, calendarFiles: compiler.calendarFilePaths)
        }
        self = table
    }
}

/// Turns the YAML tree into a `RoutingTable`, recording every problem on the way.
struct TableCompiler {
    var reader: ConfigReader
    var backendIndex: [String: Int] = [:]
    var poolIndex: [String: Int] = [:]
    var numberAttributes: [String: Int] = [:]
    /// `calendars:` by name.
    var calendars: [String: BusinessCalendar] = [:]
    var declaredCalendars: Set<String> = []
    /// The `.ics` files the calendars read (resolved paths, for the watcher) and their bytes (for the version).
    var calendarFilePaths: [String] = []
    var calendarFileContents = Data()
    /// Calendars precompute their opening states around this instant.
    var loadedAt = Date()

    static let topLevelKeys: Set<String> = [
        "version", "health", "numbers", "calendars", "backends", "pools", "routes", "fallback",
    ]
    static let backendKeys: Set<String> = ["url", "health", "weight", "fallback", "max_calls", "max_call_duration"]
    static let poolKeys: Set<String> = ["members", "strategy", "fallback", "panic"]
    static let routeKeys: Set<String> = ["name", "when", "to", "fallback", "strategy"]
    /// What backend, pool and calendar names may hold (besides ASCII letters and digits).
    static let nameCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))

    mutating func compile(_ yaml: String) -> RoutingTable? {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                reader.diagnostics.error("the file is empty (it needs at least 'version: 1')", at: reader.diagnostics.location(of: nil))
                return nil
            }
            root = node
        } catch {
            reportYAMLError(error)
            return nil
        }
        guard let entries = reader.mapping(root, "routes file", allowed: Self.topLevelKeys) else { return nil }
        let section = Dictionary(entries.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })

        if let version = section["version"] {
            if reader.string(version.value, "version") != "1" {
                reader.diagnostics.error("unsupported version (this Switchboard reads version: 1)", at: version.value)
            }
        } else {
            reader.diagnostics.error("missing 'version: 1'", at: root)
        }
        let timing = section["health"].map { healthTiming($0.value, base: HealthTiming()) } ?? HealthTiming()
        let numbers = section["numbers"].map { compileNumbers($0.value) } ?? [:]
        if let node = section["calendars"]?.value { compileCalendars(node) }
        let backendEntries = section["backends"].flatMap { reader.mapping($0.value, "backends") } ?? []
        let poolEntries = section["pools"].flatMap { reader.mapping($0.value, "pools") } ?? []
        declareNames(backends: backendEntries, pools: poolEntries)

        let backends = backendEntries.map { compileBackend($0, timing: timing) }
        let pools = poolEntries.map { compilePool($0, backends: backends) }
        let routes = section["routes"].map { compileRoutes($0.value, pools: pools, backends: backends) } ?? []
        if section["routes"] == nil { reader.diagnostics.error("missing 'routes:'", at: root) }
        let fallback = section["fallback"].flatMap { target($0.value, "fallback") } ?? .reject
        checkFallbackLoops(backends: backendEntries, backendFallbacks: backends.map(\.fallback),
                           pools: poolEntries, poolFallbacks: pools.map(\.fallback))

        let digest = SHA256.hash(data: Data(yaml.utf8) + calendarFileContents).map { String(format: "%02x", $0) }.joined()
        return RoutingTable(
            backends: backends, pools: pools, routes: routes, fallback: fallback, numbers: numbers,
            calendars: calendars.values.sorted { $0.name < $1.name }, calendarFiles: calendarFilePaths,
            numberAttributeNames: numberAttributes.sorted { $0.value < $1.value }.map(\.key),
            version: String(digest.prefix(16)), warnings: reader.diagnostics.sorted.filter { $0.severity == .warning }
        )
    }

    private mutating func reportYAMLError(_ error: any Error) {
        let location: SourceLocation
        let message: String
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            location = reader.diagnostics.location(of: mark)
            message = "YAML syntax: " + [context?.text, problem].compactMap { $0 }.joined(separator: " ")
        case .duplicatedKeysInMapping(let duplicates, let context):
            location = reader.diagnostics.location(of: context.mark)
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            message = "duplicate key \(keys) in the same mapping"
        default:
            location = reader.diagnostics.location(of: nil)
            message = "YAML: \(error)"
        }
        reader.diagnostics.error(message, at: location)
    }

    // MARK: numbers

    private mutating func compileNumbers(_ node: Node) -> [String: NumberInfo] {
        guard let entries = reader.mapping(node, "numbers") else { return [:] }
        var raw: [(number: String, attributes: [(String, String)])] = []
        var seen: [String: SourceLocation] = [:]
        for entry in entries {
            guard let number = reader.nonEmptyString(entry.keyNode, "number") else { continue }
            if let first = seen[number] {
                reader.diagnostics.error("duplicate number '\(number)' (first at \(first.line):\(first.column))", at: entry.keyNode)
                continue
            }
            seen[number] = reader.diagnostics.location(of: entry.keyNode)
            var attributes: [(String, String)] = []
            if !ConfigReader.isNull(entry.value), let fields = reader.mapping(entry.value, "number '\(number)'") {
                for field in fields {
                    guard case .scalar = field.value else {
                        reader.diagnostics.error("number attribute '\(field.key)' must be a single value", at: field.value)
                        continue
                    }
                    if let value = reader.string(field.value, "number attribute '\(field.key)'") {
                        attributes.append((field.key, value))
                        if numberAttributes[field.key] == nil { numberAttributes[field.key] = numberAttributes.count }
                    }
                }
            }
            raw.append((number, attributes))
        }
        var numbers: [String: NumberInfo] = [:]
        for (number, attributes) in raw {
            var values = [String?](repeating: nil, count: numberAttributes.count)
            for (name, value) in attributes { values[numberAttributes[name]!] = value }
            numbers[number] = NumberInfo(values: values)
        }
        return numbers
    }

    // MARK: names and targets

    /// Registers every backend and pool name (so references can point forward) and checks them.
    private mutating func declareNames(backends: [ConfigReader.Entry], pools: [ConfigReader.Entry]) {
        var locations: [String: SourceLocation] = [:]
        for (kind, entries) in [("backend", backends), ("pool", pools)] {
            for (position, entry) in entries.enumerated() {
                let name = entry.key
                if Target.keywords.contains(name) {
                    reader.diagnostics.error("'\(name)' is a reserved word and cannot name a \(kind)", at: entry.keyNode)
                    continue
                }
                if name.isEmpty || !name.unicodeScalars.allSatisfy({ $0.isASCII && Self.nameCharacters.contains($0) }) {
                    reader.diagnostics.error("\(kind) name '\(name)' may only hold letters, digits, '-', '_' and '.'", at: entry.keyNode)
                }
                if let first = locations[name] {
                    reader.diagnostics.error(
                        "duplicate name '\(name)' (first at \(first.line):\(first.column)); backends and pools share one namespace",
                        at: entry.keyNode
                    )
                    continue
                }
                locations[name] = reader.diagnostics.location(of: entry.keyNode)
                if kind == "backend" { backendIndex[name] = position } else { poolIndex[name] = position }
            }
        }
    }

    /// A target reference: a backend or pool name, `reject` or `number_default`.
    mutating func target(_ node: Node, _ what: String) -> Target? {
        guard let name = reader.nonEmptyString(node, what) else { return nil }
        switch name {
        case "reject": return .reject
        case "number_default": return .numberDefault
        default:
            if let index = backendIndex[name] { return .backend(index) }
            if let index = poolIndex[name] { return .pool(index) }
            let known = Set(backendIndex.keys).union(poolIndex.keys).union(Target.keywords)
            reader.diagnostics.error("\(what): unknown backend or pool '\(name)'\(ConfigReader.suggestion(name, known))", at: node)
            return nil
        }
    }

    private mutating func strategy(_ node: Node) -> Strategy? {
        guard let text = reader.string(node, "strategy") else { return nil }
        guard let strategy = Strategy(rawValue: text) else {
            let names = Strategy.allCases.map(\.rawValue).joined(separator: ", ")
            reader.diagnostics.error("unknown strategy '\(text)' (use one of: \(names))", at: node)
            return nil
        }
        return strategy
    }

    // MARK: pools

    private mutating func compilePool(_ entry: ConfigReader.Entry, backends: [Backend]) -> Pool {
        let fields = reader.mapping(entry.value, "pool '\(entry.key)'", allowed: Self.poolKeys) ?? []
        var members: [Int] = []
        var strategy = Strategy.priority
        var fallback: Target?
        var panic = false
        var listed: Int?
        var strategyNode: Node?
        for field in fields {
            switch field.key {
            case "members":
                let items = reader.sequence(field.value, "members") ?? []
                listed = items.count
                for member in items {
                    guard let name = reader.nonEmptyString(member, "member") else { continue }
                    guard let index = backendIndex[name] else {
                        let why = poolIndex[name] != nil ? "is a pool (members must be backends)" : "is not a backend"
                        reader.diagnostics.error("pool member '\(name)' \(why)\(ConfigReader.suggestion(name, Set(backendIndex.keys)))", at: member)
                        continue
                    }
                    if members.contains(index) {
                        reader.diagnostics.error("backend '\(name)' is listed twice in pool '\(entry.key)'", at: member)
                        continue
                    }
                    members.append(index)
                }
            case "strategy":
                strategy = self.strategy(field.value) ?? strategy
                strategyNode = field.value
            case "fallback": fallback = target(field.value, "fallback")
            default: panic = reader.bool(field.value, "panic") ?? false
            }
        }
        switch listed {
        case nil: reader.diagnostics.error("pool '\(entry.key)' needs 'members:'", at: entry.keyNode)
        case 0: reader.diagnostics.error("pool '\(entry.key)' has no members", at: entry.keyNode)
        default: break
        }
        if strategy == .leastLoaded, let strategyNode {
            let blind = members.filter { backends[$0].maxCalls == nil && !backends[$0].check.readsReport }
            if !blind.isEmpty {
                let names = blind.map { "'\(backends[$0].name)'" }.joined(separator: ", ")
                reader.diagnostics.warning(
                    "least_loaded: \(names) \(blind.count == 1 ? "has" : "have") neither max_calls nor a health report, so \(blind.count == 1 ? "its" : "their") load always reads 0",
                    at: strategyNode
                )
            }
        }
        let selector = PoolSelector(strategy: strategy, members: members, backends: backends)
        return Pool(name: entry.key, members: members, strategy: strategy, fallback: fallback, panic: panic, selector: selector)
    }

    // MARK: fallback loops

    /// Reports every fallback chain that comes back to where it started.
    private mutating func checkFallbackLoops(
        backends: [ConfigReader.Entry], backendFallbacks: [Target?], pools: [ConfigReader.Entry], poolFallbacks: [Target?]
    ) {
        enum Node: Hashable { case backend(Int), pool(Int) }
        func next(_ node: Node) -> Node? {
            let fallback: Target?
            switch node {
            case .backend(let index): fallback = index < backendFallbacks.count ? backendFallbacks[index] : nil
            case .pool(let index): fallback = index < poolFallbacks.count ? poolFallbacks[index] : nil
            }
            switch fallback {
            case .backend(let index): return .backend(index)
            case .pool(let index): return .pool(index)
            default: return nil
            }
        }
        func name(_ node: Node) -> String {
            switch node {
            case .backend(let index): backends[index].key
            case .pool(let index): pools[index].key
            }
        }
        var reported = Set<Node>()
        let starts = backends.indices.map(Node.backend) + pools.indices.map(Node.pool)
        for start in starts where !reported.contains(start) {
            var path = [start]
            var current = start
            while let following = next(current) {
                if following == start {
                    let entry: ConfigReader.Entry
                    switch start {
                    case .backend(let index): entry = backends[index]
                    case .pool(let index): entry = pools[index]
                    }
                    let chain = (path + [start]).map(name).joined(separator: " → ")
                    reader.diagnostics.error("fallback loop: \(chain)", at: entry.keyNode)
                    reported.formUnion(path)
                    break
                }
                if path.contains(following) || path.count > starts.count { break }
                path.append(following)
                current = following
            }
        }
    }
}
