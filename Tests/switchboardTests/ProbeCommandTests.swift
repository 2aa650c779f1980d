import Foundation
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ProbeCommandTests {
    /// A loopback port that was free a moment ago: bound, then closed, so connecting is refused.
    static func closedPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func probePrintsATableAndFailsWhenABackendIsDown() async throws {
        let scratch = try Scratch()
        let backend = try ChildProcess(["demo-backend", "--listen", "127.0.0.1:0", "--name", "up"])
        let line = try await backend.waitForOutput(containing: "listening on 127.0.0.1:")
        let port = try #require(Int(line.split(separator: ":").last!.trimmingCharacters(in: .whitespacesAndNewlines)))
        let dead = try Self.closedPort()
        let healthy = try scratch.write("healthy.yaml", """
            version: 1
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
        backend.signal(SIGTERM)
        #expect(try await backend.waitForExit() == 0)
    }
}
