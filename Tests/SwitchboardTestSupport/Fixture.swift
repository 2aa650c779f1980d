import Foundation

/// Real Inkbox payloads (copied unchanged from Inkbox's public SDK test fixtures) and files of this repository.
public enum Fixture {
    /// The `incoming_call` webhook body.
    public static let incomingCall: Data = load("phone_incoming_call")
    /// The `call.ended` event for the same call.
    public static let callEnded: Data = load("call_ended")

    /// Where the `incoming_call` fixture is on disk, for commands that take a file.
    public static let incomingCallPath: String = url("phone_incoming_call").path

    /// U.S. federal holidays 2026–2027 as an iCalendar file, written by this project from 5 U.S.C. 6103 and OPM's
    /// holiday schedule (each event's DESCRIPTION gives its dates): yearly `RRULE`s with `BYDAY` ordinals, `UNTIL`,
    /// `COUNT`, an `EXDATE`, single "(observed)" events and folded lines, with CRLF line ends. Thanksgiving's
    /// `BEGIN:VEVENT` is line 108.
    public static let usHolidaysPath: String = Bundle.module.url(
        forResource: "us-holidays", withExtension: "ics", subdirectory: "Fixtures"
    )!.path

    /// The repository's own `routes.yaml`.
    public static let repositoryRoutes: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("routes.yaml").path

    /// The `incoming_call` fixture as a mutable JSON object, for variants.
    public static func incomingCallObject() -> [String: Any] {
        try! JSONSerialization.jsonObject(with: incomingCall) as! [String: Any]
    }

    /// The `incoming_call` fixture with `change` applied.
    public static func incomingCall(_ change: (inout [String: Any]) -> Void) -> Data {
        var object = incomingCallObject()
        change(&object)
        return try! JSONSerialization.data(withJSONObject: object, options: .sortedKeys)
    }

    /// A table of one backend named `backend` (a `none` check, so no probe runs) and one route to it.
    public static func oneBackendTable(_ backend: String) -> String {
        """
        version: 1
        backends:
          \(backend): { url: "wss://\(backend).example/calls", health: { check: none } }
        routes:
          - { name: all, to: \(backend) }
        """
    }

    /// The `incoming_call` fixture for another call `id`.
    public static func incomingCall(id: String) -> Data {
        incomingCall { $0["id"] = id }
    }

    /// The `call.ended` fixture for call `id` (its `data.call.id`), with its own event ID.
    public static func callEnded(id: String) -> Data {
        var object = try! JSONSerialization.jsonObject(with: callEnded) as! [String: Any]
        var data = object["data"] as! [String: Any]
        var call = data["call"] as! [String: Any]
        call["id"] = id
        data["call"] = call
        object["data"] = data
        object["id"] = "evt_" + id
        return try! JSONSerialization.data(withJSONObject: object, options: .sortedKeys)
    }

    private static func url(_ name: String) -> URL {
        Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures")!
    }

    private static func load(_ name: String) -> Data {
        try! Data(contentsOf: url(name))
    }
}
