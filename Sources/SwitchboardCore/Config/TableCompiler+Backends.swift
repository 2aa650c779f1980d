import Foundation
import Yams

extension TableCompiler {
    static let timingKeys: Set<String> = ["interval", "timeout", "rise", "fall", "fast_interval", "jitter"]
    static let checkKeys: Set<String> = ["check", "url", "expect", "headers", "tls_verify", "ca_file", "sign", "report"]

    /// `health:` timing keys over `base`; with `checkKeys` allowed too when reading a backend's `health:`.
    mutating func healthTiming(_ node: Node, base: HealthTiming, backendKeys: Bool = false) -> HealthTiming {
        var timing = base
        let allowed = backendKeys ? Self.timingKeys.union(Self.checkKeys) : Self.timingKeys
        for field in reader.mapping(node, "health", allowed: allowed) ?? [] {
            switch field.key {
            case "interval": timing.interval = positive(field.value, "interval") ?? timing.interval
            case "timeout": timing.timeout = positive(field.value, "timeout") ?? timing.timeout
            case "fast_interval": timing.fastInterval = positive(field.value, "fast_interval") ?? timing.fastInterval
            case "rise": timing.rise = reader.int(field.value, "rise", in: 1...100) ?? timing.rise
            case "fall": timing.fall = reader.int(field.value, "fall", in: 1...100) ?? timing.fall
            case "jitter": timing.jitter = reader.percentage(field.value, "jitter") ?? timing.jitter
            default: break
            }
        }
        return timing
    }

    mutating func positive(_ node: Node, _ what: String) -> Duration? {
        guard let duration = reader.duration(node, what) else { return nil }
        guard duration > .zero else {
            reader.diagnostics.error("\(what) must be more than 0", at: node)
            return nil
        }
        return duration
    }

    mutating func compileBackend(_ entry: ConfigReader.Entry, timing: HealthTiming) -> Backend {
        let fields = reader.mapping(entry.value, "backend '\(entry.key)'", allowed: Self.backendKeys) ?? []
        let field = Dictionary(fields.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var url = (try? URLTemplate("", numberAttributes: [:]))!
        if let node = field["url"]?.value, let text = reader.nonEmptyString(node, "url") {
            if !Self.hasScheme(text, ["ws", "wss"]) {
                reader.diagnostics.error("url must start with ws:// or wss:// (it is what Inkbox connects to), not '\(text)'", at: node)
            }
            do {
                url = try URLTemplate(text, numberAttributes: numberAttributes)
            } catch {
                let known = ["call.id", "caller", "number", "route", "backend"] + numberAttributes.keys.sorted().map { "number.\($0)" }
                reader.diagnostics.error(
                    "unknown placeholder '{\(error.name)}' in url (known: \(known.map { "{\($0)}" }.joined(separator: ", ")))",
                    at: node
                )
            }
        } else if field["url"] == nil {
            reader.diagnostics.error("backend '\(entry.key)' needs 'url:'", at: entry.keyNode)
        }
        let weight = field["weight"].flatMap { reader.int($0.value, "weight", in: 1...1_000_000) } ?? 1
        let fallback = field["fallback"].flatMap { target($0.value, "fallback") }
        let check = healthCheck(field["health"]?.value, backendURL: url.probeURL, timing: timing)
        var backend = Backend(name: entry.key, url: url, weight: weight, fallback: fallback, check: check)
        backend.maxCalls = field["max_calls"].flatMap { reader.int($0.value, "max_calls", in: 0...1_000_000) }
        if let node = field["max_call_duration"]?.value {
            backend.maxCallDuration = positive(node, "max_call_duration") ?? backend.maxCallDuration
        }
        return backend
    }

    static func hasScheme(_ url: String, _ schemes: [String]) -> Bool {
        let lowered = url.lowercased()
        return schemes.contains { lowered.hasPrefix("\($0)://") && lowered.count > $0.count + 3 }
    }

    /// A backend's check: `health:` keys over the top-level timing; the URL defaults from the backend's.
    private mutating func healthCheck(_ node: Node?, backendURL: String, timing: HealthTiming) -> HealthCheck {
        guard let node else { return HealthCheck(kind: .websocket, url: backendURL, timing: timing) }
        let timing = healthTiming(node, base: timing, backendKeys: true)
        let fields = Dictionary(
            (reader.mapping(node, "health") ?? []).map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first }
        )
        var kindName = "websocket"
        if let check = fields["check"], let name = reader.string(check.value, "check") {
            if ["websocket", "http", "tcp", "none"].contains(name) {
                kindName = name
            } else {
                reader.diagnostics.error("unknown check '\(name)' (use websocket, http, tcp or none)", at: check.value)
            }
        }
        var url = backendURL
        if let node = fields["url"]?.value, let text = reader.nonEmptyString(node, "health url") {
            if !Self.hasScheme(text, ["http", "https", "ws", "wss"]) {
                reader.diagnostics.error("health url must start with http://, https://, ws:// or wss://, not '\(text)'", at: node)
            }
            url = text
        }
        if kindName == "http" { url = Self.httpURL(url) }
        var expect: [Int] = []
        if let field = fields["expect"] {
            if kindName != "http" { reader.diagnostics.error("'expect' applies only to check: http", at: field.keyNode) }
            let items = field.value.sequence.map(Array.init) ?? [field.value]
            expect = items.compactMap { reader.int($0, "expect", in: 100...599) }
        }
        var headers: [HealthCheck.Header] = []
        if let field = fields["headers"] {
            if kindName != "http" { reader.diagnostics.error("'headers' applies only to check: http", at: field.keyNode) }
            for header in reader.mapping(field.value, "headers") ?? [] {
                if let value = reader.string(header.value, "header '\(header.key)'") {
                    headers.append(.init(name: header.key, value: value))
                }
            }
        }
        var sign = false
        if let field = fields["sign"] {
            if kindName != "websocket" { reader.diagnostics.error("'sign' applies only to check: websocket", at: field.keyNode) }
            sign = reader.bool(field.value, "sign") ?? false
        }
        let tlsVerify = fields["tls_verify"].flatMap { reader.bool($0.value, "tls_verify") } ?? true
        var caFile: String?
        if let node = fields["ca_file"]?.value, let path = reader.nonEmptyString(node, "ca_file") {
            if !FileManager.default.isReadableFile(atPath: path) {
                reader.diagnostics.error("ca_file '\(path)' cannot be read", at: node)
            }
            caFile = path
        }
        var readsReport = false
        if let field = fields["report"] {
            if kindName != "http" { reader.diagnostics.error("'report' applies only to check: http", at: field.keyNode) }
            if let format = reader.string(field.value, "report") {
                if format == "json" {
                    readsReport = true
                } else if format != "none" {
                    reader.diagnostics.error("unknown report '\(format)' (use json or none)", at: field.value)
                }
            }
        }
        let kind: HealthCheck.Kind
        switch kindName {
        case "http": kind = .http(expect: expect, headers: headers)
        case "tcp": kind = .tcp
        case "none": kind = .none
        default: kind = .websocket
        }
        var check = HealthCheck(kind: kind, url: url, timing: timing, tlsVerify: tlsVerify, caFile: caFile, sign: sign)
        check.readsReport = readsReport
        return check
    }

    /// `ws://` → `http://`, `wss://` → `https://`; other URLs unchanged.
    static func httpURL(_ url: String) -> String {
        let lowered = url.lowercased()
        if lowered.hasPrefix("ws://") { return "http://" + url.dropFirst(5) }
        if lowered.hasPrefix("wss://") { return "https://" + url.dropFirst(6) }
        return url
    }
}

extension URLTemplate {
    /// The URL with every placeholder left empty: what the health checker contacts by default.
    var probeURL: String {
        segments.map { segment in
            if case .literal(let text) = segment { text } else { "" }
        }.joined()
    }
}
