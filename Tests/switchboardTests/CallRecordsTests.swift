import Foundation
import SwitchboardTestSupport
import Testing

/// Call records in the shared store: written by every replica, completed by `call.ended` wherever it arrives,
/// read with `switchboard calls`.
@Suite(.timeLimit(.minutes(3)))
struct CallRecordsTests {
    typealias Replica = SharedStoreTests.Replica

    /// `vip` callers go to `b`; everyone else to `a`, which takes one call, then the fallback rejects.
    static let table = """
        version: 1
        backends:
          a: { url: "wss://a.example/calls", health: { check: none }, max_calls: 1 }
          b: { url: "wss://b.example/calls", health: { check: none } }
        routes:
          - { name: vip, when: { caller: "+1900*" }, to: b }
          - { name: all, to: a }
        """

    static let vip = "+19005551234"
    /// The fixture's caller and called numbers, and their masks.
    static let caller = "+14155550999", maskedCaller = "+141****0999"
    static let number = "+14155550100", maskedNumber = "+141****0100"

    static func call(_ replica: Replica, _ id: String, caller: String = Self.caller) async throws -> String {
        let body = Fixture.incomingCall {
            $0["id"] = id
            $0["remote_phone_number"] = caller
        }
        return try await SignedRequest(body: body, key: SharedStoreTests.key).send(port: replica.webhook)
    }

    /// Runs `body` with `count` replicas of ``table`` on a database of its own.
    static func withReplicas(
        _ count: Int, _ extra: [String] = [], _ body: ([Replica], TestDatabase) async throws -> Void
    ) async throws {
        try await SharedStoreTests.withReplicas(count, table: table, extra, body)
    }

    /// `switchboard calls --store URL` with `arguments`; expects exit 0.
    static func calls(_ database: TestDatabase, _ arguments: [String]) async throws -> String {
        let result = try await ChildProcess.run(["calls", "--store", database.url()] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    /// The records with their completions.
    static let records = "switchboard_calls LEFT JOIN switchboard_call_ends USING (call_id)"

    static func count(_ database: TestDatabase, where condition: String = "true") async throws -> Int {
        Int(try await database.sql("SELECT count(*) FROM \(records) WHERE \(condition)")) ?? -1
    }

    @Test func recordsFromTwoReplicasAreCompletedByCallEndedAtTheOther() async throws {
        try await Self.withReplicas(2) { replicas, database async throws in
            #expect(try await Self.call(replicas[0], "first") == SharedStoreTests.answered)
            #expect(try await Self.call(replicas[1], "second") == SharedStoreTests.rejected)
            #expect(try await replicas[1].end("first").contains("released"))
            #expect(try await eventually(within: 20) {
                let ended = try await Self.count(database, where: "call_id = 'first' AND ended_at IS NOT NULL")
                let all = try await Self.count(database)
                return ended == 1 && all == 2
            })
            let first = try await database.sql(
                "SELECT concat_ws('|', replica, caller, number, route, backend, outcome, duration_seconds) FROM \(Self.records) WHERE call_id = 'first'"
            )
            // The call.ended fixture's duration_seconds.
            #expect(first == "r1|\(Self.maskedCaller)|\(Self.maskedNumber)|all|a|answer|123")
            let second = try await database.sql(
                "SELECT concat_ws('|', replica, route, coalesce(backend, '-'), outcome, reason) FROM switchboard_calls WHERE call_id = 'second'"
            )
            #expect(second.hasPrefix("r2|all|-|reject|"), "\(second)")
            #expect(second.contains("backend 'a' is full (1/1 calls)"), "\(second)")
            // Masked by default: the full numbers are nowhere in the table.
            let full = try await Self.count(
                database, where: "concat_ws(' ', caller, number, caller_full, number_full, reason) LIKE '%5550999%'"
            )
            #expect(full == 0)

            let table = try await Self.calls(database, ["--why"])
            let lines = table.split(separator: "\n")
            #expect(lines.first?.hasPrefix("TIME (UTC)") == true)
            // Newest first: the rejected call, then the answered one with its duration.
            let second_ = try #require(lines.firstIndex { $0.contains("second") })
            let first_ = try #require(lines.firstIndex { $0.contains("first") })
            #expect(second_ < first_)
            #expect(lines[first_].contains("2m03s") && lines[first_].contains(Self.maskedCaller))
            #expect(table.contains("    backend 'a' is full (1/1 calls)"))

            // The admin listener serves the same records, numbers masked; a full number finds its masked records.
            let admin = try await replicas[1].get("/admin/calls?number=%2B14155550999&limit=5")
            #expect(admin.contains(#""call_id":"first""#) && admin.contains(#""call_id":"second""#), "\(admin)")
            #expect(!admin.contains(Self.caller) && admin.contains(Self.maskedCaller))
            #expect(try await replicas[1].get("/admin/calls?since=yesterday").contains("since must be"))

            let json = try await Self.calls(database, ["--json", "--call", "first"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let records = try #require(object["calls"] as? [[String: Any]])
            #expect(records.count == 1)
            #expect(records.first?["backend"] as? String == "a")
            #expect(records.first?["duration_seconds"] as? Int == 123)
            #expect((records.first?["reason"] as? [String])?.isEmpty == false)
        }
    }

    @Test func queriesByEachFilterAndEraseByNumber() async throws {
        try await Self.withReplicas(1) { replicas, database async throws in
            let replica = replicas[0]
            #expect(try await Self.call(replica, "vip-1", caller: Self.vip).contains("b.example"))
            #expect(try await Self.call(replica, "plain-1") == SharedStoreTests.answered)
            #expect(try await Self.call(replica, "plain-2") == SharedStoreTests.rejected)
            #expect(try await eventually(within: 20) { try await Self.count(database) == 3 })
            // A record from three days ago, for the time filters.
            try await database.sql(
                """
                INSERT INTO switchboard_calls (decided_at, request_id, call_id, caller, number, route, backend, outcome,
                    reason, replica, table_version)
                VALUES (now() - interval '3 days', 'old', 'old-1', '\(Self.maskedCaller)', '\(Self.maskedNumber)', 'all',
                    'a', 'answer', 'route ''all''', 'r0', 'v0')
                """
            )
            func ids(_ arguments: [String]) async throws -> [String] {
                let json = try await Self.calls(database, ["--json"] + arguments)
                let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
                return (object?["calls"] as? [[String: Any]] ?? []).compactMap { $0["call_id"] as? String }
            }
            #expect(try await ids([]) == ["plain-2", "plain-1", "vip-1", "old-1"])
            #expect(try await ids(["--number", Self.vip]) == ["vip-1"])
            #expect(try await ids(["--number", "+190****1234"]) == ["vip-1"])
            // The called number is a number too: every call was to it.
            #expect(try await ids(["--number", Self.number]).count == 4)
            #expect(try await ids(["--backend", "a"]) == ["plain-1", "old-1"])
            #expect(try await ids(["--route", "vip"]) == ["vip-1"])
            #expect(try await ids(["--outcome", "reject"]) == ["plain-2"])
            #expect(try await ids(["--since", "1h"]) == ["plain-2", "plain-1", "vip-1"])
            let dayAgo = Date().addingTimeInterval(-86_400).formatted(.iso8601)
            #expect(try await ids(["--to", dayAgo]) == ["old-1"])
            let hourAgo = Date().addingTimeInterval(-3600).formatted(.iso8601)
            #expect(try await ids(["--from", hourAgo, "--backend", "a"]) == ["plain-1"])
            #expect(try await ids(["--limit", "2"]) == ["plain-2", "plain-1"])
            #expect(try await Self.calls(database, ["--number", "+15550000000"]).contains("no call records match"))

            let bad = try await ChildProcess.run(["calls", "--store", database.url(), "--since", "yesterday"])
            #expect(bad.status == 2)
            #expect(bad.stderr.contains("--since must be"))

            #expect(try await Self.calls(database, ["--erase-number", Self.vip]).contains("erased 1 call record of"))
            #expect(try await ids([]) == ["plain-2", "plain-1", "old-1"])
        }
    }

    @Test func fullNumbersAreKeptOnlyWhenAskedFor() async throws {
        try await Self.withReplicas(1, ["--store-full-numbers"]) { replicas, database async throws in
            #expect(try await Self.call(replicas[0], "full-1", caller: Self.vip).contains("b.example"))
            #expect(try await eventually(within: 20) { try await Self.count(database) == 1 })
            let row = try await database.sql("SELECT concat_ws('|', caller, caller_full, number_full) FROM switchboard_calls")
            #expect(row == "+190****1234|\(Self.vip)|\(Self.number)")
            #expect(try await Self.calls(database, ["--number", Self.vip]).contains(Self.vip))
        }
    }

    @Test func followPrintsANewCall() async throws {
        try await Self.withReplicas(2) { replicas, database async throws in
            #expect(try await Self.call(replicas[0], "before") == SharedStoreTests.answered)
            #expect(try await eventually(within: 20) { try await Self.count(database) == 1 })
            let follower = try ChildProcess(["calls", "--store", database.url(), "--follow"])
            try await follower.waitForOutput(containing: "before")
            #expect(try await Self.call(replicas[1], "after", caller: Self.vip).contains("b.example"))
            let output = try await follower.waitForOutput(containing: "after", timeout: .seconds(20))
            #expect(output.contains("vip"))
            follower.signal(SIGTERM)
            _ = try await follower.waitForExit()
        }
    }

    @Test func replicasShowWhereTheirHealthViewsDisagree() async throws {
        let database = try await TestDatabase()
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let scratch = try Scratch()
        // The same backend `c`, checked by r2 only, at a port that refuses connections: r2 sees it down.
        let up = try scratch.write("up.yaml", """
            version: 1
            backends:
              c: { url: "ws://127.0.0.1:\(refusing.port)/calls", health: { check: none } }
            routes:
              - { name: all, to: c }
            """)
        let down = try scratch.write("down.yaml", """
            version: 1
            health: { interval: 200ms, fast_interval: 100ms, fall: 1 }
            backends:
              c: { url: "ws://127.0.0.1:\(refusing.port)/calls", health: { check: websocket } }
            routes:
              - { name: all, to: c }
            """)
        let first = try await SharedStoreTests.start(up, store: database.url(), id: "r1")
        let second = try await SharedStoreTests.start(down, store: database.url(), id: "r2")
        let expected = #""health_disagreements":[{"backend":"c","down":["r2"],"up":["r1"]}]"#
        #expect(try await eventually(within: 20) { try await first.get("/status").contains(expected) })
        #expect(try await first.get("/status").contains(#""backends_down":["c"]"#))
        try await first.stop()
        try await second.stop()
        await database.remove()
    }

    @Test func retentionDeletesOnlyOldRecords() async throws {
        let database = try await TestDatabase()
        #expect(try await ChildProcess.run(["store", "migrate", "--store", database.url()]).status == 0)
        try await database.sql(
            """
            INSERT INTO switchboard_calls (decided_at, request_id, caller, number, outcome, reason, replica, table_version)
            SELECT now() - age, 'req-' || n, '-', '-', 'reject', '', 'r0', 'v0'
            FROM generate_series(1, 2500) n,
                 LATERAL (SELECT CASE WHEN n <= 2400 THEN interval '2 hours' ELSE interval '10 minutes' END AS age) a
            """
        )
        try await database.sql(
            """
            INSERT INTO switchboard_call_ends (call_id, ended_at)
            VALUES ('old-a', now() - interval '2 hours'), ('old-b', now() - interval '90 minutes'),
                   ('recent', now() - interval '1 minute')
            """
        )
        let scratch = try Scratch()
        let replica = try await SharedStoreTests.start(
            try scratch.write("routes.yaml", Self.table), store: database.url(), id: "r1",
            ["--call-records-retention", "1h"]
        )
        // 2,400 old rows, deleted in batches of 1,000; the 100 within the hour stay. Old completions go too.
        try await replica.process.waitForOutput(containing: "old call records deleted", timeout: .seconds(30))
        #expect(try await Self.count(database) == 100)
        #expect(try await database.sql("SELECT string_agg(call_id, ',') FROM switchboard_call_ends") == "recent")
        #expect(replica.process.stdout.contains("deleted=2400"))
        try await replica.stop()
        await database.remove()
    }

    @Test func aStoreOutageLosesNoWebhookAndCountsDroppedRecords() async throws {
        let database = try await TestDatabase(private: true)
        do {
            let scratch = try Scratch()
            let replica = try await SharedStoreTests.start(
                try scratch.write("routes.yaml", Self.table), store: database.url(), id: "r1",
                ["--call-records-queue", "3"]
            )
            try await database.stopServer()
            // Every call is answered by the local policy; three records wait in the queue (one of them perhaps in
            // a batch the stopped database refuses, which keeps its room), the others are dropped.
            for index in 0..<6 {
                #expect(try await Self.call(replica, "outage-\(index)", caller: Self.vip).contains("b.example"))
            }
            #expect(try await replica.get("/metrics").contains("switchboard_call_records_dropped_total 3"))
            try await replica.process.waitForOutput(containing: "call records queue full")
            try await database.startServer()
            #expect(try await eventually(within: 30) { try await Self.count(database) == 3 })
            try await replica.stop()
        } catch {
            await database.remove()
            throw error
        }
        await database.remove()
    }

    @Test func aStopWhileTheStoreIsDownWaitsForTheRecordsAFewSecondsAndSaysWhatItCouldNotWrite() async throws {
        let database = try await TestDatabase(private: true)
        do {
            let scratch = try Scratch()
            let replica = try await SharedStoreTests.start(
                try scratch.write("routes.yaml", Self.table), store: database.url(), id: "r1"
            )
            try await database.stopServer()
            #expect(try await Self.call(replica, "unwritten", caller: Self.vip).contains("b.example"))
            try await replica.process.waitForOutput(containing: "store unavailable")
            replica.process.signal(SIGTERM)
            // The record's batch waits on a database that is gone; the shutdown gives it 3 s, not the batch's own
            // 10 s budget, and says what it lost.
            #expect(try await replica.process.waitForExit(timeout: .seconds(8)) == 0)
            #expect(replica.process.stdout.contains("call records not written before shutdown records=1"))
        } catch {
            await database.remove()
            throw error
        }
        await database.remove()
    }
}
