import Foundation
import SwitchboardTestSupport
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ProbeCommandTests {
    @Test func probePrintsATableAndFailsWhenABackendIsDown() async throws {
        let scratch = try Scratch()
        let backend = try DemoBackendServer(name: "up")
        try await backend.start()
        let port = backend.port
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let dead = refusing.port
        let healthy = try scratch.write("healthy.yaml", """
            version: 1
            health: { timeout: 5s }
            backends:
              ws: { url: "ws://127.0.0.1:\(port)/calls?call={call.id}" }
              web: { url: "ws://127.0.0.1:\(port)/calls", health: { check: http, url: "http://127.0.0.1:\(port)/healthz" } }
              plain: { url: "ws://127.0.0.1:\(port)/", health: { check: tcp } }
            routes: []
            """)
        let allUp = try await ChildProcess.run(["probe", "--routes", healthy])
        #expect(allUp.status == 0)
        let rows = allUp.stdout.split(separator: "\n")
        #expect(rows.first?.hasPrefix("BACKEND") == true)
        #expect(rows.filter { $0.contains("  up  ") }.count == 3)

        let mixed = try scratch.write("mixed.yaml", """
            version: 1
            health: { timeout: 5s }
            backends:
              ws: { url: "ws://127.0.0.1:\(port)/calls" }
              gone: { url: "ws://127.0.0.1:\(dead)/calls" }
            routes: []
            """)
        let someDown = try await ChildProcess.run(["probe", "--routes", mixed])
        #expect(someDown.status == 1)
        let goneRow = try #require(someDown.stdout.split(separator: "\n").first { $0.hasPrefix("gone") })
        #expect(goneRow.contains("down"))
        #expect(goneRow.contains("refused"))
        #expect(someDown.stderr.contains("1 of 2 backends down"))
        await backend.stop()
    }
}
