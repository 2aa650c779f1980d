import Foundation
import Logging
import PostgresNIO
import SwitchboardCore

/// One row of `switchboard_calls`: a decision, and its end once a `call.ended` arrived.
public struct CallRecord: Sendable, Hashable {
    public var id: Int64
    public var decidedAt: Date
    public var requestID: String
    public var callID: String?
    /// Masked, as in decision lines.
    public var caller: String
    public var number: String
    /// Full numbers, only with `serve --store-full-numbers`.
    public var callerFull: String?
    public var numberFull: String?
    public var route: String?
    public var backend: String?
    /// `answer`, `number_default` or `reject`.
    public var outcome: String
    /// The decision's explanation, one step per entry, in `switchboard explain`'s words.
    public var reason: [String]
    public var replica: String
    public var tableVersion: String
    public var endedAt: Date?
    public var durationSeconds: Int?

    /// The record as JSON; full numbers only when asked for (`switchboard calls` shows what the store holds; the
    /// admin listener never does).
    public func json(fullNumbers: Bool) -> [String: Any] {
        var object: [String: Any] = [
            "id": id, "decided_at": Self.timestamp(decidedAt), "request_id": requestID, "call_id": callID ?? NSNull(),
            "caller": caller, "number": number, "route": route ?? NSNull(), "backend": backend ?? NSNull(),
            "outcome": outcome, "reason": reason, "replica": replica, "table_version": tableVersion,
            "ended_at": endedAt.map(Self.timestamp) ?? NSNull(), "duration_seconds": durationSeconds ?? NSNull(),
        ]
        if fullNumbers {
            object["caller_full"] = callerFull ?? NSNull()
            object["number_full"] = numberFull ?? NSNull()
        }
        return object
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// What `switchboard calls` and `GET /admin/calls` look for; every filter given must hold.
public struct CallRecordFilter: Sendable {
    /// A caller or called number: a full one (`+14155550123`) matches records keeping it in full and records
    /// keeping its mask; a masked one (`+141*****0123`) matches records with that mask.
    public var number: String?
    public var backend: String?
    public var route: String?
    public var outcome: String?
    public var callID: String?
    public var from: Date?
    public var to: Date?
    /// Records at most: the newest ones.
    public var limit = 50
    /// Only records with a larger ID, oldest first (following new records).
    public var after: Int64?

    public init() {}

    /// The most records one query returns.
    public static let maximumLimit = 10_000

    /// The `WHERE` clause and its bindings, from `$first` on.
    func conditions(from first: Int = 1) throws -> (sql: String, bindings: PostgresBindings) {
        var bindings = PostgresBindings()
        var clauses: [String] = []
        func bind(_ value: some PostgresEncodable & Sendable) throws -> String {
            try bindings.append(value, context: .default)
            return "$\(first + bindings.count - 1)"
        }
        if let number {
            if number.contains("*") {
                let masked = try bind(number)
                clauses.append("(caller = \(masked) OR number = \(masked))")
            } else {
                let full = try bind(number), masked = try bind(PhoneMask.mask(number))
                clauses.append(
                    "(caller_full = \(full) OR number_full = \(full) OR (caller_full IS NULL AND caller = \(masked))"
                        + " OR (number_full IS NULL AND number = \(masked)))"
                )
            }
        }
        if let backend { clauses.append("backend = \(try bind(backend))") }
        if let route { clauses.append("route = \(try bind(route))") }
        if let outcome { clauses.append("outcome = \(try bind(outcome))") }
        if let callID { clauses.append("call_id = \(try bind(callID))") }
        if let from { clauses.append("decided_at >= \(try bind(from))") }
        if let to { clauses.append("decided_at < \(try bind(to))") }
        if let after { clauses.append("id > \(try bind(after))") }
        return (clauses.isEmpty ? "true" : clauses.joined(separator: " AND "), bindings)
    }

    /// Reads a time as `--from`, `--to` and `--since` take it: an ISO 8601 instant (`2026-12-06T14:02:00Z`), or a
    /// date (`2026-12-06`, midnight UTC).
    public static func time(_ text: String) -> Date? {
        if let instant = try? Date(text, strategy: .iso8601) { return instant }
        if let instant = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return instant
        }
        return try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash))
    }

    /// A time option that could not be read: its name (`since`, `from`, `to`) and what it takes.
    public struct TimeError: Error, Sendable {
        public var name: String
        public var expected: String
    }

    /// Sets the time range from `since` (or `from`) and `to` as `switchboard calls` and `GET /admin/calls` take them.
    public mutating func setTimes(since: String?, from: String?, to: String?, now: Date = Date()) throws(TimeError) {
        let time = "a time like 2026-12-06T14:00:00Z or a date like 2026-12-06"
        if let since {
            guard let start = Self.since(since, now: now) else {
                throw TimeError(name: "since", expected: "a duration like 2h or a time like 2026-12-06T14:00:00Z")
            }
            self.from = start
        }
        for (name, text, path) in [("from", from, \CallRecordFilter.from), ("to", to, \CallRecordFilter.to)] {
            guard let text else { continue }
            guard let value = Self.time(text) else { throw TimeError(name: name, expected: time) }
            self[keyPath: path] = value
        }
    }

    /// `--since`: a duration back from `now` (`2h`, `30m`, `7d`) or a time.
    public static func since(_ text: String, now: Date = Date()) -> Date? {
        if let duration = Duration(parsing: text) {
            return now.addingTimeInterval(-Double(duration.wholeMilliseconds) / 1000)
        }
        return time(text)
    }
}

/// Reads and erases call records.
public enum CallRecords {
    /// The channel each batch of new records is announced on (`NOTIFY`), for `switchboard calls --follow`.
    public static let channel = "switchboard_calls"

    /// A record's columns with its completion, from `switchboard_calls` and `switchboard_call_ends` joined on
    /// the call ID; without `duration_seconds` from Inkbox, the time from the decision to the end.
    static let columns = """
        id, decided_at, request_id, call_id, caller, number, caller_full, number_full, route, backend, outcome, reason,
        replica, table_version, ended_at,
        CASE WHEN ended_at IS NOT NULL
             THEN coalesce(duration_seconds, greatest(0, extract(epoch FROM ended_at - decided_at))::integer) END
        """

    /// The newest records that match, newest first (oldest first past `after`).
    public static func search(
        _ filter: CallRecordFilter, on connection: PostgresConnection, logger: Logger
    ) async throws -> [CallRecord] {
        let (conditions, bindings) = try filter.conditions()
        let order = filter.after == nil ? "decided_at DESC, id DESC" : "id"
        let limit = max(1, min(filter.limit, CallRecordFilter.maximumLimit))
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(columns) FROM switchboard_calls LEFT JOIN switchboard_call_ends USING (call_id)
                    WHERE \(conditions) ORDER BY \(order) LIMIT \(limit)
                    """,
                binds: bindings
            ), logger: logger
        )
        var records: [CallRecord] = []
        for try await row in rows {
            let (
                id, decidedAt, requestID, callID, caller, number, callerFull, numberFull, route, backend, outcome,
                reason, replica, tableVersion, endedAt, duration
            ) = try row.decode(
                (Int64, Date, String, String?, String, String, String?, String?, String?, String?, String, String,
                 String, String, Date?, Int?).self
            )
            records.append(CallRecord(
                id: id, decidedAt: decidedAt, requestID: requestID, callID: callID, caller: caller, number: number,
                callerFull: callerFull, numberFull: numberFull, route: route, backend: backend, outcome: outcome,
                reason: reason.split(separator: "\n").map(String.init), replica: replica, tableVersion: tableVersion,
                endedAt: endedAt, durationSeconds: duration
            ))
        }
        return records
    }

    /// Deletes every record of `number` (every record `search` finds with it, not only the newest); returns how
    /// many.
    public static func erase(number: String, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        var filter = CallRecordFilter()
        filter.number = number
        let (conditions, bindings) = try filter.conditions()
        // The completions of the calls erased go too: they hold no number, but nothing of those calls should stay.
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    WITH gone AS (DELETE FROM switchboard_calls WHERE \(conditions) RETURNING call_id),
                    ends AS (DELETE FROM switchboard_call_ends WHERE call_id IN (SELECT call_id FROM gone))
                    SELECT 1 FROM gone
                    """,
                binds: bindings
            ),
            logger: logger
        ).collect()
        return rows.count
    }
}
