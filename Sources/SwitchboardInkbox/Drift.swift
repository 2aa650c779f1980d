/// How the organisation's numbers differ from what a routing table expects: the numbers the table names should send
/// their calls to Switchboard's webhook URL, and no other number should.
public struct Drift: Sendable, Hashable {
    /// Numbers the table names that Inkbox does not send to `webhookURL` (with where they go now).
    public var notAttached: [PhoneNumber]
    /// Numbers the table names that the organisation does not have.
    public var unknown: [String]
    /// Numbers attached to `webhookURL` that the table does not name (their calls match only catch-all routes).
    public var attachedNotRouted: [PhoneNumber]

    public var isEmpty: Bool { notAttached.isEmpty && unknown.isEmpty && attachedNotRouted.isEmpty }

    /// - Parameters:
    ///   - numbers: the organisation's numbers.
    ///   - named: the numbers the table names (`RoutingTable.namedNumbers`).
    ///   - webhookURL: Switchboard's public webhook URL.
    public init(numbers: [PhoneNumber], named: Set<String>, webhookURL: String) {
        let owned = Set(numbers.map(\.number))
        notAttached = numbers.filter { named.contains($0.number) && !$0.isAttached(to: webhookURL) }
        unknown = named.subtracting(owned).sorted()
        attachedNotRouted = numbers.filter { !named.contains($0.number) && $0.isAttached(to: webhookURL) }
    }
}
