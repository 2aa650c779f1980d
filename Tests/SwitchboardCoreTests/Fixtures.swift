import Foundation

@testable import SwitchboardCore

/// Routing tables and inputs shared by the core tests.
enum Fixtures {
    static func json(_ object: [String: Any]) -> Data {
        try! JSONSerialization.data(withJSONObject: object)
    }

    /// Compiles YAML or fails the test with the diagnostics.
    static func table(_ yaml: String, environment: [String: String] = [:]) throws -> RoutingTable {
        do {
            return try RoutingTable(yaml: yaml, file: "routes.yaml", environment: environment)
        } catch {
            throw FixtureError(description: error.description)
        }
    }

    /// The diagnostics of YAML that must not load.
    static func problems(_ yaml: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try RoutingTable(yaml: yaml, file: "routes.yaml", environment: environment)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    /// `bytes` with one random edit: a byte replaced, removed or inserted (from `alphabet`).
    static func mutated(
        _ bytes: [UInt8], alphabet: [UInt8], using generator: inout some RandomNumberGenerator
    ) -> [UInt8] {
        var bytes = bytes
        let position = Int.random(in: 0..<bytes.count, using: &generator)
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: bytes[position] = alphabet.randomElement(using: &generator)!
        case 1: bytes.remove(at: position)
        default: bytes.insert(alphabet.randomElement(using: &generator)!, at: position)
        }
        return bytes
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
    }
}

extension IncomingCall {
    /// A call with just the numbers set.
    static func call(caller: String? = "+14155550999", number: String? = "+14155550100", id: String? = "call-1")
        -> IncomingCall
    {
        IncomingCall(id: id, number: number, caller: caller)
    }
}
