import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import SwitchboardServer

/// `switchboard calls`: where calls went and why, from the call records every replica writes to the shared store.
struct Calls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show call records from the shared store: where each call went, and why.",
        discussion: """
            Newest first. Exit 0 (also when nothing matches), 1 when the store's schema is not the one this \
            switchboard expects, 2 for a wrong option, 3 when the store cannot be reached.
            """
    )

    @OptionGroup var options: StoreOptions

    @Option(help: "A caller or called number, full (+14155550123) or masked as in the logs (+141*****0123).")
    var number: String?

    @Option(help: "Only calls given to this backend.")
    var backend: String?

    @Option(help: "Only calls that matched this route.")
    var route: String?

    @Option(help: "Only calls answered this way: answer, number_default or reject.")
    var outcome: String?

    @Option(name: .customLong("call"), help: "Only the call with this Inkbox call ID.")
    var callID: String?

    @Option(help: "Calls since a duration ago (2h, 30m, 7d) or a time (2026-12-06T14:00:00Z, 2026-12-06).")
    var since: String?

    @Option(help: "Calls from this time on.")
    var from: String?

    @Option(help: "Calls before this time.")
    var to: String?

    @Option(help: "Records at most (the newest), 1 to \(CallRecordFilter.maximumLimit).")
    var limit = 50

    @Flag(help: "Print the decision's explanation under each call.")
    var why = false

    @Flag(help: "Print JSON: one object {\"calls\": [...]}; with --follow, one object per record and line.")
    var json = false

    @Flag(help: "Keep printing new records as replicas write them, until interrupted.")
    var follow = false

    @Option(
        name: .customLong("erase-number"),
        help: "Delete every record of this number (every record --number would show) and say how many."
    )
    var eraseNumber: String?

    func validate() throws {
        guard (1...CallRecordFilter.maximumLimit).contains(limit) else {
            throw ValidationError("--limit must be between 1 and \(CallRecordFilter.maximumLimit)")
        }
        guard since == nil || from == nil else { throw ValidationError("give --since or --from, not both") }
        if eraseNumber != nil {
            guard [number, backend, route, outcome, callID, since, from, to].allSatisfy({ $0 == nil }), !follow else {
                throw ValidationError("--erase-number takes no other filter, nor --follow")
            }
        }
        _ = try filter()
    }

    /// The filter the options describe.
    func filter(now: Date = Date()) throws -> CallRecordFilter {
        var filter = CallRecordFilter()
        filter.number = number
        filter.backend = backend
        filter.route = route
        filter.outcome = outcome
        filter.callID = callID
        filter.limit = limit
        do {
            try filter.setTimes(since: since, from: from, to: to, now: now)
        } catch {
            let given = [("since", since), ("from", from), ("to", to)].first { $0.0 == error.name }?.1 ?? ""
            throw ValidationError("--\(error.name) must be \(error.expected), not '\(given)'")
        }
        return filter
    }

    func run() async throws {
        let url = try options.requiredURL()
        if let eraseNumber {
            let erased = try await withStoreClient(url) { client, logger in
                try await Self.checkSchema(client, logger)
                return try await client.withConnection { try await CallRecords.erase(number: eraseNumber, on: $0, logger: logger) }
            }
            print("erased \(erased) call record\(erased == 1 ? "" : "s") of \(eraseNumber)")
            return
        }
        let filter = try filter()
        if follow {
            try await withStoreClient(url, budget: nil) { client, logger in
                try await withBudget(.seconds(10)) { try await Self.checkSchema(client, logger) }
                try await client.withConnection { try await follow(filter, on: $0, logger: logger) }
            }
            return
        }
        let records = try await withStoreClient(url) { client, logger in
            try await Self.checkSchema(client, logger)
            return try await client.withConnection { try await CallRecords.search(filter, on: $0, logger: logger) }
        }
        if json {
            print(Self.json(["calls": records.map { $0.json(fullNumbers: true) }]))
        } else if records.isEmpty {
            print("no call records match")
        } else {
            print(CallTable.render(records, why: why))
        }
    }

    /// Prints the newest matching records, oldest first, then each new one as it is written.
    ///
    /// Record IDs come from a sequence, so a batch committed late can hold IDs below ones already printed: each
    /// notification reads again the last ``reread`` IDs and prints those not printed yet.
    private func follow(_ filter: CallRecordFilter, on connection: PostgresConnection, logger: Logger) async throws {
        let reread: Int64 = 2_000
        try await connection.listen(on: CallRecords.channel) { notifications in
            let top = try await connection.query("SELECT coalesce(max(id), 0) FROM switchboard_calls", logger: logger)
                .collect().first?.decode(Int64.self) ?? 0
            var recent = filter
            recent.after = max(0, top - reread)
            recent.limit = CallRecordFilter.maximumLimit
            var printed = Set(try await CallRecords.search(recent, on: connection, logger: logger).map(\.id))
            let initial = try await CallRecords.search(filter, on: connection, logger: logger).reversed()
            var high = top
            if !json { emit(CallTable.header) }
            for record in initial { emit(line(record)) }
            for try await _ in notifications {
                recent.after = max(0, high - reread)
                for record in try await CallRecords.search(recent, on: connection, logger: logger)
                where !printed.contains(record.id) {
                    printed.insert(record.id)
                    high = max(high, record.id)
                    emit(line(record))
                }
                printed = printed.filter { $0 > high - reread }
            }
        }
    }

    private func line(_ record: CallRecord) -> String {
        json ? Self.json(record.json(fullNumbers: true)) : CallTable.render(record, why: why)
    }

    /// Writes a line at once: `--follow` output goes to pipes, where `print` would hold it in a buffer.
    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Refuses a store whose schema has no call records yet (or is newer than this binary).
    private static func checkSchema(_ client: PostgresClient, _ logger: Logger) async throws {
        let status = try await StoreSchema.status(client, logger: logger)
        if status.version != status.latest { throw StoreError(status.description) }
    }

    private static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Call records as a table for a person.
enum CallTable {
    static let widths = [22, 38, 15, 15, 16, 16, 16, 10]
    static let header = row(["TIME (UTC)", "CALL", "CALLER", "NUMBER", "ROUTE", "BACKEND", "OUTCOME", "DURATION", "REPLICA"])

    static func render(_ records: [CallRecord], why: Bool) -> String {
        ([header] + records.map { render($0, why: why) }).joined(separator: "\n")
    }

    static func render(_ record: CallRecord, why: Bool) -> String {
        let line = row([
            record.decidedAt.formatted(.iso8601),
            record.callID ?? "-", record.callerFull ?? record.caller, record.numberFull ?? record.number,
            record.route ?? "-", record.backend ?? "-", record.outcome, duration(record), record.replica,
        ])
        guard why else { return line }
        return ([line] + record.reason.map { "    \($0)" }).joined(separator: "\n")
    }

    /// `2m03s`; `live` for an answered call without its `call.ended` yet; `-` for a rejected call.
    static func duration(_ record: CallRecord) -> String {
        guard let seconds = record.durationSeconds else { return record.outcome == "reject" ? "-" : "live" }
        return seconds < 60 ? "\(seconds)s" : "\(seconds / 60)m\(String(format: "%02d", seconds % 60))s"
    }

    private static func row(_ cells: [String]) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            guard index < widths.count else {
                line += cell
                break
            }
            line += cell.padding(toLength: max(widths[index], cell.count + 1), withPad: " ", startingAt: 0)
        }
        return line
    }
}
