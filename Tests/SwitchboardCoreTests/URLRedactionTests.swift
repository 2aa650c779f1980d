import Testing

@testable import SwitchboardCore

struct URLRedactionTests {
    @Test(arguments: [
        ("wss://user:pass@agent.example/calls?token=abc&call={call.id}", "wss://***@agent.example/calls?token=***&call={call.id}"),
        ("wss://agent.example/calls", "wss://agent.example/calls"),
        ("https://agent.example:8443/h?x=1&y=&z", "https://agent.example:8443/h?x=***&y=&***"),
        ("wss://a@b@host/p#frag", "wss://***@host/p#***"),
        ("http://host?token=t0k", "http://host?token=***"),
    ])
    func urlsAreRedacted(url: String, expected: String) {
        #expect(URLRedaction.redact(url) == expected)
    }

    @Test func urlsInsideTextAreRedacted() {
        let text = "url must start with ws:// or wss://, not 'http://u:p@h/x?token=s3cret' (see https://docs)"
        #expect(URLRedaction.redactURLs(in: text)
            == "url must start with ws:// or wss://, not 'http://***@h/x?token=***' (see https://docs)")
    }

    @Test func expandedSecretsNeverAppearInDiagnostics() throws {
        let yaml = """
            version: 1
            backends:
              a: { url: "http://agent.example/${PATH_SECRET}?token=${TOKEN}" }
            routes:
              - { name: all, to: a }
            """
        let environment = ["PATH_SECRET": "p4th-s3cret", "TOKEN": "t0ken-s3cret"]
        let error = try #require(throws: ConfigError.self) { try RoutingTable(yaml: yaml, environment: environment) }
        #expect(error.description.contains("url must start with ws:// or wss://"))
        #expect(!error.description.contains("p4th-s3cret"))
        #expect(!error.description.contains("t0ken-s3cret"))
    }

    @Test func switchboardVariablesCannotBeRead() throws {
        let yaml = """
            version: 1
            backends:
              a: { url: "wss://agent.example/?key=${SWITCHBOARD_SIGNING_KEY}" }
            routes:
              - { name: all, to: a }
            """
        let error = try #require(throws: ConfigError.self) {
            try RoutingTable(yaml: yaml, environment: ["SWITCHBOARD_SIGNING_KEY": "whsec_very_secret"])
        }
        #expect(error.description.contains(
            "routes.yaml:3:13: environment variable 'SWITCHBOARD_SIGNING_KEY' cannot be used in the routes file"
        ))
        #expect(!error.description.contains("whsec_very_secret"))
    }
}
