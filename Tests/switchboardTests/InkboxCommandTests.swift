import Foundation
import SwitchboardTestSupport
import Testing

/// `switchboard inkbox …` as a user runs it: the built binary against a local fake of the Inkbox API.
@Suite(.timeLimit(.minutes(2)))
struct InkboxCommandTests {
    static let webhook = "https://sb.example/webhooks/incoming-call"

    static func api() -> FakeInkboxAPI {
        FakeInkboxAPI(numbers: [
            ("num-1", "+14155550100", "auto_accept", nil, "wss://agent.example/calls"),
            ("num-2", "+14155550101", "auto_reject", nil, nil),
            ("num-3", "+14155550199", "webhook", webhook, nil),
        ])
    }

    /// A table naming +14155550100 (under `numbers:`) and +14155550101 (in a `number` condition).
    static func routes(_ scratch: Scratch) throws -> String {
        try scratch.write("routes.yaml", """
            version: 1
            numbers:
              "+14155550100": { team: support }
            backends:
              a: { url: "wss://a.example/calls", health: { check: none } }
            routes:
              - { name: sales, when: { number: "+14155550101" }, to: a }
              - { name: support, when: { number.team: support }, to: a }
            """)
    }

    static func run(_ arguments: [String], base: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await ChildProcess.run(arguments + ["--api-base", base], environment: ["INKBOX_API_KEY": FakeInkboxAPI.apiKey])
    }

    @Test func numbersListsEveryNumberAndWhetherTheTableRoutesIt() async throws {
        let scratch = try Scratch()
        let routes = try Self.routes(scratch)
        let api = Self.api()
        let (table, json) = try await api.serve { base in
            (try await Self.run(["inkbox", "numbers", "--routes", routes], base: base),
             try await Self.run(["inkbox", "numbers", "--json"], base: base))
        }
        #expect(table.status == 0)
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("NUMBER") == true && lines.first?.hasSuffix("ROUTED") == true)
        #expect(lines.contains { $0.hasPrefix("+14155550100") && $0.contains("auto_accept") && $0.hasSuffix("yes") })
        #expect(lines.contains { $0.hasPrefix("+14155550199") && $0.contains(Self.webhook) && $0.hasSuffix("no") })
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(objects.map { $0["number"] as? String } == ["+14155550100", "+14155550101", "+14155550199"])
        #expect(objects[2]["incoming_call_webhook_url"] as? String == Self.webhook)
        #expect(!(table.stdout + table.stderr + json.stdout).contains(FakeInkboxAPI.apiKey))
    }

    @Test func attachDriftAndDetach() async throws {
        let scratch = try Scratch()
        let routes = try Self.routes(scratch)
        let api = Self.api()
        try await api.serve { base in
            // Before: the two numbers the table names go elsewhere, and +14155550199 is attached but not named.
            let before = try await Self.run(["inkbox", "drift", "--routes", routes, "--webhook-url", Self.webhook], base: base)
            #expect(before.status == 1)
            #expect(before.stdout.contains("not attached: +14155550100"))
            #expect(before.stdout.contains("not routed: +14155550199"))

            let dryRun = try await Self.run(
                ["inkbox", "attach", "--webhook-url", Self.webhook, "--all-in-table", "--routes", routes, "--dry-run"],
                base: base)
            #expect(dryRun.status == 0)
            #expect(dryRun.stdout.contains("+14155550100: would change auto_accept wss://agent.example/calls → webhook \(Self.webhook)"))
            #expect(!api.requests.contains { $0.method == "PATCH" })

            let attach = try await Self.run(
                ["inkbox", "attach", "--webhook-url", Self.webhook, "--all-in-table", "--routes", routes], base: base)
            #expect(attach.status == 0, "\(attach.stderr)")
            #expect(attach.stdout.contains("+14155550101: auto_reject → webhook \(Self.webhook)"))
            #expect(api.destination(of: "+14155550100")?.action == "webhook")
            #expect(api.requests.filter { $0.method == "PATCH" }.allSatisfy { $0.apiKey == FakeInkboxAPI.apiKey })

            let detach = try await Self.run(
                ["inkbox", "detach", "--number", "+14155550199", "--action", "auto_reject"], base: base)
            #expect(detach.status == 0, "\(detach.stderr)")
            #expect(api.destination(of: "+14155550199")?.action == "auto_reject")
            #expect(api.destination(of: "+14155550199")?.webhook == nil)

            let after = try await Self.run(["inkbox", "drift", "--routes", routes, "--webhook-url", Self.webhook], base: base)
            #expect(after.status == 0, "\(after.stdout)")
            #expect(after.stdout.contains("no drift"))
        }
    }

    @Test func mistakesAreClear() async throws {
        let api = Self.api()
        try await api.serve { base in
            let noKey = try await ChildProcess.run(["inkbox", "numbers", "--api-base", base])
            #expect(noKey.status == 2)
            #expect(noKey.stderr.contains("INKBOX_API_KEY"))

            let badKey = try await ChildProcess.run(
                ["inkbox", "numbers", "--api-base", base], environment: ["INKBOX_API_KEY": "ik_wrong_key"])
            #expect(badKey.status == 1)
            #expect(badKey.stderr.contains("API key was refused"))
            #expect(!badKey.stderr.contains("ik_wrong_key"))

            let unknown = try await Self.run(
                ["inkbox", "attach", "--webhook-url", Self.webhook, "--number", "+19995550000"], base: base)
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("+19995550000: not a number of this organisation"))

            let plainHTTP = try await Self.run(
                ["inkbox", "attach", "--webhook-url", "http://sb.example/x", "--number", "+14155550100"], base: base)
            #expect(plainHTTP.status == 2)
            #expect(plainHTTP.stderr.contains("https://"))
        }
    }
}
