import Foundation
import SwitchboardTestSupport
import Testing

/// Several `serve` processes sharing one real PostgreSQL database (`--store`), as replicas behind a load balancer.
@Suite(.timeLimit(.minutes(3)))
struct SharedStoreTests {
    static let key = "whsec_store"

    /// Backend `a` takes `limit` calls across every replica; past it calls go to the table's fallback (reject).
    static func table(limit: Int) -> String {
        """
        version: 1
        backends:
          a: { url: "wss://a.example/calls", health: { check: none }, max_calls: \(limit) }
        routes:
          - { name: all, to: a }
        """
    }

    struct Replica {
        var process: ChildProcess
        var webhook: Int
        var admin: Int

        func call(_ id: String, requestID: String = UUID().uuidString) async throws -> String {
            try await SignedRequest(body: Fixture.incomingCall(id: id), key: key, requestID: requestID).send(port: webhook)
        }

        func end(_ id: String) async throws -> String {
            try await SignedRequest(path: "/webhooks/events", body: Fixture.callEnded(id: id), key: key).send(port: webhook)
        }

        func get(_ path: String) async throws -> String {
            let port = admin
            return try await blocking { try FrontDoorCommandTests.get(path, port: port) }
        }

        func post(_ path: String) async throws -> String {
            let port = admin
            return try await blocking {
                let connection = try RawConnection(port: port)
                connection.write("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return connection.readResponse()?.body ?? ""
            }
        }

        /// Stops it with SIGTERM and expects exit 0; nothing when it has stopped already.
        func stop() async throws {
            guard process.isRunning else { return }
            process.signal(SIGTERM)
            #expect(try await process.waitForExit() == 0)
        }
    }

    static func start(_ routes: String, store: String, id: String, _ extra: [String] = []) async throws -> Replica {
        let process = try ChildProcess(
            ["serve", "--routes", routes, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--store", store,
             "--replica-id", id] + extra,
            environment: ["SWITCHBOARD_SIGNING_KEY": key]
        )
        try await process.waitForOutput(containing: "store connected")
        try await process.waitForOutput(containing: "listener=webhook")
        let log = try await process.waitForOutput(containing: "listener=admin")
        return Replica(process: process, webhook: try #require(log.port(of: "webhook")), admin: try #require(log.port(of: "admin")))
    }

    /// Runs `body` with `count` replicas of a table whose backend `a` takes `limit` calls, on a database of its own;
    /// stops the replicas and removes the database afterwards, also when `body` throws.
    ///
    /// The replicas wait up to 10 s for each database operation (`--store-budget`), so a machine loaded by parallel
    /// tests never makes them decide without the store, and the limits hold exactly; the outage test keeps the
    /// default budget, since it is about what happens past it.
    static func withReplicas(
        _ count: Int, limit: Int, privateCluster: Bool = false, _ extra: [String] = [],
        _ body: ([Replica], TestDatabase) async throws -> Void
    ) async throws {
        try await withReplicas(count, table: table(limit: limit), extra, privateCluster: privateCluster, body)
    }

    /// The same with the routes file `table` and `extra` options for every replica.
    static func withReplicas(
        _ count: Int, table: String, _ extra: [String] = [], privateCluster: Bool = false,
        _ body: ([Replica], TestDatabase) async throws -> Void
    ) async throws {
        let database = try await TestDatabase(private: privateCluster)
        do {
            let scratch = try Scratch()
            let routes = try scratch.write("routes.yaml", table)
            var replicas: [Replica] = []
            let budget = privateCluster ? [] : ["--store-budget", "10s"]
            for index in 1...count {
                replicas.append(try await start(routes, store: database.url(), id: "r\(index)", budget + extra))
            }
            try await body(replicas, database)
            for replica in replicas { try await replica.stop() }
        } catch {
            await database.remove()
            throw error
        }
        await database.remove()
    }

    static let answered = #"{"action":"answer","client_websocket_url":"wss://a.example/calls"}"#
    static let rejected = #"{"action":"reject"}"#

    @Test func concurrentCallsAcrossReplicasNeverExceedMaxCalls() async throws {
        try await Self.withReplicas(3, limit: 5) { replicas, database async throws in
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<45 {
                    group.addTask { try await replicas[index % 3].call("call-\(index)") }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            // Exactly the limit answered across the three replicas; every other call got the fallback.
            #expect(answers.filter { $0 == Self.answered }.count == 5, "\(answers)")
            #expect(answers.filter { $0 == Self.rejected }.count == 40)
            #expect(try await database.sql("SELECT count(*) FROM switchboard_leases WHERE backend = 'a'") == "5")
            // Every replica's admin endpoint reads the cluster-wide count.
            for replica in replicas {
                #expect(try await replica.get("/admin/backends/a").contains(#""active_calls":5"#))
            }
        }
    }

    /// A pool of 4 lets one batch of calls for the backend and one of `call.ended` events be in flight at a time,
    /// so concurrent ones queue and go to the database together.
    static let oneBatchInFlight = ["--store-pool-size", "4"]

    @Test func manyConcurrentCallsOnOneReplicaGoInBatchesAndNeverExceedMaxCalls() async throws {
        try await Self.withReplicas(1, limit: 20, Self.oneBatchInFlight) { replicas, database async throws in
            let replica = replicas[0]
            let calls = (0..<150).map { "call-\($0)" }
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for id in calls { group.addTask { try await replica.call(id) } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            // One answer per call: exactly the limit answered, the fallback for every other.
            #expect(answers.filter { $0 == Self.answered }.count == 20, "\(answers)")
            #expect(answers.filter { $0 == Self.rejected }.count == 130)
            #expect(try await database.sql("SELECT count(*) FROM switchboard_leases WHERE backend = 'a'") == "20")
            #expect(try await database.sql("SELECT count(*) FROM switchboard_deliveries") == "150")
            #expect(try await replica.get("/metrics").contains(#"switchboard_store_fallback_decisions_total{policy="local"} 0"#))

            // Every call ends at once: the batches of call.ended free exactly the slots taken, each once.
            let ended = try await withThrowingTaskGroup(of: String.self) { group in
                for id in calls + calls.prefix(10) { group.addTask { try await replica.end(id) } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(ended.filter { $0.contains(#""outcome":"released""#) }.count == 20, "\(ended)")
            #expect(try await database.sql("SELECT count(*) FROM switchboard_leases") == "0")
            #expect(try await database.sql("SELECT count(*) FROM switchboard_ended") == "150")
            #expect(try await replica.get("/admin/backends/a").contains(#""active_calls":0"#))
            #expect(try await replica.call("after") == Self.answered)
        }
    }

    @Test func retriedDeliveriesSentTogetherGetOneAnswerAndAnotherBodyIsRefused() async throws {
        try await Self.withReplicas(1, limit: 1, Self.oneBatchInFlight) { replicas, database async throws in
            let replica = replicas[0]
            let requestID = "req-burst"
            // Ten deliveries of one call and ten of another under the same request ID, all at once.
            let answers = try await withThrowingTaskGroup(of: (String, String).self) { group in
                for index in 0..<20 {
                    let id = index.isMultiple(of: 2) ? "one" : "two"
                    group.addTask { (id, try await replica.call(id, requestID: requestID)) }
                }
                return try await group.reduce(into: [String: [String]]()) { $0[$1.0, default: []].append($1.1) }
            }
            // Whichever body came first is answered, every time; the other body is refused every time.
            let winner = try #require(answers.first { $0.value.contains(Self.answered) }?.key, "\(answers)")
            let loser = winner == "one" ? "two" : "one"
            #expect(answers[winner] == Array(repeating: Self.answered, count: 10), "\(answers)")
            #expect(answers[loser]?.allSatisfy { $0.contains("request ID already used") } == true, "\(answers)")
            #expect(try await database.sql("SELECT call_id FROM switchboard_leases") == winner)
            #expect(try await database.sql("SELECT count(*) FROM switchboard_deliveries") == "1")
        }
    }

    @Test func anEntryReachedAfterItsCallerStoppedWaitingTakesNothing() async throws {
        let database = try await TestDatabase()
        #expect(try await ChildProcess.run(["store", "migrate", "--store", database.url()]).status == 0)
        // Two calls in one batch: the first caller waits no longer (0 µs), the second a minute.
        let outcomes = try await database.sql(
            """
            SELECT string_agg(entry || ':' || outcome, ',' ORDER BY entry) FROM switchboard_route_many(
                ARRAY['req-1', 'req-2'], ARRAY['d1', 'd2'], 600000, ARRAY['one', 'two'], ARRAY['a', 'a'],
                ARRAY[5, 5]::bigint[], ARRAY[60000, 60000]::bigint[], 'r1', ARRAY['all', 'all'],
                ARRAY['answer', 'answer'], ARRAY['wss://a', 'wss://a'], ARRAY[0, 60000000]::bigint[])
            """
        )
        #expect(outcomes == "1:expired,2:fresh")
        #expect(try await database.sql("SELECT string_agg(call_id, ',') FROM switchboard_leases") == "two")
        #expect(try await database.sql("SELECT string_agg(request_id, ',') FROM switchboard_deliveries") == "req-2")
        await database.remove()
    }

    @Test func callEndedAtTheOtherReplicaFreesTheSlot() async throws {
        try await Self.withReplicas(2, limit: 1) { replicas, database async throws in
            let (first, second) = (replicas[0], replicas[1])
            #expect(try await first.call("one") == Self.answered)
            #expect(try await second.call("two") == Self.rejected)
            #expect(try await second.end("one").contains(#""outcome":"released""#))
            // The replica that answered the call gets the freed slot at once: the database decides, not its view.
            #expect(try await first.call("three") == Self.answered)
            #expect(try await database.sql("SELECT call_id FROM switchboard_leases") == "three")
            // Every call.ended is remembered, even one that finds no slot, so a replica that answered that call
            // without the store does not write its slot back.
            #expect(try await first.end("never-answered-here").contains(#""outcome":"unknown_call""#))
            let ended = try await database.sql("SELECT string_agg(call_id, ',' ORDER BY call_id) FROM switchboard_ended")
            #expect(ended == "never-answered-here,one")
        }
    }

    @Test func drainOnOneReplicaIsObeyedByTheOther() async throws {
        try await Self.withReplicas(2, limit: 10) { replicas, database async throws in
            let (first, second) = (replicas[0], replicas[1])
            #expect(try await second.call("before") == Self.answered)
            #expect(try await first.post("/admin/backends/a/drain").contains(#""drain":"draining""#))
            #expect(try await second.call("during") == Self.rejected)
            #expect(try await second.get("/admin/backends/a").contains(#""drain":"draining","active_calls":1"#))
            // `drain --wait` on the first replica returns once the call on the second one ends.
            let wait = try ChildProcess(
                ["drain", "a", "--wait", "--timeout", "30s", "--poll-interval", "50ms", "--admin", "http://127.0.0.1:\(first.admin)"]
            )
            try await wait.waitForOutput(containing: "a: draining, 1 live call")
            #expect(try await second.end("before").contains(#""outcome":"released""#))
            #expect(try await wait.waitForExit() == 0)
            #expect(try await second.post("/admin/backends/a/undrain").contains(#""drain":null"#))
            #expect(try await first.call("after") == Self.answered)
        }
    }

    @Test func aRetryAtTheOtherReplicaGetsTheSameAnswer() async throws {
        try await Self.withReplicas(2, limit: 1) { replicas, database async throws in
            let (first, second) = (replicas[0], replicas[1])
            let requestID = "req-retried"
            #expect(try await first.call("one", requestID: requestID) == Self.answered)
            // The backend is full now, yet the retry is answered as the first delivery was, and takes no second slot.
            #expect(try await second.call("one", requestID: requestID) == Self.answered)
            #expect(try await database.sql("SELECT count(*) FROM switchboard_leases") == "1")
            // The same request ID with another body is refused at either replica.
            let conflict = try await second.call("other", requestID: requestID)
            #expect(conflict.contains("request ID already used"))
        }
    }

    @Test func aRestartedReplicaKeepsTheLiveCalls() async throws {
        try await Self.withReplicas(1, limit: 2) { replicas, database async throws in
            #expect(try await replicas[0].call("one") == Self.answered)
            #expect(try await replicas[0].call("two") == Self.answered)
            try await replicas[0].stop()
            let scratch = try Scratch()
            let routes = try scratch.write("routes.yaml", Self.table(limit: 2))
            let restarted = try await Self.start(routes, store: database.url(), id: "r1", ["--store-budget", "10s"])
            #expect(try await restarted.call("three") == Self.rejected)
            #expect(try await restarted.end("two").contains(#""outcome":"released""#))
            #expect(try await restarted.call("four") == Self.answered)
            // The admin view reads the count from the database; `/status` shows it as of the last refresh (every
            // 500 ms), so it is waited for.
            #expect(try await restarted.get("/admin/backends/a").contains(#""active_calls":2"#))
            #expect(try await eventually { try await restarted.get("/status").contains(#""active_calls":2"#) })
            let status = try await restarted.get("/status")
            #expect(status.contains(#""id":"r1""#) && status.contains(#""self":true"#))
            try await restarted.stop()
        }
    }

    /// The database stops mid-traffic: every call is still answered (by the replica's own counts), a `call.ended`
    /// is kept, and once the database is back the calls answered meanwhile are in it and the ended one is not.
    @Test func theStoreStoppedAndStartedLosesNoAnswerAndLeavesNoSlotHeld() async throws {
        try await Self.withReplicas(1, limit: 3, privateCluster: true) { replicas, database async throws in
            let replica = replicas[0]
            #expect(try await replica.call("before") == Self.answered)
            #expect(try await replica.call("ended-during") == Self.answered)
            try await database.stopServer()
            #expect(try await replica.call("during-1") == Self.answered)
            try await replica.process.waitForOutput(containing: "store unavailable")
            #expect(try await replica.get("/readyz").contains(#""ready":true"#))
            // The limit still holds, from the counts last read plus this replica's own: 2 + 1 = 3, full.
            #expect(try await replica.call("during-2") == Self.rejected)
            #expect(try await replica.end("ended-during").contains(#""outcome""#))
            #expect(try await replica.get("/status").contains(#""state":"unavailable""#))
            try await database.startServer()
            try await replica.process.waitForOutput(containing: "store available again")
            let leases = try await database.sql("SELECT string_agg(call_id, ',' ORDER BY call_id) FROM switchboard_leases")
            #expect(leases == "before,during-1")
            #expect(try await replica.get("/status").contains(#""state":"available""#))
            // One line for each change of state, not one per call.
            #expect(replica.process.stdout.components(separatedBy: "store unavailable").count == 2)
            #expect(!replica.process.stdout.contains("Connection creation failed"))
        }
    }

    @Test func twoReplicasMigratingAtOnceApplyTheSchemaOnce() async throws {
        let database = try await TestDatabase()
        async let one = ChildProcess.run(["store", "migrate", "--store", database.url()])
        async let two = ChildProcess.run(["store", "migrate", "--store", database.url()])
        let results = try await [one, two]
        #expect(results.allSatisfy { $0.status == 0 }, "\(results)")
        #expect(results.filter { $0.stdout.contains("applied version 1") }.count == 1)
        // Each version once, whatever the number of versions.
        #expect(try await database.sql("SELECT count(*) = max(version) FROM switchboard_migrations") == "t")
        let check = try await ChildProcess.run(["store", "check", "--store", database.url()])
        #expect(check.status == 0)
        #expect(check.stdout.contains("as this switchboard expects"))
        await database.remove()
    }

    @Test func aDatabaseAtANewerSchemaIsRefused() async throws {
        let database = try await TestDatabase()
        #expect(try await ChildProcess.run(["store", "migrate", "--store", database.url()]).status == 0)
        try await database.sql("INSERT INTO switchboard_migrations (version) VALUES (99)")
        let check = try await ChildProcess.run(["store", "check", "--store", database.url()])
        #expect(check.status == 1)
        #expect(check.stdout.contains("schema at version 99 is newer than this switchboard knows"))
        let scratch = try Scratch()
        let serve = try await ChildProcess.run(
            ["serve", "--routes", try scratch.write("routes.yaml", Self.table(limit: 1)), "--listen", "127.0.0.1:0",
             "--admin-listen", "127.0.0.1:0", "--store", database.url()],
            environment: ["SWITCHBOARD_SIGNING_KEY": Self.key]
        )
        #expect(serve.status == 1)
        #expect(serve.stderr.contains("newer than this switchboard knows"), "\(serve.stderr)")
        await database.remove()
    }

    @Test func thePasswordIsInNoOutput() async throws {
        let database = try await TestDatabase()
        let password = "pw-never-shown-4f1c"
        let url = database.url(password: password)
        let scratch = try Scratch()
        // The budget the other store tests use, so a machine loaded by parallel tests never makes the call go
        // without the store; this test is about what the output holds, not about the budget.
        let replica = try await Self.start(
            try scratch.write("routes.yaml", Self.table(limit: 1)), store: url, id: "r1",
            ["--log-level", "trace", "--store-budget", "10s"]
        )
        let answer = try await replica.call("one")
        #expect(answer == Self.answered, "\(answer)\n\(replica.process.stdout.suffix(2_000))")
        let status = try await replica.get("/status")
        #expect(status.contains(#""store":{"#) && status.contains(":***@"))
        let metrics = try await replica.get("/metrics")
        #expect(metrics.contains("switchboard_store_up 1"))
        try await replica.stop()
        let check = try await ChildProcess.run(["store", "check", "--store", url])
        let bad = try await ChildProcess.run(["store", "check", "--store", url + "&sslmode=sometimes"])
        #expect(bad.status == 2)
        for output in [replica.process.stdout, replica.process.stderr, status, metrics, check.stdout, check.stderr,
                       bad.stdout, bad.stderr] {
            #expect(!output.contains(password))
        }
        await database.remove()
    }

    @Test func tlsToTheDatabaseIsVerifiedAgainstTheGivenAuthority() async throws {
        let database = try await TestDatabase()
        let verified = try await ChildProcess.run(
            ["store", "migrate", "--store", database.tlsURL(sslmode: "verify-full", rootCertificate: database.certificateAuthority)]
        )
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("sslmode=verify-full"))
        // The system's roots do not know the test authority: verification fails, and nothing is written.
        let unverified = try await ChildProcess.run(["store", "check", "--store", database.tlsURL(sslmode: "verify-full")])
        #expect(unverified.status == 3)
        #expect(unverified.stderr.contains("cannot use the store"))
        await database.remove()
    }
}
